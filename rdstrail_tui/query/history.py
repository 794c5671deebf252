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

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson

from rdstrail_tui.cache.ids import decode_event_id
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.configuration import State, Step, configuration_over_time
from rdstrail_tui.model.history import EventRow, History, HistoryEvent, Life, ReadRun, Related
from rdstrail_tui.model.rds_api import rds_model
from rdstrail_tui.model.resources import (
    DELETE_CALLS,
    RELATION_FROM_OTHER_SIDE,
    RESOURCE_SHAPES,
    ResourceId,
    arn_identity,
    described_identifier,
)
from rdstrail_tui.query.memory import IntArray

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
    named = arn_identity(name.strip())
    if named is not None:
        kind = kind or named.type
        account = account or named.account
        region = region if region is not None else named.region
        name = named.identifier
    found = cache.resources_named(name.strip())
    return [
        (rid, resource)
        for rid, resource in found
        if (kind is None or resource.type == kind)
        and (account is None or resource.account == account)
        and (region is None or resource.region == region or resource.type == "global-cluster")
    ]


# -- the timeline, reads folded ----------------------------------------------------------


def _key(row: EventRow) -> int:
    """Where a listed event sits among the folded reads: its second (reads are keyed by
    their second, then rowid, so those of the same second come after it)."""
    return row.time << 32


_NONE = np.zeros(0, dtype=np.int64)


def _parse(text: str) -> IntArray:
    if not text:
        return _NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # as query.memory: the fastest
        parsed: IntArray = np.fromstring(text, dtype=np.int64, sep=",")
    return parsed


@dataclass
class _Timeline:
    """One name's events: those listed one by one (rows), and the successful reads folded
    (their keys, sorted, and eventName string ids) when folding."""

    rows: list[EventRow]
    read_keys: IntArray = field(default_factory=lambda: _NONE)
    read_names: IntArray = field(default_factory=lambda: _NONE)


def _timeline(cache: Cache, rid: int, fold: bool) -> _Timeline:
    if not fold:
        return _Timeline(cache.timeline([rid]))
    times, rowids, names, reads = (_parse(text) for text in cache.timeline_columns(rid))
    if not len(rowids):
        return _Timeline([])
    is_read = reads == 1
    keys = (times << 32) | rowids
    order = np.argsort(keys[is_read], kind="stable")
    return _Timeline(
        cache.rows_at(rowids[~is_read].tolist()),
        keys[is_read][order],
        names[is_read][order],
    )


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
    timeline: _Timeline, resource: ResourceId, renamed_away: set[int]
) -> list[tuple[_Timeline, str]]:
    """The timeline cut into lives, with what ended each ("deleted", "renamed", or "" for
    the last). A life ends with a successful delete or a rename away, but the next starts
    only with the next successful write (a create, a restore): the polls and the failed
    calls that follow a delete are about the resource that was deleted."""
    parts: list[tuple[_Timeline, str]] = []
    rows: list[EventRow] = []
    low = -1  # reads after this key belong to the part being gathered
    ended = ""
    for row in timeline.rows:
        if ended and row.read_only is False and row.error_code is None:
            parts.append((_reads_between(timeline, rows, low, _key(row) - 1), ended))
            rows, low, ended = [], _key(row) - 1, ""
        rows.append(row)
        if not ended and _ends_life(row, resource):
            ended = "deleted"
        elif not ended and row.rowid in renamed_away:
            ended = "renamed"
    parts.append((_reads_between(timeline, rows, low, None), ended))
    return parts


def _reads_between(
    timeline: _Timeline, rows: list[EventRow], low: int, high: int | None
) -> _Timeline:
    keys = timeline.read_keys
    start = int(np.searchsorted(keys, low, side="right"))
    stop = len(keys) if high is None else int(np.searchsorted(keys, high, side="right"))
    return _Timeline(list(rows), keys[start:stop], timeline.read_names[start:stop])


