"""The types of one resource's history (query.history builds them, present.history lays
them out): its events oldest first, its lives, the resources related to it and its
configuration after each write."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from rdstrail_tui.model.resources import DELETE_CALLS, ResourceId

if TYPE_CHECKING:  # the type only: `rdstrail --version` must not load the RDS model
    from rdstrail_tui.model.configuration import State

__all__ = [
    "EventRow",
    "History",
    "HistoryEvent",
    "Life",
    "ReadRun",
    "Related",
    "ResourceSummary",
]


class EventRow(NamedTuple):
    """An event of a history without its record: enough to fold reads into counts."""

    rowid: int
    event_id: bytes | str  # as the cache stores it (cache.ids.decode_event_id reads it)
    time: int
    event_name: str
    principal: str
    error_code: str | None
    read_only: bool | None
    flags: int


class ResourceSummary(NamedTuple):
    """One row of the resources screen: a resource and the summary of its events."""

    id: int
    resource: ResourceId
    first_seen: int | None
    last_seen: int | None
    events: int
    writes: int
    flags: int
    last_write_time: int | None
    last_write_name: str  # "" when it was never written
    last_writer: str
    last_change_name: str  # the latest successful write's operation

    @property
    def deleted(self) -> bool:
        """Its latest successful write deleted it (a name created again is alive)."""
        name = self.last_change_name
        return bool(name) and name == DELETE_CALLS.get(self.resource.type)


@dataclass(frozen=True)
class Life:
    """One life of a name: from its first event to the delete (or rename) that ended it."""

    number: int  # 1 is the oldest
    first: int  # event times
    last: int
    ended_by: str  # "deleted", "renamed" or "" (still alive, as far as the cache knows)


@dataclass(frozen=True)
class Related:
    id: int
    resource: ResourceId
    relation: str  # from this resource's side: read-replica-of, has-snapshot, ...
    time: int  # when the call that set it up was made


@dataclass(frozen=True)
class HistoryEvent:
    row: EventRow
    event_id: str
    identity: ResourceId  # the name it was made under (an old name, before a rename)
    state: State | None = None  # the configuration after it, for writes
    # attribute -> (before, after), from the configuration over time
    changes: Mapping[str, tuple[object, object]] = field(default_factory=dict)
    pended: Mapping[str, object] = field(default_factory=dict)
    request: Mapping[str, object] | None = None  # writes: requestParameters as recorded

    @property
    def is_write(self) -> bool:
        return self.row.read_only is False


@dataclass(frozen=True)
class ReadRun:
    """Successful reads folded into a count: those between the event before `before` and
    the event at `before` (an index into History.events; len(events) after the last)."""

    before: int
    count: int
    first: int  # times
    last: int
    names: tuple[tuple[str, int], ...]  # operation and count, most first


@dataclass(frozen=True)
class History:
    id: int
    resource: ResourceId
    names: tuple[str, ...]  # oldest first: the names it had before renames, then its own
    lives: tuple[Life, ...]
    life: int  # the number of the life shown
    # Of that life, oldest first: every event, or with folded reads every event but the
    # successful reads, which `runs` counts between them.
    events: tuple[HistoryEvent, ...]
    related: tuple[Related, ...]
    runs: tuple[ReadRun, ...] = ()
    folded: bool = False

    @property
    def states(self) -> list[State]:
        return [e.state for e in self.events if e.state is not None]

    def state_at(self, index: int) -> State | None:
        """The configuration as of the event at `index`: that of the last write up to it."""
        for event in reversed(self.events[: index + 1]):
            if event.state is not None:
                return event.state
        return None
