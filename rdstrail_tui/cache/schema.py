"""The cache's SQL schema, defined once, and the vocabulary other packages use to ask for
rows without knowing it: a `Where` is built from the functions here, never from SQL text
written elsewhere.

Events name their text fields by the `Event` field (`principal`, `resource`, ...); here each
becomes an id into the `strings` table, which is how the cache stays small and a substring
test runs once per distinct text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rdstrail_tui.cache.ids import decode_event_id, encode_event_id
from rdstrail_tui.model.event import Event

SCHEMA_VERSION = 1

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
}

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
    "source_ip, user_agent, read_only, error_code, error_message, resource"
)
INSERT_EVENT = (
    f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}, raw) VALUES ({', '.join('?' * 14)})"
)
# The text columns in the order an Event holds them: the first seven, read_only, the rest.
SELECT_EVENTS = (
    "SELECT e.event_id, e.event_time, "
    + ", ".join(f"(SELECT text FROM strings WHERE id = e.{c})" for c in INTERNED_FIELDS[:7])
    + ", e.read_only, "
    + ", ".join(f"(SELECT text FROM strings WHERE id = e.{c})" for c in INTERNED_FIELDS[7:])
)
# Where SELECT_EVENTS puts the rowid when a query appends it after the raw column.
ROWID_POSITION = 14
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
}


def event_row(
    event: Event, ids: dict[str, int], compress: Callable[[bytes], bytes]
) -> tuple[object, ...]:
    """The INSERT_EVENT parameters of one event; `ids` holds every text's strings.id."""
    e = event
    return (
        encode_event_id(e.event_id),
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
        compress(e.raw),
    )


def event_of(row: Sequence[Any], decompress: Callable[[bytes], bytes] | None) -> Event:
    """An Event from a row of SELECT_EVENTS plus the raw column."""
    read_only = None if row[9] is None else bool(row[9])
    raw = decompress(row[13]) if decompress else b""
    return Event._make((decode_event_id(row[0]), *row[1:9], read_only, *row[10:13], raw))


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


def text_contains(field: str, folded: str) -> Where:
    """The interned text field contains `folded` (already ASCII-lowered). instr() is literal
    (no LIKE wildcards to escape); COALESCE makes a NULL column "does not contain"."""
    if field not in INTERNED_FIELDS:
        raise ValueError(f"{field!r} is not an interned text field")
    return Where(
        f"COALESCE({field} IN (SELECT id FROM strings WHERE instr(lower(text), ?) > 0), 0)",
        (folded,),
    )


def event_id_is(event_id: str) -> Where:
    return Where("event_id = ?", (encode_event_id(event_id),))


def failed() -> Where:
    return Where("error_code IS NOT NULL")


def read_only_is(value: bool) -> Where:
    """Old records carry no readOnly flag (NULL): they are neither writes nor reads, so they
    match -is:write and -is:read. `IS` rather than `=` keeps the test non-NULL."""
    return Where(f"read_only IS {int(value)}")


def time_at_least(bound: int) -> Where:
    return Where("event_time >= ?", (bound,))


def time_at_most(bound: int) -> Where:
    return Where("event_time <= ?", (bound,))
