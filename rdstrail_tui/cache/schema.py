"""The cache's SQL schema, defined once, and the vocabulary other packages use to ask for
rows without knowing it: a `Where` is built from the functions here, never from SQL text
written elsewhere.

Events name their text fields by the `Event` field (`principal`, `resource`, ...); here each
becomes an id into the `strings` table, which is how the cache stays small and a substring
test runs once per distinct text.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rdstrail_tui.cache.ids import decode_event_id, encode_event_id
from rdstrail_tui.model.event import Event
from rdstrail_tui.model.resources import arn_identity
from rdstrail_tui.model.risk import RISK_MASK

SCHEMA_VERSION = 5

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
    -- Every text field of an event (name, caller, agent, resource, IP, ...) repeats across
    -- events, so each distinct text is stored once here and events hold its id: the cache
    -- stays a fraction of the JSON, and a substring filter tests each distinct text once.
    CREATE TABLE strings (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);
    CREATE TABLE events (
        rowid INTEGER PRIMARY KEY,
        event_id BLOB NOT NULL UNIQUE,  -- a UUID's 16 bytes, else the text as delivered
        event_time INTEGER NOT NULL,
        event_name INTEGER NOT NULL,  -- this and the other text fields: strings.id
        event_source INTEGER NOT NULL,
        region INTEGER NOT NULL,
        account INTEGER NOT NULL,
        principal INTEGER NOT NULL,
        source_ip INTEGER NOT NULL,
        user_agent INTEGER NOT NULL,
        read_only INTEGER,
        error_code INTEGER,
        error_message INTEGER,
        resource INTEGER NOT NULL,
        raw BLOB NOT NULL
    );
    -- Newest-first listing and since:/until: ranges. Substring terms (user:, res:, a bare
    -- eventName word) cannot use a b-tree, so no index is kept for them: each would only
    -- slow every load. Failures are few, so a partial index on them is nearly free.
    CREATE INDEX events_by_time ON events (event_time);
    CREATE INDEX events_by_error ON events (event_time) WHERE error_code IS NOT NULL;
    -- What was loaded from where, for `cache info` and the header of the explorer.
    CREATE TABLE sources (
        source TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        first_loaded INTEGER NOT NULL,
        last_loaded INTEGER NOT NULL,
        events_added INTEGER NOT NULL DEFAULT 0
    );
    -- Where an incremental sync (LookupEvents per account-region, S3 per day prefix) resumes.
    CREATE TABLE sync_cursors (
        source TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        updated INTEGER NOT NULL,
        PRIMARY KEY (source, key)
    );
    """,
    # Risk flags (model.risk) and the inferred read/write of records without readOnly, as
    # bits of one integer computed at ingest. migrations.fill_flags computes them for the
    # events cached before. Risky calls are few: a partial index lists them at once.
    2: f"""
    ALTER TABLE events ADD COLUMN flags INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX events_by_risk ON events (event_time) WHERE (flags & {RISK_MASK}) != 0;
    """,
    # Every RDS resource an event touches (model.resources), by identity, and the relations
    # calls set up: computed per event at ingest, so the order events are loaded in does not
    # matter. A resource's history is a range of event_resources' primary key.
    # migrations.fill_resources computes them for the events cached before.
    3: """
    CREATE TABLE resources (
        id INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        identifier TEXT NOT NULL,  -- folded to lower case: RDS names are case-insensitive
        -- A summary of the resource's events, kept by cache/resources.py as they are stored
        first_seen INTEGER,
        last_seen INTEGER,
        events INTEGER NOT NULL DEFAULT 0,
        writes INTEGER NOT NULL DEFAULT 0,
        flags INTEGER NOT NULL DEFAULT 0,  -- the risk flags of its events, OR-ed
        last_write INTEGER,  -- events.rowid of its latest write, failed or not
        last_write_time INTEGER,
        last_change INTEGER,  -- events.rowid of its latest successful write
        last_change_time INTEGER
    );
    -- Found by name. One identity per row is kept by cache/resources.py, under the write
    -- lock (a UNIQUE index over all four columns would store each resource twice).
    CREATE INDEX resources_by_identifier ON resources (identifier);
    -- By resource, then time: a history is one range of this key, the folded reads
    -- counted from it without reading the events (a busy database has 100,000 of them).
    CREATE TABLE event_resources (
        resource INTEGER NOT NULL,  -- resources.id
        time INTEGER NOT NULL,  -- events.event_time
        event INTEGER NOT NULL,  -- events.rowid
        name INTEGER NOT NULL,  -- events.event_name (strings.id)
        reading INTEGER NOT NULL,  -- 1 for a successful read, else 0
        PRIMARY KEY (resource, time, event)
    ) WITHOUT ROWID;
    CREATE TABLE event_relations (
        subject INTEGER NOT NULL,  -- resources.id
        kind TEXT NOT NULL,  -- read-replica-of, snapshot-of, renamed-from, ...
        other INTEGER NOT NULL,
        event INTEGER NOT NULL,
        PRIMARY KEY (subject, kind, other, event)
    ) WITHOUT ROWID;
    """,
    # What the explorer's first screen says of the whole cache (how many events, their time
    # span, the regions, the failures), kept by every insert in its own transaction, so that
    # no start scans ten million rows to say it. migrations.fill_summary sums the events
    # cached before. index_token names this numbering of the rows: the persisted index
    # (query/index_store.py) is trusted only with the token it was built under.
    4: """
    CREATE TABLE summary (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        events INTEGER NOT NULL DEFAULT 0,
        first_time INTEGER,
        last_time INTEGER,
        failures INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE summary_regions (
        region INTEGER PRIMARY KEY,  -- strings.id
        events INTEGER NOT NULL
    )
    """,
    # An eventID is unique to its event and comes with the same eventTime from every source
    # (a trail, Event history, Athena, Lake), so events are told apart by the UTC day of
    # their time and their ID. Under schema 1's UNIQUE (event_id) each insert landed on a
    # random page of an index as large as the events (eventIDs are random), and once that
    # index outgrew memory every insert wrote a page: loading the tenth million took 2.3x
    # the first. Keyed by day first, a load touches only the days it brings. An ID is found
    # by probing each day the cache holds (EVENT_DAYS), a few hundred lookups.
    # A column's UNIQUE cannot be dropped, so the table is copied, rowids kept.
    5: """
    CREATE TABLE events_by_day (
        rowid INTEGER PRIMARY KEY,
        event_id BLOB NOT NULL,  -- a UUID's 16 bytes, else the text as delivered
        event_time INTEGER NOT NULL,
        event_name INTEGER NOT NULL,  -- this and the other text fields: strings.id
        event_source INTEGER NOT NULL,
        region INTEGER NOT NULL,
        account INTEGER NOT NULL,
        principal INTEGER NOT NULL,
        source_ip INTEGER NOT NULL,
        user_agent INTEGER NOT NULL,
        read_only INTEGER,
        error_code INTEGER,
        error_message INTEGER,
        resource INTEGER NOT NULL,
        raw BLOB NOT NULL,
        flags INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO events_by_day SELECT rowid, event_id, event_time, event_name, event_source,
        region, account, principal, source_ip, user_agent, read_only, error_code,
        error_message, resource, raw, flags FROM events ORDER BY rowid;
    DROP TABLE events;
    ALTER TABLE events_by_day RENAME TO events;
    CREATE UNIQUE INDEX events_by_day_and_id ON events (event_time / 86400, event_id);
    CREATE INDEX events_by_time ON events (event_time);
    CREATE INDEX events_by_error ON events (event_time) WHERE error_code IS NOT NULL;
    CREATE INDEX events_by_risk ON events (event_time) WHERE (flags & {risk}) != 0
    """.replace("{risk}", str(RISK_MASK)),
}

