"""What the cache holds, summed up: `rdstrail stats`, `rdstrail cache info`, the explorer's
status line."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from rdstrail_tui.cache.schema import Where
from rdstrail_tui.model.risk import RISK_FLAGS, RISK_MASK

# Sources whose kind is a sync from AWS, for "last sync".
AWS_KINDS = ("lookup", "s3")


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
    by_flag: list[tuple[str, int]]
    """Events per risk flag, most first (flags with no event left out)."""


def stats(db: sqlite3.Connection, where: Where, top: int) -> Stats:
    params = list(where.params)
    total, first, last = db.execute(
        f"SELECT count(*), min(event_time), max(event_time) FROM events WHERE {where.sql}",
        params,
    ).fetchone()

    def by(column: str, extra: str = "") -> list[tuple[str, int]]:
        rows = db.execute(
            f"SELECT s.text, n FROM (SELECT {column} AS id, count(*) AS n FROM events "
            f"WHERE ({where.sql}) {extra} GROUP BY {column}) JOIN strings AS s USING (id) "
            "ORDER BY n DESC, s.text LIMIT ?",
            [*params, top],
        )
        return [(str(value), int(n)) for value, n in rows]

    # One pass over the risky rows only (a partial index lists them): a sum per flag.
    sums = ", ".join(f"coalesce(sum((flags & {flag.bit}) != 0), 0)" for flag in RISK_FLAGS)
    counts = db.execute(
        f"SELECT {sums} FROM events WHERE ({where.sql}) AND (flags & {RISK_MASK}) != 0", params
    ).fetchone()
    by_flag = sorted(
        ((flag.name, int(n)) for flag, n in zip(RISK_FLAGS, counts) if n),
        key=lambda item: (-item[1], item[0]),
    )
    return Stats(
        total=int(total),
        first_time=first,
        last_time=last,
        by_name=by("event_name"),
        by_principal=by("principal"),
        by_source_ip=by("source_ip"),
        by_error=by("error_code", "AND error_code IS NOT NULL"),
        by_flag=by_flag,
    )


def info(db: sqlite3.Connection, path: Path) -> CacheInfo:
    events, first, last = db.execute(
        "SELECT count(*), min(event_time), max(event_time) FROM events"
    ).fetchone()
    sources = [
        SourceInfo(*row)
        for row in db.execute(
            "SELECT source, kind, first_loaded, last_loaded, events_added FROM sources "
            "ORDER BY last_loaded DESC, source"
        )
    ]
    size = sum(
        candidate.stat().st_size for candidate in (path, Path(f"{path}-wal")) if candidate.exists()
    )
    return CacheInfo(path, size, int(events), first, last, sources)


def last_sync(db: sqlite3.Connection) -> tuple[int, int | None]:
    """How many sources were loaded or synced, and when the last AWS sync ran (epoch)."""
    marks = ", ".join("?" * len(AWS_KINDS))
    count, last = db.execute(
        f"SELECT count(*), max(CASE WHEN kind IN ({marks}) THEN last_loaded END) FROM sources",
        AWS_KINDS,
    ).fetchone()
    return int(count), last
