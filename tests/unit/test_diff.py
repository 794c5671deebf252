"""Request vs response by meaning: every status, every RDS shape in the table, the User Guide
example and every shared record; then the diff as it is read: the summary line, the legend,
and the layout at 80 and 160 columns (keys whole, values wrapped between tokens, an applied
value once, long rows cut and opened whole), over the shared records and the demo trail."""

from __future__ import annotations

import gzip
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.present.diff import (
    DIFF_LEGEND,
    MISSING,
    SHAPES,
    Diff,
    DiffRow,
    Status,
    diff_legend_text,
    diff_record,
)
from rdstrail_tui.present.diff.layout import (
    MAX_ROW_LINES,
    DiffLayout,
    layout_diff,
    render_value,
)

DATA_DIR = Path(__file__).parents[1] / "data" / "rds-events"
# The event list's first-column marks: failed, write, unknown.
LIST_MARKS = ("!", "*", "?")


def record(request: Any, response: Any = None, **fields: Any) -> dict[str, Any]:
    return {
        "eventSource": "rds.amazonaws.com",
        "eventName": fields.pop("eventName", "ModifyDBInstance"),
        "requestParameters": request,
        "responseElements": response,
        "readOnly": False,
        **fields,
    }


def row(diff: Diff, key: str) -> DiffRow:
    found = [r for r in diff.rows if r.key == key]
    assert len(found) == 1, (key, diff.rows)
    return found[0]


def status(request: dict[str, Any], response: dict[str, Any], key: str | None = None) -> Status:
    """The status of the (first) requested key."""
    return row(diff_record(record(request, response)), key or next(iter(request))).status


# -- statuses ----------------------------------------------------------------------------


def test_symbols_are_distinct_single_ascii_characters() -> None:
    symbols = {s: s.symbol for s in Status}
    assert symbols == {
        Status.APPLIED: "=",
        Status.CHANGED: "~",
        Status.PENDING: ">",
        Status.MASKED: "#",
        Status.REQUEST_ONLY: ".",
        Status.SET_BY_AWS: "+",
    }
    # None is one of the event list's marks (failed, write, unknown), all are plain ASCII.
    assert not set(symbols.values()) & set(LIST_MARKS)
    assert all(symbol.isascii() and len(symbol) == 1 for symbol in symbols.values())
    assert [s.label for s in Status] == [
        "applied",
        "changed",
        "pending",
        "masked",
        "request only",
        "set by AWS",
    ]


def test_applied_changed_and_numbers_by_meaning() -> None:
    assert status({"allocatedStorage": 20}, {"allocatedStorage": 20.0}) is Status.APPLIED
    assert status({"storageType": "gp3"}, {"storageType": "gp2"}) is Status.CHANGED
    # JSON true is not the number 1, though Python says True == 1.
    assert status({"multiAZ": True}, {"multiAZ": 1}) is Status.CHANGED
    assert status({"engine": "mysql"}, {"engine": "MySQL"}) is Status.CHANGED


def test_modify_allocated_storage_pending_not_changed() -> None:
    diff = diff_record(
        record(
            {"dBInstanceIdentifier": "db1", "allocatedStorage": 100, "applyImmediately": False},
            {
                "dBInstanceIdentifier": "db1",
                "allocatedStorage": 20,
                "pendingModifiedValues": {"allocatedStorage": 100},
            },
        )
    )
    storage = row(diff, "allocatedStorage")
    assert storage.status is Status.PENDING
    assert storage.requested == 100
    assert storage.response == 20
    assert storage.detail == "pending; now 20"
    assert row(diff, "applyImmediately").status is Status.REQUEST_ONLY
    assert diff.summary() == "= 1 applied  > 1 pending  . 1 request only"


def test_pending_value_other_than_requested_is_changed() -> None:
    response = {"dBInstanceClass": "db.t3.micro", "pendingModifiedValues": {"dBInstanceClass": "x"}}
    got = row(diff_record(record({"dBInstanceClass": "db.r6g.large"}, response)), "dBInstanceClass")
    assert got.status is Status.CHANGED
    assert "pending: " in got.detail


