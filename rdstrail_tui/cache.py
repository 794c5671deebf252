"""The local SQLite cache: schema and migrations, de-duplicated inserts, sync cursors, queries.

One file holds every event ever loaded, keyed by eventID so a record delivered twice (or
loaded twice) is stored once. WAL mode lets readers (the TUI) run while a load writes, and
with synchronous=NORMAL a crash can lose the last transactions but never corrupt the file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from rdstrail_tui.codec import RecordCodec, packaged_dictionary
from rdstrail_tui.model import Event, decode_event_id, encode_event_id

if TYPE_CHECKING:
    from rdstrail_tui.filters import Filter

APP_NAME = "rdstrail"
CACHE_ENV = "RDSTRAIL_CACHE"
SCHEMA_VERSION = 1
# Long enough for a parallel load's writers to take turns on the write lock.
BUSY_TIMEOUT_MS = 120_000


class CacheError(Exception):
    """The cache cannot be used; the message says which file and what to do."""


def default_cache_path() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "events.db"


def demo_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "demo.db"


_MIGRATIONS: dict[int, str] = {
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

_EVENT_COLUMNS = (
    "event_id, event_time, event_name, event_source, region, account, principal, "
    "source_ip, user_agent, read_only, error_code, error_message, resource"
)
_INSERT = f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}, raw) VALUES ({', '.join('?' * 14)})"
# The text of each interned column, for reading events back.
_TEXT_COLUMNS = (
    "event_name",
    "event_source",
    "region",
    "account",
    "principal",
    "source_ip",
    "user_agent",
)
_SELECT_EVENTS = (
    "SELECT e.event_id, e.event_time, "
    + ", ".join(f"(SELECT text FROM strings WHERE id = e.{c})" for c in _TEXT_COLUMNS)
    + ", e.read_only, "
    + ", ".join(
        f"(SELECT text FROM strings WHERE id = e.{c})"
        for c in ("error_code", "error_message", "resource")
    )
)
# Strings looked up per statement when interning: under SQLite's variable limit.
_LOOKUP_BATCH = 500


@dataclass(frozen=True)
class SourceInfo:
    source: str
    kind: str
    first_loaded: int
    last_loaded: int
    events_added: int


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    size_bytes: int
    events: int
    first_time: int | None
    last_time: int | None
    sources: list[SourceInfo]


@dataclass(frozen=True)
class Stats:
    total: int
    first_time: int | None
    last_time: int | None
    by_name: list[tuple[str, int]]
    by_principal: list[tuple[str, int]]
    by_source_ip: list[tuple[str, int]]
    by_error: list[tuple[str, int]]


def _create_private_file(path: Path) -> None:
    """Create the cache directory and file owner-only: they hold who did what, from where."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True)
        parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    if not path.exists():
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(descriptor)


def _tighten(path: Path) -> None:
    """An existing cache (or its WAL) readable by others is narrowed to its owner."""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077 and candidate.stat().st_uid == os.getuid():
                candidate.chmod(mode & 0o700)
        except OSError:
            continue


