"""Amazon RDS's own API model, as botocore ships it, read offline.

botocore carries `rds/2014-10-31/service-2.json(.gz)`: every operation, every request
member, every response shape, which members are `sensitive`, and documentation for each.
The diff, the field help and the read/write inference take their meaning from it rather
than from a hand-kept table.

The file is found with `importlib.util.find_spec`, which locates botocore without importing
it (importing botocore costs more than reading the model), and read once, on first use:
`rdstrail --version` and the explorer's first paint never pay for it. Where botocore or its
data is missing, `rds_model()` is None and callers fall back to key names.

CloudTrail writes the model's member names with the first letter lowered
(`DBInstanceIdentifier` -> `dBInstanceIdentifier`, `IAMDatabaseAuthenticationEnabled` ->
`iAMDatabaseAuthenticationEnabled`, `DbiResourceId` -> `dbiResourceId`), and older records
vary the case further, so members are looked up by their ASCII-folded name: that is the one
mapping between the two spellings (`cloudtrail_key` gives CloudTrail's).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import orjson

from rdstrail_tui.model.access import infer_read_only

__all__ = [
    "Member",
    "Operation",
    "RdsModel",
    "cloudtrail_key",
    "model_path",
    "plain_text",
    "rds_model",
    "rds_model_if_read",
]

_SERVICE = Path("data", "rds", "2014-10-31")


def cloudtrail_key(name: str) -> str:
    """The model's member name as CloudTrail writes it: the first letter lowered."""
    return name[:1].lower() + name[1:]


def fold(key: str) -> str:
    """A key in the one form both spellings share (ASCII letters lowered)."""
    return key.lower() if key.isascii() else key