@pytest.mark.parametrize(
    ("key", "requested", "now"),
    [
        ("dBInstanceClass", "db.r6g.large", "db.t3.micro"),
        ("availabilityZone", "us-east-1b", "us-east-1a"),
        ("engineVersion", "8.0.35", "8.0.28"),
        ("storageType", "gp3", "gp2"),
        ("iops", 3000, 1000),
        ("multiAZ", True, False),
        ("backupRetentionPeriod", 7, 1),
        ("preferredBackupWindow", "03:00-03:30", "10:27-10:57"),
        ("preferredMaintenanceWindow", "sun:05:00-sun:05:30", "sat:05:47-sat:06:17"),
        ("publiclyAccessible", False, True),
        ("deletionProtection", True, False),
        ("autoMinorVersionUpgrade", False, True),
        ("monitoringInterval", 60, 0),
        ("storageEncrypted", True, False),
        ("kmsKeyId", "alias/b", "alias/a"),
        ("dBName", "app", "test"),
        ("masterUsername", "admin", "root"),
        ("engine", "postgres", "mysql"),
    ],
)
def test_direct_keys_applied_changed_pending(key: str, requested: Any, now: Any) -> None:
    assert status({key: requested}, {key: requested}) is Status.APPLIED
    assert status({key: requested}, {key: now}) is Status.CHANGED
    pending = {key: now, "pendingModifiedValues": {key: requested}}
    assert status({key: requested}, pending) is Status.PENDING


def test_masked_on_either_side_is_never_compared() -> None:
    assert status({"masterUserPassword": "****"}, {}) is Status.MASKED
    assert status({"masterUserPassword": "*"}, {}) is Status.MASKED
    assert status({"dBName": "secret"}, {"dBName": "********"}) is Status.MASKED
    # Asterisks inside a value are not CloudTrail's masking.
    assert status({"dBName": "a**b"}, {"dBName": "a**b"}) is Status.APPLIED
    pending = {"pendingModifiedValues": {"masterUserPassword": "****"}}
    got = row(diff_record(record({"masterUserPassword": "****"}, pending)), "masterUserPassword")
    assert got.status is Status.MASKED
    assert "pending" in got.detail


def test_request_only_flags() -> None:
    request = {
        "dBInstanceIdentifier": "db1",
        "applyImmediately": True,
        "skipFinalSnapshot": False,
        "finalDBSnapshotIdentifier": "db1-final",
        "forceFailover": True,
        "allowMajorVersionUpgrade": False,
        "copyTagsToSnapshot": True,
    }
    diff = diff_record(record(request, {"dBInstanceIdentifier": "db1", "status": "deleting"}))
    for key in list(request)[1:]:
        got = row(diff, key)
        assert got.status is Status.REQUEST_ONLY
        assert got.response is MISSING
    # copyTagsToSnapshot is compared when the response has it.
    assert status({"copyTagsToSnapshot": True}, {"copyTagsToSnapshot": True}) is Status.APPLIED


def test_set_by_aws_rows_follow_the_request_sorted() -> None:
    diff = diff_record(
        record(
            {"dBInstanceIdentifier": "db1", "allocatedStorage": 100},
            {
                "dBInstanceStatus": "modifying",
                "dBInstanceIdentifier": "db1",
                "allocatedStorage": 20,
                "Endpoint": {"port": 5432},
                "pendingModifiedValues": {
                    "allocatedStorage": 100,
                    "dBInstanceClass": "db.t3.small",
                },
                "backupRetentionPeriod": 1,
            },
        )
    )
    keys = [r.key for r in diff.rows]
    assert keys == [
        "dBInstanceIdentifier",
        "allocatedStorage",
        "backupRetentionPeriod",
        "dBInstanceStatus",
        "Endpoint",
        "pendingModifiedValues.dBInstanceClass",
    ]
    aws = [r for r in diff.rows if r.status is Status.SET_BY_AWS]
    assert all(r.requested is MISSING for r in aws)
    assert row(diff, "Endpoint").response == {"port": 5432}
    assert diff.summary() == "= 1 applied  > 1 pending  + 4 set by AWS"


def test_case_insensitive_keys() -> None:
    response = {"DBInstanceIdentifier": "db1", "dBInstancePort": 3306}
    diff = diff_record(record({"dBInstanceIdentifier": "db1", "dbInstancePort": 3306}, response))
    assert row(diff, "dBInstanceIdentifier").status is Status.APPLIED
    assert row(diff, "dbInstancePort").status is Status.APPLIED
    assert not [r for r in diff.rows if r.status is Status.SET_BY_AWS]
    # pendingModifiedValues in another case still accounts for what it holds.
    odd = {"allocatedStorage": 20, "PendingModifiedValues": {"AllocatedStorage": 100, "iops": 3}}
    diff = diff_record(record({"allocatedStorage": 100}, odd))
    assert row(diff, "allocatedStorage").status is Status.PENDING
    assert [r.key for r in diff.rows[1:]] == ["PendingModifiedValues.iops"]
    # The exact spelling wins over another case.
    both = {"engine": "mysql", "Engine": "postgres"}
    assert status({"Engine": "postgres"}, both) is Status.APPLIED


