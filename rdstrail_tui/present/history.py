"""A resource's history for people: the timeline's lines, what each write changed, the
configuration as of one event, and the CLI's text and JSON.

Pure (no textual, no cache): the history view and `rdstrail history` both use it. Every
value from a record passes through `printable` before it is laid out.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import orjson

from rdstrail_tui.model.configuration import Pending, State
from rdstrail_tui.model.history import History, HistoryEvent, ReadRun, Related
from rdstrail_tui.model.rds_api import fold
from rdstrail_tui.model.resources import ResourceId
from rdstrail_tui.model.risk import flags_in
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import cell_len, head
from rdstrail_tui.present.timefmt import format_time

__all__ = [
    "ConfigRow",
    "TimelineItem",
    "change_summary",
    "config_rows",
    "history_json",
    "history_text",
    "leaf_changes",
    "pending_log",
    "related_label",
    "resource_label",
    "timeline_items",
    "value_text",
]

# Attributes that move with time rather than by anyone's decision: left out of a write's
# one-line summary (the configuration pane still shows them).
VOLATILE = frozenset(
    fold(key)
    for key in (
        "latestRestorableTime",
        "dBInstanceStatus",
        "status",
        "percentProgress",
        "earliestRestorableTime",
        "activityStreamStatus",
        "certificateDetails",
        "clusterCreateTime",
        "instanceCreateTime",
        "snapshotCreateTime",
    )
)
# Keys of a request that only name what the call is about: not "what it asked".
_NAMING = frozenset(
    fold(key)
    for key in (
        "dBInstanceIdentifier",
        "dBClusterIdentifier",
        "dBSnapshotIdentifier",
        "dBClusterSnapshotIdentifier",
        "dBParameterGroupName",
        "dBClusterParameterGroupName",
        "resourceName",
        "applyImmediately",
    )
)


def value_text(value: object, limit: int = 60) -> str:
    """A value on one line: text as it is, anything else as compact JSON; escaped, cut."""
    if value is None:
        text = "-"
    elif isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value).decode()
        except (TypeError, orjson.JSONEncodeError):
            text = str(value)
    text = printable(text)
    return text if len(text) <= limit else text[: max(limit - 1, 1)] + "…"


def resource_label(resource: ResourceId) -> str:
    where = "/".join(part for part in (resource.account, resource.region) if part)
    return f"{resource.type} {printable(resource.identifier)} ({where})"


def related_label(related: Related) -> str:
    return f"{related.relation.replace('-', ' ')}: {related.resource.type} " + printable(
        related.resource.identifier
    )


# -- what a write changed ------------------------------------------------------------------


def leaf_changes(before: object, after: object, path: str = "") -> list[tuple[str, object, object]]:
    """The leaves that differ between two values, by dotted path (`a.b`, `list[0].c`); a
    list whose length changed is one change of the whole list."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[tuple[str, object, object]] = []
        for key in dict.fromkeys([*before, *after]):
            sub = f"{path}.{key}" if path else str(key)
            found.extend(leaf_changes(before.get(key), after.get(key), sub))
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for n, (b, a) in enumerate(zip(before, after)):
            found.extend(leaf_changes(b, a, f"{path}[{n}]"))
        return found
    return [] if before == after else [(path, before, after)]


def _asked(request: Mapping[str, object] | None) -> list[str]:
    if not request:
        return []
    return [
        f"{printable(str(key))}={value_text(value, 30)}"
        for key, value in request.items()
        if fold(str(key)) not in _NAMING
    ]


def change_summary(event: HistoryEvent, limit: int = 400) -> str:
    """What a write did, on one line: the attributes its response showed changed, those it
    pended, or (a call whose response describes no resource) what it asked for."""
    parts: list[str] = []
    for key, (before, after) in event.changes.items():
        if fold(key) in VOLATILE:
            continue
        for path, b, a in leaf_changes(before, after, key)[:3]:
            parts.append(f"{printable(path)} {value_text(b, 24)}→{value_text(a, 24)}")
    for key, value in event.pended.items():
        parts.append(f"{printable(key)} >{value_text(value, 24)}")
    if event.state is not None and event.state.ended:
        for key, pending in event.state.ended.items():
            if pending.status == "applied":
                parts.append(f"{printable(key)} applied")
    if not parts and event.is_write:
        parts = _asked(event.request)
        if parts:
            parts[0] = "asked " + parts[0]
    text = "; ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def outcome(event: HistoryEvent) -> str:
    return "FAILED " + printable(event.row.error_code) if event.row.error_code else "ok"


def flag_names(event: HistoryEvent) -> str:
    return " ".join(flag.name for flag in flags_in(event.row.flags))


# -- the timeline --------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """One line of the timeline: an event, or a run of reads folded into a count."""

    kind: Literal["event", "reads"]
    # The event's index in History.events; for a run of reads, the index of the event it
    # comes before (len(events) after the last), and the run itself.
    index: int
    run: ReadRun | None = None

    @property
    def count(self) -> int:
        return self.run.count if self.run is not None else 1


