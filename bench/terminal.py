"""Terminal benchmark: the installed `rdstrail` in a real terminal (tmux, 160x48), from
keystroke to screen, start-up included, against two bare Textual apps in the same run.

    python bench/terminal.py [--rdstrail PATH] [--events 1000000] [--repeat 3]
                             [--workdir DIR] [--json FILE]

--rdstrail is the command under test (default: the rdstrail next to this Python), e.g. the
code before a change installed in one venv and after it in another. Its Python (the
script's shebang) also runs the bare apps, so they share its Textual. The run makes, once
into --workdir and then reuses, a demo trail of --events events and a cache of it loaded by
that install (RDSTRAIL_CACHE points the explorer at it; XDG dirs are fresh per launch, so the
user's own cache, config and history are untouched). Then --repeat rounds of:
  (a) a bare Textual app painting one line: launch to the line on screen; peak RSS;
  (b) a bare Textual app whose Input rewrites 40 lines per keystroke: launch; each key of
      `modifydb` (the first 0.3 s after the first screen) to its echo in the box and rows;
  (c) rdstrail: launch to the event count on screen (and, as it happens, the end of
      indexing); `/`, then each key of `modifydb` (the first 0.3 s after the first screen)
      to the screen showing the new filter and its count; peak RSS (VmHWM) after the
      typing; Escape back to every event; End to the oldest event on screen; ten PageUps,
      each to a changed screen.
Every figure runs from just before tmux is asked (respawn-pane, send-keys) to the end of the
first capture-pane showing the expected screen (polled every 5 ms through a tmux control-mode
client: see terminal_pane.py); between keys the screen is left to settle, untimed. Medians
over the rounds are printed, and ratios against the bare apps taken within each round (see
terminal_report.py), which move much less than raw times when the machine is shared.

    python bench/terminal.py --rdstrail /tmp/before/.venv/bin/rdstrail > before.txt
    python bench/terminal.py --rdstrail /tmp/after/.venv/bin/rdstrail > after.txt
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from terminal_apps import input_app_echoes, input_app_shown, one_line_shown, write_apps
from terminal_data import (
    Expected,
    Subject,
    ensure_cache,
    ensure_trail,
    expected_screens,
    subject_of,
)
from terminal_pane import Pane
from terminal_report import TYPED, Rounds, Run, millis, report, seconds

SIZE = (160, 48)
TERM = "xterm-256color"
FIRST_KEY_AFTER = 0.3  # seconds from the first screen to the first key, as a quick user
PAGE_UPS = 10
INDEXING = "(indexing)"  # the status line's mark while the explorer builds its index
XDG_KINDS = ("CACHE", "CONFIG", "DATA", "STATE")


@dataclass(frozen=True)
class Home:
    """Where one launch runs: its environment and working directory."""

    env: dict[str, str]
    cwd: Path


@contextmanager
def isolated_home(cache: Path | None) -> Iterator[Home]:
    """Fresh XDG dirs for one launch (no config, no filter history, no default cache), and
    a fresh working directory (whatever the app writes there is thrown away)."""
    with tempfile.TemporaryDirectory(prefix="rdstrail-bench-home-") as home:
        env = {f"XDG_{kind}_HOME": f"{home}/{kind.lower()}" for kind in XDG_KINDS}
        env["TERM"] = TERM
        if cache is not None:
            env["RDSTRAIL_CACHE"] = str(cache)
        cwd = Path(home) / "cwd"
        cwd.mkdir()
        yield Home(env, cwd)


def counted(screen: str, shown: int, total: int) -> bool:
    """The status line's `N of TOTAL`, N whole (not the tail of a longer number)."""
    return re.search(rf"(?<![\d,]){shown:,} of {total:,}(?![\d,])", screen) is not None


def filter_shown(screen: str, text: str) -> bool:
    """A line of the screen reads `text` alone: the filter box (or the bare Input)."""
    return any(line.strip() == text for line in screen.splitlines())


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.perf_counter()))


class IndexWatch:
    """Notes when the status line loses its `(indexing)` mark, from every screen read while
    the explorer is being measured for something else."""

    def __init__(self, started: float, expected: Expected) -> None:
        self.started = started
        self.expected = expected
        self.seen_indexing = False
        self.ready: float | None = None

    def see(self, screen: str, at: float) -> None:
        if INDEXING in screen:
            self.seen_indexing = True
        elif self.seen_indexing and self.ready is None and self.expected_total_on(screen):
            self.ready = at - self.started

    def expected_total_on(self, screen: str) -> bool:
        return f"of {self.expected.total:,}" in screen


def type_keys(pane: Pane, shown: Callable[[str, str], bool]) -> list[float]:
    """Each key of TYPED, timed to the screen `shown(screen, typed so far)`."""
    times = []
    for length in range(1, len(TYPED) + 1):
        typed = TYPED[:length]

        def now_shown(screen: str, typed: str = typed) -> bool:
            return shown(screen, typed)

        times.append(pane.wait(now_shown, pane.send(typed[-1], literal=True)))
        pane.settle()
    return times