def _span(timeline: _Timeline) -> tuple[int, int]:
    keys = [_key(r) for r in timeline.rows[:1] + timeline.rows[-1:]]
    keys += timeline.read_keys[:1].tolist() + timeline.read_keys[-1:].tolist()
    return (min(keys) >> 32, max(keys) >> 32) if keys else (0, 0)


def _predecessors(
    cache: Cache, rid: int, life: _Timeline, fold: bool, depth: int = 0
) -> list[tuple[int, ResourceId, _Timeline]]:
    """The lives of older names renamed into this life, oldest first: each up to the rename
    (which this life holds)."""
    if depth > 16 or not life.rows:  # a chain of renames, never a loop through hostile records
        return []
    rowids = {row.rowid for row in life.rows}
    found: list[tuple[int, ResourceId, _Timeline]] = []
    into, _ = _renames(cache, rid)
    for old_id, rename_rowid in into:
        if rename_rowid not in rowids:
            continue
        old = cache.resource(old_id)
        if old is None:
            continue
        _, old_away = _renames(cache, old_id)
        old_lives = _split_lives(_timeline(cache, old_id, fold), old, {r for _, r in old_away})
        ended = next(
            (lv for lv, _ in old_lives if lv.rows and lv.rows[-1].rowid == rename_rowid), None
        )
        if ended is None:
            continue
        found.extend(_predecessors(cache, old_id, ended, fold, depth + 1))
        # The rename itself is in this life.
        found.append((old_id, old, _Timeline(ended.rows[:-1], ended.read_keys, ended.read_names)))
    found.sort(key=lambda item: _span(item[2])[0])
    return found


