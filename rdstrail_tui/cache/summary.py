"""The cache's maintained summary: what the explorer's first screen says of every cached
event (how many, their time span, the regions, how many failed), kept up to date by each
insert inside its own transaction, so that opening ten million events needs no scan.

Also the cache's index token: a random name for this numbering of the rows. The persisted
index (query/index_store.py) records the token it was built under and is not trusted
under another one; clearing the cache (which renumbers from 1) draws a new token.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

INDEX_TOKEN_KEY = "index_token"


@dataclass(frozen=True)
class CacheSummary:
    events: int = 0
    first_time: int | None = None
    last_time: int | None = None
    failures: int = 0
    regions: dict[int, int] = field(default_factory=dict)  # strings.id -> events


# (event_time, region's strings.id, failed) of one newly stored event
SummaryRow = tuple[int, int, bool]


def add_events(db: sqlite3.Connection, rows: Iterable[SummaryRow]) -> None:
    """Count newly stored events into the summary; inside the insert's transaction."""
    count = failures = 0
    first: int | None = None
    last: int | None = None
    regions: dict[int, int] = {}
    for time, region, failed in rows:
        count += 1
        failures += failed
        first = time if first is None or time < first else first
        last = time if last is None or time > last else last
        regions[region] = regions.get(region, 0) + 1
    if not count:
        return
    db.execute(
        "INSERT INTO summary (id, events, first_time, last_time, failures) "
        "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "events = events + excluded.events, "
        "first_time = min(coalesce(first_time, excluded.first_time), excluded.first_time), "
        "last_time = max(coalesce(last_time, excluded.last_time), excluded.last_time), "
        "failures = failures + excluded.failures",
        (count, first, last, failures),
    )
    db.executemany(
        "INSERT INTO summary_regions (region, events) VALUES (?, ?) "
        "ON CONFLICT (region) DO UPDATE SET events = events + excluded.events",
        regions.items(),
    )


def fill(db: sqlite3.Connection) -> None:
    """The summary of the events cached before it was kept (one pass, at the migration)."""
    db.execute("DELETE FROM summary")
    db.execute("DELETE FROM summary_regions")
    db.execute(
        "INSERT INTO summary (id, events, first_time, last_time, failures) "
        "SELECT 1, count(*), min(event_time), max(event_time), count(error_code) FROM events"
    )
    db.execute(
        "INSERT INTO summary_regions (region, events) "
        "SELECT region, count(*) FROM events GROUP BY region"
    )


def clear(db: sqlite3.Connection) -> None:
    """No events: an empty summary, and a new token (the rows will be numbered anew)."""
    db.execute("DELETE FROM summary")
    db.execute("DELETE FROM summary_regions")
    renew_token(db)


def read(db: sqlite3.Connection) -> CacheSummary:
    row = db.execute(
        "SELECT events, first_time, last_time, failures FROM summary WHERE id = 1"
    ).fetchone()
    if row is None:
        return CacheSummary()
    regions = {
        int(region): int(events)
        for region, events in db.execute("SELECT region, events FROM summary_regions")
        if events
    }
    return CacheSummary(int(row[0]), row[1], row[2], int(row[3]), regions)


def renew_token(db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (INDEX_TOKEN_KEY, secrets.token_hex(16)),
    )


def index_token(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (INDEX_TOKEN_KEY,)).fetchone()
    return str(row[0]) if row else ""
