"""A `Comparison` as lines for a width: `rdstrail compare`'s text and the compare screen's.

Two columns, LEFT | RIGHT, under a header that names both sides, then one block per
section (request parameters, then the response; or the configuration, then the pending
values), each opened by its counts, one row per leaf:

                 LEFT                           | RIGHT
       event     f15b2ee4-6a74-425a-8629-e91f9e | 862d0921-070d-5d57-bc51-11d9b6
                 6fcc3a                         | 0f80e6
       time      2019-11-14 04:59:26 UTC        | 2019-11-14 04:59:26 UTC
       ...

    Request parameters  ~ 1 changed  = 4 same (hidden: --all shows them)
    ~  dBInstanceClass  "db.t3.micro"           | "db.t3.small"

A path wider than its column has a line of its own and its values go under the columns. A
value wraps within its column at JSON-token boundaries, up to MAX_VALUE_LINES lines, and is
then cut with an ellipsis. Rows of the same value are left out unless asked for, and said
as a count in their section's line.

Every path, value, note and header field is attacker-controlled: text reaches a span only
through `printable` (values through `value_atoms`, which quotes strings with it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal

from rdstrail_tui.present.compare import (
    SECTION_TITLES,
    CompareRow,
    CompareStatus,
    Comparison,
    Section,
    Side,
)
from rdstrail_tui.present.diff.layout import Atom, text_atoms, value_atoms, wrap_atoms
from rdstrail_tui.present.diff.rows import MISSING
from rdstrail_tui.present.json_layout import ELLIPSIS
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import cell_len, head, pad
from rdstrail_tui.present.timefmt import format_time

__all__ = [
    "ABSENT",
    "DIVIDER",
    "MAX_VALUE_LINES",
    "MIN_WIDTH",
    "SAME_HINT",
    "Line",
    "SpanKind",
    "compare_layout",
    "compare_lines",
    "compare_text",
]

SpanKind = Literal[
    "heading",  # LEFT / RIGHT over the columns, and a section's title
    "summary",  # a section's counts
    "label",  # a header field's name
    "field",  # a header field's value
    "path",
    "value",
    "absent",  # the "-" of a side without a value
    "divider",
    "note",
    "more",  # the ellipsis of a cut value
    "gap",
    # A row's symbol, by its status (CompareStatus.code):
    "same",
    "changed",
    "only-left",
    "only-right",
    "masked",
]
Span = tuple[str, SpanKind]
Line = tuple[Span, ...]

MIN_WIDTH: Final = 40
MAX_VALUE_LINES: Final = 3
# The header's fields wrap further: an eventID is copied whole, never cut.
MAX_FIELD_LINES: Final = 4
# The path column: at most this wide, and at most two fifths of the line.
MAX_PATH_COLUMN: Final = 32
DIVIDER: Final = " | "
ABSENT: Final = "-"
SYMBOL_GAP: Final = 2
PATH_GAP: Final = 2
NOTE_PREFIX: Final = "note: "
SAME_HINT: Final = "--all shows them"
_LEAD: Final = 1 + SYMBOL_GAP  # the symbol and the gap after it
# Paths a few cells longer than nine in ten still fit: overflowing by a cell reads as a glitch.
_PATH_SLACK: Final = 4
_GROUP_GAP: Final = "  "
_SYMBOL_KINDS: Final[dict[CompareStatus, SpanKind]] = {
    CompareStatus.SAME: "same",
    CompareStatus.CHANGED: "changed",
    CompareStatus.ONLY_LEFT: "only-left",
    CompareStatus.ONLY_RIGHT: "only-right",
    CompareStatus.MASKED: "masked",
}
_EVENT_LABELS: Final = ("event", "time", "operation", "principal", "error", "resource")
_STATE_LABELS: Final = ("title", "event", "time")
_LABEL_COLUMN: Final = max(len(label) for label in (*_EVENT_LABELS, *_STATE_LABELS))
# A section's counts, what differs first.
_COUNT_ORDER: Final = (
    CompareStatus.CHANGED,
    CompareStatus.ONLY_LEFT,
    CompareStatus.ONLY_RIGHT,
    CompareStatus.MASKED,
    CompareStatus.SAME,
)


# Terminal cells, one cut and one pad for every view (present/shorten.py).
_cells = cell_len
_head = head
_pad = pad


def _cut(text: str, cells: int, ellipsis: str) -> str:
    return text if _cells(text) <= cells else _head(text, max(0, cells - 1)) + ellipsis


class _Columns:
    """Where things go on a line of `width` cells, for paths of `path` cells."""

    def __init__(self, width: int, path: int) -> None:
        self.width = width
        self.path = path
        room = width - _LEAD - path - PATH_GAP - len(DIVIDER)
        self.left = max(1, room // 2)
        self.right = max(1, room - self.left)

    @property
    def values_at(self) -> int:
        return _LEAD + self.path + PATH_GAP


def _path_column(rows: Iterable[CompareRow], width: int) -> int:
    """Wide enough for nine paths in ten (and a few cells more), up to MAX_PATH_COLUMN and
    two fifths of the width: one long path does not narrow every value, it takes a line
    of its own."""
    cap = max(1, min(MAX_PATH_COLUMN, (width - _LEAD) * 2 // 5))
    # Paths too long for any column do not count: they have their own lines anyway.
    widths = sorted(w for w in (_cells(printable(row.path)) for row in rows) if w <= cap)
    if not widths:
        return min(cap, _LABEL_COLUMN)
    covered = widths[-(-len(widths) * 9 // 10) - 1] + _PATH_SLACK
    return max(w for w in widths if w <= covered)


def _finished(lines: list[list[Span]], more: bool, cells: int, ellipsis: str) -> list[list[Span]]:
    """`lines`, the last one ending with an ellipsis (within `cells`) when some was cut."""
    if not more or not lines:
        return lines
    kept: list[Span] = []
    used = 0
    for text, kind in lines[-1]:
        room = cells - 1 - used
        piece = _head(text, room) if room > 0 else ""
        if piece:
            kept.append((piece, kind))
            used += _cells(piece)
        if piece != text:
            break
    while kept and kept[-1][1] == "gap":
        kept.pop()
    lines[-1] = [*kept, (ellipsis, "more")]
    return lines


def _wrapped(
    atoms: Iterable[Atom], cells: int, limit: int | None, kind: SpanKind, ellipsis: str
) -> list[list[Span]]:
    """`atoms` wrapped into a column of `cells` (the diff's wrapping: at JSON-token and word
    boundaries, an id broken after a `-` or `/`), their text as `kind`, cut with an ellipsis
    past `limit` lines."""
    lines, more = wrap_atoms(atoms, cells, cells, limit=limit)
    spans = [[(text, _kind_of(found, kind)) for text, found in line] for line in lines]
    return _finished(spans, more, cells, ellipsis)


def _kind_of(found: str, kind: SpanKind) -> SpanKind:
    return "gap" if found == "gap" else kind


def _value_lines(value: object, cells: int, ellipsis: str) -> list[list[Span]]:
    if value is MISSING:
        return [[(ABSENT, "absent")]]
    return _wrapped(value_atoms(value), cells, MAX_VALUE_LINES, "value", ellipsis)


def _field_lines(text: str, cells: int, ellipsis: str) -> list[list[Span]]:
    """Header text (plain, not JSON) in its column."""
    if not text:
        return [[(ABSENT, "absent")]]
    return _wrapped(text_atoms(text, "value"), cells, MAX_FIELD_LINES, "field", ellipsis)


def _span_cells(spans: Iterable[Span]) -> int:
    return sum(_cells(text) for text, _ in spans)


def _two_columns(
    start: list[Span],
    left: list[list[Span]],
    right: list[list[Span]],
    columns: _Columns,
) -> list[Line]:
    """The lines of two wrapped values side by side, after `start` on the first line (the
    symbol and the path, padded to the values' column)."""
    lines: list[Line] = []
    for index in range(max(len(left), len(right))):
        head = start if index == 0 else [(" " * columns.values_at, "gap")]
        here = left[index] if index < len(left) else []
        there = right[index] if index < len(right) else []
        fill = columns.left - _span_cells(here)
        line: list[Span] = [*head, *here, (" " * max(0, fill), "gap"), (DIVIDER, "divider")]
        line.extend(there)
        lines.append(tuple(line))
    return lines


def _header(result: Comparison, columns: _Columns, ellipsis: str) -> list[Line]:
    lead = " " * (columns.values_at)
    lines: list[Line] = [
        (
            (lead, "gap"),
            (_pad("LEFT", columns.left), "heading"),
            (DIVIDER, "divider"),
            ("RIGHT", "heading"),
        )
    ]
    labels = _STATE_LABELS if result.kind == "configurations" else _EVENT_LABELS
    for label in labels:
        values = [_field(side, label) for side in (result.left, result.right)]
        if label == "title" and not any(values):
            continue
        start: list[Span] = [(" " * _LEAD, "gap"), (_pad(label, columns.path + PATH_GAP), "label")]
        lines.extend(
            _two_columns(
                start,
                _field_lines(values[0], columns.left, ellipsis),
                _field_lines(values[1], columns.right, ellipsis),
                columns,
            )
        )
    return lines


def _field(side: Side, label: str) -> str:
    if label == "event":
        return side.event_id
    if label == "time":
        return f"{format_time(side.time)} UTC" if side.time is not None else ""
    if label == "operation":
        return side.event_name
    if label == "principal":
        return side.principal
    if label == "error":
        return side.error or ""
    if label == "resource":
        return side.resource
    return side.title


def _note_lines(note: str, width: int) -> list[Line]:
    indent = len(NOTE_PREFIX)
    lines = _wrapped(text_atoms(note, "note"), width - indent, None, "note", ELLIPSIS)
    first: Span = (NOTE_PREFIX, "note")
    gap: Span = (" " * indent, "gap")
    return [(first if index == 0 else gap, *line) for index, line in enumerate(lines)]


def _section_heading(
    result: Comparison, section: Section, show_same: bool, hint: str, width: int
) -> list[Line]:
    counts = result.counts(section)
    title = SECTION_TITLES[section]
    if not any(counts.values()):
        return [((f"{title}: nothing recorded on either side", "heading"),)]
    groups: list[str] = []
    for status in _COUNT_ORDER:
        count = counts[status]
        if not count:
            continue
        group = f"{status.symbol} {count} {status.label}"
        if status is CompareStatus.SAME and not show_same:
            group += f" (hidden: {hint})"
        groups.append(group)
    lines: list[list[Span]] = [[(title, "heading")]]
    used = _cells(title)
    for group in groups:
        cells = len(_GROUP_GAP) + _cells(group)
        if used + cells > width:
            lines.append([(_cut(group, width, ELLIPSIS), "summary")])
            used = _cells(group)
        else:
            lines[-1].extend([(_GROUP_GAP, "gap"), (group, "summary")])
            used += cells
    return [tuple(line) for line in lines]


def _row_lines(row: CompareRow, columns: _Columns, ellipsis: str) -> list[Line]:
    symbol: Span = (row.status.symbol, _SYMBOL_KINDS[row.status])
    path = printable(row.path)
    lead: list[Span] = [symbol, (" " * SYMBOL_GAP, "gap")]
    left = _value_lines(row.left, columns.left, ellipsis)
    right = _value_lines(row.right, columns.right, ellipsis)
    if _cells(path) <= columns.path:
        start = [*lead, (_pad(path, columns.path + PATH_GAP), "path")]
        return _two_columns(start, left, right, columns)
    # A long path: its own line (cut only when longer than the whole line), values below.
    own: Line = (*lead, (_cut(path, columns.width - _LEAD, ellipsis), "path"))
    return [own, *_two_columns([(" " * columns.values_at, "gap")], left, right, columns)]


def compare_layout(
    result: Comparison,
    width: int,
    *,
    show_same: bool = False,
    same_hint: str = SAME_HINT,
    ellipsis: str = ELLIPSIS,
) -> list[Line]:
    """The lines of `result` at `max(width, MIN_WIDTH)` cells: the header, the notes, then
    each section's counts and rows (rows of the same value only with `show_same`; the
    section's line says how many there are and `same_hint` how to show them)."""
    width = max(width, MIN_WIDTH)
    shown = [row for row in result.rows if show_same or row.status is not CompareStatus.SAME]
    # The header has its own columns: its labels are short, and its values (an eventID)
    # read better whole on one line than aligned with the rows' columns.
    lines = _header(result, _Columns(width, _LABEL_COLUMN), ellipsis)
    columns = _Columns(width, _path_column(shown, width))
    for note in result.notes:
        lines.extend(_note_lines(note, width))
    for section in result.sections:
        lines.append(())
        lines.extend(_section_heading(result, section, show_same, same_hint, width))
        for row in shown:
            if row.section == section:
                lines.extend(_row_lines(row, columns, ellipsis))
    return [_without_trailing_spaces(line) for line in lines]


def _without_trailing_spaces(line: Line) -> Line:
    """A wrapped string keeps the space after its last word: no line ends with one."""
    spans = list(line)
    while spans:
        text, kind = spans[-1]
        if text.rstrip(" ") != text:
            spans[-1] = (text.rstrip(" "), kind)
        if spans[-1][0]:
            break
        spans.pop()
    return tuple(spans)


def line_text(line: Line) -> str:
    return "".join(text for text, _ in line)


def compare_lines(
    result: Comparison, width: int, *, show_same: bool = False, ellipsis: str = ELLIPSIS
) -> list[str]:
    """`compare_layout` as plain lines of text."""
    layout = compare_layout(result, width, show_same=show_same, ellipsis=ellipsis)
    return [line_text(line) for line in layout]


def compare_text(
    result: Comparison, width: int, *, show_same: bool = False, ellipsis: str = ELLIPSIS
) -> str:
    """The comparison as text for a terminal or a ticket, each line at most
    `max(width, MIN_WIDTH)` cells, ending with a newline."""
    return "\n".join(compare_lines(result, width, show_same=show_same, ellipsis=ellipsis)) + "\n"
