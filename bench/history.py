"""Resource history benchmark: a million cached RDS events, the busiest resource's history
and the resources list, against one SQLite scan of the same cache in the same run.

    python bench/history.py [--events 1000000] [--busy 0.1] [--repeat 5]

Makes (once, then reuses) bench/out/history-N-v2.db: N RDS events over 3 accounts, 2 regions
and 2,000 instances, of which --busy (10%) are about one instance, `orders-prod` (reads
naming it plainly or by ARN, and one write in a hundred with a whole DBInstance response,
pending values included; a database polled every minute for 90 days is read 130,000
times). Then times, each in a fresh process and --repeat times (medians):

  (a) `rdstrail history orders-prod --format json` end to end: start-up, the cache, the
      lookup, the timeline, the configuration over time of every write, the JSON;
  (b) `rdstrail resources --format json`: every resource's row from the summaries;
  (c) the explorer, headless (App.run_test): from pushing the history view of orders-prod
      to its timeline filled, and from pushing the resources screen to its table filled;
  (d) the baseline: one SQLite scan of the events table (count by a column no index
      covers), what any question the cache cannot answer from an index costs.

Targets (issue 11): history under 0.3 s and the resources screen under 1 s at 1,000,000
events; ratios against (d) are printed beside the seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
BUSY = "orders-prod"
ACCOUNTS = ("111122223333", "444455556666", "123456789012")
REGIONS = ("us-east-1", "eu-west-1")


def _db_instance(
    name: str, account: str, region: str, klass: str, pending: dict[str, object]
) -> dict[str, object]:
    return {
        "dBInstanceIdentifier": name,
        "dBInstanceArn": f"arn:aws:rds:{region}:{account}:db:{name}",
        "dBInstanceClass": klass,
        "engine": "postgres",
        "engineVersion": "16.4",
        "dBInstanceStatus": "available",
        "allocatedStorage": 500,
        "multiAZ": True,
        "publiclyAccessible": False,
        "storageEncrypted": True,
        "deletionProtection": True,
        "backupRetentionPeriod": 7,
        "pendingModifiedValues": pending,
    }


def _record(
    rng: random.Random, n: int, start: int, step: float, name: str, account: str, region: str
) -> dict[str, object]:
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start + int(n * step)))
    # A database polled every minute is read a hundred times for each write: 1% writes for
    # the busy one, 10% for the others.
    write = rng.random() < (0.01 if name == BUSY else 0.1)
    record: dict[str, object] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::{account}:assumed-role/DBAdmin/user{n % 7}",
            "accountId": account,
        },
        "eventTime": when,
        "eventSource": "rds.amazonaws.com",
        "awsRegion": region,
        "sourceIPAddress": f"10.0.{n % 256}.{n % 200 + 1}",
        "userAgent": "aws-cli/2.15.0",
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "readOnly": not write,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
    }
    if not write:
        if rng.random() < 0.8:
            record["eventName"] = "DescribeDBInstances"
            record["requestParameters"] = {"dBInstanceIdentifier": name}
        else:
            record["eventName"] = "ListTagsForResource"
            record["requestParameters"] = {
                "resourceName": f"arn:aws:rds:{region}:{account}:db:{name}"
            }
        record["responseElements"] = None
        return record
    klass = ("db.r6g.large", "db.r6g.xlarge", "db.r6g.2xlarge")[n % 3]
    if n % 2:
        record["eventName"] = "ModifyDBInstance"
        record["requestParameters"] = {"dBInstanceIdentifier": name, "dBInstanceClass": klass}
        record["responseElements"] = _db_instance(
            name, account, region, "db.r6g.large", {"dBInstanceClass": klass}
        )
    else:
        record["eventName"] = "RebootDBInstance"
        record["requestParameters"] = {"dBInstanceIdentifier": name}
        record["responseElements"] = _db_instance(name, account, region, klass, {})
    return record


def make_cache(events: int, busy: float) -> Path:
    cache_path = OUT / f"history-{events}-v2.db"
    marker = OUT / f"history-{events}-v2.complete"
    if marker.exists():
        return cache_path
    import orjson

    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.model.event import event_from_record

    OUT.mkdir(exist_ok=True)
    cache_path.unlink(missing_ok=True)
    print(f"writing {events:,} RDS events into {cache_path} ...", flush=True)
    rng = random.Random(11)
    start = 1_790_000_000
    step = 90 * 86400 / events
    began = time.perf_counter()
    with Cache.open(cache_path) as cache:
        batch = []
        for n in range(events):
            if rng.random() < busy:
                name, account, region = BUSY, ACCOUNTS[0], REGIONS[0]
            else:
                name = f"db-{rng.randrange(2000)}"
                account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
            record = _record(rng, n, start, step, name, account, region)
            batch.append(event_from_record(record, orjson.dumps(record)))
            if len(batch) == 20_000:
                cache.insert(batch)
                batch = []
        cache.insert(batch)
    print(f"  written in {time.perf_counter() - began:.0f} s", flush=True)
    marker.touch()
    return cache_path


def timed_command(args: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


SCAN = r"""
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
began = time.perf_counter()
db.execute("SELECT count(*) FROM events WHERE user_agent = -1").fetchone()
print(time.perf_counter() - began)
"""

SCREENS = r"""
import asyncio, sys, time, json
from pathlib import Path
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.screens.history import HistoryScreen
from rdstrail_tui.tui.screens.resources import ResourcesScreen
from rdstrail_tui.query.history import find_resources, history_of
from rdstrail_tui.tui.widgets.row_list import RowList

