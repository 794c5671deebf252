"""The resources events touch and the relations between them: writing them beside the
events (at ingest and by the migration that fills them for older caches) and reading a
resource's events back.

Resources are interned like strings: one row per identity, events hold its id. A history
is then a range of event_resources' primary key, whatever the size of the cache. Each
resource row also keeps a summary of its events (first and last seen, counts, the latest
write and the latest successful one, the risk flags): the resources screen reads those rows
and never aggregates the events. Every summary is a minimum, a maximum, a sum or an OR over
the resource's events, so the order events arrive in does not change it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from rdstrail_tui.cache.schema import LOOKUP_BATCH
from rdstrail_tui.model.history import EventRow, ResourceSummary
from rdstrail_tui.model.resources import Relation, ResourceId
from rdstrail_tui.model.risk import RISK_MASK


class EventFacts(NamedTuple):
    """What one newly stored event contributes: its rowid, what it touched and related,
    and the fields the summaries fold in."""

    rowid: int
    time: int
    name: int  # the eventName's strings.id
    read_only: bool | None
    failed: bool
    flags: int
    touched: Sequence[ResourceId]
    relations: Sequence[Relation]

    @property
    def write(self) -> bool:
        return self.read_only is False


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


class _Summary:
    """The summary of one resource over one batch's events."""

    __slots__ = ("change", "events", "first", "flags", "last", "write", "writes")

    def __init__(self, time: int) -> None:
        self.first = self.last = time
        self.events = self.writes = self.flags = 0
        self.write: tuple[int, int] | None = None  # (time, rowid) of the latest write
        self.change: tuple[int, int] | None = None  # ... of the latest successful write

    def add(self, fact: EventFacts) -> None:
        self.first = min(self.first, fact.time)
        self.last = max(self.last, fact.time)
        self.events += 1
        self.flags |= fact.flags & RISK_MASK
        if fact.write:
            self.writes += 1
            mark = (fact.time, fact.rowid)
            if self.write is None or mark > self.write:
                self.write = mark
            if not fact.failed and (self.change is None or mark > self.change):
                self.change = mark


# Folds a batch's summary into a resource's row. SQLite evaluates every SET expression
# against the row as it was, so each CASE compares with the old latest write. The latest is
# the greatest (time, rowid): rowids only break ties within one second.
_LATER = "(? IS NOT NULL AND ({t} IS NULL OR ? > {t} OR (? = {t} AND ? > {r})))"
_FOLD_SUMMARY = (
    "UPDATE resources SET "
    "first_seen = min(coalesce(first_seen, ?), ?), "
    "last_seen = max(coalesce(last_seen, ?), ?), "
    "events = events + ?, writes = writes + ?, flags = flags | ?, "
    f"last_write = CASE WHEN {_LATER.format(t='last_write_time', r='last_write')} "
    "THEN ? ELSE last_write END, "
    f"last_write_time = CASE WHEN {_LATER.format(t='last_write_time', r='last_write')} "
    "THEN ? ELSE last_write_time END, "
    f"last_change = CASE WHEN {_LATER.format(t='last_change_time', r='last_change')} "
    "THEN ? ELSE last_change END, "
    f"last_change_time = CASE WHEN {_LATER.format(t='last_change_time', r='last_change')} "
    "THEN ? ELSE last_change_time END "
    "WHERE id = ?"
)


def _latest_params(mark: tuple[int, int] | None, value_index: int) -> tuple[object, ...]:
    time, rowid = mark if mark is not None else (None, None)
    return (time, time, time, rowid, (time, rowid)[value_index])


def _fold_params(resource: int, s: _Summary) -> tuple[object, ...]:
    return (
        s.first,
        s.first,
        s.last,
        s.last,
        s.events,
        s.writes,
        s.flags,
        *_latest_params(s.write, 1),
        *_latest_params(s.write, 0),
        *_latest_params(s.change, 1),
        *_latest_params(s.change, 0),
        resource,
    )


