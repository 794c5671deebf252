"""A resource's configuration over time, rebuilt from the responses of its calls.

Most RDS write responses carry the whole resource (a DBInstance, a DBCluster, ...), as it
was when the call was made, with the changes not yet in effect under
`pendingModifiedValues`. Read oldest first, they give the configuration as known after each
event: every attribute's value, when it last changed and by whom, and the pending values
with the call that asked for them and what became of them:

- `pending`: waiting, as of this event;
- `applied`: a later response shows the value in effect and no longer pending; it applied at
  some time between the last response that still had it pending and that one;
- `superseded`: a later request pended another value for the same attribute;
- `still pending`: nothing after it shows it applied (the status of the last state).

A failed call, or one whose response is null (most reads, some writes), changes nothing
known: what it asked for is never counted as applied. Which keys are attributes of the
resource comes from the RDS model (the response shape's members) where it knows the call.

Pure, issue 11's second part: the history view and `rdstrail history` will show it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final, Literal

import orjson

from rdstrail_tui.model.rds_api import RdsModel, fold

__all__ = ["Attribute", "Pending", "PendingStatus", "State", "Step", "configuration_over_time"]

PendingStatus = Literal["pending", "applied", "superseded", "still pending"]
_PENDING_KEY: Final = "pendingmodifiedvalues"
# Members a response holds from which it is taken to describe the whole resource.
WHOLE_RESOURCE: Final = 12


@dataclass(frozen=True)
class Step:
    """One event of the resource's history, oldest first: what the reconstruction reads."""

    event_id: str
    time: int
    event_name: str
    principal: str
    failed: bool
    response: object  # responseElements as recorded (None, {} or the resource)


@dataclass(frozen=True)
class Attribute:
    value: object
    changed_by: str  # the eventID that set this value (the first that showed it)
    changed_at: int
    changed_principal: str


@dataclass(frozen=True)
class Pending:
    value: object
    requested_by: str  # the eventID whose response first showed the value pending
    requested_at: int
    requested_principal: str
    status: PendingStatus = "pending"
    # Once applied: the event that first showed it in effect, and the time of the last
    # event before that still showing it pending (it applied in between).
    applied_seen: str | None = None
    applied_after: int | None = None
    applied_by_time: int | None = None


@dataclass(frozen=True)
class State:
    """The configuration as known after one event."""

    event_id: str
    time: int
    attributes: Mapping[str, Attribute]
    # By attribute; values that ended (applied, superseded) stay, with their status, in the
    # state of the event that ended them, then leave.
    pending: Mapping[str, Pending]
    changed: tuple[str, ...] = ()  # attributes this event's response showed changed
    pended: tuple[str, ...] = ()  # attributes this event's response showed newly pending
    ended: Mapping[str, Pending] = field(default_factory=dict)


def _same(a: object, b: object) -> bool:
    """Equal as JSON: keys in any order, but true is not 1."""
    if (type(a) is type(b) and isinstance(a, (str, int, float))) or a is None or b is None:
        return a == b  # most attributes: a plain value, compared at once
    try:
        return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
            b, option=orjson.OPT_SORT_KEYS
        )
    except (TypeError, orjson.JSONEncodeError):
        return a == b


def _resource_of(step: Step, shape: str, model: RdsModel | None) -> Mapping[str, object] | None:
    """The response as the resource it describes, or None when it describes none (a failed
    call, no response, or the response of a call about another kind of resource: a
    CreateDBSnapshot names the instance but answers with the snapshot)."""
    if step.failed or not isinstance(step.response, Mapping) or not step.response:
        return None
    response: Mapping[str, object] = step.response
    if model is None:
        return response
    operation = model.operation(step.event_name)
    if operation is None:
        return response  # a call the model does not know: its response as it is
    if operation.resource_shape != shape:
        return None
    if operation.resource_member and len(response) == 1:
        ((key, inner),) = response.items()
        if fold(str(key)) == fold(operation.resource_member) and isinstance(inner, Mapping):
            return inner
    return response


# CloudTrail key -> whether it is an attribute of the shape, per shape: a history reads the
# same sixty keys in each of a thousand responses, so each is folded and looked up once.
_IS_ATTRIBUTE: dict[tuple[str, str], bool] = {}
_IS_ATTRIBUTE_KEPT: Final = 8192  # hostile records may invent keys: remember this many