def timeline_items(history: History) -> list[TimelineItem]:
    """The events oldest first, with the folded reads (History.runs) in their places."""
    items: list[TimelineItem] = []
    runs = iter(history.runs)
    run = next(runs, None)
    for index in range(len(history.events) + 1):
        while run is not None and run.before == index:
            items.append(TimelineItem("reads", index, run))
            run = next(runs, None)
        if index < len(history.events):
            items.append(TimelineItem("event", index))
    return items


def item_state(history: History, item: TimelineItem) -> State | None:
    """The configuration as of a timeline line: after its event, or (a run of reads) after
    the last event before the run."""
    index = item.index if item.kind == "event" else item.index - 1
    return history.state_at(index) if index >= 0 else None


def reads_text(item: TimelineItem) -> str:
    run = item.run
    if run is None:
        return ""
    names = ", ".join(f"{printable(name)} {count:,}" for name, count in run.names[:3])
    more = len(run.names) - 3
    tail = f", +{more} more" if more > 0 else ""
    noun = "read" if run.count == 1 else "reads"
    return f"… {run.count:,} {noun}: {names}{tail}"


# -- the configuration as of one event -------------------------------------------------------


@dataclass(frozen=True)
class ConfigRow:
    key: str  # printable
    value: str  # printable, one line
    mark: Literal["", "changed", "pending", "applied", "superseded", "still pending"]
    note: str = ""  # printable: who and when


def _pending_note(pending: Pending) -> str:
    """When it was asked and by whom; for an applied value first when it took effect."""
    who = printable(pending.requested_principal) or "?"
    asked = f"asked {format_time(pending.requested_at)[:16]} by {who}"
    if pending.status == "applied" and pending.applied_by_time is not None:
        return (
            f"between {format_time(pending.applied_after)[:16]} and "
            f"{format_time(pending.applied_by_time)[:16]}; {asked}"
        )
    return asked


# What people look for first in a resource's configuration, by type: shown right after the
# pending values and the attributes the event changed, before the rest (alphabetical).
KEY_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "instance": (
        "dBInstanceClass",
        "engine",
        "engineVersion",
        "dBInstanceStatus",
        "allocatedStorage",
        "storageType",
        "multiAZ",
        "publiclyAccessible",
        "storageEncrypted",
        "deletionProtection",
        "backupRetentionPeriod",
        "dBClusterIdentifier",
        "readReplicaSourceDBInstanceIdentifier",
        "readReplicaDBInstanceIdentifiers",
        "dBParameterGroups",
    ),
    "cluster": (
        "engine",
        "engineVersion",
        "status",
        "dBClusterMembers",
        "multiAZ",
        "storageEncrypted",
        "deletionProtection",
        "backupRetentionPeriod",
        "dBClusterParameterGroup",
        "globalClusterIdentifier",
    ),
    "snapshot": ("dBInstanceIdentifier", "status", "snapshotType", "encrypted", "engine"),
    "cluster-snapshot": ("dBClusterIdentifier", "status", "snapshotType", "storageEncrypted"),
}


# Earlier pending values shown, with what became of them, above the attributes.
ENDED_SHOWN = 6


def pending_log(history: History, state: State | None) -> list[tuple[str, Pending]]:
    """The values pended up to `state` that had ended by then (applied or superseded),
    newest first: "did the change take effect?" stays answered after it did."""
    if state is None:
        return []
    ended: dict[tuple[str, str], Pending] = {}
    for earlier in history.states:
        for key, pending in earlier.ended.items():
            ended[(key, pending.requested_by)] = pending
        if earlier is state:
            break
    log = sorted(ended.items(), key=lambda item: -(item[1].applied_by_time or item[1].requested_at))
    return [(key, pending) for (key, _), pending in log[:ENDED_SHOWN]]


def config_rows(
    state: State | None, kind: str = "", ended: Sequence[tuple[str, Pending]] = ()
) -> list[ConfigRow]:
    """The configuration after one write: the values pending then, those that ended
    (`ended`, or those this event ended), then the attributes this event changed, the
    type's key attributes, and the rest."""
    if state is None:
        return []
    rows: list[ConfigRow] = []
    listed = list(state.pending.items()) + (list(ended) or list(state.ended.items()))
    for key, pending in listed:
        rows.append(
            ConfigRow(
                printable(key),
                value_text(pending.value),
                pending.status,
                _pending_note(pending),
            )
        )
    changed = set(state.changed)
    first = {fold(key): n for n, key in enumerate(KEY_ATTRIBUTES.get(kind, ()))}

    def order(key: str) -> tuple[int, int, str]:
        # Volatile attributes (a status, the latest restorable time) change with every
        # response: where they are, not first.
        if key in changed and fold(key) not in VOLATILE:
            return (0, 0, key.lower())
        rank = first.get(fold(key))
        return (1, rank, "") if rank is not None else (2, 0, key.lower())

    for key in sorted(state.attributes, key=order):
        attribute = state.attributes[key]
        note = f"since {format_time(attribute.changed_at)} by " + (
            printable(attribute.changed_principal) or "?"
        )
        rows.append(
            ConfigRow(
                printable(key),
                value_text(attribute.value),
                "changed" if key in changed else "",
                note,
            )
        )
    return rows