class Cache:
    """A connection to one cache file. Not shared across threads or processes."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._codec = RecordCodec(self._dictionary())
        # text -> strings.id, learnt from committed transactions only (see _Transaction).
        self._string_ids: dict[str, int] = {}

    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = True) -> Cache:
        path = (path or default_cache_path()).expanduser()
        try:
            if create:
                _create_private_file(path)
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
            _migrate(connection, path)
            # Only once it is known to be a cache: a wrong --cache file is left as it was.
            _tighten(path)
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
            rows = [
                (
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
                for e in batch
            ]
            before = self._db.total_changes
            self._db.executemany(_INSERT, rows)
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
            for start in range(0, len(missing), _LOOKUP_BATCH):
                chunk = missing[start : start + _LOOKUP_BATCH]
                marks = ", ".join("?" * len(chunk))
                known.update(
                    (text, id_)
                    for id_, text in self._db.execute(
                        f"SELECT id, text FROM strings WHERE text IN ({marks})", chunk
                    )
                )
        return known

    def transaction(self) -> _Transaction:
        return _Transaction(self._db, on_rollback=self._string_ids.clear)

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
        row = self._db.execute(
            "SELECT value FROM sync_cursors WHERE source = ? AND key = ?", (source, key)
        ).fetchone()
        return str(row[0]) if row else None

    def cursors(self, source: str) -> dict[str, str]:
        """Every cursor of `source`, by key: one query where a sync would make one per key."""
        rows = self._db.execute(
            "SELECT key, value FROM sync_cursors WHERE source = ?", (source,)
        ).fetchall()
        return {str(key): str(value) for key, value in rows}

    def set_cursor(self, source: str, key: str, value: str) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT INTO sync_cursors (source, key, value, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, "
                "updated = excluded.updated",
                (source, key, value, int(time.time())),
            )

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

    def count(self, where: Filter | None = None) -> int:
        clause, params = _where(where)
        row = self._db.execute(f"SELECT count(*) FROM events WHERE {clause}", params).fetchone()
        return int(row[0])

    def events(
        self, where: Filter | None = None, *, limit: int | None = None, with_raw: bool = True
    ) -> Iterator[Event]:
        """Matching events, newest first; raw is b'' unless with_raw."""
        clause, params = _where(where)
        raw_column = "e.raw" if with_raw else "x''"
        sql = (
            f"{_SELECT_EVENTS}, {raw_column} FROM events AS e WHERE {clause} "
            "ORDER BY e.event_time DESC, e.rowid DESC"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params = [*params, limit]
        decompress = self._codec.decompress if with_raw else None
        for row in self._db.execute(sql, params):
            yield _event_of(row, decompress)

    def rowids(self, where: Filter | None, *, offset: int, limit: int) -> list[int]:
        """Rowids of matching events, newest first, from `offset`."""
        clause, params = _where(where)
        sql = (
            f"SELECT rowid FROM events WHERE {clause} "
            "ORDER BY event_time DESC, rowid DESC LIMIT ? OFFSET ?"
        )
        return [int(row[0]) for row in self._db.execute(sql, [*params, limit, offset])]

    def events_by_rowid(self, rowids: Sequence[int], *, with_raw: bool = False) -> dict[int, Event]:
        """The events at these rowids (the explorer fetches what is on screen this way)."""
        found: dict[int, Event] = {}
        decompress = self._codec.decompress
        raw_column = "e.raw" if with_raw else "x''"
        for start in range(0, len(rowids), _LOOKUP_BATCH):
            chunk = list(rowids[start : start + _LOOKUP_BATCH])
            marks = ", ".join("?" * len(chunk))
            sql = (
                f"{_SELECT_EVENTS}, {raw_column}, e.rowid FROM events AS e "
                f"WHERE e.rowid IN ({marks})"
            )
            for row in self._db.execute(sql, chunk):
                found[row[14]] = _event_of(row, decompress if with_raw else None)
        return found

    def column_texts(self, expressions: Sequence[str], after_rowid: int = 0) -> list[str]:
        """Integer columns of every event past `after_rowid`, each as one comma-separated text.
        One table scan that SQLite does in C: for a million rows several times faster than
        fetching them as Python tuples. `expressions` come from code, never from users."""
        select = ", ".join(f"coalesce(group_concat({e}), '')" for e in expressions)
        row = self._db.execute(
            f"SELECT {select} FROM events WHERE rowid > ?", (after_rowid,)
        ).fetchone()
        return [str(text) for text in row]

    def string_ids_containing(self, folded: str) -> list[int]:
        """Ids of the interned strings that contain `folded` (ASCII case-insensitively)."""
        return [
            int(row[0])
            for row in self._db.execute(
                "SELECT id FROM strings WHERE instr(lower(text), ?) > 0", (folded,)
            )
        ]

    def rowid_of(self, event_id: str) -> int | None:
        row = self._db.execute(
            "SELECT rowid FROM events WHERE event_id = ?", (encode_event_id(event_id),)
        ).fetchone()
        return int(row[0]) if row else None

    def texts_of(self, ids: Sequence[int]) -> list[str]:
        """The interned strings with these ids, in the same order."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), _LOOKUP_BATCH):
            chunk = [int(i) for i in ids[start : start + _LOOKUP_BATCH]]
            marks = ", ".join("?" * len(chunk))
            found.update(
                self._db.execute(f"SELECT id, text FROM strings WHERE id IN ({marks})", chunk)
            )
        return [found.get(int(i), "") for i in ids]

    def last_sync(self) -> tuple[int, int | None]:
        """How many sources were loaded or synced, and when the last AWS sync ran (epoch)."""
        count, last = self._db.execute(
            "SELECT count(*), max(CASE WHEN kind IN ('lookup', 's3') THEN last_loaded END) "
            "FROM sources"
        ).fetchone()
        return int(count), last

    def max_rowid(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0])

    def stats(self, where: Filter | None = None, top: int = 10) -> Stats:
        clause, params = _where(where)
        total, first, last = self._db.execute(
            f"SELECT count(*), min(event_time), max(event_time) FROM events WHERE {clause}",
            params,
        ).fetchone()

        def by(column: str, extra: str = "") -> list[tuple[str, int]]:
            rows = self._db.execute(
                f"SELECT s.text, n FROM (SELECT {column} AS id, count(*) AS n FROM events "
                f"WHERE ({clause}) {extra} GROUP BY {column}) JOIN strings AS s USING (id) "
                "ORDER BY n DESC, s.text LIMIT ?",
                [*params, top],
            )
            return [(str(value), int(n)) for value, n in rows]

        return Stats(
            total=int(total),
            first_time=first,
            last_time=last,
            by_name=by("event_name"),
            by_principal=by("principal"),
            by_source_ip=by("source_ip"),
            by_error=by("error_code", "AND error_code IS NOT NULL"),
        )

    def info(self) -> CacheInfo:
        events, first, last = self._db.execute(
            "SELECT count(*), min(event_time), max(event_time) FROM events"
        ).fetchone()
        sources = [
            SourceInfo(*row)
            for row in self._db.execute(
                "SELECT source, kind, first_loaded, last_loaded, events_added FROM sources "
                "ORDER BY last_loaded DESC, source"
            )
        ]
        size = sum(
            candidate.stat().st_size
            for candidate in (self.path, Path(f"{self.path}-wal"))
            if candidate.exists()
        )
        return CacheInfo(self.path, size, int(events), first, last, sources)


