"""The stories the resource history tells on the shipped demo: a database renamed, a class
change corrected before the maintenance window applied it, a value still pending when the
trail ends, a restore from a snapshot of a demo database, a read replica promoted, an Aurora
cluster with its instances and a failover, and a parameter group change applied by a reboot.

Each is read the way the history view reads it: the writes of one resource, oldest first,
through `model.configuration.configuration_over_time`, and the relations its calls set up
through `model.resources.relations_of`.
"""

from __future__ import annotations

import gzip
import json
from calendar import timegm
from collections.abc import Iterable
from time import strptime
from typing import Any

import pytest

from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.model.configuration import State, Step, configuration_over_time
from rdstrail_tui.model.event import principal_of
from rdstrail_tui.model.rds_api import RdsModel, rds_model
from rdstrail_tui.model.resources import Relation, relations_of

Record = dict[str, Any]
PROD, STAGING = "111122223333", "444455556666"
WEEK = 7 * 86400
#: The demo's databases all have the maintenance window sun:05:47-sun:06:17 (UTC).
FIRST_WINDOW = 3 * 86400 + 5 * 3600 + 47 * 60
READ_PREFIXES = ("Describe", "List", "Download")


@pytest.fixture(scope="module")
def records() -> list[Record]:
    """The shipped trail's RDS events, each once (a duplicate delivery counted once),
    oldest first."""
    found: dict[str, Record] = {}
    for path in sorted(shipped_trail_path().rglob("*_CloudTrail_*.json.gz")):
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if record["eventSource"] == "rds.amazonaws.com":
                found.setdefault(record["eventID"], record)
    return sorted(found.values(), key=lambda r: (r["eventTime"], r["eventID"]))


@pytest.fixture(scope="module")
def model() -> RdsModel:
    found = rds_model()
    assert found is not None
    return found


def _account(record: Record) -> str:
    return str(record.get("recipientAccountId") or record["userIdentity"].get("accountId", ""))


