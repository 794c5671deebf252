"""Two events, or two points of a resource's configuration, compared key by key.

`compare_events` / `compare_records` put two CloudTrail records side by side: their
`requestParameters` (section "request"), then their `responseElements` (section
"response"). `compare_configurations` does the same for two `model.configuration.State`s:
the attributes (section "configuration") and the pending values (section "pending"). Every
row is one leaf: nested objects are walked and named by dotted paths
(`pendingModifiedValues.dBInstanceClass`), and each row says how the two sides compare:

- `=` same: the same meaning, however each record wrote it;
- `~` changed;
- `<` only left, `>` only right: the other side has no value there;
- `#` masked: a secret (CloudTrail's stand-in for it, or a member the RDS model marks
  sensitive), never compared and never called changed.

The matching is the diff's (present/diff): keys in any case (`rds_api.fold`), values by
their meaning, read through the RDS model's type of the member where it knows the call
("true" is true for a boolean, "100" is 100 for an integer, two spellings of one instant
are one date) and by their JSON type where it does not; lists compare as sets where
`SHAPES` says order means nothing, and lists of objects that `SHAPES` says how to identify
(`vpcSecurityGroups[].vpcSecurityGroupId`, tags by their key) are matched item by item by
that identity, whatever their order: `vpcSecurityGroups[sg-1].status`. The one place RDS
answers a name with either a string or an object (`dBSubnetGroup`) reads as the object's
name either way.

Two ModifyDBInstance calls of one DB read as what the second changed relative to the first:
what each asked for, then (their responses being the resource as each call found it) what
had changed in between. The header names both events (id, time, operation, principal,
error, resource), and notes say when they are of different operations or resources (they
are compared all the same).

Pure: no cache, no terminal. `compare_json` gives a comparison as data; present/
compare_layout lays it out for a width (`compare_text`), where every key and value, all
attacker-controlled, reaches a line only through `printable`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from typing import Final, Literal

import orjson

from rdstrail_tui.model.configuration import State
from rdstrail_tui.model.dates import parse_loose_time
from rdstrail_tui.model.event import (
    Event,
    RecordError,
    parse_event_time,
    principal_of,
    resource_of,
)
from rdstrail_tui.model.json_values import json_bool
from rdstrail_tui.model.rds_api import Member, RdsModel, fold, rds_model

# The diff's own reading of values by meaning, so both views agree on what is "the same".
# (Private there: see the report of issue 11's compare part, which asks for them public.)
from rdstrail_tui.present.diff.compare import _canon, _coerce, _is_masked
from rdstrail_tui.present.diff.rows import MISSING
from rdstrail_tui.present.diff.shapes import SHAPES
from rdstrail_tui.present.json_layout import ELLIPSIS

__all__ = [
    "SECTION_TITLES",
    "CompareRow",
    "CompareStatus",
    "Comparison",
    "Section",
    "Side",
    "compare_configurations",
    "compare_events",
    "compare_json",
    "compare_records",
    "row_json",
    "side_json",
    "side_of_event",
    "side_of_record",
]

Section = Literal["request", "response", "configuration", "pending"]
SECTION_TITLES: Final[dict[str, str]] = {
    "request": "Request parameters",
    "response": "Response",
    "configuration": "Configuration",
    "pending": "Pending values",
}


class CompareStatus(Enum):
    SAME = "same"
    CHANGED = "changed"
    ONLY_LEFT = "only-left"
    ONLY_RIGHT = "only-right"
    MASKED = "masked"

    @property
    def code(self) -> str:
        """The status as JSON and scripts name it."""
        return str(self.value)

    @property
    def label(self) -> str:
        return str(self.value).replace("-", " ")

    @property
    def symbol(self) -> str:
        """One ASCII character per status, so a row reads without colour: `<` and `>` as
        diff(1) marks the lines of one side."""
        return _SYMBOLS[self]


_SYMBOLS: Final = {
    CompareStatus.SAME: "=",
    CompareStatus.CHANGED: "~",
    CompareStatus.ONLY_LEFT: "<",
    CompareStatus.ONLY_RIGHT: ">",
    CompareStatus.MASKED: "#",
}


@dataclass(frozen=True)
class CompareRow:
    section: Section
    path: str  # dotted, as the record spells it (the left's spelling where both have it)
    left: object  # the JSON value as recorded, or MISSING
    right: object
    status: CompareStatus


@dataclass(frozen=True)
class Side:
    """What the header says of one side: an event, or a point of a resource's history."""

    event_id: str
    time: int | None  # epoch seconds, None when the record's eventTime does not read
    event_name: str = ""
    principal: str = ""
    error: str | None = None
    resource: str = ""
    title: str = ""  # a configuration's: "after ModifyDBInstance by alice"


