"""Comparing one record's request with its response, key by key (the rules are in the
package's docstring)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from rdstrail_tui.model.access import infer_read_only
from rdstrail_tui.model.dates import parse_loose_time
from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.model.json_values import find_key, json_bool
from rdstrail_tui.model.masks import is_mask
from rdstrail_tui.model.rds_api import Member, Operation, RdsModel, rds_model
from rdstrail_tui.present.diff.rows import MISSING, Diff, DiffRow, Status
from rdstrail_tui.present.diff.shapes import SHAPE_BY_KEY, Shape
from rdstrail_tui.present.json_layout import ELLIPSIS

_PENDING_KEY: Final = "pendingModifiedValues"
# Item states of a membership on its way in or out.
_TRANSITIONAL: Final = frozenset(
    {"adding", "removing", "applying", "pending-reboot", "pending-apply", "authorizing"}
    | {"revoking", "modifying"}
)
_LEAVING: Final = frozenset({"removing", "revoking"})
# Attacker-made records can nest deeply; comparing stops there rather than recursing on.
_MAX_DEPTH: Final = 64


# -- JSON helpers ------------------------------------------------------------------------


def _lookup(obj: object, path: str) -> tuple[str, object] | None:
    """(actual top-level key, value) at `path` (see Shape), or None when absent."""
    head, _, rest = path.partition(".")
    projects = head.endswith("[]")
    found = find_key(obj, head.removesuffix("[]"))
    if found is None:
        return None
    top, value = found
    if projects:
        if not isinstance(value, list):
            return None
        if not rest:
            return top, value
        # Keep a gap for items without the field, so parallel paths (states) stay aligned.
        items = [_lookup(item, rest) for item in value]
        return top, [MISSING if item is None else item[1] for item in items]
    if not rest:
        return top, value
    inner = _lookup(value, rest)
    return None if inner is None else (top, inner[1])


def _present(value: object) -> object:
    """`value` with the gaps of a projection removed."""
    if isinstance(value, list):
        return [item for item in value if item is not MISSING]
    return value


def _canon(value: object, unordered: bool = False, depth: int = 0) -> object:
    """A hashable form equal exactly when the JSON meaning is equal."""
    if depth > _MAX_DEPTH:
        return ("deep", id(value))
    if isinstance(value, bool):  # before int: in JSON true is not 1
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", value)
    if isinstance(value, str):
        return ("str", value)
    if value is None:
        return ("null",)
    if isinstance(value, list):
        items = [_canon(item, False, depth + 1) for item in value]
        return ("set", frozenset(items)) if unordered else ("list", tuple(items))
    if isinstance(value, Mapping):
        return ("obj", frozenset((str(k), _canon(v, False, depth + 1)) for k, v in value.items()))
    return ("other", repr(value))


def _items(value: object) -> frozenset[object]:
    """The canonical items of a list, one level of nested lists flattened."""
    if not isinstance(value, list):
        return frozenset({_canon(value)})
    flat: list[object] = []
    for item in value:
        flat.extend(item if isinstance(item, list) else [item])
    return frozenset(_canon(item) for item in flat)


def _pairs(value: object) -> frozenset[object] | None:
    """Tags as a set of (key, value), whatever the spelling of the field names."""
    if not isinstance(value, list):
        return None
    pairs: set[object] = set()
    for item in value:
        key, val = find_key(item, "key"), find_key(item, "value")
        if key is None:
            pairs.add(_canon(item))
        else:
            pairs.add((_canon(key[1]), _canon(None if val is None else val[1])))
    return frozenset(pairs)


def _json(value: object, limit: int = 80) -> str:
    """Compact JSON for a detail line, cut at `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, TypeError, RecursionError):
        text = ELLIPSIS
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _log_types(obj: object, *names: str) -> frozenset[object]:
    found = find_key(obj, names[0])
    for name in names[1:]:
        found = found or find_key(obj, name)
    return _items(found[1]) if found is not None and isinstance(found[1], list) else frozenset()


def _same(shape: Shape, requested: object, response: object, *, pending: bool) -> bool:
    """Whether `response` (in effect, or pending) carries the requested value."""
    if shape.match == "member" and isinstance(response, list):
        wanted = _canon(requested)
        return any(_canon(item) == wanted for item in response)
    if shape.match == "pairs":
        asked = _pairs(requested)
        return asked is not None and asked == _pairs(response)
    if shape.match == "subset" and isinstance(requested, list):
        return _items(requested) <= _items(response)
    if shape.match == "disjoint" and isinstance(requested, list):
        return not _items(requested) & _items(response)
    if shape.match == "log_config" and isinstance(requested, Mapping):
        enable = _log_types(requested, "enableLogTypes")
        disable = _log_types(requested, "disableLogTypes")
        if pending:
            return enable == _log_types(response, "logTypesToEnable") and disable == _log_types(
                response, "logTypesToDisable"
            )
        enabled = _items(response) if isinstance(response, list) else frozenset()
        return enable <= enabled and not disable & enabled
    return _canon(requested, shape.unordered) == _canon(response, shape.unordered)


# -- what the model says about a call -------------------------------------------------------


@dataclass(frozen=True)
class _Call:
    """What the RDS model knows of the call a record is of (all None when it knows nothing)."""

    operation: Operation | None
    model: RdsModel | None

    def request_member(self, key: str) -> Member | None:
        op = self.operation
        if op is None or op.input_shape is None or self.model is None:
            return None
        return self.model.member(op.input_shape, key)

    def resource_member(self, key: str) -> Member | None:
        op = self.operation
        if op is None or op.resource_shape is None or self.model is None:
            return None
        return self.model.member(op.resource_shape, key)

    @property
    def resource(self) -> str:
        op = self.operation
        return op.resource_shape or "" if op else ""


def _call_of(record: Mapping[str, object]) -> tuple[_Call, str]:
    """The model's view of the record's call, and the note a diff carries when the model
    cannot drive it."""
    source, name = record.get("eventSource"), record.get("eventName")
    if isinstance(source, str) and source and source != RDS_EVENT_SOURCE:
        # (A record without an eventSource is read as the RDS call it is filed with.)
        return _Call(None, None), "not an RDS call: compared by key name"
    model = rds_model()
    if model is None:
        return _Call(None, None), "botocore's RDS model was not found: compared by key name"
    operation = model.operation(name) if isinstance(name, str) else None
    if operation is None:
        shown = name if isinstance(name, str) and name else "this call"
        return _Call(None, model), f"{shown} is not in the RDS model: compared by key name"
    return _Call(operation, model), ""


def _unwrap(response: Mapping[str, object], call: _Call) -> tuple[Mapping[str, object], str]:
    """The resource a response describes, and the prefix of its keys in the record.

    CloudTrail usually records the resource itself (a DBInstance's fields at the top), but
    some calls keep the result's wrapper: `{"dBSnapshotAttributesResult": {...}}`."""
    op = call.operation
    if op is not None and op.resource_member and len(response) == 1:
        ((key, inner),) = response.items()
        wraps = isinstance(key, str) and key.lower() == op.resource_member.lower()
        if wraps and isinstance(inner, Mapping):
            return inner, f"{key}."
    return response, ""


# -- comparing ---------------------------------------------------------------------------


def _coerce(value: object, kind: str) -> object:
    """A request or response value as the model's type reads it: some sources write
    booleans and numbers as strings ("true", "20"), and dates in more than one format."""
    if kind == "boolean" and isinstance(value, str) and json_bool(value) is not None:
        return json_bool(value)
    if (
        kind in ("integer", "long")
        and isinstance(value, str)
        and value.strip().lstrip("-").isdigit()
    ):
        return int(value)
    if kind in ("double", "float") and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    if kind == "timestamp":
        moment = parse_loose_time(value)
        return ("time", moment) if moment is not None else value
    return value


def _hides(key: str, requested: object, call: _Call) -> bool:
    """The requested value is a secret: the model marks the member sensitive, or the
    record holds one of CloudTrail's stand-ins for one."""
    member = call.request_member(key)
    return (member is not None and member.sensitive) or _is_masked(requested)


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, (list, Mapping, str)) and len(value) == 0)


def _is_masked(value: object, depth: int = 0) -> bool:
    """Whether one of CloudTrail's stand-ins for a secret is anywhere in `value`."""
    if isinstance(value, str):
        return is_mask(value)
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, list):
        return any(_is_masked(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        return any(_is_masked(item, depth + 1) for item in value.values())
    return False


@dataclass(frozen=True)
class _Found:
    path: str
    top: str
    value: object
    same: bool


def _find(
    shape: Shape,
    requested: object,
    where: object,
    paths: Iterable[str],
    *,
    pending: bool,
    kind: str,
) -> _Found | None:
    """The first path holding the requested value, else the first path found at all."""
    first: _Found | None = None
    asked = _coerce(requested, kind)
    for path in paths:
        hit = _lookup(where, path)
        if hit is None:
            continue
        value = _present(hit[1])
        same = _same(shape, asked, _coerce(value, kind), pending=pending)
        found = _Found(path, hit[0], value, same)
        if found.same:
            return found
        first = first or found
    return first


def _membership(shape: Shape, requested: object, response: object) -> tuple[Status, str] | None:
    """Status of a membership from its items' states, or None when there are no states."""
    values, states = _lookup(response, shape.current[0]), _lookup(response, shape.states)
    if values is None or states is None:
        return None
    if not isinstance(values[1], list) or not isinstance(states[1], list):
        return None
    items = [
        (value, state.lower() if isinstance(state, str) else "")
        for value, state in zip(values[1], states[1])
        if value is not MISSING
    ]
    if shape.match == "member":
        # One item is the requested one; only its state counts.
        wanted = _canon(requested)
        states_of_match = [state for value, state in items if _canon(value) == wanted]
        if not states_of_match:
            return Status.CHANGED, ""
        if _transitional(states_of_match[0]):
            state = states_of_match[0]
            return Status.PENDING, "pending" if state == "pending" else f"pending: {state}"
        return Status.APPLIED, ""
    # The whole set was requested: items on their way out no longer count, and any item
    # still moving makes the change pending.
    asked = requested if isinstance(requested, list) else [requested]
    moving = [f"{_json(value, 40)} {state}" for value, state in items if _transitional(state)]
    kept = frozenset(_canon(value) for value, state in items if state not in _LEAVING)
    if kept != frozenset(_canon(item) for item in asked):
        return Status.CHANGED, ""
    if moving:
        return Status.PENDING, "pending: " + ", ".join(moving)
    return Status.APPLIED, ""


def _transitional(state: str) -> bool:
    return state in _TRANSITIONAL or state.startswith("pending")


def _via(key: str, found: _Found) -> str:
    return "" if found.path.lower() == key.lower() else f"via {found.path}"


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def _compare(
    key: str, requested: object, response: Mapping[str, object], used: set[str], call: _Call
) -> DiffRow:
    """One requested key against the response; marks the response keys it consumed."""
    shape = SHAPE_BY_KEY.get(key.lower(), Shape(key))
    member = call.request_member(key)
    kind = member.type if member else ""
    pending_values = find_key(response, _PENDING_KEY)
    current = _find(shape, requested, response, (*shape.current, key), pending=False, kind=kind)
    pending = None
    if pending_values is not None:
        paths = (*shape.pending, key)
        pending = _find(shape, requested, pending_values[1], paths, pending=True, kind=kind)
    if current is not None:
        used.add(current.top)
    if pending_values is not None and pending is not None:
        used.add(f"{pending_values[0]}.{pending.top}")

    waiting = pending.value if pending else MISSING
    shown = current.value if current else waiting
    unread = _unread(key, requested, call, current, pending)
    if unread is not None:
        status, detail = unread
        return DiffRow(key, status, requested, shown, detail, waiting)
    if pending is not None and pending.same:
        # The requested value is what waits: saying it again would only repeat the row.
        now = f"now {_json(current.value)}" if current and not current.same else ""
        return DiffRow(key, Status.PENDING, requested, shown, _join("pending", now), waiting)
    pending_note = f"pending: {_json(pending.value)}" if pending else ""
    if current is not None:
        if not current.same and _is_empty(current.value) and pending is None:
            # `tagList: []`, `{}`: an empty echo says nothing about the requested value.
            detail = _join("the response holds it empty", _via(key, current))
            return DiffRow(key, Status.REQUEST_ONLY, requested, shown, detail, waiting)
        membership = None
        if shape.states and current.path == shape.current[0]:
            membership = _membership(shape, requested, response)
        if membership is not None:
            status, note = membership
        else:
            status, note = (Status.APPLIED if current.same else Status.CHANGED), ""
            if not current.same and pending is None and _answers_before(key, call):
                note = "the response shows the state when the call was made"
        detail = _join(note, _via(key, current), pending_note)
        return DiffRow(key, status, requested, shown, detail, waiting)
    if pending is not None:
        # Nothing in effect: the row shows the pending value as the answer, marked so.
        return DiffRow(key, Status.CHANGED, requested, shown, "pending", waiting)
    return DiffRow(key, Status.REQUEST_ONLY, requested, MISSING, _not_found(key, call))


def _unread(
    key: str, requested: object, call: _Call, current: _Found | None, pending: _Found | None
) -> tuple[Status, str] | None:
    """A requested value that is not compared at all, and why: a secret, or nothing."""
    if _hides(key, requested, call) or any(
        f is not None and _is_masked(f.value) for f in (current, pending)
    ):
        # A secret in a request means "changed, value hidden", whatever stands in for it.
        return Status.MASKED, _join("value hidden", "a change is pending" if pending else "")
    if _is_empty(requested) and not (current and current.same):
        # An empty list or object asks for nothing: what the response holds is not its echo.
        return Status.REQUEST_ONLY, "empty: nothing asked"
    return None


def _answers_before(key: str, call: _Call) -> bool:
    """A Modify call's response describes the resource as the call found it: a setting
    that is not pending-capable (publiclyAccessible, deletionProtection) changes after, so
    another value there is the old one, not a refusal."""
    op, model = call.operation, call.model
    if op is None or model is None or op.resource_shape is None:
        return False
    if not op.name.startswith("Modify"):
        return False
    pending_shape = model.pending_shape(op.resource_shape)
    return pending_shape is None or model.member(pending_shape, key) is None


def _not_found(key: str, call: _Call) -> str:
    """Why a requested key has no counterpart, as far as the model can say."""
    op = call.operation
    if op is None or not call.resource:
        return "not in the response"
    if call.request_member(key) is None:
        return f"not in the RDS model's {op.name} request"
    if call.resource_member(key) is None and key.lower() not in SHAPE_BY_KEY:
        # applyImmediately, skipFinalSnapshot: a parameter of the call, not a setting.
        return f"a call parameter, not a {call.resource} field"
    return "not in the response"


# -- snapshot sharing ----------------------------------------------------------------------

_SNAPSHOT_ATTRIBUTE_CALLS: Final = frozenset(
    {"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"}
)
_ATTRIBUTE_LISTS: Final = ("dBSnapshotAttributes", "dBClusterSnapshotAttributes")


def _snapshot_attribute_rows(
    request: Mapping[str, object], response: Mapping[str, object], used: set[str]
) -> dict[str, DiffRow]:
    """attributeName, valuesToAdd and valuesToRemove of a snapshot-sharing call, read
    against the attribute's values after the call: added values must be among them,
    removed ones must not. Empty when the response lists no attributes."""
    name = find_key(request, "attributeName")
    if name is None or not isinstance(name[1], str):
        return {}
    hits = (find_key(response, key) for key in _ATTRIBUTE_LISTS)
    found = next((hit for hit in hits if hit), None)
    if found is None or not isinstance(found[1], list):
        return {}
    used.add(found[0])
    values: list[object] | None = None
    for item in found[1]:
        attribute = find_key(item, "attributeName")
        if attribute is not None and str(attribute[1]).lower() == name[1].lower():
            listed = find_key(item, "attributeValues")
            values = listed[1] if listed is not None and isinstance(listed[1], list) else []
    rows: dict[str, DiffRow] = {}
    if values is None:
        detail = f"no {name[1]} attribute in {found[0]}"
        rows[name[0]] = DiffRow(name[0], Status.CHANGED, name[1], MISSING, detail)
        return rows
    rows[name[0]] = DiffRow(name[0], Status.APPLIED, name[1], name[1], f"via {found[0]}")
    now = frozenset(_canon(value) for value in values)
    shared = _shared_with(values)
    for key, wanted_in in (("valuesToAdd", True), ("valuesToRemove", False)):
        asked = find_key(request, key)
        if asked is None:
            continue
        items = asked[1] if isinstance(asked[1], list) else [asked[1]]
        if not items:
            rows[asked[0]] = DiffRow(
                asked[0], Status.REQUEST_ONLY, asked[1], MISSING, "empty: nothing asked"
            )
            continue
        wrong = [item for item in items if (_canon(item) in now) != wanted_in]
        if wrong:
            verb = "missing from" if wanted_in else "still in"
            detail = f"{verb} the attribute: {_json(wrong, 40)}; {shared}"
            rows[asked[0]] = DiffRow(asked[0], Status.CHANGED, asked[1], values, detail)
        else:
            rows[asked[0]] = DiffRow(asked[0], Status.APPLIED, asked[1], values, shared)
    return rows


def _shared_with(values: list[object]) -> str:
    if any(isinstance(value, str) and value.lower() == "all" for value in values):
        return "now public (all)"
    if not values:
        return "now shared with no other account"
    count = len(values)
    return f"now shared with {count} account{'s' if count != 1 else ''}: {_json(values, 40)}"


# -- the whole record ----------------------------------------------------------------------


def _set_by_aws(response: Mapping[str, object], used: set[str], prefix: str = "") -> list[DiffRow]:
    """Rows for what the response holds that no requested key accounts for."""
    rows: list[DiffRow] = []
    for key, value in response.items():
        if key.lower() == _PENDING_KEY.lower() and isinstance(value, Mapping):
            rows.extend(
                DiffRow(f"{prefix}{key}.{sub}", Status.SET_BY_AWS, MISSING, inner, "")
                for sub, inner in value.items()
                if f"{key}.{sub}" not in used
            )
        elif key not in used:
            rows.append(DiffRow(f"{prefix}{key}", Status.SET_BY_AWS, MISSING, value, ""))
    return sorted(rows, key=lambda row: (row.key.lower(), row.key))


def _request_rows(request: Mapping[str, object], detail: str) -> tuple[DiffRow, ...]:
    return tuple(
        DiffRow(str(key), Status.REQUEST_ONLY, value, MISSING, detail)
        for key, value in request.items()
    )


def _is_read_only(record: Mapping[str, object]) -> bool:
    """As recorded, or for records without readOnly (before eventVersion 1.03) from the
    operation's name, as the list infers it."""
    flag = json_bool(record.get("readOnly"))
    if flag is not None:
        return flag
    name = record.get("eventName")
    return bool(infer_read_only(name)) if isinstance(name, str) else False


def diff_record(record: Mapping[str, object]) -> Diff:
    """Compare the request of one CloudTrail record with its response. Never raises on odd
    input: whatever is not a JSON object counts as absent."""
    found = record.get("requestParameters")
    request = found if isinstance(found, Mapping) else None
    raw = record.get("responseElements")
    response: Mapping[str, object]
    if isinstance(raw, Mapping):
        response = raw
    elif raw is None:
        response = {}
    else:  # not an object: shown whole rather than dropped
        response = {"responseElements": raw}
    call, note = _call_of(record)

    error = record.get("errorCode")
    if error is not None and error != "":
        message = record.get("errorMessage")
        failed = _request_rows(request, "not applied: the call failed") if request else ()
        shown_message = None if message is None else str(message)
        return Diff("failed", failed, str(error), shown_message, note=note)
    if _is_read_only(record):
        # Reads change nothing, so there is nothing to compare; a recorded answer is still
        # listed (folded) under "set by AWS".
        asked = _request_rows(request, "read-only call") if request else ()
        return Diff("read_only", (*asked, *_set_by_aws(response, set())), note=note)
    if request is None:
        return Diff("no_request", tuple(_set_by_aws(response, set())), note=note)
    if raw is None or (isinstance(raw, Mapping) and not raw):
        # Say so once per key, rather than "not in the response" for every key; a secret
        # is still a secret.
        unanswered = tuple(
            DiffRow(row.key, Status.MASKED, row.requested, MISSING, "value hidden")
            if _hides(row.key, row.requested, call)
            else row
            for row in _request_rows(request, "no response recorded")
        )
        return Diff("compared", unanswered, note=note)
    resource, prefix = _unwrap(response, call)
    used: set[str] = set()
    special: dict[str, DiffRow] = {}
    if record.get("eventName") in _SNAPSHOT_ATTRIBUTE_CALLS:
        special = _snapshot_attribute_rows(request, resource, used)
    rows = [
        special.get(str(key)) or _compare(str(key), value, resource, used, call)
        for key, value in request.items()
    ]
    return Diff("compared", (*rows, *_set_by_aws(resource, used, prefix)), note=note)
