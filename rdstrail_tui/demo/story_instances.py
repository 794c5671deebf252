"""DB instance arcs in the RDS story: each instance created (after a refused first attempt
now and then) and walked through the steps of its life: a modification left pending for the
maintenance window, log exports, a parameter change waiting for a reboot, security groups, a
denied delete, a reboot, a rename, a snapshot, a stop and start, a read replica and its
promotion, a restore test, and the delete. The steps the resource history is about (tuning,
rename, promotion) are ``story_changes``'.
"""

from __future__ import annotations

from collections.abc import Callable

from rdstrail_tui.demo.rds_model import (
    ENGINES,
    MASKED,
    DBInstance,
    Engine,
    Snapshot,
    instance_response,
    resource_id,
    snapshot_response,
    subnet_group_name,
)
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import HOUR, Json, _Arc, next_window
from rdstrail_tui.demo.story_cast import day, resource_tags
from rdstrail_tui.demo.story_changes import ChangeSteps

_CLASSES = ("db.t4g.medium", "db.m6g.large", "db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge")

#: Every step, in the order an arc takes them.
INSTANCE_STEPS = (
    "modify_pending",
    "logs_exports",
    "tune_parameters",
    "security_groups",
    "denied",
    "reboot",
    "rename",
    "snapshot",
    "stop_start",
    "replica",
    "promote",
    "restore",
    "delete",
)
#: The full-lifecycle hero's steps: all of them but the rename (the history of one name).
LIFECYCLE_STEPS = tuple(step for step in INSTANCE_STEPS if step != "rename")

_INSTANCE_ODDS = {
    "modify_pending": 0.6,
    "logs_exports": 0.4,
    "tune_parameters": 0.3,
    "security_groups": 0.4,
    "denied": 0.15,
    "reboot": 0.4,
    "snapshot": 0.5,
    "stop_start": 0.25,
    "rename": 0.05,
    "replica": 0.25,
    "promote": 0.3,
    "restore": 0.2,
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


class InstanceArcs(ChangeSteps):
    """Instance arcs: the arc itself, and one method per step (``_step_<name>``)."""

    def _apply_maintenance(self, arc: _Arc, t: int) -> None:
        """Pending changes apply in the Sunday 05:47 window (which leaves no CloudTrail record);
        the restart a class change needs applies the parameter group's static changes too."""
        inst = arc.inst
        if inst is None or not arc.pending:
            return
        if next_window(arc.pending_since) <= t:
            inst.storage = int(arc.pending.get("allocatedStorage", inst.storage))
            inst.klass = str(arc.pending.get("dBInstanceClass", inst.klass))
            if "dBInstanceClass" in arc.pending:
                inst.param_status = "in-sync"
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
        base["tags"] = resource_tags(arc.app, place.env, owner)
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
        self._apply_now(arc)
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
        self._apply_now(arc)
        inst.security_groups = new
        return self.poll(
            s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 2
        )

    def _step_denied(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        s = self.open("bob", scene, t)
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

    def _step_reboot(self, arc: _Arc, t: int) -> int:
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        s = self.open("carol", scene, t)
        params: Json = {"dBInstanceIdentifier": inst.ident}
        if inst.multi_az:
            params["forceFailover"] = False
        # The restart applies the parameter group's static changes: the response shows the
        # group in sync. Values pending for the maintenance window stay pending.
        inst.param_status = "in-sync"
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
        ident = f"{inst.ident}-manual-{day(t)}"
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
            # A read replica keeps no automated backups of its own until it is promoted.
            backup_retention=0,
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
        final = f"{inst.ident}-final-{day(t)}"
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
