"""`rdstrail show EVENTID`: the card, the risk flags and the diff of one event as text that
fits a width, or as JSON with the same statuses as the explorer's diff; an unknown id or a
missing cache is one line and exit 1."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.demo.guide import guide_record
from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.present.card import card_lines
from rdstrail_tui.present.diff import diff_record
from rdstrail_tui.present.show import (
    DIFF_TITLE,
    FLAGS_TITLE,
    SET_BY_AWS_TITLE,
    show_json_bytes,
    show_lines,
)
from tests.conftest import Result, make_record, write_trail

Run = Callable[..., Result]

STATUS_CODES = ("applied", "changed", "pending", "masked", "request-only", "set-by-aws")
# What a terminal acts on: C0 and C1 controls, DEL, bidi marks, line separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def event_of(record: dict[str, Any]) -> Event:
    return event_from_record(record, json.dumps(record).encode())


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def rows_by_key(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in document["diff"]["rows"]}


def pending_modify() -> dict[str, Any]:
    """A ModifyDBInstance whose response holds the old class, the new one pending."""
    return make_record(
        requestParameters={
            "dBInstanceIdentifier": "orders-prod",
            "dBInstanceClass": "db.r6g.2xlarge",
            "applyImmediately": False,
        },
        responseElements={
            "dBInstanceIdentifier": "orders-prod",
            "dBInstanceClass": "db.r6g.xlarge",
            "engine": "postgres",
            "preferredBackupWindow": None,
            "pendingModifiedValues": {"dBInstanceClass": "db.r6g.2xlarge"},
        },
    )


# -- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_text_starts_with_the_card_and_fits_the_width(width: int) -> None:
    record = guide_record()
    event = event_of(record)
    lines = show_lines(event, record, width)
    card = card_lines(event, record, width)
    assert lines[: len(card)] == card
    too_wide = [line for line in lines if cells(line) > width]
    assert not too_wide, too_wide


def test_text_has_the_flags_the_summary_and_a_line_per_row() -> None:
    record = guide_record()
    lines = show_lines(event_of(record), record, 80)
    assert f"{FLAGS_TITLE}" in lines
    assert "  unencrypted: created with unencrypted storage" in lines
    title = lines.index(DIFF_TITLE)
    diff = diff_record(record)
    assert lines[title + 1] == diff.summary()
    table = lines[title + 2 :]
    assert table[0].split() == ["KEY", "REQUESTED", "RESPONSE", "NOTE"]
    # Every row once, by its symbol and key; the keys set by AWS in a table of their own.
    for row in diff.rows:
        found = [line for line in table if line.split()[:2] == [row.status.symbol, row.key]]
        assert len(found) == 1, (row, found)
    assert re.fullmatch(r"=  dBInstanceIdentifier +\"test-instance\" +\"test-instance\"", table[2])
    aws_header = table.index(next(line for line in table if SET_BY_AWS_TITLE in line))
    assert table[aws_header - 1] == ""
    assert table[aws_header].split() == ["SET", "BY", "AWS", "RESPONSE"]
    assert all(line.startswith("+  ") for line in table[aws_header + 1 :])
    assert "+  storageEncrypted" in "\n".join(table[aws_header + 1 :])


def test_a_value_too_long_is_cut_with_one_ellipsis_and_absent_values_are_dashes() -> None:
    record = pending_modify()
    record["requestParameters"]["dBInstanceIdentifier"] = "orders-" + "x" * 120
    record["responseElements"]["dBInstanceIdentifier"] = "orders-" + "x" * 120
    lines = show_lines(event_of(record), record, 80)
    [identifier] = [line for line in lines if "dBInstanceIdentifier" in line]
    assert identifier.count("…") == 2  # requested and response, each cut once
    assert cells(identifier) <= 80
    [flag] = [line for line in lines if line.startswith(".  applyImmediately")]
    assert re.fullmatch(r"\.  applyImmediately +false +-", flag)
    # Its note did not fit the column: it follows, whole, under the values.
    note = lines[lines.index(flag) + 1]
    assert note.strip() == "a call parameter, not a DBInstance field"
    assert note.startswith(" " * 10) and cells(note) <= 80
    [pending] = [line for line in lines if line.startswith(">  dBInstanceClass")]
    assert '"db.r6g.2xlarge"' in pending and '"db.r6g.xlarge"' in pending
    # An output that cannot write "…" gets another one-cell mark.
    narrow = show_lines(event_of(record), record, 80, ellipsis="~")
    assert not any("…" in line for line in narrow[narrow.index(DIFF_TITLE) :])


def test_a_key_wider_than_its_column_stays_whole() -> None:
    long_key = "pendingCloudwatchLogsExportsOfAVeryLongKeyName"
    record = pending_modify()
    record["responseElements"][long_key] = ["audit", "error"]
    lines = show_lines(event_of(record), record, 80)
    [line] = [line for line in lines if long_key in line]
    assert line.startswith(f"+  {long_key}  ")
    assert '["audit"' in line
    assert cells(line) <= 80


def test_no_flags_is_said_and_a_failed_call_keeps_its_code_in_the_summary() -> None:
    record = make_record(
        errorCode="DBInstanceNotFound",
        errorMessage="DBInstance orders-prod not found.",
        responseElements=None,
    )
    lines = show_lines(event_of(record), record, 80)
    assert f"{FLAGS_TITLE}: none" in lines
    summary = lines[lines.index(DIFF_TITLE) + 1]
    assert summary.startswith("failed: DBInstanceNotFound")
    assert any("DBInstance orders-prod not found." in line for line in lines)


def test_hostile_text_is_printable_everywhere() -> None:
    evil = "x\x1b]52;c;AAAA\x07\x1b[2J\u202egnp.exe\n\r\x9b31m"
    record = make_record(
        eventName="ModifyDBInstance" + evil,
        userAgent=evil,
        sourceIPAddress=evil,
        errorCode="Denied" + evil,
        errorMessage=evil,
        requestParameters={"dBInstanceIdentifier": evil, "k" + evil: [evil, {evil: evil}]},
        responseElements={"dBInstanceIdentifier": evil, evil: evil},
    )
    for width in (40, 80, 160):
        lines = show_lines(event_of(record), record, width)
        unsafe = [line for line in lines if UNSAFE.search(line)]
        assert not unsafe, unsafe
        assert any("\\x1b" in line for line in lines)
    record["errorCode"] = None
    record["errorMessage"] = None
    lines = show_lines(event_of(record), record, 200)
    assert not [line for line in lines if UNSAFE.search(line)]
    assert any(line.startswith("+  x\\x1b]52;c;AAAA") for line in lines)


def test_risk_flags_are_listed_one_a_line_with_their_reason() -> None:
    record = make_record(
        eventName="ModifyDBSnapshotAttribute",
        requestParameters={
            "dBSnapshotIdentifier": "orders-snap",
            "attributeName": "restore",
            "valuesToAdd": ["all", "444455556666"],
        },
        responseElements=None,
    )
    lines = show_lines(event_of(record), record, 120)
    start = lines.index(FLAGS_TITLE)
    assert lines[start + 1 : start + 3] == [
        "  snapshot-public: snapshot made public: any AWS account can copy or restore it",
        "  snapshot-shared: snapshot shared with another AWS account, which can copy or restore it",
    ]
    # Narrower, a reason goes on under itself rather than being cut.
    lines = show_lines(event_of(record), record, 50)
    start = lines.index(FLAGS_TITLE)
    end = lines.index("", start)
    flag_text = lines[start + 1 : end]
    assert all(cells(line) <= 50 for line in flag_text)
    assert [line for line in flag_text if not line.startswith("    ")] == [
        "  snapshot-public: snapshot made public: any AWS",
        "  snapshot-shared: snapshot shared with another",
    ]
    assert " ".join(line.strip() for line in flag_text[:2]) == (
        "snapshot-public: snapshot made public: any AWS account can copy or restore it"
    )
    assert "…" not in "".join(flag_text)
    document = json.loads(show_json_bytes(event_of(record), record))
    assert [flag["name"] for flag in document["flags"]] == ["snapshot-public", "snapshot-shared"]


# -- JSON ----------------------------------------------------------------------------------


def test_json_of_the_user_guide_create_has_the_explorers_statuses() -> None:
    """The acceptance case of issue 10: the User Guide's CreateDBInstance."""
    record = guide_record()
    document = json.loads(show_json_bytes(event_of(record), record))
    rows = rows_by_key(document)
    for key in ("dBInstanceIdentifier", "engine", "masterUsername", "allocatedStorage"):
        assert rows[key]["status"] == "applied", rows[key]
    assert rows["dBInstanceClass"]["status"] == "applied"
    assert rows["enableCloudwatchLogsExports"]["status"] == "pending"
    assert rows["masterUserPassword"]["status"] == "masked"
    requested = {key.lower() for key in record["requestParameters"]}
    only_in_response = [
        key
        for key in record["responseElements"]
        if key.lower() not in requested and key != "pendingModifiedValues"
    ]
    assert only_in_response
    for key in only_in_response:
        assert rows[key]["status"] == "set-by-aws", rows[key]
        assert "requested" not in rows[key]
    # The same statuses as the diff the explorer shows.
    diff = diff_record(record)
    assert [(row["key"], row["status"]) for row in document["diff"]["rows"]] == [
        (row.key, row.status.code) for row in diff.rows
    ]
    assert document["diff"]["summary"] == {s.code: n for s, n in diff.counts().items()}
    assert list(document["diff"]["summary"]) == list(STATUS_CODES)
    assert document["diff"]["kind"] == "compared"
    assert document["flags"] == [
        {"name": "unencrypted", "reason": "created with unencrypted storage"}
    ]


