"""The filter language pushed down to Athena and CloudTrail Lake (query/trino.py), held to the
cache's own evaluator term for term.

Two tiers here, both without AWS:
- the grammar gate: every statement the compiler emits, for every term and hostile value,
  parses with Trino's own grammar (trino-query-parser, generated from SqlBase.g4), and no
  value changes the statement's structure;
- differential semantics: the statement, transpiled to DuckDB by sqlglot, runs over a table
  shaped like Athena's CloudTrail table built from the same trail files (tests/support/
  trail_engine.py), and finds exactly the events the SQLite evaluator finds (or, for the
  terms the module lists as approximate, a superset of them).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.query.trino import (
    ATHENA,
    LAKE,
    Window,
    athena_select,
    compile_filter,
    lake_select,
    literal,
)
from rdstrail_tui.sources.load import load_paths
from tests.conftest import DATA_DIR, make_record

pytest.importorskip("trino_query_parser")
sqlglot = pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

from tests.support.lake_engine import LakeTable  # noqa: E402 - after the skips
from tests.support.trail_engine import AthenaTable  # noqa: E402
from tests.support.trino_grammar import check_trino  # noqa: E402

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc)
EVERYTHING = Window(
    since=0,
    until=4_102_444_800,  # 2100-01-01
    first_day=date(1970, 1, 1),
    last_day=date(2100, 1, 1),
)

# Every term of the language, in its forms: keys, exact, OR, negation, quoting.
FILTERS = [
    "",
    "modify",
    "Modify",
    "modify,delete",
    "-describe",
    "name:=ModifyDBInstance",
    "name:=modifydbinstance,createdbinstance",
    "-name:=ModifyDBInstance",
    '"DB Instance"',
    "user:alice",
    "user:=alice",
    "-user:alice",
    "user:admin,alice",
    "user:assumed-role",
    "user:root",
    "user:rds.amazonaws.com",
    "user:identity-center/",
    "user:account/",
    "ip:198.51",
    "ip:=198.51.100.7",
    "-ip:198.51",
    "ip:amazonaws",
    "res:orders",
    "res:=orders-prod",
    "-res:=orders-prod",
    "res:arn:aws:rds:us-east-1:111122223333:db:orders-prod",
    "res:orders-prod,reporting",
    "res:snapshot",
    "res:default",
    "region:us-east",
    "region:=us-east-1",
    "-region:=us-east-1",
    "region:eu,ap",
    "account:1111",
    "account:=111122223333",
    "-account:=111122223333",
    "source:rds",
    "-source:=rds.amazonaws.com",
    "agent:boto",
    "agent:console",
    "-agent:aws-cli",
    'agent:"aws-cli/2"',
    "error:denied",
    "error:=AccessDenied",
    "-error:denied",
    "is:error",
    "-is:error",
    "is:write",
    "-is:write",
    "is:read",
    "-is:read",
    "is:risky",
    "-is:risky",
    "flag:public",
    "flag:=snapshot-public,backups-off",
    "-flag:snapshot",
    "since:2024-01-01",
    "until:2024-03-01",
    "-since:2024-03-01",
    "since:2024-03-01T12:00:00 until:2024-03-01T12:00:00",
    "modify -is:error region:=us-east-1",
    "modify,delete res:=orders-prod -user:alice,bob since:2020-11-01",
    "is:write -describe -is:error user:a",
    # Case folding: ASCII only, like the cache.
    "agent:é",
    "agent:É",
    "agent:ÉCOLE",
    "user:jöRG",
    # Values a serialiser escapes, and hostile ones.
    'agent:"\\"quoted\\""',
    'agent:"it\'s"',
    'agent:"\\x1b[31m"',
    'res:"a\\"b"',
    'user:"x\\ny"',
    'error:"\\u202e"',
]

HOSTILE = [
    "'; DROP TABLE cloudtrail; --",
    "') OR 1=1 OR ('",
    '" OR "1"="1',
    "\\' OR true --",
    "x\ny",
    "\x00\x1b[2J\u202e",
    "/* */",
    "$path",
    "É\u0130\u212a",  # Unicode that lower() folds and translate() does not
]


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _hostile_filters(
    keys: tuple[str, ...] = ("", "user:", "res:", "agent:=", "-error:", "id:", "region:"),
) -> Iterator[str]:
    for value in HOSTILE:
        for key in keys:
            yield f"{key}{_quoted(value)}"


# -- the grammar gate ----------------------------------------------------------------------


def _statements(text: str) -> Iterator[str]:
    flt = parse_filter(text, NOW)
    window = Window(
        since=1_700_000_000,
        until=1_700_100_000,
        first_day=date(2023, 11, 14),
        last_day=date(2023, 11, 16),
        accounts=("111122223333", "444455556666"),
        regions=("us-east-1",),
    )
    yield athena_select("cloudtrail", "logs", window, compile_filter(flt, ATHENA))
    yield lake_select("EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE", window, compile_filter(flt, LAKE))


@pytest.mark.parametrize("text", [*FILTERS, *_hostile_filters()])
def test_every_statement_parses_with_trinos_own_grammar(text: str) -> None:
    for statement in _statements(text):
        check_trino(statement)  # raises on a syntax error


def test_the_gate_is_a_real_one() -> None:
    with pytest.raises(Exception, match="mismatched input"):
        check_trino("SELECT a FROM t WHERE a ILIKE 'x'")


@pytest.mark.parametrize("value", HOSTILE)
def test_no_value_changes_the_statements_structure(value: str) -> None:
    """The hostile value comes back out of the parsed statement as one string literal, and
    the statement is one SELECT whatever it holds."""
    text = f"agent:={_quoted(value)}"
    statement = next(_statements(text))
    parsed = sqlglot.parse(statement, read="trino")
    assert len(parsed) == 1 and parsed[0].key == "select"
    literals = [node.this for node in parsed[0].find_all(sqlglot.exp.Literal) if node.is_string]
    chars = [node for node in parsed[0].find_all(sqlglot.exp.Chr)]
    # A value of printable ASCII is one literal; others are cut at each chr(N).
    if all(" " <= c <= "~" for c in value):
        assert value.lower() in [lit.lower() for lit in literals]
    else:
        assert chars
    assert "DROP" not in [node.key.upper() for node in parsed[0].walk()]


def test_literals_double_quotes_and_spell_out_what_is_not_printable() -> None:
    assert literal("it's") == "'it''s'"
    assert literal("") == "''"
    assert literal("a\x1bb") == "('a' || chr(27) || 'b')"
    assert literal("é") == "chr(233)"


def test_exact_and_approximate_terms_are_said() -> None:
    flt = parse_filter("modify user:alice -res:x is:risky -is:error", NOW)
    pushed = compile_filter(flt)
    assert not pushed.exact
    assert pushed.approximate == ("user:alice", "-res:x", "is:risky")
    assert compile_filter(parse_filter("modify -is:error region:=us-east-1", NOW)).exact


# -- differential semantics ----------------------------------------------------------------


def _edge_records() -> list[dict[str, Any]]:
    """Shapes the demo and the real records do not have: every identity type, old records
    without readOnly, readOnly as a string, empty and numeric fields, Unicode."""
    identities: list[dict[str, Any]] = [
        {"type": "Root", "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
        {"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        {"type": "AWSService"},
        {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:jane",
            "sessionContext": {"sessionIssuer": {"userName": "Admin"}},
        },
        {"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/bob", "userName": "bob"},
        {"type": "IdentityCenterUser", "onBehalfOf": {"userId": "u-123"}},
        {"type": "IdentityCenterUser", "userName": "carol"},
        {"type": "AWSAccount", "accountId": "999988887777"},
        {"type": "AWSAccount", "principalId": "AIDAX"},
        {"type": "SAMLUser", "userName": "dave", "identityProvider": "okta"},
        {"type": "WebIdentityUser", "principalId": "web:erin", "identityProvider": "accounts"},
        {"type": "Future", "principalId": "P-1"},
        {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/jöRG"},
    ]
    records = [make_record(userIdentity=identity) for identity in identities]
    records += [
        make_record(eventVersion="1.02", _drop=["readOnly"], eventName="DescribeDBInstances"),
        make_record(eventVersion="1.02", _drop=["readOnly"], eventName="ModifyDBInstance"),
        make_record(_drop=["readOnly"], eventName=""),
        make_record(readOnly="TRUE", eventName="ModifyDBInstance"),
        make_record(readOnly="false", eventName="DescribeDBInstances"),
        make_record(errorCode="", errorMessage=""),
        make_record(errorCode=500),
        make_record(errorCode="AccessDenied", errorMessage="User: x is not authorized"),
        make_record(userAgent='École/é \x1b[31m it\'s "quoted"'),
        make_record(userAgent="\u202e"),
        make_record(recipientAccountId="", userIdentity={"type": "IAMUser", "accountId": "4444"}),
        make_record(_drop=["recipientAccountId", "sourceIPAddress", "userAgent", "awsRegion"]),
        make_record(eventTime="2024-03-01T12:00:00.750Z"),
        make_record(eventTime="2024-03-01 12:00:01"),
        make_record(eventTime="2024-02-29T23:59:59Z"),
        make_record(
            requestParameters={"dBInstanceIdentifier": 'A"B'},
            responseElements={"dBInstanceArn": "arn:aws:rds:us-east-1:111122223333:db:orders-prod"},
        ),
        make_record(
            requestParameters={
                "dBSnapshotIdentifier": "snap-1",
                "attributeName": "restore",
                "valuesToAdd": ["all"],
            },
            eventName="ModifyDBSnapshotAttribute",
        ),
        make_record(
            requestParameters=None,
            resources=[
                {
                    "ARN": "arn:aws:rds:us-east-1:111122223333:db:orders-prod",
                    "accountId": "111122223333",
                    "type": "AWS::RDS::DBInstance",
                }
            ],
        ),
        make_record(eventSource="ec2.amazonaws.com", eventName="ModifyInstanceAttribute"),
    ]
    return records


def _write(path: Path, records: list[dict[str, Any]]) -> bytes:
    data = gzip.compress(json.dumps({"Records": records}).encode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


STORE = "EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE"


@pytest.fixture(scope="module")
def datasets(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Cache, AthenaTable, LakeTable]]:
    """One cache, one Athena table and one Lake event data store from the same files: the
    demo trail, the shared and real records, and the edge cases."""
    root = tmp_path_factory.mktemp("pushdown")
    table = AthenaTable()
    lake = LakeTable()
    table.add_tree(shipped_trail_path(), "s3://demo/")
    flat = [
        *DATA_DIR.glob("*.json"),
        *(DATA_DIR.parent / "real-rds").glob("*.json"),
    ]
    edge = root / "edge" / "edge.json.gz"
    _write(edge, _edge_records())
    for number, path in enumerate([*flat, edge]):
        data = path.read_bytes()
        table.add_object(
            f"s3://flat/{number}/{path.name}",
            data,
            account="111122223333",
            region="us-east-1",
            day="2024/03/01",
        )
    lake.add_tree(shipped_trail_path())
    for path in [*flat, edge]:
        copy = root / "flat" / path.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_bytes(path.read_bytes())
    lake.add_tree(root / "flat")
    cache = Cache.open(root / "cache.db")
    load_paths(cache, [shipped_trail_path(), *flat, edge], Scope(), workers=1)
    yield cache, table, lake
    cache.close()
    table.close()
    lake.close()


@pytest.mark.parametrize("dialect", ["athena", "lake"])
# Hostile values under one key of each kind of SQL (a column, the principal's pieces, the
# resources' text, a negation); the grammar gate above has them under every key.
@pytest.mark.parametrize("text", [*FILTERS, *_hostile_filters(("", "user:", "res:", "-error:"))])
def test_athena_and_lake_find_what_the_cache_finds(
    datasets: tuple[Cache, AthenaTable, LakeTable], text: str, dialect: str
) -> None:
    cache, table, lake = datasets
    flt = parse_filter(text, NOW)
    local = {event.event_id for event in cache.events(where_of(flt), with_raw=False)}
    if dialect == "athena":
        pushed = compile_filter(flt, ATHENA)
        statement = athena_select("db", "cloudtrail", EVERYTHING, pushed)
        names, rows = table.execute(statement, table='"db"."cloudtrail"')
        remote = {row[names.index("eventid")] for row in rows}
    else:
        pushed = compile_filter(flt, LAKE)
        statement = lake_select(STORE, EVERYTHING, pushed)
        names, rows = lake.execute(statement, store_id=STORE)
        remote = {json.loads(row[0])["eventID"] for row in rows}
    # One real file holds two different records under one eventID; the cache keeps the first
    # (the sync's final cut decides such an ID the same way), so neither side counts them.
    shared = _shared_ids(table)
    local, remote = local - shared, remote - shared
    if pushed.exact:
        assert remote == local
    else:
        assert local <= remote
    # The data has something to say for most filters: a pass on nothing proves little.
    if text in ("modify", "user:alice", "res:=orders-prod", "is:write", "agent:é"):
        assert local


def _shared_ids(table: AthenaTable) -> set[str]:
    _names, rows = table.execute(
        'SELECT eventid FROM "db"."cloudtrail" GROUP BY eventid '
        "HAVING count(DISTINCT eventname) > 1",
        table='"db"."cloudtrail"',
    )
    return {row[0] for row in rows}


def test_the_data_exercises_both_sides_of_each_term(
    datasets: tuple[Cache, AthenaTable, LakeTable],
) -> None:
    cache, _, _ = datasets
    total = cache.count()
    for text in ("is:error", "user:alice", "res:orders", "is:read", "agent:é", "since:2024-03-01"):
        matched = cache.count(where_of(parse_filter(text, NOW)))
        assert 0 < matched < total, text
