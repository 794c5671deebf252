"""Bringing a cache file up to this version's schema, under the write lock."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import orjson
import zstandard

from rdstrail_tui.cache import summary
from rdstrail_tui.cache.codec import RecordCodec, packaged_dictionary
from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.resources import EventFacts, store_facts
from rdstrail_tui.cache.schema import LOOKUP_BATCH, MIGRATIONS, SCHEMA_VERSION
from rdstrail_tui.model.access import infer_read_only
from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.model.resources import ResourceId, relations_of, resource_ids_of
from rdstrail_tui.model.risk import INFERRED_READ_ONLY, RISK_OPERATIONS, risk_flags

Progress = Callable[[str, int, int], None]
"""What a migration is doing, how far it is and how far it goes: ("risk flags", 300, 1200)."""
# Rows between two progress reports of a fill.
_REPORT_EVERY = 2000


def migrate(connection: sqlite3.Connection, path: Path, progress: Progress | None = None) -> None:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise CacheError(
            f"{path} was written by a newer rdstrail (schema {version}, this one reads "
            f"{SCHEMA_VERSION}): upgrade rdstrail, or pass another file with --cache"
        )
    if version == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: a parallel process may have migrated meanwhile.
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        for target in range(version + 1, SCHEMA_VERSION + 1):
            copying = _COPIES.get(target)
            told = copying is not None and progress is not None and _has_events(connection)
            if told and progress is not None and copying is not None:
                progress(copying, 0, 1)
            for statement in MIGRATIONS[target].split(";"):
                if statement.strip():
                    connection.execute(statement)
            if told and progress is not None and copying is not None:
                progress(copying, 1, 1)
            _fill(target, connection, progress)
            connection.execute(f"PRAGMA user_version = {target}")
        connection.execute("COMMIT")
    except BaseException:
        # Interrupted or failed: nothing of the migration stays, the next open starts over.
        connection.execute("ROLLBACK")
        raise


# The schemas whose statements copy every event (a minute at ten million), by what the
# progress line calls the work: said before it starts, when there are events to copy.
_COPIES = {5: "eventID index"}


def _has_events(connection: sqlite3.Connection) -> bool:
    return bool(connection.execute("SELECT EXISTS (SELECT 1 FROM events)").fetchone()[0])


def _fill(target: int, connection: sqlite3.Connection, progress: Progress | None) -> None:
    """What schema `target` adds, computed for the events cached before it."""
    if target == 1:
        connection.execute(
            "INSERT INTO meta (key, value) VALUES ('zstd_dict', ?)", (packaged_dictionary(),)
        )
    elif target == 2:
        fill_flags(connection, progress)
    elif target == 3:
        fill_resources(connection, progress)
    elif target == 4:
        # One statement, a scan of every event: said before it starts (a new cache has none).
        told = progress is not None and _has_events(connection)
        if told and progress is not None:
            progress("summary", 0, 1)
        summary.fill(connection)
        if told and progress is not None:
            progress("summary", 1, 1)
    # Every schema from here on renews the token: the index is rebuilt after an upgrade.
    if target >= 4:
        summary.renew_token(connection)


def fill_flags(connection: sqlite3.Connection, progress: Progress | None = None) -> None:
    """What ingest now computes per event, for the events cached before: the read/write of
    records without readOnly, from the operation's name, and the risk flags, from the
    record. Only events of an operation that can carry a flag are decompressed and parsed:
    a small share of any cache."""
    # One pass over the events for all names at once (a pass per name would read the whole
    # table as many times as there are names): the answers by name id in a temporary table.
    answers = [
        (int(name_id), int(inferred))
        for name_id, name in connection.execute(
            "SELECT id, text FROM strings WHERE id IN "
            "(SELECT DISTINCT event_name FROM events WHERE read_only IS NULL)"
        ).fetchall()
        if (inferred := infer_read_only(str(name))) is not None
    ]
    if answers:
        connection.execute("CREATE TEMP TABLE inferred (id INTEGER PRIMARY KEY, read_only INTEGER)")
        connection.executemany("INSERT INTO inferred VALUES (?, ?)", answers)
        connection.execute(
            "UPDATE events SET read_only = (SELECT read_only FROM inferred "
            "WHERE inferred.id = events.event_name), flags = flags | ? "
            "WHERE read_only IS NULL AND event_name IN (SELECT id FROM inferred)",
            (INFERRED_READ_ONLY,),
        )
        connection.execute("DROP TABLE inferred")
    names = sorted(RISK_OPERATIONS)
    ids: list[int] = []
    for start in range(0, len(names), LOOKUP_BATCH):
        chunk = names[start : start + LOOKUP_BATCH]
        marks = ", ".join("?" * len(chunk))
        ids.extend(
            int(row[0])
            for row in connection.execute(f"SELECT id FROM strings WHERE text IN ({marks})", chunk)
        )
    if not ids:
        return
    marks = ", ".join("?" * len(ids))
    total = int(
        connection.execute(
            f"SELECT count(*) FROM events WHERE event_name IN ({marks})", ids
        ).fetchone()[0]
    )
    row = connection.execute("SELECT value FROM meta WHERE key = 'zstd_dict'").fetchone()
    codec = RecordCodec(bytes(row[0]) if row else b"")
    rows = connection.execute(
        "SELECT e.rowid, e.raw, (SELECT text FROM strings WHERE id = e.account) FROM events "
        f"AS e WHERE e.event_name IN ({marks})",
        ids,
    ).fetchall()
    updates: list[tuple[int, int]] = []
    for done, (rowid, blob, account) in enumerate(rows, 1):
        try:
            record = orjson.loads(codec.decompress(blob))
        except (ValueError, zstandard.ZstdError):  # orjson's error is a ValueError
            record = None  # a damaged row keeps no flags rather than stopping the upgrade
        if isinstance(record, dict):
            bits = risk_flags(record, str(account or ""))
            if bits:
                updates.append((bits, int(rowid)))
        if progress is not None and (done % _REPORT_EVERY == 0 or done == total):
            progress("risk flags", done, total)
    connection.executemany("UPDATE events SET flags = flags | ? WHERE rowid = ?", updates)


# Events read per round of the resources fill: bounded memory whatever the cache's size.
_FILL_BATCH = 2000


def fill_resources(connection: sqlite3.Connection, progress: Progress | None = None) -> None:
    """The resources and relations (model.resources) of the RDS events cached before:
    what ingest now computes for each. Every RDS event's record is read once, in rowid
    order and in batches."""
    row = connection.execute(
        "SELECT id FROM strings WHERE text = ?", (RDS_EVENT_SOURCE,)
    ).fetchone()
    if row is None:
        return
    source = int(row[0])
    total = int(
        connection.execute(
            "SELECT count(*) FROM events WHERE event_source = ?", (source,)
        ).fetchone()[0]
    )
    dictionary = connection.execute("SELECT value FROM meta WHERE key = 'zstd_dict'").fetchone()
    codec = RecordCodec(bytes(dictionary[0]) if dictionary else b"")
    known: dict[ResourceId, int] = {}
    done, after = 0, 0
    while True:
        rows = connection.execute(
            "SELECT e.rowid, e.raw, (SELECT text FROM strings WHERE id = e.account), "
            "(SELECT text FROM strings WHERE id = e.region), e.event_time, e.read_only, "
            "e.error_code, e.flags, e.event_name FROM events AS e "
            "WHERE e.event_source = ? AND e.rowid > ? ORDER BY e.rowid LIMIT ?",
            (source, after, _FILL_BATCH),
        ).fetchall()
        if not rows:
            break
        facts = []
        for rowid, blob, account, region, time, read_only, error_code, flags, name in rows:
            try:
                record = orjson.loads(codec.decompress(blob))
            except (ValueError, zstandard.ZstdError):
                record = None  # a damaged row relates nothing rather than stopping the upgrade
            if isinstance(record, dict):
                touched = resource_ids_of(record, account or "", region or "")
                relations = relations_of(record, account or "", region or "")
                if touched or relations:
                    facts.append(
                        EventFacts(
                            int(rowid),
                            int(time),
                            int(name),
                            None if read_only is None else bool(read_only),
                            error_code is not None,
                            int(flags),
                            touched,
                            relations,
                        )
                    )
        store_facts(connection, known, facts)
        done += len(rows)
        after = int(rows[-1][0])
        if progress is not None:
            progress("resources", done, total)
