"""Snapshots of the explorer's main views on the demo trail, at 80x24 and 160x48.

Regenerate after an intended change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs under tests/__snapshots__/ before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.load import LoadScreen
from rdstrail_tui.tui.screens.sync import SyncScreen
from rdstrail_tui.tui.screens.welcome import WelcomeScreen
from rdstrail_tui.tui.widgets.filter_box import FilterBox

SnapCompare = Callable[..., bool]
SIZES = pytest.mark.parametrize(
    "size", [(80, 24), (160, 48)], ids=lambda size: f"{size[0]}x{size[1]}"
)

FILTER_MODIFY = ["slash", *"modify", "enter"]
# The second row, opened (Enter on the list).
OPEN_SECOND = ["down", "enter"]
# The second row of the unfiltered demo list is a read-only call (no response, nothing set
# by AWS): the diffs are of the second Modify event (applied, pending, request-only keys
# and 45 set by AWS), then with AWS's keys unfolded.
DIFF = [*FILTER_MODIFY, *OPEN_SECOND, "d"]
DIFF_AWS = [*DIFF, "a"]
# The risky calls; the 12th newest made a snapshot public: its diff, then `i` on valuesToAdd.
RISKY = ["slash", *"is:risky", "enter"]
PUBLIC_SNAPSHOT_DIFF = [*RISKY, *["down"] * 11, "enter", "d"]
FIELD_HELP = [*PUBLIC_SNAPSHOT_DIFF, "down", "down", "i"]


def demo_app(tmp_path: Path) -> RdstrailApp:
    # The demo cache lives under the test's own XDG_CACHE_HOME (see conftest.py).
    return RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "history"))


async def settle(pilot: Pilot[object]) -> None:
    """The index is built by a thread worker after mount: wait for it and its message, and
    stop the filter box's cursor blinking so the cursor is always drawn when focused."""
    app = pilot.app
    assert isinstance(app, RdstrailApp)
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.main_screen.query_one(FilterBox).cursor_blink = False
    await pilot.pause()


def snap(
    snap_compare: SnapCompare,
    app: RdstrailApp,
    size: tuple[int, int],
    press: Iterable[str] = (),
    run_before: Callable[[Pilot[object]], Awaitable[None]] = settle,
) -> bool:
    return snap_compare(app, terminal_size=size, press=list(press), run_before=run_before)


@SIZES
def test_list(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """Fresh start: status line '301 of 301 events', the newest events, the footer."""
    assert snap(snap_compare, demo_app(tmp_path), size)


@SIZES
def test_filtered_list(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`/modify` Enter: only Modify* events, the filter kept in the box, the list focused."""
    assert snap(snap_compare, demo_app(tmp_path), size, FILTER_MODIFY)


@SIZES
def test_json_detail(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """The second event opened: its JSON (the whole screen at 80x24, beside the list wide)."""
    assert snap(snap_compare, demo_app(tmp_path), size, OPEN_SECOND)


@SIZES
def test_diff(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """A ModifyDBInstance's request-vs-response diff, AWS's keys folded into one line."""
    assert snap(snap_compare, demo_app(tmp_path), size, DIFF)


@SIZES
def test_diff_aws_defaults(
    snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]
) -> None:
    """The same diff after `a` (the diff has focus): the keys set by AWS listed too."""
    assert snap(snap_compare, demo_app(tmp_path), size, DIFF_AWS)


@SIZES
def test_risky_calls(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`is:risky`: each row marked `^` (or `!` where it failed); the snapshot made public
    opened on its diff, the card's `risk` line and `valuesToAdd` read `now public (all)`."""
    assert snap(snap_compare, demo_app(tmp_path), size, PUBLIC_SNAPSHOT_DIFF)


@SIZES
def test_field_help(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`i` on valuesToAdd: the RDS model's documentation of the member, in a panel."""
    assert snap(snap_compare, demo_app(tmp_path), size, FIELD_HELP)


@SIZES
def test_help(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`?`: every key and the filter language, over the list."""
    assert snap(snap_compare, demo_app(tmp_path), size, ["question_mark"])


@SIZES
def test_bad_filter(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`/usr:bob`: the box marked invalid, the caret and message under it, the list as it
    was (all 301 events)."""
    assert snap(snap_compare, demo_app(tmp_path), size, ["slash", *"usr:bob"])


@SIZES
def test_welcome_on_empty_cache(
    snap_compare: SnapCompare,
    tmp_path: Path,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An empty cache: the welcome screen (load, demo, quit) over the empty main screen."""
    # The welcome screen names the cache: a relative path keeps tmp_path out of the SVG.
    monkeypatch.chdir(tmp_path)
    app = RdstrailApp(Path("events.db"), history=FilterHistory(tmp_path / "history"))

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        assert isinstance(pilot.app.screen, WelcomeScreen)

    assert snap(snap_compare, app, size, run_before=run_before)


@SIZES
def test_load_dialog(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`L`: the dialog asking for a path, its input focused."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        # Pressed here rather than through `press`, so the dialog's own input can stop
        # blinking before the screenshot.
        await pilot.press("L")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, LoadScreen)
        screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap(snap_compare, demo_app(tmp_path), size, run_before=run_before)


@SIZES
def test_sync_dialog(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`S`: what to sync from AWS, LookupEvents chosen, no saved sources."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, SyncScreen)
        for field in screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap(snap_compare, demo_app(tmp_path), size, run_before=run_before)


# The resources screen, then its fourth row (orders-prod, by last seen) opened: the history
# of a class change superseded, then applied by the maintenance window.
RESOURCES = ["R"]
ORDERS_PROD_HISTORY = [*RESOURCES, "down", "down", "down", "enter"]


@SIZES
def test_resources_screen(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """`R`: every RDS resource of the demo, newest seen first, with its last write."""
    assert snap(snap_compare, demo_app(tmp_path), size, RESOURCES)


@SIZES
def test_history_view(snap_compare: SnapCompare, tmp_path: Path, size: tuple[int, int]) -> None:
    """orders-prod's history: the timeline with reads folded, its snapshot related, and the
    configuration now: the class applied, the first request superseded."""

    async def run_before(pilot: Pilot[object]) -> None:
        await settle(pilot)
        await pilot.press(*ORDERS_PROD_HISTORY)
        # The history is read in a thread once its screen shows: wait for it.
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap(snap_compare, demo_app(tmp_path), size, run_before=run_before)