# The UTC days (event_time / 86400) that hold events, each found by one probe of
# events_by_time from the day before: the days events_by_day_and_id is searched under for an
# ID. It must be written as the index's expression is, for SQLite to use the index.
EVENT_DAYS = (
    "WITH RECURSIVE days (day) AS ("
    "SELECT min(event_time) / 86400 FROM events "
    "UNION ALL SELECT (SELECT min(event_time) FROM events "
    "WHERE event_time >= (day + 1) * 86400) / 86400 FROM days WHERE day IS NOT NULL"
    ") SELECT day FROM days WHERE day IS NOT NULL"
)

# Event fields stored as ids into `strings`, in the order of the row an insert writes.
INTERNED_FIELDS: tuple[str, ...] = (
    "event_name",
    "event_source",
    "region",
    "account",
    "principal",
    "source_ip",
    "user_agent",
    "error_code",
    "error_message",
    "resource",
)
_EVENT_COLUMNS = (
    "event_id, event_time, event_name, event_source, region, account, principal, "
    "source_ip, user_agent, read_only, error_code, error_message, resource, flags"
)
# The rowid is given: Cache.insert numbers a batch's rows itself, so it knows each new
# event's rowid without reading them back (a duplicate's number is simply left unused).
INSERT_EVENT = (
    f"INSERT OR IGNORE INTO events (rowid, {_EVENT_COLUMNS}, raw) VALUES ({', '.join('?' * 16)})"
)
# The text columns in the order an Event holds them: the first seven, read_only, the rest.
SELECT_EVENTS = (
    "SELECT e.event_id, e.event_time, "
    + ", ".join(f"(SELECT text FROM strings WHERE id = e.{c})" for c in INTERNED_FIELDS[:7])
    + ", e.read_only, "
    + ", ".join(f"(SELECT text FROM strings WHERE id = e.{c})" for c in INTERNED_FIELDS[7:])
    + ", e.flags"
)
# Where SELECT_EVENTS puts the rowid when a query appends it after the raw column.
ROWID_POSITION = 15
# Strings looked up per statement when interning: under SQLite's variable limit.
LOOKUP_BATCH = 500

