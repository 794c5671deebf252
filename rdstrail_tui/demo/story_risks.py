"""The risky calls of the RDS story: what a security review of the demo trail finds.

Every risk flag of ``model.risk`` is carried by at least one call, each made by a member of
the cast for a reason. In the shipped trail (which ends on Friday 2026-11-20):

- Thu 11-12, staging: a Terraform run creates ``loadtest-pg`` unencrypted with automated
  backups off (*unencrypted*, *backups-off*). Alice snapshots its seed data and, meaning to
  share the snapshot with the prod account, makes it public (*snapshot-public*); a quarter
  of an hour later one call removes ``all`` and adds the prod account (*snapshot-shared*).
  Jane watches the load test in Performance Insights (``pi.amazonaws.com``).
- Mon 11-16: in staging Jane makes ``loadtest-pg`` publicly accessible for the vendor's load
  generators (*publicly-accessible*). In prod a data-engineering contractor shares the final
  snapshots of the retired ``reporting-pg`` and ``ledger-aurora`` with the vendor's account
  (*snapshot-shared*: one DB snapshot, one cluster snapshot).
- Tue 11-17, prod: the morning SecurityAudit scan reads the snapshots' attributes; Priya,
  a security engineer, removes the vendor's account from both. Staging: Carol makes
  ``loadtest-pg`` private again; a Terraform module upgrade turns the Data API on for
  ``payments-aurora-staging`` and deletion protection off (*deletion-protection-off*), and
  the orders API starts calling the Data API (``rdsdata.amazonaws.com``); Carol resets the
  master password of ``orders-staging``, which the contractor knew
  (*master-password-changed*; the AWS CLI records it as ``HIDDEN_DUE_TO_SECURITY_REASONS``).
- Wed 11-18, staging: Alice turns IAM authentication off on ``orders-eu-staging`` for the QA
  harness's connection pooler (*iam-auth-off*).
- Thu 11-19: in prod, deploy-legacy's nightly import script, whose records come in the old
  1.02 layout, turns backups off on ``legacy-cms`` (*backups-off*), tries to open its
  EC2-Classic DB security group to 0.0.0.0/0 (*open-ingress*; the group is long gone, so
  the call fails), and turns backups back on (the newest ModifyDBInstance of the trail: its
  new retention is pending). In staging Terraform destroys ``loadtest-pg`` without a final
  snapshot (*deleted-without-snapshot*).

They are told after the rest of the story from random streams of their own, so the other
arcs' records stay what they were, and only when the trail's RDS budget leaves room for
them (``RDS_COST``). One job over 400 lines: the beats share their resources (the load-test
database, the snapshots shared and unshared), so they are told together.
"""

from __future__ import annotations

from dataclasses import replace

from rdstrail_tui.demo.identities import PROD_ACCOUNT
from rdstrail_tui.demo.rds_model import (
    ENGINES,
    MASKED,
    DBCluster,
    DBInstance,
    Snapshot,
    cluster_response,
    instance_response,
    resource_id,
    snapshot_response,
    subnet_group_name,
)
from rdstrail_tui.demo.risk_shapes import (
    HIDDEN,
    data_api_statement,
    legacy_instance_response,
    pi_dimension_keys_request,
    pi_metrics_request,
    sharing_request,
    snapshot_attributes_response,
)
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_calls import DAY, HOUR, Json, Recorder
from rdstrail_tui.demo.story_cast import day, resource_tags

#: The vendor's AWS account the contractor shares with (an account id of AWS's examples).
VENDOR_ACCOUNT = "777788889999"
PI = "pi.amazonaws.com"
RDS_DATA = "rdsdata.amazonaws.com"


