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
  (c) the explorer in a real terminal (tmux, 160x48, the installed command): launch to
      the list, launch with --resource orders-prod to its history on screen (the
      difference is what opening the history costs), and R to the resources screen;
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


class Terminal:
    """The installed rdstrail in tmux at 160x48, the screen polled with capture-pane."""

    def __init__(self, server: str = "rdstrail-bench-history") -> None:
        self.server = server
        self.session = 0

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.server, *args], capture_output=True, text=True)
        return done.stdout

    def start(self, command: list[str]) -> float:
        """Start `command` in a new window; returns the time it was started."""
        self.session += 1
        shell = "env TERM=xterm-256color " + " ".join(command) + "; sleep 60"
        began = time.perf_counter()
        self.tmux("new-session", "-d", "-s", f"s{self.session}", "-x", "160", "-y", "48", shell)
        return began

    def until(self, text: str, began: float, timeout: float = 30.0) -> float:
        while time.perf_counter() - began < timeout:
            if text in self.tmux("capture-pane", "-p", "-t", f"s{self.session}"):
                return time.perf_counter() - began
            time.sleep(0.005)
        raise SystemExit(f"{text!r} never showed")

    def settled(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Until the screen has not changed for `quiet` seconds: what a person waits for
        before the next key (the detail of a newly filtered list, its card and diff)."""
        began = last_change = time.perf_counter()
        shown = ""
        while time.perf_counter() - began < timeout:
            now = self.tmux("capture-pane", "-p", "-t", f"s{self.session}")
            if now != shown:
                shown, last_change = now, time.perf_counter()
            elif time.perf_counter() - last_change >= quiet:
                return
            time.sleep(0.02)

    def keys(self, *keys: str) -> float:
        began = time.perf_counter()
        self.tmux("send-keys", "-t", f"s{self.session}", *keys)
        return began

    def close(self) -> None:
        self.tmux("kill-server")


def terminal_figures(rdstrail: list[str], events: int, busy: str) -> dict[str, float]:
    """In a real terminal, each from the keystroke (or the launch) to the screen: launch to
    the list; R to the resources screen; h on an event of the busy database (the list
    filtered to it) to its history; and launch with --resource to the history."""
    term = Terminal()
    try:
        began = term.start(rdstrail)
        launch = term.until(f"{events:,} events", began)
        term.until("(indexing)", began)  # then wait for the index: the list as people use it
        while "(indexing)" in term.tmux("capture-pane", "-p", "-t", f"s{term.session}"):
            time.sleep(0.05)
        term.settled()
        resources = term.until("RDS resources:", term.keys("R"))
        term.keys("Escape")
        term.until(f"{events:,} events", time.perf_counter())
        term.keys("/", f"res:={busy}", "Enter")
        term.until(f" of {events:,} events", time.perf_counter())
        term.settled()
        history = term.until("config after", term.keys("h"))
        began = term.start([*rdstrail, "--resource", busy])
        launched = term.until("config after", began)
    finally:
        term.close()
    return {"launch": launch, "history": history, "resources": resources, "launched": launched}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--busy", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--generated",
        action="store_true",
        help="the demo generator's cache (bench/tui.py) instead of the busy-database one",
    )
    args = parser.parse_args()
    if args.generated:
        # The project's standard cache (bench/tui.py): the demo generator's trail, every
        # service kept; its busiest resource by events.
        sys.path.insert(0, str(HERE))
        from tui import make_cache as make_generated_cache

        cache = make_generated_cache(args.events)
    else:
        cache = make_cache(args.events, args.busy)
    busiest = subprocess.run(
        [
            sys.executable,
            "-m",
            "rdstrail_tui",
            "--cache",
            str(cache),
            "resources",
            "--sort",
            "events",
            "--format",
            "json",
        ],
        check=True,
        capture_output=True,
    )
    busy = json.loads(busiest.stdout)[0]["identifier"]
    python = sys.executable
    rdstrail = [python, "-m", "rdstrail_tui", "--cache", str(cache)]
    probe = subprocess.run(
        [*rdstrail, "history", busy, "--format", "json"], check=True, capture_output=True
    )
    shown = json.loads(probe.stdout)
    writes = sum(1 for e in shown["events"] if e["readOnly"] is False)
    print(
        f"cache: {args.events:,} events; {busy}: {len(shown['events']):,} events, {writes:,} writes"
    )
    history_s, resources_s, scan_s = [], [], []
    launch_s, view_s, screen_s, launched_s = [], [], [], []
    installed = [str(Path(python).parent / "rdstrail"), "--cache", str(cache)]
    for _ in range(args.repeat):
        scan = subprocess.run(
            [python, "-c", SCAN, str(cache)], check=True, capture_output=True, text=True
        )
        scan_s.append(float(scan.stdout))
        history_s.append(timed_command([*rdstrail, "history", busy, "--format", "json"]))
        resources_s.append(timed_command([*rdstrail, "resources", "--format", "json"]))
        figures = terminal_figures(installed, args.events, busy)
        launch_s.append(figures["launch"])
        view_s.append(figures["history"])
        screen_s.append(figures["resources"])
        launched_s.append(figures["launched"])
    base = statistics.median(scan_s)
    launch = statistics.median(launch_s)

    def line(label: str, values: list[float], target: float | None, against: float) -> None:
        median = statistics.median(values)
        verdict = "" if target is None else f"  (target {target} s: "
        verdict += "" if target is None else ("ok)" if median <= target else "MISSED)")
        print(f"{label:<52} {median:6.3f} s  {median / against:5.2f}x{verdict}")

    print(f"(d) baseline: one SQLite scan of the events            {base:6.3f} s")
    line("(a) rdstrail history --format json (all events)", history_s, None, base)
    line("(b) rdstrail resources --format json", resources_s, None, base)
    print("in tmux at 160x48, ratios against the launch of the list itself:")
    print(f"    launch to the list ({args.events:,} events)            {launch:6.3f} s")
    line("(c) h on the busy database's event to its history", view_s, 0.3, launch)
    line("(c) R to the resources screen", screen_s, 1.0, launch)
    line("    launch --resource to the history", launched_s, None, launch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
