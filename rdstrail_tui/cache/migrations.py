"""Bringing a cache file up to this version's schema, under the write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rdstrail_tui.cache.codec import packaged_dictionary
from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.schema import MIGRATIONS, SCHEMA_VERSION


def migrate(connection: sqlite3.Connection, path: Path) -> None:
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
            for statement in MIGRATIONS[target].split(";"):
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
