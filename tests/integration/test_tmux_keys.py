"""Keys as a real terminal delivers them to the installed `rdstrail`: tmux at 80x24, bytes
written to the pane in one write, the screen read back with capture-pane.

A Pilot test injects key events after Textual's input parser; these go through it. That is
the point: ESC followed by `j` in one read is what a slow SSH link delivers when Escape and
j are typed quickly, and Textual's parser reads it as `alt+j`.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_tmux import RDSTRAIL, ROW, Tmux, explorer_env

# A background colour in an SGR sequence, 256-colour or true colour.
BACKGROUND = re.compile(r"\x1b\[[0-9;]*?48;(?:5;\d+|2;\d+;\d+;\d+)")


def cursor_row(tmux: Tmux) -> int | None:
    """The index among the painted event rows of the one drawn as the cursor: the row whose
    background differs from every other row's. None when no single row stands out."""
    plain = tmux.screen().splitlines()
    coloured = tmux.screen(escapes=True).splitlines()
    backgrounds = [
        "".join(BACKGROUND.findall(line)[:1])
        for text, line in zip(plain, coloured)
        if ROW.match(text)
    ]
    odd = [index for index, bg in enumerate(backgrounds) if backgrounds.count(bg) == 1]
    return odd[0] if len(backgrounds) > 2 and len(odd) == 1 else None


def on_the_list(screen: str) -> bool:
    rows = [line for line in screen.splitlines() if ROW.match(line)]
    return len(rows) >= 10 and "Filter" in screen.splitlines()[-1]


def in_the_detail(screen: str) -> bool:
    return "Esc Back" in screen.splitlines()[-1] and '"eventVersion"' in screen


@pytest.fixture
def explorer(isolated_user_dirs: Path, cache_path: Path) -> Iterator[Tmux]:
    """The installed rdstrail on the demo, in tmux at 80x24, with the default settings."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (CI installs it): this test needs a real terminal")
    assert RDSTRAIL.exists(), f"rdstrail is not installed next to {sys.executable}"
    env = explorer_env(isolated_user_dirs, cache_path)
    tmux = Tmux()
    try:
        tmux.start(f"{shlex.quote(str(RDSTRAIL))} --demo", env, (80, 24))
        tmux.wait_for("the demo to open", lambda screen: "301 of 301 events" in screen)
        tmux.wait_for("the list's cursor", lambda _: cursor_row(tmux) == 0)
        yield tmux
    finally:
        tmux.kill()


def send_bytes(tmux: Tmux, *hex_bytes: str) -> None:
    """Write the bytes to the pane in one write (the program reads them in one read)."""
    tmux.run("send-keys", "-t", tmux.name, "-H", *hex_bytes)


@pytest.mark.serial
def test_escape_and_j_in_one_read_go_back_and_move_down(explorer: Tmux) -> None:
    tmux = explorer
    tmux.send("Enter")
    tmux.wait_for("the opened event", in_the_detail)
    send_bytes(tmux, "1b", "6a")  # ESC j
    tmux.wait_for("the list again", on_the_list)
    tmux.wait_for("the cursor one row down", lambda _: cursor_row(tmux) == 1)
    # And once more from the filter box: ESC j there cancels the edit, then moves down.
    # (A filter that keeps the cursor's event, DescribeDBSnapshots: the cursor stays on it.)
    tmux.send("/")
    tmux.send("describedbsnapshots", literal=True)
    tmux.wait_for("the filtered list", lambda screen: "301 of 301" not in screen)
    send_bytes(tmux, "1b", "6a")
    screen = tmux.wait_for("the whole list", lambda screen: "301 of 301 events" in screen)
    # The box is empty again: its placeholder shows.
    assert screen.splitlines()[1].strip().startswith("/ to filter"), screen
    tmux.wait_for("the list's footer", on_the_list)
    tmux.wait_for("the cursor another row down", lambda _: cursor_row(tmux) == 2)


@pytest.mark.serial
def test_the_mouse_is_off_by_default(explorer: Tmux) -> None:
    """No mouse tracking asked of the terminal: its own selection works without Shift, and
    moving the mouse sends nothing over the link."""
    flags = "#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}#{mouse_sgr_flag}"
    shown = tmux_format(explorer, flags)
    assert shown == "0000", shown


def tmux_format(tmux: Tmux, text: str) -> str:
    return tmux.run("display-message", "-p", "-t", tmux.name, text).stdout.strip()