ComparisonKind = Literal["events", "configurations"]


@dataclass(frozen=True)
class Comparison:
    kind: ComparisonKind
    left: Side
    right: Side
    rows: tuple[CompareRow, ...]
    notes: tuple[str, ...] = ()

    @property
    def sections(self) -> tuple[Section, Section]:
        if self.kind == "configurations":
            return ("configuration", "pending")
        return ("request", "response")

    def counts(self, section: Section | None = None) -> dict[CompareStatus, int]:
        """Rows per status (every status, zero included), of one section or all."""
        counts = dict.fromkeys(CompareStatus, 0)
        for row in self.rows:
            if section is None or row.section == section:
                counts[row.status] += 1
        return counts


# -- what SHAPES says about lists and aliases ----------------------------------------------


def _path_names(path: str) -> list[str]:
    return [part.removesuffix("[]") for part in path.split(".")]


def _shape_tables() -> tuple[frozenset[str], dict[str, str], dict[str, str]]:
    """From the diff's table: the (folded) keys whose lists are sets; the field that
    identifies each item of a list of objects (`vpcSecurityGroups` -> `vpcSecurityGroupId`);
    and the one key RDS answers as a name or as an object holding the name."""
    unordered: set[str] = set()
    identity: dict[str, str] = {}
    alias: dict[str, str] = {}
    for shape in SHAPES:
        paths = (*shape.current, *shape.pending)
        if shape.unordered or shape.match in ("subset", "disjoint", "pairs"):
            unordered.add(fold(shape.key))
            unordered.update(fold(name) for path in paths for name in _path_names(path))
        for path in shape.current:
            head, marker, rest = path.partition("[].")
            if marker and rest and "." not in rest:
                identity.setdefault(fold(head), rest)
        for path in shape.current:
            for other in shape.current:
                if "[]" not in other and other.startswith(path + "."):
                    alias[fold(path)] = other[len(path) + 1 :]
    return frozenset(unordered), identity, alias


_UNORDERED, _ITEM_IDENTITY, _NAME_OR_OBJECT = _shape_tables()
# Tags (`tags`, `tagList`) are pairs whatever the call: identified by their key.
_TAG_KEY: Final = "key"
# Attacker-made records can nest far and hold many keys: past these a value is one leaf,
# and a section stops (with a note) rather than growing without bound.
_MAX_DEPTH: Final = 32
_MAX_LEAVES: Final = 5000


# -- leaves ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    ident: tuple[str, ...]  # the path folded, list items as "[id]" or "[0]": what matches
    shown: str  # the dotted path as the record spells it
    keys: tuple[str, ...]  # the object keys along the path, for the RDS model
    value: object
    empty: bool = False  # an empty object or list: "nothing here", unless nothing else is
    unordered: bool = False


@dataclass
class _Walk:
    leaves: list[_Leaf]
    cut: bool = False

    def add(self, leaf: _Leaf) -> bool:
        if len(self.leaves) >= _MAX_LEAVES:
            self.cut = True
            return False
        self.leaves.append(leaf)
        return True


def _join(shown: str, part: str) -> str:
    return f"{shown}.{part}" if shown else part


def _scalar(value: object) -> bool:
    return not isinstance(value, (Mapping, list))


def _item_key(name: str, items: list[object]) -> str | None:
    """The field identifying each item of a list of objects, when every item has a
    distinct scalar value of it (else the list is matched by position, or as a set)."""
    field = _ITEM_IDENTITY.get(fold(name)) or _TAG_KEY
    seen: set[object] = set()
    for item in items:
        if not isinstance(item, Mapping):
            return None
        found = _get(item, field)
        if found is MISSING or not _scalar(found) or _canon(found) in seen:
            return None
        seen.add(_canon(found))
    return field


