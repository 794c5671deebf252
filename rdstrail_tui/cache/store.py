"""The local SQLite cache: one connection to one file, de-duplicated inserts, reads.

One file holds every event ever loaded, keyed by eventID so a record delivered twice (or
loaded twice) is stored once. WAL mode lets readers (the TUI) run while a load writes, and
with synchronous=NORMAL a crash can lose the last transactions but never corrupt the file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from rdstrail_tui.cache import reports, sync_state
from rdstrail_tui.cache.codec import RecordCodec
from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.ids import encode_event_id
from rdstrail_tui.cache.migrations import Progress, migrate
from rdstrail_tui.cache.paths import create_private_file, default_cache_path, tighten
from rdstrail_tui.cache.reports import CacheInfo, Stats
from rdstrail_tui.cache.schema import (
    EVERYTHING,
    INDEX_COLUMNS,
    INSERT_EVENT,
    LOOKUP_BATCH,
    ROWID_POSITION,
    SELECT_EVENTS,
    Where,
    event_of,
    event_row,
    strings_matching,
)
from rdstrail_tui.cache.transaction import Transaction
from rdstrail_tui.model.event import Event

# Long enough for a parallel load's writers to take turns on the write lock.
BUSY_TIMEOUT_MS = 120_000


class Cache:
    """A connection to one cache file. Not shared across threads or processes."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._codec = RecordCodec(self._dictionary())
        # text -> strings.id, learnt from committed transactions only (see transaction()).
        self._string_ids: dict[str, int] = {}

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
        compress = self._codec.compress
        with self.transaction():
            ids = self._intern(batch)
            rows = [event_row(e, ids, compress) for e in batch]
            before = self._db.total_changes
            self._db.executemany(INSERT_EVENT, rows)
            return self._db.total_changes - before

    def _intern(self, batch: list[Event]) -> dict[str, int]:
        """The strings.id of every text in the batch, adding the new ones. Runs inside the
        insert's transaction, which holds the write lock, so ids cannot race."""
        known = self._string_ids
        wanted = {
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
            if text is not None and text not in known
        }
        if wanted:
            missing = list(wanted)
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
        return Transaction(self._db, on_rollback=self._string_ids.clear)

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
        self._string_ids.clear()
        self._db.execute("VACUUM")
        return removed

    # -- reading -----------------------------------------------------------------------

    def count(self, where: Where | None = None) -> int:
        where = where or EVERYTHING
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

    def index_columns(self, names: Sequence[str], after_rowid: int = 0) -> list[str]:
        """The named INDEX_COLUMNS of every event past `after_rowid`, each as one
        comma-separated text. One table scan that SQLite does in C: for a million rows
        several times faster than fetching them as Python tuples."""
        select = ", ".join(f"coalesce(group_concat({INDEX_COLUMNS[n]}), '')" for n in names)
        row = self._db.execute(
            f"SELECT {select} FROM events WHERE rowid > ?", (after_rowid,)
        ).fetchone()
        return [str(text) for text in row]

    def string_ids_matching(self, folded: str, *, exact: bool) -> list[int]:
        """Ids of the interned strings that contain `folded` (already ASCII-lowered), or
        with `exact` equal it, ASCII case-insensitively: the same test as the SQL filter's
        (schema.strings_matching), so both evaluators find the same strings."""
        test, params = strings_matching(folded, exact=exact)
        rows = self._db.execute(f"SELECT id FROM strings WHERE {test}", params)
        return [int(row[0]) for row in rows]

    def rowid_of(self, event_id: str) -> int | None:
        row = self._db.execute(
            "SELECT rowid FROM events WHERE event_id = ?", (encode_event_id(event_id),)
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

    def last_sync(self) -> tuple[int, int | None]:
        """How many sources were loaded or synced, and when the last AWS sync ran (epoch)."""
        return reports.last_sync(self._db)

    def max_rowid(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0])

    def stats(self, where: Where | None = None, top: int = 10) -> Stats:
        return reports.stats(self._db, where or EVERYTHING, top)

    def info(self) -> CacheInfo:
        return reports.info(self._db, self.path)
