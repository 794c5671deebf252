"""Risk flags: the RDS calls security teams hunt for, one table, computed per record.

Each flag is a bit of the event's `flags` (stored in the cache at ingest), a name for the
`flag:` filter term, and a one-line reason shown to the user. A flag says what a call
asked for, whether or not it succeeded: a failed attempt to make a snapshot public is what a
hunt looks for too (`is:risky -is:error` keeps the ones that went through).

The same integer carries one bit that is not a risk: INFERRED_READ_ONLY, set where the
record has no `readOnly` (eventVersion 1.01-1.04) and the read/write answer was inferred
from the operation's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final, NamedTuple

from rdstrail_tui.model.json_values import get_key, json_bool

__all__ = [
    "INFERRED_READ_ONLY",
    "RISK_FLAGS",
    "RISK_MASK",
    "RISK_OPERATIONS",
    "RiskFlag",
    "flag_named",
    "flags_in",
    "risk_flags",
]


class RiskFlag(NamedTuple):
    """A NamedTuple, not a dataclass: every command imports this table, and a NamedTuple
    class costs a fraction of a dataclass's to create."""

    name: str  # the flag: term, and what the card and `stats` say
    bit: int
    reason: str  # one line: what the call did, for a reader who knows RDS
    operations: frozenset[str]  # the event names that can carry it


_SNAPSHOT_ATTRIBUTE = frozenset({"ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"})
_MODIFY = frozenset({"ModifyDBInstance", "ModifyDBCluster"})
_CREATE = frozenset({"CreateDBInstance", "CreateDBCluster"})
# Calls whose request may set the instance or cluster's settings named below.
_CONFIGURE = (
    _MODIFY
    | _CREATE
    | frozenset(
        {
            "CreateDBInstanceReadReplica",
            "RestoreDBInstanceFromDBSnapshot",
            "RestoreDBInstanceFromS3",
            "RestoreDBInstanceToPointInTime",
            "RestoreDBClusterFromSnapshot",
            "RestoreDBClusterFromS3",
            "RestoreDBClusterToPointInTime",
        }
    )
)
_DELETE = frozenset({"DeleteDBInstance", "DeleteDBCluster"})
_INGRESS = frozenset({"AuthorizeDBSecurityGroupIngress"})

RISK_FLAGS: Final[tuple[RiskFlag, ...]] = (
    RiskFlag(
        "snapshot-public",
        1 << 0,
        "snapshot made public: any AWS account can copy or restore it",
        _SNAPSHOT_ATTRIBUTE,
    ),
    RiskFlag(
        "snapshot-shared",
        1 << 1,
        "snapshot shared with another AWS account, which can copy or restore it",
        _SNAPSHOT_ATTRIBUTE,
    ),
    RiskFlag(
        "publicly-accessible",
        1 << 2,
        "made publicly accessible: its endpoint resolves to a public IP address",
        _CONFIGURE,
    ),
    RiskFlag(
        "deletion-protection-off",
        1 << 3,
        "deletion protection turned off: one call can now delete it",
        _MODIFY | frozenset({"ModifyGlobalCluster"}),
    ),
    RiskFlag("unencrypted", 1 << 4, "created with unencrypted storage", _CREATE),
    RiskFlag(
        "backups-off",
        1 << 5,
        "automated backups turned off (backup retention 0): no point-in-time restore",
        _CONFIGURE,
    ),
    RiskFlag(
        "master-password-changed",
        1 << 6,
        "master user password changed (the value is never recorded)",
        _MODIFY,
    ),
    RiskFlag(
        "iam-auth-off",
        1 << 7,
        "IAM database authentication turned off",
        _MODIFY,
    ),
    RiskFlag(
        "deleted-without-snapshot",
        1 << 8,
        "deleted with skipFinalSnapshot: no final snapshot was kept",
        _DELETE,
    ),
    RiskFlag(
        "open-ingress",
        1 << 9,
        "DB security group opened to any address (0.0.0.0/0 or ::/0)",
        _INGRESS,
    ),
)
RISK_MASK: Final = sum(flag.bit for flag in RISK_FLAGS)
RISK_OPERATIONS: Final = frozenset().union(*(flag.operations for flag in RISK_FLAGS))
# Not a risk: the read/write answer comes from the operation's name (see module docstring).
INFERRED_READ_ONLY: Final = 1 << 20