def test_json_event_holds_the_normalised_fields() -> None:
    record = guide_record()
    event = json.loads(show_json_bytes(event_of(record), record))["event"]
    assert event == {
        "eventID": record["eventID"],
        "eventTime": "2018-07-30T22:14:06Z",
        "eventName": "CreateDBInstance",
        "eventSource": "rds.amazonaws.com",
        "awsRegion": "us-east-1",
        "account": "123456789012",
        "principal": "johndoe",
        "sourceIPAddress": "72.21.198.65",
        "userAgent": "aws-cli/1.15.42 Python/3.6.1 Darwin/17.7.0 botocore/1.10.42",
        # eventVersion 1.04 has no readOnly: the name says it writes, and that is inferred.
        "readOnly": False,
        "readOnlyInferred": True,
        "errorCode": None,
        "errorMessage": None,
        "resource": "test-instance",
    }


def test_json_leaves_absent_values_out_and_keeps_null() -> None:
    record = pending_modify()
    rows = rows_by_key(json.loads(show_json_bytes(event_of(record), record)))
    assert rows["dBInstanceClass"]["status"] == "pending"
    assert rows["dBInstanceClass"]["requested"] == "db.r6g.2xlarge"
    assert rows["dBInstanceClass"]["response"] == "db.r6g.xlarge"
    assert rows["dBInstanceClass"]["pending"] == "db.r6g.2xlarge"
    assert rows["applyImmediately"]["status"] == "request-only"
    assert "response" not in rows["applyImmediately"]
    assert "pending" not in rows["applyImmediately"]
    # null is a value the response held: it is written, not left out.
    assert rows["preferredBackupWindow"] == {
        "key": "preferredBackupWindow",
        "status": "set-by-aws",
        "response": None,
        "note": "",
    }
    for row in rows.values():
        assert set(row) >= {"key", "status", "note"}
        assert row["status"] in STATUS_CODES