def measure_rdstrail(pane: Pane, subject: Subject, cache: Path, expected: Expected) -> Run:
    total = expected.total
    with isolated_home(cache) as home:
        started = pane.launch([str(subject.rdstrail)], home.env, home.cwd)
        watch = IndexWatch(started, expected)
        pane.observer = watch.see
        try:
            run = Run(launch=pane.wait(lambda screen: counted(screen, total, total), started))
            sleep_until(started + run.launch + FIRST_KEY_AFTER)
            before = pane.screen(escapes=True)  # with attributes: focus changes colours
            run.slash = pane.wait(lambda s: s != before, pane.send("/", literal=True), escapes=True)
            pane.settle()

            def filtered(screen: str, typed: str) -> bool:
                return filter_shown(screen, typed) and counted(
                    screen, expected.counts[typed], total
                )

            run.keystrokes = type_keys(pane, filtered)
            run.rss_mb = pane.peak_rss_mb()

            def everything(screen: str) -> bool:
                return counted(screen, total, total) and not filter_shown(screen, TYPED)

            run.escape = pane.wait(everything, pane.send("Escape"))
            pane.settle()
            run.end = pane.wait(lambda screen: expected.oldest in screen, pane.send("End"))
            pane.settle()
            for _ in range(PAGE_UPS):
                before = pane.screen()

                def moved(screen: str, before: str = before) -> bool:
                    return screen != before

                run.page_ups.append(pane.wait(moved, pane.send("PageUp")))
                pane.settle()
        finally:
            pane.observer = None
            pane.stop()
    run.index_ready = watch.ready
    return run


def measure_one_line(pane: Pane, python: Path, script: Path) -> Run:
    with isolated_home(None) as home:
        started = pane.launch([str(python), str(script)], home.env, home.cwd)
        try:
            run = Run(launch=pane.wait(one_line_shown, started))
            sleep_until(started + run.launch + FIRST_KEY_AFTER)
            run.rss_mb = pane.peak_rss_mb()
        finally:
            pane.stop()
    return run


def measure_input_app(pane: Pane, python: Path, script: Path) -> Run:
    with isolated_home(None) as home:
        started = pane.launch([str(python), str(script)], home.env, home.cwd)
        try:
            run = Run(launch=pane.wait(input_app_shown, started))
            sleep_until(started + run.launch + FIRST_KEY_AFTER)
            run.keystrokes = type_keys(pane, input_app_echoes)
            run.rss_mb = pane.peak_rss_mb()
        finally:
            pane.stop()
    return run


def tmux_version() -> str:
    out = subprocess.run(["tmux", "-V"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


def load_average() -> str:
    return " ".join(f"{load:.2f}" for load in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rdstrail", type=Path, default=Path(sys.executable).parent / "rdstrail")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/rdstrail-bench-terminal"))
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    subject = subject_of(args.rdstrail.absolute())
    args.workdir.mkdir(parents=True, exist_ok=True)
    trail = ensure_trail(subject, args.workdir, args.events)
    with isolated_home(None) as home:
        setup_env = {**os.environ, **home.env}
        cache = ensure_cache(subject, trail, args.workdir, setup_env)
        expected = expected_screens(subject, cache, TYPED, setup_env)

    print(f"rdstrail {subject.version} at {subject.rdstrail}")
    print(f"  python {subject.python}, textual {subject.textual}")
    print(f"cache: {expected.total:,} events in {cache}")
    print("filter counts: " + ", ".join(f"{t} {n:,}" for t, n in expected.counts.items()))
    print(f"terminal: {tmux_version()} {SIZE[0]}x{SIZE[1]}, TERM={TERM}")
    print(f"started {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores,"
          f" load average {load_average()}", flush=True)  # fmt: skip

    rounds = Rounds()
    pane = Pane(SIZE)
    pane.open()
    try:
        resolution = pane.capture_cost()
        with tempfile.TemporaryDirectory(prefix="rdstrail-bench-apps-") as scripts:
            one_line, rewrite = write_apps(Path(scripts))
            for number in range(1, args.repeat + 1):
                rounds.one_line.append(measure_one_line(pane, subject.python, one_line))
                rounds.input_app.append(measure_input_app(pane, subject.python, rewrite))
                rounds.rdstrail.append(measure_rdstrail(pane, subject, cache, expected))
                ours, bare = rounds.rdstrail[-1], rounds.input_app[-1]
                print(
                    f"  round {number}/{args.repeat}: launch {seconds(ours.launch)}"
                    f" (bare {seconds(rounds.one_line[-1].launch)}), keystroke median"
                    f" {millis(statistics.median(ours.keystrokes))}"
                    f" (bare {millis(statistics.median(bare.keystrokes))})",
                    flush=True,
                )
    finally:
        pane.close()

    print(f"finished, load average {load_average()}; one capture-pane takes"
          f" {millis(resolution)} (the resolution of every figure)")  # fmt: skip
    print()
    print("\n".join(report(rounds)))
    if args.json:
        runs = dataclasses.asdict(rounds)
        args.json.write_text(json.dumps({"command": str(subject.rdstrail), **runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
