"""A DB instance's configuration over time, from the responses of its calls: applied,
superseded and still pending values, failed calls and null responses, and calls about
another kind of resource."""

from __future__ import annotations

from typing import Any

import pytest

from rdstrail_tui.model.configuration import Step, configuration_over_time
from rdstrail_tui.model.rds_api import RdsModel, rds_model


@pytest.fixture(scope="module")
def model() -> RdsModel:
    found = rds_model()
    assert found is not None
    return found


def instance(cls: str, storage: int = 100, **pending: Any) -> dict[str, Any]:
    """A DBInstance as CloudTrail records it in a response (the fields that matter here)."""
    response: dict[str, Any] = {
        "dBInstanceIdentifier": "orders-prod",
        "dBInstanceClass": cls,
        "allocatedStorage": storage,
        "dBInstanceStatus": "available",
        "pendingModifiedValues": pending,
    }
    return response


def step(n: int, name: str, response: Any, *, who: str = "carol", failed: bool = False) -> Step:
    return Step(f"e{n}", 1_700_000_000 + n * 3600, name, who, failed, response)


def test_a_class_change_pending_until_a_reboot_then_applied(model: RdsModel) -> None:
    steps = [
        step(1, "CreateDBInstance", instance("db.r6g.large"), who="terraform"),
        step(2, "ModifyDBInstance", instance("db.r6g.large", dBInstanceClass="db.r6g.xlarge")),
        # The reboot's response is the instance as the call found it: still pending.
        step(3, "RebootDBInstance", instance("db.r6g.large", dBInstanceClass="db.r6g.xlarge")),
        step(4, "ModifyDBInstance", instance("db.r6g.xlarge", storage=200), who="alice"),
    ]
    created, modified, rebooted, later = configuration_over_time(steps, "DBInstance", model)
    assert created.attributes["dBInstanceClass"].value == "db.r6g.large"
    assert created.attributes["dBInstanceClass"].changed_principal == "terraform"
    assert created.changed == () and created.pending == {}
    assert modified.pended == ("dBInstanceClass",)
    waiting = modified.pending["dBInstanceClass"]
    assert (waiting.value, waiting.status, waiting.requested_by) == (
        "db.r6g.xlarge",
        "pending",
        "e2",
    )
    assert rebooted.pending["dBInstanceClass"].requested_by == "e2"  # not the reboot
    assert later.pending == {}
    applied = later.ended["dBInstanceClass"]
    assert applied.status == "applied" and applied.applied_seen == "e4"
    # It applied between the last response that had it pending and the one showing it.
    assert (applied.applied_after, applied.applied_by_time) == (steps[2].time, steps[3].time)
    assert set(later.changed) == {"dBInstanceClass", "allocatedStorage"}
    assert later.attributes["allocatedStorage"].changed_principal == "alice"
    assert later.attributes["dBInstanceClass"].changed_by == "e4"


def test_a_value_pended_over_another_supersedes_it(model: RdsModel) -> None:
    steps = [
        step(1, "CreateDBInstance", instance("db.t4g.medium")),
        step(2, "ModifyDBInstance", instance("db.t4g.medium", dBInstanceClass="db.t4g.large")),
        step(3, "ModifyDBInstance", instance("db.t4g.medium", dBInstanceClass="db.m6g.large")),
    ]
    _, first, second = configuration_over_time(steps, "DBInstance", model)
    assert first.pending["dBInstanceClass"].status == "pending"
    assert second.ended["dBInstanceClass"].status == "superseded"
    assert second.ended["dBInstanceClass"].value == "db.t4g.large"
    # The last state: nothing after it shows the new value applied.
    latest = second.pending["dBInstanceClass"]
    assert (latest.value, latest.status, latest.requested_by) == (
        "db.m6g.large",
        "still pending",
        "e3",
    )


def test_failed_calls_and_null_responses_change_nothing(model: RdsModel) -> None:
    steps = [
        step(1, "CreateDBInstance", instance("db.t4g.medium")),
        step(2, "ModifyDBInstance", None),  # no response recorded
        step(3, "ModifyDBInstance", instance("db.r6g.large"), failed=True),
        step(4, "ModifyDBInstance", {}),
        step(5, "DescribeDBInstances", None),
    ]
    states = configuration_over_time(steps, "DBInstance", model)
    for state in states:
        assert state.attributes["dBInstanceClass"].value == "db.t4g.medium"
        assert state.attributes["dBInstanceClass"].changed_by == "e1"
        assert state.changed == () and state.pending == {} and state.ended == {}


def test_a_response_about_another_resource_is_not_this_ones(model: RdsModel) -> None:
    """CreateDBSnapshot names the instance, but answers with the snapshot: its
    allocatedStorage is the snapshot's, not a change of the instance."""
    steps = [
        step(1, "CreateDBInstance", instance("db.t4g.medium", storage=100)),
        step(
            2,
            "CreateDBSnapshot",
            {
                "dBSnapshotIdentifier": "s1",
                "dBInstanceIdentifier": "orders-prod",
                "allocatedStorage": 5,
            },
        ),
    ]
    _, after = configuration_over_time(steps, "DBInstance", model)
    assert after.attributes["allocatedStorage"].value == 100 and after.changed == ()
    assert "dBSnapshotIdentifier" not in after.attributes


def test_only_the_shapes_members_are_attributes(model: RdsModel) -> None:
    hostile = {**instance("db.t4g.medium"), "notAnRdsField": "x"}
    (state,) = configuration_over_time([step(1, "CreateDBInstance", hostile)], "DBInstance", model)
    assert "notAnRdsField" not in state.attributes
    assert "pendingModifiedValues" not in state.attributes
    # Without the model every key of the response counts.
    (bare,) = configuration_over_time([step(1, "CreateDBInstance", hostile)], "DBInstance", None)
    assert "notAnRdsField" in bare.attributes


def test_a_cluster_and_a_wrapped_response(model: RdsModel) -> None:
    cluster = {"dBClusterIdentifier": "ledger", "engineVersion": "15.4", "deletionProtection": True}
    steps = [
        step(1, "CreateDBCluster", {"dBCluster": cluster}),  # the API's wrapper kept
        step(2, "ModifyDBCluster", {**cluster, "deletionProtection": False}),
    ]
    _, modified = configuration_over_time(steps, "DBCluster", model)
    assert modified.changed == ("deletionProtection",)
    assert modified.attributes["engineVersion"].changed_by == "e1"
