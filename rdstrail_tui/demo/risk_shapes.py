"""Request and response shapes the risky beats of the story need and ``rds_model`` has no
call for: snapshot sharing, a DBInstance in the 2014-2015 layout, Performance Insights and
Data API requests.

Each follows a published record:

- Snapshot sharing: the responses of ``ModifyDBSnapshotAttribute`` hold the snapshot's
  attributes after the call at the top of ``responseElements`` (``dBSnapshotIdentifier``,
  ``dBSnapshotAttributes``), without the API's ``DBSnapshotAttributesResult`` wrapper, as in
  the real detonation log of DataDog/stratus-red-team (docs/attack-techniques/AWS/
  aws.exfiltration.rds-share-snapshot.md) and panther-analysis' test records. The cluster
  variant is written the same way with the cluster names.
- The old DBInstance: the members RDS returned before 2016 (no ARN, no deletion protection,
  no IAM authentication) and JDK 8's date format (``Nov 15, 2026 2:10:00 AM``, no comma
  after the year).
- Performance Insights: awsdocs/amazon-rds-user-guide, USER_PerfInsights.CloudTrail
  (``GetResourceMetrics``; dates in requestParameters are not ISO either).
- The Data API: awsdocs/amazon-aurora-user-guide, logging-using-cloudtrail-data-api
  (``ExecuteStatement``: ``sql``, ``database`` and ``schema`` masked with ten asterisks).
"""

from __future__ import annotations

import time

from rdstrail_tui.demo.rds_model import DBInstance, Json, subnet_group_name

#: What the Data API writes in place of a statement, a database or a schema name.
DATA_API_MASK = "**********"
#: What current AWS CLI records write for a password, in the request and in pending values.
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
RESTORE = "restore"


def snapshot_attributes_response(ident: str, values: list[str], *, cluster: bool) -> Json:
    """The snapshot's ``restore`` attribute after a sharing call: who may copy or restore it."""
    attributes = [{"attributeName": RESTORE, "attributeValues": list(values)}]
    if cluster:
        return {"dBClusterSnapshotIdentifier": ident, "dBClusterSnapshotAttributes": attributes}
    return {"dBSnapshotIdentifier": ident, "dBSnapshotAttributes": attributes}


def sharing_request(
    ident: str, *, cluster: bool, add: list[str] | None = None, remove: list[str] | None = None
) -> Json:
    key = "dBClusterSnapshotIdentifier" if cluster else "dBSnapshotIdentifier"
    params: Json = {key: ident, "attributeName": RESTORE}
    if add:
        params["valuesToAdd"] = list(add)
    if remove:
        params["valuesToRemove"] = list(remove)
    return params


def jdk8_time(t: int) -> str:
    """``Nov 15, 2026 2:10:00 AM``: how RDS wrote dates in responses before JDK 9's locale data
    added the comma after the year (``rds_model`` writes today's form)."""
    tm = time.gmtime(t)
    hour12 = tm.tm_hour % 12 or 12
    ampm = "AM" if tm.tm_hour < 12 else "PM"
    return (
        f"{time.strftime('%b', tm)} {tm.tm_mday}, {tm.tm_year} "
        f"{hour12}:{tm.tm_min:02d}:{tm.tm_sec:02d} {ampm}"
    )


def legacy_instance_response(inst: DBInstance, t: int, status: str, pending: Json) -> Json:
    """The DBInstance as a 2014-2015 response carried it: a third fewer members than today's."""
    place, engine = inst.place, inst.engine
    resp: Json = {
        "dBInstanceIdentifier": inst.ident,
        "dBInstanceClass": inst.klass,
        "engine": engine.name,
        "dBInstanceStatus": status,
        "masterUsername": engine.master_user,
        "dBName": inst.ident.replace("-", "_"),
        "endpoint": {
            "address": f"{inst.ident}.{place.endpoint_suffix}.{place.region}.rds.amazonaws.com",
            "port": engine.port,
        },
        "allocatedStorage": inst.storage,
        "instanceCreateTime": jdk8_time(inst.created),
        "preferredBackupWindow": "03:10-03:40",
        "backupRetentionPeriod": inst.backup_retention,
        "dBSecurityGroups": [],
        "vpcSecurityGroups": [
            {"vpcSecurityGroupId": sg, "status": "active"} for sg in inst.security_groups
        ],
        "dBParameterGroups": [
            {"dBParameterGroupName": inst.param_group, "parameterApplyStatus": "in-sync"}
        ],
        "availabilityZone": inst.az,
        "dBSubnetGroup": {
            "dBSubnetGroupName": subnet_group_name(place),
            "dBSubnetGroupDescription": f"Private database subnets ({place.env})",
            "vpcId": place.vpc_id,
            "subnetGroupStatus": "Complete",
            "subnets": [
                {
                    "subnetIdentifier": subnet,
                    "subnetAvailabilityZone": {"name": az},
                    "subnetStatus": "Active",
                }
                for subnet, az in place.subnets
            ],
        },
        "preferredMaintenanceWindow": "sun:05:47-sun:06:17",
        "pendingModifiedValues": pending,
    }
    if inst.backup_retention:
        resp["latestRestorableTime"] = jdk8_time(t - 300)
    resp.update(
        {
            "multiAZ": inst.multi_az,
            "engineVersion": engine.version,
            "autoMinorVersionUpgrade": True,
            "readReplicaDBInstanceIdentifiers": [],
            "licenseModel": engine.license,
            "optionGroupMemberships": [
                {"optionGroupName": engine.option_group, "status": "in-sync"}
            ],
            "publiclyAccessible": inst.public,
            "storageType": inst.storage_type,
            "dbInstancePort": 0,
            "storageEncrypted": inst.encrypted,
        }
    )
    if inst.encrypted:
        resp["kmsKeyId"] = place.kms_key
    resp["dbiResourceId"] = inst.resource_id
    resp["cACertificateIdentifier"] = "rds-ca-2015"
    return resp


def pi_metrics_request(inst: DBInstance, t: int, metrics: list[Json]) -> Json:
    """``GetResourceMetrics`` over the hour before ``t``, as the console's dashboard asks."""
    return {
        "serviceType": "RDS",
        "identifier": inst.resource_id,
        "metricQueries": metrics,
        "startTime": jdk8_time(t - 3600),
        "periodInSeconds": 60,
        "endTime": jdk8_time(t),
    }


def pi_dimension_keys_request(inst: DBInstance, t: int, group: str) -> Json:
    """``DescribeDimensionKeys``: the top SQL (or waits, hosts) behind the load."""
    return {
        "serviceType": "RDS",
        "identifier": inst.resource_id,
        "startTime": jdk8_time(t - 3600),
        "endTime": jdk8_time(t),
        "metric": "db.load.avg",
        "periodInSeconds": 60,
        "groupBy": {"group": group, "limit": 10},
    }


def data_api_statement(resource_arn: str, secret_arn: str) -> Json:
    """``ExecuteStatement`` as CloudTrail records it: the statement itself never appears."""
    return {
        "continueAfterTimeout": False,
        "database": DATA_API_MASK,
        "includeResultMetadata": False,
        "parameters": [],
        "resourceArn": resource_arn,
        "schema": DATA_API_MASK,
        "secretArn": secret_arn,
        "sql": DATA_API_MASK,
    }