# -- shapes ------------------------------------------------------------------------------


def test_vpc_security_group_ids() -> None:
    def groups(*pairs: tuple[str, str]) -> dict[str, Any]:
        return {"vpcSecurityGroups": [{"vpcSecurityGroupId": i, "status": s} for i, s in pairs]}

    ids = {"vpcSecurityGroupIds": ["sg-1", "sg-2"]}
    applied = diff_record(record(ids, groups(("sg-2", "active"), ("sg-1", "active"))))
    got = row(applied, "vpcSecurityGroupIds")
    assert got.status is Status.APPLIED  # order means nothing
    assert got.detail == "via vpcSecurityGroups[].vpcSecurityGroupId"
    assert got.response == ["sg-2", "sg-1"]
    assert not [r for r in applied.rows if r.key == "vpcSecurityGroups"]
    assert status(ids, groups(("sg-1", "active"), ("sg-3", "active"))) is Status.CHANGED
    moving = groups(("sg-1", "active"), ("sg-2", "adding"), ("sg-9", "removing"))
    got = row(diff_record(record(ids, moving)), "vpcSecurityGroupIds")
    assert got.status is Status.PENDING
    assert '"sg-2" adding' in got.detail
    assert status(ids, groups(("sg-1", "active"), ("sg-2", "pending-add"))) is Status.PENDING
    # Another spelling of the key, as CloudTrail writes it for ModifyDBCluster.
    odd = {"vPCSecurityGroupIds": ["sg-1"]}
    assert status(odd, groups(("sg-1", "active"))) is Status.APPLIED


def test_db_security_groups_by_name() -> None:
    response = {"dBSecurityGroups": [{"dBSecurityGroupName": "web", "status": "active"}]}
    assert status({"dBSecurityGroups": ["web"]}, response) is Status.APPLIED
    assert status({"dBSecurityGroups": ["db"]}, response) is Status.CHANGED
    adding = {"dBSecurityGroups": [{"dBSecurityGroupName": "web", "status": "adding"}]}
    assert status({"dBSecurityGroups": ["web"]}, adding) is Status.PENDING


def test_tags_vs_tag_list_as_sets_of_pairs() -> None:
    tags = {"tags": [{"key": "env", "value": "prod"}, {"key": "team", "value": "db"}]}
    tag_list = {"tagList": [{"Key": "team", "Value": "db"}, {"Key": "env", "Value": "prod"}]}
    got = row(diff_record(record(tags, tag_list)), "tags")
    assert got.status is Status.APPLIED
    assert got.detail == "via tagList"
    other = {"tagList": [{"key": "env", "value": "dev"}, {"key": "team", "value": "db"}]}
    assert status(tags, other) is Status.CHANGED
    assert status(tags, {}) is Status.REQUEST_ONLY


def test_parameter_group_membership() -> None:
    def groups(name: str, state: str) -> dict[str, Any]:
        return {
            "dBParameterGroups": [{"dBParameterGroupName": name, "parameterApplyStatus": state}]
        }

    asked = {"dBParameterGroupName": "custom-pg"}
    assert status(asked, groups("custom-pg", "in-sync")) is Status.APPLIED
    assert status(asked, groups("custom-pg", "applying")) is Status.PENDING
    got = row(
        diff_record(record(asked, groups("custom-pg", "pending-reboot"))), "dBParameterGroupName"
    )
    assert (got.status, got.detail) == (
        Status.PENDING,
        "pending: pending-reboot; via dBParameterGroups[].dBParameterGroupName",
    )
    assert status(asked, groups("default.mysql8.0", "in-sync")) is Status.CHANGED


def test_cluster_parameter_group_is_a_string() -> None:
    asked = {"dBClusterParameterGroupName": "cpg"}
    assert status(asked, {"dBClusterParameterGroup": "cpg"}) is Status.APPLIED
    assert status(asked, {"dBClusterParameterGroup": "default"}) is Status.CHANGED


def test_option_group_membership() -> None:
    def groups(state: str) -> dict[str, Any]:
        return {"optionGroupMemberships": [{"optionGroupName": "og", "status": state}]}

    assert status({"optionGroupName": "og"}, groups("in-sync")) is Status.APPLIED
    assert status({"optionGroupName": "og"}, groups("pending-apply")) is Status.PENDING
    assert status({"optionGroupName": "og"}, groups("adding")) is Status.PENDING
    assert status({"optionGroupName": "other"}, groups("in-sync")) is Status.CHANGED
    # Snapshots answer with the plain name.
    assert status({"optionGroupName": "og"}, {"optionGroupName": "og"}) is Status.APPLIED


