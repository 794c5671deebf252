"""Two events compared key by key (present/compare): what the second of two modifies of one
DB changed, secrets never called changed, values read by the RDS model's types, keys only
one side has, notes on different calls and resources, two points of a configuration, hostile
text shown escaped, and the text at 80 columns and the JSON form."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.model.configuration import Step, configuration_over_time
from rdstrail_tui.model.event import event_from_record
from rdstrail_tui.model.rds_api import rds_model
from rdstrail_tui.present.compare import (
    CompareRow,
    CompareStatus,
    Comparison,
    compare_configurations,
    compare_events,
    compare_json,
    compare_records,
)
from rdstrail_tui.present.compare_layout import compare_lines, compare_text
from rdstrail_tui.present.diff import MISSING
from tests.conftest import make_record

REAL = Path(__file__).parents[1] / "data" / "real-rds"
SAME, CHANGED = CompareStatus.SAME, CompareStatus.CHANGED
ONLY_LEFT, ONLY_RIGHT, MASKED = (
    CompareStatus.ONLY_LEFT,
    CompareStatus.ONLY_RIGHT,
    CompareStatus.MASKED,
)
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


@pytest.fixture(autouse=True, scope="module")
def needs_model() -> None:
    assert rds_model() is not None, "botocore's RDS model drives these comparisons"


def rows(result: Comparison, section: str) -> dict[str, CompareRow]:
    return {row.path: row for row in result.rows if row.section == section}


def statuses(result: Comparison, section: str) -> dict[str, CompareStatus]:
    return {path: row.status for path, row in rows(result, section).items()}


def different(result: Comparison, section: str) -> dict[str, CompareStatus]:
    return {path: s for path, s in statuses(result, section).items() if s is not SAME}


def instance(**fields: Any) -> dict[str, Any]:
    """A DBInstance as a ModifyDBInstance response records it."""
    found: dict[str, Any] = {
        "dBInstanceIdentifier": "orders-prod",
        "dBInstanceClass": "db.r6g.large",
        "allocatedStorage": 100,
        "multiAZ": False,
        "dBInstanceStatus": "available",
        "availabilityZone": "us-east-1a",
        "vpcSecurityGroups": [
            {"vpcSecurityGroupId": "sg-1", "status": "active"},
            {"vpcSecurityGroupId": "sg-2", "status": "active"},
        ],
        "pendingModifiedValues": {},
    }
    found.update(fields)
    return found


def modify(request: dict[str, Any], response: Any, **fields: Any) -> dict[str, Any]:
    return make_record(
        requestParameters={"dBInstanceIdentifier": "orders-prod", **request},
        responseElements=response,
        **fields,
    )


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


# -- two modifies of one DB ------------------------------------------------------------------


def test_the_second_modify_reads_as_what_it_changed_relative_to_the_first() -> None:
    # Monday: a class change, pending until the maintenance window. Tuesday: more storage,
    # by someone else; by then the class has applied.
    first = modify(
        {"dBInstanceClass": "db.r6g.xlarge", "applyImmediately": False},
        instance(pendingModifiedValues={"dBInstanceClass": "db.r6g.xlarge"}),
        eventTime="2024-03-04T09:00:00Z",
    )
    second = modify(
        {"allocatedStorage": 200, "applyImmediately": True},
        instance(dBInstanceClass="db.r6g.xlarge", dBInstanceStatus="modifying"),
        eventTime="2024-03-05T09:00:00Z",
        userIdentity={"type": "IAMUser", "userName": "bob", "accountId": "111122223333"},
    )
    result = compare_records(first, second)
    assert result.notes == ()  # same call, same resource, in time order
    assert (result.left.principal, result.right.principal) == ("alice", "bob")
    assert statuses(result, "request") == {
        "dBInstanceIdentifier": SAME,
        "dBInstanceClass": ONLY_LEFT,
        "allocatedStorage": ONLY_RIGHT,
        "applyImmediately": CHANGED,
    }
    response = rows(result, "response")
    assert different(result, "response") == {
        "dBInstanceClass": CHANGED,
        "dBInstanceStatus": CHANGED,
        "pendingModifiedValues.dBInstanceClass": ONLY_LEFT,
    }
    klass = response["dBInstanceClass"]
    assert (klass.left, klass.right) == ("db.r6g.large", "db.r6g.xlarge")
    assert response["pendingModifiedValues.dBInstanceClass"].right is MISSING
    # Requested keys first in the request's order, each side's own keys among them.
    assert [row.path for row in result.rows if row.section == "request"] == [
        "dBInstanceIdentifier",
        "dBInstanceClass",
        "allocatedStorage",
        "applyImmediately",
    ]


def test_two_real_modifies_of_one_db_differ_by_the_password_the_second_set() -> None:
    records = json.loads((REAL / "flatironhealth-aws-remediation-framework.json").read_text())
    plain, with_password = records["Records"][1], records["Records"][5]
    result = compare_records(plain, with_password)
    assert different(result, "request") == {"masterUserPassword": ONLY_RIGHT}
    assert different(result, "response") == {"pendingModifiedValues.masterUserPassword": ONLY_RIGHT}
    # The real response's nested values are compared leaf by leaf, lists of groups by id.
    response = rows(result, "response")
    assert response["endpoint.port"].status is SAME
    assert response["vpcSecurityGroups[sg-abcd].status"].left == "active"
    assert response["dBParameterGroups[default.mysql5.7].parameterApplyStatus"].status is SAME


# -- secrets ---------------------------------------------------------------------------------


def test_a_masked_password_is_masked_never_changed() -> None:
    old = modify({"masterUserPassword": "****"}, None)
    new = modify({"masterUserPassword": "HIDDEN_DUE_TO_SECURITY_REASONS"}, None)
    assert statuses(compare_records(old, new), "request")["masterUserPassword"] is MASKED
    # The model marks the member sensitive: masked whatever stands in its place.
    odd = compare_records(
        modify({"masterUserPassword": "a"}, None), modify({"masterUserPassword": "b"}, None)
    )
    assert statuses(odd, "request")["masterUserPassword"] is MASKED
    # A stand-in under a key the model does not know is a secret all the same.
    unknown = compare_records(
        make_record(eventName="ModifyFooBar", requestParameters={"token": "****"}),
        make_record(eventName="ModifyFooBar", requestParameters={"token": "REDACTED"}),
    )
    assert statuses(unknown, "request")["token"] is MASKED


# -- types -----------------------------------------------------------------------------------


def test_values_read_by_the_models_type_of_the_member() -> None:
    left = modify(
        {"allocatedStorage": "100", "multiAZ": "true", "dBInstanceClass": "db.t3.micro"},
        instance(instanceCreateTime="Jul 17, 2019 7:31:39 PM", allocatedStorage="100"),
    )
    right = modify(
        {"allocatedStorage": 100, "multiAZ": True, "dBInstanceClass": "db.t3.micro"},
        instance(instanceCreateTime="2019-07-17T19:31:39Z", allocatedStorage=100.0),
    )
    result = compare_records(left, right)
    assert set(statuses(result, "request").values()) == {SAME}
    assert statuses(result, "response")["instanceCreateTime"] is SAME
    assert statuses(result, "response")["allocatedStorage"] is SAME
    # A string member stays a string, as in the diff: "100" is not 100 there.
    strings = compare_records(
        modify({"dBInstanceClass": "100"}, None), modify({"dBInstanceClass": 100}, None)
    )
    assert statuses(strings, "request")["dBInstanceClass"] is CHANGED
    # booleans are not numbers, and "yes" is no boolean.
    odd = compare_records(modify({"multiAZ": "yes"}, None), modify({"multiAZ": True}, None))
    assert statuses(odd, "request")["multiAZ"] is CHANGED


def test_where_the_model_does_not_know_the_call_values_are_read_by_their_json_type() -> None:
    left = make_record(
        eventName="ModifyFooBar", requestParameters={"flag": "true", "size": "20", "x": "a"}
    )
    right = make_record(
        eventName="ModifyFooBar", requestParameters={"flag": True, "size": 20, "x": 1}
    )
    result = compare_records(left, right)
    assert statuses(result, "request") == {"flag": SAME, "size": SAME, "x": CHANGED}
    assert "ModifyFooBar is not in the RDS model: values read as written" in result.notes


def test_order_means_nothing_where_the_shapes_say_so() -> None:
    left = modify(
        {"vpcSecurityGroupIds": ["sg-1", "sg-2"]},
        instance(availabilityZones=["a", "b"], tagList=[{"key": "env", "value": "prod"}]),
    )
    reordered = instance(
        availabilityZones=["b", "a"],
        vpcSecurityGroups=[
            {"vpcSecurityGroupId": "sg-2", "status": "active"},
            {"vpcSecurityGroupId": "sg-1", "status": "removing"},
        ],
        tagList=[{"key": "team", "value": "db"}, {"key": "env", "value": "dev"}],
    )
    right = modify({"vpcSecurityGroupIds": ["sg-2", "sg-1"]}, reordered)
    result = compare_records(left, right)
    assert statuses(result, "request")["vpcSecurityGroupIds"] is SAME
    assert different(result, "response") == {
        "vpcSecurityGroups[sg-1].status": CHANGED,
        "tagList[env].value": CHANGED,
        "tagList[team].value": ONLY_RIGHT,
    }


def test_a_subnet_group_named_or_described_compares_by_its_name() -> None:
    # Some records answer dBSubnetGroup with the name alone, others with the group.
    named = modify({}, instance(dBSubnetGroup="default"))
    described = modify(
        {}, instance(dBSubnetGroup={"dBSubnetGroupName": "default", "vpcId": "vpc-1"})
    )
    result = compare_records(named, described)
    assert statuses(result, "response")["dBSubnetGroup.dBSubnetGroupName"] is SAME
    assert different(result, "response") == {"dBSubnetGroup.vpcId": ONLY_RIGHT}


def test_an_empty_list_or_object_reads_as_nothing_there() -> None:
    left = modify({}, instance(readReplicaDBInstanceIdentifiers=[]))
    right = modify({}, instance(pendingModifiedValues={"allocatedStorage": 200}))
    result = compare_records(left, right)
    assert different(result, "response") == {"pendingModifiedValues.allocatedStorage": ONLY_RIGHT}
    assert "pendingModifiedValues" not in rows(result, "response")  # `{}` says nothing more
    assert statuses(result, "response")["readReplicaDBInstanceIdentifiers"] is SAME


# -- notes -----------------------------------------------------------------------------------


def test_different_operations_and_resources_are_noted_and_compared_all_the_same() -> None:
    modified = modify({"dBInstanceClass": "db.t3.small"}, instance())
    snapshot = make_record(
        eventName="CreateDBSnapshot",
        eventTime="2024-02-01T00:00:00Z",
        requestParameters={"dBInstanceIdentifier": "billing", "dBSnapshotIdentifier": "snap-1"},
        responseElements={"dBSnapshotIdentifier": "snap-1", "dBInstanceIdentifier": "billing"},
    )
    result = compare_records(modified, snapshot)
    assert any(
        n.startswith("different operations: ModifyDBInstance and CreateDBSnapshot")
        for n in result.notes
    )
    assert any(n.startswith("different resources: orders-prod") for n in result.notes)
    assert "the left event is the later one" in result.notes
    assert statuses(result, "request")["dBInstanceIdentifier"] is CHANGED
    assert statuses(result, "request")["dBSnapshotIdentifier"] is ONLY_RIGHT
    # A failed call and one with no response say so.
    failed = modify({}, None, errorCode="AccessDenied", errorMessage="no")
    noted = compare_records(modified, failed).notes
    assert "the right call failed (AccessDenied): nothing it asked was applied" in noted
    assert "the right event has no response recorded" in noted
    # One instance written in two cases is one resource.
    upper = make_record(requestParameters={"dBInstanceIdentifier": "Orders-Prod"})
    assert not any("different resources" in n for n in compare_records(modified, upper).notes)


def test_compare_events_reads_the_raw_records_and_heads_with_the_events_fields() -> None:
    left_record = modify({"dBInstanceClass": "db.t3.small"}, None)
    right_record = modify({"dBInstanceClass": "db.t3.large"}, None)
    left = event_from_record(left_record, json.dumps(left_record).encode())
    right = event_from_record(right_record, json.dumps(right_record).encode())
    result = compare_events(left, right)
    assert result.left.event_id == left.event_id and result.right.time == right.event_time
    assert statuses(result, "request")["dBInstanceClass"] is CHANGED


# -- configurations ----------------------------------------------------------------------------


def test_two_points_of_a_configuration() -> None:
    def step(n: int, name: str, response: dict[str, Any]) -> Step:
        return Step(f"e{n}", 1_700_000_000 + n * 3600, name, "carol", False, response)

    steps = [
        step(1, "CreateDBInstance", instance()),
        step(
            2,
            "ModifyDBInstance",
            instance(pendingModifiedValues={"dBInstanceClass": "db.r6g.xlarge"}),
        ),
        step(3, "ModifyDBInstance", instance(dBInstanceClass="db.r6g.xlarge", multiAZ="false")),
    ]
    created, pended, applied = configuration_over_time(steps, "DBInstance", rds_model())
    result = compare_configurations(
        pended, applied, left_title="after e2", right_title="after e3", shape="DBInstance"
    )
    assert result.kind == "configurations"
    assert (result.left.title, result.right.event_id) == ("after e2", "e3")
    assert different(result, "configuration") == {"dBInstanceClass": CHANGED}  # "false" is false
    assert different(result, "pending") == {"dBInstanceClass": ONLY_LEFT}
    lines = compare_lines(result, 80)
    assert any(line.startswith("Configuration") for line in lines)
    assert any(line.startswith("Pending values") for line in lines)
    assert (
        "the same point of the history on both sides"
        in compare_configurations(created, created).notes
    )


# -- text and JSON -----------------------------------------------------------------------------


def test_hostile_text_is_shown_escaped() -> None:
    evil_key = "\x1b[2J\x1b]52;c;aGk=\x07key"
    left = modify({evil_key: "a\u202eb", "note": "\x9b31m"}, None)
    right = modify({evil_key: "c\nd"}, None, eventName="Modify\x1b[31mDBInstance")
    result = compare_records(left, right)
    text = compare_text(result, 80, show_same=True)
    assert not UNSAFE.search(text.replace("\n", ""))
    assert "\\x1b[2J\\x1b]52;c;aGk=\\x07key" in text
    assert '"a\\u202eb"' in text and '"c\\nd"' in text and "Modify\\x1b[31mDBInstance" in text


def test_text_fits_80_columns_and_counts_the_same_rows() -> None:
    long_value = "arn:aws:rds:us-east-1:111122223333:db:" + "x" * 300
    left = modify(
        {"dBInstanceClass": "db.t3.small", "domain": long_value},
        instance(
            pendingModifiedValues={"pendingCloudwatchLogsExports": {"logTypesToEnable": ["audit"]}}
        ),
    )
    right = modify({"dBInstanceClass": "db.t3.large", "domain": long_value + "y"}, instance())
    result = compare_records(left, right)
    lines = compare_lines(result, 80)
    assert all(cells(line) <= 80 for line in lines), max(lines, key=cells)
    assert not any(line.endswith(" ") for line in lines)
    assert lines[0].split() == ["LEFT", "|", "RIGHT"]
    request_line = next(line for line in lines if line.startswith("Request parameters"))
    assert "~ 2 changed" in request_line and "= 1 same (hidden: --all shows them)" in request_line
    assert not any(line.startswith("=  ") for line in lines)  # the same rows are hidden
    # A long value wraps, then is cut with an ellipsis; a long path has a line of its own.
    domain = next(i for i, line in enumerate(lines) if line.startswith("~  domain"))
    assert "\u2026" not in lines[domain] + lines[domain + 1]
    assert lines[domain + 2].count("\u2026") == 2  # the third line of each side, cut
    assert any(
        line == "<  pendingModifiedValues.pendingCloudwatchLogsExports.logTypesToEnable"
        for line in lines
    )
    shown = compare_lines(result, 80, show_same=True)
    assert any(line.startswith("=  dBInstanceIdentifier") for line in shown)
    assert all(cells(line) <= 40 for line in compare_lines(result, 20))  # MIN_WIDTH


def test_json_form() -> None:
    left = modify({"dBInstanceClass": "db.t3.small", "applyImmediately": True}, None)
    right = modify({"dBInstanceClass": "db.t3.large"}, None, errorCode="InvalidDBInstanceState")
    document: dict[str, Any] = compare_json(compare_records(left, right))
    json.dumps(document)  # plain data
    assert set(document) == {"kind", "left", "right", "notes", "summary", "rows"}
    assert document["left"] == {
        "eventID": left["eventID"],
        "time": "2024-03-01T12:00:00Z",
        "eventName": "ModifyDBInstance",
        "principal": "alice",
        "error": None,
        "resource": "orders-prod",
    }
    assert document["right"]["error"] == "InvalidDBInstanceState"
    by_path = {row["path"]: row for row in document["rows"]}
    assert by_path["dBInstanceClass"] == {
        "section": "request",
        "path": "dBInstanceClass",
        "left": "db.t3.small",
        "right": "db.t3.large",
        "status": "changed",
    }
    # A side without a value is left out; null would be a value.
    assert by_path["applyImmediately"] == {
        "section": "request",
        "path": "applyImmediately",
        "left": True,
        "status": "only-left",
    }
    assert document["summary"] == {
        "same": 1,
        "changed": 1,
        "only-left": 1,
        "only-right": 0,
        "masked": 0,
    }


def test_odd_input_never_raises() -> None:
    deep: Any = "x"
    for _ in range(300):
        deep = {"a": deep}
    wide = {f"k{i}": i for i in range(6000)}
    odd = compare_records(
        {"requestParameters": deep, "responseElements": [1, 2]},
        {"requestParameters": wide, "eventTime": "not a time", "userIdentity": "?"},
    )
    assert odd.left.time is None
    assert any(note.startswith("more than 5000 values") for note in odd.notes)
    json.dumps(compare_json(odd))
    compare_text(odd, 80, show_same=True)
