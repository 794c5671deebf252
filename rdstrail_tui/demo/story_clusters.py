"""Aurora cluster arcs in the RDS story: each cluster created with its parameter group and
two member instances, then changed (its response lists the members, the first the writer),
tuned, snapshotted, failed over to the other member, refused a failover, and deleted with its
members.
"""

from __future__ import annotations

from rdstrail_tui.demo.rds_model import (
    ENGINES,
    MASKED,
    DBCluster,
    DBInstance,
    Engine,
    Snapshot,
    cluster_response,
    cluster_snapshot_response,
    instance_response,
    resource_id,
    subnet_group_name,
)
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import Json, _Arc
from rdstrail_tui.demo.story_cast import day, resource_tags
from rdstrail_tui.demo.story_parameters import ParameterGroups

CLUSTER_STEPS = (
    "modify_cluster",
    "modify_cluster_pg",
    "cluster_snapshot",
    "failover",
    "denied",
    "delete",
)
_CLUSTER_ODDS = {
    "modify_cluster": 0.3,
    "modify_cluster_pg": 0.5,
    "cluster_snapshot": 0.6,
    "failover": 0.4,
    "denied": 0.15,
}


class ClusterArcs(ParameterGroups):
    """Cluster arcs: the arc itself, and one method per step (``_cstep_<name>``)."""

    # --- cluster arcs -------------------------------------------------------------------------

    def cluster_arc(
        self,
        scene: Scene,
        engine: str,
        app: str,
        t0: int,
        *,
        creator: str,
        steps: tuple[str, ...] | None = None,
        delete: bool = False,
    ) -> None:
        rng = self.rng
        arc = _Arc(scene, app, creator, full=steps is not None)
        t = self._create_cluster(arc, ENGINES[engine], t0)
        if steps is None:
            chosen = [s for s in CLUSTER_STEPS if rng.random() < _CLUSTER_ODDS.get(s, 0.0)]
            if delete:
                chosen.append("delete")
        else:
            chosen = list(steps)
        for step in chosen:
            nt = self._after(t, step)
            if nt is None:
                return
            t = getattr(self, f"_cstep_{step}")(arc, nt)

    def _create_cluster(self, arc: _Arc, eng: Engine, t: int) -> int:
        rng, scene = self.rng, arc.scene
        place, cat = scene.place, scene.catalog
        s = self.open(arc.creator, scene, t)
        ident = cat.unique(f"{arc.app}-aurora")
        group = cat.unique(f"{ident}-{eng.family.replace('.', '-')}")
        self._create_parameter_group(s, scene, t, group, eng, cluster=True)
        t += rng.randint(5, 30)
        cluster = DBCluster(
            ident=ident,
            engine=eng,
            place=place,
            resource_id=resource_id(rng, "cluster-"),
            param_group=group,
            created=t,
            security_groups=[place.sg_db],
            log_exports=[eng.log_types[0]],
        )
        owner = "terraform" if arc.creator == "ci" else arc.creator
        params = {
            "dBClusterIdentifier": ident,
            "engine": eng.name,
            "engineVersion": eng.version,
            "masterUsername": eng.master_user,
            "masterUserPassword": MASKED,
            "dBClusterParameterGroupName": group,
            "vpcSecurityGroupIds": [place.sg_db],
            "dBSubnetGroupName": subnet_group_name(place),
            "backupRetentionPeriod": 7,
            "storageEncrypted": True,
            "kmsKeyId": place.kms_key,
            "enableCloudwatchLogsExports": list(cluster.log_exports),
            "copyTagsToSnapshot": True,
            "deletionProtection": False,
            "tags": resource_tags(arc.app, place.env, owner),
        }
        self.call(s, scene, t, "CreateDBCluster", params, cluster_response(cluster, t, "creating"))
        cat.clusters.append(cluster)
        arc.cluster = cluster
        t = self.poll(s, scene, t, "DescribeDBClusters", {"dBClusterIdentifier": ident})
        for n in (1, 2):
            t += rng.randint(12, 40)
            member = DBInstance(
                ident=f"{ident}-instance-{n}",
                engine=eng,
                place=place,
                klass="db.r6g.large",
                storage=1,
                resource_id=resource_id(rng, "db-"),
                param_group=f"default.{eng.family}",
                created=t,
                cluster=ident,
                security_groups=[place.sg_db],
                az=place.subnets[n - 1][1],
                monitoring=True,
            )
            cat.names.add(member.ident)
            params = {
                "dBInstanceIdentifier": member.ident,
                "dBInstanceClass": member.klass,
                "engine": eng.name,
                "dBClusterIdentifier": ident,
                "availabilityZone": member.az,
                "monitoringInterval": 60,
                "monitoringRoleArn": f"arn:aws:iam::{place.account}:role/rds-monitoring-role",
                "publiclyAccessible": False,
                "tags": resource_tags(arc.app, place.env, owner),
            }
            response = instance_response(member, t, "creating", {})
            self.call(s, scene, t, "CreateDBInstance", params, response)
            cat.instances.append(member)
            cluster.members.append(member.ident)
            arc.extra.append(member)
        cluster.writer = cluster.members[0]
        t = self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": cluster.members[0]}
        )
        tags = [{"key": "cost-center", "value": f"cc-{rng.randint(1000, 9999)}"}]
        self.call(s, scene, t + 4, "AddTagsToResource", {"resourceName": cluster.arn, "tags": tags})
        return t + 4

    def _cstep_modify_cluster(self, arc: _Arc, t: int) -> int:
        """Carol doubles the backup retention once the members are up (Aurora applies it at
        once); the response shows the cluster with its members, the first one the writer."""
        cluster, scene = arc.cluster, arc.scene
        assert cluster is not None
        s = self.open("carol", scene, t)
        cluster.backup_retention = 14
        params = {
            "dBClusterIdentifier": cluster.ident,
            "backupRetentionPeriod": 14,
            "applyImmediately": True,
        }
        response = cluster_response(cluster, t, "available")
        self.call(s, scene, t, "ModifyDBCluster", params, response)
        by_id = {"dBClusterIdentifier": cluster.ident}
        return self.poll(s, scene, t, "DescribeDBClusters", by_id, 1)

    def _cstep_modify_cluster_pg(self, arc: _Arc, t: int) -> int:
        cluster = arc.cluster
        assert cluster is not None
        s = self.open("carol", arc.scene, t)
        self._modify_parameter_group(s, arc.scene, t, cluster.param_group, cluster.engine, True, 1)
        params = {"dBClusterParameterGroupName": cluster.param_group, "source": "user"}
        return self.poll(s, arc.scene, t, "DescribeDBClusterParameters", params, 1)

    def _cstep_cluster_snapshot(self, arc: _Arc, t: int) -> int:
        cluster, scene = arc.cluster, arc.scene
        assert cluster is not None
        s = self.open("carol", scene, t)
        ident = f"{cluster.ident}-manual-{day(t)}"
        params = {"dBClusterSnapshotIdentifier": ident, "dBClusterIdentifier": cluster.ident}
        self.call(
            s,
            scene,
            t,
            "CreateDBClusterSnapshot",
            params,
            cluster_snapshot_response(cluster, ident),
        )
        scene.catalog.snapshots.append(Snapshot(ident, cluster.ident, True, t))
        return self.poll(
            s, scene, t, "DescribeDBClusterSnapshots", {"dBClusterSnapshotIdentifier": ident}, 2
        )

    def _cstep_failover(self, arc: _Arc, t: int) -> int:
        cluster, scene = arc.cluster, arc.scene
        assert cluster is not None
        others = [m for m in cluster.members if m != cluster.writer]
        if not others or not cluster.alive(t):
            return t
        s = self.open("carol", scene, t)
        target = others[0]
        params = {"dBClusterIdentifier": cluster.ident, "targetDBInstanceIdentifier": target}
        cluster.writer = target
        self.call(
            s, scene, t, "FailoverDBCluster", params, cluster_response(cluster, t, "failing-over")
        )
        return self.poll(
            s, scene, t, "DescribeDBClusters", {"dBClusterIdentifier": cluster.ident}, 2
        )

    def _cstep_denied(self, arc: _Arc, t: int) -> int:
        cluster, scene = arc.cluster, arc.scene
        assert cluster is not None
        s = self.open("bob", scene, t)
        params = {"dBClusterIdentifier": cluster.ident}
        self.denied(s, scene, t, "FailoverDBCluster", params, cluster.arn)
        return t

    def _cstep_delete(self, arc: _Arc, t: int) -> int:
        return self._delete_cluster(arc, t)

    def _delete_cluster(self, arc: _Arc, t: int) -> int:
        rng, cluster, scene = self.rng, arc.cluster, arc.scene
        assert cluster is not None
        s = self.open(arc.creator, scene, t)
        for member in arc.extra:
            self.call(
                s,
                scene,
                t,
                "DeleteDBInstance",
                {"dBInstanceIdentifier": member.ident},
                instance_response(member, t, "deleting", {}),
            )
            member.deleted = t + rng.randint(300, 600)
            t += rng.randint(2, 10)
        t = max(m.deleted or t for m in arc.extra) + rng.randint(10, 60)
        cluster.members = []
        skip = rng.random() < 0.4 and scene.place.env != "prod"
        params: Json = {"dBClusterIdentifier": cluster.ident, "skipFinalSnapshot": skip}
        if not skip:
            final = f"{cluster.ident}-final-snapshot"
            params["finalDBSnapshotIdentifier"] = final
            scene.catalog.snapshots.append(Snapshot(final, cluster.ident, True, t + 120))
        self.call(s, scene, t, "DeleteDBCluster", params, cluster_response(cluster, t, "deleting"))
        t = self.poll(s, scene, t, "DescribeDBClusters", {"dBClusterIdentifier": cluster.ident})
        cluster.deleted = t + rng.randint(20, 60)
        return cluster.deleted