_BY_NAME: Final = {flag.name: flag for flag in RISK_FLAGS}
_ANY_ADDRESS: Final = frozenset({"0.0.0.0/0", "::/0"})


def flag_named(name: str) -> RiskFlag | None:
    return _BY_NAME.get(name.lower())


def flags_in(flags: int) -> tuple[RiskFlag, ...]:
    """The risk flags set in `flags`, in table order."""
    return tuple(flag for flag in RISK_FLAGS if flags & flag.bit)


# -- reading a record ----------------------------------------------------------------------


def _is(value: object, wanted: bool) -> bool:
    return json_bool(value) is wanted


def _is_zero(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and value.strip() == "0"


def _texts(value: object) -> list[str]:
    items: Iterable[object] = value if isinstance(value, list) else [value]
    return [item.strip() for item in items if isinstance(item, str)]


def risk_flags(record: Mapping[str, object], account: str = "") -> int:
    """The risk bits of one record (0 for most). `account` is the event's own account:
    sharing a snapshot with it is no sharing."""
    name = record.get("eventName")
    if not isinstance(name, str) or name not in RISK_OPERATIONS:
        return 0
    found = record.get("requestParameters")
    params: Mapping[str, object] = found if isinstance(found, Mapping) else {}
    # Each test is a lookup or two: cheaper evaluated whole than picked per operation.
    checks = (
        ("snapshot-public", _shares(params, account, public=True)),
        ("snapshot-shared", _shares(params, account, public=False)),
        ("publicly-accessible", _is(get_key(params, "publiclyAccessible"), True)),
        ("deletion-protection-off", _is(get_key(params, "deletionProtection"), False)),
        ("unencrypted", _unencrypted(name, params, record.get("responseElements"))),
        ("backups-off", _is_zero(get_key(params, "backupRetentionPeriod"))),
        ("master-password-changed", _password_changed(params)),
        ("iam-auth-off", _is(get_key(params, "enableIAMDatabaseAuthentication"), False)),
        ("deleted-without-snapshot", _is(get_key(params, "skipFinalSnapshot"), True)),
        ("open-ingress", any(v in _ANY_ADDRESS for v in _texts(get_key(params, "cIDRIP")))),
    )
    bits = 0
    for flag_name, applies in checks:
        flag = _BY_NAME[flag_name]
        if applies and name in flag.operations:
            bits |= flag.bit
    return bits


def _shares(params: Mapping[str, object], account: str, *, public: bool) -> bool:
    """A snapshot's restore attribute gains `all` (public) or another account's id."""
    attribute = get_key(params, "attributeName")
    if not isinstance(attribute, str) or attribute.lower() != "restore":
        return False
    added = [value for value in _texts(get_key(params, "valuesToAdd")) if value]
    if public:
        return any(value.lower() == "all" for value in added)
    return any(value.lower() != "all" and value != account for value in added)


def _password_changed(params: Mapping[str, object]) -> bool:
    # Present at all: its value is always a mask.
    return get_key(params, "masterUserPassword") is not None or _is(
        get_key(params, "rotateMasterUserPassword"), True
    )


def _unencrypted(name: str, params: Mapping[str, object], response: object) -> bool:
    """A create that leaves storage unencrypted: the request says so, or it does not ask
    for encryption and the response reports none. An instance created into an Aurora
    cluster takes the cluster's encryption, which the cluster's own create is flagged for."""
    if name == "CreateDBInstance" and get_key(params, "dBClusterIdentifier") is not None:
        return False
    asked = get_key(params, "storageEncrypted")
    if asked is not None:
        return _is(asked, False)
    if isinstance(response, Mapping):
        return _is(get_key(response, "storageEncrypted"), False)
    return False