_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"</(?:p|li|ul|ol|note|important)>|<br\s*/?>", re.IGNORECASE)
_LIST_ITEM = re.compile(r"<li>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def plain_text(documentation: str) -> str:
    """The model's HTML documentation as plain text: one paragraph per line, list items
    as `- item`, entities decoded, links reduced to their text."""
    # Lazy, as the other imports only reading the model needs: every command imports
    # this module (for infer_read_only), and `rdstrail --version` must not pay for them.
    import html

    text = _LIST_ITEM.sub("\n- ", documentation)
    text = _BLOCK_END.sub("\n", text)
    text = html.unescape(_TAG.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def first_sentence(text: str) -> str:
    """The first sentence of plain text (its first line when that has no full stop)."""
    line = text.split("\n", 1)[0]
    return _SENTENCE_END.split(line, 1)[0]


@dataclass(frozen=True)
class Member:
    """One member of a shape: a request parameter or a field of a response."""

    name: str  # as the model spells it: MasterUserPassword
    shape: str  # the name of its own shape: SensitiveString
    type: str  # string boolean integer long double float timestamp list map structure blob
    sensitive: bool
    html: str = field(default="", repr=False)  # the model's documentation, as it has it

    @cached_property
    def documentation(self) -> str:
        """Plain text, one paragraph per line; made when first asked (a diff reads a
        hundred members of DBInstance and the documentation of none)."""
        return plain_text(self.html)

    @property
    def key(self) -> str:
        return cloudtrail_key(self.name)

    @property
    def summary(self) -> str:
        return first_sentence(self.documentation)


@dataclass(frozen=True)
class Operation:
    name: str
    input_shape: str | None  # CreateDBInstanceMessage
    resource_member: str | None  # the one member of the result: DBInstance
    resource_shape: str | None  # that member's shape, when a structure: DBInstance
    html: str = field(default="", repr=False)

    @cached_property
    def documentation(self) -> str:
        return plain_text(self.html)

    @property
    def reads(self) -> bool:
        return bool(infer_read_only(self.name))

    @property
    def summary(self) -> str:
        return first_sentence(self.documentation)


class RdsModel:
    """The parts of the RDS model rdstrail reads, with members looked up by folded name."""

    def __init__(self, service: Mapping[str, Any], source: str) -> None:
        self.source = source
        self.api_version = str(service.get("metadata", {}).get("apiVersion", ""))
        self._shapes: Mapping[str, Any] = service.get("shapes", {})
        self._operations: Mapping[str, Any] = service.get("operations", {})
        self._members: dict[str, dict[str, Member]] = {}
        self._lock = threading.Lock()

    def operations(self) -> tuple[str, ...]:
        return tuple(self._operations)

    @lru_cache(maxsize=512)  # noqa: B019 - one model per process, kept for its life
    def operation(self, name: str) -> Operation | None:
        spec = self._operations.get(name)
        if not isinstance(spec, Mapping):
            return None
        input_shape = spec.get("input", {}).get("shape")
        output_shape = spec.get("output", {}).get("shape")
        resource_member = resource_shape = None
        output = self.members(output_shape) if output_shape else {}
        if len(output) == 1:
            # A result wraps one resource (DBInstance, DBCluster, DBSnapshotAttributesResult).
            (member,) = output.values()
            resource_member = member.name
            # A list (RegisterDBProxyTargets' TargetList) is no resource with fields.
            resource_shape = member.shape if member.type == "structure" else None
        return Operation(
            name,
            input_shape,
            resource_member,
            resource_shape,
            str(spec.get("documentation", "")),
        )

    def shape_type(self, shape: str) -> str:
        return str(self._shapes.get(shape, {}).get("type", ""))

    def list_item(self, shape: str) -> str | None:
        """The shape of a list's items (None if `shape` is not a list)."""
        spec = self._shapes.get(shape, {})
        return spec.get("member", {}).get("shape") if spec.get("type") == "list" else None

    def members(self, shape: str) -> Mapping[str, Member]:
        """A structure's members by folded name (empty for anything else)."""
        with self._lock:
            found = self._members.get(shape)
            if found is None:
                found = self._members[shape] = self._read_members(shape)
            return found

    def _read_members(self, shape: str) -> dict[str, Member]:
        spec = self._shapes.get(shape, {})
        members: dict[str, Member] = {}
        for name, member in spec.get("members", {}).items():
            target = self._shapes.get(member.get("shape"), {})
            members[fold(name)] = Member(
                name=name,
                shape=str(member.get("shape", "")),
                type=str(target.get("type", "")),
                sensitive=bool(member.get("sensitive") or target.get("sensitive")),
                # Some members (pendingCloudwatchLogsExports) are documented only on
                # their shape: say what the shape says rather than nothing.
                html=str(member.get("documentation") or target.get("documentation", "")),
            )
        return members

    def member(self, shape: str, key: str) -> Member | None:
        return self.members(shape).get(fold(key))

    def resolve(self, shape: str, path: tuple[str, ...]) -> Member | None:
        """The member at a path of keys below `shape`, through structures and lists:
        ("pendingModifiedValues", "masterUserPassword") below DBInstance."""
        member: Member | None = None
        current: str | None = shape
        for key in path:
            while current is not None and self.shape_type(current) == "list":
                current = self.list_item(current)
            if current is None:
                return None
            member = self.member(current, key)
            if member is None:
                return None
            current = member.shape
        return member

    def member_at(self, event_name: str, section: str, path: tuple[object, ...]) -> Member | None:
        """The member a key of a record stands for: `section` is "requestParameters" or
        "responseElements", `path` the keys below it (list positions, as ints, are
        skipped). A response may hold the resource itself (CloudTrail's usual form) or wrap
        it under the result's one member (`dBSnapshotAttributesResult`); both resolve."""
        operation = self.operation(event_name)
        keys = tuple(str(key) for key in path if not isinstance(key, int))
        if operation is None or not keys:
            return None
        if section == "requestParameters":
            return self.resolve(operation.input_shape, keys) if operation.input_shape else None
        if section != "responseElements" or operation.resource_shape is None:
            return None
        if operation.resource_member and fold(keys[0]) == fold(operation.resource_member):
            if len(keys) == 1:
                return Member(
                    operation.resource_member,
                    operation.resource_shape,
                    self.shape_type(operation.resource_shape),
                    False,
                )
            keys = keys[1:]
        return self.resolve(operation.resource_shape, keys)

    def pending_shape(self, resource_shape: str) -> str | None:
        """The shape of a resource's pendingModifiedValues (DBInstance, DBCluster, ...)."""
        member = self.member(resource_shape, "PendingModifiedValues")
        return member.shape if member else None


def model_path() -> Path | None:
    """Where botocore keeps the RDS model, compressed (newer botocore) or not."""
    import importlib.util  # lazy: see plain_text

    spec = importlib.util.find_spec("botocore")
    for location in (spec.submodule_search_locations or []) if spec else []:
        for name in ("service-2.json.gz", "service-2.json"):
            candidate = Path(location) / _SERVICE / name
            if candidate.is_file():
                return candidate
    return None


_loaded: list[RdsModel | None] = []
_load_lock = threading.Lock()


def rds_model() -> RdsModel | None:
    """The RDS model, read on first use and kept; None when botocore's data is missing or
    unreadable (the diff then compares by key name, and says so)."""
    with _load_lock:
        if not _loaded:
            _loaded.append(_read())
        return _loaded[0]


def rds_model_if_read() -> tuple[bool, RdsModel | None]:
    """Whether the model has been read yet, and the model (None when it cannot be), never
    reading it: for a first paint that must not wait for it. No lock: another thread may
    be reading the model under it, and a look at the list is atomic."""
    found = list(_loaded)
    return (True, found[0]) if found else (False, None)


def _read() -> RdsModel | None:
    path = model_path()
    if path is None:
        return None
    try:
        data = path.read_bytes()
        if path.suffix == ".gz":
            import gzip  # lazy: see plain_text

            data = gzip.decompress(data)
        service = orjson.loads(data)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(service, Mapping):
        return None
    return RdsModel(service, str(path))