def store_facts(
    db: sqlite3.Connection, known: dict[ResourceId, int], facts: Sequence[EventFacts]
) -> None:
    """Write what each newly stored event touched and related, and fold it into the
    resources' summaries, inside the caller's transaction. The caller passes each event
    once, when it is first stored: a record delivered twice adds nothing."""
    if not facts:
        return
    ids = resource_ids(
        db,
        known,
        (
            rid
            for fact in facts
            for rid in (
                *fact.touched,
                *(r.subject for r in fact.relations),
                *(r.other for r in fact.relations),
            )
        ),
    )
    pairs: list[tuple[int, int, int, int, int]] = []
    summaries: dict[int, _Summary] = {}
    for fact in facts:
        for rid in fact.touched:
            resource = ids[rid]
            reading = int(fact.read_only is True and not fact.failed)
            pairs.append((resource, fact.time, fact.rowid, fact.name, reading))
            summary = summaries.get(resource)
            if summary is None:
                summary = summaries[resource] = _Summary(fact.time)
            summary.add(fact)
    db.executemany(
        "INSERT OR IGNORE INTO event_resources (resource, time, event, name, reading) "
        "VALUES (?, ?, ?, ?, ?)",
        pairs,
    )
    relations = [
        (ids[r.subject], r.kind, ids[r.other], fact.rowid) for fact in facts for r in fact.relations
    ]
    if relations:
        db.executemany(
            "INSERT OR IGNORE INTO event_relations (subject, kind, other, event) "
            "VALUES (?, ?, ?, ?)",
            relations,
        )
    db.executemany(_FOLD_SUMMARY, [_fold_params(r, s) for r, s in summaries.items()])


# -- reading -------------------------------------------------------------------------------


