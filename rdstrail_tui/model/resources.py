"""Every RDS resource a record touches, as an identity, and how the resources relate.

An identity is `(type, account, region, identifier)`. The identifier is folded to lower case:
RDS identifiers are case-insensitive (`wordPressDB00` and `wordpressdb00` are one instance),
so the identity must be too; the spelling a record used is kept beside it for display. An
RDS ARN names the same identity as the plain identifier (`arn:aws:rds:us-east-1:1:db:prod`
is the instance `prod` of account 1 in us-east-1), so a history joins the calls that name a
resource either way.

Pure: a parsed record in, identities and relations out. The cache stores what this finds at
ingest (issue 11 wires it in), so loading older events later gives the same answer as
loading them in time order: nothing here depends on other events.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Final, NamedTuple

from rdstrail_tui.model.json_values import get_key

__all__ = [
    "ARN_TYPES",
    "DELETE_CALLS",
    "RELATION_FROM_OTHER_SIDE",
    "RESOURCE_SHAPES",
    "RESOURCE_TYPES",
    "Relation",
    "ResourceId",
    "Touched",
    "arn_identity",
    "arn_of",
    "described_identifier",
    "parse_arn",
    "relations_of",
    "resource_ids_of",
    "resources_of",
]

# The types, as the CLI's --type names them.
RESOURCE_TYPES: Final = (
    "instance",
    "cluster",
    "global-cluster",
    "snapshot",
    "cluster-snapshot",
    "parameter-group",
    "cluster-parameter-group",
    "option-group",
    "subnet-group",
    "security-group",
    "proxy",
    "event-subscription",
    "blue-green",
    "export-task",
)

# The resource-type part of an RDS ARN (arn:aws:rds:REGION:ACCOUNT:TYPE:NAME).
ARN_TYPES: Final = {
    "db": "instance",
    "cluster": "cluster",
    "global-cluster": "global-cluster",
    "snapshot": "snapshot",
    "cluster-snapshot": "cluster-snapshot",
    "pg": "parameter-group",
    "cluster-pg": "cluster-parameter-group",
    "og": "option-group",
    "subgrp": "subnet-group",
    "secgrp": "security-group",
    "db-proxy": "proxy",
    "es": "event-subscription",
    "deployment": "blue-green",
}


# The call that ends a resource's life, by type: the next call naming it is a new resource
# of the same name (RDS lets a name be reused once the old one is gone).
DELETE_CALLS: Final = {
    "instance": "DeleteDBInstance",
    "cluster": "DeleteDBCluster",
    "global-cluster": "DeleteGlobalCluster",
    "snapshot": "DeleteDBSnapshot",
    "cluster-snapshot": "DeleteDBClusterSnapshot",
    "parameter-group": "DeleteDBParameterGroup",
    "cluster-parameter-group": "DeleteDBClusterParameterGroup",
    "option-group": "DeleteOptionGroup",
    "subnet-group": "DeleteDBSubnetGroup",
    "security-group": "DeleteDBSecurityGroup",
    "proxy": "DeleteDBProxy",
    "event-subscription": "DeleteEventSubscription",
    "blue-green": "DeleteBlueGreenDeployment",
    "export-task": "CancelExportTask",
}

# The RDS API shape a response describes a resource of this type with: what the
# configuration over time reads (model.configuration).
RESOURCE_SHAPES: Final = {
    "instance": "DBInstance",
    "cluster": "DBCluster",
    "global-cluster": "GlobalCluster",
    "snapshot": "DBSnapshot",
    "cluster-snapshot": "DBClusterSnapshot",
    "parameter-group": "DBParameterGroup",
    "cluster-parameter-group": "DBClusterParameterGroup",
    "option-group": "OptionGroup",
    "subnet-group": "DBSubnetGroup",
    "security-group": "DBSecurityGroup",
    "proxy": "DBProxy",
    "event-subscription": "EventSubscription",
    "blue-green": "BlueGreenDeployment",
    "export-task": "ExportTask",
}

# A relation read from its other side: the snapshot is `snapshot-of` the instance, so the
# instance `has-snapshot` it.
RELATION_FROM_OTHER_SIDE: Final = {
    "read-replica-of": "has-read-replica",
    "restored-from": "restored-into",
    "snapshot-of": "has-snapshot",
    "copy-of": "copied-to",
    "final-snapshot-of": "has-final-snapshot",
    "in-cluster": "has-instance",
    "member-of": "has-member",
    "left": "was-left-by",
    "renamed-from": "renamed-to",
    "uses-parameter-group": "used-by",
    "uses-option-group": "used-by",
    "uses-subnet-group": "used-by",
}


# The key a resource's description names it by, by type.
IDENTIFIER_KEYS: Final = {
    "instance": "dBInstanceIdentifier",
    "cluster": "dBClusterIdentifier",
    "global-cluster": "globalClusterIdentifier",
    "snapshot": "dBSnapshotIdentifier",
    "cluster-snapshot": "dBClusterSnapshotIdentifier",
    "parameter-group": "dBParameterGroupName",
    "cluster-parameter-group": "dBClusterParameterGroupName",
    "option-group": "optionGroupName",
    "subnet-group": "dBSubnetGroupName",
    "security-group": "dBSecurityGroupName",
    "proxy": "dBProxyName",
    "event-subscription": "custSubscriptionId",
    "blue-green": "blueGreenDeploymentIdentifier",
    "export-task": "exportTaskIdentifier",
}


def described_identifier(response: object, kind: str) -> str | None:
    """The identifier (lowered) of the resource of type `kind` a response describes, or
    None when it names none (no response, another shape). The API's result wrapper (a
    response of one key holding the resource) is looked through."""
    if isinstance(response, Mapping) and len(response) == 1:
        (inner,) = response.values()
        response = inner if isinstance(inner, Mapping) else response
    if not isinstance(response, Mapping):
        return None
    value = get_key(response, IDENTIFIER_KEYS.get(kind, ""))
    return value.lower() if isinstance(value, str) and value else None


class ResourceId(NamedTuple):
    type: str
    account: str
    region: str  # "" for a global cluster: it spans regions
    identifier: str  # folded to lower case


class Touched(NamedTuple):
    """One resource a record names: its identity, the name as the record spelt it, and the
    key it was found under (`dBInstanceIdentifier`, `resourceName`, ...)."""

    resource: ResourceId
    name: str
    key: str


class Relation(NamedTuple):
    """`subject` `kind` `other`: the instance `read-replica-of` the instance, the snapshot
    `snapshot-of` the instance, the instance `in-cluster` the cluster, ..."""

    subject: ResourceId
    kind: str
    other: ResourceId


# Keys that name a resource of one type, matched case-insensitively (older records vary the
# case). Keys whose type depends on the call (finalDBSnapshotIdentifier, the source of a
# restore) are resolved in _typed_key.
_KEY_TYPES: Final = {
    key.lower(): kind
    for key, kind in (
        ("dBInstanceIdentifier", "instance"),
        ("dBInstanceIdentifiers", "instance"),  # a proxy's targets
        ("targetDBInstanceIdentifier", "instance"),
        ("sourceDBInstanceIdentifier", "instance"),
        ("newDBInstanceIdentifier", "instance"),
        ("readReplicaSourceDBInstanceIdentifier", "instance"),
        ("dBInstanceArn", "instance"),
        ("dBClusterIdentifier", "cluster"),
        ("dBClusterIdentifiers", "cluster"),
        ("targetDBClusterIdentifier", "cluster"),
        ("sourceDBClusterIdentifier", "cluster"),
        ("newDBClusterIdentifier", "cluster"),
        ("dBClusterArn", "cluster"),
        ("globalClusterIdentifier", "global-cluster"),
        ("dBSnapshotIdentifier", "snapshot"),
        ("sourceDBSnapshotIdentifier", "snapshot"),
        ("targetDBSnapshotIdentifier", "snapshot"),
        ("dBSnapshotArn", "snapshot"),
        ("dBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("sourceDBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("targetDBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("finalDBClusterSnapshotIdentifier", "cluster-snapshot"),
        ("dBClusterSnapshotArn", "cluster-snapshot"),
        ("dBParameterGroupName", "parameter-group"),
        ("sourceDBParameterGroupIdentifier", "parameter-group"),
        ("targetDBParameterGroupIdentifier", "parameter-group"),
        ("dBClusterParameterGroupName", "cluster-parameter-group"),
        ("sourceDBClusterParameterGroupIdentifier", "cluster-parameter-group"),
        ("targetDBClusterParameterGroupIdentifier", "cluster-parameter-group"),
        ("optionGroupName", "option-group"),
        ("sourceOptionGroupIdentifier", "option-group"),
        ("targetOptionGroupIdentifier", "option-group"),
        ("dBSubnetGroupName", "subnet-group"),
        ("dBSecurityGroupName", "security-group"),
        ("dBProxyName", "proxy"),
        ("subscriptionName", "event-subscription"),
        ("custSubscriptionId", "event-subscription"),
        ("blueGreenDeploymentIdentifier", "blue-green"),
        ("exportTaskIdentifier", "export-task"),
    )
}
# Keys that hold an ARN of any type (or, for some calls, a plain identifier of the type
# the call implies).
_ARN_KEYS: Final = frozenset(
    {"resourcename", "resourcearn", "sourcearn", "replicationsourceidentifier", "targetarn"}
)
# DeleteDBCluster names its final snapshot with the same key as DeleteDBInstance.
_FINAL_SNAPSHOT: Final = "finaldbsnapshotidentifier"
_CLUSTER_CALLS_PREFIXES: Final = ("DeleteDBCluster",)


def parse_arn(text: str) -> tuple[str, str, str, str] | None:
    """(type, account, region, name) of an RDS ARN, or None for anything else."""
    if not text.startswith("arn:"):
        return None
    parts = text.split(":", 6)
    if len(parts) < 7 or parts[2] != "rds":
        return None
    kind = ARN_TYPES.get(parts[5])
    if kind is None or not parts[6]:
        return None
    return kind, parts[4], parts[3], parts[6]


_ARN_TYPE_OF: Final = {kind: arn_type for arn_type, kind in ARN_TYPES.items()}


def arn_of(resource: ResourceId) -> str | None:
    """The RDS ARN of an identity (in the commercial partition), or None for a type that
    has none (an export task)."""
    arn_type = _ARN_TYPE_OF.get(resource.type)
    if arn_type is None:
        return None
    return f"arn:aws:rds:{resource.region}:{resource.account}:{arn_type}:{resource.identifier}"


def _identity(kind: str, name: str, account: str, region: str) -> ResourceId:
    # A global cluster spans regions: its identity has none, whatever region the call
    # was made in.
    return ResourceId(kind, account, "" if kind == "global-cluster" else region, name.lower())


def arn_identity(text: str) -> ResourceId | None:
    """The identity an RDS ARN names, or None for any other text: the one reading of an
    ARN for the filter (res:arn:...), the resources list and `rdstrail history ARN`."""
    arn = parse_arn(text)
    return _identity(arn[0], arn[3], arn[1], arn[2]) if arn is not None else None


def _touched(key: str, value: str, kind: str | None, account: str, region: str) -> Touched | None:
    arn = parse_arn(value)
    if arn is not None:
        arn_kind, arn_account, arn_region, name = arn
        return Touched(_identity(arn_kind, name, arn_account or account, arn_region), name, key)
    if kind is None or not value or value.startswith("arn:"):
        # An ARN of another service, or text that names nothing here. A plain name may hold
        # a colon: default option groups are `default:mysql-8-0`.
        return None
    return Touched(_identity(kind, value, account, region), value, key)


def _typed_key(event_name: str, key: str) -> str | None:
    folded = key.lower()
    if folded == _FINAL_SNAPSHOT:
        return "cluster-snapshot" if event_name.startswith(_CLUSTER_CALLS_PREFIXES) else "snapshot"
    if folded == "sourcedbclusteridentifier" and event_name == "RestoreDBInstanceToPointInTime":
        return "cluster"
    if folded == "snapshotidentifier" and event_name.startswith("RestoreDBCluster"):
        # Either kind of snapshot; an ARN says which, a plain name is an Aurora cluster's.
        return "cluster-snapshot"
    return _KEY_TYPES.get(folded)


def _values(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (item for item in value if isinstance(item, str))


# Keys whose type depends on the call: looked up by _typed_key.
_CALL_TYPED: Final = frozenset({"finaldbsnapshotidentifier", "snapshotidentifier"})
# What a response contributes: the ARN of the resource it describes. The request names what
# the call is about; a response's other names (the parameter groups, the cluster of an
# instance) are the resource's settings, whose history is their own calls: they relate
# (relations_of, from the requests that set them), they are not touched by every modify.
_RESPONSE_ARN_KEYS: Final = (
    "dBInstanceArn",
    "dBClusterArn",
    "dBSnapshotArn",
    "dBClusterSnapshotArn",
    "dBParameterGroupArn",
    "dBClusterParameterGroupArn",
    "optionGroupArn",
    "dBSubnetGroupArn",
    "dBSecurityGroupArn",
    "dBProxyArn",
    "eventSubscriptionArn",
    "globalClusterArn",
    "blueGreenDeploymentArn",
)
# Looked up by name, in CloudTrail's spelling and the API's: a DBInstance response has sixty
# keys, and testing each of every response for an ARN key cost a tenth of a load's time.
_RESPONSE_ARN_SPELLINGS: Final = tuple(
    spelling for key in _RESPONSE_ARN_KEYS for spelling in (key, key[0].upper() + key[1:])
)


def _response_arns(response: Mapping[str, object], account: str, region: str) -> Iterator[Touched]:
    """The resource a response describes, by the ARN it gives of it."""
    for key in _RESPONSE_ARN_SPELLINGS:
        value = response.get(key)
        if isinstance(value, str):
            found = _touched(key, value, None, account, region)
            if found is not None:
                yield found


# A request key as it is spelt -> (its type, typed by the call, holds an ARN): a load meets
# the same few dozen keys in every record, so each is classified once.
_KEY_CLASSES: dict[str, tuple[str | None, bool, bool]] = {}
_KEY_CLASSES_KEPT: Final = 4096  # hostile records may invent keys: remember this many


def _key_class(key: str) -> tuple[str | None, bool, bool]:
    found = _KEY_CLASSES.get(key)
    if found is None:
        folded = key.lower()
        found = (_KEY_TYPES.get(folded), folded in _CALL_TYPED, folded in _ARN_KEYS)
        if len(_KEY_CLASSES) < _KEY_CLASSES_KEPT:
            _KEY_CLASSES[key] = found
    return found


def _scan(params: object, event_name: str, account: str, region: str) -> Iterator[Touched]:
    """The resources named at the top of a request."""
    if not isinstance(params, Mapping):
        return
    for key, value in params.items():
        if not isinstance(key, str):
            continue
        kind, call_typed, holds_arn = _key_class(key)
        if call_typed:
            kind = _typed_key(event_name, key)
        if kind is not None or holds_arn:
            for text in _values(value):
                found = _touched(key, text, kind, account, region)
                if found is not None:
                    yield found


def resources_of(record: Mapping[str, object], account: str, region: str) -> tuple[Touched, ...]:
    """Every RDS resource the record touches: those its request names, the one its response
    describes (by ARN), then the record's `resources` list; each identity once (its first
    spelling and key)."""
    event_name = record.get("eventName")
    name = event_name if isinstance(event_name, str) else ""
    found: dict[ResourceId, Touched] = {}
    for touched in _scan(record.get("requestParameters"), name, account, region):
        found.setdefault(touched.resource, touched)
    response = record.get("responseElements")
    if isinstance(response, Mapping) and len(response) == 1:
        # The API's result wrapper, as a few calls keep it: the resource is inside.
        (inner,) = response.values()
        response = inner if isinstance(inner, Mapping) else response
    if isinstance(response, Mapping):
        for touched in _response_arns(response, account, region):
            found.setdefault(touched.resource, touched)
    listed = record.get("resources")
    if isinstance(listed, list):
        for item in listed:
            arn = item.get("ARN") if isinstance(item, Mapping) else None
            if isinstance(arn, str):
                listed_one = _touched("resources", arn, None, account, region)
                if listed_one is not None:
                    found.setdefault(listed_one.resource, listed_one)
    return tuple(found.values())


def resource_ids_of(
    record: Mapping[str, object], account: str, region: str
) -> tuple[ResourceId, ...]:
    """resources_of's identities alone, each once, in the same order: what ingest stores."""
    return tuple(touched.resource for touched in resources_of(record, account, region))


