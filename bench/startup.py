"""Start-up benchmark: does reading botocore's RDS model (or anything else new) slow
`rdstrail --version` or the explorer's first paint? Two installs in the same run, rounds
interleaved, ratios taken within each round.

    python bench/startup.py --before /tmp/base/.venv/bin/rdstrail \\
                            --after /tmp/new/.venv/bin/rdstrail [--repeat 5]

Per round, for each install:
  (a) `rdstrail --version`, ten runs: the median wall time of the process;
  (b) in tmux at --size (80x24; from 150 columns the newest event's card is on the first
      screen too), the explorer on a cache of the shipped demo trail (loaded once by that
      install, so each reads a cache of its own schema): launch to the status line's
      `N of N` (and the card) on screen, then Enter on the newest event: at 80x24 to its
      card and JSON on screen, side by side to the first changed screen (the focus moves);
and a bare Textual app painting one line, for scale. Ratios after/before per round, then
their median, are what to read: this machine is shared and its timings drift.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from terminal import isolated_home
from terminal_apps import one_line_shown, write_apps
from terminal_data import Subject, subject_of
from terminal_pane import Pane

VERSION_RUNS = 10


def version_time(subject: Subject) -> float:
    times = []
    for _ in range(VERSION_RUNS):
        began = time.perf_counter()
        subprocess.run([str(subject.rdstrail), "--version"], capture_output=True, check=True)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def demo_cache(subject: Subject, workdir: Path, label: str) -> tuple[Path, int]:
    cache = workdir / f"demo-{label}.db"
    if not cache.exists():
        trail = subject.package / "demo" / "trail"
        command = [str(subject.rdstrail), "load", "--cache", str(cache), str(trail)]
        subprocess.run(command, check=True, capture_output=True)
    stats = subprocess.run(
        [str(subject.rdstrail), "stats", "--cache", str(cache), "--format", "json"],
        capture_output=True,
        check=True,
    )
    return cache, int(json.loads(stats.stdout)["events"])


def explorer_times(pane: Pane, subject: Subject, cache: Path, total: int) -> tuple[float, float]:
    counted = re.compile(rf"(?<![\d,]){total:,} of {total:,}(?![\d,])")
    with isolated_home(cache) as home:
        started = pane.launch([str(subject.rdstrail)], home.env, home.cwd)
        try:
            # Side by side (150 columns and more) the first screen holds the newest event's
            # card too, which ends with its `where` line: launch waits for both.
            wide = pane.size[0] >= 150

            def first_screen(screen: str) -> bool:
                card = not wide or re.search(r"\bwhere {2,}\S", screen) is not None
                return counted.search(screen) is not None and card

            launch = pane.wait(first_screen, started)
            pane.settle()
            # Enter opens the newest event: at 80x24 in the list's place, down to its card's
            # `where` line and the JSON under it; side by side the detail is already there
            # and Enter moves the focus into it (the first changed screen).
            before = pane.screen()

            def opened(screen: str) -> bool:
                if wide:
                    return screen != before
                return re.search(r"\bwhere {2,}\S", screen) is not None and "{" in screen

            detail = pane.wait(opened, pane.send("Enter"))
        finally:
            pane.stop()
    return launch, detail


def one_line_time(pane: Pane, python: Path, script: Path) -> float:
    with isolated_home(None) as home:
        started = pane.launch([str(python), str(script)], home.env, home.cwd)
        try:
            return pane.wait(one_line_shown, started)
        finally:
            pane.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--size", default="80x24", help="the tmux window, WxH (160x48 shows the card at once)"
    )
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    size = (width, height)
    subjects = {"before": subject_of(args.before), "after": subject_of(args.after)}
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="rdstrail-bench-startup-") as work:
        workdir = Path(work)
        caches = {label: demo_cache(s, workdir, label) for label, s in subjects.items()}
        one_line_script, _ = write_apps(workdir)
        pane = Pane(size)
        pane.open()
        try:
            for round_number in range(args.repeat):
                row: dict[str, float] = {}
                # Alternate which install goes first, so drift within a round is shared.
                order = list(subjects) if round_number % 2 == 0 else list(reversed(subjects))
                for label in order:
                    subject = subjects[label]
                    row[f"{label}_version"] = version_time(subject)
                    launch, detail = explorer_times(pane, subject, *caches[label])
                    row[f"{label}_launch"], row[f"{label}_detail"] = launch, detail
                row["bare_one_line"] = one_line_time(
                    pane, subjects["after"].python, one_line_script
                )
                rows.append(row)
                print(
                    f"round {round_number + 1}: "
                    + "  ".join(f"{key} {value * 1000:.0f} ms" for key, value in row.items()),
                    flush=True,
                )
        finally:
            pane.close()
    print(
        f"\n{subjects['before'].version} (before) vs {subjects['after'].version} (after), "
        f"{args.repeat} rounds, tmux {size[0]}x{size[1]}, demo trail of {caches['after'][1]:,} "
        "events (after)"
    )
    for measure in ("version", "launch", "detail"):
        ratios = [row[f"after_{measure}"] / row[f"before_{measure}"] for row in rows]
        before = statistics.median(row[f"before_{measure}"] for row in rows)
        after = statistics.median(row[f"after_{measure}"] for row in rows)
        print(
            f"  {measure:<8} before {before * 1000:6.0f} ms  after {after * 1000:6.0f} ms  "
            f"after/before median {statistics.median(ratios):.2f} "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f})"
        )
    bare = statistics.median(row["bare_one_line"] for row in rows)
    launch_ratio = statistics.median(row["after_launch"] / row["bare_one_line"] for row in rows)
    print(f"  bare Textual one line {bare * 1000:.0f} ms; after's launch / bare {launch_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
