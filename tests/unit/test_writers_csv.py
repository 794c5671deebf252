"""The CSV writer: RFC 4180 line ends, the BOM only when asked, the request and response as
JSON cells that read back whole, and cells a spreadsheet or a terminal cannot be driven by."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.model.risk import INFERRED_READ_ONLY
from rdstrail_tui.present.writers import CSV_HEADER, UTF8_BOM, csv_rows, write_csv
from tests.conftest import load_shared_records, make_record

REQUEST = CSV_HEADER.index("requestParameters")
RESPONSE = CSV_HEADER.index("responseElements")
MESSAGE = CSV_HEADER.index("errorMessage")


def event_of(record: dict[str, Any], *, with_raw: bool = True) -> Event:
    event = event_from_record(record, json.dumps(record).encode())
    return event if with_raw else event._replace(raw=b"")


def written(events: list[Event], **options: bool) -> str:
    out = io.StringIO(newline="")
    assert write_csv(events, out, **options) == len(events)
    return out.getvalue()


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix(UTF8_BOM), newline="")))


def test_the_header_names_the_json_and_error_columns() -> None:
    assert CSV_HEADER[-2:] == ("requestParameters", "responseElements")
    assert "errorMessage" in CSV_HEADER
    assert rows_of(written([]))[0] == list(CSV_HEADER)


def test_round_trip_of_the_shared_records() -> None:
    records = load_shared_records()
    rows = rows_of(written([event_of(record) for record in records]))
    assert len(rows) == 1 + len(records)
    for record, row in zip(records, rows[1:]):
        assert len(row) == len(CSV_HEADER)
        assert row[CSV_HEADER.index("eventID")] == record["eventID"]
        for index, key in ((REQUEST, "requestParameters"), (RESPONSE, "responseElements")):
            value = record.get(key)
            assert (json.loads(row[index]) if row[index] else None) == value
        assert row[MESSAGE] == (record.get("errorMessage") or "")


def test_json_cells_are_compact_and_whole() -> None:
    parameters = {"dBInstanceIdentifier": "prod-db", "tags": [{"key": "k", "value": "v" * 5000}]}
    record = make_record(requestParameters=parameters, responseElements={"port": 5432})
    row = rows_of(written([event_of(record)]))[1]
    assert row[REQUEST] == json.dumps(parameters, separators=(",", ":"))
    assert row[RESPONSE] == '{"port":5432}'


def test_lines_end_with_crlf() -> None:
    # A JSON cell holds commas and quotes, so it is quoted; still one line per record.
    text = written([event_of(make_record()), event_of(make_record())])
    assert text.count("\r\n") == 3
    assert "\n" not in text.replace("\r\n", "")
    assert text.endswith("\r\n")


def test_the_bom_only_when_asked() -> None:
    events = [event_of(make_record())]
    plain = written(events)
    assert not plain.startswith(UTF8_BOM) and UTF8_BOM not in plain
    marked = written(events, bom=True)
    assert marked.startswith(UTF8_BOM) and marked.count(UTF8_BOM) == 1
    assert marked[1:] == plain
    assert marked.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_without_the_raw_record_the_json_cells_are_empty() -> None:
    record = make_record(requestParameters={"dBInstanceIdentifier": "prod-db"})
    row = next(csv_rows([event_of(record, with_raw=False)]))
    assert (row[REQUEST], row[RESPONSE]) == ("", "")
    assert row[CSV_HEADER.index("resource")] == "prod-db"


def test_null_parameters_are_empty_cells() -> None:
    row = next(csv_rows([event_of(make_record(requestParameters=None, responseElements=None))]))
    assert (row[REQUEST], row[RESPONSE]) == ("", "")


def test_a_formula_looking_request_parameter_cannot_run() -> None:
    formula = '=HYPERLINK("http://x","y")'
    record = make_record(
        requestParameters={"dBInstanceIdentifier": formula},
        errorMessage="+cmd|' /C calc'!A0",
        errorCode="@SUM(A1)",
    )
    row = rows_of(written([event_of(record)]))[1]
    # Inside a JSON object the value never starts the cell; its own column is neutralised.
    assert row[REQUEST].startswith("{")
    assert json.loads(row[REQUEST]) == {"dBInstanceIdentifier": formula}
    assert row[CSV_HEADER.index("resource")] == "'" + formula
    assert row[MESSAGE] == "'+cmd|' /C calc'!A0"
    assert row[CSV_HEADER.index("errorCode")] == "'@SUM(A1)"
    for cell in row:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


def test_a_request_that_is_a_bare_formula_string_is_neutralised_too() -> None:
    # Not what RDS writes, but a record is whatever its writer made it.
    row = next(csv_rows([event_of(make_record(requestParameters=-1))]))
    assert row[REQUEST] == "'-1"


def test_hostile_text_in_json_cells_stays_json_and_printable() -> None:
    hostile = "evil\x1b[2J\x07\u202e\x9b\n\x7f"
    record = make_record(
        requestParameters={"dBInstanceIdentifier": hostile, hostile: 1},
        errorMessage=hostile,
    )
    row = rows_of(written([event_of(record)]))[1]
    for char in "\x1b\x07\u202e\x9b\n\x7f":
        assert all(char not in cell for cell in row)
    assert json.loads(row[REQUEST]) == {"dBInstanceIdentifier": hostile, hostile: 1}
    assert row[MESSAGE] == "evil\\x1b[2J\\x07\\u202e\\x9b\\n\\x7f"


def test_unicode_stays_readable_in_json_cells() -> None:
    record = make_record(requestParameters={"tags": [{"key": "équipe", "value": "データ"}]})
    row = next(csv_rows([event_of(record)]))
    assert "équipe" in row[REQUEST] and "データ" in row[REQUEST]


def test_read_only_is_the_records_own_never_the_inferred() -> None:
    """An old record without readOnly: the explorer infers a write, the CSV says nothing."""
    base = Event("e", 0, "ModifyDBInstance", "rds.amazonaws.com", "", "", "", "", "", False,
                 None, None, "", b"{}")  # fmt: skip
    recorded, inferred = csv_rows([base, base._replace(flags=INFERRED_READ_ONLY)])
    column = CSV_HEADER.index("readOnly")
    assert (recorded[column], inferred[column]) == ("false", "")