def test_subnet_group_nested_or_string() -> None:
    asked = {"dBSubnetGroupName": "sub"}
    nested = {"dBSubnetGroup": {"dBSubnetGroupName": "sub", "vpcId": "vpc-1"}}
    assert status(asked, nested) is Status.APPLIED
    assert status(asked, {"dBSubnetGroup": {"dBSubnetGroupName": "default"}}) is Status.CHANGED
    assert status(asked, {"dBSubnetGroup": "sub"}) is Status.APPLIED  # clusters


def test_port_via_endpoint_instance_port_or_cluster_port() -> None:
    endpoint = {"endpoint": {"address": "db.example", "port": 5432}, "dbInstancePort": 0}
    diff = diff_record(record({"port": 5432}, endpoint))
    assert (row(diff, "port").status, row(diff, "port").detail) == (
        Status.APPLIED,
        "via endpoint.port",
    )
    # The unused candidate stays visible as set by AWS.
    assert row(diff, "dbInstancePort").status is Status.SET_BY_AWS
    assert status({"port": 3306}, {"dbInstancePort": 3306}) is Status.APPLIED
    assert status({"port": 3306}, {"port": 3306}) is Status.APPLIED
    assert status({"port": 3306}, {"endpoint": {"port": 5432}}) is Status.CHANGED
    pending = {"endpoint": {"port": 5432}, "pendingModifiedValues": {"port": 3306}}
    assert status({"port": 3306}, pending) is Status.PENDING


def test_cloudwatch_log_exports() -> None:
    asked = {"enableCloudwatchLogsExports": ["error", "audit"]}
    enabled = {"enabledCloudwatchLogsExports": ["audit", "error"]}
    assert status(asked, enabled) is Status.APPLIED
    assert status(asked, {"enabledCloudwatchLogsExports": ["audit"]}) is Status.CHANGED
    pending = {
        "pendingModifiedValues": {
            "pendingCloudwatchLogsExports": {"logTypesToEnable": ["audit", "error"]}
        }
    }
    assert status(asked, pending) is Status.PENDING


def test_cloudwatch_log_export_configuration() -> None:
    asked = {
        "cloudwatchLogsExportConfiguration": {
            "enableLogTypes": ["audit"],
            "disableLogTypes": ["general"],
        }
    }
    pending = {
        "enabledCloudwatchLogsExports": ["general"],
        "pendingModifiedValues": {
            "pendingCloudwatchLogsExports": {
                "logTypesToEnable": ["audit"],
                "logTypesToDisable": ["general"],
            }
        },
    }
    diff = diff_record(record(asked, pending))
    assert row(diff, "cloudwatchLogsExportConfiguration").status is Status.PENDING
    assert not [r for r in diff.rows if r.status is Status.SET_BY_AWS]
    done = {"enabledCloudwatchLogsExports": ["audit", "error"]}
    assert status(asked, done) is Status.APPLIED
    assert status(asked, {"enabledCloudwatchLogsExports": ["general"]}) is Status.CHANGED


def test_rename_is_pending() -> None:
    asked = {"dBInstanceIdentifier": "old", "newDBInstanceIdentifier": "new"}
    response = {
        "dBInstanceIdentifier": "old",
        "pendingModifiedValues": {"dBInstanceIdentifier": "new"},
    }
    diff = diff_record(record(asked, response))
    assert row(diff, "dBInstanceIdentifier").status is Status.APPLIED
    assert row(diff, "newDBInstanceIdentifier").status is Status.PENDING
    assert status({"newDBInstanceIdentifier": "new"}, {"dBInstanceIdentifier": "new"}) is (
        Status.APPLIED
    )


def test_snapshot_attribute_values() -> None:
    response = {"dBSnapshotAttributes": [{"attributeName": "restore", "attributeValues": ["all"]}]}
    assert status({"valuesToAdd": ["all"]}, response) is Status.APPLIED
    assert status({"valuesToAdd": ["123456789012"]}, response) is Status.CHANGED
    assert status({"valuesToRemove": ["123456789012"]}, response) is Status.APPLIED
    assert status({"valuesToRemove": ["all"]}, response) is Status.CHANGED


def test_the_shape_table_has_one_entry_per_key() -> None:
    keys = [shape.key.lower() for shape in SHAPES]
    assert len(keys) == len(set(keys))


# -- kinds -------------------------------------------------------------------------------


