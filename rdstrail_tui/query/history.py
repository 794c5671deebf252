"""One resource's history: its events oldest first, its lives, the resources related to it
and its configuration after each write.

The cache keeps, per event, every resource it touches (cache/resources.py), so a history is
a range of one index plus the records of the writes, whatever the size of the cache. Two
things are read across events here, at query time, because they depend on order:

- **Lives.** A successful delete ends a resource; the next event naming it starts a new one
  (RDS lets a name be reused). A rename ends the old name's life too.
- **Renames.** `ModifyDBInstance newDBInstanceIdentifier=new` joins the life of the old
  name that ended with it to the new name's history: the history of `new` starts with the
  events of `old` up to the rename. (CloudTrail does not record when a rename that waits for
  the maintenance window took effect; the call is where the names part.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from rdstrail_tui.cache.ids import decode_event_id
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.configuration import State, Step, configuration_over_time
from rdstrail_tui.model.history import EventRow, History, HistoryEvent, Life, Related
from rdstrail_tui.model.rds_api import rds_model
from rdstrail_tui.model.resources import (
    DELETE_CALLS,
    RELATION_FROM_OTHER_SIDE,
    RESOURCE_SHAPES,
    ResourceId,
    parse_arn,
)

__all__ = ["find_resources", "history_of"]


def find_resources(
    cache: Cache,
    name: str,
    *,
    kind: str | None = None,
    account: str | None = None,
    region: str | None = None,
) -> list[tuple[int, ResourceId]]:
    """The resources `name` (an identifier in any case, or an RDS ARN) may mean, narrowed by
    type, account and region: none, one, or several to choose from."""
    arn = parse_arn(name.strip())
    if arn is not None:
        kind = kind or arn[0]
        account = account or arn[1]
        region = region if region is not None else arn[2]
        name = arn[3]
    found = cache.resources_named(name.strip())
    return [
        (rid, resource)
        for rid, resource in found
        if (kind is None or resource.type == kind)
        and (account is None or resource.account == account)
        and (region is None or resource.region == region or resource.type == "global-cluster")
    ]


# -- lives and renames ---------------------------------------------------------------------


def _ends_life(row: EventRow, resource: ResourceId) -> bool:
    return row.error_code is None and row.event_name == DELETE_CALLS.get(resource.type)


def _renames(cache: Cache, rid: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(renamed into this one: (old id, event rowid)), (renamed away: (new id, rowid))."""
    into: list[tuple[int, int]] = []
    away: list[tuple[int, int]] = []
    for kind, other_id, subject, rowid in cache.relation_ids(rid):
        if kind == "renamed-from":
            (into if subject else away).append((other_id, rowid))
    return into, away


def _split_lives(
    rows: Sequence[EventRow], resource: ResourceId, renamed_away: set[int]
) -> list[list[EventRow]]:
    lives: list[list[EventRow]] = [[]]
    for row in rows:
        lives[-1].append(row)
        if _ends_life(row, resource) or row.rowid in renamed_away:
            lives.append([])
    return [life for life in lives if life] or [[]]


def _life_end(life: Sequence[EventRow], resource: ResourceId, renamed_away: set[int]) -> str:
    if not life:
        return ""
    if _ends_life(life[-1], resource):
        return "deleted"
    return "renamed" if life[-1].rowid in renamed_away else ""


def _predecessors(
    cache: Cache, rid: int, life: Sequence[EventRow], depth: int = 0
) -> list[tuple[int, ResourceId, list[EventRow]]]:
    """The lives of older names renamed into this life, oldest first: each up to and
    including the rename (which this life also holds)."""
    if depth > 16 or not life:  # a chain of renames, never a loop through hostile records
        return []
    rowids = {row.rowid for row in life}
    found: list[tuple[int, ResourceId, list[EventRow]]] = []
    into, _ = _renames(cache, rid)
    for old_id, rename_rowid in into:
        if rename_rowid not in rowids:
            continue
        old = cache.resource(old_id)
        if old is None:
            continue
        _, old_away = _renames(cache, old_id)
        old_lives = _split_lives(cache.timeline([old_id]), old, {r for _, r in old_away})
        ended = next((lv for lv in old_lives if lv and lv[-1].rowid == rename_rowid), None)
        if ended is None:
            continue
        found.extend(_predecessors(cache, old_id, ended, depth + 1))
        found.append((old_id, old, ended[:-1]))  # the rename itself is in this life
    found.sort(key=lambda item: (item[2][0].time, item[2][0].rowid) if item[2] else (0, 0))
    return found