# The integer columns the explorer's in-memory index holds, by name. NULL error_code becomes
# 0 (no string has id 0) and NULL read_only -1, so "no error" and "unknown" are plain values
# in an integer array.
INDEX_COLUMNS: dict[str, str] = {
    "rowid": "rowid",
    "event_time": "event_time",
    "event_name": "event_name",
    "event_source": "event_source",
    "region": "region",
    "account": "account",
    "principal": "principal",
    "source_ip": "source_ip",
    "user_agent": "user_agent",
    "read_only": "coalesce(read_only, -1)",
    "error_code": "coalesce(error_code, 0)",
    "resource": "resource",
    "flags": "flags",
}


def event_row(
    rowid: int, event: Event, ids: dict[str, int], stored_id: str | bytes, blob: bytes
) -> tuple[object, ...]:
    """The INSERT_EVENT parameters of one event; `ids` holds every text's strings.id,
    `stored_id` is its encode_event_id and `blob` its compressed record (both made before
    the write lock is taken, so that parallel writers hold it for less)."""
    e = event
    return (
        rowid,
        stored_id,
        e.event_time,
        ids[e.event_name],
        ids[e.event_source],
        ids[e.region],
        ids[e.account],
        ids[e.principal],
        ids[e.source_ip],
        ids[e.user_agent],
        e.read_only,
        None if e.error_code is None else ids[e.error_code],
        None if e.error_message is None else ids[e.error_message],
        ids[e.resource],
        e.flags,
        blob,
    )


def event_of(row: Sequence[Any], decompress: Callable[[bytes], bytes] | None) -> Event:
    """An Event from a row of SELECT_EVENTS plus the raw column."""
    read_only = None if row[9] is None else bool(row[9])
    raw = decompress(row[14]) if decompress else b""
    # The resources and relations live in their own tables (store_resources): none here.
    return Event._make(
        (decode_event_id(row[0]), *row[1:9], read_only, *row[10:13], raw, int(row[13]), (), ())
    )


# -- conditions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Where:
    """An SQL boolean expression over `events` and its parameters. Every expression built
    here is two-valued (never NULL), so that `negated` is its exact complement: a NULL would
    drop the row from both `x` and `-x`."""

    sql: str = "1"
    params: tuple[object, ...] = ()

    def negated(self) -> Where:
        return Where(f"NOT ({self.sql})", self.params)


EVERYTHING = Where()


def all_of(conditions: Iterable[Where]) -> Where:
    parts = list(conditions)
    if not parts:
        return EVERYTHING
    return Where(
        " AND ".join(part.sql for part in parts),
        tuple(param for part in parts for param in part.params),
    )


def rowid_above(rowid: int) -> Where:
    """Events cached after the one at `rowid` (rowids only grow)."""
    return Where("rowid > ?", (int(rowid),))


def event_id_is(event_id: str) -> Where:
    return event_id_in((event_id,))


def failed() -> Where:
    return Where("error_code IS NOT NULL")


def read_only_is(value: bool) -> Where:
    """Recorded or inferred from the name (old records carry no readOnly flag); a record
    with neither (NULL) is neither a write nor a read, so it matches -is:write and -is:read.
    `IS` rather than `=` keeps the test non-NULL."""
    return Where(f"read_only IS {int(value)}")


def flags_any(bits: int) -> Where:
    """Any of these bits of `flags` is set (is:risky, flag:NAME). The bits are written
    into the SQL (an int, never text) so that is:risky matches the partial index."""
    return Where(f"(flags & {int(bits)}) != 0")