def _event_of(row: Sequence[Any], decompress: Callable[[bytes], bytes] | None) -> Event:
    """An Event from a row of _SELECT_EVENTS plus the raw column."""
    read_only = None if row[9] is None else bool(row[9])
    raw = decompress(row[13]) if decompress else b""
    return Event._make((decode_event_id(row[0]), *row[1:9], read_only, *row[10:13], raw))


class _Transaction:
    """`BEGIN IMMEDIATE` takes the write lock up front, so two writers queue on busy_timeout
    instead of one failing with SQLITE_BUSY when it upgrades a read lock."""

    def __init__(
        self, connection: sqlite3.Connection, on_rollback: Callable[[], None] = lambda: None
    ) -> None:
        self._db = connection
        self._on_rollback = on_rollback

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
            # String ids learnt inside the rolled-back transaction no longer exist.
            self._on_rollback()


def _where(where: Filter | None) -> tuple[str, list[object]]:
    if where is None or where.is_empty():
        return "1", []
    return where.where()


def _migrate(connection: sqlite3.Connection, path: Path) -> None:
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
            for statement in _MIGRATIONS[target].split(";"):
                if statement.strip():
                    connection.execute(statement)
            if target == 1:
                connection.execute(
                    "INSERT INTO meta (key, value) VALUES ('zstd_dict', ?)",
                    (packaged_dictionary(),),
                )
            connection.execute(f"PRAGMA user_version = {target}")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
