"""The demo trail holds what a security review looks for: every risk flag, snapshot sharing
with its removal, a password change recorded as hidden, an old record without readOnly,
and the look-alike event sources that a load keeps only when asked."""

from __future__ import annotations

import gzip
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.demo.estate import build_scenes
from rdstrail_tui.demo.generator import STORY_END
from rdstrail_tui.demo.identities import Directory
from rdstrail_tui.demo.records import RecordFactory
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.demo.story_risks import RiskStory
from rdstrail_tui.demo.timeline import Timeline, epoch
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.risk import RISK_FLAGS, flags_in, risk_flags
from rdstrail_tui.sources.load import load_paths

Record = dict[str, Any]
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
SHARING = ("ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute")
LOOK_ALIKES = ("pi.amazonaws.com", "rdsdata.amazonaws.com")


@pytest.fixture(scope="module")
def records() -> list[Record]:
    """Every distinct event of the shipped trail (a duplicate delivery counted once)."""
    found: dict[str, Record] = {}
    for path in sorted((shipped_trail_path() / "AWSLogs").rglob("*.json.gz")):
        if "CloudTrail-Digest" not in path.as_posix():
            for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
                found.setdefault(record["eventID"], record)
    return list(found.values())


def _rds(records: list[Record]) -> list[Record]:
    return [r for r in records if r["eventSource"] == "rds.amazonaws.com"]


def _account(record: Record) -> str:
    return str(record.get("recipientAccountId") or record["userIdentity"].get("accountId", ""))


def test_every_risk_flag_occurs_in_the_demo(records: list[Record]) -> None:
    seen: Counter[str] = Counter()
    for record in _rds(records):
        seen.update(flag.name for flag in flags_in(risk_flags(record, _account(record))))
    assert sorted(seen) == sorted(flag.name for flag in RISK_FLAGS)


def test_the_look_alike_sources_carry_no_flags(records: list[Record]) -> None:
    look_alikes = [r for r in records if r["eventSource"] in LOOK_ALIKES]
    assert look_alikes
    assert all(risk_flags(r, _account(r)) == 0 for r in look_alikes)


def test_a_password_change_recorded_as_hidden(records: list[Record]) -> None:
    hidden = [
        r
        for r in _rds(records)
        if r["eventName"] == "ModifyDBInstance"
        and r["requestParameters"].get("masterUserPassword") == HIDDEN
    ]
    assert hidden
    for record in hidden:
        pending = record["responseElements"]["pendingModifiedValues"]
        assert pending["masterUserPassword"] == HIDDEN


def _values(record: Record) -> list[str]:
    """The snapshot's restore attribute after the call, as the response lists it."""
    response = record["responseElements"]
    attributes = response.get("dBSnapshotAttributes") or response["dBClusterSnapshotAttributes"]
    (restore,) = [a for a in attributes if a["attributeName"] == "restore"]
    return list(restore["attributeValues"])


def test_snapshot_sharing_responses_list_the_values_after_the_call(
    records: list[Record],
) -> None:
    calls = [r for r in _rds(records) if r["eventName"] in SHARING and not r.get("errorCode")]
    assert calls
    for record in calls:
        params, after = record["requestParameters"], _values(record)
        assert set(params.get("valuesToAdd", [])) <= set(after), record["eventID"]
        assert not set(params.get("valuesToRemove", [])) & set(after), record["eventID"]
        key = (
            "dBClusterSnapshotIdentifier"
            if "Cluster" in record["eventName"]
            else "dBSnapshotIdentifier"
        )
        assert record["responseElements"][key] == params[key]
    removals = [r for r in calls if r["requestParameters"].get("valuesToRemove")]
    assert {r["eventName"] for r in removals} == set(SHARING)
    assert any("valuesToAdd" in r["requestParameters"] for r in removals)  # both in one call
    public = [r for r in calls if "all" in r["requestParameters"].get("valuesToAdd", [])]
    assert public and all(r["requestParameters"]["attributeName"] == "restore" for r in public)


def test_an_old_modify_without_read_only(records: list[Record]) -> None:
    old = [
        r
        for r in _rds(records)
        if r["eventVersion"] == "1.02" and r["eventName"] == "ModifyDBInstance"
    ]
    assert old
    for record in old:
        assert not {"readOnly", "eventType", "recipientAccountId"} & record.keys()
        instance = record["requestParameters"]["dBInstanceIdentifier"]
        assert record["responseElements"]["dBInstanceIdentifier"] == instance
        assert "pendingModifiedValues" in record["responseElements"]


def test_data_api_statements_are_masked(records: list[Record]) -> None:
    statements = [
        r
        for r in records
        if r["eventSource"] == "rdsdata.amazonaws.com" and r["eventName"] == "ExecuteStatement"
    ]
    assert statements
    assert all(r["requestParameters"]["sql"] == "*" * 10 for r in statements)


def test_look_alike_sources_are_loaded_only_when_asked(
    tmp_path: Path, records: list[Record]
) -> None:
    in_files = Counter(r["eventSource"] for r in records if r["eventSource"] in LOOK_ALIKES)
    assert set(in_files) == set(LOOK_ALIKES)
    with Cache.open(ensure_demo_cache(), create=False) as demo:
        loaded = {e.event_source for e in demo.events(with_raw=False)}
        assert loaded == {"rds.amazonaws.com"}
        assert demo.count() == len(_rds(records))
    with Cache.open(tmp_path / "pi.db") as cache:
        load_paths(cache, [shipped_trail_path()], Scope(frozenset({"pi.amazonaws.com"})))
        assert cache.count() == in_files["pi.amazonaws.com"]
        names = {e.event_name for e in cache.events(with_raw=False)}
        assert {"GetResourceMetrics", "DescribeDimensionKeys"} <= names


def test_the_risky_beats_stay_within_their_budget() -> None:
    """The generator tells the beats only when RDS_COST records are left for them."""
    end = epoch(STORY_END)
    timeline = Timeline(end - 14 * 86400, end)
    directory = Directory(random.Random(1))
    scenes = build_scenes(random.Random(2), directory, timeline.start)
    factory = RecordFactory(random.Random(3), old_version_rate=0.0)
    story = RiskStory(random.Random(4), factory, directory, scenes, timeline, 2, pace=0.55)
    story.tell()
    assert 0 < story.rds_records <= RiskStory.RDS_COST
    assert story.other_records == 8  # five Performance Insights reads, three statements