# -- rdstrail history ------------------------------------------------------------------------

# The mark of a pending value by its status, in the CLI and the history view alike.
PENDING_MARKS = {"pending": ">", "still pending": ">", "applied": "=", "superseded": "x"}

_JSON_STATUS = {"still pending": "still-pending"}


def history_json(history: History) -> dict[str, object]:
    """`rdstrail history --format json`, oldest first; attribute names as CloudTrail writes
    them. Values are as recorded (JSON escapes them; a terminal never sees them raw)."""
    r = history.resource
    return {
        "resource": {
            "type": r.type,
            "account": r.account,
            "region": r.region,
            "identifier": r.identifier,
            "names": list(history.names),
        },
        "life": history.life,
        "lives": [
            {
                "life": life.number,
                "first": format_time(life.first),
                "last": format_time(life.last),
                "ended_by": life.ended_by or None,
            }
            for life in history.lives
        ],
        "related": [
            {
                "type": rel.resource.type,
                "account": rel.resource.account,
                "region": rel.resource.region,
                "identifier": rel.resource.identifier,
                "relation": rel.relation,
            }
            for rel in history.related
        ],
        "events": [
            {
                "eventID": e.event_id,
                "time": format_time(e.row.time),
                "eventName": e.row.event_name,
                "principal": e.row.principal,
                "error": e.row.error_code,
                "readOnly": e.row.read_only,
                "name": e.identity.identifier,
                "changes": {k: {"from": b, "to": a} for k, (b, a) in e.changes.items()},
                "pended": dict(e.pended),
            }
            for e in history.events
        ],
        "config": [
            {
                "eventID": state.event_id,
                "time": format_time(state.time),
                "attributes": {k: a.value for k, a in state.attributes.items()},
                "pending": {
                    k: {
                        "value": p.value,
                        "requested_by": {
                            "eventID": p.requested_by,
                            "principal": p.requested_principal,
                            "time": format_time(p.requested_at),
                        },
                        "status": _JSON_STATUS.get(p.status, p.status),
                        "applied_seen": p.applied_seen,
                    }
                    for k, p in {**state.ended, **state.pending}.items()
                },
            }
            for state in history.states
        ],
    }


def _fit(text: str, width: int) -> str:
    """`text` within `width` terminal cells (a CJK character takes two), cut with "…"."""
    return text if cell_len(text) <= width else head(text, max(width - 1, 1)) + "…"


def history_text(history: History, width: int = 80) -> Iterator[str]:
    """`rdstrail history`: who the resource is, its lives and relations, the timeline
    (reads folded when the history was read so), then its configuration now, pending
    values first."""
    width = max(width, 40)
    yield _fit(resource_label(history.resource), width)
    if len(history.names) > 1:
        yield _fit("names: " + " → ".join(printable(n) for n in history.names), width)
    if len(history.lives) > 1:
        lives = ", ".join(
            f"{life.number}: {format_time(life.first)[:10]}..{format_time(life.last)[:10]}"
            + (f" {life.ended_by}" if life.ended_by else "")
            for life in history.lives
        )
        yield _fit(f"life {history.life} of {len(history.lives)} ({lives}); --life N", width)
    for rel in history.related:
        yield _fit(f"  {related_label(rel)}  ({format_time(rel.time)})", width)
    yield ""
    for item in timeline_items(history):
        if item.run is not None:
            yield _fit(f"{format_time(item.run.first)}  {reads_text(item)}", width)
            continue
        event = history.events[item.index]
        when = format_time(event.row.time)
        head = (
            f"{when}  {printable(event.row.event_name)}  {printable(event.row.principal)}"
            f"  {outcome(event)}"
        )
        flags = flag_names(event)
        yield _fit(head + (f"  [{flags}]" if flags else ""), width)
        summary = change_summary(event)
        if summary:
            yield _fit(f"{' ' * 21}{summary}", width)
    states = history.states
    if states:
        yield ""
        yield _fit(f"configuration after {format_time(states[-1].time)}:", width)
        last = states[-1]
        for row in config_rows(last, history.resource.type, pending_log(history, last)):
            if row.mark in ("", "changed"):
                yield _fit(f"  {row.key} = {row.value}", width)
            else:  # a pending value: what became of it, then when and who on a line below
                yield _fit(f"{PENDING_MARKS[row.mark]} {row.key} {row.value}  {row.mark}", width)
                yield _fit(f"      {row.note}", width)