def _get(obj: Mapping[object, object], key: str) -> object:
    folded = fold(key)
    for actual, value in obj.items():
        if isinstance(actual, str) and fold(actual) == folded:
            return value
    return MISSING


def _clipped(value: object, levels: int) -> object:
    """`value` with what nests deeper than `levels` as an ellipsis: a leaf past the depth
    limit is kept (and written as JSON: orjson writes no deeper than 254 levels)."""
    if isinstance(value, Mapping):
        if levels <= 0:
            return ELLIPSIS
        return {key: _clipped(item, levels - 1) for key, item in value.items()}
    if isinstance(value, list):
        return ELLIPSIS if levels <= 0 else [_clipped(item, levels - 1) for item in value]
    return value


def _walk(value: object, walk: _Walk, at: _Leaf, depth: int = 0) -> None:
    """Every leaf of `value`, found at `at` (its ident, shown path and keys)."""
    name = at.keys[-1] if at.keys else ""
    if isinstance(value, str) and fold(name) in _NAME_OR_OBJECT and at.keys:
        # dBSubnetGroup: a name in some records, an object with the name in others.
        inner = _NAME_OR_OBJECT[fold(name)]
        value = {inner: value}
    if depth >= _MAX_DEPTH or _scalar(value):
        walk.add(_Leaf(at.ident, at.shown, at.keys, _clipped(value, _MAX_DEPTH)))
        return
    if not value:  # {} or []
        walk.add(_Leaf(at.ident, at.shown, at.keys, value, empty=True))
        return
    if isinstance(value, Mapping):
        for key, member in value.items():
            text = str(key)
            inner_at = _Leaf((*at.ident, fold(text)), _join(at.shown, text), (*at.keys, text), None)
            _walk(member, walk, inner_at, depth + 1)
            if walk.cut:
                return
        return
    assert isinstance(value, list)
    _walk_list(value, walk, at, depth)


def _walk_list(items: list[object], walk: _Walk, at: _Leaf, depth: int) -> None:
    name = at.keys[-1] if at.keys else ""
    unordered = fold(name) in _UNORDERED
    if all(_scalar(item) for item in items):
        walk.add(_Leaf(at.ident, at.shown, at.keys, items, unordered=unordered))
        return
    field = _item_key(name, items)
    if field is None and unordered:
        walk.add(_Leaf(at.ident, at.shown, at.keys, items, unordered=True))
        return
    for position, item in enumerate(items):
        if field is not None:
            assert isinstance(item, Mapping)
            identity = _get(item, field)
            label = identity if isinstance(identity, str) else orjson.dumps(identity).decode()
            # Exact, not folded: tag keys are case-sensitive.
            part = part_ident = f"[{label}]"
            rest = {k: v for k, v in item.items() if fold(str(k)) != fold(field)}
            # The identity is in the path; an item that holds nothing else is its identity.
            member: object = rest if rest else identity
        else:
            part, member, part_ident = f"[{position}]", item, f"[{position}]"
        inner_at = _Leaf((*at.ident, part_ident), at.shown + part, at.keys, None)
        _walk(member, walk, inner_at, depth + 1)
        if walk.cut:
            return


def _leaves(value: object) -> tuple[list[_Leaf], bool]:
    """The leaves of a section's object (none for null or anything not an object), and
    whether there were more than are kept."""
    walk = _Walk([])
    if isinstance(value, Mapping):
        _walk(value, walk, _Leaf((), "", (), None))
    return walk.leaves, walk.cut


# -- comparing leaves ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Typing:
    """The RDS model's view of one side's section: the member at a path of keys."""

    model: RdsModel | None
    event_name: str = ""  # for records: member_at by the call
    section: str = ""  # "requestParameters" / "responseElements"
    shape: str | None = None  # for configurations: members below this shape

    def member(self, keys: tuple[str, ...]) -> Member | None:
        if self.model is None or not keys:
            return None
        if self.shape is not None:
            return self.model.resolve(self.shape, keys)
        if not self.event_name:
            return None
        return self.model.member_at(self.event_name, self.section, keys)


