"""One resource's history (issue 11), from small caches of real-shaped CloudTrail records:
an ARN and the identifier in any case find one resource, renames join two names, a name
reused after a delete is two lives, relations read from both sides, the configuration
over time (applied, superseded, still pending, failed and null responses), the same answer
whatever order the records arrive in, res: by identity in both filter evaluators, and the
resources list with its filters and sort orders."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import event_from_record
from rdstrail_tui.model.history import History, ResourceSummary
from rdstrail_tui.model.resources import ResourceId, arn_of
from rdstrail_tui.query.history import find_resources, history_of
from rdstrail_tui.query.language import FilterError, parse_filter
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.resources import list_resources
from rdstrail_tui.query.sql import where_of

ACCOUNT, OTHER_ACCOUNT = "111122223333", "444455556666"
REGION = "us-east-1"
START = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2024, 6, 1, 0, 0, tzinfo=timezone.utc)
# What a terminal would act on, in a caller's name: ESC (a colour change) and a bidi override.
HOSTILE_USER = "mallory\x1b[31m\u202eeulav"
_NAMESPACE = uuid.UUID("0b6f3c52-8f3e-4d8e-a1a6-5a1c0c7d9e21")


# -- real-shaped records ---------------------------------------------------------------------


def at(minute: int) -> str:
    return (START + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(minute: int) -> int:
    return int((START + timedelta(minutes=minute)).timestamp())


def identity(user: str, account: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLE" + user.upper()[:8],
        "arn": f"arn:aws:iam::{account}:user/{user}",
        "accountId": account,
        "accessKeyId": "AKIAEXAMPLE",
        "userName": user,
    }


def record(
    key: str,
    minute: int,
    name: str,
    params: dict[str, Any] | None,
    response: Any = None,
    *,
    user: str = "alice",
    account: str = ACCOUNT,
    region: str = REGION,
    error: str | None = None,
    read_only: bool = False,
) -> dict[str, Any]:
    """A CloudTrail record of an RDS call as the service writes it. `key` names the event in
    the test; its eventID is derived from it, so a scenario's ids are the same every run."""
    found: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity(user, account),
        "eventTime": at(minute),
        "eventSource": "rds.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6",
        "requestParameters": params,
        "responseElements": response,
        "requestID": str(uuid.uuid5(_NAMESPACE, "request-" + key)),
        "eventID": event_id(key),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }
    if error is not None:
        found["errorCode"] = error
        found["errorMessage"] = f"{error}: the call was refused"
    return found


def event_id(key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "event-" + key))


def db_arn(name: str, account: str = ACCOUNT, region: str = REGION, kind: str = "db") -> str:
    return f"arn:aws:rds:{region}:{account}:{kind}:{name}"


