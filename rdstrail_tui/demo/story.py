"""The RDS story: databases and clusters created, changed, snapshotted, failed over, deleted.

Each *arc* follows one resource through its life, so a user of the explorer can pick an
identifier and read its history. Arcs are planned up front (their records are serialised
immediately and kept, sorted by time, until the writer reaches their delivery window); the
resources they create are registered with lifetimes so that background reads elsewhere only
describe databases that exist at that moment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rdstrail_tui.demo.identities import ACTORS, CallerSession, Directory
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
    parameter_group_response,
    resource_id,
    snapshot_response,
    subnet_group_name,
)
from rdstrail_tui.demo.rds_reads import THROTTLED
from rdstrail_tui.demo.records import RecordFactory
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.timeline import Timeline

Json = dict[str, Any]
Error = tuple[str, str]
StoryRecord = tuple[int, int, bool, bytes]

RDS = "rds.amazonaws.com"
HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
#: First Sunday 05:47 UTC maintenance window on or after the epoch grid (1970-01-04 05:47).
_FIRST_WINDOW = 3 * DAY + 5 * HOUR + 47 * 60

APPS = (
    "reporting", "inventory", "search", "ledger", "analytics", "notifications", "identity",
    "pricing", "shipping", "fraud", "loyalty", "invoicing", "warehouse", "sessions",
    "recommendations", "metrics", "audit", "catalog-v2", "payouts", "support",
)  # fmt: skip
_CLASSES = ("db.t4g.medium", "db.m6g.large", "db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge")

INSTANCE_STEPS = (
    "modify_pending",
    "logs_exports",
    "security_groups",
    "denied",
    "reboot",
    "snapshot",
    "stop_start",
    "replica",
    "restore",
    "delete",
)
CLUSTER_STEPS = ("modify_cluster_pg", "cluster_snapshot", "failover", "denied", "delete")

_INSTANCE_ODDS = {
    "modify_pending": 0.6,
    "logs_exports": 0.4,
    "security_groups": 0.4,
    "denied": 0.15,
    "reboot": 0.4,
    "snapshot": 0.5,
    "stop_start": 0.25,
    "replica": 0.25,
    "restore": 0.2,
}
_CLUSTER_ODDS = {"modify_cluster_pg": 0.5, "cluster_snapshot": 0.6, "failover": 0.4, "denied": 0.15}
#: Delay before each step, in days (low, high), before scaling by the arc's pace.
_DELAYS = {
    "modify_pending": (0.8, 2.5),
    "logs_exports": (0.1, 1.2),
    "security_groups": (0.1, 1.2),
    "denied": (0.05, 1.5),
    "reboot": (0.1, 0.8),
    "snapshot": (0.1, 1.0),
    "stop_start": (0.1, 0.8),
    "replica": (0.1, 1.2),
    "restore": (0.1, 0.8),
    "delete": (0.3, 1.5),
    "modify_cluster_pg": (0.5, 2.0),
    "cluster_snapshot": (0.1, 1.0),
    "failover": (0.2, 1.5),
}


def _bigger(klass: str) -> str:
    """The next instance class up (the same family one size larger when it is not in the ladder)."""
    if klass in _CLASSES:
        return _CLASSES[min(_CLASSES.index(klass) + 1, len(_CLASSES) - 1)]
    family, _, size = klass.rpartition(".")
    ladder = ("small", "medium", "large", "xlarge", "2xlarge", "4xlarge")
    return (
        f"{family}.{ladder[min(ladder.index(size) + 1, len(ladder) - 1)]}"
        if size in ladder
        else klass
    )


def _day(t: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def _tags(app: str, env: str, owner: str) -> list[Json]:
    return [
        {"key": "app", "value": app},
        {"key": "environment", "value": env},
        {"key": "managed-by", "value": owner},
    ]


@dataclass
class _Arc:
    """Mutable state of one arc while it is being written."""

    scene: Scene
    app: str
    creator: str
    inst: DBInstance | None = None
    cluster: DBCluster | None = None
    pending: Json = field(default_factory=dict)
    pending_since: int = 0
    snapshot: str | None = None
    extra: list[DBInstance] = field(default_factory=list)
    #: Hero arcs take every optional branch (failed attempts included).
    full: bool = False


class Story:
    """Plans arcs and collects their serialised records."""

    def __init__(
        self,
        rng: random.Random,
        factory: RecordFactory,
        directory: Directory,
        scenes: list[Scene],
        timeline: Timeline,
        polls: int,
        pace: float,
    ) -> None:
        self.rng = rng
        self.factory = factory
        self.directory = directory
        self.scenes = scenes
        self.tl = timeline
        self.polls = polls
        self.pace = pace
        self.records: list[StoryRecord] = []
        self.rds_records = 0

    # --- primitives ---------------------------------------------------------------------------

    def open(self, actor: str, scene: Scene, t: int) -> CallerSession:
        return self.directory.open(self.rng, ACTORS[actor], scene.place.account, t)

    def call(
        self,
        s: CallerSession,
        scene: Scene,
        t: int,
        name: str,
        params: Json | None,
        response: Json | None = None,
        *,
        error: Error | None = None,
        read_only: bool = False,
    ) -> None:
        data = self.factory.call(
            s,
            scene.place.region,
            t,
            RDS,
            name,
            params,
            None if error is not None else response,
            read_only,
            error=error,
        )
        # orjson hands back an oversized buffer; keep a compact copy since story records wait.
        self.records.append((t, scene.place.index, True, bytes(memoryview(data))))
        self.rds_records += 1

    def poll(
        self, s: CallerSession, scene: Scene, t: int, name: str, params: Json, count: int = -1
    ) -> int:
        """Describe calls a client makes while waiting for a change; returns the last time."""
        fast = s.actor.key == "ci"
        n = self.polls if count < 0 else count
        for _ in range(n):
            t += self.rng.randint(10, 30) if fast else self.rng.randint(30, 150)
            self.call(s, scene, t, name, params, read_only=True)
        return t

    def denied(
        self, s: CallerSession, scene: Scene, t: int, name: str, params: Json, arn: str
    ) -> None:
        message = (
            f"User: {s.identity['arn']} is not authorized to perform: rds:{name} on resource: "
            f"{arn} because no identity-based policy allows the rds:{name} action"
        )
        self.call(s, scene, t, name, params, error=("AccessDenied", message))

    def _after(self, t: int, step: str) -> int | None:
        lo, hi = _DELAYS[step]
        return self.tl.working_after(self.rng, t, lo * DAY * self.pace, hi * DAY * self.pace)

    def _apply_maintenance(self, arc: _Arc, t: int) -> None:
        """Pending changes apply in the Sunday 05:47 window (which leaves no CloudTrail record)."""
        inst = arc.inst
        if inst is None or not arc.pending:
            return
        since = arc.pending_since - _FIRST_WINDOW
        next_window = _FIRST_WINDOW + (since // WEEK + 1) * WEEK
        if next_window <= t:
            inst.storage = int(arc.pending.get("allocatedStorage", inst.storage))
            inst.klass = str(arc.pending.get("dBInstanceClass", inst.klass))
            arc.pending = {}

    # --- instance arcs ------------------------------------------------------------------------

    def instance_arc(
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
        """Create one DB instance and walk it through ``steps`` (None: a random selection)."""
        rng = self.rng
        arc = _Arc(scene, app, creator, full=steps is not None)
        self._create_instance(arc, ENGINES[engine], t0, full=arc.full)
        assert arc.inst is not None
        if steps is None:
            chosen = [s for s in INSTANCE_STEPS if rng.random() < _INSTANCE_ODDS.get(s, 0.0)]
            if delete:
                chosen.append("delete")
        else:
            chosen = list(steps)
        t = arc.inst.created + 1800
        for step in chosen:
            nt = self._after(t, step)
            if nt is None:
                return
            self._apply_maintenance(arc, nt)
            t = self._instance_step(arc, step, nt)

    def _create_instance(self, arc: _Arc, eng: Engine, t: int, full: bool) -> None:
        rng, scene = self.rng, arc.scene
        place, cat = scene.place, scene.catalog
        s = self.open(arc.creator, scene, t)
        suffix = "pg" if eng.port == 5432 else "mysql"
        ident = cat.unique(f"{arc.app}-{suffix}")
        if full or rng.random() < 0.5:
            group = cat.unique(f"{ident}-{eng.family.replace('.', '-')}")
            self._create_parameter_group(s, scene, t, group, eng, cluster=False)
            t += rng.randint(12, 40)
        else:
            group = f"default.{eng.family}"
        klass = _CLASSES[rng.randrange(2)]
        base: Json = {
            "dBName": arc.app.replace("-", "_"),
            "dBInstanceIdentifier": ident,
            "allocatedStorage": 20,
            "dBInstanceClass": klass,
            "engine": eng.name,
            "masterUsername": eng.master_user,
            "masterUserPassword": MASKED,
            "vpcSecurityGroupIds": [place.sg_db],
            "dBSubnetGroupName": subnet_group_name(place),
            "dBParameterGroupName": group,
            "backupRetentionPeriod": 7,
            "multiAZ": False,
            "engineVersion": eng.version,
            "autoMinorVersionUpgrade": True,
            "publiclyAccessible": False,
            "storageType": "gp3",
            "storageEncrypted": True,
            "kmsKeyId": place.kms_key,
            "copyTagsToSnapshot": True,
        }
        exports = list(eng.log_types) if rng.random() < 0.3 else []
        if exports:
            base["enableCloudwatchLogsExports"] = exports
        base["deletionProtection"] = False
        owner = "terraform" if arc.creator == "ci" else arc.creator
        base["tags"] = _tags(arc.app, place.env, owner)
        if full or rng.random() < 0.12:
            bad = dict(base, dBInstanceClass="db.t2.micro")
            message = (
                "RDS does not support creating a DB instance with the following combination: "
                f"DBInstanceClass=db.t2.micro, Engine={eng.name}, EngineVersion={eng.version}, "
                f"LicenseModel={eng.license}. For supported combinations of instance class and "
                "database engine version, see the documentation."
            )
            self.call(
                s, scene, t, "CreateDBInstance", bad, error=("InvalidParameterCombination", message)
            )
            t += rng.randint(40, 300)
        inst = DBInstance(
            ident=ident,
            engine=eng,
            place=place,
            klass=klass,
            storage=20,
            resource_id=resource_id(rng, "db-"),
            param_group=group,
            created=t,
            security_groups=[place.sg_db],
            az=rng.choice(place.subnets)[1],
        )
        pending: Json = {"masterUserPassword": MASKED}
        if exports:
            pending["pendingCloudwatchLogsExports"] = {"logTypesToEnable": exports}
        self.call(
            s, scene, t, "CreateDBInstance", base, instance_response(inst, t, "creating", pending)
        )
        inst.log_exports = exports
        cat.instances.append(inst)
        arc.inst = inst
        t = self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": ident})
        t += rng.randint(5, 60)
        tags = [{"key": "cost-center", "value": f"cc-{rng.randint(1000, 9999)}"}]
        if rng.random() < 0.5:
            tags.append({"key": "data-classification", "value": "confidential"})
        self.call(s, scene, t, "AddTagsToResource", {"resourceName": inst.arn, "tags": tags})
        self.call(
            s, scene, t + 2, "ListTagsForResource", {"resourceName": inst.arn}, read_only=True
        )

    def _create_parameter_group(
        self, s: CallerSession, scene: Scene, t: int, name: str, eng: Engine, *, cluster: bool
    ) -> None:
        place = scene.place
        description = f"{name} tuning ({place.env})"
        key = "dBClusterParameterGroupName" if cluster else "dBParameterGroupName"
        params = {key: name, "dBParameterGroupFamily": eng.family, "description": description}
        create = "CreateDBClusterParameterGroup" if cluster else "CreateDBParameterGroup"
        response = parameter_group_response(place, name, eng.family, description, cluster)
        self.call(s, scene, t, create, params, response)
        self._modify_parameter_group(s, scene, t + self.rng.randint(2, 8), name, eng, cluster, 2)
        if cluster:
            scene.catalog.cluster_param_groups.append(name)
        else:
            scene.catalog.param_groups.append(name)

    def _modify_parameter_group(
        self, s: CallerSession, scene: Scene, t: int, name: str, eng: Engine, cluster: bool, n: int
    ) -> None:
        chosen = self.rng.sample(eng.tuning, n)
        parameters = [
            {"parameterName": p, "parameterValue": v, "applyMethod": m} for p, v, m in chosen
        ]
        key = "dBClusterParameterGroupName" if cluster else "dBParameterGroupName"
        modify = "ModifyDBClusterParameterGroup" if cluster else "ModifyDBParameterGroup"
        self.call(s, scene, t, modify, {key: name, "parameters": parameters}, {key: name})

    def _instance_step(self, arc: _Arc, step: str, t: int) -> int:
        handler: Callable[[_Arc, int], int] = getattr(self, f"_step_{step}")
        return handler(arc, t)

    def _step_modify_pending(self, arc: _Arc, t: int) -> int:
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        s = self.open("carol", scene, t)
        target_storage = min(65536, max(100, (inst.storage * 5 // 4 + 9) // 10 * 10))
        target_class = _bigger(inst.klass)
        if arc.full or rng.random() < 0.35:
            small = max(5, inst.storage // 2)
            params = {
                "dBInstanceIdentifier": inst.ident,
                "allocatedStorage": small,
                "applyImmediately": False,
            }
            message = (
                f"Invalid storage size for engine name {inst.engine.name} and storage type "
                f"{inst.storage_type}: {small}"
            )
            self.call(
                s, scene, t, "ModifyDBInstance", params, error=("InvalidParameterValue", message)
            )
            t += rng.randint(60, 400)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "allocatedStorage": target_storage,
            "dBInstanceClass": target_class,
            "applyImmediately": False,
        }
        arc.pending = {"allocatedStorage": target_storage, "dBInstanceClass": target_class}
        arc.pending_since = t
        response = instance_response(inst, t, "available", dict(arc.pending))
        self.call(s, scene, t, "ModifyDBInstance", params, response)
        return self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 1
        )

    def _step_logs_exports(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        missing = [log for log in inst.engine.log_types if log not in inst.log_exports]
        if not missing:
            return t
        s = self.open("jane", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "cloudwatchLogsExportConfiguration": {"enableLogTypes": missing},
            "applyImmediately": True,
        }
        pending = dict(arc.pending)
        pending["pendingCloudwatchLogsExports"] = {"logTypesToEnable": missing}
        self.call(
            s,
            scene,
            t,
            "ModifyDBInstance",
            params,
            instance_response(inst, t, "available", pending),
        )
        inst.log_exports = inst.log_exports + missing
        return self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 1
        )

    def _step_security_groups(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        place = scene.place
        s = self.open(arc.creator if arc.creator == "ci" else "carol", scene, t)
        if place.sg_bastion in inst.security_groups:
            new = [place.sg_db]
            statuses = [
                {"vpcSecurityGroupId": place.sg_db, "status": "active"},
                {"vpcSecurityGroupId": place.sg_bastion, "status": "removing"},
            ]
        else:
            new = [place.sg_db, place.sg_bastion]
            statuses = [
                {"vpcSecurityGroupId": place.sg_db, "status": "active"},
                {"vpcSecurityGroupId": place.sg_bastion, "status": "adding"},
            ]
        params = {
            "dBInstanceIdentifier": inst.ident,
            "vpcSecurityGroupIds": new,
            "backupRetentionPeriod": 14,
            "applyImmediately": True,
        }
        inst.backup_retention = 14
        response = instance_response(inst, t, "modifying", dict(arc.pending), statuses)
        self.call(s, scene, t, "ModifyDBInstance", params, response)
        inst.security_groups = new
        return self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 2
        )

    def _step_denied(self, arc: _Arc, t: int) -> int:
        scene = arc.scene
        s = self.open("bob", scene, t)
        if arc.inst is not None and (arc.cluster is None or self.rng.random() < 0.5):
            inst = arc.inst
            self.call(
                s,
                scene,
                t,
                "DescribeDBInstances",
                {"dBInstanceIdentifier": inst.ident},
                read_only=True,
            )
            params = {
                "dBInstanceIdentifier": inst.ident,
                "skipFinalSnapshot": True,
                "deleteAutomatedBackups": True,
            }
            self.denied(s, scene, t + 25, "DeleteDBInstance", params, inst.arn)
            return t + 25
        assert arc.cluster is not None
        cluster = arc.cluster
        params = {"dBClusterIdentifier": cluster.ident}
        self.denied(s, scene, t, "FailoverDBCluster", params, cluster.arn)
        return t

    def _step_reboot(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        s = self.open("carol", scene, t)
        params: Json = {"dBInstanceIdentifier": inst.ident}
        if inst.multi_az:
            params["forceFailover"] = False
        self.call(
            s,
            scene,
            t,
            "RebootDBInstance",
            params,
            instance_response(inst, t, "rebooting", dict(arc.pending)),
        )
        return self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 2
        )

    def _step_snapshot(self, arc: _Arc, t: int) -> int:
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        s = self.open("carol", scene, t)
        ident = f"{inst.ident}-manual-{_day(t)}"
        if any(snap.ident == ident for snap in scene.catalog.snapshots):
            ident = f"{ident}-{rng.randint(2, 9)}"
        params = {"dBSnapshotIdentifier": ident, "dBInstanceIdentifier": inst.ident}
        self.call(s, scene, t, "CreateDBSnapshot", params, snapshot_response(inst, ident))
        scene.catalog.snapshots.append(Snapshot(ident, inst.ident, False, t))
        arc.snapshot = ident
        if arc.full or rng.random() < 0.2:
            message = (
                "Cannot create the snapshot because a snapshot with the identifier "
                f"{ident} already exists."
            )
            t += rng.randint(5, 30)
            self.call(
                s, scene, t, "CreateDBSnapshot", params, error=("DBSnapshotAlreadyExists", message)
            )
        return self.poll(s, scene, t, "DescribeDBSnapshots", {"dBSnapshotIdentifier": ident}, 2)

    def _step_stop_start(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        if inst.replicas or inst.replica_source:
            return t
        s = self.open("carol", scene, t)
        params = {"dBInstanceIdentifier": inst.ident}
        self.call(
            s,
            scene,
            t,
            "StopDBInstance",
            params,
            instance_response(inst, t, "stopping", dict(arc.pending)),
        )
        t = self.poll(s, scene, t, "DescribeDBInstances", params, 1)
        t2 = self.tl.working_after(self.rng, t, 10 * HOUR, 20 * HOUR)
        if t2 is None:
            return t
        if arc.full or self.rng.random() < 0.5:
            modify = {
                "dBInstanceIdentifier": inst.ident,
                "backupRetentionPeriod": 3,
                "applyImmediately": True,
            }
            message = f"Instance {inst.ident} is not in available state."
            s2 = self.open("alice", scene, t2 - 600)
            self.call(
                s2,
                scene,
                t2 - 600,
                "ModifyDBInstance",
                modify,
                error=("InvalidDBInstanceState", message),
            )
        s = self.open("carol", scene, t2)
        self.call(
            s,
            scene,
            t2,
            "StartDBInstance",
            params,
            instance_response(inst, t2, "starting", dict(arc.pending)),
        )
        return self.poll(s, scene, t2, "DescribeDBInstances", params, 2)

    def _step_replica(self, arc: _Arc, t: int) -> int:
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        if inst.replica_source is not None:
            return t
        s = self.open("carol", scene, t)
        cat = scene.catalog
        ident = cat.unique(f"{inst.ident}-replica")
        replica = DBInstance(
            ident=ident,
            engine=inst.engine,
            place=inst.place,
            klass=inst.klass,
            storage=inst.storage,
            resource_id=resource_id(rng, "db-"),
            param_group=inst.param_group,
            created=t,
            security_groups=list(inst.security_groups),
            replica_source=inst.ident,
            az=rng.choice([az for _, az in scene.place.subnets if az != inst.az]),
        )
        params = {
            "dBInstanceIdentifier": ident,
            "sourceDBInstanceIdentifier": inst.ident,
            "dBInstanceClass": inst.klass,
            "availabilityZone": replica.az,
            "publiclyAccessible": False,
            "autoMinorVersionUpgrade": True,
            "copyTagsToSnapshot": True,
            "storageType": inst.storage_type,
        }
        inst.replicas.append(ident)
        self.call(
            s,
            scene,
            t,
            "CreateDBInstanceReadReplica",
            params,
            instance_response(replica, t, "creating", {}),
        )
        cat.instances.append(replica)
        arc.extra.append(replica)
        return self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": ident}, 2)

    def _step_restore(self, arc: _Arc, t: int) -> int:
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        if arc.snapshot is None:
            t = self._step_snapshot(arc, t) + rng.randint(600, 1800)
        assert arc.snapshot is not None
        s = self.open("carol", scene, t)
        cat, place = scene.catalog, scene.place
        ident = cat.unique(f"{inst.ident}-restore-test")
        restored = DBInstance(
            ident=ident,
            engine=inst.engine,
            place=place,
            klass=_CLASSES[0],
            storage=inst.storage,
            resource_id=resource_id(rng, "db-"),
            param_group=inst.param_group,
            created=t,
            security_groups=[place.sg_db],
            az=rng.choice(place.subnets)[1],
        )
        params = {
            "dBInstanceIdentifier": ident,
            "dBSnapshotIdentifier": arc.snapshot,
            "dBInstanceClass": restored.klass,
            "dBSubnetGroupName": subnet_group_name(place),
            "multiAZ": False,
            "publiclyAccessible": False,
            "vpcSecurityGroupIds": [place.sg_db],
            "dBParameterGroupName": inst.param_group,
            "deletionProtection": False,
            "copyTagsToSnapshot": True,
        }
        response = instance_response(restored, t, "creating", {})
        self.call(s, scene, t, "RestoreDBInstanceFromDBSnapshot", params, response)
        cat.instances.append(restored)
        t = self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": ident}, 2)
        end = self.tl.working_after(rng, t, 2 * HOUR, 8 * HOUR)
        if end is None:
            return t
        s = self.open("carol", scene, end)
        params = {
            "dBInstanceIdentifier": ident,
            "skipFinalSnapshot": True,
            "deleteAutomatedBackups": True,
        }
        self.call(
            s,
            scene,
            end,
            "DeleteDBInstance",
            params,
            instance_response(restored, end, "deleting", {}),
        )
        restored.deleted = end + rng.randint(300, 900)
        return end

    def _step_delete(self, arc: _Arc, t: int) -> int:
        if arc.cluster is not None:
            return self._delete_cluster(arc, t)
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        s = self.open(arc.creator, scene, t)
        for replica in arc.extra:
            if replica.deleted is None:
                params = {"dBInstanceIdentifier": replica.ident, "skipFinalSnapshot": True}
                self.call(
                    s,
                    scene,
                    t,
                    "DeleteDBInstance",
                    params,
                    instance_response(replica, t, "deleting", {}),
                )
                replica.deleted = t + rng.randint(300, 900)
                inst.replicas.remove(replica.ident)
                t = replica.deleted + rng.randint(10, 60)
        final = f"{inst.ident}-final-{_day(t)}"
        params = {
            "dBInstanceIdentifier": inst.ident,
            "skipFinalSnapshot": False,
            "finalDBSnapshotIdentifier": final,
            "deleteAutomatedBackups": True,
        }
        self.call(
            s,
            scene,
            t,
            "DeleteDBInstance",
            params,
            instance_response(inst, t, "deleting", dict(arc.pending)),
        )
        scene.catalog.snapshots.append(Snapshot(final, inst.ident, False, t + 120))
        t = self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident})
        inst.deleted = t + rng.randint(20, 40)
        t = inst.deleted + 5
        missing = ("DBInstanceNotFound", f"DBInstance {inst.ident} not found.")
        self.call(
            s,
            scene,
            t,
            "DescribeDBInstances",
            {"dBInstanceIdentifier": inst.ident},
            error=missing,
            read_only=True,
        )
        return t

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
            "tags": _tags(arc.app, place.env, owner),
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
                "tags": _tags(arc.app, place.env, owner),
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
        ident = f"{cluster.ident}-manual-{_day(t)}"
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
        return self._step_denied(arc, t)

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

    # --- smaller arcs -------------------------------------------------------------------------

    def parameter_arc(self, scene: Scene, engine: str, app: str, t0: int) -> None:
        """A parameter group created, tuned twice, and inspected."""
        eng = ENGINES[engine]
        s = self.open("carol", scene, t0)
        name = scene.catalog.unique(f"{app}-{eng.family.replace('.', '-')}")
        self._create_parameter_group(s, scene, t0, name, eng, cluster=False)
        t = self.poll(
            s,
            scene,
            t0 + 10,
            "DescribeDBParameters",
            {"dBParameterGroupName": name, "source": "user"},
            1,
        )
        t2 = self.tl.working_after(self.rng, t, 0.5 * DAY * self.pace, 3 * DAY * self.pace)
        if t2 is not None:
            s = self.open("carol", scene, t2)
            self._modify_parameter_group(s, scene, t2, name, eng, False, 1)

    def throttled_refresh(self, scene: Scene, t0: int) -> None:
        """A terraform refresh bursting DescribeDBInstances into the rate limit, then retrying."""
        rng, cat = self.rng, scene.catalog
        s = self.open("ci", scene, t0)
        t = t0
        for n in range(8):
            inst = cat.instances[n % cat.stable_instances]
            params = {"dBInstanceIdentifier": inst.ident}
            throttled = n in (3, 4)
            error = THROTTLED if throttled else None
            self.call(s, scene, t, "DescribeDBInstances", params, error=error, read_only=True)
            t += rng.randint(1, 3) if not throttled else rng.randint(2, 6)

    def maintenance_arc(self, scene: Scene, t0: int, steps: tuple[str, ...]) -> None:
        """Changes to a long-lived database (one that exists for the whole trail)."""
        cat = scene.catalog
        stable = [i for i in cat.instances[: cat.stable_instances] if i.cluster is None]
        arc = _Arc(scene, "ops", "carol", inst=self.rng.choice(stable))
        t = t0
        for step in steps:
            if step in ("failover", "cluster_snapshot"):
                clusters = cat.clusters[: cat.stable_clusters]
                if not clusters:
                    continue
                carc = _Arc(scene, "ops", "carol", cluster=self.rng.choice(clusters))
                nt = self._after(t, step)
                if nt is None:
                    return
                t = getattr(self, f"_cstep_{step}")(carc, nt)
                continue
            nt = self._after(t, step)
            if nt is None:
                return
            self._apply_maintenance(arc, nt)
            t = self._instance_step(arc, step, nt)
