"""The changes a resource's history is about: what was asked for, and did it take effect.

Written as RDS records them, since the history view rebuilds a database's configuration from
the responses of its calls: a response is the resource as the call found it, with what is
not in effect yet under ``pendingModifiedValues``, and a maintenance window, which applies
deferred changes, leaves no record of its own (the database's next response shows them).

- A parameter group change that waits for a reboot: a static parameter changed, the
  instance's responses showing its group ``pending-reboot`` until a reboot, whose response
  shows it ``in-sync`` (``_step_tune_parameters``; the reboot is ``story_instances``').
- A rename: ``newDBInstanceIdentifier`` applied at once; the response still names the old
  identifier, with the new one pending; every later call uses the new name
  (``_step_rename``).
- A read replica promoted to a standalone instance: the promotion's response is the replica
  as the call found it, every later one is without ``readReplicaSourceDBInstanceIdentifier``
  (``_step_promote``).
- A class change asked for, corrected before it applied (the first request superseded),
  applied in the Sunday window, then seen in effect by a reboot and a later change
  (``resize_arc``).
"""

from __future__ import annotations

from dataclasses import replace

from rdstrail_tui.demo.rds_model import DBInstance, Snapshot, instance_response, snapshot_response
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import DAY, HOUR, Json, _Arc, next_window
from rdstrail_tui.demo.story_cast import day
from rdstrail_tui.demo.story_parameters import ParameterGroups

#: A static parameter per engine (it takes effect at the next restart) and the value the
#: tuning step gives it: different from any ``Engine.tuning`` value, so it is a change.
_STATIC_PARAMETERS = {
    "postgres": ("shared_preload_libraries", "pg_stat_statements,auto_explain,pg_hint_plan"),
    "mysql": ("performance_schema", "1"),
}
_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")


def sized_up(klass: str, steps: int) -> str:
    """The class ``steps`` sizes up in its family (``db.r6g.xlarge``, 2: ``db.r6g.4xlarge``)."""
    family, _, size = klass.rpartition(".")
    if size not in _SIZES:
        return klass
    return f"{family}.{_SIZES[min(_SIZES.index(size) + steps, len(_SIZES) - 1)]}"