def test_failed_call_shows_the_request() -> None:
    diff = diff_record(
        record(
            {"dBInstanceIdentifier": "db1", "deletionProtection": False},
            None,
            errorCode="AccessDenied",
            errorMessage="User: arn:aws:iam::1:user/x is not authorized",
        )
    )
    assert diff.kind == "failed"
    assert diff.error_code == "AccessDenied"
    assert diff.error_message == "User: arn:aws:iam::1:user/x is not authorized"
    assert [(r.key, r.status) for r in diff.rows] == [
        ("dBInstanceIdentifier", Status.REQUEST_ONLY),
        ("deletionProtection", Status.REQUEST_ONLY),
    ]
    assert diff.summary() == "failed: AccessDenied  . 2 request only"


def test_read_only_calls() -> None:
    describe = diff_record(
        record(
            {"dBInstanceIdentifier": "db1"}, None, eventName="DescribeDBInstances", readOnly=None
        )
    )
    assert describe.kind == "read_only"
    assert [(r.key, r.status) for r in describe.rows] == [
        ("dBInstanceIdentifier", Status.REQUEST_ONLY)
    ]
    assert describe.summary() == "read-only call: no response is recorded  . 1 request only"
    flagged = diff_record(record({"maxRecords": 20}, None, eventName="Other", readOnly=True))
    assert flagged.kind == "read_only"
    # A mutating call without a recorded response is compared: nothing was echoed.
    modify = diff_record(record({"dBInstanceIdentifier": "db1"}, None))
    assert modify.kind == "compared"
    assert row(modify, "dBInstanceIdentifier").detail == "no response recorded"


def test_no_request_parameters() -> None:
    diff = diff_record(record(None, {"status": "available"}, eventName="StartDBInstance"))
    assert diff.kind == "no_request"
    assert [(r.key, r.status) for r in diff.rows] == [("status", Status.SET_BY_AWS)]
    assert diff.summary() == "no request parameters recorded  + 1 set by AWS"
    assert diff_record({}).kind == "no_request"


def test_counts_and_summary_order() -> None:
    diff = diff_record(
        record(
            {"a": 1, "b": 2, "c": "****", "d": True, "e": 5},
            {"a": 1, "b": 3, "e": 4, "z": 0, "pendingModifiedValues": {"e": 5}},
        )
    )
    counts = diff.counts()
    assert list(counts) == list(Status)
    assert counts[Status.APPLIED] == 1 and counts[Status.SET_BY_AWS] == 1
    # Every kind present, in a fixed order, each symbol next to its word.
    assert diff.summary() == (
        "= 1 applied  ~ 1 changed  > 1 pending  # 1 masked  . 1 request only  + 1 set by AWS"
    )


def test_odd_input_never_raises() -> None:
    deep: Any = "x"
    for _ in range(500):
        deep = [deep]
    odd = [
        record("not an object", {"a": 1}),
        record({"a": deep}, {"a": deep}),
        record({"a": 1}, ["not", "an", "object"]),
        record({"tags": "nope", "vpcSecurityGroupIds": 3}, {"tagList": 1, "vpcSecurityGroups": 2}),
        record({"dBParameterGroupName": "x"}, {"dBParameterGroups": [1, None, {"a": 1}]}),
        record({"a": 1}, {"pendingModifiedValues": "odd"}),
        record({"a": 1}, None, errorCode=17),
    ]
    for item in odd:
        diff_record(item).summary()


# -- real records ------------------------------------------------------------------------


