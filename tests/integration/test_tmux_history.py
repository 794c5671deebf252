"""What happened to one database, and did the change take effect: the installed `rdstrail
--demo` in tmux at 80x24, the history found from the list in five keystrokes and read off
the screen with capture-pane; and `rdstrail --resource NAME` opening on it (or saying in
one line why not).

The demo's orders-prod: db.r6g.4xlarge pended on 11-12, superseded by db.r6g.2xlarge on
11-13, applied by the reboot of 11-16. orders-eu: a storage and a class change still pending.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_tmux import DEADLINE, POLL, RDSTRAIL, Tmux, explorer_env
from tests.integration.test_tmux_tasks import SIZE, Session
from tests.integration.test_tmux_tasks import session as session  # the demo, opened

pytestmark = pytest.mark.serial

DB = "orders-prod"
RESOURCES_TITLE = re.compile(r"RDS resources: \d+ · sorted by last seen")


def needs_tmux() -> None:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it): this test needs a real terminal")
    assert RDSTRAIL.exists(), f"rdstrail is not installed next to {sys.executable}"


@pytest.fixture
def terminal(isolated_user_dirs: Path, cache_path: Path) -> Iterator[tuple[Tmux, dict[str, str]]]:
    """A tmux server of its own, for a command the test starts itself."""
    needs_tmux()
    tmux = Tmux()
    try:
        yield tmux, explorer_env(isolated_user_dirs, cache_path)
    finally:
        tmux.kill()


def config_lines(screen: str) -> list[str]:
    """The configuration pane: the lines under its title, down to the footer."""
    lines = screen.splitlines()
    start = next(n for n, line in enumerate(lines) if line.strip().startswith("config after"))
    return [line for line in lines[start + 1 :] if not line.lstrip().startswith("Esc ")]


def row_of(lines: list[str], mark: str, key: str) -> str | None:
    """The configuration row of `key` with `mark` (`=` applied, `>` pending, ` ` current)."""
    return next((line for line in lines if line.startswith(f"{mark} {key} ")), None)


def test_a_databases_history_in_five_keys_and_did_its_change_apply(session: Session) -> None:
    session.press("R")
    # As a person does: see the resources before moving on them.
    session.tmux.wait_for("the resources screen", lambda s: RESOURCES_TITLE.search(s) is not None)
    session.press("j", "j", "j", "Enter")  # sorted by last seen, orders-prod is the 4th
    screen = session.wait_for("its history", f"instance {DB} (111122223333/us-east-1)")
    assert session.keys <= 5, session.pressed
    # The title is the first line: the history of this DB and no other.
    assert screen.splitlines()[0].strip().startswith(f"instance {DB} ("), screen
    screen = session.wait_for("its configuration", "config after", "dBInstanceClass")
    lines = config_lines(screen)
    current = row_of(lines, " ", "dBInstanceClass")
    assert current is not None, screen
    assert current.split()[-1] == "db.r6g.2xlarge", current
    applied = row_of(lines, "=", "dBInstanceClass")
    assert applied is not None, screen
    assert "db.r6g.2xlarge" in applied and "applied" in applied, applied
    # The timeline says where it took effect: the reboot.
    assert any("RebootDBInstance" in line for line in screen.splitlines()), screen


def test_resource_option_opens_on_the_history_with_values_still_pending(
    terminal: tuple[Tmux, dict[str, str]],
) -> None:
    tmux, env = terminal
    tmux.start(f"exec {shlex.quote(str(RDSTRAIL))} --demo --resource orders-eu", env, SIZE)
    screen = tmux.wait_for(
        "the history of orders-eu",
        lambda s: "instance orders-eu (" in s and "still pending" in s,
    )
    lines = config_lines(screen)
    klass = row_of(lines, ">", "dBInstanceClass")
    assert klass is not None, screen
    assert "db.r6g.xlarge" in klass and "still pending" in klass, klass
    storage = row_of(lines, ">", "allocatedStorage")
    assert storage is not None and "380" in storage and "still pending" in storage, screen
    # Escape: the list of every event, under the history.
    tmux.send("Escape")
    tmux.wait_for("the list", lambda s: "301 of 301 events" in s)


def test_resource_option_naming_nothing_is_one_line_and_exit_1(
    terminal: tuple[Tmux, dict[str, str]], tmp_path: Path
) -> None:
    """In a real terminal (so the explorer would start): one line on stderr, no screen."""
    tmux, env = terminal
    err, code = tmp_path / "stderr", tmp_path / "code"
    command = (
        f"{shlex.quote(str(RDSTRAIL))} --demo --resource no-such-db 2>{shlex.quote(str(err))}; "
        f"echo $? >{shlex.quote(str(code))}.tmp && mv {shlex.quote(str(code))}.tmp "
        f"{shlex.quote(str(code))}; sleep 30"
    )
    tmux.start(f"sh -c {shlex.quote(command)}", env, SIZE)
    deadline = time.monotonic() + DEADLINE
    while not code.exists():
        assert time.monotonic() < deadline, f"rdstrail did not end:\n{tmux.screen()}"
        time.sleep(POLL)
    assert code.read_text().strip() == "1"
    lines = err.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, lines
    assert "no-such-db" in lines[0] and "rdstrail resources" in lines[0], lines
    assert "Traceback" not in lines[0]
    screen = tmux.screen()
    assert "events" not in screen and "Esc" not in screen, screen  # no explorer was drawn