def _guessed_kind(left: object, right: object) -> str:
    """Where the model does not know the member: the type the other side's JSON has
    ("true" against true is a boolean), or a date when both read as one instant."""
    values = (left, right)
    if any(isinstance(value, bool) for value in values):
        return "boolean"
    if any(isinstance(value, int) and not isinstance(value, bool) for value in values):
        return "long"
    if any(isinstance(value, float) for value in values):
        return "double"
    if all(isinstance(value, str) for value in values) and all(
        parse_loose_time(value) is not None for value in values
    ):
        return "timestamp"
    return ""


def _meaning(value: object, kind: str, unordered: bool) -> object:
    if kind == "boolean" and isinstance(value, str) and json_bool(value) is None:
        return _canon(value, unordered)  # "yes" is not a boolean: compared as written
    coerced = _coerce(value, kind) if kind else value
    if isinstance(coerced, tuple):  # ("time", instant)
        return coerced
    if isinstance(coerced, float) and coerced.is_integer():
        coerced = int(coerced)  # 20.0 is 20 (the diff's canon compares numbers so too)
    return _canon(coerced, unordered)


def _status(left: _Leaf, right: _Leaf, typing: tuple[_Typing, _Typing]) -> CompareStatus:
    members = (typing[0].member(left.keys), typing[1].member(right.keys))
    if any(member is not None and member.sensitive for member in members) or any(
        _is_masked(leaf.value) for leaf in (left, right)
    ):
        return CompareStatus.MASKED
    known = [member.type for member in members if member is not None and member.type]
    kind = known[0] if known else _guessed_kind(left.value, right.value)
    unordered = left.unordered or right.unordered
    same = _meaning(left.value, kind, unordered) == _meaning(right.value, kind, unordered)
    return CompareStatus.SAME if same else CompareStatus.CHANGED


def _under(ident: tuple[str, ...], others: Mapping[tuple[str, ...], _Leaf]) -> bool:
    """Whether any of `others` lies at or below `ident`."""
    size = len(ident)
    return any(other[:size] == ident for other in others)


def _merged_order(left: Sequence[_Leaf], right: Sequence[_Leaf]) -> list[tuple[str, ...]]:
    """Every ident once, in the left's order; the right's own ones where the right has them:
    after the leaf both sides share before them, and after the left's own ones there (so
    a row new on either side shows between the same neighbours)."""
    on_left = {leaf.ident for leaf in left}
    on_right = {leaf.ident for leaf in right}
    after: dict[tuple[str, ...] | None, list[tuple[str, ...]]] = {}
    anchor: tuple[str, ...] | None = None
    for leaf in right:
        if leaf.ident in on_left:
            anchor = leaf.ident
        else:
            after.setdefault(anchor, []).append(leaf.ident)
    order: list[tuple[str, ...]] = []
    anchor = None
    for leaf in left:
        if leaf.ident in on_right:
            order.extend(after.pop(anchor, []))
            anchor = leaf.ident
        order.append(leaf.ident)
    order.extend(after.pop(anchor, []))
    for rest in after.values():  # anchors the left has in another order
        order.extend(rest)
    return order


def _section_rows(
    section: Section, left: object, right: object, typing: tuple[_Typing, _Typing]
) -> tuple[list[CompareRow], bool]:
    left_leaves, left_cut = _leaves(left)
    right_leaves, right_cut = _leaves(right)
    by_left = {leaf.ident: leaf for leaf in left_leaves}
    by_right = {leaf.ident: leaf for leaf in right_leaves}
    rows: list[CompareRow] = []
    for ident in dict.fromkeys(_merged_order(left_leaves, right_leaves)):
        here, there = by_left.get(ident), by_right.get(ident)
        if here is not None and there is not None:
            status = _status(here, there, typing)
            rows.append(CompareRow(section, here.shown, here.value, there.value, status))
        elif here is not None:
            if here.empty and _under(ident, by_right):
                continue  # `{}` against values below it: those rows say it all
            # An empty list or object says "none", as the absence does.
            status = CompareStatus.SAME if here.empty else CompareStatus.ONLY_LEFT
            rows.append(CompareRow(section, here.shown, here.value, MISSING, status))
        elif there is not None:
            if there.empty and _under(ident, by_left):
                continue
            status = CompareStatus.SAME if there.empty else CompareStatus.ONLY_RIGHT
            rows.append(CompareRow(section, there.shown, MISSING, there.value, status))
    return rows, left_cut or right_cut


