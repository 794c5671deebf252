"""One event as `rdstrail show` prints it: what the explorer shows, for a ticket or a script.

Text (`show_lines`): the event card, the risk flags (`name: reason`, one a line), then the
diff: its summary line, then two tables fitted to the width, one line per row: the
requested keys, then the keys only the response holds (which the explorer folds),

    Diff: requested vs response
    = 1 applied  > 1 pending  . 1 request only  + 2 set by AWS
       KEY                   REQUESTED         RESPONSE         NOTE
    =  dBInstanceIdentifier  "orders-prod"     "orders-prod"
    >  dBInstanceClass       "db.r6g.2xlarge"  "db.r6g.xlarge"  pending; now "db.r6g.x…
    .  applyImmediately      false             -                a parameter of the …

       SET BY AWS            RESPONSE
    +  engine                "postgres"

Values are compact JSON (strings quoted, so `-` stands for "absent" unambiguously), cut
with one ellipsis where they do not fit; `--format json` has them whole. A pending value
is in the row's note (the diff writes it there). Every key, value and note is
attacker-controlled and reaches a line only through `printable` (the card and
`render_value` apply it too).

JSON (`show_json`): the normalised event, its flags and the diff as data, statuses as
`Status.code`. A value the row does not have (MISSING) is left out of the row's object:
null is a value a response can hold. The JSON is not made printable (it is data); the
caller makes it terminal-safe when it goes to a terminal.

Pure: no cache, no terminal; the width and the parsed record are given.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Final

import orjson

from rdstrail_tui.model.event import Event
from rdstrail_tui.model.risk import RiskFlag, flags_in
from rdstrail_tui.present.card import card_lines
from rdstrail_tui.present.diff import MISSING, Diff, DiffRow, Status, diff_record
from rdstrail_tui.present.diff.layout import SYMBOL_GAP, key_column, render_value
from rdstrail_tui.present.diff.rows import SUMMARY_GAP
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import ELLIPSIS, cell_len, pad, shorten

__all__ = [
    "DIFF_TITLE",
    "FLAGS_TITLE",
    "MIN_WIDTH",
    "SET_BY_AWS_TITLE",
    "diff_json",
    "diff_lines",
    "event_json",
    "flag_lines",
    "flags_json",
    "show_json",
    "show_json_bytes",
    "show_lines",
]

# The card is laid out for 40 cells and more (present/card.py); so is everything here.
MIN_WIDTH: Final = 40
FLAGS_TITLE: Final = "Risk flags"
# The explorer's title over the same diff.
DIFF_TITLE: Final = "Diff: requested vs response"
ABSENT: Final = "-"
FLAG_INDENT: Final = "  "
FLAG_GOES_ON: Final = "    "  # a flag's reason, where it goes on past the width
COLUMN_GAP: Final = "  "
# The header of the second table's key column: the keys only the response holds.
SET_BY_AWS_TITLE: Final = "SET BY AWS"
# orjson refuses nesting deeper than 254 levels, which a record may hold (orjson reads up
# to 1024): past this depth a value is written as an ellipsis rather than not at all.
_JSON_DEPTH: Final = 200


# -- text ----------------------------------------------------------------------------------


def show_lines(
    event: Event, record: Mapping[str, object], width: int, *, ellipsis: str = ELLIPSIS
) -> list[str]:
    """The card, the risk flags and the diff of one event, each line at most
    `max(width, MIN_WIDTH)` cells. `record` is the event's parsed raw record; `ellipsis`
    marks cut values (another one-cell mark for an output that cannot encode "…")."""
    width = max(width, MIN_WIDTH)
    lines = list(card_lines(event, record, width))
    lines.append("")
    lines.extend(flag_lines(flags_in(event.flags), width, ellipsis=ellipsis))
    lines.append("")
    lines.append(DIFF_TITLE)
    lines.extend(diff_lines(diff_record(record), width, ellipsis=ellipsis))
    return lines


def flag_lines(flags: Sequence[RiskFlag], width: int, *, ellipsis: str = ELLIPSIS) -> list[str]:
    """`Risk flags: none`, or the title and `  name: reason` for each flag. The reason is
    what a reader needs, so it is never cut: past the width it goes on under itself, on
    lines that start with spaces (a script reads the flag's first line)."""
    if not flags:
        return [f"{FLAGS_TITLE}: none"]
    lines = [FLAGS_TITLE]
    for flag in flags:
        lines.extend(_wrapped(printable(f"{flag.name}: {flag.reason}"), width, ellipsis))
    return lines


def _wrapped(text: str, width: int, ellipsis: str) -> list[str]:
    """`text` two cells in, broken between words into lines of `width`; the lines after the
    first four cells in. A word longer than a line is cut."""
    lines: list[str] = []
    line = FLAG_INDENT
    for word in text.split(" "):
        joined = f"{line} {word}" if line.strip() else line + word
        if cell_len(joined) <= width or not line.strip():
            line = joined
        else:
            lines.append(line)
            line = FLAG_GOES_ON + word
    lines.append(line)
    return [shorten(line, width, "start", ellipsis=ellipsis) for line in lines]


def diff_lines(diff: Diff, width: int, *, ellipsis: str = ELLIPSIS) -> list[str]:
    """The diff's summary line (wrapped between its groups when it is too long), then the
    requested keys and the keys set by AWS, each a table with a header and one line per
    row: symbol, key, requested (for the requested keys), response, and the row's note
    when any row of the table has one."""
    lines = _summary_lines(printable(diff.summary()), width, ellipsis)
    asked = [row for row in diff.rows if row.status is not Status.SET_BY_AWS]
    by_aws = [row for row in diff.rows if row.status is Status.SET_BY_AWS]
    if asked:
        columns = [("REQUESTED", _requested), ("RESPONSE", _response), ("NOTE", _note)]
        lines.extend(_table(asked, "KEY", columns, width, ellipsis))
    if by_aws:
        if asked:
            lines.append("")
        columns = [("RESPONSE", _response), ("NOTE", _note)]
        lines.extend(_table(by_aws, SET_BY_AWS_TITLE, columns, width, ellipsis))
    return lines


def _summary_lines(summary: str, width: int, ellipsis: str) -> list[str]:
    """`summary` in lines of `width`, broken only between its groups (`= 5 applied`)."""
    lines: list[str] = []
    for part in summary.split(SUMMARY_GAP):
        part = shorten(part, width, "start", ellipsis=ellipsis)
        joined = f"{lines[-1]}{SUMMARY_GAP}{part}" if lines else part
        if lines and cell_len(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(part)
    return lines


Cell = Callable[[DiffRow], str]


def _requested(row: DiffRow) -> str:
    return _value(row.requested)


def _response(row: DiffRow) -> str:
    return _value(row.response)


def _note(row: DiffRow) -> str:
    return printable(row.detail)


def _value(value: object) -> str:
    # Values are JSON (strings quoted), so a bare `-` cannot be mistaken for one.
    return ABSENT if value is MISSING else render_value(value)


def _table(
    rows: Sequence[DiffRow],
    key_header: str,
    columns: Sequence[tuple[str, Cell]],
    width: int,
    ellipsis: str,
) -> list[str]:
    cells = [[cell(row) for _, cell in columns] for row in rows]
    if not any(row[-1] for row in cells):  # no notes: no NOTE column
        columns = columns[:-1]
        cells = [row[:-1] for row in cells]
    headers = [header for header, _ in columns]
    key_width = max(key_column(rows, width), cell_len(key_header))
    lead = 1 + SYMBOL_GAP  # the symbol and the gap after it
    room = width - lead - key_width - SYMBOL_GAP - len(COLUMN_GAP) * (len(headers) - 1)
    natural = [
        max(len(header), *(cell_len(row[index]) for row in cells))
        for index, header in enumerate(headers)
    ]
    widths = _shares(natural, room)
    lines = [_line(" ", key_header, key_width, headers, widths, width, ellipsis)]
    # A note says why a row has its status: one that does not fit its column goes whole on
    # the lines after its row, from the values' column, rather than cut.
    indent = lead + key_width + SYMBOL_GAP
    for row, values in zip(rows, cells):
        key = printable(row.key)
        note = values[-1] if len(values) == len(columns) and "NOTE" in headers else ""
        long_note = bool(note) and cell_len(note) > widths[-1]
        shown = [*values[:-1], ""] if long_note else values
        lines.append(_line(row.status.symbol, key, key_width, shown, widths, width, ellipsis))
        if long_note:
            lines.extend(_note_lines(note, indent, width))
    return lines


def _note_lines(note: str, indent: int, width: int) -> list[str]:
    room = max(width - indent, 20)
    wrapped = textwrap.wrap(note, room, break_long_words=True, break_on_hyphens=False)
    return [" " * min(indent, width - room) + part for part in wrapped]


def _line(
    symbol: str,
    key: str,
    key_width: int,
    values: list[str],
    widths: list[int],
    width: int,
    ellipsis: str,
) -> str:
    """One row. A key wider than its column is kept whole (a script greps for it) and
    pushes the row's values along, its last columns giving way, as in the explorer."""
    key_cells = cell_len(key)
    widths = list(widths)
    # The room the values have on this line, after a key that may overflow its column.
    room = width - 1 - SYMBOL_GAP - max(key_cells, key_width) - SYMBOL_GAP
    over = sum(widths) + len(COLUMN_GAP) * (len(widths) - 1) - room
    for index in reversed(range(len(widths))):
        if over <= 0:
            break
        taken = min(over, widths[index])
        widths[index] -= taken
        over -= taken
    head = symbol + " " * SYMBOL_GAP + pad(key, key_width) + " " * SYMBOL_GAP
    parts = [
        pad(shorten(value, cells, "start", ellipsis=ellipsis), cells)
        for value, cells in zip(values, widths)
    ]
    line = (head + COLUMN_GAP.join(parts)).rstrip()
    # Only a key wider than the whole line gets here: cropped like the card's lines.
    return line if cell_len(line) <= width else shorten(line, width, "start", ellipsis=ellipsis)


def _shares(natural: list[int], room: int) -> list[int]:
    """Widths for columns that need `natural` cells in `room`: what each needs when all
    fit; else an even share of the room, a column that needs less than its share leaving
    the rest to the others (short values stay whole, long ones are cut alike)."""
    room = max(room, 0)
    if sum(natural) <= room:
        return list(natural)
    widths = [0] * len(natural)
    left = room
    by_need = sorted(range(len(natural)), key=lambda index: natural[index])
    for position, index in enumerate(by_need):
        widths[index] = min(natural[index], left // (len(natural) - position))
        left -= widths[index]
    for index in range(len(natural)):  # what rounding left: the requested value first
        extra = min(left, natural[index] - widths[index])
        widths[index] += extra
        left -= extra
    return widths


# -- JSON ----------------------------------------------------------------------------------


def show_json(event: Event, record: Mapping[str, object]) -> dict[str, object]:
    """`{"event": {...}, "flags": [...], "diff": {...}}` of one event (see the module)."""
    return {
        "event": event_json(event),
        "flags": flags_json(flags_in(event.flags)),
        "diff": diff_json(diff_record(record)),
    }


def show_json_bytes(event: Event, record: Mapping[str, object]) -> bytes:
    """`show_json` as indented UTF-8 JSON text, ending with a newline."""
    document = show_json(event, record)
    option = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
    try:
        return orjson.dumps(document, default=_unknown, option=option)
    except orjson.JSONEncodeError:
        # Nesting orjson will not write (an attacker's record): cut at a depth it will.
        return orjson.dumps(_bounded(document), default=_unknown, option=option)


def event_json(event: Event) -> dict[str, object]:
    """The normalised fields, named as CloudTrail names them where it has a name."""
    return {
        "eventID": event.event_id,
        "eventTime": datetime.fromtimestamp(event.event_time, timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        ),
        "eventName": event.event_name,
        "eventSource": event.event_source,
        "awsRegion": event.region,
        "account": event.account,
        "principal": event.principal,
        "sourceIPAddress": event.source_ip,
        "userAgent": event.user_agent,
        "readOnly": event.read_only,
        "readOnlyInferred": event.read_only_inferred,
        "errorCode": event.error_code,
        "errorMessage": event.error_message,
        "resource": event.resource,
    }


def flags_json(flags: Sequence[RiskFlag]) -> list[dict[str, str]]:
    return [{"name": flag.name, "reason": flag.reason} for flag in flags]


def diff_json(diff: Diff) -> dict[str, object]:
    return {
        "kind": diff.kind,
        "note": diff.note,
        "summary": {status.code: count for status, count in diff.counts().items()},
        "rows": [_row_json(row) for row in diff.rows],
    }


def _row_json(row: DiffRow) -> dict[str, object]:
    found: dict[str, object] = {"key": row.key, "status": row.status.code}
    for name, value in (
        ("requested", row.requested),
        ("response", row.response),
        ("pending", row.pending),
    ):
        if value is not MISSING:
            found[name] = value
    found["note"] = row.detail
    return found


def _unknown(value: object) -> object:
    """What orjson cannot write itself: a gap of a projection inside a list (MISSING, where
    a key cannot be left out) as null, anything else as its text."""
    return None if value is MISSING else str(value)


def _bounded(value: object, depth: int = 0) -> object:
    if isinstance(value, (dict, list)) and depth >= _JSON_DEPTH:
        return ELLIPSIS
    if isinstance(value, dict):
        return {key: _bounded(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_bounded(item, depth + 1) for item in value]
    return value