def db_instance(
    name: str,
    cls: str = "db.r6g.large",
    *,
    account: str = ACCOUNT,
    status: str = "available",
    storage: int = 100,
    engine_version: str = "16.1",
    pending: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A DBInstance as a write's responseElements holds it: camelCase keys, the changes not
    yet in effect under pendingModifiedValues."""
    found: dict[str, Any] = {
        "dBInstanceIdentifier": name,
        "dBInstanceClass": cls,
        "engine": "postgres",
        "engineVersion": engine_version,
        "dBInstanceStatus": status,
        "masterUsername": "postgres",
        "allocatedStorage": storage,
        "preferredBackupWindow": "03:00-03:30",
        "backupRetentionPeriod": 7,
        "dBSecurityGroups": [],
        "vpcSecurityGroups": [{"vpcSecurityGroupId": "sg-0a1b2c3d", "status": "active"}],
        "dBParameterGroups": [
            {"dBParameterGroupName": "default.postgres16", "parameterApplyStatus": "in-sync"}
        ],
        "availabilityZone": "us-east-1a",
        "preferredMaintenanceWindow": "sun:05:00-sun:05:30",
        "pendingModifiedValues": dict(pending or {}),
        "multiAZ": False,
        "autoMinorVersionUpgrade": True,
        "readReplicaDBInstanceIdentifiers": [],
        "licenseModel": "postgresql-license",
        "optionGroupMemberships": [{"optionGroupName": "default:postgres-16", "status": "in-sync"}],
        "publiclyAccessible": False,
        "storageType": "gp3",
        "storageEncrypted": True,
        "dbiResourceId": "db-" + uuid.uuid5(_NAMESPACE, name).hex[:26].upper(),
        "dBInstanceArn": db_arn(name, account),
        "iAMDatabaseAuthenticationEnabled": False,
        "deletionProtection": False,
    }
    found.update(extra)
    return found


def cache_of(path: Path, records: Sequence[dict[str, Any]]) -> Cache:
    cache = Cache.open(path)
    cache.insert([event_from_record(r, orjson.dumps(r)) for r in records])
    return cache


@pytest.fixture
def make_cache(tmp_path: Path) -> Iterator[Any]:
    """`make_cache(records)`: a fresh cache holding them, closed at the end of the test."""
    opened: list[Cache] = []

    def make(records: Sequence[dict[str, Any]], name: str = "") -> Cache:
        cache = cache_of(tmp_path / f"cache{len(opened)}{name}.db", records)
        opened.append(cache)
        return cache

    yield make
    for cache in opened:
        cache.close()


def only(cache: Cache, name: str, **narrow: Any) -> int:
    found = find_resources(cache, name, **narrow)
    assert len(found) == 1, found
    return found[0][0]


def history(
    cache: Cache, name: str, life: int | None = None, *, fold_reads: bool = False, **narrow: Any
) -> History:
    """The history of the one resource `name` means; every event listed, reads included,
    unless `fold_reads` (what the history view and `rdstrail history` show)."""
    found = history_of(cache, only(cache, name, **narrow), life, fold_reads=fold_reads)
    assert found is not None
    return found


def ids_of(found: History) -> list[str]:
    return [event.event_id for event in found.events]


def keys(*names: str) -> list[str]:
    return [event_id(name) for name in names]


# -- identity: an ARN and the identifier in any case -----------------------------------------


def identity_records() -> list[dict[str, Any]]:
    return [
        record(
            "create",
            0,
            "CreateDBInstance",
            {
                "dBInstanceIdentifier": "Orders-Prod",
                "dBInstanceClass": "db.r6g.large",
                "engine": "postgres",
                "allocatedStorage": 100,
                "masterUsername": "postgres",
                "masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS",
            },
            db_instance("orders-prod", status="creating"),
        ),
        record(
            "tag",
            10,
            "AddTagsToResource",
            {"resourceName": db_arn("orders-prod"), "tags": [{"key": "team", "value": "pay"}]},
        ),
        record(
            "list-tags",
            11,
            "ListTagsForResource",
            {"resourceName": db_arn("ORDERS-PROD")},
            read_only=True,
        ),
        record(
            "describe",
            12,
            "DescribeDBInstances",
            {"dBInstanceIdentifier": "ORDERS-prod"},
            read_only=True,
        ),
        # The same name in another account is another resource.
        record(
            "other-account",
            20,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "orders-prod", "dBInstanceClass": "db.t4g.micro"},
            db_instance("orders-prod", "db.t4g.micro", account=OTHER_ACCOUNT, status="creating"),
            account=OTHER_ACCOUNT,
            user="bob",
        ),
    ]


def test_an_arn_and_the_identifier_in_any_case_find_one_resource(make_cache: Any) -> None:
    cache = make_cache(identity_records())
    mine = ResourceId("instance", ACCOUNT, REGION, "orders-prod")
    by_arn = find_resources(cache, db_arn("orders-prod"))
    assert [resource for _, resource in by_arn] == [mine]
    for spelling in ("orders-prod", "OrDeRs-PrOd", " ORDERS-PROD "):
        assert find_resources(cache, spelling, account=ACCOUNT) == by_arn
    # The ARN the model writes for the identity is the one that found it.
    assert find_resources(cache, arn_of(mine) or "") == by_arn
    # An ARN in upper case (as a hand-typed one may be) names the same instance.
    assert find_resources(cache, db_arn("ORDERS-PROD")) == by_arn
    by_name = history(cache, "ORDERS-Prod", account=ACCOUNT)
    assert ids_of(by_name) == ids_of(history(cache, db_arn("orders-prod")))
    # Named plainly, by ARN in a tag call and in a read, in three spellings: one timeline.
    assert ids_of(by_name) == keys("create", "tag", "list-tags", "describe")
    assert by_name.names == ("orders-prod",)


def test_the_same_name_in_two_accounts_is_two_resources(make_cache: Any) -> None:
    cache = make_cache(identity_records())
    found = find_resources(cache, "orders-prod")
    assert sorted(resource.account for _, resource in found) == [ACCOUNT, OTHER_ACCOUNT]
    theirs = history(cache, "orders-prod", account=OTHER_ACCOUNT)
    assert ids_of(theirs) == keys("other-account")
    # An ARN of the other account finds only that one; of a third account, nothing.
    assert [r for _, r in find_resources(cache, db_arn("orders-prod", OTHER_ACCOUNT))] == [
        theirs.resource
    ]
    assert find_resources(cache, db_arn("orders-prod", "999999999999")) == []
    assert find_resources(cache, "orders-prod", kind="snapshot") == []
    assert find_resources(cache, "orders", account=ACCOUNT) == []  # a name, not a substring


def test_successful_reads_are_folded_into_counts_between_the_other_events(
    make_cache: Any,
) -> None:
    throttled = record(
        "throttled",
        13,
        "DescribeDBInstances",
        {"dBInstanceIdentifier": "orders-prod"},
        read_only=True,
        error="ThrottlingException",
    )
    late_read = record(
        "late-read",
        14,
        "DescribeDBInstances",
        {"dBInstanceIdentifier": "orders-prod"},
        read_only=True,
    )
    cache = make_cache([*identity_records(), throttled, late_read])
    folded = history(cache, "orders-prod", account=ACCOUNT, fold_reads=True)
    # The refused read stays on its own line: it says something happened.
    assert ids_of(folded) == keys("create", "tag", "throttled")
    assert [(r.before, r.count, r.first, r.last, r.names) for r in folded.runs] == [
        (2, 2, epoch(11), epoch(12), (("DescribeDBInstances", 1), ("ListTagsForResource", 1))),
        (3, 1, epoch(14), epoch(14), (("DescribeDBInstances", 1),)),
    ]
    every = history(cache, "orders-prod", account=ACCOUNT)
    assert ids_of(every) == keys("create", "tag", "list-tags", "describe", "throttled", "late-read")
    assert every.runs == ()
    assert folded.states == every.states  # reads never change the configuration


# -- renames -----------------------------------------------------------------------------------


def rename_records() -> list[dict[str, Any]]:
    """`legacy` created and modified, renamed to `orders`, `orders` modified; later a new
    instance is created under the free name `legacy`."""
    return [
        record(
            "legacy-create",
            0,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "legacy", "dBInstanceClass": "db.t3.medium"},
            db_instance("legacy", "db.t3.medium", status="creating"),
        ),
        record(
            "legacy-modify",
            10,
            "ModifyDBInstance",
            {
                "dBInstanceIdentifier": "legacy",
                "backupRetentionPeriod": 14,
                "applyImmediately": True,
            },
            db_instance("legacy", "db.t3.medium", backupRetentionPeriod=14),
        ),
        # RDS answers a rename with the instance under its old name, the new one pending.
        record(
            "rename",
            20,
            "ModifyDBInstance",
            {
                "dBInstanceIdentifier": "legacy",
                "newDBInstanceIdentifier": "Orders",
                "applyImmediately": True,
            },
            db_instance(
                "legacy",
                "db.t3.medium",
                status="available",
                backupRetentionPeriod=14,
                pending={"dBInstanceIdentifier": "orders"},
            ),
            user="carol",
        ),
        record(
            "orders-modify",
            30,
            "ModifyDBInstance",
            {
                "dBInstanceIdentifier": "orders",
                "deletionProtection": True,
                "applyImmediately": True,
            },
            db_instance(
                "orders",
                "db.t3.medium",
                backupRetentionPeriod=14,
                deletionProtection=True,
            ),
        ),
        record(
            "legacy-again",
            40,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "legacy", "dBInstanceClass": "db.t4g.micro"},
            db_instance("legacy", "db.t4g.micro", status="creating"),
            user="dave",
        ),
        record(
            "legacy-again-modify",
            50,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "legacy", "multiAZ": True, "applyImmediately": True},
            db_instance("legacy", "db.t4g.micro", multiAZ=True),
            user="dave",
        ),
    ]


def test_a_rename_joins_the_old_names_events_to_the_new_ones(make_cache: Any) -> None:
    cache = make_cache(rename_records())
    orders = history(cache, "ORDERS")
    assert orders.names == ("legacy", "orders")
    assert ids_of(orders) == keys("legacy-create", "legacy-modify", "rename", "orders-modify")
    # Each event says the name it was made under: the old one up to the rename.
    assert [e.identity.identifier for e in orders.events] == [
        "legacy",
        "legacy",
        "orders",
        "orders",
    ]
    # The configuration runs across the rename: the pending new name applied when a later
    # response showed it in effect, and the backup retention set under the old name stays.
    rename = orders.events[2]
    assert rename.pended == {"dBInstanceIdentifier": "orders"}
    last = orders.events[-1].state
    assert last is not None
    assert last.ended["dBInstanceIdentifier"].status == "applied"
    assert last.ended["dBInstanceIdentifier"].requested_by == event_id("rename")
    assert last.attributes["backupRetentionPeriod"].value == 14
    assert last.attributes["backupRetentionPeriod"].changed_by == event_id("legacy-modify")
    assert orders.events[-1].changes["deletionProtection"] == (False, True)
    # The old name is one of its names, not a related resource.
    assert orders.related == ()


def test_a_relation_of_the_reused_old_name_is_not_the_renamed_ones(make_cache: Any) -> None:
    snapshot = record(
        "legacy-again-snapshot",
        55,
        "CreateDBSnapshot",
        {"dBSnapshotIdentifier": "legacy-snap", "dBInstanceIdentifier": "legacy"},
        {"dBSnapshotIdentifier": "legacy-snap", "dBInstanceIdentifier": "legacy"},
        user="dave",
    )
    cache = make_cache([*rename_records(), snapshot])
    legacy = history(cache, "legacy")
    assert [(r.relation, r.resource.identifier) for r in legacy.related] == [
        ("has-snapshot", "legacy-snap")
    ]
    # `orders` was renamed away from `legacy` at minute 20; the snapshot is of the instance
    # created under that name at minute 40.
    assert history(cache, "orders").related == ()


def test_the_old_name_created_again_is_a_life_of_its_own(make_cache: Any) -> None:
    cache = make_cache(rename_records())
    legacy = history(cache, "legacy")
    assert [(life.number, life.ended_by) for life in legacy.lives] == [(1, "renamed"), (2, "")]
    # The latest life is the new instance's: none of `orders`' later events, no rename.
    assert legacy.life == 2
    assert ids_of(legacy) == keys("legacy-again", "legacy-again-modify")
    assert legacy.names == ("legacy",)
    assert legacy.related == ()  # the rename belongs to the first life
    created = legacy.events[0].state
    assert created is not None and created.changed == ()  # no memory of the first life
    assert created.attributes["dBInstanceClass"].value == "db.t4g.micro"
    first = history(cache, "legacy", life=1)
    assert ids_of(first) == keys("legacy-create", "legacy-modify", "rename")
    assert [(r.relation, r.resource.identifier) for r in first.related] == [
        ("renamed-to", "orders")
    ]


def test_a_chain_of_renames_keeps_every_name(make_cache: Any) -> None:
    records = [
        *rename_records()[:4],
        record(
            "second-rename",
            60,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "orders", "newDBInstanceIdentifier": "orders-v2"},
            db_instance("orders", "db.t3.medium", pending={"dBInstanceIdentifier": "orders-v2"}),
        ),
        record(
            "v2-reboot",
            70,
            "RebootDBInstance",
            {"dBInstanceIdentifier": "orders-v2"},
            db_instance("orders-v2", "db.t3.medium", status="rebooting"),
        ),
    ]
    cache = make_cache(records)
    v2 = history(cache, "orders-v2")
    assert v2.names == ("legacy", "orders", "orders-v2")
    assert ids_of(v2) == keys(
        "legacy-create", "legacy-modify", "rename", "orders-modify", "second-rename", "v2-reboot"
    )


def rename(key: str, minute: int, old: str, new: str, **fields: Any) -> dict[str, Any]:
    return record(
        key,
        minute,
        "ModifyDBInstance",
        {"dBInstanceIdentifier": old, "newDBInstanceIdentifier": new, "applyImmediately": True},
        None if fields.get("error") else db_instance(old, pending={"dBInstanceIdentifier": new}),
        **fields,
    )


def test_two_instances_swapping_names_keep_their_own_histories(make_cache: Any) -> None:
    """The usual cut-over: the old `prod` moves aside to `prod-old`, the new instance takes
    the name `prod`."""
    records = [
        record("old-create", 0, "CreateDBInstance", {"dBInstanceIdentifier": "prod"}),
        record("new-create", 10, "CreateDBInstance", {"dBInstanceIdentifier": "prod-new"}),
        rename("aside", 20, "prod", "prod-old"),
        rename("take-over", 30, "prod-new", "prod"),
        record("new-reboot", 40, "RebootDBInstance", {"dBInstanceIdentifier": "prod"}),
        record("old-delete", 50, "DeleteDBInstance", {"dBInstanceIdentifier": "prod-old"}),
    ]
    cache = make_cache(records)
    prod = history(cache, "prod")
    assert prod.names == ("prod-new", "prod")
    assert ids_of(prod) == keys("new-create", "take-over", "new-reboot")
    assert [(life.number, life.ended_by) for life in prod.lives] == [(1, "renamed"), (2, "")]
    old = history(cache, "prod-old")
    assert old.names == ("prod", "prod-old")
    assert ids_of(old) == keys("old-create", "aside", "old-delete")
    assert [life.ended_by for life in old.lives] == ["deleted"]


def test_a_failed_rename_joins_nothing(make_cache: Any) -> None:
    records = [
        record("create", 0, "CreateDBInstance", {"dBInstanceIdentifier": "prod"}),
        rename("refused", 10, "prod", "prod-v2", error="DBInstanceAlreadyExists"),
        record("reboot", 20, "RebootDBInstance", {"dBInstanceIdentifier": "prod"}),
    ]
    cache = make_cache(records)
    prod = history(cache, "prod")
    assert [life.ended_by for life in prod.lives] == [""]
    assert ids_of(prod) == keys("create", "refused", "reboot")
    # The name it asked for is touched, but is no one's new name.
    assert history(cache, "prod-v2").names == ("prod-v2",)


def test_renamed_away_and_back_lists_every_name_in_order(make_cache: Any) -> None:
    records = [
        record("create", 0, "CreateDBInstance", {"dBInstanceIdentifier": "app"}),
        rename("away", 10, "app", "app-tmp"),
        record("tmp-reboot", 20, "RebootDBInstance", {"dBInstanceIdentifier": "app-tmp"}),
        rename("back", 30, "app-tmp", "app"),
        record("reboot", 40, "RebootDBInstance", {"dBInstanceIdentifier": "app"}),
    ]
    cache = make_cache(records)
    app = history(cache, "app")
    assert ids_of(app) == keys("create", "away", "tmp-reboot", "back", "reboot")
    assert app.names == ("app", "app-tmp", "app")


# -- reuse after a delete ----------------------------------------------------------------------


def reuse_records() -> list[dict[str, Any]]:
    return [
        record(
            "first-create",
            0,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "scratch", "dBInstanceClass": "db.r6g.large"},
            db_instance("scratch", status="creating"),
        ),
        # Refused (deletion protection): the instance lives on.
        record(
            "failed-delete",
            10,
            "DeleteDBInstance",
            {"dBInstanceIdentifier": "scratch", "skipFinalSnapshot": True},
            error="InvalidParameterCombination",
        ),
        record(
            "delete",
            20,
            "DeleteDBInstance",
            {"dBInstanceIdentifier": "scratch", "skipFinalSnapshot": True},
            db_instance("scratch", status="deleting"),
            user="bob",
        ),
        record(
            "second-create",
            30,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "SCRATCH", "dBInstanceClass": "db.t4g.small"},
            db_instance("scratch", "db.t4g.small", status="creating"),
        ),
        record(
            "second-modify",
            40,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "scratch", "allocatedStorage": 200, "applyImmediately": True},
            db_instance("scratch", "db.t4g.small", storage=200),
        ),
    ]


def test_a_name_reused_after_a_delete_is_two_lives(make_cache: Any) -> None:
    cache = make_cache(reuse_records())
    latest = history(cache, "scratch")
    assert [(life.number, life.ended_by) for life in latest.lives] == [(1, "deleted"), (2, "")]
    assert (latest.lives[0].first, latest.lives[0].last) == (epoch(0), epoch(20))
    assert (latest.lives[1].first, latest.lives[1].last) == (epoch(30), epoch(40))
    assert latest.life == 2 and ids_of(latest) == keys("second-create", "second-modify")
    assert ids_of(history(cache, "scratch", life=2)) == ids_of(latest)
    # The failed delete did not end the first life: it is in it, before the real delete.
    first = history(cache, "scratch", life=1)
    assert first.life == 1
    assert ids_of(first) == keys("first-create", "failed-delete", "delete")
    # The second life's configuration starts afresh: its create changed nothing.
    created = latest.events[0]
    assert created.changes == {}
    assert created.state is not None
    assert created.state.attributes["dBInstanceClass"].value == "db.t4g.small"
    assert latest.events[1].changes["allocatedStorage"] == (100, 200)
    rid = only(cache, "scratch")
    assert history_of(cache, rid, 3) is None and history_of(cache, rid, 0) is None


def test_a_failed_delete_alone_ends_nothing(make_cache: Any) -> None:
    cache = make_cache([r for r in reuse_records() if r["eventID"] != event_id("delete")])
    found = history(cache, "scratch")
    assert [(life.number, life.ended_by) for life in found.lives] == [(1, "")]
    assert ids_of(found) == keys("first-create", "failed-delete", "second-create", "second-modify")


def test_a_delete_of_another_type_of_the_same_name_ends_nothing(make_cache: Any) -> None:
    """A snapshot named like its instance: deleting the snapshot leaves the instance."""
    records = [
        *reuse_records()[:1],
        record(
            "snapshot",
            5,
            "CreateDBSnapshot",
            {"dBSnapshotIdentifier": "scratch", "dBInstanceIdentifier": "scratch"},
            {"dBSnapshotIdentifier": "scratch", "dBInstanceIdentifier": "scratch"},
        ),
        record("snapshot-delete", 6, "DeleteDBSnapshot", {"dBSnapshotIdentifier": "scratch"}),
        record(
            "modify",
            7,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "scratch", "multiAZ": True, "applyImmediately": True},
            db_instance("scratch", multiAZ=True),
        ),
    ]
    cache = make_cache(records)
    assert len(find_resources(cache, "scratch")) == 2  # an instance and a snapshot
    instance = history(cache, "scratch", kind="instance")
    assert [life.ended_by for life in instance.lives] == [""]
    assert ids_of(instance) == keys("first-create", "snapshot", "modify")
    snapshot = history(cache, "scratch", kind="snapshot")
    assert [life.ended_by for life in snapshot.lives] == ["deleted"]


# -- relations, from both sides ----------------------------------------------------------------


def relation_records() -> list[dict[str, Any]]:
    return [
        record(
            "prod-create",
            0,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "prod", "dBParameterGroupName": "pg-prod"},
            db_instance("prod", status="creating"),
        ),
        record(
            "replica",
            10,
            "CreateDBInstanceReadReplica",
            {"dBInstanceIdentifier": "prod-replica", "sourceDBInstanceIdentifier": db_arn("prod")},
            db_instance(
                "prod-replica",
                status="creating",
                readReplicaSourceDBInstanceIdentifier="prod",
            ),
        ),
        record(
            "snapshot",
            20,
            "CreateDBSnapshot",
            {"dBSnapshotIdentifier": "prod-snap", "dBInstanceIdentifier": "prod"},
            {
                "dBSnapshotIdentifier": "prod-snap",
                "dBInstanceIdentifier": "prod",
                "status": "creating",
                "snapshotType": "manual",
                "dBSnapshotArn": db_arn("prod-snap", kind="snapshot"),
            },
        ),
        record(
            "restore",
            30,
            "RestoreDBInstanceFromDBSnapshot",
            {
                "dBInstanceIdentifier": "prod-restored",
                "dBSnapshotIdentifier": db_arn("prod-snap", kind="snapshot"),
            },
            db_instance("prod-restored", status="creating"),
        ),
        record(
            "replica-delete",
            40,
            "DeleteDBInstance",
            {"dBInstanceIdentifier": "prod-replica", "finalDBSnapshotIdentifier": "replica-final"},
            db_instance("prod-replica", status="deleting"),
        ),
        record(
            "cluster",
            50,
            "CreateDBCluster",
            {"dBClusterIdentifier": "aurora-main", "engine": "aurora-postgresql"},
            {
                "dBClusterIdentifier": "aurora-main",
                "status": "creating",
                "engine": "aurora-postgresql",
                "dBClusterArn": db_arn("aurora-main", kind="cluster"),
                "dBClusterMembers": [],
            },
        ),
        record(
            "cluster-instance",
            60,
            "CreateDBInstance",
            {
                "dBInstanceIdentifier": "aurora-main-1",
                "dBClusterIdentifier": "aurora-main",
                "engine": "aurora-postgresql",
            },
            db_instance("aurora-main-1", status="creating", dBClusterIdentifier="aurora-main"),
        ),
        # A failed call relates nothing.
        record(
            "failed-replica",
            70,
            "CreateDBInstanceReadReplica",
            {"dBInstanceIdentifier": "prod-replica-2", "sourceDBInstanceIdentifier": "prod"},
            error="StorageQuotaExceeded",
        ),
    ]


def related(cache: Cache, name: str, **narrow: Any) -> list[tuple[str, str, str]]:
    return [
        (r.relation, r.resource.type, r.resource.identifier)
        for r in history(cache, name, **narrow).related
    ]


def test_relations_read_from_both_sides(make_cache: Any) -> None:
    cache = make_cache(relation_records())
    assert related(cache, "prod") == [
        ("uses-parameter-group", "parameter-group", "pg-prod"),
        ("has-read-replica", "instance", "prod-replica"),
        ("has-snapshot", "snapshot", "prod-snap"),
    ]
    assert related(cache, "prod-replica") == [
        ("read-replica-of", "instance", "prod"),
        ("has-final-snapshot", "snapshot", "replica-final"),
    ]
    assert related(cache, "prod-snap") == [
        ("snapshot-of", "instance", "prod"),
        ("restored-into", "instance", "prod-restored"),
    ]
    assert related(cache, "prod-restored") == [("restored-from", "snapshot", "prod-snap")]
    assert related(cache, "replica-final") == [("final-snapshot-of", "instance", "prod-replica")]
    assert related(cache, "aurora-main") == [("has-instance", "instance", "aurora-main-1")]
    assert related(cache, "aurora-main-1") == [("in-cluster", "cluster", "aurora-main")]
    assert related(cache, "pg-prod") == [("used-by", "instance", "prod")]
    # The refused replica: touched, but related to nothing.
    assert related(cache, "prod-replica-2") == []
    found = history(cache, "prod")
    assert {r.time for r in found.related} == {epoch(0), epoch(10), epoch(20)}
    assert event_id("failed-replica") in ids_of(found)  # it named prod all the same


# -- the configuration over time ---------------------------------------------------------------


def config_records() -> list[dict[str, Any]]:
    """`billing`: a class change pending until a reboot applies it; a refused modify and one
    CloudTrail recorded without a response; an engine upgrade asked for twice, the second
    request replacing the first, still pending at the end."""
    small, large = "db.t3.medium", "db.r6g.large"
    return [
        record(
            "billing-create",
            0,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "billing", "dBInstanceClass": small},
            db_instance("billing", small, status="creating"),
            user="terraform",
        ),
        record(
            "billing-modify-class",
            10,
            "ModifyDBInstance",
            {
                "dBInstanceIdentifier": "billing",
                "dBInstanceClass": large,
                "applyImmediately": False,
            },
            db_instance("billing", small, pending={"dBInstanceClass": large}),
            user="carol",
        ),
        record(
            "billing-reboot",
            20,
            "RebootDBInstance",
            {"dBInstanceIdentifier": "billing"},
            db_instance("billing", large, status="rebooting"),
            user="bob",
        ),
        # Refused: whatever its (hostile) response says is pending, nothing is.
        record(
            "billing-failed-modify",
            30,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "billing", "allocatedStorage": 500, "applyImmediately": False},
            db_instance("billing", large, pending={"allocatedStorage": 500}),
            error="InvalidParameterCombination",
        ),
        # Accepted, but CloudTrail kept no response: what it asked is never known applied.
        record(
            "billing-null-modify",
            40,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "billing", "storageType": "io2", "applyImmediately": False},
            None,
        ),
        record(
            "billing-upgrade",
            50,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "billing", "engineVersion": "16.2"},
            db_instance("billing", large, pending={"engineVersion": "16.2"}),
            user="carol",
        ),
        record(
            "billing-upgrade-again",
            60,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "billing", "engineVersion": "16.3"},
            db_instance("billing", large, pending={"engineVersion": "16.3"}),
            user=HOSTILE_USER,
        ),
        record(
            "billing-describe",
            70,
            "DescribeDBInstances",
            {"dBInstanceIdentifier": "billing"},
            read_only=True,
        ),
    ]


def by_key(found: History) -> dict[str, Any]:
    return dict(zip(CONFIG_KEYS, found.events))


CONFIG_KEYS = (
    "create",
    "modify-class",
    "reboot",
    "failed-modify",
    "null-modify",
    "upgrade",
    "upgrade-again",
    "describe",
)


def test_a_class_change_pending_until_a_reboot_then_applied(make_cache: Any) -> None:
    found = history(make_cache(config_records()), "billing")
    assert ids_of(found) == keys(*(f"billing-{key}" for key in CONFIG_KEYS))
    events = by_key(found)
    modify = events["modify-class"]
    assert modify.pended == {"dBInstanceClass": "db.r6g.large"}
    assert "dBInstanceClass" not in modify.changes  # in effect: still the old class
    assert modify.state.pending["dBInstanceClass"].status == "pending"
    reboot = events["reboot"]
    # The reboot's response shows the new class in effect, no longer pending.
    assert reboot.changes["dBInstanceClass"] == ("db.t3.medium", "db.r6g.large")
    applied = reboot.state.ended["dBInstanceClass"]
    assert applied.status == "applied"
    assert (applied.requested_by, applied.requested_principal) == (
        event_id("billing-modify-class"),
        "carol",
    )
    assert applied.applied_seen == event_id("billing-reboot")
    assert (applied.applied_after, applied.applied_by_time) == (epoch(10), epoch(20))
    assert "dBInstanceClass" not in reboot.state.pending
    # Who set the class now in effect: the event that first showed it.
    assert reboot.state.attributes["dBInstanceClass"].changed_principal == "bob"


def test_failed_calls_and_null_responses_are_never_applied(make_cache: Any) -> None:
    found = history(make_cache(config_records()), "billing")
    events = by_key(found)
    for key in ("failed-modify", "null-modify"):
        event = events[key]
        assert (event.changes, event.pended) == ({}, {}), key
        assert event.state.attributes == events["reboot"].state.attributes
    # Nothing anywhere says storage or storage type pended, applied or changed.
    for event in found.events:
        if event.state is None:
            continue
        statuses = {**event.state.pending, **event.state.ended}
        assert "allocatedStorage" not in statuses and "storageType" not in statuses
        assert "allocatedStorage" not in event.changes
    assert found.states[-1].attributes["allocatedStorage"].value == 100
    # The refused call still shows in the timeline, with its error.
    assert events["failed-modify"].row.error_code == "InvalidParameterCombination"


def test_a_request_pending_over_another_supersedes_it_and_the_last_is_still_pending(
    make_cache: Any,
) -> None:
    found = history(make_cache(config_records()), "billing")
    events = by_key(found)
    first = events["upgrade"]
    assert first.pended == {"engineVersion": "16.2"}
    again = events["upgrade-again"]
    superseded = again.state.ended["engineVersion"]
    assert (superseded.value, superseded.status) == ("16.2", "superseded")
    assert superseded.requested_by == event_id("billing-upgrade")
    # The last write's state: the second request, with nothing after it to apply it.
    last = found.states[-1]
    assert last.event_id == event_id("billing-upgrade-again")
    waiting = last.pending["engineVersion"]
    assert (waiting.value, waiting.status) == ("16.3", "still pending")
    assert waiting.requested_principal == HOSTILE_USER  # as recorded; escaped when shown
    assert last.attributes["engineVersion"].value == "16.1"
    # The read after it has no state of its own; the configuration as of it is the last.
    assert events["describe"].state is None
    assert found.state_at(len(found.events) - 1) is last


# -- the same answer whatever order the records arrive in -------------------------------------


def every_record() -> list[dict[str, Any]]:
    return [
        *identity_records(),
        *rename_records(),
        *reuse_records(),
        *relation_records(),
        *config_records(),
    ]


def history_shape(
    cache: Cache, name: str, life: int | None = None, *, fold_reads: bool = False, **narrow: Any
) -> object:
    """A history without the cache's own numbers (resource ids and rowids differ between
    caches loaded in different orders)."""
    found = history(cache, name, life, fold_reads=fold_reads, **narrow)
    return (
        found.runs,
        found.resource,
        found.names,
        found.lives,
        found.life,
        [
            (e.event_id, e.identity, e.row.event_name, e.row.time, e.state, e.changes, e.pended)
            for e in found.events
        ],
        [(r.resource, r.relation, r.time) for r in found.related],
    )


def summaries_shape(cache: Cache) -> list[ResourceSummary]:
    return sorted((s._replace(id=0) for s in cache.resource_summaries()), key=lambda s: s.resource)


HISTORIES: list[tuple[str, dict[str, Any]]] = [
    ("orders-prod", {"account": ACCOUNT}),
    ("orders", {}),
    ("legacy", {}),
    ("legacy", {"life": 1}),
    ("scratch", {"life": 1}),
    ("scratch", {}),
    ("prod", {}),
    ("prod-snap", {}),
    ("prod-replica", {}),
    ("billing", {}),
]


def test_the_same_history_and_summaries_in_any_loading_order(make_cache: Any) -> None:
    records = every_record()
    forward = make_cache(records)
    # Newest first, one record per insert: every summary is folded from many batches.
    backward = make_cache([])
    for item in reversed(records):
        backward.insert([event_from_record(item, orjson.dumps(item))])
    # Loaded twice: the second time adds nothing.
    twice = make_cache(records)
    assert twice.insert([event_from_record(r, orjson.dumps(r)) for r in records]) == 0
    expected_summaries = summaries_shape(forward)
    for cache in (backward, twice):
        assert summaries_shape(cache) == expected_summaries
        for name, options in HISTORIES:
            life = options.get("life")
            narrow = {k: v for k, v in options.items() if k != "life"}
            for fold_reads in (False, True):
                assert history_shape(
                    cache, name, life, fold_reads=fold_reads, **narrow
                ) == history_shape(forward, name, life, fold_reads=fold_reads, **narrow), name


def test_a_resources_summary_counts_its_events_and_its_last_write(make_cache: Any) -> None:
    records = every_record()
    cache = make_cache(records[::-1])
    by_name = {
        (s.resource.type, s.resource.account, s.resource.identifier): s
        for s in cache.resource_summaries()
    }
    billing = by_name[("instance", ACCOUNT, "billing")]
    assert (billing.first_seen, billing.last_seen) == (epoch(0), epoch(70))
    assert (billing.events, billing.writes) == (8, 7)
    # The latest write; the latest write that went through is another one.
    assert (billing.last_write_time, billing.last_write_name) == (epoch(60), "ModifyDBInstance")
    assert billing.last_writer == HOSTILE_USER
    scratch = by_name[("instance", ACCOUNT, "scratch")]
    assert (scratch.events, scratch.writes) == (5, 5)
    assert scratch.last_change_name == "ModifyDBInstance"
    # A name only ever read or refused still counts its calls.
    refused = by_name[("instance", ACCOUNT, "prod-replica-2")]
    assert (refused.events, refused.writes, refused.last_change_name) == (1, 1, "")


def test_calls_in_the_same_second_in_any_loading_order(make_cache: Any) -> None:
    records = config_records()[:3]
    records[2] = {**records[2], "eventTime": records[1]["eventTime"]}  # the reboot at once
    forward, backward = make_cache(records), make_cache(records[::-1])
    assert history_shape(backward, "billing") == history_shape(forward, "billing")


# -- res: and res:= by identity, in both evaluators --------------------------------------------


def filter_records() -> list[dict[str, Any]]:
    return [
        *identity_records(),
        record(
            "nightly",
            30,
            "CreateDBSnapshot",
            {"dBSnapshotIdentifier": "nightly", "dBInstanceIdentifier": "orders-prod"},
            {
                "dBSnapshotIdentifier": "nightly",
                "dBInstanceIdentifier": "orders-prod",
                "status": "creating",
                "dBSnapshotArn": db_arn("nightly", kind="snapshot"),
            },
        ),
        record(
            "replica-create",
            40,
            "CreateDBInstanceReadReplica",
            {
                "dBInstanceIdentifier": "orders-prod-replica",
                "sourceDBInstanceIdentifier": "orders-prod",
            },
            db_instance("orders-prod-replica", status="creating"),
        ),
        record(
            "replica-modify",
            50,
            "ModifyDBInstance",
            {"dBInstanceIdentifier": "orders-prod-replica", "multiAZ": True},
            db_instance("orders-prod-replica", multiAZ=True),
        ),
        # Another service's event: no identity, its primary resource's text as before.
        {
            **record(
                "data-api",
                60,
                "ExecuteStatement",
                {"resourceArn": db_arn("aurora", kind="cluster")},
            ),
            "eventSource": "rds-data.amazonaws.com",
        },
    ]


FILTER_KEYS = (
    "create",
    "tag",
    "list-tags",
    "describe",
    "other-account",
    "nightly",
    "replica-create",
    "replica-modify",
    "data-api",
)
NAMING_ORDERS_PROD = {
    "create",
    "tag",
    "list-tags",
    "describe",
    "other-account",
    "nightly",
    "replica-create",
}
MINE = NAMING_ORDERS_PROD - {"other-account"}


@pytest.fixture(scope="module")
def filter_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    cache = cache_of(tmp_path_factory.mktemp("res") / "events.db", filter_records())
    yield cache
    cache.close()


@pytest.fixture(scope="module")
def filter_index(filter_cache: Cache) -> EventIndex:
    return EventIndex.build(filter_cache)


@pytest.fixture(params=["sql", "memory"])
def selected(request: pytest.FixtureRequest, filter_cache: Cache, filter_index: EventIndex) -> Any:
    """The test's keys of the events a filter selects, by SQL (the CLI) or by the in-memory
    index (the explorer)."""
    by_id = {event_id(key): key for key in FILTER_KEYS}

    def by_sql(text: str) -> set[str]:
        where = where_of(parse_filter(text, NOW))
        return {by_id[e.event_id] for e in filter_cache.events(where, with_raw=False)}

    def by_index(text: str) -> set[str]:
        rowids = [int(r) for r in filter_index.select(parse_filter(text, NOW), filter_cache)]
        return {by_id[e.event_id] for e in filter_cache.events_by_rowid(rowids).values()}

    return by_sql if request.param == "sql" else by_index


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Exact: every event touching the instance, however it named it (an ARN in a tag
        # call, upper case, a secondary key of a snapshot or a replica), in both accounts.
        ("res:=orders-prod", NAMING_ORDERS_PROD),
        ("res:=ORDERS-PROD", NAMING_ORDERS_PROD),
        # A substring also finds the replica whose name starts with it.
        ("res:orders-prod", NAMING_ORDERS_PROD | {"replica-modify"}),
        ("res:=orders-prod-replica", {"replica-create", "replica-modify"}),
        # An ARN is exactly that identity: not the same name in another account.
        (f"res:{db_arn('orders-prod')}", MINE),
        (f"res:={db_arn('orders-prod')}", MINE),
        (f"res:{db_arn('ORDERS-PROD')}", MINE),
        (f"res:={db_arn('orders-prod', OTHER_ACCOUNT)}", {"other-account"}),
        (f"res:={db_arn('orders-prod', region='eu-west-1')}", set()),
        # The snapshot by name or ARN; alternatives.
        ("res:=nightly", {"nightly"}),
        (f"res:={db_arn('nightly', kind='snapshot')}", {"nightly"}),
        ("res:=nightly,orders-prod-replica", {"nightly", "replica-create", "replica-modify"}),
        # Another service's event: matched by its primary resource's text.
        ("res:aurora", {"data-api"}),
        # Negation is the exact complement.
        ("-res:=orders-prod", set(FILTER_KEYS) - NAMING_ORDERS_PROD),
        (f"-res:{db_arn('orders-prod')}", set(FILTER_KEYS) - MINE),
        ("-res:=nightly", set(FILTER_KEYS) - {"nightly"}),
    ],
)
def test_res_matches_every_resource_an_event_touches(
    selected: Any, text: str, expected: set[str]
) -> None:
    assert selected(text) == expected


# -- the resources list ------------------------------------------------------------------------


def list_records() -> list[dict[str, Any]]:
    return [
        *identity_records(),
        *reuse_records(),
        *relation_records(),
        record(
            "eu-create",
            80,
            "CreateDBInstance",
            {"dBInstanceIdentifier": "eu-reports", "publiclyAccessible": True},
            db_instance("eu-reports", publiclyAccessible=True),
            region="eu-west-1",
            user="erin",
        ),
        record(
            "gone",
            90,
            "DeleteDBInstance",
            {"dBInstanceIdentifier": "eu-reports", "skipFinalSnapshot": True},
            db_instance("eu-reports", status="deleting"),
            region="eu-west-1",
            user="erin",
        ),
    ]


@pytest.fixture(scope="module")
def list_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    cache = cache_of(tmp_path_factory.mktemp("list") / "events.db", list_records())
    yield cache
    cache.close()


def listed(cache: Cache, text: str = "", sort: str = "last") -> list[str]:
    rows = list_resources(cache, parse_filter(text, NOW), sort)
    return [f"{r.summary.resource.type}:{r.summary.resource.identifier}" for r in rows]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A bare word matches the identifier or the type.
        ("prod-snap", {"snapshot:prod-snap"}),
        ("snapshot", {"snapshot:prod-snap", "snapshot:replica-final"}),
        ("cluster", {"cluster:aurora-main"}),
        ("REPLICA", {"instance:prod-replica", "instance:prod-replica-2", "snapshot:replica-final"}),
        ("res:=prod", {"instance:prod"}),
        ("account:4444", {"instance:orders-prod"}),
        ("region:eu-west", {"instance:eu-reports"}),
        ("-region:us-east-1", {"instance:eu-reports"}),
        # user: is the last writer.
        ("user:erin", {"instance:eu-reports"}),
        ("user:bob", {"instance:orders-prod"}),
        # since: on the last time seen.
        (
            "since:2024-05-01T09:45:00Z",
            {
                "cluster:aurora-main",
                "instance:aurora-main-1",
                "instance:prod",  # named by the refused replica at 10:10
                "instance:prod-replica-2",
                "instance:eu-reports",
            },
        ),
        ("is:risky", {"instance:eu-reports", "instance:scratch"}),
        ("flag:publicly-accessible", {"instance:eu-reports"}),
        ("flag:deleted-without-snapshot", {"instance:eu-reports", "instance:scratch"}),
        ("instance region:eu", {"instance:eu-reports"}),
    ],
)
def test_the_resources_list_filters(list_cache: Cache, text: str, expected: set[str]) -> None:
    assert set(listed(list_cache, text)) == expected


def test_the_resources_list_sorts(list_cache: Cache) -> None:
    by_name = listed(list_cache, "", "name")
    assert [item.split(":", 1)[1] for item in by_name] == sorted(
        item.split(":", 1)[1] for item in by_name
    )
    assert listed(list_cache, "", "last")[0] == "instance:eu-reports"  # newest first
    assert listed(list_cache, "", "first")[0] == "instance:orders-prod"  # oldest first
    assert listed(list_cache, "", "writes")[0] == "instance:scratch"  # five writes
    types = [item.split(":", 1)[0] for item in listed(list_cache, "", "type")]
    assert types == sorted(types)
    events = [r.summary.events for r in list_resources(list_cache, parse_filter(""), "events")]
    assert events == sorted(events, reverse=True)


def test_deleted_is_the_latest_successful_write(list_cache: Cache) -> None:
    rows = {
        f"{r.summary.resource.type}:{r.summary.resource.identifier}": r
        for r in list_resources(list_cache, parse_filter(""))
    }
    assert rows["instance:eu-reports"].deleted
    assert rows["instance:prod-replica"].deleted
    # Deleted, then created again under the name: alive.
    assert not rows["instance:scratch"].deleted
    assert not rows["instance:prod"].deleted


def test_the_resources_list_takes_an_arn_as_the_event_list_does(list_cache: Cache) -> None:
    assert listed(list_cache, f"res:{db_arn('orders-prod')}") == ["instance:orders-prod"]
    (row,) = list_resources(list_cache, parse_filter(f"res:={db_arn('orders-prod')}"))
    assert row.summary.resource.account == ACCOUNT


@pytest.mark.parametrize("text", ["ip:10.0.0.1", "agent:aws-cli", "is:error", "error:Denied"])
def test_terms_about_single_events_are_refused(list_cache: Cache, text: str) -> None:
    with pytest.raises(FilterError, match="single events"):
        list_resources(list_cache, parse_filter(text, NOW))