# -- events ------------------------------------------------------------------------------


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _time_of(record: Mapping[str, object]) -> int | None:
    try:
        return parse_event_time(record.get("eventTime"))
    except RecordError:
        return None


def side_of_record(record: Mapping[str, object]) -> Side:
    """The header of one record, read as the event list reads it."""
    error = record.get("errorCode")
    return Side(
        event_id=_text(record.get("eventID")),
        time=_time_of(record),
        event_name=_text(record.get("eventName")),
        principal=principal_of(record.get("userIdentity")),
        error=None if error in (None, "") else str(error),
        resource=resource_of(dict(record)),
    )


def side_of_event(event: Event) -> Side:
    return Side(
        event_id=event.event_id,
        time=event.event_time,
        event_name=event.event_name,
        principal=event.principal,
        error=event.error_code,
        resource=event.resource,
    )


def _where(record: Mapping[str, object]) -> tuple[str, str]:
    """(account, region) of a record, as the event list reads them."""
    account = _text(record.get("recipientAccountId"))
    identity = record.get("userIdentity")
    if not account and isinstance(identity, Mapping):
        account = _text(identity.get("accountId"))
    return account, _text(record.get("awsRegion"))


def _unwrapped(response: object, typing: _Typing) -> object:
    """The resource a response describes: some calls keep the result's wrapper
    (`{"dBSnapshotAttributesResult": {...}}`), which says nothing two responses differ by."""
    model = typing.model
    operation = model.operation(typing.event_name) if model and typing.event_name else None
    if operation is None or not operation.resource_member or not isinstance(response, Mapping):
        return response
    if len(response) == 1:
        ((key, inner),) = response.items()
        if fold(str(key)) == fold(operation.resource_member) and isinstance(inner, Mapping):
            return inner
    return response


def _event_notes(
    left: Mapping[str, object], right: Mapping[str, object], sides: tuple[Side, Side]
) -> list[str]:
    notes: list[str] = []
    one, other = sides
    if one.event_id and one.event_id == other.event_id:
        notes.append("the same event on both sides")
    if one.event_name != other.event_name:
        notes.append(
            f"different operations: {one.event_name or '?'} and {other.event_name or '?'} "
            "(compared key by key all the same)"
        )
    places = (_where(left), _where(right))
    named = (fold(one.resource), fold(other.resource))
    if named[0] != named[1] or places[0] != places[1]:
        shown = [
            " ".join(part for part in (side.resource or "?", *place) if part)
            for side, place in zip(sides, places)
        ]
        notes.append(f"different resources: {shown[0]} and {shown[1]}")
    if one.time is not None and other.time is not None and one.time > other.time:
        notes.append("the left event is the later one")
    model = rds_model()
    for label, side in (("left", one), ("right", other)):
        if side.error:
            notes.append(f"the {label} call failed ({side.error}): nothing it asked was applied")
        elif model is not None and side.event_name and model.operation(side.event_name) is None:
            notes.append(f"{side.event_name} is not in the RDS model: values read as written")
    answered = [_object(record.get("responseElements")) for record in (left, right)]
    if bool(answered[0]) != bool(answered[1]):
        label = "left" if not answered[0] else "right"
        notes.append(f"the {label} event has no response recorded")
    return notes


def _object(found: object) -> Mapping[str, object] | None:
    return found if isinstance(found, Mapping) else None


