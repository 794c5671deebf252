"""The first hour of a new on-call engineer, in a real terminal: the installed `rdstrail
--demo` in tmux at 80x24, each everyday task done with the keys a user would press, and the
screen read back with capture-pane.

Every task counts its keystrokes (a special key is one, typed text one per character) and
holds them to a third of what the same task took before (the table in the README).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from tests.integration.test_tmux import RDSTRAIL, ROW, Tmux, explorer_env

pytestmark = pytest.mark.serial

SIZE = (80, 24)
# Keys that tmux send-keys names; anything else is text typed character by character.
SPECIAL = {"Enter", "Escape", "PageDown", "PageUp", "End", "Home", "Up", "Down", "C-u"}


@dataclass
class Session:
    tmux: Tmux
    workdir: Path  # the explorer's current directory: where exports and copies go
    env: dict[str, str]
    keys: int = 0
    pressed: list[str] = field(default_factory=list)

    def press(self, *keys: str) -> None:
        for key in keys:
            if key in SPECIAL:
                self.tmux.send(key)
                self.keys += 1
            else:
                self.tmux.send(key, literal=True)
                self.keys += len(key)
            self.pressed.append(key)

    def wait_for(self, what: str, *texts: str) -> str:
        return self.tmux.wait_for(what, lambda screen: all(text in screen for text in texts))

    def rdstrail(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """The same installed command, as a script would run it (same user dirs)."""
        return subprocess.run(
            [str(RDSTRAIL), "--demo", *args],
            capture_output=True,
            env={**os.environ, **self.env},
            timeout=60,
            check=True,
        )


@pytest.fixture
def session(isolated_user_dirs: Path, cache_path: Path, tmp_path: Path) -> Iterator[Session]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it): this test needs a real terminal")
    assert RDSTRAIL.exists(), f"rdstrail is not installed next to {sys.executable}"
    workdir = tmp_path / "work"
    workdir.mkdir()
    env = explorer_env(isolated_user_dirs, cache_path)
    tmux = Tmux()
    try:
        command = f"cd {shlex.quote(str(workdir))} && exec {shlex.quote(str(RDSTRAIL))} --demo"
        tmux.start(command, env, SIZE)
        tmux.wait_for("the demo to open", lambda screen: "301 of 301 events" in screen)
        yield Session(tmux, workdir, env)
    finally:
        tmux.kill()


def demo_events(text: str) -> list[Event]:
    """What `rdstrail query TEXT` finds in the demo, newest first."""
    with Cache.open(ensure_demo_cache()) as cache:
        return list(cache.events(where_of(parse_filter(text)), with_raw=True))


def rows(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if ROW.match(line)]


def card(screen: str) -> list[str]:
    """The event card: the lines under the filter box, down to the detail's title."""
    lines = screen.splitlines()[2:]
    end = next(i for i, line in enumerate(lines) if line.strip().startswith(("JSON", "Diff")))
    return lines[:end]


def shows_path(path: Path) -> Callable[[str], bool]:
    """A condition: the screen shows `path` whole, though wrapped over lines of a box."""

    def shown(screen: str) -> bool:
        joined = "".join(line.strip().strip("│").strip() for line in screen.splitlines())
        return str(path) in joined

    return shown


def moved_from(screen: str) -> Callable[[str], bool]:
    """A condition: the screen is no longer `screen`."""
    return lambda now: now != screen


def test_who_modified_or_deleted_an_instance_last_week_and_from_where(
    session: Session,
) -> None:
    """Was ~125 keys: no OR, the principal cut to its start, no IP at 80 columns."""
    flt = "modifydbi,deletedbi since:2026-11-13"
    expected = demo_events(flt)
    assert expected, "the demo has such calls in its last week"
    session.press("/", flt, "Enter")
    screen = session.wait_for("the filtered list", f"{len(expected)} of 301 events")
    listed = rows(screen)
    assert len(listed) == len(expected), screen
    assert all(("ModifyDBInstance" in r or "DeleteDBInstance" in r) for r in listed), screen
    session.press("Enter")  # the newest: its card says who, and from where
    newest = expected[0]
    screen = session.wait_for("the card", newest.source_ip, "who ")
    lines = card(screen)
    assert lines[0].startswith(newest.time.strftime("%Y-%m-%d %H:%M:%S")), screen
    assert newest.event_name in lines[0] and "OK" in lines[0], screen
    who = next(line for line in lines if line.startswith("who "))
    session_name = newest.principal.rpartition("/")[2]
    assert who.rstrip().endswith(session_name), screen  # the distinguishing end
    where_from = next(line for line in lines if line.startswith("from "))
    assert newest.source_ip in where_from, screen
    assert session.keys <= 125 // 3, session.pressed


def test_did_the_change_apply_or_is_it_pending(session: Session) -> None:
    """Was 36 keys, and the diff never said which event, who or when."""
    modify = demo_events("name:=ModifyDBInstance -is:error")[0]
    session.press("/", "modifydbi", "Enter", "d")  # d opens the newest one's diff
    screen = session.wait_for("the diff", "Diff", "set by AWS")
    lines = card(screen)
    assert lines[0].startswith(modify.time.strftime("%Y-%m-%d %H:%M:%S")), screen
    assert "ModifyDBInstance" in lines[0] and "OK" in lines[0], screen
    assert any(line.startswith("resource") and modify.resource in line for line in lines)
    assert any(line.startswith("who ") for line in lines), screen
    body = screen.splitlines()
    summary = next(line for line in body if "applied" in line or "pending" in line)
    assert "> " in summary and "pending" in summary, screen  # symbol and word
    assert any("(pending; now" in line for line in body), screen
    assert session.keys <= 36 // 3, session.pressed