class RiskStory(Recorder):
    """The risky beats, in the order they happen."""

    #: RDS records the beats write (the Performance Insights and Data API ones aside).
    RDS_COST = 33

    def tell(self) -> None:
        prod, _, staging, staging_eu = self.scenes[:4]
        loadtest = self.load_test(staging)
        self.legacy_import(prod)
        shared = self.contractor_share(prod)
        self.security_cleanup(prod, shared)
        self.data_api_switch(staging)
        self.password_reset(staging)
        self.iam_auth_off(staging_eu)
        if loadtest is not None:
            self.load_generator_access(staging, loadtest)
            self.load_test_teardown(staging, loadtest)

    # --- when -------------------------------------------------------------------------------

    def _at(self, days_before_end: int, hour: int, minute: int) -> int | None:
        """A moment on the day ``days_before_end`` days before the story's last day, at
        about ``hour:minute`` UTC; None when the trail does not reach back that far."""
        last_day = self.tl.end - self.tl.end % DAY
        t = last_day - days_before_end * DAY + hour * HOUR + minute * 60
        t += self.rng.randint(0, 240)
        return t if self.tl.start <= t < self.tl.end - 900 else None

    # --- the beats --------------------------------------------------------------------------

    def load_test(self, scene: Scene) -> DBInstance | None:
        """Thu: Terraform creates the load-test database; Alice shares its seed snapshot
        with everyone by mistake, then with the prod account; Jane reads the load in PI."""
        t = self._at(8, 10, 15)
        if t is None:
            return None
        inst = self._create_load_test(scene, t)
        t = self._share_seed_snapshot(scene, inst, t + 4 * HOUR + self.rng.randint(0, 900))
        self._watch_the_load(scene, inst, t + self.rng.randint(1800, 2400))
        return inst

    def _create_load_test(self, scene: Scene, t: int) -> DBInstance:
        """Terraform's test database: no encryption, no automated backups."""
        rng, place, cat = self.rng, scene.place, scene.catalog
        eng = ENGINES["postgres"]
        ident = cat.unique("loadtest-pg")
        inst = DBInstance(
            ident=ident,
            engine=eng,
            place=place,
            klass="db.m6g.large",
            storage=100,
            resource_id=resource_id(rng, "db-"),
            param_group=f"default.{eng.family}",
            created=t,
            backup_retention=0,
            security_groups=[place.sg_db],
            az=place.subnets[0][1],
            encrypted=False,
            performance_insights=True,
        )
        s = self.open("ci", scene, t)
        params: Json = {
            "dBName": "loadtest",
            "dBInstanceIdentifier": ident,
            "allocatedStorage": inst.storage,
            "dBInstanceClass": inst.klass,
            "engine": eng.name,
            "masterUsername": eng.master_user,
            "masterUserPassword": MASKED,
            "vpcSecurityGroupIds": [place.sg_db],
            "dBSubnetGroupName": subnet_group_name(place),
            "dBParameterGroupName": inst.param_group,
            "backupRetentionPeriod": 0,
            "multiAZ": False,
            "engineVersion": eng.version,
            "autoMinorVersionUpgrade": True,
            "publiclyAccessible": False,
            "storageType": inst.storage_type,
            "storageEncrypted": False,
            "enablePerformanceInsights": True,
            "performanceInsightsRetentionPeriod": 7,
            "copyTagsToSnapshot": True,
            "deletionProtection": False,
            "tags": resource_tags("loadtest", place.env, "terraform"),
        }
        pending = {"masterUserPassword": MASKED}
        response = instance_response(inst, t, "creating", pending)
        self.call(s, scene, t, "CreateDBInstance", params, response)
        cat.instances.append(inst)
        self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": ident}, 2)
        return inst

    def _share_seed_snapshot(self, scene: Scene, inst: DBInstance, t: int) -> int:
        """Alice's seed snapshot, shared with everyone by mistake, then with the prod account."""
        rng = self.rng
        alice = self.open("alice", scene, t)
        snapshot = f"{inst.ident}-seed-{day(t)}"
        by_id = {"dBSnapshotIdentifier": snapshot}
        params = {"dBSnapshotIdentifier": snapshot, "dBInstanceIdentifier": inst.ident}
        self.call(alice, scene, t, "CreateDBSnapshot", params, snapshot_response(inst, snapshot))
        scene.catalog.snapshots.append(Snapshot(snapshot, inst.ident, False, t))
        t = self.poll(alice, scene, t, "DescribeDBSnapshots", by_id, 1)
        # `--values-to-add all` where the prod account's id was meant.
        t += rng.randint(1500, 2100)
        public = sharing_request(snapshot, cluster=False, add=["all"])
        response = snapshot_attributes_response(snapshot, ["all"], cluster=False)
        self.call(alice, scene, t, "ModifyDBSnapshotAttribute", public, response)
        t += rng.randint(900, 1000)
        self.call(alice, scene, t, "DescribeDBSnapshotAttributes", by_id, read_only=True)
        t += rng.randint(20, 60)
        fixed = sharing_request(snapshot, cluster=False, add=[PROD_ACCOUNT], remove=["all"])
        response = snapshot_attributes_response(snapshot, [PROD_ACCOUNT], cluster=False)
        self.call(alice, scene, t, "ModifyDBSnapshotAttribute", fixed, response)
        return t

    def _watch_the_load(self, scene: Scene, inst: DBInstance, t: int) -> None:
        """Jane on the Performance Insights dashboard while the load test runs."""
        jane = self.open("jane", scene, t)
        load = [{"metric": "db.load.avg", "groupBy": {"group": "db.wait_event", "limit": 7}}]
        host = [{"metric": "os.cpuUtilization.total.avg"}, {"metric": "os.memory.free.avg"}]
        for name, request in (
            ("GetResourceMetrics", pi_metrics_request(inst, t, load)),
            ("DescribeDimensionKeys", pi_dimension_keys_request(inst, t, "db.sql_tokenized")),
            ("GetResourceMetrics", pi_metrics_request(inst, t, host)),
            ("DescribeDimensionKeys", pi_dimension_keys_request(inst, t, "db.wait_event")),
            ("GetResourceMetrics", pi_metrics_request(inst, t, load)),
        ):
            self.call(jane, scene, t, name, request, read_only=True, source=PI)
            t += self.rng.randint(4, 240)

    def legacy_import(self, scene: Scene) -> None:
        """Thu night: the old import script around a bulk load of legacy-cms."""
        t = self._at(1, 2, 10)
        inst = _stable_instance(scene, "legacy-cms")
        if t is None or inst is None:
            return
        s = self.open("deploy", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "backupRetentionPeriod": 0,
            "applyImmediately": True,
        }
        pending: Json = {"backupRetentionPeriod": 0}
        response = legacy_instance_response(inst, t, "available", pending)
        self.call(s, scene, t, "ModifyDBInstance", params, response, old=True)
        # Written for EC2-Classic in 2015: its DB security group went with the VPC migration.
        t += self.rng.randint(20, 90)
        group = f"{inst.ident}-import"
        ingress = {"dBSecurityGroupName": group, "cIDRIP": "0.0.0.0/0"}
        missing = ("DBSecurityGroupNotFound", f"DBSecurityGroup {group} not found.")
        self.call(s, scene, t, "AuthorizeDBSecurityGroupIngress", ingress, error=missing, old=True)
        t += 2 * HOUR - 300 + self.rng.randint(0, 600)
        s = self.open("deploy", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "backupRetentionPeriod": 7,
            "applyImmediately": True,
        }
        off = replace(inst, backup_retention=0)
        response = legacy_instance_response(off, t, "available", {"backupRetentionPeriod": 7})
        self.call(s, scene, t, "ModifyDBInstance", params, response, old=True)

    def contractor_share(self, scene: Scene) -> list[tuple[str, bool]]:
        """Mon: the contractor shares a retired database's final snapshots with the vendor."""
        t = self._at(4, 16, 40)
        if t is None:
            return []
        s = self.open("contractor", scene, t)
        shared: list[tuple[str, bool]] = []
        for cluster in (False, True):
            snapshot = _retired_snapshot(scene, t, cluster)
            if snapshot is None:
                continue
            describe = "DescribeDBClusterSnapshots" if cluster else "DescribeDBSnapshots"
            key = "dBClusterSnapshotIdentifier" if cluster else "dBSnapshotIdentifier"
            self.call(s, scene, t, describe, {key: snapshot}, read_only=True)
            t += self.rng.randint(40, 200)
            params = sharing_request(snapshot, cluster=cluster, add=[VENDOR_ACCOUNT])
            response = snapshot_attributes_response(snapshot, [VENDOR_ACCOUNT], cluster=cluster)
            self.call(s, scene, t, _sharing_call(cluster), params, response)
            shared.append((snapshot, cluster))
            t += self.rng.randint(60, 400)
        return shared

    def security_cleanup(self, scene: Scene, shared: list[tuple[str, bool]]) -> None:
        """Tue morning: the audit scan finds the shares; Priya removes the vendor's account."""
        t = self._at(3, 8, 30)
        if t is None or not shared:
            return
        audit = self.open("audit", scene, t)
        for snapshot, cluster in shared:
            read = _describe_attributes(cluster)
            self.call(audit, scene, t, read, _by_id(snapshot, cluster), read_only=True)
            t += self.rng.randint(1, 4)
        t += 45 * 60 + self.rng.randint(0, 600)
        priya = self.open("priya", scene, t)
        for snapshot, cluster in shared:
            params = sharing_request(snapshot, cluster=cluster, remove=[VENDOR_ACCOUNT])
            response = snapshot_attributes_response(snapshot, [], cluster=cluster)
            self.call(priya, scene, t, _sharing_call(cluster), params, response)
            t += self.rng.randint(30, 120)
            read = _describe_attributes(cluster)
            self.call(priya, scene, t, read, _by_id(snapshot, cluster), read_only=True)
            t += self.rng.randint(20, 90)

    def data_api_switch(self, scene: Scene) -> None:
        """Tue: a Terraform module upgrade turns the Data API on (and deletion protection
        off, its new default); the orders API then queries the cluster through it."""
        t = self._at(3, 11, 5)
        cluster = _stable_cluster(scene)
        if t is None or cluster is None:
            return
        s = self.open("ci", scene, t)
        params = {
            "dBClusterIdentifier": cluster.ident,
            "applyImmediately": True,
            "deletionProtection": False,
            "enableHttpEndpoint": True,
        }
        after = replace(cluster, http_endpoint=True, deletion_protection=False)
        self.call(s, scene, t, "ModifyDBCluster", params, cluster_response(after, t, "available"))
        self.poll(s, scene, t, "DescribeDBClusters", {"dBClusterIdentifier": cluster.ident}, 1)
        t += 4 * HOUR + self.rng.randint(0, 1800)
        app = self.open("app", scene, t)
        secret = next(
            (arn for arn in scene.place.secrets if "/payments-" in arn), scene.place.secrets[0]
        )
        for _ in range(3):
            request = data_api_statement(cluster.arn, secret)
            self.call(app, scene, t, "ExecuteStatement", request, source=RDS_DATA)
            t += self.rng.randint(1, 40)

    def password_reset(self, scene: Scene) -> None:
        """Tue: Carol resets a master password the contractor knew."""
        t = self._at(3, 13, 10)
        inst = _stable_instance(scene, "orders-staging")
        if t is None or inst is None:
            return
        s = self.open("carol", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "masterUserPassword": HIDDEN,
            "applyImmediately": True,
        }
        response = instance_response(inst, t, "available", {"masterUserPassword": HIDDEN})
        self.call(s, scene, t, "ModifyDBInstance", params, response)
        self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 1)

    def iam_auth_off(self, scene: Scene) -> None:
        """Wed: Alice turns IAM authentication off: the QA pooler cannot use its tokens."""
        t = self._at(2, 10, 30)
        inst = _stable_instance(scene, "orders-eu-staging")
        if t is None or inst is None:
            return
        s = self.open("alice", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "enableIAMDatabaseAuthentication": False,
            "applyImmediately": True,
        }
        before = replace(inst, iam_auth=True)
        pending: Json = {"iAMDatabaseAuthenticationEnabled": False}
        self.call(
            s,
            scene,
            t,
            "ModifyDBInstance",
            params,
            instance_response(before, t, "available", pending),
        )
        self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 1)

    def load_generator_access(self, scene: Scene, inst: DBInstance) -> None:
        """Mon: Jane opens the load-test database to the vendor's load generators; Carol
        closes it the next morning."""
        t = self._at(4, 14, 0)
        if t is None:
            return
        by_id = {"dBInstanceIdentifier": inst.ident}
        for actor, public, when in (("jane", True, t), ("carol", False, self._at(3, 9, 50))):
            if when is None:
                return
            s = self.open(actor, scene, when)
            params = {
                "dBInstanceIdentifier": inst.ident,
                "publiclyAccessible": public,
                "applyImmediately": True,
            }
            inst.public = public
            self.call(
                s,
                scene,
                when,
                "ModifyDBInstance",
                params,
                instance_response(inst, when, "modifying", {}),
            )
            self.poll(s, scene, when, "DescribeDBInstances", by_id, 1)

    def load_test_teardown(self, scene: Scene, inst: DBInstance) -> None:
        """Thu: `terraform destroy` of the load test, without a final snapshot."""
        t = self._at(1, 11, 0)
        if t is None:
            return
        s = self.open("ci", scene, t)
        params = {
            "dBInstanceIdentifier": inst.ident,
            "skipFinalSnapshot": True,
            "deleteAutomatedBackups": True,
        }
        self.call(
            s, scene, t, "DeleteDBInstance", params, instance_response(inst, t, "deleting", {})
        )
        t = self.poll(s, scene, t, "DescribeDBInstances", {"dBInstanceIdentifier": inst.ident}, 1)
        inst.deleted = t + self.rng.randint(300, 900)


