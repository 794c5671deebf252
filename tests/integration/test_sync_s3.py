"""The S3 source against a real S3-compatible server (SeaweedFS, on 127.0.0.1 only).

The shipped demo trail (3000 events over the 14 days up to 2026-11-20, plus the 2018 User
Guide record) is uploaded as an account trail, as an organization trail and under a prefix.
What a sync caches is checked against `load_paths` of the same local files.
"""

from __future__ import annotations

import gzip
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import botocore.client
import botocore.exceptions
import pytest
from botocore.credentials import Credentials

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.load import load_paths
from rdstrail_tui.sources.s3 import (
    bucket_reader,
    days,
    decoders,
    describe_s3_error,
    parse_s3_url,
    sync_s3,
)
from rdstrail_tui.sources.s3 import sync as s3_sync
from rdstrail_tui.sources.s3.bucket_reader import DIRECT_REFUSALS, BucketReader
from rdstrail_tui.sources.sync import SyncError, SyncSummary
from tests.conftest import make_record
from tests.support.seaweed import (
    LIST_ONLY_ACCESS_KEY,
    LIST_ONLY_SECRET_KEY,
    SeaweedServer,
    seaweed_fixture,  # noqa: F401 - the `seaweed` fixture
)

TRAIL = shipped_trail_path()
PROD, STAGING, GUIDE = "111122223333", "444455556666", "123456789012"
# The story's 14 days (the default window is the last 7 days before now).
SINCE = datetime(2026, 11, 6, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 21, tzinfo=timezone.utc)
ORG = "o-exampleorg1"
PROD_EAST = f"AWSLogs/{PROD}/CloudTrail/us-east-1/"


# -- fixtures and helpers ----------------------------------------------------------------


