"""Real RDS records, published by security and observability projects (tests/data/real-rds,
sources and licences in its README; `_edited` marks the few edited minimally for a case no
real record shows): the diff, the risk flags and the read/write inference read them right."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.access import infer_read_only
from rdstrail_tui.model.dates import parse_loose_time
from rdstrail_tui.model.event import event_from_record
from rdstrail_tui.model.rds_api import rds_model
from rdstrail_tui.model.risk import flags_in
from rdstrail_tui.present.diff import Diff, DiffRow, Status, diff_record

REAL = Path(__file__).parent.parent / "data" / "real-rds"


def records(name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads((REAL / f"{name}.json").read_bytes())["Records"]
    return found


def record(name: str, index: int) -> dict[str, Any]:
    return records(name)[index]


STRATUS = "DataDog-stratus-red-team"
FLATIRON = "flatironhealth-aws-remediation-framework"
SUMO = "SumoLogic-sumologic-documentation"
DYNATRACE = "dynatrace-oss-dynatrace-aws-log-forwarder"
RDS_GUIDE = "awsdocs-amazon-rds-user-guide"
AURORA_GUIDE = "awsdocs-amazon-aurora-user-guide"


def row(diff: Diff, key: str) -> DiffRow:
    (found,) = [r for r in diff.rows if r.key == key]
    return found


def flag_names(rec: dict[str, Any]) -> list[str]:
    return [flag.name for flag in flags_in(event_from_record(rec, b"").flags)]


# -- masks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "index", "mask", "pending"),
    [
        (SUMO, 0, "****", False),  # CreateDBCluster, real
        (FLATIRON, 2, "****", True),  # CreateDBInstance, real; masked under pending too
        (FLATIRON, 3, "HIDDEN_DUE_TO_SECURITY_REASONS", True),  # edited: the current form
        (FLATIRON, 5, "HIDDEN_DUE_TO_SECURITY_REASONS", True),  # edited: a ModifyDBInstance
        (SUMO, 2, "...", False),  # edited: a vendor's redaction
    ],
)
def test_every_mask_reads_as_changed_with_the_value_hidden(
    name: str, index: int, mask: str, pending: bool
) -> None:
    rec = record(name, index)
    assert rec["requestParameters"]["masterUserPassword"] == mask
    password = row(diff_record(rec), "masterUserPassword")
    assert password.status is Status.MASKED
    assert password.detail.startswith("value hidden")
    assert ("a change is pending" in password.detail) is pending


def test_the_data_api_masks_with_ten_asterisks_and_is_compared_by_name() -> None:
    rec = record(AURORA_GUIDE, 0)
    assert rec["eventSource"] == "rdsdata.amazonaws.com"
    diff = diff_record(rec)
    assert row(diff, "sql").status is Status.MASKED and rec["requestParameters"]["sql"] == "*" * 10
    assert diff.note == "not an RDS call: compared by key name"


def test_a_sensitive_member_is_masked_whatever_it_holds() -> None:
    rec = dict(record(FLATIRON, 5))
    rec["requestParameters"] = {**rec["requestParameters"], "masterUserPassword": "hunter2!"}
    assert row(diff_record(rec), "masterUserPassword").status is Status.MASKED


# -- snapshot sharing ----------------------------------------------------------------------


def test_snapshot_shared_with_an_account() -> None:
    for rec in (record(STRATUS, 0), record(FLATIRON, 0)):  # both real
        diff = diff_record(rec)
        added = row(diff, "valuesToAdd")
        assert added.status is Status.APPLIED
        assert added.detail.startswith("now shared with 1 account")
        assert row(diff, "attributeName").status is Status.APPLIED
        assert flag_names(rec) == ["snapshot-shared"]


def test_snapshot_made_public() -> None:
    rec = record(STRATUS, 1)  # edited: valuesToAdd ["all"]
    assert "_edited" in rec
    added = row(diff_record(rec), "valuesToAdd")
    assert (added.status, added.detail) == (Status.APPLIED, "now public (all)")
    assert flag_names(rec) == ["snapshot-public"]


def test_a_removal_is_applied_when_the_value_is_gone() -> None:
    rec = record(STRATUS, 2)  # edited: valuesToRemove
    removed = row(diff_record(rec), "valuesToRemove")
    assert removed.status is Status.APPLIED
    assert removed.detail == "now shared with no other account"
    assert flag_names(rec) == []  # removing a share is no risk
    # Still listed after the call: the removal did not happen.
    still = json.loads(json.dumps(rec))
    still["responseElements"]["dBSnapshotAttributes"][0]["attributeValues"] = ["503161813013"]
    assert row(diff_record(still), "valuesToRemove").status is Status.CHANGED


def test_the_cluster_variant_and_a_wrapped_result() -> None:
    rec = record(STRATUS, 3)  # edited: the cluster call
    assert row(diff_record(rec), "valuesToAdd").status is Status.APPLIED
    assert flag_names(rec) == ["snapshot-shared"]
    # The API's result wrapper, as some records keep it, reads the same.
    wrapped = json.loads(json.dumps(record(STRATUS, 0)))
    wrapped["responseElements"] = {"dBSnapshotAttributesResult": wrapped["responseElements"]}
    diff = diff_record(wrapped)
    assert row(diff, "valuesToAdd").status is Status.APPLIED
    assert not [r for r in diff.rows if r.status is Status.SET_BY_AWS]


def test_sharing_with_the_own_account_is_not_flagged() -> None:
    rec = json.loads(json.dumps(record(STRATUS, 0)))
    rec["requestParameters"]["valuesToAdd"] = [rec["recipientAccountId"]]
    assert flag_names(rec) == []


# -- modifies, failures, proxies, dates, empty responses -----------------------------------


def test_a_cluster_response_has_no_pending_values_and_still_compares() -> None:
    rec = record(SUMO, 0)  # CreateDBCluster, real: no pendingModifiedValues
    assert "pendingModifiedValues" not in rec["responseElements"]
    diff = diff_record(rec)
    # dBSubnetGroup is a string for clusters (an object for instances).
    assert row(diff, "dBSubnetGroupName").status is Status.APPLIED
    assert row(diff, "enableCloudwatchLogsExports").detail == "via enabledCloudwatchLogsExports"
    assert diff.counts()[Status.APPLIED] == 12


def test_a_modify_that_answers_with_the_old_value() -> None:
    rec = record(FLATIRON, 1)  # real: publiclyAccessible false asked, true at call time
    public = row(diff_record(rec), "publiclyAccessible")
    assert public.status is Status.CHANGED
    assert public.detail == "the response shows the state when the call was made"


def test_a_modify_whose_new_value_waits_under_pending(shared_record_list: Any) -> None:
    (rec,) = [
        r
        for r in shared_record_list
        if r["eventName"] == "ModifyDBInstance"
        and r["requestParameters"].get("allocatedStorage") == 22
    ]
    storage = row(diff_record(rec), "allocatedStorage")
    assert (storage.status, storage.detail, storage.pending) == (
        Status.PENDING,
        "pending; now 20",
        22,
    )


def test_a_failed_call() -> None:
    rec = record(DYNATRACE, 1)  # ModifyDBCluster, InvalidDBClusterStateFault
    diff = diff_record(rec)
    assert diff.kind == "failed" and diff.error_code == "InvalidDBClusterStateFault"
    assert {r.status for r in diff.rows} == {Status.REQUEST_ONLY}


def test_a_proxy_call() -> None:
    rec = record(DYNATRACE, 4)  # RegisterDBProxyTargets
    diff = diff_record(rec)
    assert diff.note == "" and row(diff, "dBProxyName").status is Status.REQUEST_ONLY
    assert event_from_record(rec, b"").resource == "beluTestRDSProxy"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("May 28, 2021 11:29:00 AM", "2021-05-28T11:29:00"),
        ("Tue Jun 29 12:21:35 UTC 2021", "2021-06-29T12:21:35"),
        ("Dec 18, 2019 5:28:46 PM", "2019-12-18T17:28:46"),
    ],
)
def test_non_iso_dates_in_real_records(value: str, iso: str) -> None:
    from datetime import datetime, timezone

    expected = datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp()
    assert parse_loose_time(value) == expected
    texts = json.dumps([records(n) for n in (DYNATRACE, SUMO, FLATIRON, RDS_GUIDE)])
    assert value in texts


def test_null_absent_and_empty_responses() -> None:
    null = record(DYNATRACE, 0)
    assert "responseElements" in null and null["responseElements"] is None
    absent = record(RDS_GUIDE, 0)
    assert "responseElements" not in absent
    empty = record(DYNATRACE, 7)  # edited: {}
    assert empty["responseElements"] == {}
    for rec in (null, absent, empty):
        diff = diff_record(rec)
        assert not [r for r in diff.rows if r.status in (Status.APPLIED, Status.CHANGED)]


def test_an_empty_echo_is_never_changed() -> None:
    rec = json.loads(json.dumps(record(FLATIRON, 2)))
    rec["responseElements"]["tagList"] = []
    tags = row(diff_record(rec), "tags")
    assert (tags.status, tags.detail) == (
        Status.REQUEST_ONLY,
        "the response holds it empty; via tagList",
    )


# -- read or write -------------------------------------------------------------------------


def test_a_2014_record_without_read_only_is_inferred() -> None:
    for rec in records(RDS_GUIDE)[:2]:  # eventVersion 1.0: CreateDBSnapshot, DeleteDBInstance
        assert "readOnly" not in rec
        event = event_from_record(rec, b"")
        assert event.read_only is False and event.read_only_inferred
    old = record(FLATIRON, 4)  # edited: eventVersion 1.02 ModifyDBInstance
    assert old["eventVersion"] == "1.02" and "readOnly" not in old
    assert event_from_record(old, b"").read_only_inferred


def test_every_operation_of_the_model_has_a_read_or_write_answer() -> None:
    model = rds_model()
    assert model is not None
    names = model.operations()
    assert len(names) >= 160
    answers = {name: infer_read_only(name) for name in names}
    assert None not in answers.values()
    assert answers["DescribeDBInstances"] and answers["DownloadDBLogFilePortion"]
    assert not answers["ModifyDBInstance"] and not answers["CopyDBSnapshot"]


def test_the_inference_agrees_with_read_only_on_every_real_record(
    shared_record_list: Any,
) -> None:
    real = [
        r
        for name in (STRATUS, FLATIRON, SUMO, DYNATRACE, RDS_GUIDE)
        for r in records(name)
        if "_edited" not in r and r.get("eventSource") == "rds.amazonaws.com"
    ] + list(shared_record_list)
    checked = 0
    for rec in real:
        if isinstance(rec.get("readOnly"), bool):
            assert infer_read_only(rec["eventName"]) is rec["readOnly"], rec["eventName"]
            checked += 1
    assert checked >= 70


def test_a_cluster_modify_without_pending_values(shared_record_list: Any) -> None:
    """A ModifyDBCluster answered with the cluster and no pendingModifiedValues (panther's
    record; the demo's payments-aurora-staging is another): every setting compares."""
    (rec,) = [
        r
        for r in shared_record_list
        if r["eventName"] == "ModifyDBCluster"
        and r.get("responseElements")
        and r["requestParameters"].get("backupRetentionPeriod") == 0
    ]
    assert "pendingModifiedValues" not in rec["responseElements"]
    diff = diff_record(rec)
    assert row(diff, "deletionProtection").status is Status.APPLIED
    assert row(diff, "backupRetentionPeriod").status is Status.APPLIED
    assert row(diff, "applyImmediately").detail == "a call parameter, not a DBCluster field"
    assert set(flag_names(rec)) == {"deletion-protection-off", "backups-off"}


def test_look_alike_sources_load_only_when_asked(run_cli: Any, tmp_path: Path) -> None:
    """Performance Insights and the Data API are other services: a default load skips
    them, `--event-source pi --event-source rdsdata` keeps them (and nothing of RDS)."""
    default, asked = tmp_path / "default.db", tmp_path / "asked.db"
    assert run_cli("load", "--cache", default, REAL).code == 0
    with Cache.open(default) as cache:
        sources = {e.event_source for e in cache.events(with_raw=False)}
    assert sources == {"rds.amazonaws.com"}
    result = run_cli(
        "load", "--cache", asked, "--event-source", "pi", "--event-source", "rdsdata", REAL
    )
    assert result.code == 0, result.err
    with Cache.open(asked) as cache:
        names = {(e.event_source, e.event_name) for e in cache.events(with_raw=False)}
    assert names == {
        ("pi.amazonaws.com", "GetResourceMetrics"),
        ("rdsdata.amazonaws.com", "ExecuteStatement"),
    }
