"""Athena source benchmark: a filtered `sync_athena` of the demo trail through the local Athena
endpoint (tests/support/athena_server.py) against `sync_s3` of the same window, both into
empty caches, in the same run.

    python bench/sources_athena.py [--events 1000000] [--repeat 3] [--filter 'res:=... is:write']

Makes (once, then reuses) the demo trail of --events records under bench/out/ and the
SeaweedFS data directory bench/out/seaweed-EVENTS/ holding it in the bucket `trail`, shared
with bench/sources_s3.py (uploaded once: the upload is not timed). Then:
  1. the Athena table, created by the product itself (`rdstrail athena ddl ... --create`) on
     a local Athena whose engine reads the trail from that SeaweedFS;
  2. an untimed warm-up query (a filter matching nothing): the local engine loads the whole
     table into DuckDB on its first SELECT, which Athena does not;
  3. --repeat rounds, each: `sync_s3` of the window into an empty cache, and `sync_athena`
     of the same window and --filter into another, each in a process of its own (the local
     Athena runs in this one), then the two caches compared for the filter's events.

What is comparable with AWS: the objects fetched (GETs of trail objects) and the bytes moved
(the bodies of the GETs: the trail objects, and for Athena its result CSV too). The times
are reported, but Athena's is the local engine's (DuckDB over sqlglot's translation), not
Athena's. Target: Athena fetches and moves at least 20x less than `sync s3` (medians).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
# The trail, the SeaweedFS data directory and the bucket of the S3 benchmark, shared.
from sources_s3 import BUCKET, OUT, make_trail  # noqa: E402

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_s3 import S3Client

    from tests.support.athena_server import AthenaServer
    from tests.support.seaweed import SeaweedServer

TABLE = "trail.logs"
RESULTS_BUCKET = "athena-results"
RESULTS = f"s3://{RESULTS_BUCKET}/bench/"
# One database's writes: a few tens of events among the million. qa-mysql is a mid-sized
# instance of the 1,000,000-event demo trail (1,451 events, 21 writes), not one of its busiest.
DEFAULT_FILTER = "res:=qa-mysql is:write"
WARM_UP_FILTER = "id:rdstrail-bench-warm-up-matches-nothing"
TARGET_RATIO = 20.0
# The demo story spans up to 60 days before its last; older folders (the User Guide's 2018
# record) are not part of the window.
STORY_DAYS = 90
# Credentials and settings the children must not pick up from the caller's environment.
FOREIGN_AWS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


# -- the trail and its window ----------------------------------------------------------------


def trail_objects(trail: Path) -> list[Path]:
    """The trail's log files (not its digests)."""
    return sorted(p for p in trail.rglob("*.json.gz") if "CloudTrail-Digest" not in p.parts)


def place_and_day(path: Path) -> tuple[str, str, date]:
    """(account, region, day) of AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/file."""
    parts = path.parts
    at = parts.index("CloudTrail")
    year, month, day = (int(part) for part in parts[at + 2 : at + 5])
    return parts[at - 1], parts[at + 1], date(year, month, day)


def story_window(objects: list[Path]) -> tuple[date, date]:
    """The first and last day of the demo story's folders."""
    days = sorted({place_and_day(path)[2] for path in objects})
    last = days[-1]
    first = min(day for day in days if day >= last - timedelta(days=STORY_DAYS))
    return first, last


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


# -- the timed processes -----------------------------------------------------------------------


