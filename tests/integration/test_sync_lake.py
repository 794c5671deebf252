"""`rdstrail sync lake` against a local CloudTrail Lake endpoint (tests/support/lake_server.py)
through real boto3: the filter compiled to Lake's SQL, the query polled and paged, and the
matching events' original records (eventjson) cached exactly as a load of the same files and
the same filter would."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.lake.sync import sync_lake
from rdstrail_tui.sources.load import load_paths
from rdstrail_tui.sources.sync import SyncError, SyncSummary
from tests.conftest import Result
from tests.support.lake_engine import LakeTable
from tests.support.lake_server import LakeServer
from tests.support.lookup_server import set_aws_env

pytestmark = pytest.mark.integration

WINDOW = ("--since", "2026-11-01", "--until", "2026-11-21")


@pytest.fixture(scope="module")
def demo_store() -> Iterator[LakeTable]:
    table = LakeTable()
    table.add_tree(shipped_trail_path())
    yield table
    table.close()


@pytest.fixture
def lake(
    demo_store: LakeTable, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[LakeServer]:
    set_aws_env(monkeypatch, tmp_path / "aws")
    with LakeServer(stores={"EXAMPLE-demo-store": demo_store}) as server:
        server.fake.queued_seconds = 0.05
        server.fake.running_seconds = 0.1
        yield server


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    """The demo trail loaded the ordinary way: what every sync is held to."""
    cache = Cache.open(tmp_path_factory.mktemp("loaded") / "cache.db")
    load_paths(cache, [shipped_trail_path()], Scope(), workers=1)
    yield cache
    cache.close()


def sync(run_cli: Callable[..., Result], lake: LakeServer, *args: str) -> Result:
    """`rdstrail sync lake` of the demo store, through the local endpoint."""
    store = lake.fake.arn("EXAMPLE-demo-store")
    return run_cli("sync", "lake", "--event-data-store", store, "--endpoint-url", lake.url, *args)


def synced(cache: Cache, lake: LakeServer, **options: Any) -> SyncSummary:
    """sync_lake of the demo store's window, polling fast."""
    return sync_lake(
        cache,
        "EXAMPLE-demo-store",
        since=_when("2026-11-01"),
        until=_when("2026-11-21"),
        endpoint_url=lake.url,
        poll=0.02,
        **options,
    )


def raws(cache: Cache, text: str = "") -> dict[str, bytes]:
    where = where_of(parse_filter(text))
    return {event.event_id: event.raw for event in cache.events(where)}


def test_sync_lake_caches_exactly_what_a_load_and_the_filter_give(
    lake: LakeServer,
    loaded: Cache,
    run_cli: Callable[..., Result],
    cache_path: Path,
) -> None:
    result = sync(run_cli, lake, *WINDOW, "modify,delete", "-is:error")
    assert result.code == 0, result.err
    expected = raws(loaded, "modify,delete -is:error")
    assert 10 < len(expected) < len(raws(loaded))
    with Cache.open(cache_path) as cache:
        assert raws(cache) == expected  # the records, byte for byte
    summary = result.err_lines[-1]
    assert summary.startswith(f"synced lake:EXAMPLE-demo-store: {len(expected)} new events")
    assert ", scanned " in summary and "$" in summary
    # The statement ran there: one, bounded on time and the RDS event source.
    (statement,) = lake.fake.statements
    assert "eventsource IN ('rds.amazonaws.com')" in statement
    assert "timestamp '2026-11-01 00:00:00'" in statement


def test_a_second_sync_asks_only_from_the_end_of_the_first(
    lake: LakeServer, run_cli: Callable[..., Result], cache_path: Path
) -> None:
    first = sync(
        run_cli, lake, "--since", "2026-11-01", "--until", "2026-11-21", "res:=orders-prod"
    )
    assert first.code == 0, first.err
    second = sync(run_cli, lake, "--until", "2026-11-21", "res:=orders-prod")
    assert second.code == 0, second.err
    assert "0 new events" in second.err_lines[-1]
    # Its window started an hour (late delivery) before the first one's end.
    assert "timestamp '2026-11-20 23:00:00'" in lake.fake.statements[-1]
    # Another filter has its own cursor: it asks for the default window again.
    third = sync(run_cli, lake, "--until", "2026-11-21", "res:=reporting-pg")
    assert third.code == 0, third.err
    assert "timestamp '2026-11-14 00:00:00'" in lake.fake.statements[-1]


