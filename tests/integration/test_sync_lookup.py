"""The LookupEvents source through real boto3 against the local fake CloudTrail
(tests/lookup_server.py): full and incremental syncs, the rate limit (kept from one process to
the next), throttling, interrupted and killed syncs completed by the next one, credential and
endpoint failures."""

from __future__ import annotations

import contextlib
import json
import math
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.sources import lookup
from rdstrail_tui.sources.lookup import Cursor, RateLimiter, cursor_key, sync_lookup
from rdstrail_tui.sources.lookup import limiter as lookup_limiter
from rdstrail_tui.sources.lookup import worker as lookup_worker
from rdstrail_tui.sources.lookup.limiter import PACE_SOURCE, Pace, first_slot, limiter_key
from rdstrail_tui.sources.sync import SyncError, SyncSummary
from tests.support.lookup_server import (
    ACCOUNT,
    EXPIRED_KEY,
    SECRET_KEY,
    LookupServer,
    epoch_of,
    make_records,
    set_aws_env,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail.type_defs import LookupAttributeTypeDef

# The rate itself is tested at 2 per second; elsewhere client and server agree on a faster
# one so the suite stays quick.
FAST = 20.0


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    directory = tmp_path / "aws"
    set_aws_env(monkeypatch, directory)
    return directory


@pytest.fixture
def server() -> Iterator[LookupServer]:
    with LookupServer(rate_limit=FAST) as running:
        yield running


@pytest.fixture
def cache(cache_path: Path) -> Iterator[Cache]:
    with Cache.open(cache_path) as opened:
        yield opened


def rds(count: int, **options: Any) -> list[dict[str, Any]]:
    options.setdefault("newest", time.time() - 120)
    options.setdefault("spacing", 1800)
    return make_records(count, **options)


def cached(cache: Cache) -> dict[str, bytes]:
    return {event.event_id: event.raw for event in cache.events()}


def expected(server: LookupServer, records: list[dict[str, Any]]) -> dict[str, bytes]:
    served = server.fake.cloudtrail_events()
    return {record["eventID"]: served[record["eventID"]].encode() for record in records}


def cursor_of(cache: Cache, region: str) -> Cursor:
    value = cache.get_cursor(lookup.CURSOR_SOURCE, f"{ACCOUNT}/{region}")
    assert value is not None
    return Cursor.parse(value)


def clean_sync(server: LookupServer, tmp_path: Path, regions: list[str]) -> dict[str, bytes]:
    with Cache.open(tmp_path / "clean.db") as fresh:
        sync_lookup(fresh, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
        return cached(fresh)


# -- full and incremental --------------------------------------------------------------------


@pytest.mark.serial
def test_full_sync_of_two_regions_at_the_api_rate(cache: Cache) -> None:
    now = time.time()
    east = rds(280, newest=now - 60, region="us-east-1")
    west = rds(140, newest=now - 90, region="eu-west-1", spacing=3000)
    other = make_records(60, newest=now - 30, spacing=900, source="ec2.amazonaws.com")
    expired = rds(5, newest=now - 91 * 86400, region="us-east-1", tag="old")
    calls: list[int] = []
    with LookupServer(east + west + other + expired, rate_limit=2) as server:
        summary = sync_lookup(
            cache,
            regions=["us-east-1", "eu-west-1"],
            endpoint_url=server.url,
            on_progress=lambda _: calls.append(threading.get_ident()),
        )
        fake = server.fake
        assert cached(cache) == expected(server, east + west)
        # Non-RDS events were filtered by the server-side attribute, old ones by the window.
        assert summary.events_new == summary.events_seen == 420
        assert not summary.problems and not summary.interrupted
        east_progress = summary.regions[f"{ACCOUNT}/us-east-1"]
        west_progress = summary.regions[f"{ACCOUNT}/eu-west-1"]
        assert (east_progress.pages, east_progress.requests) == (6, 6)
        assert (west_progress.pages, west_progress.requests) == (3, 3)
        assert east_progress.done and west_progress.done
        assert east_progress.account == ACCOUNT
        # No throttling at all, and never more than 2 requests in any second per region.
        assert summary.throttles == 0 and fake.throttled == {}
        assert fake.requests("us-east-1") == 6 and fake.requests("eu-west-1") == 3
        assert fake.max_in_any_second("us-east-1") <= 2
        assert fake.max_in_any_second("eu-west-1") <= 2
        # The regions ran side by side, each at its own pace.
        east_times, west_times = fake.request_times["us-east-1"], fake.request_times["eu-west-1"]
        assert west_times[0] < east_times[-1] and east_times[0] < west_times[-1]
        assert summary.seconds < 5 * (0.5 + lookup.RATE_MARGIN_SECONDS) + 2.0
    # Progress after every page, on the calling thread only.
    assert len(calls) >= 9 and set(calls) == {threading.get_ident()}
    sources = {info.source: info for info in cache.info().sources}
    assert sources["lookup:us-east-1,eu-west-1"].events_added == 420


def test_raw_is_the_cloudtrail_event_string(cache: Cache, server: LookupServer) -> None:
    records = rds(30)
    server.fake.add_records(records)
    sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST)
    served = server.fake.cloudtrail_events()
    events = list(cache.events())
    assert len(events) == 30
    for event in events:
        assert event.raw == served[event.event_id].encode()
        assert json.loads(event.raw)["eventID"] == event.event_id
        assert event.read_only in (True, False, None)


def test_second_sync_makes_one_request_per_region(cache: Cache, server: LookupServer) -> None:
    now = time.time()
    east = rds(200, newest=now - 60, region="us-east-1")
    west = rds(60, newest=now - 60, region="eu-west-1")
    server.fake.add_records(east + west)
    regions = ["us-east-1", "eu-west-1"]
    sync_lookup(cache, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
    before = {region: server.fake.requests(region) for region in regions}

    again = sync_lookup(cache, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
    assert again.events_new == 0 and not again.problems
    for region in regions:
        assert again.regions[f"{ACCOUNT}/{region}"].requests == 1
        assert server.fake.requests(region) == before[region] + 1

    # Events show up late (eventTime minutes before the newest cached) and new ones happen:
    # the overlap of the next sync still finds them, in one request.
    newest = cursor_of(cache, "us-east-1").newest_event
    assert newest is not None
    late = rds(5, newest=newest - 240, spacing=10, tag="late")
    new = rds(5, newest=time.time(), spacing=5, tag="new")
    server.fake.add_records(late + new)
    third = sync_lookup(cache, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
    assert third.events_new == 10
    assert third.requests == 2
    assert cached(cache) == expected(server, east + west + late + new)


def test_an_explicit_window_is_inclusive_and_capped_at_90_days(
    cache: Cache, server: LookupServer
) -> None:
    records = rds(100, spacing=3600)
    server.fake.add_records(records)
    times = sorted(epoch_of(record) for record in records)
    since, until = times[10], times[60]
    summary = sync_lookup(
        cache,
        regions=["us-east-1"],
        endpoint_url=server.url,
        since=datetime.fromtimestamp(since, timezone.utc),
        until=datetime.fromtimestamp(until, timezone.utc),
        rate_per_second=FAST,
    )
    inside = [record for record in records if since <= epoch_of(record) <= until]
    assert len(inside) == 51
    assert cached(cache) == expected(server, inside)
    assert summary.events_new == 51 and not summary.problems

    far = sync_lookup(
        cache,
        regions=["us-east-1"],
        endpoint_url=server.url,
        since=datetime.fromtimestamp(time.time() - 200 * 86400, timezone.utc),
        rate_per_second=FAST,
    )
    assert any("90 days" in problem for problem in far.problems)
    assert cached(cache) == expected(server, records)
    with pytest.raises(SyncError, match="since is after"):
        sync_lookup(
            cache,
            regions=["us-east-1"],
            endpoint_url=server.url,
            since=datetime.fromtimestamp(until, timezone.utc),
            until=datetime.fromtimestamp(since, timezone.utc),
        )


# -- throttling ------------------------------------------------------------------------------


def test_injected_throttles_are_retried_and_counted(cache: Cache, server: LookupServer) -> None:
    records = rds(220)
    server.fake.add_records(records)
    server.fake.throttle_next(3, "us-east-1")
    summary = sync_lookup(
        cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST
    )
    assert cached(cache) == expected(server, records)
    progress = summary.regions[f"{ACCOUNT}/us-east-1"]
    assert progress.throttles == server.fake.throttled["us-east-1"] == 3
    assert progress.requests == progress.pages + 3 == server.fake.requests("us-east-1")
    assert progress.done and not summary.problems


def test_a_burst_of_real_throttling_is_survived_and_every_throttle_counted(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup_worker, "THROTTLE_BACKOFF_BASE", 0.2)
    records = rds(300)
    # The client is told it may go at 10 per second; the server allows 2.
    with LookupServer(records, rate_limit=2) as server:
        summary = sync_lookup(
            cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=10
        )
        throttled = server.fake.throttled.get("us-east-1", 0)
        assert cached(cache) == expected(server, records)
    assert throttled >= 1
    assert summary.throttles == throttled
    assert summary.requests == 6 + throttled
    assert not summary.problems


@pytest.mark.serial
def test_rate_limiter_spaces_requests_and_stops_promptly() -> None:
    limiter = RateLimiter(10)
    stop = threading.Event()
    started = time.monotonic()
    for _ in range(5):
        assert limiter.wait(stop)
    assert time.monotonic() - started >= 4 * 0.1
    slow = RateLimiter(0.1)
    assert slow.wait(stop)
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    assert not slow.wait(stop)
    assert time.monotonic() - started < 2
    with pytest.raises(ValueError):
        RateLimiter(0)


# -- the pace across processes ---------------------------------------------------------------


def as_a_new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget this process's rate limiters, as the next `rdstrail sync lookup` process starts
    without them: only the cache carries the pace over."""
    monkeypatch.setattr(lookup_limiter, "_LIMITERS", {})


@pytest.mark.serial
def test_back_to_back_syncs_in_new_processes_meet_no_throttling(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = time.time()
    regions = ["us-east-1", "eu-west-1"]
    records = rds(90, newest=now - 60, region="us-east-1") + rds(
        60, newest=now - 90, region="eu-west-1"
    )
    with LookupServer(records, rate_limit=2) as server:
        summaries = []
        for _ in range(3):
            as_a_new_process(monkeypatch)
            summaries.append(sync_lookup(cache, regions=regions, endpoint_url=server.url))
        fake = server.fake
        # Two pages, then one request per incremental sync, each region at the API's rate
        # with no throttle even at the seams between processes.
        assert fake.throttled == {}
        assert [summary.throttles for summary in summaries] == [0, 0, 0]
        for region in regions:
            assert fake.requests(region) == 2 + 1 + 1
            assert fake.max_in_any_second(region) <= 2
            key = limiter_key(region, account=ACCOUNT, profile=None, endpoint_url=server.url)
            assert cache.get_cursor(PACE_SOURCE, key) is not None
        assert cached(cache) == expected(server, records)
    # The pace rows are no synced source.
    assert [info.source for info in cache.info().sources] == ["lookup:us-east-1,eu-west-1"]
    assert cache.last_sync()[0] == 1


@pytest.mark.parametrize("ending", ["complete", "should_stop", "ctrl_c", "error"])
@pytest.mark.serial
def test_the_next_process_sends_its_first_request_an_interval_after_the_last(
    cache: Cache, monkeypatch: pytest.MonkeyPatch, ending: str
) -> None:
    records = rds(120)
    pages: list[int] = []

    def on_progress(summary: SyncSummary) -> None:
        pages.append(summary.regions[f"{ACCOUNT}/us-east-1"].pages)
        if ending == "ctrl_c" and pages[-1] >= 1:
            raise KeyboardInterrupt

    with LookupServer(records, rate_limit=2) as server:
        if ending == "error":
            server.fake.deny_region("us-east-1")
        raises = {"error": SyncError, "ctrl_c": KeyboardInterrupt}.get(ending)
        with pytest.raises(raises) if raises else contextlib.nullcontext():
            sync_lookup(
                cache,
                regions=["us-east-1"],
                endpoint_url=server.url,
                on_progress=on_progress,
                should_stop=lambda: ending == "should_stop" and bool(pages) and pages[-1] >= 1,
            )
        sent = server.fake.requests("us-east-1")
        assert sent >= 1
        server.fake.clear_faults()

        as_a_new_process(monkeypatch)
        second = sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url)
        assert second.throttles == 0 and server.fake.throttled == {}
        times = server.fake.request_times["us-east-1"]
        assert len(times) > sent
        # 1/rate between arrivals: the previous process's last request and our first.
        assert times[sent] - times[sent - 1] >= 0.5
        assert cached(cache) == expected(server, records)


def test_a_stored_pace_is_waited_for_at_most_one_interval_and_not_from_the_future(
    cache: Cache,
) -> None:
    interval, now, clock = 0.53, 1_700_000_000.0, 50.0
    slot = first_slot(now - 0.2, interval, now=now, now_monotonic=clock)
    assert slot == pytest.approx(clock + 0.33)
    assert first_slot(now - 1, interval, now=now, now_monotonic=clock) is None
    assert first_slot(now - 60, interval, now=now, now_monotonic=clock) is None
    # A little ahead (the clocks of two processes disagree): one interval, no more.
    assert first_slot(now + 3, interval, now=now, now_monotonic=clock) == clock + interval
    # Far ahead (a clock set back, a copied cache): not believed.
    assert first_slot(now + 3600, interval, now=now, now_monotonic=clock) is None
    assert first_slot(math.nan, interval, now=now, now_monotonic=clock) is None

    def first_request_goes_at_once(stored: str) -> bool:
        """A limiter at one request per 10 s, resumed from `stored`: is its first request
        let through before `stop` comes?"""
        cache.set_cursor(PACE_SOURCE, "somewhere", stored)
        limiter = RateLimiter(0.1)
        Pace(cache, "somewhere", limiter).resume()
        stop = threading.Event()
        timer = threading.Timer(0.3, stop.set)
        timer.start()
        try:
            return limiter.wait(stop)
        finally:
            timer.cancel()

    assert not first_request_goes_at_once(json.dumps({"last_request": time.time()}))
    assert first_request_goes_at_once(json.dumps({"last_request": time.time() - 60}))
    assert first_request_goes_at_once(json.dumps({"last_request": time.time() + 3600}))
    assert first_request_goes_at_once("not json")
    assert first_request_goes_at_once(json.dumps({"last_request": "soon"}))


# -- interrupted syncs -----------------------------------------------------------------------


def test_network_reset_fails_the_region_and_the_next_sync_fills_the_gap(
    cache: Cache, server: LookupServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lookup_worker, "TRANSIENT_BACKOFF_BASE", 0.01)
    east = rds(300, region="us-east-1", spacing=997)
    west = rds(100, region="eu-west-1")
    server.fake.add_records(east + west)
    server.fake.reset_after(3, "us-east-1")
    regions = ["us-east-1", "eu-west-1"]

    first = sync_lookup(cache, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
    east_progress = first.regions[f"{ACCOUNT}/us-east-1"]
    assert east_progress.error is not None and "us-east-1" in east_progress.error
    assert not east_progress.done and east_progress.pages == 3
    assert first.regions[f"{ACCOUNT}/eu-west-1"].done
    assert east_progress.error in first.problems
    assert server.fake.resets["us-east-1"] == lookup.TRANSIENT_RETRIES + 1
    assert first.events_new == 150 + 100
    # Pages came newest first: the gap is at the old end of the window.
    cursor = cursor_of(cache, "us-east-1")
    assert len(cursor.gaps) == 1
    oldest_cached = min(e.event_time for e in cache.events() if e.region == "us-east-1")
    assert cursor.gaps[0][1] == oldest_cached

    server.fake.clear_faults()
    late = rds(3, newest=time.time(), spacing=1, region="us-east-1", tag="late")
    server.fake.add_records(late)
    second = sync_lookup(cache, regions=regions, endpoint_url=server.url, rate_per_second=FAST)
    assert not second.problems
    assert second.events_new == 150 + 3
    assert cursor_of(cache, "us-east-1").gaps == []
    assert cached(cache) == clean_sync(server, tmp_path, regions)
    assert cached(cache) == expected(server, east + west + late)


def test_should_stop_keeps_the_pages_and_the_next_sync_completes(
    cache: Cache, server: LookupServer, tmp_path: Path
) -> None:
    records = rds(400, spacing=600)
    server.fake.add_records(records)

    def stop_after_two_pages(summary: SyncSummary) -> None:
        pages.append(summary.regions[f"{ACCOUNT}/us-east-1"].pages)

    pages: list[int] = []
    first = sync_lookup(
        cache,
        regions=["us-east-1"],
        endpoint_url=server.url,
        on_progress=stop_after_two_pages,
        should_stop=lambda: bool(pages) and pages[-1] >= 2,
        rate_per_second=FAST,
    )
    assert first.interrupted
    progress = first.regions[f"{ACCOUNT}/us-east-1"]
    assert not progress.done and progress.error is None
    # The page in flight when the stop came is kept too.
    assert progress.pages in (2, 3)
    assert cache.count() == first.events_new == 50 * progress.pages
    assert cursor_of(cache, "us-east-1").gaps

    second = sync_lookup(
        cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST
    )
    assert not second.interrupted and not second.problems
    assert second.events_new == 400 - first.events_new
    assert cursor_of(cache, "us-east-1").gaps == []
    assert cached(cache) == clean_sync(server, tmp_path, ["us-east-1"])


def test_keyboard_interrupt_keeps_the_pages_and_propagates(
    cache: Cache, server: LookupServer
) -> None:
    records = rds(300)
    server.fake.add_records(records)
    seen: list[int] = []

    def interrupt() -> bool:
        if seen and seen[-1] >= 2:
            raise KeyboardInterrupt
        return False

    with pytest.raises(KeyboardInterrupt):
        sync_lookup(
            cache,
            regions=["us-east-1"],
            endpoint_url=server.url,
            on_progress=lambda summary: seen.append(summary.events_seen // 50),
            should_stop=interrupt,
            rate_per_second=FAST,
        )
    kept = cache.count()
    assert 100 <= kept < 300
    assert cursor_of(cache, "us-east-1").gaps
    again = sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST)
    assert again.events_new == 300 - kept
    assert cached(cache) == expected(server, records)


def test_ctrl_c_while_a_page_is_handled_leaves_cache_and_cursor_agreeing(
    cache: Cache, server: LookupServer
) -> None:
    records = rds(300)
    server.fake.add_records(records)

    def interrupt_on_second_page(summary: SyncSummary) -> None:
        if summary.events_seen >= 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_lookup(
            cache,
            regions=["us-east-1"],
            endpoint_url=server.url,
            on_progress=interrupt_on_second_page,
            rate_per_second=FAST,
        )
    # Pages already queued behind the interrupted one were dropped, not cached past a hole.
    assert cache.count() == 100
    oldest = min(event.event_time for event in cache.events())
    assert cursor_of(cache, "us-east-1").gaps[-1][1] == oldest
    again = sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST)
    assert again.events_new == 200
    assert cached(cache) == expected(server, records)


_SYNC_SCRIPT = """
import sys
from pathlib import Path
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.sources.lookup import sync_lookup
sync_lookup(Cache.open(Path(sys.argv[1])), regions=["us-east-1"], endpoint_url=sys.argv[2],
            rate_per_second=4)
"""


def test_a_killed_sync_is_completed_by_the_next(cache_path: Path, tmp_path: Path) -> None:
    records = rds(400, spacing=700)
    with LookupServer(records, rate_limit=4) as server:
        process = subprocess.Popen(
            [sys.executable, "-c", _SYNC_SCRIPT, str(cache_path), server.url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while server.fake.pages_served.get("us-east-1", 0) < 4:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the sync did not start"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.kill()
            process.communicate()
        with Cache.open(cache_path) as cache:
            kept = cache.count()
            assert 50 <= kept < 400
            assert cursor_of(cache, "us-east-1").gaps
            summary = sync_lookup(
                cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=4
            )
            assert summary.events_new == 400 - kept
            assert cached(cache) == expected(server, records)
            assert cursor_of(cache, "us-east-1").gaps == []


# -- failures ---------------------------------------------------------------------------------


def _assert_one_line(error: SyncError) -> str:
    message = str(error)
    assert "\n" not in message and "Traceback" not in message
    assert error.__cause__ is None and error.__context__ is None
    return message


def test_expired_credentials_say_to_log_in(
    cache: Cache, server: LookupServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.fake.add_records(rds(10))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", EXPIRED_KEY)
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1", "eu-west-1"], endpoint_url=server.url)
    message = _assert_one_line(raised.value)
    assert "aws sso login" in message and "expired" in message
    assert "us-east-1" in message and "eu-west-1" in message
    assert cache.info().sources == []


def test_expired_credentials_of_a_profile_name_the_profile(
    cache: Cache, server: LookupServer, monkeypatch: pytest.MonkeyPatch, aws: Path
) -> None:
    (aws / "aws-config").write_text(
        f"[profile audit]\naws_access_key_id = {EXPIRED_KEY}\n"
        f"aws_secret_access_key = {SECRET_KEY}\nregion = us-east-1\n"
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, profile="audit")
    assert "aws sso login --profile audit" in _assert_one_line(raised.value)


def test_an_unknown_key_or_a_wrong_secret_is_a_sync_error(
    cache: Cache, server: LookupServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOTAKEYWEKNOW000")
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url)
    assert "not valid" in _assert_one_line(raised.value)

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIARDSTRAILTEST0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url)
    assert "InvalidSignatureException" in _assert_one_line(raised.value)


def test_no_credentials_or_no_profile(cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"], endpoint_url="http://127.0.0.1:9")
    assert "no AWS credentials" in _assert_one_line(raised.value)
    with pytest.raises(SyncError, match="no AWS profile 'nowhere'"):
        sync_lookup(cache, regions=["us-east-1"], profile="nowhere")
    monkeypatch.setenv("AWS_PROFILE", "elsewhere")
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"])
    assert _assert_one_line(raised.value) == (
        "no AWS profile 'elsewhere' (AWS_PROFILE): none is configured "
        "(aws configure --profile elsewhere)"
    )


def test_a_wrong_endpoint_fails_fast(cache: Cache) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(SyncError) as raised:
        sync_lookup(cache, regions=["us-east-1"], endpoint_url=f"http://127.0.0.1:{port}")
    assert "cannot reach" in _assert_one_line(raised.value)
    assert time.monotonic() - started < 10


def test_one_region_denied_while_the_other_syncs(cache: Cache, server: LookupServer) -> None:
    records = rds(80, region="us-east-1")
    server.fake.add_records(records + rds(20, region="eu-west-1"))
    server.fake.deny_region("eu-west-1")
    summary = sync_lookup(
        cache, regions=["us-east-1", "eu-west-1"], endpoint_url=server.url, rate_per_second=FAST
    )
    west = summary.regions[f"{ACCOUNT}/eu-west-1"]
    assert west.error is not None and "access denied" in west.error
    assert summary.problems == [west.error]
    assert summary.regions[f"{ACCOUNT}/us-east-1"].done
    assert cached(cache) == expected(server, records)


def test_a_broken_entry_is_a_problem_line(cache: Cache, server: LookupServer) -> None:
    records = rds(20)
    server.fake.add_records(records)
    broken = rds(1, tag="broken")[0]
    server.fake.add_raw("us-east-1", broken, '{"eventID": "truncated')
    summary = sync_lookup(
        cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST
    )
    assert cached(cache) == expected(server, records)
    assert len(summary.problems) == 1 and broken["eventID"] in summary.problems[0]
    assert summary.events_seen == 21 and summary.events_new == 20


def test_without_sts_the_cursor_is_kept_per_credentials(cache: Cache, server: LookupServer) -> None:
    server.fake.sts_enabled = False
    server.fake.add_records(rds(120))
    first = sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST)
    assert first.events_new == 120 and "us-east-1" in first.regions
    assert first.regions["us-east-1"].account == ACCOUNT  # learnt from the events
    key = cursor_key("us-east-1", account=None, endpoint_url=server.url)
    assert key == f"profile:default@{server.url}/us-east-1"
    assert cache.get_cursor(lookup.CURSOR_SOURCE, key) is not None
    again = sync_lookup(cache, regions=["us-east-1"], endpoint_url=server.url, rate_per_second=FAST)
    assert again.requests == 1 and again.events_new == 0


# -- the cursor ----------------------------------------------------------------------------


def test_cursor_gaps_through_an_interrupted_pass() -> None:
    cursor = Cursor()
    cursor.page_done((100, 1000), complete=False, reached=None, newest=None)
    assert cursor == Cursor()  # an empty page proves nothing
    cursor.page_done((100, 1000), complete=False, reached=900, newest=1000)
    cursor.page_done((100, 1000), complete=False, reached=700, newest=899)
    assert cursor.gaps == [(100, 700)]
    assert (cursor.newest_event, cursor.synced_to) == (1000, 1000)
    # The next sync resumes the gap (complete), then the new end, which stops at 1500.
    cursor.page_done((100, 700), complete=True, reached=None, newest=700)
    assert cursor.gaps == []
    cursor.page_done((400, 2000), complete=False, reached=1500, newest=2000)
    assert cursor.gaps == [(400, 1500)]
    # An explicit window over part of a gap clears that part only.
    cursor.page_done((1000, 1200), complete=True, reached=None, newest=1200)
    assert cursor.gaps == [(400, 999), (1201, 1500)]
    assert cursor.newest_event == 2000 and cursor.anchor() == 2000
    assert Cursor.parse(cursor.dump()) == cursor


def test_cursor_parse_tolerates_garbage() -> None:
    assert Cursor.parse(None) == Cursor()
    assert Cursor.parse("not json") == Cursor()
    assert Cursor.parse('{"gaps": [["x", 1]]}') == Cursor()
    assert Cursor.parse('{"newest_event": 5, "gaps": [[3, 1], [1, 2]]}') == Cursor(
        newest_event=5, gaps=[(1, 2)]
    )


# -- the fake itself -------------------------------------------------------------------------


def test_the_fake_speaks_the_protocol(server: LookupServer) -> None:
    server.fake.add_records(rds(120))
    # A session of its own: boto3's default one keeps the credentials of whichever test
    # of this worker made it first.
    client = boto3.session.Session().client(
        "cloudtrail", region_name="us-east-1", endpoint_url=server.url
    )
    attribute: list[LookupAttributeTypeDef] = [
        {"AttributeKey": "EventSource", "AttributeValue": "rds.amazonaws.com"}
    ]
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidMaxResultsException"):
        client.lookup_events(MaxResults=51)
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidLookupAttributes"):
        client.lookup_events(LookupAttributes=attribute * 2)
    first = client.lookup_events(LookupAttributes=attribute, MaxResults=50)
    assert len(first["Events"]) == 50 and first["NextToken"]
    assert first["Events"][0]["ReadOnly"] in ("true", "false")
    times = [event["EventTime"] for event in first["Events"]]
    assert times == sorted(times, reverse=True)
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidNextTokenException"):
        client.lookup_events(
            LookupAttributes=attribute, MaxResults=20, NextToken=first["NextToken"]
        )
    second = client.lookup_events(
        LookupAttributes=attribute, MaxResults=50, NextToken=first["NextToken"]
    )
    assert {e["EventId"] for e in first["Events"]}.isdisjoint(
        e["EventId"] for e in second["Events"]
    )
    assert (
        client.lookup_events(LookupAttributes=attribute, StartTime=datetime.now(timezone.utc))[
            "Events"
        ]
        == []
    )
    request = urllib.request.Request(
        server.url,
        data=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(request, timeout=5)
    assert unsigned.value.code == 403
    assert b"MissingAuthenticationToken" in unsigned.value.read()
