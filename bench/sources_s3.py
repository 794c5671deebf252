"""S3 source benchmark: `sync_s3` from a local SeaweedFS against `rdstrail load` of the same
files from disk, in the same run.

    python bench/sources_s3.py [--events 1000000] [--repeat 3] [--threads 16]

Makes (once, then reuses) a demo trail of --events records under bench/out/, and a SeaweedFS
data directory bench/out/seaweed-EVENTS/ holding it in a bucket (uploaded once: the upload is
not timed). Then, --repeat times, alternating:
  (a) `rdstrail load TRAIL` into an empty cache, as a process (wall time);
  (b) a process that syncs s3://trail/ into an empty cache twice: the first sync's time is
      measured from the process's launch, like (a); the second right after it, in-process.
Targets: (b) first / (a) <= 1.5, (b) second / (b) first <= 0.05 (medians).

Both are timed in two placements, alternating within each round:
  shared    rdstrail and SeaweedFS share every core: the server's CPU is part of the cost;
  isolated  (2+ cores, taskset) SeaweedFS alone on the last core, (a) and (b) alike pinned
            to the others, as when the bucket is elsewhere and the tool has those cores.
CPU seconds (user + system, worker and decoder processes included) are printed beside the
wall times: unlike those, they do not depend on what else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
BUCKET = "trail"
# The demo story ends 2026-11-20 and spans up to 60 days; the User Guide record is of 2018.
SINCE = datetime(2018, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 11, 21, tzinfo=timezone.utc)


def make_trail(events: int) -> Path:
    trail = OUT / f"trail-{events}"
    marker = OUT / f"trail-{events}.complete"  # beside the trail, so the load never sees it
    if marker.exists():
        return trail
    shutil.rmtree(trail, ignore_errors=True)
    print(f"generating a {events:,}-event trail in {trail} ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "rdstrail_tui.demo", str(trail), "--events", str(events)],
        check=True,
    )
    marker.touch()
    return trail


def children_cpu() -> float:
    """User + system CPU time of this process's waited-for children, theirs included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_load(trail: Path, pin: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of `rdstrail load TRAIL` into an empty cache."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "RDSTRAIL_CACHE": str(Path(scratch) / "events.db")}
        cpu = children_cpu()
        started = time.perf_counter()
        subprocess.run(
            [*pin, sys.executable, "-m", "rdstrail_tui", "load", str(trail)],
            env=env,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started, children_cpu() - cpu


def pin_server(pid: int, cpus: str) -> None:
    """Move every thread of the server to `cpus` (taskset's list syntax)."""
    subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=True, capture_output=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_sync(
    endpoint: str, env: dict[str, str], threads: int, server: int, pin: list[str]
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        server_cpu = cpu_seconds(server)
        launched = time.time()
        done = subprocess.run(
            [
                *pin,
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                endpoint,
                str(Path(scratch) / "events.db"),
                "--threads",
                str(threads),
            ],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            text=True,
        )
        result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
        result["first_process"] = result["first_done"] - launched
        result["server_cpu"] = cpu_seconds(server) - server_cpu
        return result


def child(endpoint: str, cache_path: str, threads: int) -> None:
    """The timed process: two syncs into an empty cache, one JSON line of figures."""
    sys.path.insert(0, str(ROOT))
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.sources.s3 import sync_s3

    with Cache.open(Path(cache_path)) as cache:
        figures: dict[str, float] = {}
        for name in ("first", "second"):
            before = resource.getrusage(resource.RUSAGE_SELF)
            started = time.perf_counter()
            summary = sync_s3(
                cache,
                f"s3://{BUCKET}/",
                since=SINCE,
                until=UNTIL,
                endpoint_url=endpoint,
                threads=threads,
            )
            figures[name] = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            figures[f"{name}_cpu"] = (after.ru_utime - before.ru_utime) + (
                after.ru_stime - before.ru_stime
            )
            figures[f"{name}_done"] = time.time()
            figures[f"{name}_objects"] = summary.objects
            figures[f"{name}_new"] = summary.events_new
            figures[f"{name}_requests"] = summary.requests
            if summary.problems:
                print("\n".join(summary.problems), file=sys.stderr)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the decoder processes
    figures["decoders_cpu"] = children.ru_utime + children.ru_stime
    # Peak resident memory (kB on Linux): of the syncing process, and of its largest decoder.
    figures["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["decoder_rss_mb"] = children.ru_maxrss / 1024
    print(json.dumps(figures))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "CACHE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        endpoint, cache_path = args.child
        child(endpoint, cache_path, args.threads)
        return 0

    sys.path.insert(0, str(ROOT))
    from tests.support.seaweed import running_seaweed

    trail = make_trail(args.events)
    files = [p for p in trail.rglob("*.json.gz") if "CloudTrail-Digest" not in p.parts]
    size = sum(p.stat().st_size for p in files)
    print(f"trail: {len(files):,} files, {size / 1e6:.0f} MB gzipped, {os.cpu_count()} cores")
    store = OUT / f"seaweed-{args.events}"
    uploaded = OUT / f"seaweed-{args.events}.complete"
    if not uploaded.exists():
        shutil.rmtree(store, ignore_errors=True)
    with running_seaweed(store) as server:
        if not uploaded.exists():
            print(f"uploading the trail to SeaweedFS ({store}) ...", flush=True)
            started = time.perf_counter()
            server.create_bucket(BUCKET)
            keys = server.upload_tree(BUCKET, trail)
            uploaded.touch()
            print(f"  {len(keys):,} objects in {time.perf_counter() - started:.1f} s (untimed)")
        modes: dict[str, tuple[list[str], str | None]] = {"shared": ([], None)}
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) >= 2 and shutil.which("taskset"):
            tool = ",".join(str(core) for core in cores[:-1])
            modes["isolated"] = (["taskset", "-c", tool], str(cores[-1]))
        figures: dict[str, tuple[list[tuple[float, float]], list[dict[str, float]]]] = {
            mode: ([], []) for mode in modes
        }
        for round_ in range(args.repeat):
            for mode, (pin, server_cpus) in modes.items():
                pin_server(server.pid, server_cpus or ",".join(map(str, cores)))
                loads, syncs = figures[mode]
                loads.append(timed_load(trail, pin))
                syncs.append(
                    timed_sync(server.endpoint_url, server.env(), args.threads, server.pid, pin)
                )
                (wall, cpu), s = loads[-1], syncs[-1]
                sync_cpu = s["first_cpu"] + s["decoders_cpu"]
                print(
                    f"  round {round_ + 1} {mode:8s}: load {wall:.2f} s (CPU {cpu:.2f} s), "
                    f"sync s3 {s['first_process']:.2f} s (call {s['first']:.2f} s, "
                    f"{s['first_objects']:.0f} objects, {s['first_new']:.0f} new; CPU: sync "
                    f"{sync_cpu:.2f} s, SeaweedFS {s['server_cpu']:.2f} s), again "
                    f"{s['second']:.3f} s ({s['second_objects']:.0f} objects, "
                    f"{s['second_requests']:.0f} requests)",
                    flush=True,
                )
        pin_server(server.pid, ",".join(map(str, cores)))
    verdicts = []
    for mode, (loads, syncs) in figures.items():
        load = statistics.median(wall for wall, _ in loads)
        load_cpu = statistics.median(cpu for _, cpu in loads)
        first = statistics.median(s["first_process"] for s in syncs)
        first_call = statistics.median(s["first"] for s in syncs)
        first_cpu = statistics.median(s["first_cpu"] + s["decoders_cpu"] for s in syncs)
        server_cpu = statistics.median(s["server_cpu"] for s in syncs)
        second = statistics.median(s["second"] for s in syncs)
        pin, server_cpus = modes[mode]
        where = (
            "rdstrail and SeaweedFS share every core"
            if server_cpus is None
            else f"rdstrail on CPU {pin[-1]}, SeaweedFS alone on CPU {server_cpus}"
        )
        print(f"{mode} ({where}), medians of {len(loads)}:")
        print(f"  (a) rdstrail load:       {load:6.2f} s   CPU {load_cpu:5.2f} s")
        print(
            f"  (b) sync s3, first:      {first:6.2f} s   CPU {first_cpu:5.2f} s "
            f"(+ SeaweedFS {server_cpu:.2f} s; the sync_s3 call: {first_call:.2f} s)"
        )
        print(f"      sync s3, second:     {second:6.3f} s")
        rss = max(s["rss_mb"] for s in syncs)
        decoder_rss = max(s["decoder_rss_mb"] for s in syncs)
        print(f"  peak memory of the sync: {rss:.0f} MB, and {decoder_rss:.0f} MB per decoder")
        print(
            f"  first / load = {first / load:.2f}   "
            f"CPU first / CPU load = {first_cpu / load_cpu:.2f}"
        )
        verdicts += [
            (f"{mode}: first / load = {first / load:.2f} <= 1.5", first / load <= 1.5),
            (
                f"{mode}: second / first = {second / first_call:.3f} <= 0.05",
                second / first_call <= 0.05,
            ),
            (
                f"{mode}: second sync downloads nothing",
                all(s["second_objects"] == 0 for s in syncs),
            ),
        ]
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