async def main():
    app = RdstrailApp(Path(sys.argv[1]))
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.pause()
        main = app.main_screen
        began = time.perf_counter()
        ((rid, _),) = find_resources(main.cache, sys.argv[2])
        await app.push_screen(HistoryScreen(main.cache, history_of(main.cache, rid)))
        while not app.screen.query_one("#timeline", RowList).count:
            await asyncio.sleep(0.001)
        await pilot.pause()
        history = time.perf_counter() - began
        app.pop_screen()
        await pilot.pause()
        began = time.perf_counter()
        await app.push_screen(ResourcesScreen(main.cache, app.history))
        while not app.screen.query_one("#resources", RowList).count:
            await asyncio.sleep(0.001)
        await pilot.pause()
        resources = time.perf_counter() - began
        rows = app.screen.query_one("#resources", RowList).count
    print(json.dumps({"history": history, "resources": resources, "rows": rows}))

asyncio.run(main())
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--busy", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cache = make_cache(args.events, args.busy)
    python = sys.executable
    rdstrail = [python, "-m", "rdstrail_tui", "--cache", str(cache)]
    probe = subprocess.run(
        [*rdstrail, "history", BUSY, "--format", "json"], check=True, capture_output=True
    )
    shown = json.loads(probe.stdout)
    writes = sum(1 for e in shown["events"] if e["readOnly"] is False)
    print(
        f"cache: {args.events:,} events; {BUSY}: {len(shown['events']):,} events, {writes:,} writes"
    )
    history_s, resources_s, scan_s, tui_history, tui_resources = [], [], [], [], []
    rows = 0
    for _ in range(args.repeat):
        scan_s.append(
            float(
                subprocess.run(
                    [python, "-c", SCAN, str(cache)], check=True, capture_output=True, text=True
                ).stdout
            )
        )
        history_s.append(timed_command([*rdstrail, "history", BUSY, "--format", "json"]))
        resources_s.append(timed_command([*rdstrail, "resources", "--format", "json"]))
        screens = json.loads(
            subprocess.run(
                [python, "-c", SCREENS, str(cache), BUSY],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        tui_history.append(screens["history"])
        tui_resources.append(screens["resources"])
        rows = screens["rows"]
    base = statistics.median(scan_s)

    def line(label: str, values: list[float], target: float) -> None:
        median = statistics.median(values)
        verdict = "ok" if median <= target else "MISSED"
        print(
            f"{label:<44} {median:6.3f} s  {median / base:5.1f}x scan  "
            f"(target {target} s: {verdict})"
        )

    print(f"(d) baseline: one SQLite scan of events      {base:6.3f} s")
    line("(a) rdstrail history --format json (process)", history_s, 0.3 + 0.5)
    line("(b) rdstrail resources --format json (process)", resources_s, 1.0 + 0.5)
    line("(c) history view, push to timeline filled", tui_history, 0.3)
    line(f"(c) resources screen, push to {rows:,} rows", tui_resources, 1.0)
    print("(a) and (b) include the interpreter's start-up (their target adds 0.5 s for it)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
