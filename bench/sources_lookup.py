"""LookupEvents benchmark: a full sync of 20,000 RDS events (400 pages) from the local fake
CloudTrail (tests/support/lookup_server.py) at the API's 2 requests per second.

    python bench/sources_lookup.py [--events 20000] [--other 2000]

Target: the sync takes at most 1.1x the time the limit allows for the pages it needs
(pages / 2 seconds), with zero throttled requests (as counted by the client and by the
server, whose sliding one-second window throttles a third request). About 200 s; run by
hand, not in CI. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdstrail_tui.cache.store import Cache  # noqa: E402
from rdstrail_tui.sources.lookup import sync_lookup  # noqa: E402
from rdstrail_tui.sources.sync import SyncSummary  # noqa: E402
from tests.support.lookup_server import ACCESS_KEY, SECRET_KEY, LookupServer, make_records  # noqa: E402

RATE = 2.0
TARGET_RATIO = 1.1
REGION = "us-east-1"


def isolate_aws(directory: Path) -> None:
    """The fake's keys from the environment; no real AWS file or metadata service."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    (directory / "config").touch()
    (directory / "credentials").touch()
    os.environ.update(
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(directory / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(directory / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        NO_PROXY="127.0.0.1,localhost",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000, help="RDS events (50 a page)")
    parser.add_argument("--other", type=int, default=2_000, help="non-RDS events, filtered out")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="rdstrail-bench-lookup-") as temp:
        directory = Path(temp)
        isolate_aws(directory)
        now = time.time()
        span = 80 * 86400  # inside LookupEvents' 90 days
        records = make_records(args.events, newest=now - 60, spacing=span / args.events)
        records += make_records(
            args.other,
            newest=now - 30,
            spacing=span / max(1, args.other),
            source="ec2.amazonaws.com",
        )
        last_report = [0.0]

        def progress(summary: SyncSummary) -> None:
            if time.monotonic() - last_report[0] >= 10:
                last_report[0] = time.monotonic()
                print(
                    f"  {summary.events_seen:,} events, {summary.requests} requests, "
                    f"{summary.throttles} throttled, {summary.seconds:.0f} s",
                    flush=True,
                )

        with (
            LookupServer(records, rate_limit=RATE) as server,
            Cache.open(directory / "events.db") as cache,
        ):
            print(
                f"LookupEvents: {args.events:,} RDS + {args.other:,} other events, "
                f"{RATE:g} requests/s per region ...",
                flush=True,
            )
            started = time.perf_counter()
            summary = sync_lookup(
                cache,
                regions=[REGION],
                endpoint_url=server.url,
                on_progress=progress,
                rate_per_second=RATE,
            )
            seconds = time.perf_counter() - started
            cached = cache.count()
            server_throttles = sum(server.fake.throttled.values())
            densest = server.fake.max_in_any_second(REGION)

    pages = sum(region.pages for region in summary.regions.values())
    ideal = pages / RATE
    ratio = seconds / ideal if ideal else float("inf")
    throttles = max(summary.throttles, server_throttles)
    print(f"pages:        {pages}")
    print(f"requests:     {summary.requests}")
    print(f"events:       {summary.events_new:,} new, {cached:,} cached")
    print(f"seconds:      {seconds:.1f}")
    print(f"ideal:        {ideal:.1f} s  (pages / {RATE:g} per second)")
    print(f"ratio:        {ratio:.3f}  (target <= {TARGET_RATIO})")
    print(f"throttles:    {throttles}  (client {summary.throttles}, server {server_throttles})")
    print(f"densest second at the server: {densest} requests")
    ok = ratio <= TARGET_RATIO and throttles == 0 and cached == args.events and not summary.problems
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