def test_results_are_paged_and_every_row_kept(
    lake: LakeServer, loaded: Cache, cache_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = lake.fake._get_query_results

    def small_pages(region: str, body: dict[str, object]) -> dict[str, object]:
        return original(region, {**body, "MaxQueryResults": 7})

    monkeypatch.setattr(lake.fake, "_get_query_results", small_pages)
    with Cache.open(cache_path) as cache:
        summary = synced(cache, lake)
        expected = raws(loaded, "since:2026-11-01 until:2026-11-21")
        assert raws(cache) == expected
    assert summary.events_new == len(expected)
    assert lake.fake.requests["GetQueryResults"] > 10


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_a_failed_query_is_one_line_and_exit_1(
    lake: LakeServer, run_cli: Callable[..., Result], cache_path: Path
) -> None:
    lake.fake.fail_next("Query failed: insufficient permissions \x1b[31m")
    result = run_cli(
        "sync",
        "lake",
        "--event-data-store",
        "EXAMPLE-demo-store",
        "--endpoint-url",
        lake.url,
        *WINDOW,
    )
    assert result.code == 1
    (line,) = result.err_lines
    assert "lake:EXAMPLE-demo-store" in line and "insufficient permissions" in line
    assert "\x1b" not in line


def test_throttling_is_retried_and_counted(lake: LakeServer, cache_path: Path) -> None:
    lake.fake.throttle_next(2)
    with Cache.open(cache_path) as cache:
        summary = synced(cache, lake, filter_text="res:=orders-prod")
    assert summary.throttles == 2 and summary.events_new > 0


def test_max_scan_cancels_the_query_and_says_so(lake: LakeServer, cache_path: Path) -> None:
    lake.fake.running_seconds = 5.0
    with Cache.open(cache_path) as cache, pytest.raises(SyncError) as raised:
        synced(cache, lake, max_scan=1000)
        assert cache.count() == 0
    assert "more than --max-scan 1 KB" in str(raised.value)
    assert lake.fake.cancelled


def test_ctrl_c_cancels_the_query_and_keeps_the_cache(lake: LakeServer, cache_path: Path) -> None:
    lake.fake.running_seconds = 5.0
    with Cache.open(cache_path) as cache:
        before = cache.count()
        polls: list[int] = []

        def on_progress(summary: object) -> None:
            polls.append(1)
            if len(polls) == 3:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            synced(cache, lake, on_progress=on_progress)
        assert cache.count() == before
    assert len(lake.fake.cancelled) == 1


def test_an_unknown_store_and_a_bad_arn_are_one_line(
    lake: LakeServer, run_cli: Callable[..., Result]
) -> None:
    result = run_cli(
        "sync", "lake", "--event-data-store", "EXAMPLE-nosuch", "--endpoint-url", lake.url, *WINDOW
    )
    assert result.code == 1
    assert len(result.err_lines) == 1 and "EXAMPLE-nosuch" in result.err
    result = run_cli("sync", "lake", "--event-data-store", "a b;c", "--endpoint-url", lake.url)
    assert result.code == 1 and "not an event data store ARN or ID" in result.err


def test_a_stop_from_the_explorer_cancels_and_moves_no_cursor(
    lake: LakeServer, cache_path: Path
) -> None:
    lake.fake.running_seconds = 5.0
    stop = threading.Event()
    stop.set()
    with Cache.open(cache_path) as cache:
        summary = synced(cache, lake, should_stop=stop.is_set)
        assert summary.interrupted
        assert cache.cursors("lake-window") == {}
    assert lake.fake.cancelled