def compare_records(
    left: Mapping[str, object],
    right: Mapping[str, object],
    sides: tuple[Side, Side] | None = None,
) -> Comparison:
    """Compare two parsed CloudTrail records (the left is read as the earlier). `sides`
    replaces the header read from the records (an Event's own fields). Never raises on
    odd input: what is not a JSON object counts as absent."""
    header = sides or (side_of_record(left), side_of_record(right))
    model = rds_model()
    rows: list[CompareRow] = []
    cut = False
    parts: tuple[tuple[Section, str], ...] = (
        ("request", "requestParameters"),
        ("response", "responseElements"),
    )
    for section, key in parts:
        typing = (
            _Typing(model, header[0].event_name, key),
            _Typing(model, header[1].event_name, key),
        )
        values: list[object] = [_object(record.get(key)) for record in (left, right)]
        if section == "response":
            values = [_unwrapped(value, kind) for value, kind in zip(values, typing)]
        found, more = _section_rows(section, values[0], values[1], typing)
        rows.extend(found)
        cut = cut or more
    notes = _event_notes(left, right, header)
    if cut:
        notes.append(f"more than {_MAX_LEAVES} values on a side: the rest are not compared")
    return Comparison("events", header[0], header[1], tuple(rows), tuple(notes))


def _record_of(event: Event) -> Mapping[str, object]:
    try:
        parsed = orjson.loads(event.raw)
    except orjson.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def compare_events(left: Event, right: Event) -> Comparison:
    """`compare_records` of two events read with their raw records, the header from the
    events' own fields (as the list shows them)."""
    sides = (side_of_event(left), side_of_event(right))
    return compare_records(_record_of(left), _record_of(right), sides)


# -- configurations --------------------------------------------------------------------------


def compare_configurations(
    left: State,
    right: State,
    *,
    left_title: str = "",
    right_title: str = "",
    shape: str | None = None,
) -> Comparison:
    """Compare a resource's configuration at two points of its history: the attributes
    (section "configuration") and the pending values (section "pending"). `shape` names
    the resource's shape in the RDS model (DBInstance, DBCluster, ...) to read values by
    their type; without it they are read by their JSON type."""
    model = rds_model() if shape else None
    pending_shape = model.pending_shape(shape) if model is not None and shape else None
    sides = (
        Side(left.event_id, left.time, title=left_title),
        Side(right.event_id, right.time, title=right_title),
    )
    attributes = [{key: a.value for key, a in state.attributes.items()} for state in (left, right)]
    pending = [{key: p.value for key, p in state.pending.items()} for state in (left, right)]
    on_shape = _Typing(model, shape=shape) if shape else _Typing(None)
    on_pending = _Typing(model, shape=pending_shape) if pending_shape else _Typing(None)
    rows, cut = _section_rows("configuration", attributes[0], attributes[1], (on_shape, on_shape))
    more_rows, more = _section_rows("pending", pending[0], pending[1], (on_pending, on_pending))
    notes: list[str] = []
    if left.event_id == right.event_id:
        notes.append("the same point of the history on both sides")
    elif left.time > right.time:
        notes.append("the left point is the later one")
    if cut or more:
        notes.append(f"more than {_MAX_LEAVES} values on a side: the rest are not compared")
    return Comparison("configurations", sides[0], sides[1], (*rows, *more_rows), tuple(notes))


# -- JSON ----------------------------------------------------------------------------------


def _iso(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def side_json(side: Side) -> dict[str, object]:
    found: dict[str, object] = {
        "eventID": side.event_id,
        "time": _iso(side.time),
        "eventName": side.event_name,
        "principal": side.principal,
        "error": side.error,
        "resource": side.resource,
    }
    if side.title:
        found["title"] = side.title
    return found


def row_json(row: CompareRow) -> dict[str, object]:
    """A row as data. A side without a value is left out of the object (null is a value
    a record can hold)."""
    found: dict[str, object] = {"section": row.section, "path": row.path}
    if row.left is not MISSING:
        found["left"] = row.left
    if row.right is not MISSING:
        found["right"] = row.right
    found["status"] = row.status.code
    return found


def compare_json(result: Comparison) -> dict[str, object]:
    """`{"kind", "left": {header}, "right": {header}, "notes", "summary", "rows"}`. Values
    are as recorded, not made printable (data); a caller writing to a terminal makes the
    JSON text terminal-safe."""
    return {
        "kind": result.kind,
        "left": side_json(result.left),
        "right": side_json(result.right),
        "notes": list(result.notes),
        "summary": {status.code: count for status, count in result.counts().items()},
        "rows": [row_json(row) for row in result.rows],
    }