def test_json_is_valid_for_hostile_and_deeply_nested_records() -> None:
    evil = "x\x1b[2J\u202e\x00\ud7ff"
    deep: Any = "bottom"
    for _ in range(400):  # orjson reads this deep, but will not write it
        deep = [deep]
    record = make_record(
        requestParameters={"dBInstanceIdentifier": evil, "deep": deep},
        responseElements={"dBInstanceIdentifier": evil, "deep": deep},
    )
    event = event_from_record(record, json.dumps(record).encode())
    document = json.loads(show_json_bytes(event, record))
    rows = rows_by_key(document)
    # Data, not display: the value is exactly the record's.
    assert rows["dBInstanceIdentifier"]["requested"] == evil
    assert "deep" in rows


# -- the command ---------------------------------------------------------------------------


@pytest.fixture
def guide_loaded(run_cli: Run, tmp_path: Path) -> dict[str, Any]:
    """The User Guide's record and the pending modify, loaded into the test's cache."""
    records = [guide_record(), pending_modify()]
    result = run_cli("load", write_trail(tmp_path / "in" / "trail.json", records))
    assert result.code == 0, result.err
    return {"guide": records[0], "modify": records[1]}


def test_show_json_of_the_user_guide_create(run_cli: Run, guide_loaded: dict[str, Any]) -> None:
    result = run_cli("show", guide_loaded["guide"]["eventID"], "--format", "json")
    assert result.code == 0, result.err
    assert result.err == ""
    document = json.loads(result.out)
    rows = rows_by_key(document)
    assert [rows[k]["status"] for k in ("dBInstanceIdentifier", "engine", "masterUsername")] == [
        "applied"
    ] * 3
    assert rows["allocatedStorage"]["status"] == rows["dBInstanceClass"]["status"] == "applied"
    assert rows["enableCloudwatchLogsExports"]["status"] == "pending"
    assert rows["masterUserPassword"]["status"] == "masked"
    assert rows["storageEncrypted"]["status"] == "set-by-aws"
    assert document["event"]["eventID"] == guide_loaded["guide"]["eventID"]


