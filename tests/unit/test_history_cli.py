"""`rdstrail history NAME` and `rdstrail resources`: the timeline and configuration as text
that fits 80 columns and as the issue's JSON, the one-line answers to a name that matches
nothing, several resources or no such life, and the resources list as a table, JSON and
CSV, with hostile values escaped on the terminal and inert in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.cells import cell_len

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import event_from_record
from tests.conftest import Result
from tests.unit.test_resource_history import (
    ACCOUNT,
    HOSTILE_USER,
    OTHER_ACCOUNT,
    config_records,
    db_arn,
    db_instance,
    event_id,
    identity_records,
    record,
    relation_records,
    reuse_records,
)

Run = Callable[..., Result]

# What a terminal acts on: C0 and C1 controls, DEL, bidi marks, line separators.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
ESCAPED_USER = "mallory\\x1b[31m\\u202eeulav"
FORMULA_USER = "=cmd|' /C calc'!A0"
FORMULA_NAME = '=HYPERLINK("http://evil.example","x")'


def hostile_records() -> list[dict[str, Any]]:
    """A caller whose name is a spreadsheet formula, and an instance named like one."""
    return [
        record(
            "formula-name",
            100,
            "CreateDBInstance",
            {"dBInstanceIdentifier": FORMULA_NAME},
            db_instance(FORMULA_NAME, status="creating"),
            user=FORMULA_USER,
        ),
    ]


def store(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with Cache.open(path) as cache:
        cache.insert([event_from_record(r, orjson.dumps(r)) for r in records])


@pytest.fixture
def loaded(cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's cache (RDSTRAIL_CACHE) with every scenario in it, and 80 columns."""
    store(
        cache_path,
        [
            *identity_records(),
            *reuse_records(),
            *relation_records(),
            *config_records(),
            *hostile_records(),
        ],
    )
    monkeypatch.setenv("COLUMNS", "80")
    return cache_path


def too_wide(lines: list[str], width: int = 80) -> list[str]:
    return [line for line in lines if cell_len(line) > width]


def assert_terminal_safe(text: str) -> None:
    assert not UNSAFE.search(text.replace("\n", "")), [
        line for line in text.splitlines() if UNSAFE.search(line)
    ]


# -- rdstrail history: text --------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_history_text_fits_80_columns_with_the_pending_values_status(run_cli: Run) -> None:
    result = run_cli("history", "billing")
    assert (result.code, result.err) == (0, "")
    lines = result.out_lines
    assert lines[0] == f"instance billing ({ACCOUNT}/us-east-1)"
    assert not too_wide(lines), too_wide(lines)
    # The timeline: every write on its line, the refused one marked, the read folded.
    text = result.out
    assert "RebootDBInstance  bob  ok" in text
    assert "ModifyDBInstance  alice  FAILED InvalidParameterCombination" in text
    assert "… 1 read: DescribeDBInstances 1" in text
    # What the reboot did: the class it applied.
    reboot = next(n for n, line in enumerate(lines) if "RebootDBInstance" in line)
    assert "dBInstanceClass db.t3.medium→db.r6g.large" in lines[reboot + 1]
    # The configuration after the last write, the pending value first with its status.
    start = lines.index("configuration after 2024-05-01 10:00:00:")
    config = lines[start + 1 :]
    assert config[0] == "> engineVersion 16.3  still pending"
    assert config[1].strip().startswith("asked 2024-05-01 10:00 by")
    # What became of the class asked before: applied by the reboot.
    assert "= dBInstanceClass db.r6g.large  applied" in config
    assert "  dBInstanceClass = db.r6g.large" in config
    assert "  engineVersion = 16.1" in config
    # The caller's escape sequence and bidi override come out as visible escapes.
    assert ESCAPED_USER in text
    assert_terminal_safe(text)


@pytest.mark.usefixtures("loaded")
def test_history_text_of_a_reused_name_says_which_life(run_cli: Run) -> None:
    latest = run_cli("history", "scratch")
    assert latest.code == 0
    assert latest.out_lines[1].startswith("life 2 of 2 (1: 2024-05-01..2024-05-01 deleted, 2: ")
    assert "DeleteDBInstance" not in latest.out
    first = run_cli("history", "scratch", "--life", "1")
    assert first.code == 0
    assert "life 1 of 2" in first.out
    assert "DeleteDBInstance  bob  ok" in first.out
    assert "DeleteDBInstance  alice  FAILED InvalidParameter" in first.out  # refused: same life
    assert not too_wide(first.out_lines)


@pytest.mark.usefixtures("loaded")
def test_history_text_lists_the_related_resources(run_cli: Run) -> None:
    result = run_cli("history", "prod")
    assert result.code == 0
    assert "  has read replica: instance prod-replica  (2024-05-01 09:10:00)" in result.out_lines
    assert "  has snapshot: snapshot prod-snap  (2024-05-01 09:20:00)" in result.out_lines