class GetCounter:
    """GETs and the bytes of their bodies, per bucket, from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.gets: dict[str, int] = {}
        self.bytes: dict[str, int] = {}

    def add(self, bucket: str, size: int) -> None:
        with self._lock:
            self.gets[bucket] = self.gets.get(bucket, 0) + 1
            self.bytes[bucket] = self.bytes.get(bucket, 0) + size


def count_s3_sync_gets(counter: GetCounter, bucket: str) -> None:
    """Count what `sync_s3` downloads: its GETs go through BucketReader.get (signed HTTP of
    its own, or boto3), on its download threads."""
    from rdstrail_tui.sources.s3.bucket_reader import BucketReader

    original = BucketReader.get

    def counted_get(self: BucketReader, key: str) -> tuple[bytes, int, int]:
        body, requests, throttles = original(self, key)
        counter.add(bucket, len(body))
        return body, requests, throttles

    setattr(BucketReader, "get", counted_get)  # noqa: B010 - a class method, replaced


def count_athena_sync_gets(counter: GetCounter) -> None:
    """Count what `sync_athena` downloads: the result CSV and the trail objects holding
    matches, all through the boto3 S3 client AthenaSync makes."""
    from rdstrail_tui.sources.athena.sync import AthenaSync

    make_client = AthenaSync._s3_client

    def counted_client(self: AthenaSync, session: boto3.Session) -> S3Client:
        client = make_client(self, session)
        get_object = client.get_object

        def counted_get_object(**kwargs: Any) -> Any:
            response = get_object(**kwargs)
            # The whole body is read by the caller: ContentLength is what crosses the wire.
            counter.add(str(kwargs["Bucket"]), int(response["ContentLength"]))
            return response

        setattr(client, "get_object", counted_get_object)  # noqa: B010 - this client's only
        return client

    setattr(AthenaSync, "_s3_client", counted_client)  # noqa: B010


def child(kind: str, cache_path: str, filter_text: str, window: str, threads: int) -> None:
    """One sync into an empty cache; one JSON line of figures on stdout."""
    sys.path.insert(0, str(ROOT))
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.sources.athena.sync import AthenaTarget, sync_athena
    from rdstrail_tui.sources.s3 import sync_s3
    from rdstrail_tui.sources.sync import SyncSummary

    first, last = (date.fromisoformat(day) for day in window.split(","))
    since, until = midnight(first), midnight(last + timedelta(days=1))
    counter = GetCounter()
    run: Callable[[Cache], SyncSummary]
    if kind == "s3":
        count_s3_sync_gets(counter, BUCKET)

        def run(cache: Cache) -> SyncSummary:
            return sync_s3(
                cache,
                f"s3://{BUCKET}/",
                since=since,
                until=until,
                endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
                threads=threads,
            )
    else:
        count_athena_sync_gets(counter)

        def run(cache: Cache) -> SyncSummary:
            return sync_athena(
                cache,
                AthenaTarget(table=TABLE, output_location=RESULTS),
                filter_text=filter_text,
                since=since,
                until=until,
                endpoint_url=os.environ["AWS_ENDPOINT_URL_ATHENA"],
                s3_endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"],
            )

    with Cache.open(Path(cache_path)) as cache:
        started = time.perf_counter()
        summary = run(cache)
        seconds = time.perf_counter() - started
    for line in summary.problems:
        print(line, file=sys.stderr)
    figures = {
        "seconds": seconds,
        "objects": summary.objects,
        "events_new": summary.events_new,
        "queries": summary.queries,
        "bytes_scanned": summary.bytes_scanned,
        "bytes_fetched": summary.bytes_fetched,
        "trail_gets": counter.gets.get(BUCKET, 0),
        "trail_bytes": counter.bytes.get(BUCKET, 0),
        "result_gets": counter.gets.get(RESULTS_BUCKET, 0),
        "result_bytes": counter.bytes.get(RESULTS_BUCKET, 0),
        "problems": len(summary.problems),
    }
    print(json.dumps(figures))


def timed_sync(
    kind: str, cache: Path, args: argparse.Namespace, window: str, env: dict[str, str]
) -> dict[str, float]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            kind,
            str(cache),
            "--filter",
            args.filter,
            "--window",
            window,
            "--threads",
            str(args.threads),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the {kind} sync failed (status {done.returncode})")
    if done.stderr.strip():
        print(f"  ({kind} sync problems: {done.stderr.strip()[:500]})")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


# -- comparing the caches ----------------------------------------------------------------------


def same_events(s3_cache: Path, athena_cache: Path, filter_text: str) -> tuple[int, int, bool]:
    """(the filter's events in the S3 cache, events in the Athena cache, whether they are
    the same events: IDs and raw records byte for byte)."""
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.query.language import parse_filter
    from rdstrail_tui.query.sql import where_of

    with Cache.open(s3_cache) as cache:
        wanted = {e.event_id: e.raw for e in cache.events(where_of(parse_filter(filter_text)))}
    with Cache.open(athena_cache) as cache:
        got = {e.event_id: e.raw for e in cache.events()}
    return len(wanted), len(got), wanted == got


# -- the run ------------------------------------------------------------------------------------


def child_env(scratch: Path, athena: AthenaServer, seaweed: SeaweedServer) -> dict[str, str]:
    """This environment without the caller's AWS settings, with no AWS config files, and
    with the local Athena's and SeaweedFS's endpoints and keys."""
    from tests.support.athena_server import athena_env

    config, credentials = scratch / "aws-config", scratch / "aws-credentials"
    config.touch()
    credentials.touch()
    env = {name: value for name, value in os.environ.items() if name not in FOREIGN_AWS}
    env.update(
        AWS_CONFIG_FILE=str(config),
        AWS_SHARED_CREDENTIALS_FILE=str(credentials),
        RDSTRAIL_CACHE=str(scratch / "unused.db"),
        **athena_env(athena, seaweed),
    )
    return env


def create_table(env: dict[str, str], accounts: list[str], regions: list[str], first: date) -> None:
    """The product's own DDL, run on the local Athena."""
    done = subprocess.run(
        [sys.executable, "-m", "rdstrail_tui", "athena", "ddl", f"s3://{BUCKET}/AWSLogs/",
         "--accounts", ",".join(accounts), "--regions", ",".join(regions),
         "--since", first.isoformat(), "--table", TABLE, "--create",
         "--output-location", RESULTS],
        env=env,
        capture_output=True,
        text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"rdstrail athena ddl --create failed: {done.stderr.strip()}")


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def report(
    rounds: list[tuple[dict[str, float], dict[str, float]]], expected: tuple[int, int]
) -> list[tuple[str, bool]]:
    """The table of medians and the ratios; the verdicts."""

    def median(side: int, *keys: str) -> float:
        return statistics.median(sum(r[side][key] for key in keys) for r in rounds)

    s3_objects, athena_objects = median(0, "objects"), median(1, "objects")
    s3_bytes = median(0, "trail_bytes")
    athena_trail = median(1, "trail_bytes")
    athena_csv = median(1, "result_bytes")
    athena_bytes = median(1, "trail_bytes", "result_bytes")
    s3_seconds, athena_seconds = median(0, "seconds"), median(1, "seconds")
    scanned = median(1, "bytes_scanned")
    rows = [
        ("objects fetched (trail GETs)", f"{s3_objects:,.0f}", f"{athena_objects:,.0f}",
         ratio(s3_objects, athena_objects)),
        ("bytes moved", f"{s3_bytes:,.0f}", f"{athena_bytes:,.0f}",
         ratio(s3_bytes, athena_bytes)),
        ("  of trail objects", f"{s3_bytes:,.0f}", f"{athena_trail:,.0f}", None),
        ("  of the result CSV", "-", f"{athena_csv:,.0f}", None),
        ("wall time of the sync (s)", f"{s3_seconds:.2f}", f"{athena_seconds:.2f}",
         ratio(s3_seconds, athena_seconds)),
        ("events cached", f"{median(0, 'events_new'):,.0f}", f"{median(1, 'events_new'):,.0f}",
         None),
        ("Athena queries", "-", f"{median(1, 'queries'):.0f}", None),
        ("Athena data scanned", "-", f"{scanned:,.0f}", None),
    ]  # fmt: skip
    print(f"medians of {len(rounds)}:")
    print(f"  {'':30s} {'sync s3':>14s} {'sync athena':>14s} {'s3 / athena':>12s}")
    for name, s3, athena, times in rows:
        shown = f"{times:11.1f}x" if times is not None else ""
        print(f"  {name:30s} {s3:>14s} {athena:>14s} {shown:>12s}")
    print(f"  Athena would bill {scanned / 1e6:.0f} MB scanned: ${scanned / 1e12 * 5:.4f} at $5/TB")
    print(
        "  sync s3 caches every RDS event of the window (the default scope), sync athena the "
        "filter's only.\n"
        "  The local engine's load of the table was not timed, and its query time is not "
        "Athena's (DuckDB\n  over sqlglot's translation): only the objects and bytes compare "
        "with AWS; the times are the fake's."
    )
    window_objects, window_bytes = expected
    objects_ratio, bytes_ratio = ratio(s3_objects, athena_objects), ratio(s3_bytes, athena_bytes)
    return [
        (
            f"objects: s3 / athena = {objects_ratio:.1f}x >= {TARGET_RATIO:.0f}x",
            objects_ratio >= TARGET_RATIO,
        ),
        (
            f"bytes: s3 / athena = {bytes_ratio:.1f}x >= {TARGET_RATIO:.0f}x",
            bytes_ratio >= TARGET_RATIO,
        ),
        (
            f"sync s3 downloaded the window's {window_objects:,} objects, "
            f"{window_bytes:,} bytes (as on disk)",
            all(r[0]["trail_gets"] == window_objects for r in rounds)
            and all(r[0]["trail_bytes"] == window_bytes for r in rounds),
        ),
        (
            "sync athena's GETs of trail objects are its summary's (objects, bytes_fetched)",
            all(
                r[1]["trail_gets"] == r[1]["objects"]
                and r[1]["trail_bytes"] == r[1]["bytes_fetched"]
                for r in rounds
            ),
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--filter", default=DEFAULT_FILTER, help="the selective filter")
    parser.add_argument("--threads", type=int, default=16, help="sync_s3's download threads")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "CACHE"), help=argparse.SUPPRESS)
    parser.add_argument("--window", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, cache_path = args.child
        child(kind, cache_path, args.filter, args.window, args.threads)
        return 0
    return bench(args)


def bench(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    from tests.support.athena_server import AthenaServer
    from tests.support.seaweed import running_seaweed

    trail = make_trail(args.events)
    objects = trail_objects(trail)
    first, last = story_window(objects)
    in_window = [p for p in objects if first <= place_and_day(p)[2] <= last]
    window_bytes = sum(p.stat().st_size for p in in_window)
    accounts = sorted({place_and_day(p)[0] for p in in_window})
    regions = sorted({place_and_day(p)[1] for p in in_window})
    window = f"{first.isoformat()},{last.isoformat()}"
    until = last + timedelta(days=1)
    print(
        f"trail: {len(objects):,} objects; the window {first} to {until} (00:00 UTC) holds "
        f"{len(in_window):,} of them, {window_bytes / 1e6:.0f} MB gzipped; "
        f"{len(accounts)} accounts, {len(regions)} regions; {os.cpu_count()} cores"
    )
    store = OUT / f"seaweed-{args.events}"
    uploaded = OUT / f"seaweed-{args.events}.complete"
    if not uploaded.exists():
        shutil.rmtree(store, ignore_errors=True)
    with running_seaweed(store) as seaweed, AthenaServer(seaweed) as athena:
        if not uploaded.exists():
            print(f"uploading the trail to SeaweedFS ({store}) ...", flush=True)
            started = time.perf_counter()
            seaweed.create_bucket(BUCKET)
            keys = seaweed.upload_tree(BUCKET, trail)
            uploaded.touch()
            print(f"  {len(keys):,} objects in {time.perf_counter() - started:.1f} s (untimed)")
        seaweed.create_bucket(RESULTS_BUCKET)
        with tempfile.TemporaryDirectory() as scratch_name:
            scratch = Path(scratch_name)
            env = child_env(scratch, athena, seaweed)
            create_table(env, accounts, regions, first)
            print(f"table {TABLE} created by `rdstrail athena ddl --create`", flush=True)
            started = time.perf_counter()
            warm = timed_sync("athena", scratch / "warm-up.db", warm_up(args), window, env)
            print(
                f"warm-up query (matches {warm['events_new']:.0f}): the local engine loaded "
                f"the table into DuckDB in {time.perf_counter() - started:.1f} s "
                "(untimed: in none of the figures below)",
                flush=True,
            )
            rounds, agreed, matches = run_rounds(args, window, env, scratch)
    print(f"filter {args.filter!r}: {matches:,} events match in the window")
    verdicts = report(rounds, (len(in_window), window_bytes))
    verdicts.append(
        (
            f"both caches hold the same {matches:,} events for the filter (IDs and raw bytes), "
            "every round",
            agreed and matches > 0,
        )
    )
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 0 if all(ok for _, ok in verdicts) else 1


def warm_up(args: argparse.Namespace) -> argparse.Namespace:
    return argparse.Namespace(**{**vars(args), "filter": WARM_UP_FILTER})


def run_rounds(
    args: argparse.Namespace, window: str, env: dict[str, str], scratch: Path
) -> tuple[list[tuple[dict[str, float], dict[str, float]]], bool, int]:
    """--repeat rounds of both syncs into empty caches; (figures, whether the caches agreed
    every round, the filter's events)."""
    rounds: list[tuple[dict[str, float], dict[str, float]]] = []
    agreed = True
    matches = 0
    for number in range(1, args.repeat + 1):
        s3_cache, athena_cache = scratch / f"s3-{number}.db", scratch / f"athena-{number}.db"
        s3 = timed_sync("s3", s3_cache, args, window, env)
        on_athena = timed_sync("athena", athena_cache, args, window, env)
        matches, cached, same = same_events(s3_cache, athena_cache, args.filter)
        agreed = agreed and same and cached == matches
        rounds.append((s3, on_athena))
        print(
            f"  round {number}: sync s3 {s3['seconds']:.2f} s, {s3['objects']:,.0f} objects, "
            f"{s3['trail_bytes']:,.0f} bytes, {s3['events_new']:,.0f} events; sync athena "
            f"{on_athena['seconds']:.2f} s, {on_athena['objects']:,.0f} objects, "
            f"{on_athena['trail_bytes'] + on_athena['result_bytes']:,.0f} bytes "
            f"({on_athena['result_bytes']:,.0f} of result CSV), "
            f"{on_athena['events_new']:,.0f} events; "
            f"{'the same' if same else 'DIFFERENT'} {matches:,} events for the filter",
            flush=True,
        )
        for cache in (s3_cache, athena_cache):
            for path in cache.parent.glob(cache.name + "*"):  # with its -wal and -shm
                path.unlink()
    return rounds, agreed, matches


if __name__ == "__main__":
    raise SystemExit(main())
