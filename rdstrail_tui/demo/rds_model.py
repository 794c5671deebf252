"""RDS resources of the demo and the ``responseElements`` RDS writes for them.

One job over 400 lines: each resource kind and the response shape RDS gives it belong side
by side, so that a change to one is seen with the other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from rdstrail_tui.demo.ids import UPPER_ALNUM, alnum, java_time
from rdstrail_tui.demo.world import Place

Json = dict[str, Any]
MASKED = "****"


@dataclass(frozen=True)
class Engine:
    name: str
    version: str
    family: str
    port: int
    license: str
    log_types: tuple[str, ...]
    master_user: str
    option_group: str
    tuning: tuple[tuple[str, str, str], ...]

    @property
    def aurora(self) -> bool:
        return self.name.startswith("aurora")


ENGINES: dict[str, Engine] = {
    "postgres": Engine(
        "postgres",
        "16.4",
        "postgres16",
        5432,
        "postgresql-license",
        ("postgresql", "upgrade"),
        "postgres",
        "default:postgres-16",
        (
            ("log_min_duration_statement", "500", "immediate"),
            ("shared_preload_libraries", "pg_stat_statements,auto_explain", "pending-reboot"),
            ("rds.force_ssl", "1", "immediate"),
        ),
    ),
    "mysql": Engine(
        "mysql",
        "8.0.39",
        "mysql8.0",
        3306,
        "general-public-license",
        ("audit", "error", "general", "slowquery"),
        "admin",
        "default:mysql-8-0",
        (
            ("slow_query_log", "1", "immediate"),
            ("long_query_time", "2", "immediate"),
            ("max_connections", "500", "pending-reboot"),
        ),
    ),
    "aurora-postgresql": Engine(
        "aurora-postgresql",
        "16.4",
        "aurora-postgresql16",
        5432,
        "postgresql-license",
        ("postgresql",),
        "postgres",
        "default:aurora-postgresql-16",
        (
            ("rds.force_ssl", "1", "immediate"),
            ("log_statement", "ddl", "immediate"),
            ("shared_preload_libraries", "pg_stat_statements", "pending-reboot"),
        ),
    ),
    "aurora-mysql": Engine(
        "aurora-mysql",
        "8.0.mysql_aurora.3.07.1",
        "aurora-mysql8.0",
        3306,
        "general-public-license",
        ("audit", "error", "slowquery"),
        "admin",
        "default:aurora-mysql-8-0",
        (
            ("require_secure_transport", "ON", "immediate"),
            ("binlog_format", "ROW", "pending-reboot"),
            ("server_audit_logging", "1", "immediate"),
        ),
    ),
}


def resource_id(rng: random.Random, prefix: str) -> str:
    return prefix + alnum(rng, 26, UPPER_ALNUM)


@dataclass
class DBInstance:
    ident: str
    engine: Engine
    place: Place
    klass: str
    storage: int
    resource_id: str
    param_group: str
    created: int
    deleted: int | None = None
    multi_az: bool = False
    storage_type: str = "gp3"
    cluster: str | None = None
    backup_retention: int = 7
    security_groups: list[str] = field(default_factory=list)
    log_exports: list[str] = field(default_factory=list)
    replica_source: str | None = None
    replicas: list[str] = field(default_factory=list)
    az: str = ""
    monitoring: bool = False
    # Settings every database of the story keeps as created, but the risky beats change.
    public: bool = False
    encrypted: bool = True
    iam_auth: bool = False
    performance_insights: bool = False
    deletion_protection: bool = False
    #: How the parameter group's latest change stands: ``pending-reboot`` after a static
    #: parameter changed, until the instance reboots.
    param_status: str = "in-sync"
    #: When the instance took this identifier, if it was renamed to it (None: at creation).
    #: A rename ends the old name's record (``deleted``) and starts one under the new name
    #: that keeps the creation time, so reads name whichever identifier held at the time.
    named: int | None = None

    @property
    def arn(self) -> str:
        return self.place.arn("rds", f"db:{self.ident}")

    def alive(self, t: int) -> bool:
        since = self.created if self.named is None else self.named
        return since <= t and (self.deleted is None or t < self.deleted)


@dataclass
class DBCluster:
    ident: str
    engine: Engine
    place: Place
    resource_id: str
    param_group: str
    created: int
    deleted: int | None = None
    members: list[str] = field(default_factory=list)
    writer: str | None = None
    security_groups: list[str] = field(default_factory=list)
    log_exports: list[str] = field(default_factory=list)
    backup_retention: int = 7
    deletion_protection: bool = False
    http_endpoint: bool = False

    @property
    def arn(self) -> str:
        return self.place.arn("rds", f"cluster:{self.ident}")

    def alive(self, t: int) -> bool:
        return self.created <= t and (self.deleted is None or t < self.deleted)


@dataclass(frozen=True)
class Snapshot:
    ident: str
    source: str
    cluster: bool
    created: int


@dataclass
class RdsCatalog:
    """Every RDS resource of one place, with lifetimes, for reads to pick from."""

    place: Place
    instances: list[DBInstance] = field(default_factory=list)
    clusters: list[DBCluster] = field(default_factory=list)
    param_groups: list[str] = field(default_factory=list)
    cluster_param_groups: list[str] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    #: How many leading entries of ``instances`` / ``clusters`` exist for the whole trail.
    stable_instances: int = 0
    stable_clusters: int = 0
    names: set[str] = field(default_factory=set)

    def unique(self, base: str) -> str:
        name, n = base, 2
        while name in self.names:
            name = f"{base}-{n}"
            n += 1
        self.names.add(name)
        return name


def _subnet_group(place: Place) -> Json:
    return {
        "dBSubnetGroupName": f"{place.env}-db-private",
        "dBSubnetGroupDescription": f"Private database subnets ({place.env})",
        "vpcId": place.vpc_id,
        "subnetGroupStatus": "Complete",
        "subnets": [
            {
                "subnetIdentifier": subnet,
                "subnetAvailabilityZone": {"name": az},
                "subnetOutpost": {},
                "subnetStatus": "Active",
            }
            for subnet, az in place.subnets
        ],
        "supportedNetworkTypes": ["IPV4"],
    }


def subnet_group_name(place: Place) -> str:
    return f"{place.env}-db-private"


def instance_response(
    inst: DBInstance,
    t: int,
    status: str,
    pending: Json | None = None,
    sg_status: list[Json] | None = None,
) -> Json:
    """The ``DBInstance`` structure RDS returns from create/modify/reboot/delete calls."""
    place, engine = inst.place, inst.engine
    creating = status == "creating"
    resp: Json = {
        "dBInstanceIdentifier": inst.ident,
        "dBInstanceClass": inst.klass,
        "engine": engine.name,
        "dBInstanceStatus": status,
        "masterUsername": engine.master_user,
    }
    if not creating:
        resp["endpoint"] = {
            "address": f"{inst.ident}.{place.endpoint_suffix}.{place.region}.rds.amazonaws.com",
            "port": engine.port,
            "hostedZoneId": place.hosted_zone,
        }
    resp["allocatedStorage"] = 1 if engine.aurora else inst.storage
    if not creating:
        resp["instanceCreateTime"] = java_time(inst.created)
    resp["preferredBackupWindow"] = "03:10-03:40"
    resp["backupRetentionPeriod"] = inst.backup_retention
    resp["dBSecurityGroups"] = []
    resp["vpcSecurityGroups"] = sg_status or [
        {"vpcSecurityGroupId": sg, "status": "active"} for sg in inst.security_groups
    ]
    resp["dBParameterGroups"] = [
        {"dBParameterGroupName": inst.param_group, "parameterApplyStatus": inst.param_status}
    ]
    if not creating:
        resp["availabilityZone"] = inst.az
    resp["dBSubnetGroup"] = _subnet_group(place)
    resp["preferredMaintenanceWindow"] = "sun:05:47-sun:06:17"
    resp["pendingModifiedValues"] = pending if pending is not None else {}
    if not creating and not engine.aurora and inst.backup_retention:
        resp["latestRestorableTime"] = java_time(t - 240)
    resp["multiAZ"] = inst.multi_az
    resp["engineVersion"] = engine.version
    resp["autoMinorVersionUpgrade"] = True
    if inst.replica_source is not None:
        resp["readReplicaSourceDBInstanceIdentifier"] = inst.replica_source
    resp["readReplicaDBInstanceIdentifiers"] = list(inst.replicas)
    resp["licenseModel"] = engine.license
    resp["optionGroupMemberships"] = [{"optionGroupName": engine.option_group, "status": "in-sync"}]
    resp["publiclyAccessible"] = inst.public
    resp["storageType"] = "aurora" if engine.aurora else inst.storage_type
    resp["dbInstancePort"] = 0
    if inst.cluster is not None:
        resp["dBClusterIdentifier"] = inst.cluster
    resp["storageEncrypted"] = inst.encrypted
    if inst.encrypted:
        resp["kmsKeyId"] = place.kms_key
    resp["dbiResourceId"] = inst.resource_id
    resp["cACertificateIdentifier"] = "rds-ca-rsa2048-g1"
    resp["domainMemberships"] = []
    resp["copyTagsToSnapshot"] = True
    resp["monitoringInterval"] = 60 if inst.monitoring else 0
    if inst.monitoring:
        resp["monitoringRoleArn"] = f"arn:aws:iam::{place.account}:role/rds-monitoring-role"
    if engine.aurora:
        resp["promotionTier"] = 1
    resp["dBInstanceArn"] = inst.arn
    resp["iAMDatabaseAuthenticationEnabled"] = inst.iam_auth
    resp.update(_performance_insights(inst))
    if inst.log_exports:
        resp["enabledCloudwatchLogsExports"] = list(inst.log_exports)
    resp["deletionProtection"] = inst.deletion_protection
    resp["associatedRoles"] = []
    resp["tagList"] = []
    resp["customerOwnedIpEnabled"] = False
    resp["backupTarget"] = "region"
    resp["networkType"] = "IPV4"
    if not engine.aurora and inst.storage_type == "gp3":
        resp["storageThroughput"] = 125
    resp["certificateDetails"] = {
        "cAIdentifier": "rds-ca-rsa2048-g1",
        "validTill": java_time(_certificate_expiry(inst, t)),
    }
    resp["dedicatedLogVolume"] = False
    resp["engineLifecycleSupport"] = "open-source-rds-extended-support"
    return resp


def _certificate_expiry(inst: DBInstance, t: int) -> int:
    """When the server certificate the instance has at ``t`` expires: RDS issues one a year,
    on the anniversary of the instance's creation, so every response in between shows the
    same date."""
    year = 365 * 86400
    return inst.created + year * (1 + max(0, t - inst.created) // year)


def _performance_insights(inst: DBInstance) -> Json:
    if not inst.performance_insights:
        return {"performanceInsightsEnabled": False}
    return {
        "performanceInsightsEnabled": True,
        "performanceInsightsKMSKeyId": inst.place.kms_key,
        "performanceInsightsRetentionPeriod": 7,
    }


def cluster_response(cluster: DBCluster, t: int, status: str, pending: Json | None = None) -> Json:
    """The ``DBCluster`` structure RDS returns from create/failover/delete calls."""
    place, engine = cluster.place, cluster.engine
    host = f"{cluster.ident}.cluster-{place.endpoint_suffix}.{place.region}.rds.amazonaws.com"
    resp: Json = {
        "allocatedStorage": 1,
        "availabilityZones": [az for _, az in place.subnets],
        "backupRetentionPeriod": cluster.backup_retention,
        "dBClusterIdentifier": cluster.ident,
        "dBClusterParameterGroup": cluster.param_group,
        "dBSubnetGroup": subnet_group_name(place),
        "status": status,
        "earliestRestorableTime": java_time(cluster.created + 300),
        "endpoint": host,
        "readerEndpoint": host.replace(".cluster-", ".cluster-ro-", 1),
        "multiAZ": len(cluster.members) > 1,
        "engine": engine.name,
        "engineVersion": engine.version,
        "port": engine.port,
        "masterUsername": engine.master_user,
        "preferredBackupWindow": "04:05-04:35",
        "preferredMaintenanceWindow": "sat:06:10-sat:06:40",
        "readReplicaIdentifiers": [],
        "dBClusterMembers": [
            {
                "dBInstanceIdentifier": member,
                "isClusterWriter": member == cluster.writer,
                "dBClusterParameterGroupStatus": "in-sync",
                "promotionTier": 1,
            }
            for member in cluster.members
        ],
        "vpcSecurityGroups": [
            {"vpcSecurityGroupId": sg, "status": "active"} for sg in cluster.security_groups
        ],
        "hostedZoneId": place.hosted_zone,
        "storageEncrypted": True,
        "kmsKeyId": place.kms_key,
        "dbClusterResourceId": cluster.resource_id,
        "dBClusterArn": cluster.arn,
        "associatedRoles": [],
        "iAMDatabaseAuthenticationEnabled": False,
        "clusterCreateTime": java_time(cluster.created),
        "enabledCloudwatchLogsExports": list(cluster.log_exports),
        "engineMode": "provisioned",
        "deletionProtection": cluster.deletion_protection,
        "httpEndpointEnabled": cluster.http_endpoint,
        "copyTagsToSnapshot": True,
        "crossAccountClone": False,
        "domainMemberships": [],
        "tagList": [],
        "autoMinorVersionUpgrade": True,
        "networkType": "IPV4",
        "engineLifecycleSupport": "open-source-rds-extended-support",
    }
    if pending:
        resp["pendingModifiedValues"] = pending
    return resp


def snapshot_response(inst: DBInstance, snapshot_id: str, snapshot_type: str = "manual") -> Json:
    place, engine = inst.place, inst.engine
    resp: Json = {
        "dBSnapshotIdentifier": snapshot_id,
        "dBInstanceIdentifier": inst.ident,
        "engine": engine.name,
        "allocatedStorage": inst.storage,
        "status": "creating",
        "port": engine.port,
        "availabilityZone": inst.az,
        "vpcId": place.vpc_id,
        "instanceCreateTime": java_time(inst.created),
        "masterUsername": engine.master_user,
        "engineVersion": engine.version,
        "licenseModel": engine.license,
        "snapshotType": snapshot_type,
        "optionGroupName": engine.option_group,
        "percentProgress": 0,
        "storageType": inst.storage_type,
        "encrypted": inst.encrypted,
        "kmsKeyId": place.kms_key,
        "dBSnapshotArn": place.arn("rds", f"snapshot:{snapshot_id}"),
        "iAMDatabaseAuthenticationEnabled": inst.iam_auth,
        "processorFeatures": [],
        "dbiResourceId": inst.resource_id,
        "tagList": [],
        "snapshotTarget": "region",
        "storageThroughput": 125,
        "dedicatedLogVolume": False,
    }
    if not inst.encrypted:
        del resp["kmsKeyId"]
    return resp


def cluster_snapshot_response(cluster: DBCluster, snapshot_id: str) -> Json:
    place, engine = cluster.place, cluster.engine
    return {
        "availabilityZones": [az for _, az in place.subnets],
        "dBClusterSnapshotIdentifier": snapshot_id,
        "dBClusterIdentifier": cluster.ident,
        "engine": engine.name,
        "engineMode": "provisioned",
        "allocatedStorage": 0,
        "status": "creating",
        "port": 0,
        "vpcId": place.vpc_id,
        "clusterCreateTime": java_time(cluster.created),
        "masterUsername": engine.master_user,
        "engineVersion": engine.version,
        "licenseModel": engine.license,
        "snapshotType": "manual",
        "percentProgress": 0,
        "storageEncrypted": True,
        "kmsKeyId": place.kms_key,
        "dBClusterSnapshotArn": place.arn("rds", f"cluster-snapshot:{snapshot_id}"),
        "iAMDatabaseAuthenticationEnabled": False,
        "tagList": [],
    }


def parameter_group_response(
    place: Place, name: str, family: str, description: str, cluster: bool
) -> Json:
    if cluster:
        return {
            "dBClusterParameterGroupName": name,
            "dBParameterGroupFamily": family,
            "description": description,
            "dBClusterParameterGroupArn": place.arn("rds", f"cluster-pg:{name}"),
        }
    return {
        "dBParameterGroupName": name,
        "dBParameterGroupFamily": family,
        "description": description,
        "dBParameterGroupArn": place.arn("rds", f"pg:{name}"),
    }