def time_at_least(bound: int) -> Where:
    return Where("event_time >= ?", (bound,))


def time_at_most(bound: int) -> Where:
    return Where("event_time <= ?", (bound,))


def text_contains_any(field: str, folded: str | Sequence[str]) -> Where:
    """The interned text field contains any of `folded` (already ASCII-lowered), in one pass
    over the strings for all of them; a NULL column contains nothing."""
    return _text_in(field, strings_matching(folded, exact=False))


def text_equals(field: str, folded: str | Sequence[str]) -> Where:
    """The interned text field is one of `folded` (already ASCII-lowered) in any ASCII case,
    as lower() sees it; a NULL column equals nothing."""
    return _text_in(field, strings_matching(folded, exact=True))


def strings_matching(folded: str | Sequence[str], *, exact: bool) -> tuple[str, tuple[str, ...]]:
    """The condition on a `strings` row (SQL and its parameters) that its text contains, or
    with `exact` equals, one of `folded` (already ASCII-lowered), ASCII case-insensitively.

    instr() is literal (no LIKE wildcards to escape). For equality, the UNIQUE index on the
    text is case-sensitive, yet every text that lower()s to `f` sorts between `f` with its
    letters upper-cased and `f` itself (ASCII capitals sort before small letters): a BETWEEN
    on the index finds the candidates and lower() confirms them, a point lookup for a value
    without letters (an IP, an account) and a range instead of every string otherwise.
    """
    values = (folded,) if isinstance(folded, str) else tuple(folded)  # a str is one value
    if not values:
        return "0", ()
    if not exact:
        return " OR ".join("instr(lower(text), ?) > 0" for _ in values), values
    tests = " OR ".join("(text BETWEEN ? AND ? AND lower(text) = ?)" for _ in values)
    return tests, tuple(p for f in values for p in (f.translate(_ASCII_UPPER), f, f))


_ASCII_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _text_in(field: str, strings: tuple[str, tuple[str, ...]]) -> Where:
    if field not in INTERNED_FIELDS:
        raise ValueError(f"{field!r} is not an interned text field")
    test, params = strings
    # COALESCE keeps the test two-valued: NULL IN (...) is NULL, which NOT would not flip.
    return Where(f"COALESCE({field} IN (SELECT id FROM strings WHERE {test}), 0)", params)


def event_id_in(event_ids: str | Sequence[str]) -> Where:
    """The event's ID is one of `event_ids` (exact, case-sensitive): a lookup of
    events_by_day_and_id under each day that holds events."""
    ids = (event_ids,) if isinstance(event_ids, str) else tuple(event_ids)
    if not ids:
        return Where("0")
    marks = ", ".join("?" * len(ids))
    return Where(
        f"(event_id IN ({marks}) AND event_time / 86400 IN ({EVENT_DAYS}))",
        tuple(encode_event_id(i) for i in ids),
    )


def resources_matching(folded: str | Sequence[str], *, exact: bool) -> tuple[str, tuple[str, ...]]:
    """The condition on a `resources` row (SQL and its parameters) that it is one of
    `folded` (already ASCII-lowered): an RDS ARN names one identity exactly; any other
    value is contained in (or, with `exact`, equal to) the identifier. Identifiers are
    stored lowered, and RDS allows only ASCII in them, so ASCII folding is all it takes."""
    values = (folded,) if isinstance(folded, str) else tuple(folded)
    tests: list[str] = []
    params: list[str] = []
    for value in values:
        named = arn_identity(value)
        if named is not None:
            tests.append("(type = ? AND account = ? AND region = ? AND identifier = ?)")
            params.extend(named)
        elif exact:
            tests.append("identifier = ?")
            params.append(value)
        else:
            tests.append("instr(identifier, ?) > 0")
            params.append(value)
    return (" OR ".join(tests) or "0"), tuple(params)


def touches_resource(folded: str | Sequence[str], *, exact: bool) -> Where:
    """res: the event touches a resource matching `folded` by identity (model.resources:
    ARNs resolved, case folded, every resource it names), or its primary resource text
    matches as before (the events of other services, which name no RDS resource)."""
    primary = _text_in("resource", strings_matching(folded, exact=exact))
    test, params = resources_matching(folded, exact=exact)
    return Where(
        f"({primary.sql} OR rowid IN (SELECT event FROM event_resources WHERE resource IN "
        f"(SELECT id FROM resources WHERE {test})))",
        (*primary.params, *params),
    )