class ChangeSteps(ParameterGroups):
    """The instance steps (``_step_<name>``) and the arc that the history view is about."""

    @staticmethod
    def _apply_now(arc: _Arc) -> None:
        """A change applied immediately takes the pending queue with it (RDS applies "your
        new changes and any changes in the pending modifications queue"): the call's own
        response still lists them pending, the next one shows them in effect."""
        inst = arc.inst
        if inst is None or not arc.pending:
            return
        inst.storage = int(arc.pending.get("allocatedStorage", inst.storage))
        if "dBInstanceClass" in arc.pending:
            inst.klass = str(arc.pending["dBInstanceClass"])
            inst.param_status = "in-sync"  # a class change restarts the instance
        arc.pending = {}

    def _step_tune_parameters(self, arc: _Arc, t: int) -> int:
        """Carol changes a static parameter of the instance's own group: it waits for a reboot."""
        scene, inst = arc.scene, arc.inst
        assert inst is not None
        static = _STATIC_PARAMETERS.get(inst.engine.name)
        if static is None or inst.param_group.startswith("default."):
            return t  # a default group cannot be modified
        name, value = static
        s = self.open("carol", scene, t)
        key = {"dBParameterGroupName": inst.param_group}
        parameters = [
            {"parameterName": name, "parameterValue": value, "applyMethod": "pending-reboot"}
        ]
        self.call(s, scene, t, "ModifyDBParameterGroup", dict(key, parameters=parameters), key)
        inst.param_status = "pending-reboot"
        for other in scene.catalog.instances:
            # Every instance of the group waits for its own reboot (a replica shares it).
            if other.param_group == inst.param_group and other.alive(t):
                other.param_status = "pending-reboot"
        return self.poll(s, scene, t, "DescribeDBParameters", dict(key, source="user"), 1)

    def _step_rename(self, arc: _Arc, t: int) -> int:
        """The instance is renamed to its application and environment (``orders-staging``
        is the staging convention): applied at once, in a minute or two."""
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        if inst.replicas or inst.replica_source is not None:
            return t  # a replication pair keeps its names
        new = scene.catalog.unique(f"{arc.app}-{scene.place.env}")
        s = self.open("carol" if arc.creator == "ci" else arc.creator, scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "newDBInstanceIdentifier": new,
            "applyImmediately": True,
        }
        pending = dict(arc.pending, dBInstanceIdentifier=new)
        self.call(
            s,
            scene,
            t,
            "ModifyDBInstance",
            params,
            instance_response(inst, t, "available", pending),
        )
        self._apply_now(arc)
        arc.inst = self._renamed(scene, inst, new, t + rng.randint(60, 240))
        return self.poll(
            s, scene, arc.inst.named or t, "DescribeDBInstances", {"dBInstanceIdentifier": new}, 2
        )

    @staticmethod
    def _renamed(scene: Scene, inst: DBInstance, new: str, t: int) -> DBInstance:
        """The instance under its new name from ``t``; the old name is gone from then on."""
        renamed = replace(
            inst,
            ident=new,
            named=t,
            security_groups=list(inst.security_groups),
            log_exports=list(inst.log_exports),
            replicas=list(inst.replicas),
        )
        inst.deleted = t
        scene.catalog.instances.append(renamed)
        return renamed

    def _step_promote(self, arc: _Arc, t: int) -> int:
        """Carol promotes the arc's read replica to a standalone instance (with backups of its
        own), then protects it from deletion: it outlives its source."""
        rng, scene, inst = self.rng, arc.scene, arc.inst
        assert inst is not None
        replica = next(
            (r for r in arc.extra if r.replica_source == inst.ident and r.alive(t)), None
        )
        if replica is None:
            return t
        s = self.open("carol", scene, t)
        params = {
            "dBInstanceIdentifier": replica.ident,
            "backupRetentionPeriod": 7,
            "preferredBackupWindow": "03:10-03:40",
        }
        response = instance_response(replica, t, "modifying", {})
        self.call(s, scene, t, "PromoteReadReplica", params, response)
        # Replication stops within minutes: from then on the instance stands alone.
        replica.replica_source = None
        replica.backup_retention = 7
        inst.replicas.remove(replica.ident)
        arc.extra.remove(replica)
        by_id = {"dBInstanceIdentifier": replica.ident}
        t = self.poll(s, scene, t + rng.randint(60, 300), "DescribeDBInstances", by_id, 2)
        later = self.tl.working_after(rng, t, 1 * HOUR, 4 * HOUR)
        if later is None:
            return t
        s = self.open("carol", scene, later)
        replica.deletion_protection = True
        params = {**by_id, "deletionProtection": True, "applyImmediately": True}
        response = instance_response(replica, later, "available", {})
        self.call(s, scene, later, "ModifyDBInstance", params, response)
        return self.poll(s, scene, later, "DescribeDBInstances", by_id, 1)

    def resize_arc(self, scene: Scene, ident: str, t0: int) -> None:
        """A long-lived database made bigger ahead of a busy season.

        Carol snapshots it and asks for two sizes up for the maintenance window; the next
        day, after the cost review, Jane corrects it to one size up (the first request
        superseded). The Sunday window applies it; on Monday Carol reboots with a failover to
        check the standby on the new class (the response shows it in effect, nothing
        pending); on Tuesday she raises the backup retention, and that response shows the new
        class too.
        """
        rng, cat = self.rng, scene.catalog
        inst = next((i for i in cat.instances[: cat.stable_instances] if i.ident == ident), None)
        if inst is None:
            return
        by_id = {"dBInstanceIdentifier": inst.ident}
        s = self.open("carol", scene, t0)
        snapshot = f"{inst.ident}-pre-resize-{day(t0)}"
        params: Json = {"dBSnapshotIdentifier": snapshot, **by_id}
        self.call(s, scene, t0, "CreateDBSnapshot", params, snapshot_response(inst, snapshot))
        cat.snapshots.append(Snapshot(snapshot, inst.ident, False, t0))
        by_snapshot = {"dBSnapshotIdentifier": snapshot}
        t = self.poll(s, scene, t0, "DescribeDBSnapshots", by_snapshot, 1) + rng.randint(300, 900)
        corrected = sized_up(inst.klass, 1)
        for actor, target, lo, hi in (
            ("carol", sized_up(inst.klass, 2), 0, 0),
            ("jane", corrected, 16 * HOUR, 26 * HOUR),
        ):
            if lo:
                found = self.tl.working_after(rng, t, lo, hi)
                if found is None:
                    return
                t = found
            s = self.open(actor, scene, t)
            params = {**by_id, "dBInstanceClass": target, "applyImmediately": False}
            pending: Json = {"dBInstanceClass": target}
            self.call(
                s,
                scene,
                t,
                "ModifyDBInstance",
                params,
                instance_response(inst, t, "available", pending),
            )
            t = self.poll(s, scene, t, "DescribeDBInstances", by_id, 1)
        window = next_window(t)
        reboot = self.tl.working_after(rng, window, 1 * DAY, 1 * DAY + 6 * HOUR)
        if reboot is None:
            return  # the trail ends first: the value is still pending
        inst.klass = corrected
        inst.param_status = "in-sync"
        s = self.open("carol", scene, reboot)
        params = {**by_id, "forceFailover": inst.multi_az}
        response = instance_response(inst, reboot, "rebooting", {})
        self.call(s, scene, reboot, "RebootDBInstance", params, response)
        t = self.poll(s, scene, reboot, "DescribeDBInstances", by_id, 2)
        later = self.tl.working_after(rng, t, 20 * HOUR, 30 * HOUR)
        if later is None:
            return
        s = self.open("carol", scene, later)
        inst.backup_retention = 14
        params = {**by_id, "backupRetentionPeriod": 14, "applyImmediately": True}
        response = instance_response(inst, later, "available", {})
        self.call(s, scene, later, "ModifyDBInstance", params, response)
        self.poll(s, scene, later, "DescribeDBInstances", by_id, 1)
