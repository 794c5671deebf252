"""`rdstrail athena ddl --create` and `rdstrail sync athena` against a local Athena endpoint
(tests/support/athena_server.py) and the real SeaweedFS of the S3 tests, through real boto3:
the table the product's own DDL creates, the filter compiled to Trino SQL and run there, the
result file read from the output location, the trail objects holding matches fetched, and
the records cached exactly as `rdstrail load` of the same files and the same filter give."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.athena import sync as athena_sync
from rdstrail_tui.sources.athena.queries import AthenaQueries
from rdstrail_tui.sources.athena.sync import AthenaTarget, sync_athena
from rdstrail_tui.sources.load import load_paths
from rdstrail_tui.sources.sync import SyncSummary
from tests.conftest import Result
from tests.support.athena_server import (
    AthenaServer,
    athena_server_fixture,  # noqa: F401 - the `athena_server` fixture
    set_athena_env,
)
from tests.support.seaweed import (
    SeaweedServer,
    seaweed_fixture,  # noqa: F401 - the `seaweed` fixture
)

pytestmark = pytest.mark.integration

TRAIL_BUCKET = "athena-trail"
RESULTS = "s3://athena-results/rdstrail/"
TABLE = "trail.logs"
WINDOW = ("--since", "2026-11-01", "--until", "2026-11-21")
DEMO_ACCOUNTS = "111122223333,444455556666"


@pytest.fixture(scope="module")
def buckets(seaweed: SeaweedServer) -> str:
    seaweed.create_bucket(TRAIL_BUCKET)
    seaweed.upload_tree(TRAIL_BUCKET, shipped_trail_path())
    seaweed.create_bucket("athena-results")
    return f"s3://{TRAIL_BUCKET}/AWSLogs/"


@pytest.fixture
def athena(
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
    buckets: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    run_cli: Callable[..., Result],
) -> Iterator[AthenaServer]:
    """The local Athena with the demo trail's table, created by `rdstrail athena ddl`."""
    set_athena_env(monkeypatch, tmp_path, athena_server, seaweed)
    created = run_cli(
        "athena", "ddl", buckets, "--accounts", DEMO_ACCOUNTS, "--regions",
        "us-east-1,eu-west-1", "--since", "2026-01-01", "--table", TABLE, "--create",
        "--output-location", RESULTS,
    )  # fmt: skip
    assert created.code == 0, created.err
    assert "created trail.logs" in created.out + created.err
    athena_server.fake.statements.clear()
    yield athena_server


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    cache = Cache.open(tmp_path_factory.mktemp("loaded") / "cache.db")
    load_paths(cache, [shipped_trail_path()], Scope(), workers=1)
    yield cache
    cache.close()


def raws(cache: Cache, text: str = "") -> dict[str, bytes]:
    return {e.event_id: e.raw for e in cache.events(where_of(parse_filter(text)))}


def in_window(text: str) -> str:
    return f"{text} since:2026-11-01 until:2026-11-21".strip()


def sync(run_cli: Callable[..., Result], *terms: str, window: bool = True) -> Result:
    args = ["sync", "athena", "--table", TABLE, "--output-location", RESULTS]
    return run_cli(*args, *(WINDOW if window else ("--until", "2026-11-21")), *terms)


@pytest.mark.parametrize(
    "terms",
    [
        ("modify,delete", "-is:error"),
        ("res:=orders-prod", "is:write"),  # res: is pushed as a superset, cut locally
        ("user:alice", "-res:reporting"),
        (),
    ],
)
def test_sync_athena_caches_exactly_what_a_load_and_the_filter_give(
    athena: AthenaServer,
    loaded: Cache,
    run_cli: Callable[..., Result],
    cache_path: Path,
    terms: tuple[str, ...],
) -> None:
    result = sync(run_cli, *terms)
    assert result.code == 0, result.err
    expected = raws(loaded, in_window(" ".join(terms)))
    assert expected
    with Cache.open(cache_path) as cache:
        assert raws(cache) == expected  # the original records, byte for byte
    summary = result.err_lines[-1]
    assert summary.startswith(f"synced athena:{TABLE}: {len(expected)} new events")
    assert ", scanned " in summary and "$0." in summary and " queries" not in summary
    (statement,) = athena.fake.statements
    assert "\"timestamp\" BETWEEN '2026/11/01' AND '2026/11/22'" in statement
    assert "eventsource IN ('rds.amazonaws.com')" in statement