# --- what the beats pick --------------------------------------------------------------------


def _stable_instance(scene: Scene, ident: str) -> DBInstance | None:
    cat = scene.catalog
    return next((i for i in cat.instances[: cat.stable_instances] if i.ident == ident), None)


def _stable_cluster(scene: Scene) -> DBCluster | None:
    cat = scene.catalog
    return cat.clusters[0] if cat.stable_clusters else None


def _retired_snapshot(scene: Scene, t: int, cluster: bool) -> str | None:
    """The newest final snapshot (of a database deleted in the story) taken before ``t``,
    else the newest snapshot of that kind."""
    older = [s for s in scene.catalog.snapshots if s.cluster == cluster and s.created < t - HOUR]
    finals = [s for s in older if "-final-" in s.ident]
    pool = finals or older
    return max(pool, key=lambda s: s.created).ident if pool else None


def _sharing_call(cluster: bool) -> str:
    return "ModifyDBClusterSnapshotAttribute" if cluster else "ModifyDBSnapshotAttribute"


def _describe_attributes(cluster: bool) -> str:
    return "DescribeDBClusterSnapshotAttributes" if cluster else "DescribeDBSnapshotAttributes"


def _by_id(snapshot: str, cluster: bool) -> Json:
    return {"dBClusterSnapshotIdentifier" if cluster else "dBSnapshotIdentifier": snapshot}