def test_show_text_fits_80_columns_in_a_pipe_and_columns_when_set(
    run_cli: Run, guide_loaded: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    event_id = guide_loaded["guide"]["eventID"]
    result = run_cli("show", event_id)
    assert result.code == 0, result.err
    lines = result.out_lines
    assert lines[0].startswith("2018-07-30 22:14:06 UTC  CreateDBInstance  OK")
    assert DIFF_TITLE in lines
    assert max(cells(line) for line in lines) == 80  # cut values fill the width
    monkeypatch.setenv("COLUMNS", "132")
    wide = run_cli("show", event_id).out_lines
    assert max(cells(line) for line in wide) <= 132
    assert any('"arn:aws:rds:us-east-1:123456789012:db:test-instance"' in line for line in wide)


def test_show_finds_an_id_pasted_in_upper_case(run_cli: Run, guide_loaded: dict[str, Any]) -> None:
    event_id = guide_loaded["modify"]["eventID"]
    result = run_cli("show", f" {event_id.upper()} ", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["event"]["eventID"] == event_id


def test_an_unknown_id_is_one_line_and_exit_1(
    run_cli: Run, guide_loaded: dict[str, Any], cache_path: Path
) -> None:
    for extra in ((), ("--format", "json")):
        result = run_cli("show", "00000000-0000-4000-8000-000000000000", *extra)
        assert result.code == 1
        assert result.out == ""
        [line] = result.err_lines
        assert line.startswith(
            f"rdstrail: no event 00000000-0000-4000-8000-000000000000 in {cache_path}: "
        )
        assert "rdstrail query" in line


def test_an_unknown_id_is_made_printable(run_cli: Run, guide_loaded: dict[str, Any]) -> None:
    result = run_cli("show", "id\x1b[2J\u202e")
    assert result.code == 1
    [line] = result.err_lines
    assert "id\\x1b[2J\\u202e" in line
    assert not UNSAFE.search(line)


def test_a_missing_cache_is_the_cache_error_and_creates_nothing(
    run_cli: Run, cache_path: Path
) -> None:
    result = run_cli("show", "00000000-0000-4000-8000-000000000000")
    assert result.code == 1
    assert result.out == ""
    assert result.err_lines == [
        f"rdstrail: no cache at {cache_path}: load events first (rdstrail load PATH)"
    ]
    assert not cache_path.exists()


def test_show_on_the_demo(run_cli: Run) -> None:
    listed = run_cli("--demo", "query", "modifydbinstance", "--format", "jsonl", "--limit", "1")
    assert listed.code == 0, listed.err
    event_id = json.loads(listed.out_lines[0])["eventID"]
    for args in (("--demo", "show", event_id), ("show", event_id, "--demo")):
        result = run_cli(*args)
        assert result.code == 0, result.err
        assert "ModifyDBInstance" in result.out_lines[0]
    document = json.loads(run_cli("--demo", "show", event_id, "--format", "json").out)
    assert document["event"]["eventName"] == "ModifyDBInstance"


def test_show_help_fits_80_columns(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    # The help names the cache and config files; a user's are this short, a test's are not.
    monkeypatch.setenv("RDSTRAIL_CACHE", "/home/jane/.cache/rdstrail/events.db")
    monkeypatch.setenv("RDSTRAIL_CONFIG", "/home/jane/.config/rdstrail/config.toml")
    for args in (("show", "--help"), ("--help",)):
        result = run_cli(*args)
        assert result.code == 0
        assert "show" in result.out
        too_long = [line for line in result.out_lines if len(line) > 80]
        assert not too_long, too_long


def test_show_usage_errors_are_one_line(run_cli: Run) -> None:
    for args, words in (
        (("show",), "the following arguments are required: EVENTID"),
        (("show", "x", "--format", "xml"), "--format 'xml': choose text or json"),
    ):
        result = run_cli(*args)
        assert result.code == 2
        [line] = result.err_lines
        assert words in line, line