def test_only_the_objects_holding_matches_are_fetched(
    athena: AthenaServer, seaweed: SeaweedServer, cache_path: Path
) -> None:
    with Cache.open(cache_path) as cache:
        summary = sync_athena(
            cache,
            AthenaTarget(table=TABLE, output_location=RESULTS),
            filter_text="res:=orders-prod is:write",
            since=datetime(2026, 11, 1, tzinfo=timezone.utc),
            until=datetime(2026, 11, 21, tzinfo=timezone.utc),
        )
    trail_objects = sum(1 for path in shipped_trail_path().rglob("*.json.gz"))
    assert 0 < summary.objects < trail_objects / 4
    assert summary.bytes_scanned == sum(athena.fake.bytes_scanned.values()) > 0


def test_a_second_sync_adds_nothing_and_scans_only_the_last_days(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    first = sync(run_cli, "modify")
    assert first.code == 0, first.err
    second = sync(run_cli, "modify", window=False)
    assert second.code == 0, second.err
    assert " 0 new events" in second.err_lines[-1]
    # The DDL's statements scan nothing; the two syncs' statements are the last two.
    scanned = list(athena.fake.bytes_scanned.values())[-2:]
    assert 0 < scanned[1] < scanned[0] / 4
    # From an hour before the first one's end, partitions from that day on.
    assert "\"timestamp\" BETWEEN '2026/11/20' AND '2026/11/22'" in athena.fake.statements[1]
    # A new filter starts its own window (the default 7 days before --until).
    third = sync(run_cli, "delete", window=False)
    assert third.code == 0, third.err
    assert "BETWEEN '2026/11/14' AND '2026/11/22'" in athena.fake.statements[2]


def test_a_window_past_athenas_partition_limit_is_split_into_queries(
    athena: AthenaServer, loaded: Cache, cache_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2 accounts x 2 regions: 24 partitions a query is six days (five and one for lateness):
    # 1-21 November and the day after is five statements.
    monkeypatch.setattr(athena_sync, "MAX_PARTITIONS", 24)
    target = AthenaTarget(
        table=TABLE,
        output_location=RESULTS,
        accounts=("111122223333", "444455556666"),
        regions=("us-east-1", "eu-west-1"),
    )
    with Cache.open(cache_path) as cache:
        summary = sync_athena(
            cache,
            target,
            filter_text="-is:read",
            since=datetime(2026, 11, 1, tzinfo=timezone.utc),
            until=datetime(2026, 11, 21, tzinfo=timezone.utc),
        )
        assert raws(cache) == raws(loaded, in_window("-is:read"))
    assert summary.queries == len(athena.fake.statements) == 5


def test_a_missing_table_says_how_to_create_it(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    result = run_cli("sync", "athena", "--table", "trail.nosuch", "--output-location", RESULTS)
    assert result.code == 1
    (line,) = result.err_lines
    assert "trail.nosuch" in line and "rdstrail athena ddl" in line


def test_no_output_location_is_one_line(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    result = run_cli("sync", "athena", "--table", TABLE, *WINDOW)
    assert result.code == 1
    (line,) = result.err_lines
    assert "--output-location" in line


def test_a_denied_results_bucket_is_one_line_and_nothing_is_lost(
    athena: AthenaServer, run_cli: Callable[..., Result], cache_path: Path
) -> None:
    assert sync(run_cli, "modify").code == 0
    with Cache.open(cache_path) as cache:
        before = cache.count()
    athena.fake.denied_output_buckets.add("athena-results")
    result = sync(run_cli, "delete")
    assert result.code == 1
    (line,) = result.err_lines
    assert "Access denied" in line and "s3://athena-results/" in line
    with Cache.open(cache_path) as cache:
        assert cache.count() == before


def test_a_failed_query_gives_athenas_reason_in_one_line(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    athena.fake.fail_next("HIVE_BAD_DATA: Error parsing field value '\x1b[2J' for field 3")
    result = sync(run_cli, "modify")
    assert result.code == 1
    (line,) = result.err_lines
    assert "HIVE_BAD_DATA" in line and "\x1b" not in line


def test_throttling_is_retried_with_backoff_and_counted(
    athena: AthenaServer, loaded: Cache, cache_path: Path
) -> None:
    athena.fake.throttle_next(2)
    with Cache.open(cache_path) as cache:
        summary = sync_athena(
            cache,
            AthenaTarget(table=TABLE, output_location=RESULTS),
            filter_text="modify",
            since=datetime(2026, 11, 1, tzinfo=timezone.utc),
            until=datetime(2026, 11, 21, tzinfo=timezone.utc),
        )
        assert raws(cache) == raws(loaded, in_window("modify"))
    assert summary.throttles == 2 == athena.fake.throttled


def test_max_scan_stops_the_query_and_says_so(
    athena: AthenaServer, run_cli: Callable[..., Result], cache_path: Path
) -> None:
    athena.fake.running_seconds = 5.0
    result = sync(run_cli, "modify", "--max-scan", "1KB")
    assert result.code == 1
    (line,) = result.err_lines
    assert "more than --max-scan 1" in line and "$" in line
    assert len(athena.fake.stopped) == 1
    with Cache.open(cache_path) as cache:
        assert cache.count() == 0


def test_the_workgroups_own_cutoff_is_reported(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    athena.fake.workgroups["primary"]["bytes_cutoff"] = 2000
    result = sync(run_cli, "modify")
    assert result.code == 1
    (line,) = result.err_lines
    assert "workgroup" in line and "primary" in line


def test_ctrl_c_stops_the_query_and_keeps_the_cache(athena: AthenaServer, cache_path: Path) -> None:
    athena.fake.running_seconds = 5.0
    seen: list[SyncSummary] = []

    def on_progress(summary: SyncSummary) -> None:
        seen.append(summary)
        if "RUNNING" in summary.stage:
            raise KeyboardInterrupt

    with Cache.open(cache_path) as cache:
        with pytest.raises(KeyboardInterrupt):
            sync_athena(
                cache,
                AthenaTarget(table=TABLE, output_location=RESULTS),
                filter_text="modify",
                since=datetime(2026, 11, 1, tzinfo=timezone.utc),
                until=datetime(2026, 11, 21, tzinfo=timezone.utc),
                on_progress=on_progress,
            )
        assert cache.count() == 0
        assert cache.cursors(athena_sync.CURSOR_SOURCE) == {}
    assert len(athena.fake.stopped) == 1


def test_an_injected_account_table_needs_accounts(
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
    buckets: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    run_cli: Callable[..., Result],
) -> None:
    set_athena_env(monkeypatch, tmp_path, athena_server, seaweed)
    created = run_cli(
        "athena", "ddl", buckets, "--regions", "us-east-1,eu-west-1", "--since", "2026-01-01",
        "--table", "trail.org", "--create", "--output-location", RESULTS,
    )  # fmt: skip
    assert created.code == 0, created.err
    result = run_cli("sync", "athena", "--table", "trail.org", "--output-location", RESULTS)
    assert result.code == 1
    assert "--account" in result.err and len(result.err_lines) == 1
    result = run_cli(
        "sync", "athena", "--table", "trail.org", "--output-location", RESULTS,
        "--account", "111122223333", *WINDOW, "modify",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "\"account\" IN ('111122223333')" in athena_server.fake.statements[-1]


def test_a_bad_table_name_is_one_line(athena: AthenaServer, run_cli: Callable[..., Result]) -> None:
    result = run_cli("sync", "athena", "--table", "trail.logs; DROP TABLE x", *WINDOW)
    assert result.code == 1
    (line,) = result.err_lines
    assert "trail.logs; DROP TABLE x" in line
    assert athena.fake.statements == []


@pytest.mark.serial
def test_ctrl_c_in_a_real_process_stops_the_query_exits_130_and_keeps_the_cache(
    athena: AthenaServer, run_cli: Callable[..., Result], cache_path: Path
) -> None:
    assert sync(run_cli, "modify").code == 0
    with Cache.open(cache_path) as cache:
        before = cache.count()
    assert before > 0
    athena.fake.running_seconds = 60.0
    process = subprocess.Popen(
        [sys.executable, "-m", "rdstrail_tui", "sync", "athena", "--table", TABLE,
         "--output-location", RESULTS, *WINDOW, "delete"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        start_new_session=True,  # its own process group, as a shell job has
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        # Wait for the query to be there (its statement arrived: the Ctrl-C may come before
        # or after StartQueryExecution's answer), then Ctrl-C.
        while len(athena.fake.statements) < 2:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the query never started"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)
        _, err_bytes = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = err_bytes.decode()
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("rdstrail: sync interrupted")
    assert len(athena.fake.stopped) == 1
    with Cache.open(cache_path) as cache:
        assert cache.count() == before


def test_ctrl_c_while_the_query_is_being_started_still_stops_it(
    athena: AthenaServer, cache_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call reached Athena, which started the query, but Ctrl-C came before its answer:
    asking again with the same token finds that query (and starts no other)."""
    athena.fake.running_seconds = 60.0
    start = AthenaQueries._start

    def interrupted(self: AthenaQueries, sql: str, what: str, token: str) -> str:
        start(self, sql, what, token)
        raise KeyboardInterrupt

    monkeypatch.setattr(AthenaQueries, "_start", interrupted)
    with Cache.open(cache_path) as cache, pytest.raises(KeyboardInterrupt):
        sync_athena(
            cache,
            AthenaTarget(table=TABLE, output_location=RESULTS),
            filter_text="modify",
            since=datetime(2026, 11, 1, tzinfo=timezone.utc),
            until=datetime(2026, 11, 21, tzinfo=timezone.utc),
        )
    assert len(athena.fake.statements) == 1  # the second ask started nothing
    assert len(athena.fake.stopped) == 1


def test_a_region_the_table_does_not_project_is_said(
    athena: AthenaServer, run_cli: Callable[..., Result]
) -> None:
    result = sync(run_cli, "modify", "--region", "us-east-1", "--region", "ap-south-1")
    assert result.code == 1
    problem, summary = result.err_lines
    assert "region ap-south-1 is not in the table's projection.region.values" in problem
    assert summary.startswith("synced athena:trail.logs: ")
    # The named regions bound the statement; without --region, the table's own.
    assert "\"region\" IN ('us-east-1', 'ap-south-1')" in athena.fake.statements[-1]
    assert sync(run_cli, "modify").code == 0
    assert "\"region\" IN ('us-east-1', 'eu-west-1')" in athena.fake.statements[-1]


def test_an_interrupted_split_sync_goes_on_from_the_last_piece_it_cached(
    athena: AthenaServer, loaded: Cache, cache_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(athena_sync, "MAX_PARTITIONS", 24)  # five statements, as above
    bring_back = athena_sync.AthenaSync._bring_back
    calls: list[int] = []

    def third_interrupted(self: athena_sync.AthenaSync, *args: object) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        bring_back(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(athena_sync.AthenaSync, "_bring_back", third_interrupted)
    target = AthenaTarget(
        table=TABLE, output_location=RESULTS, accounts=("111122223333", "444455556666")
    )
    window = {
        "since": datetime(2026, 11, 1, tzinfo=timezone.utc),
        "until": datetime(2026, 11, 21, tzinfo=timezone.utc),
    }
    with Cache.open(cache_path) as cache:
        with pytest.raises(KeyboardInterrupt):
            sync_athena(cache, target, filter_text="-is:read", **window)  # type: ignore[arg-type]
        (value,) = cache.cursors(athena_sync.CURSOR_SOURCE).values()
        # Two pieces of five days each were cached: to the end of 10 November.
        end = int(datetime(2026, 11, 11, tzinfo=timezone.utc).timestamp()) - 1
        assert json.loads(value) == {"since": int(window["since"].timestamp()), "until": end}
        monkeypatch.setattr(athena_sync.AthenaSync, "_bring_back", bring_back)
        del window["since"]
        sync_athena(cache, target, filter_text="-is:read", **window)  # type: ignore[arg-type]
        assert raws(cache) == raws(loaded, in_window("-is:read"))
    # It went on from an hour before that end, in three statements.
    assert "\"timestamp\" BETWEEN '2026/11/10'" in athena.fake.statements[3]
    assert len(athena.fake.statements) == 3 + 3