def _texts(db: sqlite3.Connection, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    texts: dict[int, str] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        chunk = wanted[start : start + LOOKUP_BATCH]
        marks = ", ".join("?" * len(chunk))
        texts.update(
            (int(i), str(t))
            for i, t in db.execute(f"SELECT id, text FROM strings WHERE id IN ({marks})", chunk)
        )
    return texts


def summaries(
    db: sqlite3.Connection, test: tuple[str, tuple[object, ...]] | None = None
) -> list[ResourceSummary]:
    """Every resource (or those matching `test`, a condition on a resources row), with the
    names of its latest write and latest successful write: one pass over `resources`, two
    lookups per row by rowid, never a scan of the events."""
    condition, params = test if test is not None else ("1", ())
    rows = db.execute(
        "SELECT r.id, r.type, r.account, r.region, r.identifier, r.first_seen, r.last_seen, "
        "r.events, r.writes, r.flags, r.last_write_time, w.event_name, w.principal, "
        "c.event_name FROM resources AS r "
        "LEFT JOIN events AS w ON w.rowid = r.last_write "
        "LEFT JOIN events AS c ON c.rowid = r.last_change "
        f"WHERE r.events > 0 AND ({condition})",
        params,
    ).fetchall()
    texts = _texts(db, (i for row in rows for i in row[11:14]))
    return [
        ResourceSummary(
            int(row[0]),
            ResourceId(*row[1:5]),
            row[5],
            row[6],
            int(row[7]),
            int(row[8]),
            int(row[9]),
            row[10],
            texts.get(row[11], ""),
            texts.get(row[12], ""),
            texts.get(row[13], ""),
        )
        for row in rows
    ]


def resource_by_id(db: sqlite3.Connection, resource_id: int) -> ResourceId | None:
    row = db.execute(
        "SELECT type, account, region, identifier FROM resources WHERE id = ?", (resource_id,)
    ).fetchone()
    return ResourceId(*row) if row else None


_ROW_COLUMNS = (
    "e.rowid, e.event_id, e.event_time, e.event_name, e.principal, e.error_code, "
    "e.read_only, e.flags"
)


def _event_rows(db: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[EventRow]:
    texts = _texts(db, (i for row in rows for i in row[3:6]))
    return [
        EventRow(
            int(row[0]),
            row[1],
            int(row[2]),
            texts.get(row[3], ""),
            texts.get(row[4], ""),
            None if row[5] is None else texts.get(row[5], ""),
            None if row[6] is None else bool(row[6]),
            int(row[7]),
        )
        for row in rows
    ]


def timeline(db: sqlite3.Connection, resource_ids: Sequence[int]) -> list[EventRow]:
    """The events touching any of the resources, each once, oldest first (time, then
    eventID: _order). Text fields are looked up once per distinct string, not per event."""
    if not resource_ids:
        return []
    marks = ", ".join("?" * len(resource_ids))
    rows = db.execute(
        f"SELECT DISTINCT {_ROW_COLUMNS} FROM event_resources AS r "
        "JOIN events AS e ON e.rowid = r.event "
        f"WHERE r.resource IN ({marks})",
        tuple(resource_ids),
    ).fetchall()
    rows.sort(key=_order)
    return _event_rows(db, rows)


def rows_at(db: sqlite3.Connection, rowids: Sequence[int]) -> list[EventRow]:
    """The events at these rowids, oldest first."""
    found: list[Sequence[Any]] = []
    for start in range(0, len(rowids), LOOKUP_BATCH):
        chunk = list(rowids[start : start + LOOKUP_BATCH])
        marks = ", ".join("?" * len(chunk))
        found.extend(
            db.execute(f"SELECT {_ROW_COLUMNS} FROM events AS e WHERE e.rowid IN ({marks})", chunk)
        )
    found.sort(key=_order)
    return _event_rows(db, found)


def _order(row: Sequence[Any]) -> tuple[int, int, bytes]:
    """A history's order: by time, then (calls of one second, whose true order CloudTrail
    does not record) by eventID, so that it does not depend on the order of loading."""
    event_id = row[1]
    if isinstance(event_id, str):
        return (int(row[2]), 0, event_id.encode())
    return (int(row[2]), 1, bytes(event_id))


def timeline_columns(db: sqlite3.Connection, resource_id: int) -> tuple[str, str, str, str]:
    """Every event of one resource as four comma-separated columns, from one range of
    event_resources' key: times, rowids, eventName string ids, and 1 for a successful read
    (0 otherwise). A busy database has a hundred thousand reads: the caller folds them
    with numpy, and fetches only the rest as rows (rows_at)."""
    row = db.execute(
        "SELECT group_concat(time), group_concat(event), group_concat(name), "
        "group_concat(reading) FROM event_resources WHERE resource = ?",
        (resource_id,),
    ).fetchone()
    return (row[0] or "", row[1] or "", row[2] or "", row[3] or "")


def events_touching_matching(
    db: sqlite3.Connection, test: tuple[str, tuple[object, ...]]
) -> list[int]:
    """Rowids of the events that touch a resource matching `test` (schema's
    resources_matching): the in-memory evaluator's half of res:."""
    condition, params = test
    return [
        int(row[0])
        for row in db.execute(
            "SELECT DISTINCT event FROM event_resources WHERE resource IN "
            f"(SELECT id FROM resources WHERE {condition})",
            params,
        )
    ]


def relation_ids(db: sqlite3.Connection, resource_id: int) -> list[tuple[str, int, bool, int]]:
    """The relations the resource is in: (kind, the other resource's id, whether this one
    is the subject, the rowid of the event that set it up)."""
    found: list[tuple[str, int, bool, int]] = []
    for column, other, subject in (("subject", "other", True), ("other", "subject", False)):
        rows = db.execute(
            f"SELECT kind, {other}, event FROM event_relations WHERE {column} = ?",
            (resource_id,),
        )
        found.extend((str(kind), int(o), subject, int(event)) for kind, o, event in rows)
    return found


def times_of(db: sqlite3.Connection, rowids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for start in range(0, len(rowids), LOOKUP_BATCH):
        chunk = list(rowids[start : start + LOOKUP_BATCH])
        marks = ", ".join("?" * len(chunk))
        found.update(
            (int(r), int(t))
            for r, t in db.execute(
                f"SELECT rowid, event_time FROM events WHERE rowid IN ({marks})", chunk
            )
        )
    return found