# -- related resources ---------------------------------------------------------------------


def _related(cache: Cache, ids: Sequence[int], span: tuple[int, int | None]) -> tuple[Related, ...]:
    """The resources related to these (one resource under its names), by relations set up
    within the life shown: a snapshot of an earlier life of the name is that life's."""
    own = set(ids)
    first: dict[tuple[int, str], int] = {}  # (other, relation) -> the rowid setting it up
    for rid in ids:
        for kind, other_id, subject, rowid in cache.relation_ids(rid):
            if other_id in own:
                continue  # this resource under another name: its own history
            label = kind if subject else RELATION_FROM_OTHER_SIDE.get(kind, f"{kind}-by")
            first.setdefault((other_id, label), rowid)
    times = cache.times_of(list(first.values()))
    start, end = span
    related = []
    for (other_id, label), rowid in first.items():
        time = times.get(rowid, 0)
        resource = cache.resource(other_id)
        if resource is not None and time >= start and (end is None or time <= end):
            related.append(Related(other_id, resource, label, time))
    related.sort(key=lambda r: (r.time, r.relation, r.resource.identifier))
    return tuple(related)


# -- configuration over time ---------------------------------------------------------------


def _record(raw: bytes) -> Mapping[str, object]:
    try:
        record = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def _events_with_states(
    cache: Cache, rows: Sequence[tuple[EventRow, ResourceId]], resource: ResourceId
) -> tuple[HistoryEvent, ...]:
    writes = [row.rowid for row, _ in rows if row.read_only is False]
    full = cache.events_by_rowid(writes, with_raw=True) if writes else {}
    records = {rowid: _record(event.raw) for rowid, event in full.items()}
    steps = [
        Step(
            decode_event_id(row.event_id),
            row.time,
            row.event_name,
            row.principal,
            row.error_code is not None,
            records.get(row.rowid, {}).get("responseElements"),
        )
        for row, _ in rows
        if row.rowid in records
    ]
    shape = RESOURCE_SHAPES.get(resource.type, "")
    states = iter(configuration_over_time(steps, shape, rds_model()))
    events: list[HistoryEvent] = []
    previous: State | None = None
    for row, identity in rows:
        event_id = decode_event_id(row.event_id)
        if row.rowid not in records:
            events.append(HistoryEvent(row, event_id, identity))
            continue
        state = next(states)
        before = previous.attributes if previous is not None else {}
        changes = {
            key: (before[key].value if key in before else None, state.attributes[key].value)
            for key in state.changed
        }
        pended = {key: state.pending[key].value for key in state.pended if key in state.pending}
        request = records[row.rowid].get("requestParameters")
        events.append(
            HistoryEvent(
                row,
                event_id,
                identity,
                state,
                changes,
                pended,
                request if isinstance(request, Mapping) else None,
            )
        )
        previous = state
    return tuple(events)


def history_of(cache: Cache, rid: int, life: int | None = None) -> History | None:
    """The history of the resource with this id: its latest life, or life number `life`
    (1 is the oldest); None when there is no such resource or life."""
    resource = cache.resource(rid)
    if resource is None:
        return None
    _, away = _renames(cache, rid)
    renamed_away = {rowid for _, rowid in away}
    lives_rows = _split_lives(cache.timeline([rid]), resource, renamed_away)
    lives = tuple(
        Life(
            n,
            rows[0].time if rows else 0,
            rows[-1].time if rows else 0,
            _life_end(rows, resource, renamed_away),
        )
        for n, rows in enumerate(lives_rows, start=1)
    )
    number = len(lives) if life is None else life
    if not 1 <= number <= len(lives):
        return None
    chosen = lives_rows[number - 1]
    earlier = _predecessors(cache, rid, chosen)
    rows: list[tuple[EventRow, ResourceId]] = [
        (row, old) for _, old, old_rows in earlier for row in old_rows
    ]
    rows.extend((row, resource) for row in chosen)
    names = tuple(dict.fromkeys([old.identifier for _, old, _ in earlier] + [resource.identifier]))
    own_ids = [old_id for old_id, _, _ in earlier] + [rid]
    end = lives[number - 1].last if lives[number - 1].ended_by else None
    return History(
        rid,
        resource,
        names,
        lives,
        number,
        _events_with_states(cache, rows, resource),
        _related(cache, own_ids, (rows[0][0].time if rows else 0, end)),
    )
