"""Writers of events: table, JSON Lines, JSON and CSV, streamed row by row. The CLI's query
uses them, and so will an export from the explorer."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from itertools import chain, islice
from typing import IO

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.columns import COLUMN_GAP, TABLE_COLUMNS, cell, fit_columns
from rdstrail_tui.present.sanitize import printable

FORMATS = ("table", "jsonl", "json", "csv")
# Rows looked at to size the table's columns before streaming the rest.
SAMPLE_ROWS = 500


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
            cell(value, w, ellipsis) if truncate else value.ljust(w)
            for value, w in zip(values, widths)
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
            datetime.fromtimestamp(e.event_time, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
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
