"""Ingest benchmark: `rdstrail load` against a plain-Python baseline and zcat | jq, same run.

    python bench/ingest.py [--events 1000000] [--repeat 3] [--skip-jq]
                           [--record-size demo|small] [--rdstrail PATH]

Makes (once, then reuses) a demo trail of --events records (about 10% RDS) under bench/out/,
in the demo's shape (about 1.5 KB a record, 100-600 a file) or with --record-size small
(about 800 bytes, 400-500 a file: where the costs per file and per RDS record weigh most),
then times, in the same run:
  (a) `rdstrail load TRAIL` into an empty cache, with the peak memory of its process tree;
  (b) the baseline: one Python process that reads every file, gunzips it with the standard
      gzip module and orjson.loads it, keeping the RDS records, nothing else;
  (c) zcat FILES | jq -c '.Records[] | select(.eventSource=="rds.amazonaws.com")'.
--rdstrail is the command under test, e.g. one installed with `pip install .` into a fresh
virtualenv, as a user has it (the default, `python -m rdstrail_tui` with this Python, is the
tree's own, and where PYTHONDONTWRITEBYTECODE is set it compiles every module in the parent
and in each worker at every run, which an install's byte code does not).
Targets (issue 13): (a)/(b) <= 0.6 on both shapes, (c)/(a) >= 4 (issue 2), peak memory of
(a) < 400 MB.
Timings on a shared machine swing: each of (a) and (b) is run --repeat times, alternating,
and the medians are compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

BASELINE = r"""
import gzip, os, sys, orjson
kept = 0
for root, _, names in os.walk(sys.argv[1]):
    if "CloudTrail-Digest" in root:
        continue
    for name in names:
        if not name.endswith(".json.gz"):
            continue
        with open(os.path.join(root, name), "rb") as handle:
            document = orjson.loads(gzip.decompress(handle.read()))
        kept += sum(1 for r in document["Records"] if r.get("eventSource") == "rds.amazonaws.com")
print(kept)
"""


def make_trail(events: int, record_size: str = "demo") -> Path:
    name = f"trail-{events}" if record_size == "demo" else f"trail-{events}-{record_size}"
    trail = OUT / name
    marker = OUT / f"{name}.complete"  # beside the trail, so the load never sees it
    if marker.exists():
        return trail
    shutil.rmtree(trail, ignore_errors=True)
    print(f"generating a {events:,}-event trail in {trail} ...", flush=True)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "rdstrail_tui.demo",
            str(trail),
            "--events",
            str(events),
            "--record-size",
            record_size,
        ],
        check=True,
    )
    print(f"  generated in {time.perf_counter() - started:.1f} s")
    marker.touch()
    return trail


def _tree_rss(root_pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            pid, ppid = int(entry), int(fields[1])
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            children.setdefault(ppid, []).append(pid)
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def timed(
    command: list[str],
    *,
    shell: bool = False,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> tuple[float, int, str]:
    """Wall time, peak tree RSS (sampled every 20 ms) and stdout of one command."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command if not shell else " ".join(command),
        shell=shell,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        text=True,
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({process.returncode}): {err.strip()}")
    return elapsed, peak, out + err


def run_load(
    trail: Path, rdstrail: list[str], measure_cache: bool = False
) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch) / "events.db"
        env = {**os.environ, "RDSTRAIL_CACHE": str(cache)}
        # Run from the scratch directory: `-m` puts the working directory first on the
        # path, and from a source tree it would measure that tree, not the install this
        # Python has (which once lacked the compression dictionary the tree holds).
        command = [*rdstrail, "load", str(trail.resolve())]
        result = timed(command, env=env, cwd=scratch)
        if measure_cache:
            print(f"    cache size / JSON of its records: {cache_ratio(cache):.2f} (budget 0.5)")
        return result


def cache_ratio(path: Path) -> float:
    """On-disk size of the cache (WAL checkpointed) over the JSON size of what it holds."""
    import sqlite3

    from rdstrail_tui.cache.store import Cache

    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with Cache.open(path) as cache:
        json_bytes = sum(len(event.raw) for event in cache.events())
    return path.stat().st_size / json_bytes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-jq", action="store_true")
    parser.add_argument("--record-size", choices=("demo", "small"), default="demo")
    parser.add_argument("--rdstrail", type=Path, help="the command under test")
    args = parser.parse_args()
    rdstrail = (
        [str(args.rdstrail.absolute())] if args.rdstrail else [sys.executable, "-m", "rdstrail_tui"]
    )

    trail = make_trail(args.events, args.record_size)
    files = sorted(str(p) for p in trail.rglob("*.json.gz") if "CloudTrail-Digest" not in p.parts)
    size = sum(os.path.getsize(f) for f in files)
    print(f"trail: {len(files):,} files, {size / 1e6:.0f} MB gzipped, {os.cpu_count()} cores")
    print(f"command: {' '.join(rdstrail)}")

    load_times, base_times, peaks = [], [], []
    load_out = base_out = ""
    for round_ in range(args.repeat):
        seconds, peak, load_out = run_load(trail, rdstrail, measure_cache=round_ == 0)
        load_times.append(seconds)
        peaks.append(peak)
        seconds, _, base_out = timed([sys.executable, "-c", BASELINE, str(trail)])
        base_times.append(seconds)
        print(f"  round {round_ + 1}: load {load_times[-1]:.2f} s, baseline {base_times[-1]:.2f} s")
    a, b = statistics.median(load_times), statistics.median(base_times)
    print(f"(a) rdstrail load:      {a:7.2f} s   peak RSS {max(peaks) / 2**20:.0f} MB")
    print(f"    {load_out.strip().splitlines()[-1]}")
    print(f"(b) gzip+orjson baseline: {b:5.2f} s   ({base_out.strip()} RDS records)")
    ratio_ab = a / b
    verdicts = [
        ("(a)/(b) <= 0.6", ratio_ab <= 0.6),
        ("peak RSS < 400 MB", max(peaks) < 400 * 2**20),
    ]
    print(f"(a)/(b) = {ratio_ab:.2f}")
    if not args.skip_jq:
        listing = Path(tempfile.mkstemp(suffix=".list")[1])
        listing.write_text("\0".join(files))
        c, _, jq_out = timed(
            [
                f"xargs -0 -a {listing} zcat | jq -c "
                "'.Records[] | select(.eventSource==\"rds.amazonaws.com\")' | wc -l"
            ],
            shell=True,
        )
        listing.unlink()
        print(f"(c) zcat | jq:          {c:7.2f} s   ({jq_out.strip()} RDS records)")
        print(f"(c)/(a) = {c / a:.1f}x")
        verdicts.append(("(c)/(a) >= 4", c / a >= 4))
    for name, ok in verdicts:
        print(f"  {'PASS' if ok else 'MISS'}  {name}")
    return 0 if all(ok for _, ok in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