def _time(record: Record) -> int:
    return timegm(strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ"))


def _params(record: Record) -> Record:
    params = record.get("requestParameters")
    return params if isinstance(params, dict) else {}


def _writes(
    records: Iterable[Record], key: str, names: Iterable[str], account: str, region: str
) -> list[Record]:
    """The write calls about the resources named ``names`` (under ``key`` of the request),
    in one account and region, oldest first: what a history reads its configuration from."""
    wanted = {name.lower() for name in names}
    return [
        r
        for r in records
        if not r["eventName"].startswith(READ_PREFIXES)
        and _account(r) == account
        and r["awsRegion"] == region
        and str(_params(r).get(key, "")).lower() in wanted
    ]


def _states(history: list[Record], shape: str, model: RdsModel) -> list[State]:
    steps = [
        Step(
            r["eventID"],
            _time(r),
            r["eventName"],
            principal_of(r["userIdentity"]),
            bool(r.get("errorCode")),
            r.get("responseElements"),
        )
        for r in history
    ]
    return configuration_over_time(steps, shape, model)


def _relations(records: Iterable[Record], kind: str) -> list[Relation]:
    return [
        relation
        for r in records
        for relation in relations_of(r, _account(r), r["awsRegion"])
        if relation.kind == kind
    ]


def _one(records: Iterable[Record], name: str, **params: object) -> Record:
    """The one successful call ``name`` whose request has ``params``."""
    found = [
        r
        for r in records
        if r["eventName"] == name
        and not r.get("errorCode")
        and all(_params(r).get(k) == v for k, v in params.items())
    ]
    assert len(found) == 1, (name, params, len(found))
    return found[0]


def test_a_database_renamed(records: list[Record], model: RdsModel) -> None:
    renames = [r for r in records if "newDBInstanceIdentifier" in _params(r)]
    assert len(renames) == 1
    rename = renames[0]
    old, new = "inventory-mysql", "inventory-staging"
    assert (_account(rename), rename["awsRegion"]) == (STAGING, "us-east-1")
    assert _params(rename) == {
        "dBInstanceIdentifier": old,
        "newDBInstanceIdentifier": new,
        "applyImmediately": True,
    }
    # As RDS answers: the old name, the new one pending.
    response = rename["responseElements"]
    assert response["dBInstanceIdentifier"] == old
    assert response["pendingModifiedValues"] == {"dBInstanceIdentifier": new}
    (relation,) = _relations([rename], "renamed-from")
    assert (relation.subject.identifier, relation.other.identifier) == (new, old)

    later = [r for r in records if _time(r) > _time(rename) + 300 and _account(r) == STAGING]
    named = [str(_params(r).get("dBInstanceIdentifier", "")) for r in later]
    assert named.count(new) >= 3  # a stop, a start, a snapshot, ... all by the new name
    # Only a script that still uses the old name, and RDS no longer knows it.
    assert all(
        r.get("errorCode") == "DBInstanceNotFound"
        for r in later
        if _params(r).get("dBInstanceIdentifier") == old
    )

    history = _writes(records, "dBInstanceIdentifier", (old, new), STAGING, "us-east-1")
    states = _states(history, "DBInstance", model)
    at = [r["eventID"] for r in history].index(rename["eventID"])
    assert states[at].pending["dBInstanceIdentifier"].value == new
    applied = states[at + 1]
    assert applied.ended["dBInstanceIdentifier"].status == "applied"
    assert applied.attributes["dBInstanceIdentifier"].value == new
    assert str(applied.attributes["dBInstanceArn"].value).endswith(f":db:{new}")
    assert history[at + 1]["eventName"] == "StopDBInstance"


def test_a_class_change_superseded_then_applied_in_the_maintenance_window(
    records: list[Record], model: RdsModel
) -> None:
    history = _writes(records, "dBInstanceIdentifier", ("orders-prod",), PROD, "us-east-1")
    assert [r["eventName"] for r in history] == [
        "CreateDBSnapshot",  # first, a snapshot to go back to
        "ModifyDBInstance",
        "ModifyDBInstance",
        "RebootDBInstance",
        "ModifyDBInstance",
    ]
    _, asked, corrected, reboot, later = history
    assert _params(asked)["applyImmediately"] is False
    assert _params(corrected)["applyImmediately"] is False
    assert asked["responseElements"]["dBInstanceClass"] == "db.r6g.xlarge"
    assert reboot["responseElements"]["dBInstanceClass"] == "db.r6g.2xlarge"
    assert reboot["responseElements"]["pendingModifiedValues"] == {}
    assert later["responseElements"]["dBInstanceClass"] == "db.r6g.2xlarge"

    snapshotted, first, second, rebooted, last = _states(history, "DBInstance", model)
    assert snapshotted.attributes == {}  # the snapshot's response is about the snapshot
    assert first.pending["dBInstanceClass"].value == "db.r6g.4xlarge"
    superseded = second.ended["dBInstanceClass"]
    assert (superseded.value, superseded.status) == ("db.r6g.4xlarge", "superseded")
    waiting = second.pending["dBInstanceClass"]
    assert waiting.value == "db.r6g.2xlarge"
    assert waiting.requested_principal.endswith("/jane@example.com")  # corrected by Jane
    assert first.pending["dBInstanceClass"].requested_principal.endswith("/carol")
    applied = rebooted.ended["dBInstanceClass"]
    assert (applied.status, applied.applied_seen) == ("applied", reboot["eventID"])
    assert rebooted.changed and "dBInstanceClass" in rebooted.changed
    assert last.attributes["dBInstanceClass"].value == "db.r6g.2xlarge" and last.pending == {}
    # It applied in between: in the Sunday window after the correction, before the reboot.
    assert applied.applied_after is not None and applied.applied_by_time is not None
    window = FIRST_WINDOW + ((applied.applied_after - FIRST_WINDOW) // WEEK + 1) * WEEK
    assert applied.applied_after < window < applied.applied_by_time


def test_a_change_still_pending_when_the_trail_ends(records: list[Record], model: RdsModel) -> None:
    history = _writes(records, "dBInstanceIdentifier", ("orders-eu",), PROD, "eu-west-1")
    states = _states(history, "DBInstance", model)
    pending = states[-1].pending
    assert {key: p.status for key, p in pending.items()} == {
        "allocatedStorage": "still pending",
        "dBInstanceClass": "still pending",
    }
    assert pending["dBInstanceClass"].value == "db.r6g.xlarge"
    assert states[-1].attributes["dBInstanceClass"].value == "db.r6g.large"
    asked = history[-1]
    assert (asked["eventName"], _params(asked)["applyImmediately"]) == ("ModifyDBInstance", False)


def test_a_restore_from_a_snapshot_the_demo_made(records: list[Record]) -> None:
    made = {r.subject: r.other for r in _relations(records, "snapshot-of")}
    created = {
        (_account(r), r["awsRegion"], str(_params(r)["dBInstanceIdentifier"]))
        for r in records
        if r["eventName"] == "CreateDBInstance" and not r.get("errorCode")
    }
    for renamed in _relations(records, "renamed-from"):  # created under its first name
        old = (renamed.other.account, renamed.other.region, renamed.other.identifier)
        if old in created:
            created.add((old[0], old[1], renamed.subject.identifier))
    restores = _relations(records, "restored-from")
    chains = {
        (restored.subject.identifier, snapshot.identifier, made[snapshot].identifier)
        for restored in restores
        if (snapshot := restored.other) in made
        and (snapshot.account, snapshot.region, made[snapshot].identifier) in created
    }
    names = {restored for restored, _, _ in chains}
    assert {"reporting-pg-restore-test", "inventory-staging-restore-test"} <= names
    restore = _one(
        records, "RestoreDBInstanceFromDBSnapshot", dBInstanceIdentifier="reporting-pg-restore-test"
    )
    snapshot = _params(restore)["dBSnapshotIdentifier"]
    taken = _one(records, "CreateDBSnapshot", dBSnapshotIdentifier=snapshot)
    assert _params(taken)["dBInstanceIdentifier"] == "reporting-pg"
    assert _time(taken) < _time(restore)


def test_a_read_replica_promoted(records: list[Record], model: RdsModel) -> None:
    replica, source = "reporting-pg-replica", "reporting-pg"
    created = _one(records, "CreateDBInstanceReadReplica", dBInstanceIdentifier=replica)
    assert _params(created)["sourceDBInstanceIdentifier"] == source
    (relation,) = _relations([created], "read-replica-of")
    assert (relation.subject.identifier, relation.other.identifier) == (replica, source)
    promoted = _one(records, "PromoteReadReplica", dBInstanceIdentifier=replica)
    assert _time(created) < _time(promoted)

    history = _writes(records, "dBInstanceIdentifier", (replica,), PROD, "us-east-1")
    names = [r["eventName"] for r in history]
    assert names == ["CreateDBInstanceReadReplica", "PromoteReadReplica", "ModifyDBInstance"]
    before, during, after = (r["responseElements"] for r in history)
    assert before["readReplicaSourceDBInstanceIdentifier"] == source
    assert during["dBInstanceStatus"] == "modifying"
    assert "readReplicaSourceDBInstanceIdentifier" not in after
    assert (before["backupRetentionPeriod"], after["backupRetentionPeriod"]) == (0, 7)
    states = _states(history, "DBInstance", model)
    assert "backupRetentionPeriod" in states[-1].changed
    # The source no longer lists it: its last response (the delete) has no replicas.
    delete = _one(records, "DeleteDBInstance", dBInstanceIdentifier=source)
    assert delete["responseElements"]["readReplicaDBInstanceIdentifiers"] == []
    assert _time(promoted) < _time(delete)
    assert not any(
        r["eventName"] == "DeleteDBInstance" and _params(r).get("dBInstanceIdentifier") == replica
        for r in records
    )


def test_an_aurora_cluster_with_instances_and_a_failover(
    records: list[Record], model: RdsModel
) -> None:
    cluster = "ledger-aurora"
    members = {
        r.subject.identifier
        for r in _relations(records, "in-cluster")
        if r.other.identifier == cluster
    }
    assert members == {f"{cluster}-instance-1", f"{cluster}-instance-2"}
    history = _writes(records, "dBClusterIdentifier", (cluster,), PROD, "us-east-1")
    history = [r for r in history if r["eventName"].endswith("DBCluster")]
    assert [r["eventName"] for r in history if not r.get("errorCode")] == [
        "CreateDBCluster",
        "ModifyDBCluster",
        "FailoverDBCluster",
        "DeleteDBCluster",
    ]

    def writer(record: Record) -> list[str]:
        listed = record["responseElements"]["dBClusterMembers"]
        assert {m["dBInstanceIdentifier"] for m in listed} == members
        return [m["dBInstanceIdentifier"] for m in listed if m["isClusterWriter"]]

    modify = _one(history, "ModifyDBCluster")
    failover = _one(history, "FailoverDBCluster")
    assert writer(modify) == [f"{cluster}-instance-1"]
    assert writer(failover) == [_params(failover)["targetDBInstanceIdentifier"]]
    assert writer(failover) == [f"{cluster}-instance-2"]
    states = _states(history, "DBCluster", model)
    at = history.index(failover)
    assert "dBClusterMembers" in states[at].changed
    assert states[at].attributes["dBClusterMembers"].changed_by == failover["eventID"]


def test_a_parameter_group_change_applied_by_a_reboot(
    records: list[Record], model: RdsModel
) -> None:
    instance, group = "reporting-pg", "reporting-pg-postgres16"
    uses = {
        (r.subject.identifier, r.other.identifier)
        for r in _relations(records, "uses-parameter-group")
    }
    assert (instance, group) in uses
    born = _one(records, "CreateDBInstance", dBInstanceIdentifier=instance)
    tuned = [
        r
        for r in records
        if r["eventName"] == "ModifyDBParameterGroup"
        and _time(r) > _time(born)
        and _params(r)["dBParameterGroupName"] == group
        and any(p["applyMethod"] == "pending-reboot" for p in _params(r)["parameters"])
    ]
    assert len(tuned) == 1  # a static parameter, changed while the instance runs

    def status(record: Record) -> str:
        (membership,) = record["responseElements"]["dBParameterGroups"]
        assert membership["dBParameterGroupName"] == group
        return str(membership["parameterApplyStatus"])

    history = _writes(records, "dBInstanceIdentifier", (instance,), PROD, "us-east-1")
    answered = [
        r
        for r in history
        if r.get("responseElements") and "dBParameterGroups" in r["responseElements"]
    ]
    after = [r for r in answered if _time(r) > _time(tuned[0])]
    waiting = [r for r in after if status(r) == "pending-reboot"]
    assert waiting and all(r["eventName"] != "RebootDBInstance" for r in waiting)
    reboot = next(r for r in after if r["eventName"] == "RebootDBInstance")
    assert status(reboot) == "in-sync"
    assert all(_time(r) < _time(reboot) for r in waiting)
    assert all(status(r) == "in-sync" for r in after if _time(r) >= _time(reboot))
    states = _states(history, "DBInstance", model)
    at = history.index(reboot)
    assert "dBParameterGroups" in states[at].changed
