"""Resource identity: every RDS resource a record touches, ARNs and identifiers agreeing,
case folded, and the relations calls set up (issue 11's foundation), on the demo's
real-shaped records and on records published from real accounts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.model.event import event_from_record
from rdstrail_tui.model.resources import (
    Relation,
    ResourceId,
    parse_arn,
    relations_of,
    resource_ids_of,
    resources_of,
)

ACCOUNT, REGION = "111122223333", "us-east-1"
REAL = Path(__file__).parent.parent / "data" / "real-rds"


def call(name: str, params: dict[str, Any], response: Any = None, **fields: Any) -> dict[str, Any]:
    return {"eventName": name, "requestParameters": params, "responseElements": response, **fields}


def ids(record: dict[str, Any]) -> set[ResourceId]:
    return {touched.resource for touched in resources_of(record, ACCOUNT, REGION)}


def instance(name: str, account: str = ACCOUNT, region: str = REGION) -> ResourceId:
    return ResourceId("instance", account, region, name.lower())


def test_an_arn_and_the_identifier_are_one_identity() -> None:
    create = call("CreateDBInstance", {"dBInstanceIdentifier": "wordPressDB00"})
    tag = call(
        "AddTagsToResource",
        {"resourceName": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:wordpressdb00", "tags": []},
    )
    assert ids(create) == ids(tag) == {instance("wordpressdb00")}
    # The spelling the record used is kept for display.
    (touched,) = resources_of(create, ACCOUNT, REGION)
    assert (touched.name, touched.key) == ("wordPressDB00", "dBInstanceIdentifier")


def test_an_arn_names_its_own_account_and_region() -> None:
    shared = call(
        "CopyDBSnapshot",
        {
            "sourceDBSnapshotIdentifier": "arn:aws:rds:eu-west-1:444455556666:snapshot:Nightly",
            "targetDBSnapshotIdentifier": "nightly-copy",
        },
    )
    assert ids(shared) == {
        ResourceId("snapshot", "444455556666", "eu-west-1", "nightly"),
        ResourceId("snapshot", ACCOUNT, REGION, "nightly-copy"),
    }


def test_the_response_adds_the_resource_it_describes_not_its_settings() -> None:
    """The response's ARN names the resource itself; the groups it lists are settings,
    related through the requests that set them, not touched by every call."""
    record = call(
        "ModifyDBInstance",
        {"dBInstanceIdentifier": "prod", "dBParameterGroupName": "pg-prod"},
        {
            "dBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:prod",
            "dBParameterGroups": [{"dBParameterGroupName": "pg-prod"}],
            "dBSubnetGroup": {"dBSubnetGroupName": "private"},
            "optionGroupMemberships": [{"optionGroupName": "default:mysql-8-0"}],
        },
    )
    group = ResourceId("parameter-group", ACCOUNT, REGION, "pg-prod")
    assert ids(record) == {instance("prod"), group}  # the request names the group
    (uses,) = relations_of(record, ACCOUNT, REGION)
    assert uses == Relation(instance("prod"), "uses-parameter-group", group)
    # A plain name may hold a colon: default option groups do.
    named = call(
        "CreateDBInstance", {"dBInstanceIdentifier": "a", "optionGroupName": "default:mysql-8-0"}
    )
    assert ResourceId("option-group", ACCOUNT, REGION, "default:mysql-8-0") in ids(named)
    # A response known only by its ARN, wrapped as the API returns it.
    wrapped = call(
        "CreateDBCluster",
        {"dBClusterIdentifier": "c1"},
        {"dBCluster": {"dBClusterArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:C1"}},
    )
    assert ids(wrapped) == {ResourceId("cluster", ACCOUNT, REGION, "c1")}


def test_a_global_cluster_has_no_region() -> None:
    record = call(
        "CreateGlobalCluster",
        {"globalClusterIdentifier": "Ledger-Global", "sourceDBClusterIdentifier": "ledger"},
    )
    global_id = ResourceId("global-cluster", ACCOUNT, "", "ledger-global")
    cluster = ResourceId("cluster", ACCOUNT, REGION, "ledger")
    assert ids(record) == {global_id, cluster}
    assert relations_of(record, ACCOUNT, REGION) == (Relation(cluster, "member-of", global_id),)


def test_arns_of_other_services_name_nothing() -> None:
    record = call(
        "StartExportTask",
        {
            "exportTaskIdentifier": "exp-1",
            "sourceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:snap-1",
            "iamRoleArn": f"arn:aws:iam::{ACCOUNT}:role/Export",
            "kmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc",
        },
    )
    assert ids(record) == {
        ResourceId("export-task", ACCOUNT, REGION, "exp-1"),
        ResourceId("snapshot", ACCOUNT, REGION, "snap-1"),
    }
    assert parse_arn(f"arn:aws:iam::{ACCOUNT}:role/Export") is None
    assert parse_arn("arn:aws:rds:us-east-1:1:unknown-kind:x") is None


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            call(
                "CreateDBInstanceReadReplica",
                {"dBInstanceIdentifier": "r", "sourceDBInstanceIdentifier": "Prod"},
            ),
            [("instance", "r", "read-replica-of", "instance", "prod")],
        ),
        (
            call(
                "RestoreDBInstanceFromDBSnapshot",
                {
                    "dBInstanceIdentifier": "t",
                    "dBSnapshotIdentifier": f"arn:aws:rds:{REGION}:{ACCOUNT}:snapshot:s1",
                },
            ),
            [("instance", "t", "restored-from", "snapshot", "s1")],
        ),
        (
            call(
                "RestoreDBClusterFromSnapshot",
                {"dBClusterIdentifier": "c2", "snapshotIdentifier": "c1-final"},
            ),
            [("cluster", "c2", "restored-from", "cluster-snapshot", "c1-final")],
        ),
        (
            call(
                "CreateDBSnapshot", {"dBSnapshotIdentifier": "s1", "dBInstanceIdentifier": "prod"}
            ),
            [("snapshot", "s1", "snapshot-of", "instance", "prod")],
        ),
        (
            call(
                "DeleteDBInstance",
                {"dBInstanceIdentifier": "prod", "finalDBSnapshotIdentifier": "prod-final"},
            ),
            [("snapshot", "prod-final", "final-snapshot-of", "instance", "prod")],
        ),
        (
            call(
                "DeleteDBCluster",
                {"dBClusterIdentifier": "c1", "finalDBSnapshotIdentifier": "c1-final"},
            ),
            [("cluster-snapshot", "c1-final", "final-snapshot-of", "cluster", "c1")],
        ),
        (
            call(
                "CreateDBInstance",
                {
                    "dBInstanceIdentifier": "c1-a",
                    "dBClusterIdentifier": "c1",
                    "dBParameterGroupName": "pg",
                },
            ),
            [
                ("instance", "c1-a", "in-cluster", "cluster", "c1"),
                ("instance", "c1-a", "uses-parameter-group", "parameter-group", "pg"),
            ],
        ),
        (
            call(
                "ModifyDBInstance",
                {"dBInstanceIdentifier": "old", "newDBInstanceIdentifier": "New"},
            ),
            [("instance", "new", "renamed-from", "instance", "old")],
        ),
        (
            call("ModifyDBCluster", {"dBClusterIdentifier": "a", "newDBClusterIdentifier": "b"}),
            [("cluster", "b", "renamed-from", "cluster", "a")],
        ),
    ],
)
def test_relations_of_calls(record: dict[str, Any], expected: list[tuple[str, ...]]) -> None:
    got = [
        (r.subject.type, r.subject.identifier, r.kind, r.other.type, r.other.identifier)
        for r in relations_of(record, ACCOUNT, REGION)
    ]
    assert got == expected


def test_a_failed_call_relates_nothing() -> None:
    record = call(
        "CreateDBInstanceReadReplica",
        {"dBInstanceIdentifier": "r", "sourceDBInstanceIdentifier": "prod"},
        errorCode="DBInstanceNotFound",
    )
    assert relations_of(record, ACCOUNT, REGION) == ()
    assert ids(record) == {instance("r"), instance("prod")}  # it still touched both names


def test_every_demo_record_touches_its_primary_resource() -> None:
    """On the demo's RDS records: the resource the list shows is among the identities, and
    nothing touched is of a type outside the list."""
    checked: set[str] = set()
    for path in sorted(shipped_trail_path().rglob("*_CloudTrail_*.json.gz")):
        for record in orjson.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if record.get("eventSource") != "rds.amazonaws.com":
                continue
            event = event_from_record(record, b"")
            found = resources_of(record, event.account, event.region)
            if event.resource:
                assert event.resource.lower() in {t.resource.identifier for t in found} | {
                    t.name.lower() for t in found
                }, (record["eventName"], event.resource, found)
            checked.add(event.event_id)
    assert len(checked) == 301  # every RDS event of the demo (some are delivered twice)


def test_real_records_touch_what_they_name() -> None:
    (share,) = [
        r
        for r in json.loads((REAL / "DataDog-stratus-red-team.json").read_bytes())["Records"]
        if r["eventName"] == "ModifyDBSnapshotAttribute" and "_edited" not in r
    ]
    account, region = share["recipientAccountId"], share["awsRegion"]
    assert {t.resource for t in resources_of(share, account, region)} == {
        ResourceId("snapshot", account, region, "exfiltration")
    }
    proxy = json.loads((REAL / "dynatrace-oss-dynatrace-aws-log-forwarder.json").read_bytes())[
        "Records"
    ][4]
    kinds = {t.resource.type for t in resources_of(proxy, "444000444", proxy["awsRegion"])}
    assert kinds == {"proxy", "cluster"}


def test_the_fast_identities_are_those_of_resources_of() -> None:
    """resource_ids_of, which ingest runs on every RDS record, finds what resources_of finds,
    in the same order, on the demo's records and the real ones."""
    from rdstrail_tui.demo import shipped_trail_path

    records: list[dict[str, object]] = []
    for path in sorted(shipped_trail_path().rglob("*_CloudTrail_*.json.gz")):
        records.extend(orjson.loads(gzip.decompress(path.read_bytes()))["Records"])
    for path in sorted((Path(__file__).parents[1] / "data" / "real-rds").rglob("*.json")):
        document = orjson.loads(path.read_bytes())
        if isinstance(document, dict) and isinstance(document.get("Records"), list):
            records.extend(document["Records"])
    rds = [r for r in records if r.get("eventSource") == "rds.amazonaws.com"]
    assert len(rds) > 300
    for record in rds:
        account = str(record.get("recipientAccountId", ""))
        region = str(record.get("awsRegion", ""))
        expected = tuple(t.resource for t in resources_of(record, account, region))
        assert resource_ids_of(record, account, region) == expected, record.get("eventID")
