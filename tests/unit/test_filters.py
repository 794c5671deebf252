"""The filter language: what each filter text selects, through both evaluators (SQLite for the
CLI, the numpy index for the explorer), and how a malformed one is reported."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone

import pytest

from rdstrail_tui.cache.schema import Where
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.model.risk import flag_named
from rdstrail_tui.query.language import (
    FILTER_HELP,
    Filter,
    FilterError,
    Term,
    parse_filter,
    quote_value,
    toggled_errors,
    with_exact_term,
    with_term,
)
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of

NOW = datetime(2024, 1, 16, 12, 0, tzinfo=timezone.utc)

RDS = "rds.amazonaws.com"
# id, time (UTC), name, source, region, account, principal, ip, agent, read_only, error, resource
ROWS = [
    ("e1", "2024-01-15T09:00:00", "ModifyDBInstance", RDS, "us-east-1", "111122223333",
     "role/Admin/jane", "10.0.0.5", "aws-cli/2.15.0", 0, None, "prod-db-1"),
    ("e2", "2024-01-15T23:59:59", "ModifyDBCluster", RDS, "eu-west-1", "444455556666",
     "Jane Doe", "192.168.1.20", "console.amazonaws.com", 0, None, "aurora-main"),
    ("e3", "2024-01-16T00:00:00", "CreateDBSnapshot", RDS, "us-east-1", "111122223333",
     "alice", "10.0.0.6", "Boto3/1.34", 0, None, "snap%2024"),
    ("e4", "2024-01-14T12:00:00", "DescribeDBInstances", RDS, "us-east-1", "111122223333",
     RDS, RDS, RDS, 1, None, ""),
    ("e5", "2024-01-16T10:30:00", "DeleteDBInstance", RDS, "us-east-1", "111122223333",
     "bob", "10.0.0.7", "aws-cli/2.15.0", 0, "AccessDenied", "prod-db-1"),
    ("e6", "2023-06-01T08:00:00", "RebootDBInstance", RDS, "us-west-2", "",
     'Ops "Lead"', "198.51.100.4", "legacy-tool", None, None, "legacy\\db"),
    ("e7", "2024-01-16T11:00:00", "ModifyDBInstance", RDS, "us-east-1", "111122223333",
     "role/Admin/jane", "10.0.0.5", "aws-cli", 0, "InvalidParameterCombination", "prod_db_2"),
    ("e8", "2024-01-16T11:55:00", "DescribeDBClusters", RDS, "eu-west-1", "444455556666",
     "Émile", "10.1.0.9", "Mozilla/5.0", 1, None, "aurora-main"),
    ("e9", "2024-01-10T12:00:00", "AddTagsToResource", RDS, "ap-southeast-2", "111122223333",
     "ci-bot", "203.0.113.10", "Terraform/1.6", 0, None,
     "arn:aws:rds:ap-southeast-2:111122223333:db:tagged"),
    ("e10", "2024-01-02T12:00:00", "ExecuteStatement", "rds-data.amazonaws.com", "us-east-1",
     "111122223333", "role/Admin/jane", "10.0.0.5", "console.amazonaws.com", 0, None, "new-db"),
    # A replica whose name starts with another's, a caller with a comma, an '=' in an agent,
    # and a caller full of characters a terminal would act on.
    ("e11", "2024-01-12T12:00:00", "CreateDBInstanceReadReplica", RDS, "ca-central-1",
     "111122223333", "Doe, Jane", "172.16.0.1", "Boto3/1.34", 0, None, "reporting-pg-replica"),
    ("e12", "2024-01-12T13:00:00", "CreateDBInstance", RDS, "ca-central-1", "111122223333",
     "svc/reporting", "172.16.0.2", "Boto3/1.34 md/arch=x86", 0, None, "reporting-pg"),
    ("e13", "2024-01-11T12:00:00", "StartExportTask", RDS, "ca-central-1", "111122223333",
     "evil\x1b[31m,\tboss", "172.16.0.3", "curl/8", 0, "ThrottlingException", ""),
]  # fmt: skip
HOSTILE = ROWS[-1][6]
ALL = {row[0] for row in ROWS}
# Risk flags as ingest would have set them (the events are inserted directly).
FLAGS = {
    "e1": ("publicly-accessible", "master-password-changed"),
    "e3": ("snapshot-shared",),
    "e5": ("deleted-without-snapshot",),  # a failed attempt still carries its flag
    "e9": ("snapshot-public",),
    "e11": ("backups-off",),
}


def _bit(name: str) -> int:
    flag = flag_named(name)
    assert flag is not None
    return flag.bit


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    """The rows above in a real cache, so every filter runs against the real schema."""
    cache = Cache.open(tmp_path_factory.mktemp("filters") / "events.db")
    cache.insert(
        Event(
            event_id=row[0],
            event_time=int(datetime.fromisoformat(row[1]).replace(tzinfo=timezone.utc).timestamp()),
            event_name=row[2],
            event_source=row[3],
            region=row[4],
            account=row[5],
            principal=row[6],
            source_ip=row[7],
            user_agent=row[8],
            read_only=None if row[9] is None else bool(row[9]),
            error_code=row[10],
            error_message=None if row[10] is None else f"{row[10]}: details",
            resource=row[11],
            raw=b"{}",
            flags=sum(_bit(name) for name in FLAGS.get(row[0], ())),
        )
        for row in ROWS
    )
    yield cache
    cache.close()


@pytest.fixture(scope="module")
def index(db: Cache) -> EventIndex:
    return EventIndex.build(db)


Matching = Callable[[str], set[str]]


@pytest.fixture(params=["sql", "memory"])
def matching(request: pytest.FixtureRequest, db: Cache, index: EventIndex) -> Matching:
    """The ids a filter selects, by SQL (the CLI) or by the in-memory index (the explorer):
    every table below runs through both, so they cannot drift apart."""

    def by_sql(text: str) -> set[str]:
        where = where_of(parse_filter(text, NOW))
        return {event.event_id for event in db.events(where, with_raw=False)}

    def by_index(text: str) -> set[str]:
        rowids = [int(r) for r in index.select(parse_filter(text, NOW), db)]
        return {event.event_id for event in db.events_by_rowid(rowids).values()}

    return by_sql if request.param == "sql" else by_index


def ids(*numbers: int) -> set[str]:
    return {f"e{n}" for n in numbers}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bare words and name: are case-insensitive substrings of the event name.
        ("modify", ids(1, 2, 7)),
        ("MODIFY", ids(1, 2, 7)),
        ("dbinstance", ids(1, 4, 5, 6, 7, 11, 12)),
        ("name:Modify", ids(1, 2, 7)),
        ("NAME:cluster", ids(2, 8)),
        # Each keyed substring column.
        ("user:jane", ids(1, 2, 7, 10, 11)),
        ("user:ADMIN", ids(1, 7, 10)),
        ("ip:10.0.0.5", ids(1, 7, 10)),
        ("ip:10.0.0", ids(1, 3, 5, 7, 10)),
        ("res:prod", ids(1, 5, 7)),
        ("res:db:tagged", ids(9)),
        ("region:eu-west", ids(2, 8)),
        ("region:US-EAST-1", ids(1, 3, 4, 5, 7, 10)),
        ("account:4444", ids(2, 8)),
        ("source:data", ids(10)),
        ("agent:aws-cli", ids(1, 5, 7)),
        ("agent:TERRAFORM", ids(9)),
        ("error:denied", ids(5)),
        ("error:Invalid", ids(7)),
        # Keys are case-insensitive too.
        ("USER:bob", ids(5)),
        ("Ip:192.168", ids(2)),
        # id: is exact and case-sensitive.
        ("id:e3", ids(3)),
        ("id:E3", set()),
        ("id:e", set()),
        # is:, with unknown read_only (e6) being neither a write nor a read.
        ("is:error", ids(5, 7, 13)),
        ("is:write", ids(1, 2, 3, 5, 7, 9, 10, 11, 12, 13)),
        ("is:read", ids(4, 8)),
        ("IS:Read", ids(4, 8)),
        # Risk flags: is:risky is any of them; flag: is part of a name, flag:= the name.
        ("is:risky", ids(1, 3, 5, 9, 11)),
        ("is:risky -is:error", ids(1, 3, 9, 11)),
        ("flag:publicly-accessible", ids(1)),
        ("flag:PASSWORD", ids(1)),
        ("flag:snapshot-", ids(3, 9)),
        ("flag:snapshot", ids(3, 5, 9)),  # deleted-without-snapshot too
        ("flag:=snapshot-public", ids(9)),
        ("flag:backups,deleted", ids(5, 11)),
        ("flag:iam-auth-off", set()),
        # All terms must match.
        ("modify user:jane", ids(1, 2, 7)),
        ("modify user:jane -is:error since:2024-01-15", ids(1, 2)),
        ("is:write region:us-east-1 agent:console", ids(10)),
    ],
)
def test_terms(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-modify", ALL - ids(1, 2, 7)),
        ("-name:modify", ALL - ids(1, 2, 7)),
        ("-user:jane", ALL - ids(1, 2, 7, 10, 11)),
        ("-res:prod", ALL - ids(1, 5, 7)),
        ("-id:e3", ALL - ids(3)),
        # error_code is NULL for successful calls: they do not contain "denied".
        ("-error:denied", ALL - ids(5)),
        ("-error:a", ALL - ids(5, 7)),
        ("-is:error", ALL - ids(5, 7, 13)),
        # Unknown read_only is not a write and not a read, so both negations keep it.
        ("-is:write", ids(4, 6, 8)),
        ("-is:read", ALL - ids(4, 8)),
        ("-is:risky", ALL - ids(1, 3, 5, 9, 11)),
        ("-flag:snapshot-,backups", ALL - ids(3, 9, 11)),
        ("-since:2024-01-16", ids(1, 2, 4, 6, 9, 10, 11, 12, 13)),
        ("-until:2024-01-15", ids(3, 5, 7, 8)),
        ("-describe -is:error -user:admin", ids(2, 3, 6, 9, 11, 12)),
    ],
)
def test_negation(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('user:"Jane Doe"', ids(2)),
        ('user:"jane doe"', ids(2)),
        ('-user:"Jane Doe" user:jane', ids(1, 7, 10, 11)),
        (r'user:"Ops \"Lead\""', ids(6)),
        (r'user:"\"Lead"', ids(6)),
        (r'res:"legacy\\db"', ids(6)),
        # Outside quotes a backslash is just a character.
        (r"res:legacy\db", ids(6)),
        ('"DBClu"', ids(2, 8)),
        ('-"modify"', ALL - ids(1, 2, 7)),
        # A quoted colon is text: this is a bare phrase, and no event name has a colon.
        ('"user:jane"', set()),
        ('user:Jane" "Doe', ids(2)),
    ],
)
def test_quoting(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # LIKE wildcards and escapes are plain characters.
        ("res:%", ids(3)),
        ("res:snap%", ids(3)),
        ("res:prod_db", ids(7)),
        ("res:_", ids(7)),
        ("res:\\", ids(6)),
        ("ip:.", ALL),
        # Non-ASCII letters compare exactly; only ASCII letters fold.
        ("user:Émile", ids(8)),
        ("user:ÉMILE", ids(8)),
        ("user:émile", set()),
        ("user:x');DROP", set()),
    ],
)
def test_values_are_literal(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


def test_values_are_bound_not_interpolated() -> None:
    where = where_of(parse_filter("user:x');DROP", NOW))
    sql, params = where.sql, list(where.params)
    assert "DROP" not in sql
    assert params == ["x');drop"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A comma outside quotes: any of the alternatives, in bare words and every key.
        ("ModifyDBInstance,DeleteDBInstance", ids(1, 5, 7)),
        ("modify,delete,reboot", ids(1, 2, 5, 6, 7)),
        ("name:describe,tags", ids(4, 8, 9)),
        ("user:alice,bob", ids(3, 5)),
        ("user:ALICE,nobody", ids(3)),
        ("id:e1,e3", ids(1, 3)),
        ("id:e1,no-such-event", ids(1)),
        ("id:=e1,e3", ids(1, 3)),
        ("ip:192.168,198.51", ids(2, 6)),
        ("res:=prod-db-1,aurora-main", ids(1, 2, 5, 8)),
        ("region:eu,ap", ids(2, 8, 9)),
        ("error:denied,throttling", ids(5, 13)),
        # An alternative matched twice is one match, not two.
        ("modify,modifydb", ids(1, 2, 7)),
        # OR binds inside its term; terms still AND together.
        ("modify,delete user:jane", ids(1, 2, 7)),
        ("modify,delete -is:error", ids(1, 2)),
        ("user:alice,bob is:error", ids(5)),
        # Quoted commas are text; quoted and plain alternatives mix.
        ('user:"Doe, Jane"', ids(11)),
        ('user:"doe, jane",bob', ids(5, 11)),
        ("user:Doe,Jane", ids(1, 2, 7, 10, 11)),
        ('"Instance,Read"', set()),
        ('"DBInstanceRead",reboot', ids(6, 11)),
        # Negated, it is none of them: NOT (a OR b).
        ("-user:alice,bob", ALL - ids(3, 5)),
        ("-modify,describe", ALL - ids(1, 2, 4, 7, 8)),
        ("-id:e1,e2", ALL - ids(1, 2)),
        ("-res:=prod-db-1,aurora-main", ALL - ids(1, 2, 5, 8)),
        ("-user:alice,bob -modify,describe", ALL - ids(1, 2, 3, 4, 5, 7, 8)),
        # Successful calls have no error code: they hold neither alternative.
        ("-error:denied,throttling", ALL - ids(5, 13)),
    ],
)
def test_any_of(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # key:= is the whole value, where key: is any part of it.
        ("res:reporting-pg", ids(11, 12)),
        ("res:=reporting-pg", ids(12)),
        ("res:=REPORTING-PG", ids(12)),
        ("res:=reporting", set()),
        ("-res:=reporting-pg", ALL - ids(12)),
        ("createdbinstance", ids(11, 12)),
        ("name:=createdbinstance", ids(12)),
        ("name:=ModifyDBInstance", ids(1, 7)),
        ("user:=jane", set()),
        ("user:=role/admin/JANE", ids(1, 7, 10)),
        ('user:="Doe, Jane"', ids(11)),
        ('user:="doe, jane",alice', ids(3, 11)),
        ("user:=Doe,Jane", set()),
        ("ip:=10.0.0.5", ids(1, 7, 10)),
        ("ip:=10.0.0", set()),
        ("account:=111122223333", ALL - ids(2, 6, 8)),
        ("account:=1111", set()),
        ("region:=us-east-1", ids(1, 3, 4, 5, 7, 10)),
        ("source:=rds.amazonaws.com", ALL - ids(10)),
        ("agent:=aws-cli", ids(7)),
        ("agent:aws-cli", ids(1, 5, 7)),
        # Only ASCII letters fold, as in substring matching (and SQLite's lower()).
        ("user:=ÉMILE", ids(8)),
        ("user:=émile", set()),
        # A call without an error never has this error code, so the negation keeps it.
        ("error:=accessdenied", ids(5)),
        ("error:=access", set()),
        ("-error:=AccessDenied", ALL - ids(5)),
        ("error:=throttlingexception,accessdenied", ids(5, 13)),
        # A quoted '=' is text: a substring holding '='.
        ('agent:"=x86"', ids(12)),
        ("agent:=x86", set()),
        ('agent:="Boto3/1.34 md/arch=x86"', ids(12)),
        ('"=x"', set()),
        # LIKE wildcards mean nothing to an exact match either.
        ("res:=snap_2024", set()),
        ("res:=snap%2024", ids(3)),
    ],
)
def test_exact(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


def test_alternatives_and_exact_values_are_bound_not_interpolated() -> None:
    where = where_of(parse_filter("user:x');DROP,y res:=a'--,B", NOW))
    assert "DROP" not in where.sql
    assert "--" not in where.sql
    assert {"x');drop", "y", "a'--", "b"} <= set(where.params)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("since:2024-01-16", ids(3, 5, 7, 8)),
        ("since:2024-01-16T10:30", ids(5, 7, 8)),
        ("since:2024-01-16T10:30:01", ids(7, 8)),
        ("since:2024-01-16T01:00+02:00", ids(2, 3, 5, 7, 8)),
        ("since:2024-01-15T23:59:59.5Z", ids(3, 5, 7, 8)),
        ("until:2024-01-14", ids(4, 6, 9, 10, 11, 12, 13)),
        # A bare date in until: includes that whole day (e2 is at 23:59:59).
        ("until:2024-01-15", ids(1, 2, 4, 6, 9, 10, 11, 12, 13)),
        ("until:2024-01-15T23:59:59", ids(1, 2, 4, 6, 9, 10, 11, 12, 13)),
        ("until:2024-01-15T23:59:58", ids(1, 4, 6, 9, 10, 11, 12, 13)),
        ("until:2024-01-16T01:00:00.5+01:00", ALL - ids(5, 7, 8)),
        ("since:2024-01-15 until:2024-01-15", ids(1, 2)),
        ("since:2024-01-14 until:2024-01-15t12:00z modify", ids(1)),
        # Relative times count back from NOW (2024-01-16T12:00Z); bounds are inclusive.
        ("since:300s", ids(8)),
        ("since:30m", ids(8)),
        ("since:6h", ids(5, 7, 8)),
        ("since:7d", ALL - ids(6, 10)),
        ("since:2w", ALL - ids(6)),
        ("until:2w", ids(6, 10)),
        ("SINCE:1d until:1h", ids(2, 3, 5, 7)),
        ("since:0001-01-01 until:9999-12-31", ALL),
    ],
)
def test_time_bounds(matching: Matching, text: str, expected: set[str]) -> None:
    assert matching(text) == expected


def test_default_now_is_the_current_time() -> None:
    (term,) = parse_filter("since:1h").terms
    assert term.bound is not None
    assert abs(term.bound - (time.time() - 3600)) < 60


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_filter("modify", datetime(2024, 1, 16))


@pytest.mark.parametrize(
    ("text", "position", "term", "message"),
    [
        ("modify usr:bob", 7, "usr:bob", "unknown key 'usr:' — did you mean 'user:'? Keys: user"),
        ("USR:bob", 0, "USR:bob", "did you mean 'user:'?"),
        ("-resource:db1", 0, "-resource:db1", "did you mean 'res:'?"),
        ("err:x", 0, "err:x", "did you mean 'error:'?"),
        ("foo:bar", 0, "foo:bar", "Keys: user ip res region account source agent error"),
        (":x", 0, ":x", "unknown key ':'"),
        ("modify user:", 7, "user:", "'user:' needs a value"),
        ('user:""', 0, 'user:""', "'user:' needs a value"),
        ('a ""', 2, '""', "empty phrase"),
        ("modify is:writes", 7, "is:writes", "use is:error, is:write, is:read or is:risky"),
        ("-is:ok", 0, "-is:ok", "unknown value 'is:ok'"),
        ("flag:nope", 0, "flag:nope", "unknown flag 'nope': e.g. flag:snapshot-public"),
        ("flag:backup-off", 0, "flag:backup-off", "did you mean flag:backups-off?"),
        ("x flag:public,nope", 2, "flag:public,nope", "unknown flag 'nope'"),
        ("flag:=public", 0, "flag:=public", "unknown flag 'public'"),
        ("flag:=snapshot", 0, "flag:=snapshot", "unknown flag 'snapshot'"),
        ("since:yesterdayy x", 0, "since:yesterdayy", "since: bad time 'yesterdayy': use 2024-"),
        ("x until:2024-02-30", 2, "until:2024-02-30", "day is out of range"),
        ('modify user:"Jane Doe', 7, 'user:"Jane Doe', "unterminated quote"),
        ('"abc', 0, '"abc', "unterminated quote"),
        ('a user:"x\\"', 2, 'user:"x\\"', "unterminated quote"),
        ('ab"c d', 0, 'ab"c d', "unterminated quote"),
        ("modify - user:x", 7, "-", "'-' must be followed by a term"),
        ("modify -", 7, "-", "'-' must be followed by a term"),
        # Alternatives must each say something.
        ("user:a,,b", 0, "user:a,,b", "a comma needs a value on each side"),
        ("x user:a,", 2, "user:a,", 'a comma needs a value on each side, or quotes: "a,b"'),
        ("-res:,a", 0, "-res:,a", "a comma needs a value on each side"),
        ('user:a,""', 0, 'user:a,""', "a comma needs a value on each side"),
        ("user:=a,,b", 0, "user:=a,,b", "a comma needs a value on each side"),
        ("modify,", 0, "modify,", "a comma needs a value on each side"),
        ("a ,", 2, ",", "a comma needs a value on each side"),
        # Keys with one word or time take no OR and no '='.
        ("is:error,write", 0, "is:error,write", "'is:' takes one value (no commas)"),
        ("since:7d,1d", 0, "since:7d,1d", "'since:' takes one value (no commas)"),
        ("-until:2024-01-01,", 0, "-until:2024-01-01,", "'until:' takes one value (no commas)"),
        ("is:=error", 0, "is:=error", "'is:' takes no '='"),
        ("since:=7d", 0, "since:=7d", "'since:' takes no '='"),
        # '=' says "whole value" once, right after the colon.
        ("user:=", 0, "user:=", "'user:=' needs a value after the '='"),
        ('error:=""', 0, 'error:=""', "'error:=' needs a value after the '='"),
        ("user:a,=b", 0, "user:a,=b", "'=' goes once, after the colon: user:=a,b"),
        ("res:==a", 0, "res:==a", "'=' goes once, after the colon: res:=a,b"),
        ("=Modify", 0, "=Modify", "for an exact event name write name:=Modify"),
        ("-=x", 0, "-=x", "for an exact event name write name:=x"),
    ],
)
def test_errors(text: str, position: int, term: str, message: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text, NOW)
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.position, err.length, err.term) == (position, len(term), term)
    assert message in str(err)
    assert "\n" not in str(err)
    assert err.pointer(text) == f"{text}\n{' ' * position}^{'~' * (len(term) - 1)}"


@pytest.mark.parametrize(
    "text",
    ["account:a,,b", "until:1d,2d", "until:=1d", "account:=", "account:a,=b", "=ModifyDBInstance"],
)
def test_or_and_exact_errors_fit_one_cli_line(text: str) -> None:
    with pytest.raises(FilterError) as info:
        parse_filter(text, NOW)
    assert len(f"rdstrail: bad filter: {info.value}") <= 80


def test_first_error_wins() -> None:
    with pytest.raises(FilterError) as info:
        parse_filter("usr:a is:bad", NOW)
    assert info.value.term == "usr:a"


def test_control_characters_do_not_break_errors_or_pointer() -> None:
    text = "a\tb\x1b[31m k\x00y:z"
    with pytest.raises(FilterError) as info:
        parse_filter(text, NOW)
    err = info.value
    assert err.term == "k\x00y:z"
    assert "\n" not in str(err) and "\x00" not in str(err)
    shown, caret = err.pointer(text).split("\n")
    assert len(shown) == len(text)
    assert caret.index("^") == text.index("k")


@pytest.mark.parametrize("word", ["()", "%", "\\", "a-b", "x\x00", "ünïcode", "a=b"])
def test_bare_words_without_colon_are_never_errors(matching: Matching, word: str) -> None:
    assert matching(word) == set()


def test_parsed_terms() -> None:
    text = ' modify  -USER:"Jane Doe"\tis:read '
    assert parse_filter(text, NOW) == Filter(
        text,
        (
            Term("name", "modify", False, 1, 6),
            Term("user", "Jane Doe", True, 9, 16),
            Term("is", "read", False, 26, 7),
        ),
    )


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_filter_matches_everything(matching: Matching, text: str) -> None:
    flt = parse_filter(text, NOW)
    assert flt.is_empty()
    assert where_of(flt) == Where("1", ())
    assert matching(text) == ALL


@pytest.mark.parametrize(
    ("text", "values", "exact", "value"),
    [
        ("user:bob", ("bob",), False, "bob"),
        ("user:=bob", ("bob",), True, "bob"),
        ("-res:=a,b", ("a", "b"), True, "a,b"),
        ("modify,delete", ("modify", "delete"), False, "modify,delete"),
        ('user:"Doe, Jane",bob', ("Doe, Jane", "bob"), False, '"Doe, Jane",bob'),
        ('user:="Doe, Jane"', ("Doe, Jane",), True, "Doe, Jane"),
        ('user:"=x"', ("=x",), False, "=x"),
        ('user:"a,b"', ("a,b",), False, "a,b"),
        ("id:=e1,e2", ("e1", "e2"), True, "e1,e2"),
        ("a=b", ("a=b",), False, "a=b"),
        ("x,a=b", ("x", "a=b"), False, "x,a=b"),
    ],
)
def test_parsed_alternatives(text: str, values: tuple[str, ...], exact: bool, value: str) -> None:
    (term,) = parse_filter(text, NOW).terms
    assert (term.values, term.exact, term.value) == (values, exact, value)


def test_a_term_built_with_one_value_has_it_as_its_only_alternative() -> None:
    assert Term("user", "bob").values == ("bob",)
    assert not Term("user", "bob").exact


def test_a_quoted_comma_still_reads_as_a_fraction_of_a_second() -> None:
    (term,) = parse_filter('since:"2024-01-16T10:30:00,5Z"', NOW).terms
    (dotted,) = parse_filter("since:2024-01-16T10:30:00.5Z", NOW).terms
    assert term.bound == dotted.bound is not None


def test_non_empty_filter_is_not_empty() -> None:
    assert not parse_filter("x", NOW).is_empty()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("bob", "bob"),
        ("Jane Doe", '"Jane Doe"'),
        ('say "hi"', r'"say \"hi\""'),
        ('a\\"b', r'"a\\\"b"'),
        ("a:b", '"a:b"'),
        ("-x", '"-x"'),
        ("", '""'),
        ("tab\there", '"tab\\there"'),
        ("back\\slash", "back\\slash"),
        # A comma would read as OR and a leading '=' as "whole value".
        ("a,b", '"a,b"'),
        ("Doe, Jane", '"Doe, Jane"'),
        ("=x", '"=x"'),
        ("x=y", "x=y"),
    ],
)
def test_quote_value(value: str, written: str) -> None:
    assert quote_value(value) == written


@pytest.mark.parametrize(
    "value",
    ["bob", "Jane Doe", 'say "hi"', 'a\\"b\\', "a:b", "-x", "tab\there", "x\\", "a,b", "=x", ","],
)
def test_with_term_round_trips_values(value: str) -> None:
    keyed = parse_filter(with_term("modify", f"user:{value}"), NOW).terms
    assert [(t.key, t.value) for t in keyed] == [("name", "modify"), ("user", value)]
    if not value.startswith("-"):  # a leading '-' in the term means "exclude"
        bare = parse_filter(with_term("modify", value), NOW).terms
        assert [(t.key, t.value, t.negated) for t in bare][-1] == ("name", value, False)


@pytest.mark.parametrize(
    ("text", "term", "result"),
    [
        ("modify ", "user:Jane Doe", 'modify user:"Jane Doe"'),
        ("", "-is:error", "-is:error"),
        ("  ", "USER:bob", "user:bob"),
        ("x", "-user:Jane Doe", 'x -user:"Jane Doe"'),
        ("x", "a:b", 'x "a:b"'),
        ("x", "-describe", "x -describe"),
        ("x", "name:-x", 'x name:"-x"'),
        ("x", "res:arn:aws:rds", 'x res:"arn:aws:rds"'),
    ],
)
def test_with_term(text: str, term: str, result: str) -> None:
    assert with_term(text, term) == result


def test_help_fits_a_terminal() -> None:
    lines = FILTER_HELP.splitlines()
    assert len(lines) <= 25
    assert max(len(line) for line in lines) <= 78


@pytest.mark.parametrize(
    "value",
    ["evil\x1b[2Jname", "bidi\u202eflip", "tab\there", "back\\slash", 'quo"te', "bell\x07"],
)
def test_quoted_values_round_trip_through_visible_escapes(value: str) -> None:
    """Quick filters on hostile values: the filter text holds only printable characters,
    and parses back to exactly the original value."""
    written = quote_value(value)
    assert written.isprintable()
    (term,) = parse_filter(f"user:{written}", NOW).terms
    assert term.value == value


def test_escapes_are_read_only_inside_quotes() -> None:
    (term,) = parse_filter(r'agent:"C:\x64"', NOW).terms
    assert term.value == "C:d"  # \x64 is "d" inside quotes
    (bare,) = parse_filter(r"res:a\x64", NOW).terms
    assert bare.value == r"a\x64"  # outside quotes a backslash is just a character


@pytest.mark.parametrize(
    ("text", "key", "value", "result"),
    [
        ("", "res", "prod-db-1", "res:=prod-db-1"),
        # Every positive term of the key goes; negated ones and other keys stay.
        (
            "modify res:prod -res:replica  user:jane",
            "res",
            "reporting-pg",
            "modify -res:replica user:jane res:=reporting-pg",
        ),
        ("res:a,b res:=c RES:d", "RES", "x", "res:=x"),
        # For the event name, bare words are terms of that key.
        (
            "modify -delete name:x describe,reboot user:a",
            "name",
            "ModifyDBInstance",
            "-delete user:a name:=ModifyDBInstance",
        ),
        # Values are quoted when they must be; other terms keep their text as typed.
        ('user:"Jane  Doe"   is:error', "res", "a b", 'user:"Jane  Doe" is:error res:="a b"'),
        ("user:bob", "user", "Doe, Jane", 'user:="Doe, Jane"'),
        ("user:bob", "user", "=x", 'user:="=x"'),
        ("user:bob", "user", "-x", 'user:="-x"'),
        ("id:e1 modify", "id", "e2", "modify id:=e2"),
        # Text that does not parse is left alone, and the term appended.
        ("usr:bob  ", "user", "x", "usr:bob user:=x"),
        ("user:a,, user:b", "user", "x", "user:a,, user:b user:=x"),
    ],
)
def test_with_exact_term(text: str, key: str, value: str, result: str) -> None:
    assert with_exact_term(text, key, value) == result


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("res", "reporting-pg", ids(12)),
        ("user", "Doe, Jane", ids(11)),
        ("user", HOSTILE, ids(13)),
        ("name", "CreateDBInstance", ids(12)),
        ("agent", "Boto3/1.34 md/arch=x86", ids(12)),
        ("res", "legacy\\db", ids(6)),
        ("user", 'Ops "Lead"', ids(6)),
        ("id", "e3", ids(3)),
    ],
)
def test_exact_quick_filters_select_their_row(
    matching: Matching, key: str, value: str, expected: set[str]
) -> None:
    """What a quick filter writes for a row's value selects the rows holding exactly that value,
    however hostile: the filter text stays printable and parses back to the value."""
    text = with_exact_term("-name:=NoSuchCall", key, value)
    assert text.isprintable()
    term = parse_filter(text, NOW).terms[-1]
    assert (term.key, term.values, term.exact) == (key, (value,), True)
    assert matching(text) == expected


def test_with_exact_term_refuses_keys_without_a_text_value() -> None:
    with pytest.raises(ValueError, match="'is'"):
        with_exact_term("", "is", "error")
    with pytest.raises(ValueError, match="needs a value"):
        with_exact_term("", "user", "")


@pytest.mark.parametrize(
    ("text", "result"),
    [
        # No error filter -> only errors.
        ("", "is:error"),
        ("modify", "modify is:error"),
        ("-is:error modify", "modify is:error"),
        ("-is:error -IS:Error", "is:error"),
        # Only errors -> no error filter, whatever else it held about errors.
        ("modify is:error", "modify"),
        ("is:error modify -is:error is:error", "modify"),
        ("IS:Error user:bob", "user:bob"),
        # The other terms keep their text exactly as typed.
        ('user:"Jane  Doe"  -is:error', 'user:"Jane  Doe" is:error'),
        ('user:"evil\\x1b[2J, boss"  is:error', 'user:"evil\\x1b[2J, boss"'),
        ("res:=a,b is:write", "res:=a,b is:write is:error"),
        # Even a filter that does not parse yet toggles.
        ("usr:x is:error", "usr:x"),
        ("usr:x", "usr:x is:error"),
        ('is:error user:"open', 'user:"open'),
    ],
)
def test_toggled_errors(text: str, result: str) -> None:
    assert toggled_errors(text) == result


def test_toggling_errors_twice_gives_the_other_terms_back(matching: Matching) -> None:
    once = toggled_errors("-is:error user:jane")
    assert matching(once) == ids(7)
    assert matching(toggled_errors(once)) == ids(1, 2, 7, 10, 11)