@pytest.fixture
def aws(seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> SeaweedServer:
    """boto3's default chain finds the server's keys and nothing of this machine's."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return seaweed


@pytest.fixture(scope="module")
def account_bucket(seaweed: SeaweedServer) -> str:
    seaweed.create_bucket("trail-account")
    seaweed.upload_tree("trail-account", TRAIL)
    return "trail-account"


@pytest.fixture(scope="module")
def org_bucket(seaweed: SeaweedServer) -> str:
    seaweed.create_bucket("trail-org")
    seaweed.upload_tree("trail-org", TRAIL / "AWSLogs", f"AWSLogs/{ORG}/")
    return "trail-org"


@pytest.fixture(scope="module")
def prefixed_bucket(seaweed: SeaweedServer) -> str:
    seaweed.create_bucket("trail-prefixed")
    seaweed.upload_tree("trail-prefixed", TRAIL, "logs/cloudtrail/")
    return "trail-prefixed"


@pytest.fixture
def small_bucket(seaweed: SeaweedServer, request: pytest.FixtureRequest) -> str:
    """A bucket of its own (a test may change it) with November of prod's us-east-1."""
    name = "trail-" + str(request.node.name).replace("_", "-")[5:40].strip("-")
    seaweed.create_bucket(name)
    seaweed.upload_tree(name, TRAIL / PROD_EAST / "2026/11", f"{PROD_EAST}2026/11/")
    return name


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache.open(tmp_path / "s3.db") as opened:
        yield opened


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys of the objects every sync of the test downloads."""
    keys: list[str] = []
    original = s3_sync._S3Sync._fetch

    def spy(self: Any, obj: Any, inline: bool) -> None:
        keys.append(obj.key)
        original(self, obj, inline)

    monkeypatch.setattr(s3_sync._S3Sync, "_fetch", spy)
    return keys


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The day prefixes every sync of the test lists."""
    prefixes: list[str] = []
    original = s3_sync._S3Sync._list_later

    def spy(self: Any, listers: Any, place: Any, prefix: str) -> None:
        prefixes.append(prefix)
        original(self, listers, place, prefix)

    monkeypatch.setattr(s3_sync._S3Sync, "_list_later", spy)
    return prefixes


def sync(cache: Cache, server: SeaweedServer, url: str, **options: Any) -> SyncSummary:
    options.setdefault("since", SINCE)
    options.setdefault("until", UNTIL)
    return sync_s3(cache, url, endpoint_url=server.endpoint_url, **options)


def day_folders(
    first: date, last: date, *, accounts: set[str] | None = None, regions: set[str] | None = None
) -> list[Path]:
    """The local trail's day folders of [first, last]."""
    found = []
    for folder in sorted(TRAIL.glob("AWSLogs/*/CloudTrail/*/*/*/*")):
        account, _, region, year, month, day = folder.parts[-6:]
        when = date(int(year), int(month), int(day))
        if not first <= when <= last:
            continue
        if (accounts and account not in accounts) or (regions and region not in regions):
            continue
        found.append(folder)
    return found


def loaded(paths: list[Path]) -> int:
    """How many events `rdstrail load` caches from these local files."""
    with tempfile.TemporaryDirectory() as scratch, Cache.open(Path(scratch) / "l.db") as local:
        load_paths(local, paths, Scope(), workers=1)
        return local.count()


def key_day(key: str) -> date:
    year, month, day = key.split("/")[-4:-1]
    return date(int(year), int(month), int(day))


def gzipped_trail(records: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": records}).encode())


# -- URLs --------------------------------------------------------------------------------


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://my-trail") == ("my-trail", "")
    assert parse_s3_url("s3://my-trail/") == ("my-trail", "")
    assert parse_s3_url("s3://my-trail/AWSLogs") == ("my-trail", "AWSLogs/")
    assert parse_s3_url("S3://my-trail/a/b/") == ("my-trail", "a/b/")
    for bad in ("my-trail", "https://my-trail/x", "s3://", "s3:///x", "s3://a b/x"):
        with pytest.raises(SyncError, match="s3://BUCKET"):
            parse_s3_url(bad)


def test_wrong_region_is_one_line_naming_the_region() -> None:
    # S3 names the bucket's Region in the error; botocore-stubs' error TypedDict has no key
    # for it (only Code and Message), so this response, as S3 sends it, is not one to mypy.
    response = {"Error": {"Code": "PermanentRedirect", "Message": "moved", "Region": "eu-west-1"}}
    error = botocore.exceptions.ClientError(response, "ListObjectsV2")  # type: ignore[arg-type]
    line = describe_s3_error(error, what="s3://trail/", profile=None, bucket="trail")
    assert line.startswith("s3://trail/: the bucket is in another region (eu-west-1)")
    assert "\n" not in line


# -- layouts -----------------------------------------------------------------------------


def test_account_layout(
    aws: SeaweedServer, account_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    summary = sync(cache, aws, f"s3://{account_bucket}")
    expected_files = day_folders(SINCE.date(), UNTIL.date())
    assert summary.problems == []
    assert summary.events_new == cache.count() == loaded(expected_files)
    assert summary.objects == len(fetched) == sum(len(list(f.iterdir())) for f in expected_files)
    assert set(summary.regions) == {
        f"{PROD}/us-east-1",
        f"{PROD}/eu-west-1",
        f"{STAGING}/us-east-1",
        f"{STAGING}/eu-west-1",
        f"{GUIDE}/us-east-1",
    }
    assert all(progress.done and progress.error is None for progress in summary.regions.values())
    assert summary.regions[f"{GUIDE}/us-east-1"].objects == 0  # its only file is of 2018
    # Digests sit beside the logs and are never read.
    assert not [key for key in fetched if "CloudTrail-Digest" in key]
    assert f"s3://{account_bucket}/" in {source.source for source in cache.info().sources}


def test_organization_layout(aws: SeaweedServer, org_bucket: str, tmp_path: Path) -> None:
    expected = loaded(day_folders(SINCE.date(), UNTIL.date()))
    for url in (f"s3://{org_bucket}/", f"s3://{org_bucket}/AWSLogs/{ORG}/"):
        with Cache.open(tmp_path / f"{len(url)}.db") as fresh:
            summary = sync(fresh, aws, url)
            assert summary.problems == []
            assert summary.events_new == expected
            assert {p.account for p in summary.regions.values()} == {PROD, STAGING, GUIDE}


def test_a_prefix_before_awslogs(aws: SeaweedServer, prefixed_bucket: str, cache: Cache) -> None:
    summary = sync(cache, aws, f"s3://{prefixed_bucket}/logs/cloudtrail")
    assert summary.source == f"s3://{prefixed_bucket}/logs/cloudtrail/"
    assert summary.events_new == loaded(day_folders(SINCE.date(), UNTIL.date()))
    # The bucket's root holds no AWSLogs/: a clear error, not an empty sync.
    with pytest.raises(SyncError, match=rf"s3://{prefixed_bucket}/: no CloudTrail logs here"):
        sync(cache, aws, f"s3://{prefixed_bucket}/")


def test_an_account_or_region_folder_as_the_url(
    aws: SeaweedServer, account_bucket: str, cache: Cache
) -> None:
    summary = sync(cache, aws, f"s3://{account_bucket}/AWSLogs/{STAGING}/CloudTrail/eu-west-1/")
    assert list(summary.regions) == [f"{STAGING}/eu-west-1"]
    expected = day_folders(SINCE.date(), UNTIL.date(), accounts={STAGING}, regions={"eu-west-1"})
    assert summary.events_new == loaded(expected)


def test_accounts_and_regions_narrow_the_sync(
    aws: SeaweedServer, account_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    summary = sync(cache, aws, f"s3://{account_bucket}/", accounts=[STAGING])
    assert {p.account for p in summary.regions.values()} == {STAGING}
    assert all(f"/{STAGING}/" in key for key in fetched)
    staging = loaded(day_folders(SINCE.date(), UNTIL.date(), accounts={STAGING}))
    assert summary.events_new == staging

    summary = sync(cache, aws, f"s3://{account_bucket}/", regions=["eu-west-1", "ap-south-1"])
    assert {p.region for p in summary.regions.values()} == {"eu-west-1"}
    assert summary.problems == [f"s3://{account_bucket}/: no logs of region ap-south-1 here"]
    eu_not_staging = day_folders(SINCE.date(), UNTIL.date(), accounts={PROD}, regions={"eu-west-1"})
    assert summary.events_new == loaded(eu_not_staging)


# -- the window --------------------------------------------------------------------------


def test_only_the_day_folders_of_the_window_are_listed_and_read(
    aws: SeaweedServer,
    account_bucket: str,
    cache: Cache,
    fetched: list[str],
    listed: list[str],
) -> None:
    since = datetime(2026, 11, 15, 6, 0, tzinfo=timezone.utc)
    until = datetime(2026, 11, 17, 12, 0, tzinfo=timezone.utc)
    summary = sync(cache, aws, f"s3://{account_bucket}", since=since, until=until)
    window = {date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 17)}
    assert {key_day(prefix + "x") for prefix in listed} == window
    assert len(listed) == 3 * 5  # three days of five account-regions, no more
    assert fetched and {key_day(key) for key in fetched} == window
    assert summary.events_new == loaded(day_folders(min(window), max(window)))


def test_a_long_window_lists_only_the_months_that_exist(
    aws: SeaweedServer, account_bucket: str, cache: Cache, listed: list[str]
) -> None:
    summary = sync(cache, aws, f"s3://{account_bucket}", since=datetime(2018, 1, 1))
    assert summary.events_new == loaded([TRAIL])  # the 2018 record too
    # Not every day since 2018: only the days of July 2018 and of November 2026.
    assert {prefix.split("/")[-3] for prefix in listed} == {"07", "11"}
    assert len(listed) < 200


def test_the_default_window_is_the_last_seven_days(
    aws: SeaweedServer, account_bucket: str, cache: Cache, listed: list[str]
) -> None:
    sync_s3(cache, f"s3://{account_bucket}", endpoint_url=aws.endpoint_url)
    today = datetime.now(timezone.utc).date()
    days = {key_day(prefix + "x") for prefix in listed}
    assert min(days) == today - timedelta(days=7)
    assert max(days) <= today + timedelta(days=1)


# -- incremental -------------------------------------------------------------------------


def test_a_second_sync_downloads_nothing(
    aws: SeaweedServer, account_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    first = sync(cache, aws, f"s3://{account_bucket}")
    assert first.objects > 300
    count = len(fetched)
    second = sync(cache, aws, f"s3://{account_bucket}")
    assert second.objects == 0 and second.events_new == 0 and second.problems == []
    assert len(fetched) == count
    assert all(progress.done for progress in second.regions.values())
    sources = {source.source: source for source in cache.info().sources}
    assert sources[f"s3://{account_bucket}/"].events_added == first.events_new


def test_an_object_added_later_to_a_synced_day_is_read_next_time(
    aws: SeaweedServer, small_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    first = sync(cache, aws, f"s3://{small_bucket}")
    assert first.events_new == loaded([TRAIL / PROD_EAST / "2026/11"])
    key = (
        f"{PROD_EAST}2026/11/20/{PROD}_CloudTrail_us-east-1_20261120T2359Z_LaterDelivery00.json.gz"
    )
    records = [make_record(eventTime="2026-11-20T23:55:00Z") for _ in range(2)]
    aws.put(small_bucket, key, gzipped_trail(records))
    fetched.clear()
    second = sync(cache, aws, f"s3://{small_bucket}")
    assert fetched == [key]
    assert second.objects == 1 and second.events_new == 2
    assert cache.get_cursor(f"s3://{small_bucket}/", f"{PROD_EAST}2026/11/20/") == key


def test_a_corrupt_object_is_one_problem_and_the_rest_is_read(
    aws: SeaweedServer, small_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    day = f"{PROD_EAST}2026/11/19/"
    truncated = f"{day}{PROD}_CloudTrail_us-east-1_20261119T0000Z_Truncated0000000.json.gz"
    not_a_trail = f"{day}{PROD}_CloudTrail_us-east-1_20261119T0001Z_NotATrail0000000.json.gz"
    aws.put(small_bucket, truncated, gzipped_trail([make_record()])[:60])
    aws.put(small_bucket, not_a_trail, gzip.compress(b'{"hello": "world"}'))
    summary = sync(cache, aws, f"s3://{small_bucket}/")
    first, second = sorted(summary.problems)  # one line each, in no particular order
    assert first.startswith(f"s3://{small_bucket}/{truncated}: truncated or corrupt gzip")
    assert second.startswith(f"s3://{small_bucket}/{not_a_trail}: not a CloudTrail file")
    assert summary.events_new == loaded([TRAIL / PROD_EAST / "2026/11"])
    assert not summary.interrupted
    # They can never be read: the cursor moved past them, they are not fetched again.
    fetched.clear()
    again = sync(cache, aws, f"s3://{small_bucket}/")
    assert fetched == [] and again.problems == []


def test_objects_that_cannot_be_read_now_are_read_next_time(
    aws: SeaweedServer,
    small_bucket: str,
    cache: Cache,
    fetched: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Keys that may list but not read: every GET is AccessDenied.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", LIST_ONLY_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", LIST_ONLY_SECRET_KEY)
    window = {"since": datetime(2026, 11, 20), "until": datetime(2026, 11, 20, 12)}
    denied = sync(cache, aws, f"s3://{small_bucket}", **window)
    objects = sorted(set(fetched))
    assert objects and denied.events_new == 0
    assert len(denied.problems) == len(objects)
    for line, key in zip(sorted(denied.problems), objects):
        assert line.startswith(f"s3://{small_bucket}/{key}: access denied")
    assert denied.regions[f"{PROD}/us-east-1"].error is not None
    # Nothing was cached, so no cursor moved: with the right keys, all of it is read.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", aws.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", aws.secret_key)
    fetched.clear()
    allowed = sync(cache, aws, f"s3://{small_bucket}", **window)
    assert sorted(fetched) == objects and allowed.problems == []
    assert allowed.events_new == loaded([TRAIL / PROD_EAST / "2026/11/20"])


def test_a_stopped_sync_keeps_what_it_cached_and_the_next_one_finishes(
    aws: SeaweedServer, account_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    stopped = sync(
        cache, aws, f"s3://{account_bucket}", threads=2, should_stop=lambda: len(fetched) >= 40
    )
    assert stopped.interrupted
    assert 40 <= stopped.objects <= 40 + 2 * 2  # what was in flight ends, nothing more starts
    assert 0 < cache.count() == stopped.events_new
    finished = sync(cache, aws, f"s3://{account_bucket}")
    assert not finished.interrupted
    assert finished.objects < 321  # what the first one committed is not read again
    assert cache.count() == loaded(day_folders(SINCE.date(), UNTIL.date()))


def test_ctrl_c_keeps_what_is_decoded_and_the_next_sync_finishes(
    aws: SeaweedServer, account_bucket: str, cache: Cache, fetched: list[str]
) -> None:
    def interrupt() -> bool:
        if len(fetched) >= 40:
            raise KeyboardInterrupt
        return False

    with pytest.raises(KeyboardInterrupt):
        sync(cache, aws, f"s3://{account_bucket}", threads=2, should_stop=interrupt)
    assert len(fetched) < 321 and cache.count() > 0
    sync(cache, aws, f"s3://{account_bucket}")
    assert cache.count() == loaded(day_folders(SINCE.date(), UNTIL.date()))


def test_decoding_in_worker_processes(
    aws: SeaweedServer, account_bucket: str, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large sync decodes and caches in worker processes: the same events, the same
    cursors."""
    monkeypatch.setattr(s3_sync, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(s3_sync, "worker_count", lambda: 2)
    started: list[object] = []
    original = decoders.DecoderPool.__init__

    def spy(self: Any, *args: Any, **kwargs: Any) -> None:
        started.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(decoders.DecoderPool, "__init__", spy)
    summary = sync(cache, aws, f"s3://{account_bucket}")
    assert started, "the sync did not use decoder processes"
    assert summary.problems == []
    assert summary.events_new == cache.count() == loaded(day_folders(SINCE.date(), UNTIL.date()))
    assert sum(p.events_new for p in summary.regions.values()) == summary.events_new
    again = sync(cache, aws, f"s3://{account_bucket}")
    assert again.objects == 0 and again.events_new == 0


# -- refusals ----------------------------------------------------------------------------


def test_a_wrong_secret_key_is_a_sync_error_naming_the_bucket(
    aws: SeaweedServer, account_bucket: str, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret-key-of-this-access-key")
    with pytest.raises(SyncError) as raised:
        sync(cache, aws, f"s3://{account_bucket}/")
    assert str(raised.value).startswith(f"s3://{account_bucket}/: S3 refused the signature")
    assert "SignatureDoesNotMatch" in str(raised.value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTKNOWNTOTHIS00")
    with pytest.raises(SyncError, match="InvalidAccessKeyId"):
        sync(cache, aws, f"s3://{account_bucket}/")
    assert cache.count() == 0


def test_no_such_bucket_is_a_sync_error_naming_it(aws: SeaweedServer, cache: Cache) -> None:
    with pytest.raises(SyncError, match="no such bucket 'no-such-trail-bucket'"):
        sync(cache, aws, "s3://no-such-trail-bucket/AWSLogs/")


def test_no_credentials_is_a_sync_error(
    aws: SeaweedServer, account_bucket: str, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(SyncError, match=rf"s3://{account_bucket}/: no AWS credentials found"):
        sync(cache, aws, f"s3://{account_bucket}/")


# -- files that land late ----------------------------------------------------------------


def trail_key(day: str, minute: datetime, suffix: str) -> str:
    """A CloudTrail file name in `day`, named for `minute`."""
    return f"{day}{PROD}_CloudTrail_us-east-1_{minute:%Y%m%dT%H%M}Z_{suffix}.json.gz"


def test_a_file_landing_late_before_the_cursor_is_read_next_time(
    aws: SeaweedServer, cache: Cache, fetched: list[str]
) -> None:
    """A file named for the cursor's minute or a few minutes before it, which lands after a
    sync listed the day, sorts before the cursor: the next sync still reads it, once."""
    aws.create_bucket("trail-late")
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    day = f"{PROD_EAST}{now:%Y/%m/%d}/"
    window = {"since": now - timedelta(days=1), "until": now + timedelta(minutes=1)}
    first_key = trail_key(day, now - timedelta(minutes=2), "zzzzzzzzzzzzzzzz")
    aws.put("trail-late", first_key, gzipped_trail([make_record(eventTime=f"{now:%FT%TZ}")]))
    first = sync(cache, aws, "s3://trail-late", **window)
    assert first.events_new == 1 and fetched == [first_key]
    late = [
        trail_key(day, now - timedelta(minutes=2), "aaaaaaaaaaaaaaaa"),  # the same minute
        trail_key(day, now - timedelta(minutes=9), "mmmmmmmmmmmmmmmm"),  # minutes before
    ]
    for key in late:
        aws.put("trail-late", key, gzipped_trail([make_record(eventTime=f"{now:%FT%TZ}")]))
    fetched.clear()
    second = sync(cache, aws, "s3://trail-late", **window)
    assert sorted(fetched) == sorted(late)
    assert second.events_new == 2 and second.problems == []
    fetched.clear()
    third = sync(cache, aws, "s3://trail-late", **window)
    assert fetched == [] and third.objects == 0


def test_a_day_cursor_keeps_its_recent_keys_until_they_have_landed() -> None:
    day = f"{PROD_EAST}2026/11/20/"
    noon = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
    keys = [
        trail_key(day, noon - timedelta(minutes=30), "a"),  # before the cursor's recent span
        trail_key(day, noon - timedelta(minutes=10), "b"),
        trail_key(day, noon, "c"),
    ]
    fresh = days.cursor_value(day, keys, 3, listed_at=noon + timedelta(minutes=1))
    cursor = days.DayCursor.load(day, fresh)
    assert cursor.last == keys[2] and cursor.recent == {keys[1]}
    assert cursor.known(keys[1]) and cursor.known(keys[2]) and not cursor.known(keys[0])
    # Listing starts at the minute LANDING_DELAY before the cursor's, inclusive.
    start = cursor.start_after()
    assert start is not None and start < keys[1] and start > keys[0]
    assert start < trail_key(day, noon - days.LANDING_DELAY, "0")
    # A first file alone: nothing read before it, yet files may still land before it.
    alone = days.DayCursor.load(day, days.cursor_value(day, keys[2:], 1, noon))
    assert alone.recent == frozenset() and alone.start_after() == start
    # Listed long enough after the cursor's minute, every earlier file had landed.
    settled = days.cursor_value(day, keys, 3, listed_at=noon + timedelta(hours=1))
    assert settled == keys[2]
    assert days.DayCursor.load(day, settled).start_after() == keys[2]
    # A name without CloudTrail's minute, a damaged value, another day's key.
    assert days.cursor_value(day, [f"{day}other.json.gz"], 1, noon) == f"{day}other.json.gz"
    assert days.DayCursor.load(day, "{not json").last is None
    assert days.DayCursor.load(day, f"{PROD_EAST}2026/11/19/x.json.gz").last is None


# -- reading objects -------------------------------------------------------------------------


def test_a_sync_reads_objects_directly_not_through_boto3(
    aws: SeaweedServer, small_bucket: str, cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Objects are GET by botocore's signer over the client's HTTP session: no boto3
    GetObject call, the same events as a load of the files."""
    operations: list[str] = []
    # Private, so not in botocore-stubs: the one method every API call goes through.
    original = botocore.client.BaseClient._make_api_call  # type: ignore[attr-defined]

    def spy(self: Any, operation: str, parameters: Any) -> Any:
        operations.append(operation)
        return original(self, operation, parameters)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    summary = sync(cache, aws, f"s3://{small_bucket}")
    assert summary.objects > 50 and summary.problems == []
    assert summary.events_new == loaded([TRAIL / PROD_EAST / "2026/11"])
    assert "GetObject" not in operations
    # boto3 lists only to discover the layout; the day prefixes are listed directly.
    assert 0 < operations.count("ListObjectsV2") <= 4 < summary.requests - summary.objects


def adopted_reader(server: SeaweedServer, bucket: str, credentials: Credentials) -> BucketReader:
    client = server.client()
    reader = BucketReader(client, bucket, credentials)
    client.list_objects_v2(Bucket=bucket, MaxKeys=1)
    reader.adopt()
    assert reader.direct
    return reader


def test_refused_direct_gets_fall_back_to_boto3_then_stop(
    aws: SeaweedServer, small_bucket: str
) -> None:
    """A direct GET S3 refuses (here a wrong secret for the direct way only) is made again
    by boto3; after a few refusals every GET goes through boto3."""
    key = aws.client().list_objects_v2(Bucket=small_bucket, MaxKeys=1)["Contents"][0]["Key"]
    body = aws.client().get_object(Bucket=small_bucket, Key=key)["Body"].read()
    reader = adopted_reader(aws, small_bucket, Credentials(aws.access_key, "not-the-secret"))
    for _ in range(DIRECT_REFUSALS):
        assert reader.get(key) == (body, 2, 0)
    assert not reader.direct
    assert reader.get(key) == (body, 1, 0)


def test_direct_gets_sign_awkward_keys_and_report_missing_ones(
    aws: SeaweedServer, small_bucket: str
) -> None:
    """Keys with spaces, '+', '%' and non-ASCII sign right the direct way; a missing key
    is boto3's NoSuchKey, and does not turn the direct way off."""
    reader = adopted_reader(aws, small_bucket, Credentials(aws.access_key, aws.secret_key))
    for key in ("odd/a b+c%d~é.json.gz", "odd/日本 語.json.gz"):
        aws.put(small_bucket, key, key.encode())
        assert reader.get(key) == (key.encode(), 1, 0)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        reader.get("odd/no-such-key.json.gz")
    assert raised.value.response["Error"]["Code"] == "NoSuchKey"
    assert reader.direct


def test_direct_listings_page_like_boto3s(
    aws: SeaweedServer, small_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prefix listed directly, in pages, after a key: the keys and sizes boto3 lists."""
    monkeypatch.setattr(bucket_reader, "PAGE_KEYS", 7)
    prefix = f"{PROD_EAST}2026/11/"
    expected = [
        (entry["Key"], entry["Size"])
        for page in aws.client()
        .get_paginator("list_objects_v2")
        .paginate(Bucket=small_bucket, Prefix=prefix)
        for entry in page["Contents"]
    ]
    assert len(expected) > 20
    reader = adopted_reader(aws, small_bucket, Credentials(aws.access_key, aws.secret_key))
    listing = reader.list_keys(prefix, None)
    assert listing.error is None and listing.keys == expected
    assert listing.requests == -(-len(expected) // 7)
    after = reader.list_keys(prefix, expected[9][0])
    assert after.keys == expected[10:]
    reader.direct = False  # the same through boto3
    assert reader.list_keys(prefix, expected[9][0]).keys == expected[10:]


def test_unanswered_direct_requests_fall_back_to_boto3_then_stop(
    aws: SeaweedServer, small_bucket: str
) -> None:
    """When the direct way gets no answer (here: a port nobody listens on, as a TLS setup
    only boto3 knows would look), boto3 answers instead, and after a few times the direct
    way is given up rather than tried before every request."""
    key = aws.client().list_objects_v2(Bucket=small_bucket, MaxKeys=1)["Contents"][0]["Key"]
    body = aws.client().get_object(Bucket=small_bucket, Key=key)["Body"].read()
    reader = adopted_reader(aws, small_bucket, Credentials(aws.access_key, aws.secret_key))
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        reader._netloc = f"127.0.0.1:{unused.getsockname()[1]}"  # bound, not listening
        for _ in range(DIRECT_REFUSALS):
            assert reader.get(key) == (body, 1, 0)
        assert not reader.direct
        listing = reader.list_keys(f"{PROD_EAST}2026/11/19/", None)
        day = TRAIL / PROD_EAST / "2026" / "11" / "19"
        assert listing.error is None and len(listing.keys) == len(list(day.iterdir())) > 1
