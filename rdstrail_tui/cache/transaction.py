"""Write transactions that queue instead of failing."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable


class Transaction:
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
            # What the caller learnt inside the rolled-back transaction no longer holds.
            self._on_rollback()