def test_every_failed_call_and_why(session: Session) -> None:
    """Was ~47 keys: no ERROR column at 80x24, no errorMessage."""
    failed = demo_events("is:error")
    session.press("e")
    screen = session.wait_for("the failures", f"{len(failed)} of 301 events", "ERROR")
    listed = rows(screen)
    assert listed and all(r.startswith("!") for r in listed), screen
    # Each row shows the start of its errorCode, at 80 columns.
    for row, event in zip(listed, failed):
        assert event.error_code is not None
        assert event.error_code[:8] in row, (row, event.error_code)
    session.press("Enter")
    newest = failed[0]
    assert newest.error_code is not None and newest.error_message is not None
    # The card's error line: `error  CODE: message` (a long operation name leaves the
    # heading no room for the code).
    screen = session.wait_for("the failure's card", "FAILED", f"{newest.error_code}:")
    assert any(newest.error_message[:40] in line for line in card(screen)), screen
    assert session.keys <= 47 // 3, session.pressed


def test_what_happened_to_one_database(session: Session) -> None:
    """Was a substring AND-ed onto the filter: reporting-pg also brought -replica and
    -restore-test. Now `res:=` (which `r` on a row writes) is that database alone."""
    expected = demo_events("res:=reporting-pg")
    assert len(demo_events("res:reporting-pg")) > len(expected) > 0
    session.press("/", "res:=reporting-pg", "Enter")
    screen = session.wait_for("its history", f"{len(expected)} of 301 events")
    listed = rows(screen)
    # Every call that names it: its own, and (res: matches every resource an event
    # touches) the creation of its read replica, whose request names it as the source.
    # Not the replica's own calls, nor the restore test's.
    own = [r for r in listed if " reporting-pg " in r + " "]
    assert len(own) == len(listed) - 1, screen
    assert any("CreateDBInstanceR" in r and "-replica" in r for r in listed), screen
    assert not any("PromoteRead" in r or "restore" in r for r in listed), screen
    assert session.keys <= 19, session.pressed
    # r on a row of it writes the same filter, in place of the one typed.
    session.press("r")
    screen = session.wait_for("the quick filter", f"{len(expected)} of 301 events")
    assert screen.splitlines()[1].strip() == "res:=reporting-pg", screen


def test_copy_one_events_json_into_a_ticket(session: Session) -> None:
    """Was: the toast said "copied" when nothing was. Now it says sent, and `w` writes a
    file whose path is shown, for when the terminal refused OSC 52."""
    newest = demo_events("")[0]
    session.press("Enter", "y")
    screen = session.wait_for("the copy dialog", "OSC 52")
    assert "Sent" in screen and "copied" not in screen.lower(), screen
    session.press("w")
    session.wait_for("the written file", "Wrote ")
    written = list(session.workdir.glob("rdstrail-event-*.json"))
    assert len(written) == 1
    # The whole path, as the dialog wraps it (a long one takes several lines, which may
    # be painted a frame apart): the lines joined, box borders dropped.
    session.tmux.wait_for(f"the path {written[0]}", shows_path(written[0]))
    assert stat.S_IMODE(written[0].stat().st_mode) == 0o600
    assert json.loads(written[0].read_text()) == json.loads(newest.raw)
    assert session.keys <= 3, session.pressed


def test_export_the_matching_events_to_csv(session: Session) -> None:
    """Was: not from the explorer (quit, retype the filter as a query)."""
    session.press("e")
    session.wait_for("the failures", "is:error")
    session.press("w")
    screen = session.wait_for("the export dialog", "--format csv")
    assert "rdstrail query is:error --format csv" in screen, screen
    session.press("Enter")
    session.wait_for("the export's end", "Exported")
    exported = list(session.workdir.glob("rdstrail-*.csv"))
    assert len(exported) == 1
    assert stat.S_IMODE(exported[0].stat().st_mode) == 0o600
    # Exactly what the query writes for the same filter.
    expected = session.rdstrail("query", "is:error", "--format", "csv").stdout
    assert exported[0].read_bytes() == expected
    table = list(csv.reader(io.StringIO(expected.decode("utf-8"), newline="")))
    assert len(table) - 1 == len(demo_events("is:error"))
    assert session.keys <= 3, session.pressed


def test_find_the_help_and_the_legends(session: Session) -> None:
    """Was: the diff's symbols unexplained, footers cut."""
    footer = session.tmux.screen().splitlines()[-1]
    assert "? Help" in footer and "q Quit" in footer, footer
    session.press("?")
    session.wait_for("the help", "Anywhere")
    screen = session.tmux.screen()
    for _ in range(6):
        if "=  applied" in screen:  # the legend's first symbol
            break
        session.press("PageDown")
        screen = session.tmux.wait_for("the next page", moved_from(screen))
    screen = session.wait_for("the diff's legend", "=  applied", "~  changed", ">  pending")
    assert session.keys <= 7, session.pressed
