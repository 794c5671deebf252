"""The installed `rdstrail` in a real terminal: tmux at 80x24, keys sent as a user types them,
the screen read back from the pane."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of

RDSTRAIL = Path(sys.executable).parent / "rdstrail"
DEADLINE = 30.0  # seconds for any one thing to show up, for slow CI machines
POLL = 0.05
STATUS = re.compile(r"(\d[\d,]*) of 301 events")
ROW = re.compile(r"^[!^*:? ] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d ")
OSC_52 = "\x1b]52"


class Tmux:
    """One private tmux server (its own socket, no user config) with one session."""

    def __init__(self) -> None:
        self.name = f"rdstrail-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("TMUX", "TMUX_PANE")}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.name, "-f", os.devnull, *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=DEADLINE,
            check=check,
        )

    def start(self, command: str, env: dict[str, str], size: tuple[int, int]) -> None:
        env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
        width, height = size
        self.run(
            "new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height),
            *env_args, command,
        )  # fmt: skip

    def screen(self, *, escapes: bool = False) -> str:
        return self.run("capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.name).stdout

    def send(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def alive(self) -> bool:
        return self.run("has-session", "-t", self.name, check=False).returncode == 0

    def wait_for(self, what: str, condition: Callable[[str], bool]) -> str:
        """Poll the screen until `condition(screen)`; fail with the last screen at the deadline."""
        deadline = time.monotonic() + DEADLINE
        while True:
            screen = self.screen()
            if condition(screen):
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; the screen was:\n{screen}")
            time.sleep(POLL)

    def kill(self) -> None:
        self.run("kill-server", check=False)


def explorer_env(user_dirs: Path, cache_path: Path) -> dict[str, str]:
    """The explorer's environment in tmux: the test's own cache and user dirs, 256 colours."""
    return {
        "RDSTRAIL_CACHE": str(cache_path),
        "XDG_CACHE_HOME": str(user_dirs / "cache"),
        "XDG_DATA_HOME": str(user_dirs / "data"),
        "XDG_CONFIG_HOME": str(user_dirs / "config"),
        "TERM": "xterm-256color",
    }


def shown_count(screen: str) -> int | None:
    match = STATUS.search(screen)
    return int(match.group(1).replace(",", "")) if match else None


@pytest.mark.serial
def test_filter_in_a_real_terminal(isolated_user_dirs: Path, cache_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it): this test needs a real terminal")
    assert RDSTRAIL.exists(), f"rdstrail is not installed next to {sys.executable}"

    # What the explorer must find: the demo's events whose eventName contains "modify",
    # counted from the demo cache itself (the one the explorer will open: same XDG dirs).
    with Cache.open(ensure_demo_cache()) as cache:
        assert cache.count() == 301
        expected = cache.count(where_of(parse_filter("modify")))
        names = [event.event_name for event in cache.events(with_raw=False)]
    assert expected == sum("modify" in name.lower() for name in names) > 0

    env = explorer_env(isolated_user_dirs, cache_path)
    tmux = Tmux()
    try:
        tmux.start(f"{shlex.quote(str(RDSTRAIL))} --demo", env, (80, 24))
        tmux.wait_for("the demo to open", lambda screen: "301 of 301 events" in screen)

        tmux.send("/")
        tmux.send("modify", literal=True)
        tmux.send("Enter")
        screen = tmux.wait_for(
            "the filtered count",
            lambda screen: shown_count(screen) not in (None, 301) and "modify" in screen,
        )
        # Each keystroke refilters: wait for the count of the whole word, and say what it
        # was instead if it never comes.
        screen = tmux.wait_for(
            f"'{expected} of 301 events' (shown: {shown_count(screen)})",
            lambda screen: shown_count(screen) == expected,
        )
        lines = screen.splitlines()
        assert lines[1].strip() == "modify", screen  # the filter box keeps the filter
        rows = [line for line in lines if ROW.match(line)]
        assert len(rows) == min(expected, 24 - 4), screen  # status, box, header, footer
        assert all("Modify" in row for row in rows), screen

        assert OSC_52 not in tmux.screen(escapes=True)

        tmux.send("q")
        deadline = time.monotonic() + DEADLINE
        while tmux.alive():
            assert time.monotonic() < deadline, f"q did not end rdstrail:\n{tmux.screen()}"
            time.sleep(POLL)
    finally:
        tmux.kill()
