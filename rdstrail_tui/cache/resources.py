"""The resources events touch and the relations between them: writing them beside the
events (at ingest and by the migration that fills them for older caches) and reading a
resource's events back.

Resources are interned like strings: one row per identity, events hold its id. A history
is then a range of event_resources' primary key, whatever the size of the cache.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from rdstrail_tui.cache.schema import LOOKUP_BATCH
from rdstrail_tui.model.resources import Relation, ResourceId

# (rowid of the event, what it touched, the relations it set up)
EventFacts = tuple[int, Sequence[ResourceId], Sequence[Relation]]


def resource_ids(
    db: sqlite3.Connection, known: dict[ResourceId, int], wanted: Iterable[ResourceId]
) -> dict[ResourceId, int]:
    """The resources.id of every identity, adding the new ones; `known` remembers them for
    the connection's life. Runs inside the caller's write transaction, which holds the
    write lock: what is not found here cannot be added by another process meanwhile."""
    missing = {rid for rid in wanted if rid not in known}
    if not missing:
        return known
    names = sorted({rid.identifier for rid in missing})
    for start in range(0, len(names), LOOKUP_BATCH):
        chunk = names[start : start + LOOKUP_BATCH]
        marks = ", ".join("?" * len(chunk))
        for id_, kind, account, region, identifier in db.execute(
            f"SELECT id, type, account, region, identifier FROM resources "
            f"WHERE identifier IN ({marks})",
            chunk,
        ):
            known[ResourceId(kind, account, region, identifier)] = int(id_)
    for rid in sorted(missing - known.keys()):
        cursor = db.execute(
            "INSERT INTO resources (type, account, region, identifier) VALUES (?, ?, ?, ?)", rid
        )
        known[rid] = int(cursor.lastrowid or 0)
    return known


def store_facts(
    db: sqlite3.Connection, known: dict[ResourceId, int], facts: Sequence[EventFacts]
) -> None:
    """Write what each event touched and related, inside the caller's transaction. Writing
    the same event's facts twice (a record delivered twice) changes nothing."""
    if not facts:
        return
    ids = resource_ids(
        db,
        known,
        (
            rid
            for _, touched, relations in facts
            for rid in (*touched, *(r.subject for r in relations), *(r.other for r in relations))
        ),
    )
    db.executemany(
        "INSERT OR IGNORE INTO event_resources (resource, event) VALUES (?, ?)",
        ((ids[rid], rowid) for rowid, touched, _ in facts for rid in touched),
    )
    db.executemany(
        "INSERT OR IGNORE INTO event_relations (subject, kind, other, event) VALUES (?, ?, ?, ?)",
        (
            (ids[r.subject], r.kind, ids[r.other], rowid)
            for rowid, _, relations in facts
            for r in relations
        ),
    )
