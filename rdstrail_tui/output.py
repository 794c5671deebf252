"""Writers for `rdstrail query`: table, JSON Lines, JSON and CSV, streamed row by row."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, islice
from typing import IO

from rdstrail_tui.model import Event
from rdstrail_tui.sanitize import printable
from rdstrail_tui.timefmt import format_time

FORMATS = ("table", "jsonl", "json", "csv")
# Rows looked at to size the table's columns before streaming the rest.
SAMPLE_ROWS = 500
COLUMN_GAP = "  "


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Event], str]
    minimum: int  # never narrower than this
    comfortable: int  # a column is dropped rather than squeezed below this
    maximum: int


# Left to right in order of importance: columns that do not fit are dropped from the right,
# so time and eventName always stay.
TABLE_COLUMNS: tuple[Column, ...] = (
    Column("TIME (UTC)", lambda e: format_time(e.event_time), 19, 19, 19),
    Column("EVENT", lambda e: e.event_name, 12, 22, 40),
    Column("PRINCIPAL", lambda e: e.principal, 10, 14, 40),
    Column("RESOURCE", lambda e: e.resource, 8, 14, 32),
    Column("SOURCE IP", lambda e: e.source_ip, 9, 15, 39),
    Column("REGION", lambda e: e.region, 9, 9, 14),
    Column("ERROR", lambda e: e.error_code or "", 5, 12, 32),
)


def fit_columns(
    rows: list[list[str]],
    width: int | None,
    columns: tuple[Column, ...] = TABLE_COLUMNS,
    natural: list[int] | None = None,
) -> list[int]:
    """Widths for as many columns as fit in `width` (None: no limit), from sampled rows or,
    where the caller knows better (a list that scrolls), the given natural widths."""
    if natural is None:
        natural = [
            max([len(column.header), *(len(row[i]) for row in rows)])
            for i, column in enumerate(columns)
        ]
    if width is None:
        return natural
    wanted = [min(natural[i], column.maximum) for i, column in enumerate(columns)]
    comfortable = [min(wanted[i], column.comfortable) for i, column in enumerate(columns)]
    count = len(columns)
    while count > 2 and _span(comfortable[:count]) > width:
        count -= 1
    widths = comfortable[:count]
    # Room left over goes to the most important columns first, up to what their values need.
    for index in range(count):
        room = width - _span(widths)
        if room <= 0:
            break
        widths[index] += min(room, wanted[index] - widths[index])
    # Still too wide (a very narrow terminal): squeeze from the right, down to the minimums.
    for index in reversed(range(count)):
        excess = _span(widths) - width
        if excess <= 0:
            break
        floor = min(columns[index].minimum, wanted[index])
        widths[index] -= min(excess, max(widths[index] - floor, 0))
    return widths


def _span(widths: list[int]) -> int:
    return sum(widths) + len(COLUMN_GAP) * (len(widths) - 1)


def _cell(text: str, width: int, ellipsis: str) -> str:
    if len(text) > width:
        return text[: max(width - len(ellipsis), 0)] + ellipsis
    return text.ljust(width)


def write_table(
    events: Iterable[Event], out: IO[str], width: int | None, ellipsis: str = "…"
) -> int:
    """A table that fits `width` columns of terminal; returns the rows written."""
    iterator = iter(events)
    sample = list(islice(iterator, SAMPLE_ROWS))

    def cells(event: Event) -> list[str]:
        return [printable(column.value(event)) for column in TABLE_COLUMNS]

    sampled = [cells(event) for event in sample]
    widths = fit_columns(sampled, width)
    truncate = width is not None

    def line(values: list[str]) -> str:
        parts = [
            _cell(value, w, ellipsis) if truncate else value.ljust(w)
            for value, w in zip(values, widths, strict=False)
        ]
        return COLUMN_GAP.join(parts).rstrip()

    out.write(line([column.header for column in TABLE_COLUMNS]) + "\n")
    written = 0
    for row in chain(sampled, (cells(event) for event in iterator)):
        out.write(line(row) + "\n")
        written += 1
    return written


# Valid JSON may still carry these raw; on a terminal they are written as \uXXXX escapes,
# which mean the same to any JSON reader.
_TERMINAL_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def one_line(raw: bytes) -> bytes:
    """A record on one line. JSON strings cannot hold raw line breaks, so the only line
    breaks in a record are whitespace between tokens, and dropping them changes nothing."""
    if b"\n" in raw or b"\r" in raw:
        return raw.replace(b"\r", b"").replace(b"\n", b"")
    return raw


def terminal_safe_json(raw: bytes) -> bytes:
    text = raw.decode("utf-8", errors="replace")
    if not _TERMINAL_UNSAFE_IN_JSON.search(text):
        return raw
    return _TERMINAL_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode()


def write_jsonl(events: Iterable[Event], out: IO[bytes], terminal: bool) -> int:
    written = 0
    for event in events:
        raw = one_line(event.raw)
        out.write((terminal_safe_json(raw) if terminal else raw) + b"\n")
        written += 1
    return written


def write_json(events: Iterable[Event], out: IO[bytes], terminal: bool) -> int:
    """A JSON array of the original records, written as they stream in."""
    written = 0
    out.write(b"[")
    for event in events:
        raw = terminal_safe_json(event.raw) if terminal else event.raw
        out.write((b"\n" if written == 0 else b",\n") + raw)
        written += 1
    out.write(b"\n]\n" if written else b"]\n")
    return written


CSV_HEADER = (
    "eventTime",
    "eventName",
    "eventSource",
    "principal",
    "resource",
    "sourceIPAddress",
    "awsRegion",
    "account",
    "readOnly",
    "errorCode",
    "errorMessage",
    "userAgent",
    "eventID",
)
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(cell: str) -> str:
    """Make a cell inert in a spreadsheet: a leading quote keeps it text."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def csv_rows(events: Iterable[Event]) -> Iterator[list[str]]:
    for e in events:
        values = [
            datetime.fromtimestamp(e.event_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            e.event_name,
            e.event_source,
            e.principal,
            e.resource,
            e.source_ip,
            e.region,
            e.account,
            "" if e.read_only is None else str(e.read_only).lower(),
            e.error_code or "",
            e.error_message or "",
            e.user_agent,
            e.event_id,
        ]
        # Escaped too: a CSV written to a terminal must not drive it either.
        yield [neutralise(printable(value)) for value in values]


def write_csv(events: Iterable[Event], out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    written = 0
    for row in csv_rows(events):
        writer.writerow(row)
        written += 1
    return written
