"""Read-only RDS calls (Describe*/List*) against the resources alive at a given moment."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Optional

from rdstrail_tui.demo.ids import java_time
from rdstrail_tui.demo.rds_model import DBCluster, DBInstance, RdsCatalog, subnet_group_name

Json = dict[str, Any]
Error = tuple[str, str]
# Evaluated at run time, where Python 3.9 has no `X | None`.
ReadBuilder = Callable[[random.Random, RdsCatalog, int], tuple[Optional[Json], Optional[Error]]]

THROTTLED: Error = ("ThrottlingException", "Rate exceeded")


def _instance(rng: random.Random, cat: RdsCatalog, t: int) -> DBInstance:
    """A mostly long-lived instance; sometimes a story one, sometimes one deleted already."""
    stable = cat.stable_instances
    if rng.random() < 0.7 or len(cat.instances) == stable:
        return cat.instances[rng.randrange(stable)]
    inst = cat.instances[rng.randrange(stable, len(cat.instances))]
    if inst.alive(t):
        return inst
    if inst.deleted is not None and t >= inst.deleted and rng.random() < 0.1:
        return inst
    return cat.instances[rng.randrange(stable)]


def _cluster(rng: random.Random, cat: RdsCatalog, t: int) -> DBCluster | None:
    if not cat.clusters:
        return None
    stable = cat.stable_clusters
    if stable and (rng.random() < 0.7 or len(cat.clusters) == stable):
        return cat.clusters[rng.randrange(stable)]
    cluster = cat.clusters[rng.randrange(len(cat.clusters))]
    if cluster.alive(t):
        return cluster
    if cluster.deleted is not None and t >= cluster.deleted and rng.random() < 0.1:
        return cluster
    return cat.clusters[rng.randrange(stable)] if stable else None


def _instance_missing(inst: DBInstance, t: int) -> Error | None:
    if inst.alive(t):
        return None
    return ("DBInstanceNotFound", f"DBInstance {inst.ident} not found.")


def describe_db_instances(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    r = rng.random()
    if r < 0.3:
        return None, None
    if r < 0.4:
        return {"maxRecords": 100}, None
    if r < 0.47 and cat.clusters:
        cluster = _cluster(rng, cat, t)
        if cluster is not None and cluster.alive(t):
            return {"filters": [{"name": "db-cluster-id", "values": [cluster.arn]}]}, None
    inst = _instance(rng, cat, t)
    return {"dBInstanceIdentifier": inst.ident}, _instance_missing(inst, t)


def describe_db_clusters(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    cluster = _cluster(rng, cat, t)
    if cluster is None or rng.random() < 0.35:
        return ({"includeShared": False} if rng.random() < 0.5 else None), None
    if cluster.alive(t):
        return {"dBClusterIdentifier": cluster.ident}, None
    error = ("DBClusterNotFoundFault", f"DBCluster {cluster.ident} not found.")
    return {"dBClusterIdentifier": cluster.ident}, error


def list_tags_for_resource(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    if cat.clusters and rng.random() < 0.3:
        cluster = _cluster(rng, cat, t)
        if cluster is not None and cluster.alive(t):
            return {"resourceName": cluster.arn}, None
    inst = _instance(rng, cat, t)
    return {"resourceName": inst.arn}, _instance_missing(inst, t)


def describe_events(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    r = rng.random()
    if r < 0.4:
        return {"duration": rng.choice((60, 1440, 10080))}, None
    if r < 0.7:
        inst = _instance(rng, cat, t)
        return {
            "sourceIdentifier": inst.ident,
            "sourceType": "db-instance",
            "duration": 10080,
        }, None
    start = t - rng.choice((3600, 86400, 604800))
    return {"startTime": java_time(start), "endTime": java_time(t), "maxRecords": 100}, None


def describe_db_snapshots(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    r = rng.random()
    if r < 0.25:
        return {"snapshotType": "manual", "includeShared": False, "includePublic": False}, None
    if r < 0.4:
        mine = [s for s in cat.snapshots if not s.cluster and s.created <= t]
        if mine:
            return {"dBSnapshotIdentifier": rng.choice(mine).ident}, None
    inst = _instance(rng, cat, t)
    return {"dBInstanceIdentifier": inst.ident}, None


def describe_db_cluster_snapshots(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    cluster = _cluster(rng, cat, t)
    if cluster is None:
        return {"snapshotType": "manual"}, None
    if rng.random() < 0.4:
        return {"dBClusterIdentifier": cluster.ident, "snapshotType": "automated"}, None
    return {"dBClusterIdentifier": cluster.ident}, None


def describe_pending_maintenance(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    if rng.random() < 0.6:
        return None, None
    return {"resourceIdentifier": _instance(rng, cat, t).arn}, None


def describe_db_parameters(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    group = rng.choice(cat.param_groups)
    if rng.random() < 0.5:
        return {"dBParameterGroupName": group, "source": "user"}, None
    return {"dBParameterGroupName": group, "maxRecords": 100}, None


def describe_db_parameter_groups(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    if rng.random() < 0.4:
        return None, None
    return {"dBParameterGroupName": rng.choice(cat.param_groups)}, None


def describe_db_cluster_parameters(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    if not cat.cluster_param_groups:
        return None, None
    return {"dBClusterParameterGroupName": rng.choice(cat.cluster_param_groups)}, None


def describe_db_subnet_groups(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    return {"dBSubnetGroupName": subnet_group_name(cat.place)}, None


def describe_db_log_files(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    inst = _instance(rng, cat, t)
    return {"dBInstanceIdentifier": inst.ident}, _instance_missing(inst, t)


def download_db_log_file_portion(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    inst = _instance(rng, cat, t)
    if inst.engine.port == 5432:
        log = time.strftime("error/postgresql.log.%Y-%m-%d-%H", time.gmtime(t - 3600))
    else:
        log = "error/mysql-error-running.log"
    params = {
        "dBInstanceIdentifier": inst.ident,
        "logFileName": log,
        "marker": "0",
        "numberOfLines": 10000,
    }
    return params, _instance_missing(inst, t)


def describe_db_engine_versions(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    inst = _instance(rng, cat, t)
    return {"engine": inst.engine.name, "engineVersion": inst.engine.version}, None


def describe_orderable_options(
    rng: random.Random, cat: RdsCatalog, t: int
) -> tuple[Json | None, Error | None]:
    inst = _instance(rng, cat, t)
    params = {"engine": inst.engine.name, "engineVersion": inst.engine.version, "vpc": True}
    return params, None


def no_params(rng: random.Random, cat: RdsCatalog, t: int) -> tuple[Json | None, Error | None]:
    return None, None


READS: dict[str, ReadBuilder] = {
    "DescribeDBInstances": describe_db_instances,
    "DescribeDBClusters": describe_db_clusters,
    "ListTagsForResource": list_tags_for_resource,
    "DescribeEvents": describe_events,
    "DescribeDBSnapshots": describe_db_snapshots,
    "DescribeDBClusterSnapshots": describe_db_cluster_snapshots,
    "DescribePendingMaintenanceActions": describe_pending_maintenance,
    "DescribeDBParameters": describe_db_parameters,
    "DescribeDBParameterGroups": describe_db_parameter_groups,
    "DescribeDBClusterParameters": describe_db_cluster_parameters,
    "DescribeDBSubnetGroups": describe_db_subnet_groups,
    "DescribeDBLogFiles": describe_db_log_files,
    "DownloadDBLogFilePortion": download_db_log_file_portion,
    "DescribeDBEngineVersions": describe_db_engine_versions,
    "DescribeOrderableDBInstanceOptions": describe_orderable_options,
    "DescribeAccountAttributes": no_params,
    "DescribeCertificates": no_params,
    "DescribeDBProxies": no_params,
    "DescribeGlobalClusters": no_params,
    "DescribeExportTasks": no_params,
}