@pytest.mark.usefixtures("loaded")
def test_history_by_arn_is_the_history_by_name(run_cli: Run) -> None:
    by_arn = run_cli("history", db_arn("billing"))
    assert by_arn.code == 0
    assert by_arn.out == run_cli("history", "BILLING").out


def test_history_text_fits_with_wide_characters(
    run_cli: Run, cache_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide_user = {
        "type": "SAMLUser",
        "principalId": "SAMPLE:yamada",
        "userName": "山田太郎" * 7,
        "identityProvider": "idp",
    }
    create = record(
        "wide-create",
        0,
        "CreateDBInstance",
        {"dBInstanceIdentifier": "wide"},
        db_instance("wide", status="creating"),
    )
    store(cache_path, [{**create, "userIdentity": wide_user}])
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("history", "wide")
    assert result.code == 0
    assert not too_wide(result.out_lines), too_wide(result.out_lines)


# -- rdstrail history: JSON --------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_history_json_has_the_issues_shape(run_cli: Run) -> None:
    result = run_cli("history", "billing", "--format", "json")
    assert (result.code, result.err) == (0, "")
    assert "\x1b" not in result.out  # JSON escapes controls
    document = json.loads(result.out)
    assert document["resource"] == {
        "type": "instance",
        "account": ACCOUNT,
        "region": "us-east-1",
        "identifier": "billing",
        "names": ["billing"],
    }
    assert document["related"] == []
    events = document["events"]
    assert events[0]["eventID"] == event_id("billing-create")
    for event in events:
        assert {"eventID", "time", "eventName", "principal", "error", "changes"} <= event.keys()
    times = [e["time"] for e in events]
    assert times == sorted(times)  # oldest first
    by_id = {e["eventID"]: e for e in events}
    reboot = by_id[event_id("billing-reboot")]
    assert reboot["eventName"] == "RebootDBInstance" and reboot["principal"] == "bob"
    assert reboot["error"] is None
    assert reboot["changes"]["dBInstanceClass"] == {"from": "db.t3.medium", "to": "db.r6g.large"}
    assert by_id[event_id("billing-failed-modify")]["error"] == "InvalidParameterCombination"
    assert by_id[event_id("billing-failed-modify")]["changes"] == {}
    # One configuration per write, oldest first; the read has none.
    config = document["config"]
    assert len(config) == 7
    assert {"eventID", "time", "attributes", "pending"} <= config[0].keys()
    assert config[0]["attributes"]["dBInstanceClass"] == "db.t3.medium"
    at_reboot = next(c for c in config if c["eventID"] == event_id("billing-reboot"))
    assert at_reboot["attributes"]["dBInstanceClass"] == "db.r6g.large"
    applied = at_reboot["pending"]["dBInstanceClass"]
    assert applied["value"] == "db.r6g.large" and applied["status"] == "applied"
    assert applied["requested_by"]["eventID"] == event_id("billing-modify-class")
    assert applied["requested_by"]["principal"] == "carol"
    last = config[-1]["pending"]
    assert last["engineVersion"]["value"] == "16.3"
    assert last["engineVersion"]["status"] == "still-pending"
    assert last["engineVersion"]["requested_by"] == {
        "eventID": event_id("billing-upgrade-again"),
        "principal": HOSTILE_USER,  # the value as recorded: JSON carries it escaped
        "time": "2024-05-01 10:00:00",
    }
    assert config[-1]["eventID"] == event_id("billing-upgrade-again")
    # The first upgrade, replaced by the second, ended in the state of the one replacing it.
    assert config[-2]["pending"]["engineVersion"]["status"] == "pending"
    assert config[-2]["pending"]["engineVersion"]["value"] == "16.2"


@pytest.mark.usefixtures("loaded")
def test_history_json_of_related_resources(run_cli: Run) -> None:
    document = json.loads(run_cli("history", "prod-snap", "--format", "json").out)
    assert [(r["type"], r["identifier"], r["relation"]) for r in document["related"]] == [
        ("instance", "prod", "snapshot-of"),
        ("instance", "prod-restored", "restored-into"),
    ]


# -- rdstrail history: names that pick nothing, or several -----------------------------------


@pytest.mark.usefixtures("loaded")
def test_a_name_matching_nothing_is_one_line_and_exit_1(run_cli: Run) -> None:
    result = run_cli("history", "no-such-db\x1b[2J\u202e")
    assert result.code == 1 and result.out == ""
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("rdstrail: no resource no-such-db\\x1b[2J\\u202e")
    assert_terminal_safe(result.err)


@pytest.mark.usefixtures("loaded")
def test_a_name_in_two_accounts_lists_both_and_exit_1(run_cli: Run) -> None:
    result = run_cli("history", "orders-prod")
    assert result.code == 1 and result.out == ""
    assert "orders-prod names 2 resources" in result.err_lines[0]
    listed = result.err_lines[1:]
    assert len(listed) == 2
    assert any(f"--account {ACCOUNT}" in line for line in listed)
    assert any(f"--account {OTHER_ACCOUNT}" in line for line in listed)
    picked = run_cli("history", "orders-prod", "--account", OTHER_ACCOUNT)
    assert (picked.code, picked.err) == (0, "")
    assert picked.out_lines[0] == f"instance orders-prod ({OTHER_ACCOUNT}/us-east-1)"
    assert "CreateDBInstance  bob  ok" in picked.out


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("life", ["3", "99"])
def test_a_life_out_of_range_is_one_line_and_exit_1(run_cli: Run, life: str) -> None:
    result = run_cli("history", "scratch", "--life", life)
    assert result.code == 1 and result.out == ""
    assert result.err_lines == ["rdstrail: scratch has 2 lives: --life takes 1 to 2"]


# -- rdstrail resources ------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_the_resources_table_fits_80_columns(run_cli: Run) -> None:
    result = run_cli("resources")
    assert (result.code, result.err) == (0, "")
    lines = result.out_lines
    assert lines[0].startswith("TYPE")
    assert not too_wide(lines), too_wide(lines)
    assert any("billing" in line for line in lines)
    assert len(lines) == 1 + len(json.loads(run_cli("resources", "--format", "json").out))
    assert_terminal_safe(result.out)


@pytest.mark.usefixtures("loaded")
def test_a_hostile_last_writer_is_escaped_in_the_table(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough for the LAST WRITER column
    result = run_cli("resources", "billing")
    assert result.code == 0
    (row,) = result.out_lines[1:]
    assert ESCAPED_USER in row
    assert_terminal_safe(result.out)


@pytest.mark.usefixtures("loaded")
def test_resources_json(run_cli: Run) -> None:
    result = run_cli("resources", "billing", "--format", "json")
    assert result.code == 0
    (row,) = json.loads(result.out)
    assert row == {
        "type": "instance",
        "identifier": "billing",
        "account": ACCOUNT,
        "region": "us-east-1",
        "first_seen": "2024-05-01 09:00:00",
        "last_seen": "2024-05-01 10:10:00",
        "events": 8,
        "writes": 7,
        "last_writer": HOSTILE_USER,
        "last_write": "ModifyDBInstance",
        "deleted": False,
        "risk_flags": [],
    }
    assert "\x1b" not in result.out
    deleted = json.loads(run_cli("resources", "prod-replica", "--format", "json").out)
    assert {r["identifier"]: r["deleted"] for r in deleted} == {
        "prod-replica": True,
        "prod-replica-2": False,
    }


@pytest.mark.usefixtures("loaded")
def test_resources_csv_neutralises_formulas(run_cli: Run) -> None:
    result = run_cli("resources", "--format", "csv")
    assert result.code == 0
    rows = list(csv.DictReader(io.StringIO(result.out)))
    (hostile,) = [r for r in rows if "hyperlink" in r["identifier"]]
    # RDS folds identifiers to lower case; a leading quote keeps the cell text.
    assert hostile["identifier"] == "'" + FORMULA_NAME.lower()
    assert hostile["last_writer"] == "'" + FORMULA_USER
    assert not any(
        value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values() if value
    )
    billing = next(r for r in rows if r["identifier"] == "billing")
    assert (billing["writes"], billing["deleted"]) == ("7", "false")


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize("term", ["ip:10.0.0.1", "agent:aws-cli", "is:error"])
def test_a_term_about_single_events_is_exit_2(run_cli: Run, term: str) -> None:
    result = run_cli("resources", term)
    assert result.code == 2 and result.out == ""
    key = term.split(":", 1)[0]
    assert result.err_lines[0].startswith(f"rdstrail: bad filter: {key}: is about single events")
    # Then only the pointer under the filter, as every command shows a bad filter.
    assert result.err_lines[1:] == [term, "^" + "~" * (len(term) - 1)]


@pytest.mark.usefixtures("loaded")
def test_the_helps_resources_example_works(run_cli: Run) -> None:
    """`rdstrail resources snapshot` (the help's example): bare words match the type."""
    result = run_cli("resources", "snapshot", "--format", "json")
    assert result.code == 0, result.err
    listed = json.loads(result.out)
    assert listed and all("snapshot" in r["type"] or "snapshot" in r["identifier"] for r in listed)
