"""Writers of events: table, JSON Lines, JSON and CSV, streamed row by row. The CLI's query
uses them, and so will an export from the explorer."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from itertools import chain, islice
from typing import IO

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.columns import COLUMN_GAP, TABLE_COLUMNS, cell, fit_columns
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import pad

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
            cell(value, w, ellipsis, column.keep) if truncate else pad(value, w)
            for value, w, column in zip(values, widths, TABLE_COLUMNS)
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
    # Compact JSON text from the raw record, so the events must be fetched with it
    # (Cache.events(..., with_raw=True)); without it these cells are empty.
    "requestParameters",
    "responseElements",
)
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# RFC 4180 ends records with CRLF; spreadsheets and csv readers everywhere accept it.
CSV_LINE_END = "\r\n"
# Excel reads a CSV as UTF-8 only when the file starts with a byte order mark.
UTF8_BOM = "\ufeff"


def neutralise(cell: str) -> str:
    """Make a cell inert in a spreadsheet: a leading quote keeps it text."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _json_cells(raw: bytes) -> tuple[str, str]:
    """requestParameters and responseElements of a raw record as compact JSON text; empty
    where the record has none (null or absent) or was not fetched."""
    if not raw:
        return "", ""
    try:
        record = json.loads(raw)
    except ValueError:  # the cache holds only records that parsed; never fail an export
        return "", ""
    if not isinstance(record, dict):
        return "", ""
    return _json_text(record.get("requestParameters")), _json_text(record.get("responseElements"))


def _json_text(value: object) -> str:
    if value is None:
        return ""
    # C0 controls are escaped by json itself; the rest a terminal would act on become
    # \uXXXX escapes too, so the cell is both valid JSON and safe to print.
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _TERMINAL_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def csv_rows(events: Iterable[Event]) -> Iterator[list[str]]:
    """One row per event, in CSV_HEADER's order, every cell printable and inert."""
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
            # The record's own readOnly: empty where it has none, even when the explorer
            # infers one from the operation's name (is:write still selects those rows).
            "" if e.read_only is None or e.read_only_inferred else str(e.read_only).lower(),
            e.error_code or "",
            e.error_message or "",
            e.user_agent,
            e.event_id,
            *_json_cells(e.raw),
        ]
        # Escaped too: a CSV written to a terminal must not drive it either.
        yield [neutralise(printable(value)) for value in values]


def write_csv(events: Iterable[Event], out: IO[str], *, bom: bool = False) -> int:
    """CSV (RFC 4180: CRLF line ends, quoted where needed) of `events`, which should carry
    their raw records for the JSON columns; with `bom`, a UTF-8 byte order mark first, for
    spreadsheets. A file given as `out` must be opened with newline="" so the CRLF stays
    as written. Returns the rows written."""
    if bom:
        out.write(UTF8_BOM)
    writer = csv.writer(out, lineterminator=CSV_LINE_END)
    writer.writerow(CSV_HEADER)
    written = 0
    for row in csv_rows(events):
        writer.writerow(row)
        written += 1
    return written


def write_csv_bytes(events: Iterable[Event], out: IO[bytes], *, bom: bool = False) -> int:
    """CSV onto a byte stream (stdout's buffer, an export file) as UTF-8 whatever the locale
    says (the BOM claims UTF-8), its CRLF line ends untouched by the text layer. The stream
    stays open."""
    text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", newline="", write_through=True)
    try:
        written = write_csv(events, text, bom=bom)
        text.flush()
    finally:
        text.detach()
    return written