def load(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads((DATA_DIR / name).read_bytes())["Records"]
    return records


def test_user_guide_create_db_instance() -> None:
    (guide,) = load("rds-user-guide-createdbinstance.json")
    diff = diff_record(guide)
    assert diff.kind == "compared"
    request = guide["requestParameters"]
    assert [r.key for r in diff.rows[: len(request)]] == list(request)
    for key in ("dBInstanceIdentifier", "dBInstanceClass", "allocatedStorage", "engine"):
        assert row(diff, key).status is Status.APPLIED, key
    assert row(diff, "masterUsername").status is Status.APPLIED
    logs = row(diff, "enableCloudwatchLogsExports")
    assert logs.status is Status.PENDING
    assert row(diff, "masterUserPassword").status is Status.MASKED
    aws = {r.key for r in diff.rows if r.status is Status.SET_BY_AWS}
    expected = set(guide["responseElements"]) - set(request) - {"pendingModifiedValues"}
    assert aws == expected
    assert "dBInstanceArn" in aws and "vpcSecurityGroups" in aws
    assert len(expected) == 26
    assert diff.summary() == "= 5 applied  > 1 pending  # 1 masked  + 26 set by AWS"


def test_every_shared_record() -> None:
    records = load("panther-rds-records.json") + load("rds-user-guide-createdbinstance.json")
    kinds = set()
    for item in records:
        diff = diff_record(item)
        kinds.add(diff.kind)
        assert diff.summary()
        request = item.get("requestParameters")
        asked = [r.key for r in diff.rows if r.status is not Status.SET_BY_AWS]
        if isinstance(request, dict):
            assert asked == list(request), item["eventID"]
        else:
            assert diff.kind in ("no_request", "failed", "read_only")
        if item.get("errorCode"):
            assert diff.kind == "failed"
    assert kinds >= {"compared", "failed", "read_only"}


# -- the summary line and the legend -----------------------------------------------------


def test_summary_maps_each_symbol_to_its_word_in_a_fixed_order() -> None:
    diff = diff_record(
        record({"e": 5, "d": True, "c": "****", "b": 2, "a": 1, "z": 9}, {"a": 1, "b": 3, "y": 0})
    )
    # No pending key: no "> 0 pending".
    assert (
        diff.summary() == "= 1 applied  ~ 1 changed  # 1 masked  . 3 request only  + 1 set by AWS"
    )
    words = dict(re.findall(r"(\S) \d+ ([a-zA-Z ]+?)(?=  |$)", diff.summary()))
    assert all(words[s.symbol] == s.label for s in Status if s.symbol in words)
    assert diff_record(record({}, {})).summary() == "nothing to compare"


def test_legend_names_every_symbol_and_fits_80_columns() -> None:
    assert [(symbol, name) for symbol, name, _ in DIFF_LEGEND] == [
        (s.symbol, s.label) for s in Status
    ]
    assert all(meaning and "\n" not in meaning for _, _, meaning in DIFF_LEGEND)
    # One line per symbol at 80 columns (76 in the help's box), the symbol first, its name,
    # then the meaning.
    assert diff_legend_text(76) == diff_legend_text(80) == diff_legend_text(160)
    text = diff_legend_text(80)
    lines = text.splitlines()
    assert len(lines) == len(Status)
    column = lines[0].index(DIFF_LEGEND[0][2])
    for line, (symbol, name, meaning) in zip(lines, DIFF_LEGEND):
        assert len(line) <= 80 and line.isascii()
        assert line == f"  {symbol}  {name}".ljust(column) + meaning
    assert "+  set by AWS" in text and "asked -> got" in text
    # Narrow: the meanings wrap between words, under their own column.
    narrow = diff_legend_text(44).splitlines()
    assert len(narrow) > len(Status)
    assert all(len(line) <= 44 for line in narrow)
    continued = [line for line in narrow if not line[:column].strip()]
    assert continued and all(line[column] != " " for line in continued)
    words = " ".join(line[column:] for line in narrow).split()
    assert words == " ".join(meaning for _, _, meaning in DIFF_LEGEND).split()


def test_no_other_name_for_the_keys_set_by_aws() -> None:
    package = Path(__file__).parents[2] / "rdstrail_tui"
    sources = [package / "present" / "diff", package / "tui" / "widgets" / "diff_view.py"]
    files = [p for src in sources for p in ([src] if src.is_file() else src.glob("*.py"))]
    for path in files:
        text = path.read_text().lower()
        for other in ("response only", "aws set", "aws default", "aws-set", "by amazon"):
            assert other not in text, (path, other)


# -- layout ------------------------------------------------------------------------------

WIDTHS = (80, 160)
JSON_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|[-0-9.eE+]+|true|false|null')


def load_demo() -> list[dict[str, Any]]:
    return list(_demo_records())


@cache
def _demo_records() -> tuple[dict[str, Any], ...]:
    records: list[dict[str, Any]] = []
    for path in sorted(shipped_trail_path().rglob("*.json.gz")):
        if "CloudTrail-Digest" not in path.parts:
            records.extend(json.loads(gzip.decompress(path.read_bytes()))["Records"])
    return tuple(records)


def guide() -> dict[str, Any]:
    (only,) = load("rds-user-guide-createdbinstance.json")
    return only


_last_text: list[tuple[DiffLayout, list[str]]] = []


def texts(layout: DiffLayout, item: int, *, strip: bool = True) -> list[str]:
    # The layout's text once per layout, not once per row (the layout is held, so its id
    # cannot pass to another).
    if not _last_text or _last_text[0][0] is not layout:
        _last_text[:] = [(layout, layout.text())]
    lines = [_last_text[0][1][line] for line in layout.item_lines(item)]
    return [line.rstrip() for line in lines] if strip else lines


def row_item(layout: DiffLayout, key: str) -> int:
    found = [i for i, item in enumerate(layout.items) if item.row and item.row.key == key]
    assert len(found) == 1, key
    return found[0]


def value_lines(layout: DiffLayout, item: int, *, strip: bool = True) -> list[str]:
    """The value part of each line of a row: after the key on the first, after the value
    column's indentation on the others."""
    lines = texts(layout, item, strip=strip)
    row = layout.items[item].row
    assert row is not None
    first = lines[0][3 + len(row.key) :].lstrip(" ")
    return [first, *(line.lstrip(" ") for line in lines[1:])]


def assert_reads_whole(layout: DiffLayout) -> None:
    """Every key whole on its row's first line, and no word of a value broken across lines
    unless it is longer than a whole line of the value column."""
    assert all(len(line) <= layout.width for line in layout.text())
    rest = layout.width - min(
        (len(line) - len(line.lstrip(" ")) for line in layout.text() if line.startswith(" ")),
        default=0,
    )
    for index, item in enumerate(layout.items):
        if item.row is None:
            continue
        lines = texts(layout, index)
        assert lines[0][:3] == f"{item.row.status.symbol}  "
        key = lines[0][3:]
        assert key.startswith(item.row.key) and key[len(item.row.key) : len(item.row.key) + 2] in (
            "  ",
            "",
        ), lines
        # Unstripped: a space that a line ends with is the one between two words.
        parts = value_lines(layout, index, strip=False)
        joined = "".join(parts)
        ends = set()
        offset = 0
        for part in parts[:-1]:
            offset += len(part)
            ends.add(offset)
        for word in JSON_WORD.finditer(joined):
            pieces = [m.span() for m in re.finditer(r"\S+ *", word.group())]
            for start, end in pieces:
                start, end = start + word.start(), end + word.start()
                inside = {b for b in ends if start < b < end}
                assert not inside or end - start > rest, (joined, word.group(), parts)


def test_values_wrap_between_tokens_and_keys_stay_whole() -> None:
    records = [guide(), *load("panther-rds-records.json")]
    records += [r for r in load_demo() if r.get("responseElements")][:400]
    for width in WIDTHS:
        for item in records:
            diff = diff_record(item)
            for expanded in (None, 0):
                layout = layout_diff(diff, width, show_aws=True, expanded=expanded)
                assert_reads_whole(layout)
                if diff.rows:
                    assert layout.text()[0] == diff.summary() or width < len(diff.summary())


def test_an_applied_value_is_shown_once_a_change_as_asked_to_got() -> None:
    diff = diff_record(
        record(
            {"dBInstanceIdentifier": "orders", "storageType": "gp3", "allocatedStorage": 100},
            {
                "dBInstanceIdentifier": "orders",
                "storageType": "gp2",
                "allocatedStorage": 20,
                "pendingModifiedValues": {"allocatedStorage": 100},
            },
        )
    )
    for width in WIDTHS:
        layout = layout_diff(diff, width)
        applied = texts(layout, row_item(layout, "dBInstanceIdentifier"))
        assert applied == [applied[0]] and applied[0].endswith('"orders"')
        assert applied[0].count("orders") == 1 and "->" not in applied[0]
        (changed,) = texts(layout, row_item(layout, "storageType"))
        assert changed.startswith("~  storageType") and changed.endswith('"gp3" -> "gp2"')
        (pending,) = texts(layout, row_item(layout, "allocatedStorage"))
        assert pending.startswith(">  allocatedStorage")
        assert pending.endswith("100 (pending; now 20)")


def test_a_long_key_pushes_its_value_along_the_line() -> None:
    request = {"dBInstanceIdentifier": "db1", **{f"key{i}": i for i in range(10)}}
    response = {**request, "iAMDatabaseAuthenticationEnabled": False}
    diff = diff_record(record(request, response))
    layout = layout_diff(diff, 80, show_aws=True)
    # The column holds the shorter keys; the long one is neither broken nor folded.
    (line,) = texts(layout, row_item(layout, "iAMDatabaseAuthenticationEnabled"))
    assert line == "+  iAMDatabaseAuthenticationEnabled  false"
    assert texts(layout, row_item(layout, "dBInstanceIdentifier")) == [
        '=  dBInstanceIdentifier  "db1"'
    ]
    assert texts(layout, row_item(layout, "key0")) == ["=  key0                  0"]
    # A made-up key longer than the line is the one thing that has to break.
    huge = "k" * 120
    layout = layout_diff(diff_record(record({huge: 1}, {})), 80)
    lines = texts(layout, 0)
    assert "".join(line[3:] for line in lines).startswith(huge)
    assert all(len(line) <= 80 for line in lines)


def test_long_rows_are_cut_with_an_ellipsis_and_open_whole() -> None:
    words = " ".join(f"word{i:03}" for i in range(120))
    arn = "arn:aws:kms:eu-west-1:111122223333:key/" + "90c70ec3-9afd-4852-bda5-74abf70feecf" * 3
    diff = diff_record(record({"dBName": words, "kmsKeyId": arn, "engine": "x"}, {"engine": "x"}))
    for width in WIDTHS:
        layout = layout_diff(diff, width)
        name, kms, engine = (row_item(layout, key) for key in ("dBName", "kmsKeyId", "engine"))
        assert layout.cut == {name} | ({kms} if width == 80 else set())
        cut = texts(layout, name)
        assert len(cut) == MAX_ROW_LINES and cut[-1].endswith("\u2026")
        assert layout.can_open(name) and not layout.can_open(engine)
        opened = layout_diff(diff, width, expanded=name)
        whole = value_lines(opened, row_item(opened, "dBName"))
        assert opened.expanded == name and not opened.cut & {name}
        assert len(whole) > MAX_ROW_LINES
        # Whole, and broken only between words.
        assert " ".join(part.rstrip() for part in whole) == (
            f'"{words}" (not in the RDS model\'s ModifyDBInstance request)'
        )
        unstripped = value_lines(opened, name, strip=False)[:-1]
        assert all(part.endswith((" ", '"')) for part in unstripped), unstripped
    # An id too long for a line is split, after one of its own separators.
    layout = layout_diff(diff, 80, expanded=1)
    parts = value_lines(layout, 1)
    assert "".join(parts).startswith(f'"{arn}"')
    assert parts[0].endswith(("/", ":", "-")), parts


def test_the_summary_wraps_between_groups() -> None:
    diff = diff_record(
        record(
            {"a": 1, "b": 2, "c": "****", "d": True, "e": 5},
            {"a": 1, "b": 3, "e": 4, "z": 0, "pendingModifiedValues": {"e": 5}},
        )
    )
    layout = layout_diff(diff, 40)
    header = [t for t, item in zip(layout.text(), layout.line_items) if item == -1]
    assert len(header) == 3
    groups = [g for line in header for g in line.strip().split("  ")]
    assert groups == [f"{s.symbol} 1 {s.label}" for s in Status]


def test_render_value_is_compact_printable_json() -> None:
    value = {"a": [1, 2.5, True, None], "b\x1b": "x\u202ey", "c": {}}
    assert render_value(value) == '{"a":[1,2.5,true,null],"b\\x1b":"x\\u202ey","c":{}}'
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    assert render_value(deep).count("[") == 16
    assert "\u2026" in render_value(deep)


# -- driven by the RDS model ---------------------------------------------------------------


def test_an_operation_the_model_does_not_know_compares_by_key_name_and_says_so() -> None:
    diff = diff_record(record({"fooBarName": "x"}, {"fooBarName": "x"}, eventName="ModifyFooBar"))
    assert row(diff, "fooBarName").status is Status.APPLIED
    assert diff.note == "ModifyFooBar is not in the RDS model: compared by key name"
    assert diff.summary().endswith("ModifyFooBar is not in the RDS model: compared by key name")
    known = diff_record(record({"dBInstanceIdentifier": "a"}, {"dBInstanceIdentifier": "a"}))
    assert known.note == ""


def test_values_compare_as_the_model_types_them() -> None:
    """Some sources write booleans and numbers as strings: by the model's type they are
    the same value; a string member stays a string."""
    diff = diff_record(
        record(
            {"multiAZ": "true", "allocatedStorage": "100", "engineVersion": "16"},
            {"multiAZ": True, "allocatedStorage": 100, "engineVersion": 16},
        )
    )
    assert row(diff, "multiAZ").status is Status.APPLIED
    assert row(diff, "allocatedStorage").status is Status.APPLIED
    assert row(diff, "engineVersion").status is Status.CHANGED  # a string in the model


def test_a_sensitive_member_in_a_pending_value_is_masked_too() -> None:
    hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"
    diff = diff_record(
        record(
            {"masterUserPassword": hidden},
            {"pendingModifiedValues": {"masterUserPassword": hidden}},
        )
    )
    password = row(diff, "masterUserPassword")
    assert (password.status, password.detail) == (
        Status.MASKED,
        "value hidden; a change is pending",
    )
    assert password.pending == hidden