def _runs(
    cache: Cache, row_keys: list[int], keys: IntArray, names: IntArray
) -> tuple[ReadRun, ...]:
    """The folded reads between the listed events, one run per gap: counted by (gap,
    operation) in one pass, whatever the number of reads."""
    if not len(keys):
        return ()
    order = np.argsort(keys, kind="stable")
    keys, names = keys[order], names[order]
    gaps = np.searchsorted(np.array(row_keys, dtype=np.int64), keys, side="left")
    starts = np.flatnonzero(np.r_[True, np.diff(gaps) != 0])  # each run's first read
    ends = np.r_[starts[1:], len(keys)] - 1
    width = int(names.max()) + 1
    pairs, counts = np.unique(gaps * width + names, return_counts=True)
    ids = sorted({int(n) for n in np.unique(names)})
    texts = dict(zip(ids, cache.texts_of(ids)))
    by_gap: dict[int, list[tuple[str, int]]] = {}
    for pair, count in zip(pairs.tolist(), counts.tolist()):
        by_gap.setdefault(pair // width, []).append((texts.get(pair % width, ""), count))
    runs = []
    for start, end in zip(starts.tolist(), ends.tolist()):
        gap = int(gaps[start])
        ranked = sorted(by_gap.get(gap, []), key=lambda item: (-item[1], item[0]))
        runs.append(
            ReadRun(
                gap, end - start + 1, int(keys[start] >> 32), int(keys[end] >> 32), tuple(ranked)
            )
        )
    return tuple(runs)


# -- related resources ---------------------------------------------------------------------


def _related(cache: Cache, spans: Sequence[tuple[int, int, int | None]]) -> tuple[Related, ...]:
    """The resources related to this one, under each of its names (id, from, to): by the
    relations set up within the part of that name's life the history shows (a snapshot of
    the name's earlier or later life, or of the name reused after a rename, is not this
    resource's)."""
    own = {rid for rid, _, _ in spans}
    first: dict[tuple[int, str], tuple[int, int, int | None]] = {}
    for rid, start, end in spans:
        for kind, other_id, subject, rowid in cache.relation_ids(rid):
            if other_id in own:
                continue  # this resource under another name: its own history
            label = kind if subject else RELATION_FROM_OTHER_SIDE.get(kind, f"{kind}-by")
            first.setdefault((other_id, label), (rowid, start, end))
    times = cache.times_of([rowid for rowid, _, _ in first.values()])
    related = []
    for (other_id, label), (rowid, start, end) in first.items():
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


def _own_response(response: object, kind: str, names: set[str]) -> object:
    """The response, when it describes this resource (under any of its names); None when
    it describes another: a CreateDBInstanceReadReplica names the source but answers with
    the replica, which is no configuration of the source."""
    described = described_identifier(response, kind)
    return response if described is None or described in names else None


def _events_with_states(
    cache: Cache, rows: Sequence[tuple[EventRow, ResourceId]], resource: ResourceId
) -> tuple[HistoryEvent, ...]:
    ids = [decode_event_id(row.event_id) for row, _ in rows]
    names = {identity.identifier for _, identity in rows} | {resource.identifier}
    writes = [row.rowid for row, _ in rows if row.read_only is False]
    full = cache.events_by_rowid(writes, with_raw=True) if writes else {}
    records = {rowid: _record(event.raw) for rowid, event in full.items()}
    steps = [
        Step(
            event_id,
            row.time,
            row.event_name,
            row.principal,
            row.error_code is not None,
            _own_response(records[row.rowid].get("responseElements"), resource.type, names),
        )
        for (row, _), event_id in zip(rows, ids)
        if row.rowid in records
    ]
    shape = RESOURCE_SHAPES.get(resource.type, "")
    states = iter(configuration_over_time(steps, shape, rds_model()))
    events: list[HistoryEvent] = []
    previous: State | None = None
    for (row, identity), event_id in zip(rows, ids):
        if row.rowid not in records:
            events.append(HistoryEvent(row, event_id, identity))
            continue
        state = next(states)
        before = previous.attributes if previous is not None else {}
        changes = {
            key: (
                before[key].value if key in before else None,
                state.attributes[key].value if key in state.attributes else None,
            )
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


def history_of(
    cache: Cache, rid: int, life: int | None = None, *, fold_reads: bool = True
) -> History | None:
    """The history of the resource with this id: its latest life, or life number `life`
    (1 is the oldest); None when there is no such resource or life. With `fold_reads`, the
    successful reads are counted between the other events (History.runs) rather than
    listed: a database polled every minute has a hundred thousand of them."""
    resource = cache.resource(rid)
    if resource is None:
        return None
    _, away = _renames(cache, rid)
    parts = _split_lives(_timeline(cache, rid, fold_reads), resource, {r for _, r in away})
    lives = tuple(Life(n, *_span(part), ended) for n, (part, ended) in enumerate(parts, start=1))
    number = len(lives) if life is None else life
    if not 1 <= number <= len(lives):
        return None
    chosen = parts[number - 1][0]
    earlier = _predecessors(cache, rid, chosen, fold_reads)
    rows: list[tuple[EventRow, ResourceId]] = [
        (row, old) for _, old, part in earlier for row in part.rows
    ]
    rows.extend((row, resource) for row in chosen.rows)
    read_keys = np.concatenate([part.read_keys for _, _, part in earlier] + [chosen.read_keys])
    read_names = np.concatenate([part.read_names for _, _, part in earlier] + [chosen.read_names])
    # Oldest first; a name renamed away and back again shows each time (a, b, a).
    names: tuple[str, ...] = ()
    for name in [old.identifier for _, old, _ in earlier] + [resource.identifier]:
        if not names or names[-1] != name:
            names += (name,)
    end = lives[number - 1].last if lives[number - 1].ended_by else None
    spans: list[tuple[int, int, int | None]] = [
        (old_id, *_span(part)) for old_id, _, part in earlier
    ]
    spans.append((rid, lives[number - 1].first, end))
    return History(
        rid,
        resource,
        names,
        lives,
        number,
        _events_with_states(cache, rows, resource),
        _related(cache, spans),
        _runs(cache, [_key(row) for row, _ in rows], read_keys, read_names),
        fold_reads,
    )