def _attributes(
    resource: Mapping[str, object], shape: str, model: RdsModel | None
) -> dict[str, object]:
    """The resource's attributes by CloudTrail's key; where the model knows the shape, only
    its members (CloudTrail adds nothing else, but a hostile record might)."""
    members = model.members(shape) if model is not None else {}
    found: dict[str, object] = {}
    for key, value in resource.items():
        name = str(key)
        known = _IS_ATTRIBUTE.get((shape, name)) if members else None
        if known is None:
            folded = fold(name)
            known = folded != _PENDING_KEY and (not members or folded in members)
            if members and len(_IS_ATTRIBUTE) < _IS_ATTRIBUTE_KEPT:
                _IS_ATTRIBUTE[(shape, name)] = known
        if known:
            found[name] = value
    return found


def _pending_values(resource: Mapping[str, object]) -> dict[str, object]:
    value = resource.get("pendingModifiedValues")  # CloudTrail's spelling, else any case
    if value is None:
        value = next((v for k, v in resource.items() if fold(str(k)) == _PENDING_KEY), None)
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}


def _attribute_key(pending_key: str, attributes: Mapping[str, object]) -> str:
    """The attribute a pending value is for: the same name in any case."""
    if pending_key in attributes:
        return pending_key  # CloudTrail spells both alike
    folded = fold(pending_key)
    return next((key for key in attributes if fold(key) == folded), pending_key)


def _settle(
    pending: dict[str, Pending],
    now_pending: Mapping[str, object],
    current: Mapping[str, object],
    step: Step,
    last_pending_time: dict[str, int],
) -> dict[str, Pending]:
    """What the values pending before `step` became in its response: still waiting (kept
    in `pending`), or ended (removed, and returned with their status)."""
    ended: dict[str, Pending] = {}
    for key, waiting in list(pending.items()):
        if key in now_pending and _same(now_pending[key], waiting.value):
            last_pending_time[key] = step.time
            continue
        del pending[key]
        # Applied: in effect now; or, for a value with no attribute of its own to show it
        # (masterUserPassword, pendingCloudwatchLogsExports), simply no longer pending.
        shown = key in current and _same(current[key], waiting.value)
        if key not in now_pending and (shown or key not in current):
            ended[key] = replace(
                waiting,
                status="applied",
                applied_seen=step.event_id,
                applied_after=last_pending_time.get(key, waiting.requested_at),
                applied_by_time=step.time,
            )
        else:
            # Another value pended over it, or neither pending nor in effect any more:
            # withdrawn, or overridden by a change that went through at once.
            ended[key] = replace(waiting, status="superseded")
    return ended


def configuration_over_time(
    steps: Sequence[Step], shape: str, model: RdsModel | None
) -> list[State]:
    """One State per step (the configuration after it), for a resource of `shape`
    (DBInstance, DBCluster, ...)."""
    states: list[State] = []
    attributes: dict[str, Attribute] = {}
    pending: dict[str, Pending] = {}
    last_pending_time: dict[str, int] = {}
    for step in steps:
        resource = _resource_of(step, shape, model)
        changed: list[str] = []
        pended: list[str] = []
        ended: dict[str, Pending] = {}
        if resource is not None:
            current = _attributes(resource, shape, model)
            for key, value in current.items():
                known = attributes.get(key)
                if known is None or not _same(known.value, value):
                    attributes[key] = Attribute(value, step.event_id, step.time, step.principal)
                    if known is not None:
                        changed.append(key)
            # A response that describes the whole resource (CloudTrail's do: dozens of
            # members) says what it no longer has: a promoted replica has no source any
            # more. A short one (a hand-made record, a trimmed export) says only what it
            # holds.
            if len(current) >= WHOLE_RESOURCE:
                for key in [key for key in attributes if key not in current]:
                    del attributes[key]
                    changed.append(key)
            now_pending = {
                _attribute_key(key, current): value
                for key, value in _pending_values(resource).items()
            }
            ended = _settle(pending, now_pending, current, step, last_pending_time)
            for key, value in now_pending.items():
                if key not in pending:
                    pending[key] = Pending(value, step.event_id, step.time, step.principal)
                    last_pending_time[key] = step.time
                    pended.append(key)
        states.append(
            State(
                step.event_id,
                step.time,
                dict(attributes),
                dict(pending),
                tuple(changed),
                tuple(pended),
                ended,
            )
        )
    if states:
        last = states[-1]
        states[-1] = replace(
            last,
            pending={key: replace(p, status="still pending") for key, p in last.pending.items()},
        )
    return states
