"""Key-value state of incremental syncs: where LookupEvents resumes per account-region, and
S3 per day prefix. Values are opaque text that each source encodes itself."""

from __future__ import annotations

import sqlite3
import time

from rdstrail_tui.cache.transaction import Transaction


def get_cursor(db: sqlite3.Connection, source: str, key: str) -> str | None:
    row = db.execute(
        "SELECT value FROM sync_cursors WHERE source = ? AND key = ?", (source, key)
    ).fetchone()
    return str(row[0]) if row else None


def cursors(db: sqlite3.Connection, source: str) -> dict[str, str]:
    """Every cursor of `source`, by key: one query where a sync would make one per key."""
    rows = db.execute("SELECT key, value FROM sync_cursors WHERE source = ?", (source,)).fetchall()
    return {str(key): str(value) for key, value in rows}


def set_cursor(db: sqlite3.Connection, source: str, key: str, value: str) -> None:
    with Transaction(db):
        db.execute(
            "INSERT INTO sync_cursors (source, key, value, updated) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, "
            "updated = excluded.updated",
            (source, key, value, int(time.time())),
        )
