"""The local SQLite cache: one connection to one file, de-duplicated inserts, reads.

One file holds every event ever loaded, keyed by eventID so a record delivered twice (or
loaded twice) is stored once. WAL mode lets readers (the TUI) run while a load writes, and
with synchronous=NORMAL a crash can lose the last transactions but never corrupt the file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Container, Iterable, Iterator, Sequence
from pathlib import Path

from rdstrail_tui.cache import reports, resources, summary, sync_state
from rdstrail_tui.cache.codec import RecordCodec
from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.ids import encode_event_id
from rdstrail_tui.cache.migrations import Progress, migrate
from rdstrail_tui.cache.paths import create_private_file, default_cache_path, tighten
from rdstrail_tui.cache.reports import CacheInfo, Stats
from rdstrail_tui.cache.resources import EventFacts, store_facts
from rdstrail_tui.cache.schema import (
    EVERYTHING,
    INDEX_COLUMNS,
    INSERT_EVENT,
    LOOKUP_BATCH,
    ROWID_POSITION,
    SELECT_EVENTS,
    Where,
    event_id_is,
    event_of,
    event_row,
    resources_matching,
    strings_matching,
)
from rdstrail_tui.cache.summary import CacheSummary
from rdstrail_tui.cache.transaction import Transaction
from rdstrail_tui.model.event import Event
from rdstrail_tui.model.history import EventRow, ResourceSummary
from rdstrail_tui.model.resources import ResourceId

# Long enough for a parallel load's writers to take turns on the write lock.
BUSY_TIMEOUT_MS = 120_000
# The write-ahead log is folded into the file and emptied once it passes this size. SQLite's
# own checkpoints copy pages but cannot empty a log that two writers take turns on (one of
# them always holds a snapshot), so a long parallel load grew it without bound: 19 GB for
# 7 million events, every commit slower than the one before.
WAL_LIMIT_BYTES = 256 * 1024 * 1024
# SQLite's page cache for a connection that writes (KiB, as cache_size takes it negative):
# each insert probes the eventID and strings indexes at random places, which at ten million
# events are hundreds of MB; the default 2 MB made every batch slower than the last. Readers
# (the explorer) keep the default, so their memory does not grow with the cache.
WRITER_CACHE_KIB = 64 * 1024


class Cache:
    """A connection to one cache file. Not shared across threads or processes."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._codec = RecordCodec(self._dictionary())
        # text -> strings.id, learnt from committed transactions only (see transaction()).
        self._string_ids: dict[str, int] = {}
        # The same for resource identities -> resources.id.
        self._resource_ids: dict[ResourceId, int] = {}
        self._writing = False  # inserted through this connection yet (see WRITER_CACHE_KIB)

    @classmethod
    def open(
        cls, path: Path | None = None, *, create: bool = True, progress: Progress | None = None
    ) -> Cache:
        """Open (and create, unless not `create`) a cache, migrating an older file to this
        version's schema first; `progress` hears how a long migration goes."""
        path = (path or default_cache_path()).expanduser()
        try:
            if create:
                create_private_file(path)
            elif not path.exists():
                raise CacheError(f"no cache at {path}: load events first (rdstrail load PATH)")
            connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
        except OSError as error:
            raise CacheError(f"cannot open cache {path}: {error.strerror or error}") from None
        except sqlite3.Error as error:
            raise CacheError(f"cannot open cache {path}: {error}") from None
        connection.isolation_level = None  # explicit transactions only
        try:
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            migrate(connection, path, progress)
            # Only once it is known to be a cache: a wrong --cache file is left as it was.
            tighten(path)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise CacheError(
                f"{path} is not a usable rdstrail cache ({error}): "
                "move it aside, or pass another file with --cache"
            ) from None
        return cls(path, connection)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _dictionary(self) -> bytes:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'zstd_dict'").fetchone()
        return bytes(row[0]) if row else b""

    # -- writing -----------------------------------------------------------------------

    def insert(self, events: Iterable[Event]) -> int:
        """Insert in one transaction; returns how many were new (the rest were duplicates)."""
        batch = list(events)
        if not batch:
            return 0
        if not self._writing:
            self._writing = True
            self._db.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
        # What needs no database is done before the write lock, which a parallel load's
        # other workers are waiting for.
        compress = self._codec.compress
        blobs = [compress(e.raw) for e in batch]
        stored_ids = [encode_event_id(e.event_id) for e in batch]
        texts = _texts_of(batch)
        with self.transaction():
            ids = self._intern(texts)
            # Under the write lock nobody else adds rows: the batch's rows are numbered
            # from the current end, and a duplicate's number is left unused.
            (last,) = self._db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()
            base = int(last) + 1
            rows = [
                event_row(base + i, e, ids, stored_id, blob)
                for i, (e, stored_id, blob) in enumerate(zip(batch, stored_ids, blobs))
            ]
            before = self._db.total_changes
            self._db.executemany(INSERT_EVENT, rows)
            added = self._db.total_changes - before
            stored = self._stored_rowids(len(batch), base, added)
            summary.add_events(
                self._db,
                (
                    (e.event_time, ids[e.region], e.error_code is not None)
                    for i, e in enumerate(batch)
                    if base + i in stored
                ),
            )
            self._store_facts(batch, base, stored, ids)
        self._bound_wal()
        return added

    def _bound_wal(self) -> None:
        """Empty the write-ahead log once it is large: waits (busy_timeout) for the other
        writers' transactions and the readers' snapshots, then folds it in and truncates."""
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except OSError:
            return
        if size > WAL_LIMIT_BYTES:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    def _stored_rowids(self, size: int, base: int, added: int) -> Container[int]:
        """The rowids a batch of `size` numbered from `base` took, `added` of them new."""
        if added == size:
            return range(base, base + size)
        # Some were duplicates: the rows this batch added are the numbers now taken.
        return {
            int(row[0])
            for row in self._db.execute("SELECT rowid FROM events WHERE rowid >= ?", (base,))
        }

    def _store_facts(
        self, batch: list[Event], base: int, stored: Container[int], ids: dict[str, int]
    ) -> None:
        """The resources, relations and resource summaries of the batch's new events.
        Facts are per event, so only an event's first storing adds them: a record loaded
        twice, or older records loaded later, leave the same tables."""
        facts = [
            EventFacts(
                base + i,
                e.event_time,
                ids[e.event_name],
                e.read_only,
                e.error_code is not None,
                e.flags,
                e.resources,
                e.relations,
            )
            for i, e in enumerate(batch)
            if (e.resources or e.relations) and base + i in stored
        ]
        store_facts(self._db, self._resource_ids, facts)

    def _intern(self, texts: set[str]) -> dict[str, int]:
        """The strings.id of every text in `texts`, adding the new ones. Runs inside the
        insert's transaction, which holds the write lock, so ids cannot race."""
        known = self._string_ids
        missing = [text for text in texts if text not in known]
        if missing:
            self._db.executemany(
                "INSERT OR IGNORE INTO strings (text) VALUES (?)", ((t,) for t in missing)
            )
            for start in range(0, len(missing), LOOKUP_BATCH):
                chunk = missing[start : start + LOOKUP_BATCH]
                marks = ", ".join("?" * len(chunk))
                known.update(
                    (text, id_)
                    for id_, text in self._db.execute(
                        f"SELECT id, text FROM strings WHERE text IN ({marks})", chunk
                    )
                )
        return known

    def transaction(self) -> Transaction:
        # String ids learnt inside a rolled-back transaction no longer exist.
        return Transaction(self._db, on_rollback=self._forget_ids)

    def _forget_ids(self) -> None:
        self._string_ids.clear()
        self._resource_ids.clear()

    def record_source(self, source: str, kind: str, events_added: int) -> None:
        now = int(time.time())
        with self.transaction():
            self._db.execute(
                "INSERT INTO sources (source, kind, first_loaded, last_loaded, events_added) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source) DO UPDATE SET "
                "last_loaded = excluded.last_loaded, "
                "events_added = events_added + excluded.events_added",
                (source, kind, now, now, events_added),
            )

    def get_cursor(self, source: str, key: str) -> str | None:
        return sync_state.get_cursor(self._db, source, key)

    def cursors(self, source: str) -> dict[str, str]:
        return sync_state.cursors(self._db, source)

    def set_cursor(self, source: str, key: str, value: str) -> None:
        sync_state.set_cursor(self._db, source, key, value)

    def clear(self) -> int:
        """Forget every event, source and cursor; returns how many events were removed."""
        with self.transaction():
            removed = self.count()
            self._db.execute("DELETE FROM events")
            self._db.execute("DELETE FROM strings")
            self._db.execute("DELETE FROM sources")
            self._db.execute("DELETE FROM sync_cursors")
            self._db.execute("DELETE FROM event_resources")
            self._db.execute("DELETE FROM event_relations")
            self._db.execute("DELETE FROM resources")
            summary.clear(self._db)  # and a new index token: rowids start again from 1
        self._forget_ids()
        self._db.execute("VACUUM")
        return removed

    # -- reading -----------------------------------------------------------------------

    def count(self, where: Where | None = None) -> int:
        if where is None or where == EVERYTHING:
            return self.summary().events  # maintained by every insert: no scan
        row = self._db.execute(
            f"SELECT count(*) FROM events WHERE {where.sql}", where.params
        ).fetchone()
        return int(row[0])

    def events(
        self, where: Where | None = None, *, limit: int | None = None, with_raw: bool = True
    ) -> Iterator[Event]:
        """Matching events, newest first; raw is b'' unless with_raw."""
        where = where or EVERYTHING
        params = list(where.params)
        raw_column = "e.raw" if with_raw else "x''"
        sql = (
            f"{SELECT_EVENTS}, {raw_column} FROM events AS e WHERE {where.sql} "
            "ORDER BY e.event_time DESC, e.rowid DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        decompress = self._codec.decompress if with_raw else None
        for row in self._db.execute(sql, params):
            yield event_of(row, decompress)

    def rowids(self, where: Where | None, *, offset: int, limit: int) -> list[int]:
        """Rowids of matching events, newest first, from `offset`."""
        where = where or EVERYTHING
        sql = (
            f"SELECT rowid FROM events WHERE {where.sql} "
            "ORDER BY event_time DESC, rowid DESC LIMIT ? OFFSET ?"
        )
        return [int(row[0]) for row in self._db.execute(sql, [*where.params, limit, offset])]

    def events_by_rowid(self, rowids: Sequence[int], *, with_raw: bool = False) -> dict[int, Event]:
        """The events at these rowids (the explorer fetches what is on screen this way)."""
        found: dict[int, Event] = {}
        decompress = self._codec.decompress
        raw_column = "e.raw" if with_raw else "x''"
        for start in range(0, len(rowids), LOOKUP_BATCH):
            chunk = list(rowids[start : start + LOOKUP_BATCH])
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"{SELECT_EVENTS}, {raw_column}, e.rowid FROM events AS e "
                f"WHERE e.rowid IN ({marks})"
            )
            for row in self._db.execute(sql, chunk):
                found[row[ROWID_POSITION]] = event_of(row, decompress if with_raw else None)
        return found

    def index_columns(
        self, names: Sequence[str], after_rowid: int = 0, upto_rowid: int | None = None
    ) -> list[str]:
        """The named INDEX_COLUMNS of every event with a rowid in (after_rowid,
        upto_rowid], each as one comma-separated text. One range of the table that SQLite
        reads in C: for a million rows several times faster than fetching Python tuples."""
        select = ", ".join(f"coalesce(group_concat({INDEX_COLUMNS[n]}), '')" for n in names)
        upto = (1 << 62) if upto_rowid is None else upto_rowid
        row = self._db.execute(
            f"SELECT {select} FROM events WHERE rowid > ? AND rowid <= ?", (after_rowid, upto)
        ).fetchone()
        return [str(text) for text in row]

    def count_after(self, rowid: int) -> int:
        """How many events have a rowid above `rowid`: a range of the table's key."""
        row = self._db.execute("SELECT count(*) FROM events WHERE rowid > ?", (rowid,))
        return int(row.fetchone()[0])

    def summary(self) -> CacheSummary:
        """The maintained summary of every cached event (cache/summary.py): no scan."""
        return summary.read(self._db)

    def index_token(self) -> str:
        """The name of this numbering of the rows, which the persisted index checks."""
        return summary.index_token(self._db)

    def string_ids_matching(self, folded: str, *, exact: bool) -> list[int]:
        """Ids of the interned strings that contain `folded` (already ASCII-lowered), or
        with `exact` equal it, ASCII case-insensitively: the same test as the SQL filter's
        (schema.strings_matching), so both evaluators find the same strings."""
        test, params = strings_matching(folded, exact=exact)
        rows = self._db.execute(f"SELECT id FROM strings WHERE {test}", params)
        return [int(row[0]) for row in rows]

    def rowid_of(self, event_id: str) -> int | None:
        where = event_id_is(event_id)
        row = self._db.execute(
            f"SELECT rowid FROM events WHERE {where.sql}", where.params
        ).fetchone()
        return int(row[0]) if row else None

    def texts_of(self, ids: Sequence[int]) -> list[str]:
        """The interned strings with these ids, in the same order."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = [int(i) for i in ids[start : start + LOOKUP_BATCH]]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(f"SELECT id, text FROM strings WHERE id IN ({marks})", chunk)
            )
        return [found.get(int(i), "") for i in ids]

    def text_lengths(self, ids: Sequence[int]) -> list[int]:
        """The lengths in characters of the interned strings with these ids, in the same
        order (0 for an unknown id): what the explorer sizes its columns from. SQLite's
        length() counts characters, so the texts themselves never leave the database."""
        found: dict[int, int] = {}
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = [int(i) for i in ids[start : start + LOOKUP_BATCH]]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(
                    f"SELECT id, length(text) FROM strings WHERE id IN ({marks})", chunk
                )
            )
        return [found.get(int(i), 0) for i in ids]

    def texts_beyond_ascii(self, ids: Sequence[int]) -> dict[int, str]:
        """Of the interned strings with these ids, those holding anything but printable
        ASCII (control characters, non-ASCII letters), by id: the few whose width on screen
        is not their length, which the caller measures itself."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), LOOKUP_BATCH):
            chunk = [int(i) for i in ids[start : start + LOOKUP_BATCH]]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(
                    f"SELECT id, text FROM strings WHERE id IN ({marks}) AND text GLOB '*[^ -~]*'",
                    chunk,
                )
            )
        return found

    def resources_named(self, identifier: str) -> list[tuple[int, ResourceId]]:
        """The resources whose identifier is `identifier` (any case), with their ids: more
        than one where accounts, regions or types share a name."""
        rows = self._db.execute(
            "SELECT id, type, account, region, identifier FROM resources WHERE identifier = ? "
            "ORDER BY type, account, region",
            (identifier.lower(),),
        )
        return [(int(row[0]), ResourceId(*row[1:])) for row in rows]

    def resource(self, resource_id: int) -> ResourceId | None:
        return resources.resource_by_id(self._db, resource_id)

    def timeline(self, resource_ids: Sequence[int]) -> list[EventRow]:
        """The events touching any of these resources, each once, oldest first."""
        return resources.timeline(self._db, resource_ids)

    def rows_at(self, rowids: Sequence[int]) -> list[EventRow]:
        """The events at these rowids without their records, oldest first."""
        return resources.rows_at(self._db, rowids)

    def timeline_columns(self, resource_id: int) -> tuple[str, str, str, str]:
        """A resource's events as columns: times, rowids, eventName ids, successful reads."""
        return resources.timeline_columns(self._db, resource_id)

    def resource_summaries(
        self, folded: Sequence[str] = (), *, exact: bool = False
    ) -> list[ResourceSummary]:
        """Every resource with the summary of its events; with `folded`, only those
        res: would match by identity (schema.resources_matching)."""
        test = resources_matching(folded, exact=exact) if folded else None
        return resources.summaries(self._db, test)

    def relation_ids(self, resource_id: int) -> list[tuple[str, int, bool, int]]:
        return resources.relation_ids(self._db, resource_id)

    def times_of(self, rowids: Sequence[int]) -> dict[int, int]:
        """The event_time of the events at these rowids."""
        return resources.times_of(self._db, rowids)

    def rowids_touching(self, folded: Sequence[str], *, exact: bool) -> list[int]:
        """Rowids of the events touching a resource res: would match by identity."""
        return resources.events_touching_matching(self._db, resources_matching(folded, exact=exact))

    def relations_of(self, resource_id: int) -> list[tuple[str, ResourceId, bool, int]]:
        """The relations the resource is in: (kind, the other resource, whether it is the
        subject, the rowid of the event that set it up)."""
        found: list[tuple[str, ResourceId, bool, int]] = []
        for column, other, subject in (("subject", "other", True), ("other", "subject", False)):
            rows = self._db.execute(
                f"SELECT r.kind, x.type, x.account, x.region, x.identifier, r.event "
                f"FROM event_relations AS r JOIN resources AS x ON x.id = r.{other} "
                f"WHERE r.{column} = ?",
                (resource_id,),
            )
            found.extend((row[0], ResourceId(*row[1:5]), subject, int(row[5])) for row in rows)
        return found

    def last_sync(self) -> tuple[int, int | None]:
        """How many sources were loaded or synced, and when the last AWS sync ran (epoch)."""
        return reports.last_sync(self._db)

    def data_version(self) -> int:
        """A number that changes whenever another connection commits to the file."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def max_rowid(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0])

    def stats(self, where: Where | None = None, top: int = 10) -> Stats:
        return reports.stats(self._db, where or EVERYTHING, top)

    def info(self) -> CacheInfo:
        return reports.info(self._db, self.path)


def _texts_of(batch: list[Event]) -> set[str]:
    """Every text of the batch that is stored as a strings.id."""
    return {
        text
        for e in batch
        for text in (
            e.event_name,
            e.event_source,
            e.region,
            e.account,
            e.principal,
            e.source_ip,
            e.user_agent,
            e.error_code,
            e.error_message,
            e.resource,
        )
        if text is not None
    }
