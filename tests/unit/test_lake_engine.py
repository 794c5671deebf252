"""The local CloudTrail Lake table (tests/support/lake_engine.py): Lake's column types and
value rules, eventjson byte for byte, the Trino statements Lake gets, and bytes scanned."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.ingest.formats import decode_file
from tests.conftest import PANTHER_FILE, SHARED_EVENT_COUNT, load_shared_records
from tests.support.lake_engine import (
    COLUMNS,
    LakeQueryError,
    LakeTable,
    store_references,
    substitute_stores,
)

STORE = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def _raw(record: dict[str, Any]) -> bytes:
    return json.dumps(record).encode()


def _one(table: LakeTable, select: str, where: str = "") -> Any:
    names, rows = table.execute(f"SELECT {select} FROM {STORE} {where}", store_id=STORE)
    assert len(rows) == 1, rows
    return rows[0][0] if len(names) == 1 else rows[0]


@pytest.fixture
def table() -> LakeTable:
    return LakeTable()


def test_the_columns_are_lakes_in_lakes_order(table: LakeTable) -> None:
    table.add_records([_raw({"eventID": "e1", "eventTime": "2026-11-20T10:00:00Z"})])
    names, _ = table.execute(f"SELECT * FROM {STORE}", store_id=STORE)
    assert names == COLUMNS
    assert names[:3] == ["eventversion", "useridentity", "eventtime"]
    assert names[-2:] == ["eventjson", "eventjsonchecksum"]


def test_eventtime_is_a_utc_timestamp_compared_with_timestamp_literals(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    table.add_records(
        [
            _raw(record_factory(eventID="early", eventTime="2026-11-19T23:59:59Z")),
            _raw(record_factory(eventID="inside", eventTime="2026-11-20T00:00:00Z")),
            _raw(record_factory(eventID="offset", eventTime="2026-11-20T03:30:00+02:00")),
        ]
    )
    _, rows = table.execute(
        f"SELECT eventid, eventtime FROM {STORE} "
        "WHERE eventtime >= timestamp '2026-11-20 00:00:00' ORDER BY eventtime",
        store_id=STORE,
    )
    assert rows == [
        ("inside", datetime(2026, 11, 20, 0, 0)),
        ("offset", datetime(2026, 11, 20, 1, 30)),
    ]


def test_readonly_is_a_boolean_from_a_json_boolean_or_string(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    values: list[Any] = [True, False, "true", "false", "yes", None]
    table.add_records(
        [_raw(record_factory(eventID=str(i), readOnly=v)) for i, v in enumerate(values)]
    )
    _, rows = table.execute(
        f"SELECT eventid, readonly FROM {STORE} ORDER BY eventid", store_id=STORE
    )
    assert [value for _, value in rows] == [True, False, True, False, None, None]
    _, writes = table.execute(
        f"SELECT eventid FROM {STORE} WHERE readonly = false ORDER BY eventid", store_id=STORE
    )
    assert writes == [("1",), ("3",)]


def test_request_parameters_is_a_map_of_top_level_keys(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    parameters = {
        "dBInstanceIdentifier": "prod-db",
        "applyImmediately": True,
        "allocatedStorage": 20,
        "vpcSecurityGroupIds": ["sg-1", "sg-2"],
        "tags": {"Name": "café"},
        "masterUserPassword": None,
    }
    table.add_records([_raw(record_factory(requestParameters=parameters, responseElements=None))])
    row = _one(
        table,
        "element_at(requestparameters, 'dBInstanceIdentifier'), "
        "element_at(requestparameters, 'applyImmediately'), "
        "element_at(requestparameters, 'allocatedStorage'), "
        "element_at(requestparameters, 'vpcSecurityGroupIds'), "
        "element_at(requestparameters, 'tags'), "
        "element_at(requestparameters, 'masterUserPassword'), "
        "element_at(requestparameters, 'dbinstanceidentifier'), "
        "cardinality(requestparameters), responseelements",
    )
    assert row == (
        "prod-db",
        "true",
        "20",
        '["sg-1","sg-2"]',
        '{"Name":"café"}',
        None,
        None,
        6,
        None,
    )


def test_user_identity_fields_match_json_keys_case_insensitively(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    identity = {
        "type": "AssumedRole",
        "ARN": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "accountId": "111122223333",
        "sessionContext": {
            "attributes": {"creationDate": "2026-11-20T09:00:00Z", "mfaAuthenticated": "false"},
            "sessionIssuer": {"type": "Role", "userName": "Admin"},
        },
        "invokedBy": "rds.amazonaws.com",
    }
    table.add_records([_raw(record_factory(userIdentity=identity))])
    row = _one(
        table,
        "useridentity.arn, useridentity.accountid, useridentity.username, "
        "useridentity.sessioncontext.sessionissuer.username, "
        "useridentity.sessioncontext.attributes.creationdate, "
        "useridentity.sessioncontext.attributes.mfaauthenticated, useridentity.invokedby",
    )
    assert row == (
        "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "111122223333",
        None,
        "Admin",
        datetime(2026, 11, 20, 9, 0),
        "false",
        "rds.amazonaws.com",
    )


def test_resources_are_an_array_of_structs(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    resources = [
        {"accountId": "111122223333", "type": "AWS::RDS::DBInstance", "ARN": "arn:a"},
        {"type": "AWS::RDS::DBCluster", "ARN": "arn:b"},
    ]
    table.add_records([_raw(record_factory(eventID="with", resources=resources))])
    table.add_records([_raw(record_factory(eventID="without"))])
    _, rows = table.execute(
        f"SELECT eventid, array_join(transform(resources, x -> x.arn), ','), "
        f"cardinality(resources) FROM {STORE} ORDER BY eventid",
        store_id=STORE,
    )
    assert rows == [("with", "arn:a,arn:b", 2), ("without", None, None)]


def test_eventjson_is_each_records_exact_bytes_from_a_trail_tree(tmp_path: Path) -> None:
    # Indented, with unicode escapes and a gzip file: the bytes must survive as written.
    records = load_shared_records()
    first = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/20/a.json.gz"
    second = tmp_path / "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/21/b.json"
    first.parent.mkdir(parents=True)
    second.parent.mkdir(parents=True)
    first.write_bytes(gzip.compress(json.dumps({"Records": records[:30]}, indent=2).encode()))
    second.write_bytes(PANTHER_FILE.read_bytes())
    (tmp_path / "digest.json").write_bytes(
        b'{"digestStartTime": "x", "digestPublicKeyFingerprint": "y"}'
    )
    expected = {path: [raw for _, raw in decode_file(path).records] for path in (first, second)}
    table = LakeTable()
    assert table.add_tree(tmp_path) == 30 + len(expected[second])
    _, rows = table.execute(f"SELECT eventjson FROM {STORE}", store_id=STORE)
    got = sorted(value.encode("utf-8") for (value,) in rows)
    assert got == sorted(raw for raws in expected.values() for raw in raws if raw is not None)
    assert any(b"\n" in raw for raw in got)  # the indented records kept their layout


def test_the_shared_records_all_load(shared_records: Path) -> None:
    table = LakeTable()
    assert table.add_tree(shared_records) == SHARED_EVENT_COUNT
    assert _one(table, "count(*)", "WHERE eventsource = 'rds.amazonaws.com'") == SHARED_EVENT_COUNT


def test_the_compilers_functions_run(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    table.add_records([_raw(record_factory(eventName="ModifyDBInstance", errorCode=None))])
    row = _one(
        table,
        "coalesce(strpos(translate(eventname, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        "'abcdefghijklmnopqrstuvwxyz'), 'modify') > 0, false), "
        "split_part(useridentity.arn, '/', 2), lower(eventname) LIKE '%db%', "
        "nullif(trim(' x '), 'x') IS NULL, substr(eventname, 1, 6) || chr(33), "
        "CASE WHEN errorcode IS NULL THEN 'ok' ELSE 'error' END, "
        "eventname IN ('ModifyDBInstance'), NOT (eventname BETWEEN 'a' AND 'b')",
    )
    assert row == (True, "alice", True, True, "Modify!", "ok", True, True)


def test_unaliased_expressions_are_named_as_trino_names_them(table: LakeTable) -> None:
    table.add_records([_raw({"eventID": "e1", "eventName": "X"})])
    names, _ = table.execute(
        f"SELECT eventid, lower(eventname), eventname AS name, 1 FROM {STORE}", store_id=STORE
    )
    assert names == ["eventid", "_col1", "name", "_col3"]


def test_bytes_scanned_counts_the_records_inside_the_eventtime_bounds(
    table: LakeTable, record_factory: Callable[..., dict[str, Any]]
) -> None:
    raws = [
        _raw(record_factory(eventTime=f"2026-11-{day:02d}T12:00:00Z", eventName="X" * day))
        for day in range(18, 24)
    ]
    table.add_records(raws)
    bounded = (
        f"SELECT eventjson FROM {STORE} WHERE eventtime >= timestamp '2026-11-20 00:00:00' "
        "AND eventtime < timestamp '2026-11-22 00:00:00' AND eventname = 'nothing'"
    )
    assert table.bytes_scanned(bounded, store_id=STORE) == len(raws[2]) + len(raws[3])
    assert table.scan(bounded, store_id=STORE) == (2, len(raws[2]) + len(raws[3]))
    unbounded = f"SELECT eventjson FROM {STORE} WHERE eventname = 'nothing'"
    assert table.bytes_scanned(unbounded, store_id=STORE) == sum(map(len, raws))
    # A bound inside an OR cannot prune: everything is read.
    either = (
        f"SELECT 1 FROM {STORE} WHERE eventtime > timestamp '2030-01-01 00:00:00' "
        "OR eventname = 'X'"
    )
    assert table.bytes_scanned(either, store_id=STORE) == sum(map(len, raws))


def test_store_references_are_found_outside_strings_and_comments() -> None:
    sql = (
        f"WITH recent AS (SELECT * FROM {STORE}) SELECT 'FROM other' FROM recent "
        f'JOIN "{STORE}" ON 1 = 1 CROSS JOIN UNNEST(x) -- FROM commented\n'
        "/* FROM also */ WHERE 1 = 1"
    )
    assert store_references(sql) == [STORE, STORE]
    substituted = substitute_stores(sql, {STORE: "lake"})
    assert STORE not in substituted
    assert "'FROM other'" in substituted and substituted.count('"lake"') == 2


def test_a_statement_that_reads_another_store_or_no_sql_fails(table: LakeTable) -> None:
    with pytest.raises(LakeQueryError, match="no event data store"):
        table.execute("SELECT 1 FROM elsewhere", store_id=STORE)
    with pytest.raises(LakeQueryError):
        table.execute(f"SELECT nosuchcolumn FROM {STORE}", store_id=STORE)


def test_bytes_that_are_not_a_json_object_are_skipped(table: LakeTable) -> None:
    assert table.add_records([b"[1, 2]", b"{broken", '{"eventID": "é"}'.encode("latin-1")]) == 0
    assert len(table) == 0