# -- relations -----------------------------------------------------------------------------

# (call, subject key, relation, other key): the relation a successful call of that name
# sets up between the resources under the two keys of its request.
_CALL_RELATIONS: Final = (
    (
        "CreateDBInstanceReadReplica",
        "dBInstanceIdentifier",
        "read-replica-of",
        "sourceDBInstanceIdentifier",
    ),
    ("CreateDBInstance", "dBInstanceIdentifier", "in-cluster", "dBClusterIdentifier"),
    (
        "RestoreDBInstanceFromDBSnapshot",
        "dBInstanceIdentifier",
        "restored-from",
        "dBSnapshotIdentifier",
    ),
    (
        "RestoreDBInstanceToPointInTime",
        "targetDBInstanceIdentifier",
        "restored-from",
        "sourceDBInstanceIdentifier",
    ),
    ("RestoreDBClusterFromSnapshot", "dBClusterIdentifier", "restored-from", "snapshotIdentifier"),
    (
        "RestoreDBClusterToPointInTime",
        "dBClusterIdentifier",
        "restored-from",
        "sourceDBClusterIdentifier",
    ),
    ("CreateDBSnapshot", "dBSnapshotIdentifier", "snapshot-of", "dBInstanceIdentifier"),
    (
        "CreateDBClusterSnapshot",
        "dBClusterSnapshotIdentifier",
        "snapshot-of",
        "dBClusterIdentifier",
    ),
    ("CopyDBSnapshot", "targetDBSnapshotIdentifier", "copy-of", "sourceDBSnapshotIdentifier"),
    (
        "CopyDBClusterSnapshot",
        "targetDBClusterSnapshotIdentifier",
        "copy-of",
        "sourceDBClusterSnapshotIdentifier",
    ),
    ("DeleteDBInstance", "finalDBSnapshotIdentifier", "final-snapshot-of", "dBInstanceIdentifier"),
    ("DeleteDBCluster", "finalDBSnapshotIdentifier", "final-snapshot-of", "dBClusterIdentifier"),
    ("CreateDBCluster", "dBClusterIdentifier", "member-of", "globalClusterIdentifier"),
    ("CreateGlobalCluster", "sourceDBClusterIdentifier", "member-of", "globalClusterIdentifier"),
    ("RemoveFromGlobalCluster", "dbClusterIdentifier", "left", "globalClusterIdentifier"),
    ("ModifyDBInstance", "newDBInstanceIdentifier", "renamed-from", "dBInstanceIdentifier"),
    ("ModifyDBCluster", "newDBClusterIdentifier", "renamed-from", "dBClusterIdentifier"),
)
# Groups an instance or cluster uses, named in its create, restore or modify request.
_USES: Final = {
    "dbparametergroupname": "uses-parameter-group",
    "dbclusterparametergroupname": "uses-parameter-group",
    "optiongroupname": "uses-option-group",
    "dbsubnetgroupname": "uses-subnet-group",
}
_USES_CALLS: Final = ("CreateDB", "ModifyDB", "RestoreDB")


