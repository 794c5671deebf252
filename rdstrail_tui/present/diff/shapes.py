"""The one table of places where RDS answers a requested key under another name or shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Match = Literal["equal", "member", "pairs", "subset", "disjoint", "log_config"]
"""How a requested value meets the response value:
equal: same JSON value (lists as sets when the shape is `unordered`);
member: the requested scalar is one item of the response list (or equals a scalar);
pairs: tag lists, as sets of (key, value) whether spelt key/value or Key/Value;
subset / disjoint: every requested item is / no requested item is in the (flattened) list;
log_config: {enableLogTypes, disableLogTypes} against the list of enabled log types, or
  against {logTypesToEnable, logTypesToDisable} when pending.
"""


@dataclass(frozen=True)
class Shape:
    """Where RDS answers one requested key.

    Paths are dotted, case-insensitive; `name[]` maps the rest of the path over a list of
    objects: `vpcSecurityGroups[].vpcSecurityGroupId` is the list of ids. Besides these
    paths the requested key's own name is always tried, in the response and under
    `pendingModifiedValues`.
    """

    key: str
    current: tuple[str, ...] = ()
    """Paths of the value in effect; the first that matches wins, else the first found."""
    pending: tuple[str, ...] = ()
    """Paths under `pendingModifiedValues` of a change not yet in effect."""
    match: Match = "equal"
    unordered: bool = False
    """Lists compare as sets: order means nothing for this key."""
    states: str = ""
    """Path of each item's state, parallel to `current[0]`, for memberships whose items
    report "adding", "applying", "pending-reboot" while a change goes through."""


SHAPES: Final[tuple[Shape, ...]] = (
    # Memberships: ids or names in the request, objects with a status in the response.
    Shape(
        "vpcSecurityGroupIds",
        ("vpcSecurityGroups[].vpcSecurityGroupId",),
        unordered=True,
        states="vpcSecurityGroups[].status",
    ),
    Shape(
        "dBSecurityGroups",
        ("dBSecurityGroups[].dBSecurityGroupName",),
        unordered=True,
        states="dBSecurityGroups[].status",
    ),
    Shape(
        "dBParameterGroupName",
        ("dBParameterGroups[].dBParameterGroupName",),
        match="member",
        states="dBParameterGroups[].parameterApplyStatus",
    ),
    Shape(
        "optionGroupName",
        ("optionGroupMemberships[].optionGroupName",),
        match="member",
        states="optionGroupMemberships[].status",
    ),
    Shape(
        "roleArn", ("associatedRoles[].roleArn",), match="member", states="associatedRoles[].status"
    ),
    Shape("featureName", ("associatedRoles[].featureName",), match="member"),
    Shape("cIDRIP", ("iPRanges[].cIDRIP",), match="member", states="iPRanges[].status"),
    Shape(
        "eC2SecurityGroupId",
        ("eC2SecurityGroups[].eC2SecurityGroupId",),
        match="member",
        states="eC2SecurityGroups[].status",
    ),
    Shape(
        "eC2SecurityGroupName",
        ("eC2SecurityGroups[].eC2SecurityGroupName",),
        match="member",
        states="eC2SecurityGroups[].status",
    ),
    # Renamed or nested.
    Shape("tags", ("tagList",), match="pairs"),
    Shape("dBClusterParameterGroupName", ("dBClusterParameterGroup",)),
    Shape("dBSubnetGroupName", ("dBSubnetGroup.dBSubnetGroupName", "dBSubnetGroup")),
    # Instances answer with endpoint.port (dbInstancePort is often 0); clusters with port.
    Shape("port", ("port", "endpoint.port", "dbInstancePort")),
    Shape(
        "enableCloudwatchLogsExports",
        ("enabledCloudwatchLogsExports",),
        pending=("pendingCloudwatchLogsExports.logTypesToEnable",),
        unordered=True,
    ),
    Shape(
        "cloudwatchLogsExportConfiguration",
        ("enabledCloudwatchLogsExports",),
        pending=("pendingCloudwatchLogsExports",),
        match="log_config",
    ),
    Shape("newDBInstanceIdentifier", ("dBInstanceIdentifier",), pending=("dBInstanceIdentifier",)),
    Shape("newDBClusterIdentifier", ("dBClusterIdentifier",), pending=("dBClusterIdentifier",)),
    Shape("targetDBSnapshotIdentifier", ("dBSnapshotIdentifier",)),
    Shape("targetDBClusterSnapshotIdentifier", ("dBClusterSnapshotIdentifier",)),
    Shape("sourceDBInstanceIdentifier", ("readReplicaSourceDBInstanceIdentifier",)),
    Shape("s3BucketName", ("s3Bucket",)),
    # The request's enable* flag answered as the resource's *Enabled state.
    Shape(
        "enableIAMDatabaseAuthentication",
        ("iAMDatabaseAuthenticationEnabled",),
        pending=("iAMDatabaseAuthenticationEnabled",),
    ),
    Shape("enablePerformanceInsights", ("performanceInsightsEnabled",)),
    Shape("enableHttpEndpoint", ("httpEndpointEnabled",)),
    Shape("enableCustomerOwnedIp", ("customerOwnedIpEnabled",)),
    Shape("enableGlobalWriteForwarding", ("globalWriteForwardingRequested",)),
    Shape("domain", ("domainMemberships[].domain",), match="member"),
    # Event subscriptions answer with their own names for the name and the sources.
    Shape("subscriptionName", ("custSubscriptionId",)),
    Shape("sourceIds", ("sourceIdsList",), unordered=True),
    # ModifyDBSnapshotAttribute: approximate, over the values of every attribute listed.
    Shape("attributeName", ("dBSnapshotAttributes[].attributeName",), match="member"),
    Shape("valuesToAdd", ("dBSnapshotAttributes[].attributeValues",), match="subset"),
    Shape("valuesToRemove", ("dBSnapshotAttributes[].attributeValues",), match="disjoint"),
    # Same name, but a set: the order of zones or log types means nothing.
    Shape("availabilityZones", unordered=True),
    Shape("processorFeatures", unordered=True),
    Shape("exportOnly", unordered=True),
)

SHAPE_BY_KEY: Final = {shape.key.lower(): shape for shape in SHAPES}
