"""The demo trail generator and the trail shipped inside the package."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.demo import SHIPPED_DEMO_EVENTS, SHIPPED_DEMO_SEED, shipped_trail_path
from rdstrail_tui.demo.__main__ import main as demo_main
from rdstrail_tui.demo.generator import STORY_END, generate

DATA = Path(__file__).resolve().parents[2] / "rdstrail_tui" / "demo" / "data"
GUIDE = DATA / "rds-user-guide-createdbinstance.json"

LOG_RE = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail_(?P=region)_(?P<stamp>(?P=y)(?P=m)(?P=d)T\d{4}Z)_"
    r"[A-Za-z0-9]{16}\.json\.gz"
)
DIGEST_RE = re.compile(
    r"AWSLogs/(?P<account>\d{12})/CloudTrail-Digest/(?P<region>[a-z]{2}-[a-z]+-\d)/"
    r"(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P=account)_CloudTrail-Digest_(?P=region)_[A-Za-z0-9._-]+_[a-z]{2}-[a-z]+-\d_"
    r"(?P=y)(?P=m)(?P=d)T\d{6}Z\.json\.gz"
)
LIFECYCLE = (
    "CreateDBInstance",
    "CreateDBCluster",
    "ModifyDBInstance",
    "RebootDBInstance",
    "CreateDBSnapshot",
    "CreateDBClusterSnapshot",
    "RestoreDBInstanceFromDBSnapshot",
    "FailoverDBCluster",
    "CreateDBInstanceReadReplica",
    "PromoteReadReplica",
    "ModifyDBCluster",
    "DeleteDBInstance",
    "DeleteDBCluster",
    "CreateDBParameterGroup",
    "ModifyDBParameterGroup",
    "ModifyDBClusterParameterGroup",
    "AddTagsToResource",
    "StopDBInstance",
    "StartDBInstance",
    "DescribeDBInstances",
    "DescribeDBClusters",
    "DescribeDBSnapshots",
    "DescribeEvents",
    "ListTagsForResource",
)

Record = dict[str, Any]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted((root / "AWSLogs").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def shipped() -> dict[str, bytes]:
    return _tree(shipped_trail_path())


@pytest.fixture(scope="module")
def log_files(shipped: dict[str, bytes]) -> dict[str, list[Record]]:
    return {
        key: json.loads(gzip.decompress(data))["Records"]
        for key, data in shipped.items()
        if "/CloudTrail/" in key
    }


@pytest.fixture(scope="module")
def records(log_files: dict[str, list[Record]]) -> list[Record]:
    return [r for recs in log_files.values() for r in recs]


def _rds(records: list[Record]) -> Iterator[Record]:
    return (r for r in records if r["eventSource"] == "rds.amazonaws.com")


def test_shipped_trail_path_is_a_directory() -> None:
    path = shipped_trail_path()
    assert isinstance(path, Path)
    assert (path / "AWSLogs").is_dir()


def test_regenerating_gives_the_shipped_trail(tmp_path: Path, shipped: dict[str, bytes]) -> None:
    summary = generate(tmp_path, SHIPPED_DEMO_EVENTS, SHIPPED_DEMO_SEED)
    fresh = _tree(tmp_path)
    assert sorted(fresh) == sorted(shipped)
    # Compared inflated: the JSON is what must be identical, while deflate's bytes may differ
    # between zlib builds (zlib-ng) for the same input.
    assert {k: gzip.decompress(v) for k, v in fresh.items()} == {
        k: gzip.decompress(v) for k, v in shipped.items()
    }
    assert summary.files + summary.digest_files == len(shipped)


def test_another_seed_gives_another_trail(tmp_path: Path, shipped: dict[str, bytes]) -> None:
    generate(tmp_path, SHIPPED_DEMO_EVENTS, SHIPPED_DEMO_SEED + 1)
    assert set(_tree(tmp_path)).isdisjoint(shipped)


def test_shipped_trail_stays_small(shipped: dict[str, bytes]) -> None:
    assert sum(len(b) for b in shipped.values()) < 1_500_000
    assert len(shipped) < 500


def test_every_path_follows_the_cloudtrail_layout(shipped: dict[str, bytes]) -> None:
    for key, data in shipped.items():
        assert LOG_RE.fullmatch(key) or DIGEST_RE.fullmatch(key), key
        assert data[:2] == b"\x1f\x8b", key
        assert data[4:8] == b"\0\0\0\0", "gzip mtime must be zero for reproducible files"


def test_log_files_are_cloudtrail_documents(log_files: dict[str, list[Record]]) -> None:
    required = ("eventID", "eventTime", "eventSource", "eventName", "awsRegion", "userIdentity")
    for key, recs in log_files.items():
        match = LOG_RE.fullmatch(key)
        assert match, key
        assert recs, key
        delivered = datetime.strptime(match["stamp"], "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc)
        for rec in recs:
            for field in required:
                assert field in rec, (key, field)
            assert rec["awsRegion"] == match["region"]
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rec["eventTime"])
            happened = datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
            assert happened.replace(tzinfo=timezone.utc) <= delivered, (key, rec["eventID"])
            if "recipientAccountId" in rec:
                assert rec["recipientAccountId"] == match["account"]


def test_about_ten_percent_is_rds(records: list[Record]) -> None:
    rds = list(_rds(records))
    assert 0.07 <= len(rds) / len(records) <= 0.15
    reads = [r for r in rds if r.get("readOnly") is True]
    assert len(reads) > len(rds) / 2
    assert all(r["responseElements"] is None for r in reads)


def test_accounts_and_regions(log_files: dict[str, list[Record]]) -> None:
    streams = {(m["account"], m["region"]) for k in log_files if (m := LOG_RE.fullmatch(k))}
    for account in ("111122223333", "444455556666"):
        for region in ("us-east-1", "eu-west-1"):
            assert (account, region) in streams


def test_user_guide_record_is_present_and_unchanged(
    log_files: dict[str, list[Record]],
) -> None:
    expected = json.loads(GUIDE.read_bytes())["Records"][0]
    found = [
        (key, rec)
        for key, recs in log_files.items()
        for rec in recs
        if rec["eventID"] == "797163d3-5726-441d-80a7-6eeb7464acd4"
    ]
    assert len(found) == 1
    key, rec = found[0]
    assert rec == expected
    assert list(rec) == list(expected)
    assert key.startswith("AWSLogs/123456789012/CloudTrail/us-east-1/2018/07/30/")
    assert log_files[key] == [expected]


def test_some_events_are_delivered_twice(log_files: dict[str, list[Record]]) -> None:
    where: dict[str, list[tuple[str, Record]]] = defaultdict(list)
    for key, recs in log_files.items():
        for rec in recs:
            where[rec["eventID"]].append((key, rec))
    twice = {eid: hits for eid, hits in where.items() if len(hits) > 1}
    assert twice
    assert len(twice) < 0.02 * len(where)
    for hits in twice.values():
        assert len({key for key, _ in hits}) == len(hits)
        assert all(rec == hits[0][1] for _, rec in hits)


def test_digest_files_describe_log_files(shipped: dict[str, bytes]) -> None:
    digests = {k: json.loads(gzip.decompress(v)) for k, v in shipped.items() if "Digest" in k}
    assert len(digests) >= 4
    per_stream = Counter((d["awsAccountId"], k.split("/")[3]) for k, d in digests.items())
    assert len(per_stream) == 4
    for key, digest in digests.items():
        assert digest["digestS3Object"] == key
        assert digest["digestSignatureAlgorithm"] == "SHA256withRSA"
        for entry in digest["logFiles"]:
            assert entry["s3Object"] in shipped
            assert entry["hashAlgorithm"] == "SHA-256"


def test_lifecycle_calls_all_occur(records: list[Record]) -> None:
    names = Counter(r["eventName"] for r in _rds(records))
    missing = [name for name in LIFECYCLE if not names[name]]
    assert not missing


def test_modifications_show_pending_values(records: list[Record]) -> None:
    modifies = [
        r for r in _rds(records) if r["eventName"] == "ModifyDBInstance" and r["responseElements"]
    ]
    pending = [r["responseElements"]["pendingModifiedValues"] for r in modifies]
    assert any("allocatedStorage" in p and "dBInstanceClass" in p for p in pending)
    assert any("pendingCloudwatchLogsExports" in p for p in pending)
    assert any("vpcSecurityGroupIds" in r["requestParameters"] for r in modifies)
    creates = [r for r in _rds(records) if r["eventName"] == "CreateDBInstance"]
    assert all(r["requestParameters"].get("masterUserPassword", "****") == "****" for r in creates)


def test_failures_exist(records: list[Record]) -> None:
    errors = Counter(r.get("errorCode") for r in _rds(records))
    assert errors["AccessDenied"]
    assert errors["ThrottlingException"]
    assert errors["InvalidParameterValue"] or errors["InvalidParameterCombination"]
    denied = [r for r in _rds(records) if r.get("errorCode") == "AccessDenied"]
    for rec in denied:
        assert rec["responseElements"] is None
        assert "is not authorized to perform: rds:" in rec["errorMessage"]


def test_identity_shapes(records: list[Record]) -> None:
    types = Counter(r["userIdentity"]["type"] for r in records)
    for kind in ("IAMUser", "AssumedRole", "AWSService", "Root"):
        assert types[kind], kind
    console = [r for r in records if r.get("sessionCredentialFromConsole") == "true"]
    assert console
    assert any("AWSReservedSSO_" in r["userIdentity"].get("arn", "") for r in records)
    assert any(r["eventName"] == "ConsoleLogin" for r in records)
    services = [r for r in records if r["userIdentity"]["type"] == "AWSService"]
    assert all(r["sourceIPAddress"] == r["userIdentity"]["invokedBy"] for r in services)


def test_some_records_use_the_old_layout(records: list[Record]) -> None:
    lacking = [r for r in records if "readOnly" not in r]
    assert lacking
    assert len(lacking) < 0.05 * len(records)
    old = [r for r in records if r["eventVersion"] == "1.02"]
    assert old
    for rec in old:
        assert not {"readOnly", "eventType", "recipientAccountId"} & rec.keys()


def test_generate_summary_and_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trail"
    assert demo_main([str(out), "--events", "400", "--seed", "3"]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "log files" in line
    assert demo_main([str(out), "--events", "400"]) == 2
    summary = generate(out, 400, 3, clean=True)
    assert summary.distinct_events == 400
    assert summary.records == 400 + summary.duplicate_deliveries
    assert summary.accounts == ("111122223333", "123456789012", "444455556666")
    assert summary.regions == ("eu-west-1", "us-east-1")
    assert STORY_END - timedelta(days=14) <= summary.first_event <= summary.last_event < STORY_END
    total = sum(
        len(json.loads(gzip.decompress(p.read_bytes()))["Records"])
        for p in out.rglob("*.json.gz")
        if "Digest" not in p.name
    )
    assert total == summary.records