_RELATIONS_BY_CALL: Final = {
    call: tuple(item[1:] for item in _CALL_RELATIONS if item[0] == call)
    for call in {item[0] for item in _CALL_RELATIONS}
}


def relations_of(record: Mapping[str, object], account: str, region: str) -> tuple[Relation, ...]:
    """The relations a successful call sets up, from its request (a failed call sets up
    nothing). A restore from a snapshot names it plainly or by ARN; both resolve."""
    name = record.get("eventName")
    if not isinstance(name, str) or not (
        name in _RELATIONS_BY_CALL or name.startswith(_USES_CALLS)
    ):
        return ()  # most calls (every read) relate nothing: said at once
    found = record.get("requestParameters")
    if record.get("errorCode") not in (None, "") or not isinstance(found, Mapping):
        return ()
    params: Mapping[str, object] = found
    relations: list[Relation] = []

    def identity(key: str, kind_hint: str | None = None) -> ResourceId | None:
        value = get_key(params, key)
        if not isinstance(value, str) or not value:
            return None
        kind = kind_hint or _typed_key(name, key)
        touched = _touched(key, value, kind, account, region)
        return touched.resource if touched is not None else None

    for subject_key, kind, other_key in _RELATIONS_BY_CALL.get(name, ()):
        subject, other = identity(subject_key), identity(other_key)
        if subject is not None and other is not None and subject != other:
            relations.append(Relation(subject, kind, other))
    if name.startswith(_USES_CALLS):
        subject = identity("dBInstanceIdentifier") or identity("dBClusterIdentifier")
        if subject is not None and subject.type in ("instance", "cluster"):
            for key, kind in _USES.items():
                other = identity(key)
                if other is not None:
                    relations.append(Relation(subject, kind, other))
    return tuple(relations)
