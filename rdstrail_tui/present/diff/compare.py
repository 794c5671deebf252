"""Comparing one record's request with its response, key by key (the rules are in the
package's docstring)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

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
_MASK: Final = re.compile(r"\*+")
# Attacker-made records can nest deeply; comparing stops there rather than recursing on.
_MAX_DEPTH: Final = 64


# -- JSON helpers ------------------------------------------------------------------------


def _get(obj: object, key: str) -> tuple[str, object] | None:
    """(actual key, value) of `key` in a JSON object, exact spelling first, then any case."""
    if not isinstance(obj, Mapping):
        return None
    if key in obj:
        return key, obj[key]
    folded = key.lower()
    for actual, value in obj.items():
        if isinstance(actual, str) and actual.lower() == folded:
            return actual, value
    return None


def _lookup(obj: object, path: str) -> tuple[str, object] | None:
    """(actual top-level key, value) at `path` (see Shape), or None when absent."""
    head, _, rest = path.partition(".")
    projects = head.endswith("[]")
    found = _get(obj, head.removesuffix("[]"))
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
        key, val = _get(item, "key"), _get(item, "value")
        if key is None:
            pairs.add(_canon(item))
        else:
            pairs.add((_canon(key[1]), _canon(None if val is None else val[1])))
    return frozenset(pairs)


def _is_masked(value: object, depth: int = 0) -> bool:
    """Whether CloudTrail's asterisks stand anywhere in `value`."""
    if isinstance(value, str):
        return _MASK.fullmatch(value) is not None
    if depth > _MAX_DEPTH:
        return False
    if isinstance(value, list):
        return any(_is_masked(item, depth + 1) for item in value)
    if isinstance(value, Mapping):
        return any(_is_masked(item, depth + 1) for item in value.values())
    return False


def _json(value: object, limit: int = 80) -> str:
    """Compact JSON for a detail line, cut at `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)
    except (ValueError, TypeError, RecursionError):
        text = ELLIPSIS
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _log_types(obj: object, *names: str) -> frozenset[object]:
    found = _get(obj, names[0])
    for name in names[1:]:
        found = found or _get(obj, name)
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


# -- comparing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    path: str
    top: str
    value: object
    same: bool


def _find(
    shape: Shape, requested: object, where: object, paths: Iterable[str], *, pending: bool
) -> _Found | None:
    """The first path holding the requested value, else the first path found at all."""
    first: _Found | None = None
    for path in paths:
        hit = _lookup(where, path)
        if hit is None:
            continue
        value = _present(hit[1])
        found = _Found(path, hit[0], value, _same(shape, requested, value, pending=pending))
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
    key: str, requested: object, response: Mapping[str, object], used: set[str]
) -> DiffRow:
    """One requested key against the response; marks the response keys it consumed."""
    shape = SHAPE_BY_KEY.get(key.lower(), Shape(key))
    pending_values = _get(response, _PENDING_KEY)
    current = _find(shape, requested, response, (*shape.current, key), pending=False)
    pending = None
    if pending_values is not None:
        paths = (*shape.pending, key)
        pending = _find(shape, requested, pending_values[1], paths, pending=True)
    if current is not None:
        used.add(current.top)
    if pending_values is not None and pending is not None:
        used.add(f"{pending_values[0]}.{pending.top}")

    shown = current.value if current else pending.value if pending else MISSING
    if _is_masked(requested) or any(
        f is not None and _is_masked(f.value) for f in (current, pending)
    ):
        note = "a change is pending" if pending else ""
        return DiffRow(key, Status.MASKED, requested, shown, _join("masked by CloudTrail", note))
    if pending is not None and pending.same:
        # The requested value is what waits: saying it again would only repeat the row.
        now = f"now {_json(current.value)}" if current and not current.same else ""
        return DiffRow(key, Status.PENDING, requested, shown, _join("pending", now))
    pending_note = f"pending: {_json(pending.value)}" if pending else ""
    if current is not None:
        membership = None
        if shape.states and current.path == shape.current[0]:
            membership = _membership(shape, requested, response)
        if membership is not None:
            status, note = membership
        else:
            status, note = (Status.APPLIED if current.same else Status.CHANGED), ""
        detail = _join(note, _via(key, current), pending_note)
        return DiffRow(key, status, requested, shown, detail)
    if pending is not None:
        # Nothing in effect: the row shows the pending value as the answer, marked so.
        return DiffRow(key, Status.CHANGED, requested, shown, "pending")
    return DiffRow(key, Status.REQUEST_ONLY, requested, MISSING, "not in the response")


def _set_by_aws(response: Mapping[str, object], used: set[str]) -> list[DiffRow]:
    """Rows for what the response holds that no requested key accounts for."""
    rows: list[DiffRow] = []
    for key, value in response.items():
        if key.lower() == _PENDING_KEY.lower() and isinstance(value, Mapping):
            rows.extend(
                DiffRow(f"{key}.{sub}", Status.SET_BY_AWS, MISSING, inner, "")
                for sub, inner in value.items()
                if f"{key}.{sub}" not in used
            )
        elif key not in used:
            rows.append(DiffRow(str(key), Status.SET_BY_AWS, MISSING, value, ""))
    return sorted(rows, key=lambda row: (row.key.lower(), row.key))


def _request_rows(request: Mapping[str, object], detail: str) -> tuple[DiffRow, ...]:
    return tuple(
        DiffRow(str(key), Status.REQUEST_ONLY, value, MISSING, detail)
        for key, value in request.items()
    )


def _is_read_only(record: Mapping[str, object]) -> bool:
    flag = record.get("readOnly")
    if flag is True or (isinstance(flag, str) and flag.lower() == "true"):
        return True
    name = record.get("eventName")
    return (
        record.get("responseElements") is None
        and isinstance(name, str)
        and name.startswith(("Describe", "List"))
    )


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

    error = record.get("errorCode")
    if error is not None and error != "":
        message = record.get("errorMessage")
        failed = _request_rows(request, "not applied: the call failed") if request else ()
        return Diff("failed", failed, str(error), None if message is None else str(message))
    if _is_read_only(record):
        # Reads change nothing, so there is nothing to compare; a recorded answer is still
        # listed (folded) under "set by AWS".
        asked = _request_rows(request, "read-only call") if request else ()
        return Diff("read_only", (*asked, *_set_by_aws(response, set())))
    if request is None:
        return Diff("no_request", tuple(_set_by_aws(response, set())))
    if raw is None:
        # Say so once per key, rather than "not in the response" for every key.
        return Diff("compared", _request_rows(request, "no response recorded"))
    used: set[str] = set()
    rows = [_compare(str(key), value, response, used) for key, value in request.items()]
    return Diff("compared", (*rows, *_set_by_aws(response, used)))
