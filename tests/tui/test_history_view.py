"""The resource history, the resources screen and the two comparisons under Pilot, on the
demo: `h` from an event, its timeline and configuration pane, reads folded and unfolded, an
event's text, `m` and `c` in the history and in the list, `R` and its filter and sort,
stepping to a related resource and back, `--resource` opening on a history, and every
screen at 80x24 and 160x48 fitting the terminal.

The demo's orders-prod is the story read here: a class pended on 11-12 (db.r6g.4xlarge),
superseded on 11-13 (db.r6g.2xlarge), applied by the reboot of 11-16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.query.history import find_resources
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.compare import (
    CompareScreen,
    ConfigurationCompareScreen,
)
from rdstrail_tui.tui.screens.history import EventTextScreen, HistoryScreen
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.resources import ResourcesScreen
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.row_list import RowList
from tests.support.explorer import (
    COMPACT,
    RAW_CONTROL,
    WIDE,
    Notes,
    event_list,
    settle,
    status_counts,
    wait_until,
)

DB = "orders-prod"
SIZES = (COMPACT, WIDE)


# -- opening the demo and reading the screens ---------------------------------------------


def demo_events(text: str) -> list[Event]:
    """What `rdstrail query TEXT` finds in the demo, newest first, with their records."""
    with Cache.open(ensure_demo_cache()) as cache:
        return list(cache.events(where_of(parse_filter(text)), with_raw=True))


async def type_filter(app: RdstrailApp, pilot: Pilot[Any], text: str) -> None:
    """`/TEXT` Enter on the list, as a user filters it; waits for the count to follow."""
    expected = len(demo_events(text))
    await pilot.press("slash", *text, "enter")
    await wait_until(
        pilot, lambda: status_counts(app)[0] == expected, what=f"{expected} events for {text}"
    )


async def wait_for_screen(pilot: Pilot[Any], app: RdstrailApp, kind: type[Screen[Any]]) -> Any:
    await wait_until(pilot, lambda: isinstance(app.screen, kind), what=f"the {kind.__name__}")
    if isinstance(app.screen, HistoryScreen):
        # A history is read in a thread once its screen shows.
        screen = app.screen
        await wait_until(pilot, lambda: screen.loaded, what="the history read")
    await pilot.pause()
    return app.screen


async def wait_for_screen_object(pilot: Pilot[Any], app: RdstrailApp, screen: Screen[Any]) -> None:
    await wait_until(pilot, lambda: app.screen is screen, what=f"back to {screen!r}")
    await pilot.pause()


def title(screen: Screen[Any], widget_id: str) -> str:
    return str(screen.query_one(widget_id, Static).content)


def rows(screen: Screen[Any], widget_id: str) -> list[str]:
    pane = screen.query_one(widget_id, RowList)
    return [pane.line_text(n) for n in range(pane.count)]


def screen_resources(screen: ResourcesScreen) -> list[tuple[str, str]]:
    """(type, identifier) of each row the resources screen lists, in order."""
    return [(row.summary.resource.type, row.summary.resource.identifier) for row in screen.rows]


def identifiers(screen: ResourcesScreen) -> list[str]:
    return [identifier for _, identifier in screen_resources(screen)]


def timeline(screen: HistoryScreen) -> RowList:
    return screen.query_one("#timeline", RowList)


def config_row(screen: HistoryScreen, key: str, *, mark: str) -> str | None:
    """The first configuration row of `key` with `mark` (`=` applied, `>` pending, ` `)."""
    return next((row for row in rows(screen, "#config") if row.startswith(f"{mark} {key} ")), None)


def position_of(screen: HistoryScreen, *words: str) -> int:
    """The timeline line holding every one of `words`."""
    lines = rows(screen, "#timeline")
    return next(n for n, line in enumerate(lines) if all(w in line for w in words))


async def move_timeline(pilot: Pilot[Any], screen: HistoryScreen, to: int) -> None:
    """Walk the timeline's cursor to `to` with the arrow keys."""
    pane = timeline(screen)
    key = "down" if to > pane.cursor else "up"
    for _ in range(abs(to - pane.cursor)):
        await pilot.press(key)
    await wait_until(pilot, lambda: pane.cursor == to, what=f"the cursor on line {to}")
    await pilot.pause()


async def open_history_of_db(app: RdstrailApp, pilot: Pilot[Any]) -> HistoryScreen:
    """The list filtered to orders-prod, then `h` on its newest event."""
    await settle(app, pilot)
    await type_filter(app, pilot, f"res:={DB}")
    await pilot.press("h")
    screen: HistoryScreen = await wait_for_screen(pilot, app, HistoryScreen)
    return screen


def now_focused(app: RdstrailApp) -> Widget | None:
    """The focus as it is now (a plain read, so a type checker does not carry an earlier
    `assert isinstance(app.focused, X)` over a key press that moved it)."""
    return app.focused


def painted_lines(app: RdstrailApp) -> list[str]:
    """The whole terminal as the compositor writes it, line by line."""
    update = app.screen._compositor.render_update(full=True)
    strips = getattr(update, "strips", [])
    return ["".join(segment.text for strip in line for segment in strip) for line in strips]


def demo_app(tmp_path: Path, **kwargs: Any) -> RdstrailApp:
    return RdstrailApp(
        ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "history"), **kwargs
    )


# -- h: the history of an event's resource -------------------------------------------------


async def test_h_opens_the_history_of_the_events_database(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        main = app.screen
        screen = await open_history_of_db(app, pilot)
        heading = title(screen, "#history-title")
        assert heading.startswith(f"instance {DB} (111122223333/us-east-1)"), heading
        # Oldest first, the newest under the cursor, its state in the configuration pane.
        lines = rows(screen, "#timeline")
        times = [line[1:17] for line in lines]  # after the mark column
        assert times == sorted(times) and times[0] < times[-1], lines
        assert timeline(screen).cursor == len(lines) - 1
        assert "config after 2026-11-17" in title(screen, "#config-title")
        current = config_row(screen, "dBInstanceClass", mark=" ")
        assert current is not None and current.split()[-1] == "db.r6g.2xlarge", current
        applied = config_row(screen, "dBInstanceClass", mark="=")
        assert applied is not None, rows(screen, "#config")
        assert "db.r6g.2xlarge" in applied and "applied" in applied, applied
        superseded = config_row(screen, "dBInstanceClass", mark="x")
        assert superseded is not None and "db.r6g.4xlarge" in superseded
        assert "superseded" in superseded
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, main)


async def test_moving_the_cursor_shows_the_configuration_as_of_that_event(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = await open_history_of_db(app, pilot)
        # The second ModifyDBInstance (11-13): db.r6g.2xlarge asked, not yet applied.
        await move_timeline(pilot, screen, position_of(screen, "2026-11-13 13:57", "Modify"))
        assert "config after 2026-11-13 13:57" in title(screen, "#config-title")
        pending = config_row(screen, "dBInstanceClass", mark=">")
        assert pending is not None, rows(screen, "#config")
        assert "db.r6g.2xlarge" in pending and "pending" in pending, pending
        assert "applied" not in pending
        current = config_row(screen, "dBInstanceClass", mark=" ")
        assert current is not None and current.split()[-1] == "db.r6g.xlarge", current
        # The reboot: the class it waited for is the current one.
        await move_timeline(pilot, screen, position_of(screen, "RebootDBInstance"))
        assert "config after 2026-11-16 14:54" in title(screen, "#config-title")
        assert config_row(screen, "dBInstanceClass", mark=">") is None
        applied = config_row(screen, "dBInstanceClass", mark="=")
        assert applied is not None and "db.r6g.2xlarge" in applied
        # Before any write: nothing known of the configuration.
        await move_timeline(pilot, screen, 0)
        assert "configuration: no write" in title(screen, "#config-title")
        assert rows(screen, "#config") == []


async def test_r_unfolds_the_reads_and_folds_them_back(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = await open_history_of_db(app, pilot)
        folded = rows(screen, "#timeline")
        assert any(" reads: " in line for line in folded), folded
        notes = Notes(app)
        await pilot.press("r")
        await wait_until(pilot, lambda: timeline(screen).count > len(folded), what="unfolded")
        unfolded = rows(screen, "#timeline")
        # Every event of the DB on its own line, the runs of reads gone.
        assert len(unfolded) == len(demo_events(f"res:={DB}"))
        assert not any(" reads: " in line or " read: " in line for line in unfolded)
        assert sum("DescribeDBInstances" in line for line in unfolded) >= 3
        assert notes.messages[-1] == "every read listed"
        await pilot.press("r")
        await wait_until(pilot, lambda: timeline(screen).count == len(folded), what="folded")
        assert rows(screen, "#timeline") == folded
        assert notes.messages[-1] == "reads folded into counts"


async def test_enter_on_a_folded_run_unfolds_it(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = await open_history_of_db(app, pilot)
        before = timeline(screen).count
        await move_timeline(pilot, screen, position_of(screen, "3 reads: DescribeDBInstances 3"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: timeline(screen).count > before, what="the reads")
        assert app.screen is screen  # the run opened in place, no event text
        # The cursor stays at that point in time: on the first of the reads.
        line = rows(screen, "#timeline")[timeline(screen).cursor]
        assert "2026-11-12 13:35" in line and "DescribeDBInstances" in line, line


async def test_enter_on_an_event_opens_its_text_and_escape_returns(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = await open_history_of_db(app, pilot)
        await move_timeline(pilot, screen, position_of(screen, "RebootDBInstance"))
        await pilot.press("enter")
        text_screen = await wait_for_screen(pilot, app, EventTextScreen)
        shown = "\n".join(text_screen.lines)
        assert "RebootDBInstance" in shown and DB in shown, shown
        assert "2026-11-16 14:54" in shown
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, screen)
        assert timeline(screen).has_focus
        assert "RebootDBInstance" in rows(screen, "#timeline")[timeline(screen).cursor]


# -- m and c in the history: two points of the configuration -------------------------------


async def test_mark_and_compare_two_points_of_the_configuration(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = await open_history_of_db(app, pilot)
        notes = Notes(app)
        await pilot.press("c")  # nothing marked yet: says what to do, stays
        await pilot.pause()
        assert app.screen is screen
        assert "mark an event first" in notes.messages[-1]
        first = position_of(screen, "2026-11-12 13:34", "ModifyDBInstance")
        await move_timeline(pilot, screen, first)
        await pilot.press("m")
        await wait_until(
            pilot, lambda: rows(screen, "#timeline")[first].startswith("◆"), what="the mark"
        )
        last = position_of(screen, "2026-11-17 18:05", "ModifyDBInstance")
        await move_timeline(pilot, screen, last)
        await pilot.press("c")
        compare: ConfigurationCompareScreen = await wait_for_screen(
            pilot, app, ConfigurationCompareScreen
        )
        await wait_until(pilot, lambda: bool(compare.lines), what="the comparison laid out")
        lines = compare.lines
        assert all(cell_len(line) <= COMPACT[0] for line in lines)
        assert any("2026-11-12 13:34" in line for line in lines[:6])  # the older on the left
        changed = [line for line in lines if line.startswith("~  dBInstanceClass")]
        assert changed, lines
        assert "db.r6g.xlarge" in changed[0] and "db.r6g.2xlarge" in changed[0]
        assert any(line.startswith("~  backupRetentionPeriod") for line in lines)
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, screen)


# -- R: the resources screen ---------------------------------------------------------------


async def test_resources_screen_filter_sort_open_and_back(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        main = app.screen
        await pilot.press("R")
        screen: ResourcesScreen = await wait_for_screen(pilot, app, ResourcesScreen)
        everything = rows(screen, "#resources")
        heading = title(screen, "#resources-title")
        assert f"RDS resources: {len(everything)}" in heading
        assert "sorted by last seen" in heading
        assert "TYPE" in title(screen, "#resources-header")
        # Sorted by last seen: orders-prod is the 4th (the tmux test's R j j j Enter).
        assert everything[3].split()[:2] == ["instance", DB], everything[:5]

        await pilot.press("slash")
        assert isinstance(app.focused, FilterBox)
        await pilot.press(*"orders")
        await wait_until(
            pilot, lambda: screen.query_one(RowList).count < len(everything), what="filtered"
        )
        narrowed = rows(screen, "#resources")
        # At 80 columns an identifier is cut from its start (its distinguishing end kept):
        # read the rows' resources, and that every one is on screen.
        names = identifiers(screen)
        assert names and all("orders" in name for name in names), names
        assert len(narrowed) == len(names)
        assert any(line.split()[1] == DB for line in narrowed), narrowed
        assert f"{len(narrowed)} of {len(everything)}" in title(screen, "#resources-title")
        await pilot.press("enter")  # keeps the filter, back on the rows
        await pilot.pause()
        assert now_focused(app) is screen.query_one(RowList)
        assert screen.query_one(FilterBox).value == "orders"

        await pilot.press("s")
        await wait_until(
            pilot,
            lambda: "sorted by first seen" in title(screen, "#resources-title"),
            what="the next sort",
        )
        assert sorted(identifiers(screen)) == sorted(names)  # the same rows, in a new order
        assert identifiers(screen) != names

        await pilot.press("home", "enter")
        history: HistoryScreen = await wait_for_screen(pilot, app, HistoryScreen)
        kind, opened = screen_resources(screen)[0]
        assert title(history, "#history-title").startswith(f"{kind} {opened} ("), opened
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, screen)
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, main)


async def test_escape_in_the_resources_filter_cancels_the_edit(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("R")
        screen: ResourcesScreen = await wait_for_screen(pilot, app, ResourcesScreen)
        total = screen.query_one(RowList).count
        await pilot.press("slash", *"snapshot")
        await wait_until(pilot, lambda: screen.query_one(RowList).count < total, what="filter")
        assert all("snapshot" in kind for kind, _ in screen_resources(screen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.query_one(RowList).count == total, what="undo")
        assert app.screen is screen  # the box's Escape, not the screen's
        assert now_focused(app) is screen.query_one(RowList)


# -- stepping through related resources ---------------------------------------------------


async def test_enter_on_a_related_resource_opens_its_history_and_escape_comes_back(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        first = await open_history_of_db(app, pilot)
        first_title = title(first, "#history-title")
        related = rows(first, "#related")
        assert any("orders-prod-pre-resize-2026-11-12" in line for line in related), related
        await pilot.press("tab")
        assert first.query_one("#related", RowList).has_focus
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, HistoryScreen) and app.screen is not first,
            what="the related resource's history",
        )
        second = app.screen
        assert isinstance(second, HistoryScreen)
        assert title(second, "#history-title").startswith(
            "snapshot orders-prod-pre-resize-2026-11-12"
        )
        # And back the other way: the snapshot names the instance it is of.
        assert any(f"instance {DB}" in line for line in rows(second, "#related"))
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, first)
        assert title(first, "#history-title") == first_title


# -- m and c in the main list: two events ---------------------------------------------------


async def test_mark_and_compare_two_modifies_in_the_list(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await type_filter(app, pilot, f"res:={DB} name:=ModifyDBInstance")
        events = event_list(app)
        notes = Notes(app)
        # Newest first: 11-17, 11-13, 11-12. Mark the 11-13 call, compare with the 11-12.
        await pilot.press("j", "m")
        assert "marked ModifyDBInstance" in notes.messages[-1]
        await pilot.press("j")
        await wait_until(pilot, lambda: events.cursor == 2, what="the cursor on the oldest")
        await pilot.press("c")
        compare: CompareScreen = await wait_for_screen(pilot, app, CompareScreen)
        await wait_until(pilot, lambda: bool(compare.lines), what="the comparison laid out")
        lines = compare.lines
        assert all(cell_len(line) <= COMPACT[0] for line in lines)
        request = lines.index(next(line for line in lines if line.startswith("Request")))
        response = lines.index(next(line for line in lines if line.startswith("Response")))
        klass = [line for line in lines[request:response] if line.startswith("~  dBInstanceClass")]
        assert klass, lines
        # The older on the left: what the second call changed relative to the first.
        assert klass[0].index("db.r6g.4xlarge") < klass[0].index("db.r6g.2xlarge"), klass


async def test_escape_closes_the_event_comparison_back_to_the_list(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await type_filter(app, pilot, f"res:={DB} name:=ModifyDBInstance")
        main = app.screen
        await pilot.press("j", "m", "j", "c")
        compare: CompareScreen = await wait_for_screen(pilot, app, CompareScreen)
        await wait_until(pilot, lambda: bool(compare.lines), what="the comparison laid out")
        await pilot.press("escape")
        await wait_for_screen_object(pilot, app, main)
        assert event_list(app).cursor == 2  # where the user left it


async def test_c_without_a_mark_says_what_to_do(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        main = app.screen
        notes = Notes(app)
        await pilot.press("c")
        await pilot.pause()
        assert app.screen is main
        assert "mark an event first" in notes.messages[-1]


# -- h on an event that names no resource --------------------------------------------------


def describe_without_identifier() -> Event:
    """A DescribeDBClusters of every cluster: no identifier in its request."""
    for event in demo_events("name:=DescribeDBClusters"):
        request = orjson.loads(event.raw).get("requestParameters")
        if not request:
            return event
    raise AssertionError("the demo has a DescribeDBClusters without an identifier")


async def test_h_on_an_event_naming_no_resource_notifies_and_stays(tmp_path: Path) -> None:
    anonymous = describe_without_identifier()
    app = demo_app(tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await type_filter(app, pilot, f"id:{anonymous.event_id}")
        main = app.screen
        current = event_list(app).current_event
        assert current is not None and current.event_id == anonymous.event_id
        notes = Notes(app)
        await pilot.press("h")
        await wait_until(pilot, lambda: bool(notes.calls), what="the notification")
        assert notes.messages == ["This event names no RDS resource"]
        assert notes.calls[0]["severity"] == "warning"
        assert app.screen is main


# -- rdstrail --resource NAME ---------------------------------------------------------------


def resource_id_of(name: str) -> int:
    with Cache.open(ensure_demo_cache()) as cache:
        found = find_resources(cache, name)
    assert len(found) == 1, found
    return found[0][0]


async def test_the_app_opened_with_a_resource_shows_its_history_first(tmp_path: Path) -> None:
    app = demo_app(tmp_path, resource_id=resource_id_of("orders-eu"))
    async with app.run_test(size=COMPACT) as pilot:
        screen: HistoryScreen = await wait_for_screen(pilot, app, HistoryScreen)
        assert title(screen, "#history-title").startswith("instance orders-eu (")
        assert "eu-west-1" in title(screen, "#history-title")
        still = [row for row in rows(screen, "#config") if "still pending" in row]
        assert any("allocatedStorage" in row and "380" in row for row in still), still
        assert any("dBInstanceClass" in row and "db.r6g.xlarge" in row for row in still)
        # Escape: the list of every event under it.
        await pilot.press("escape")
        await wait_for_screen(pilot, app, MainScreen)
        await settle(app, pilot)
        shown, total = status_counts(app)
        assert shown == total == len(demo_events(""))


# -- every screen fits the terminal --------------------------------------------------------


async def screens_of_the_history(app: RdstrailApp, pilot: Pilot[Any]) -> dict[str, list[str]]:
    """Opens every screen of this feature in turn; what each paints, by name."""
    painted: dict[str, list[str]] = {}

    async def capture(name: str) -> None:
        await pilot.pause()
        await pilot.pause()
        painted[name] = painted_lines(app)

    screen = await open_history_of_db(app, pilot)
    await capture("history")
    await pilot.press("r")
    await wait_until(pilot, lambda: not screen.history.folded, what="the reads unfolded")
    await capture("history, reads unfolded")
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.history.folded, what="the reads folded")
    await move_timeline(pilot, screen, position_of(screen, "RebootDBInstance"))
    await pilot.press("enter")
    await wait_for_screen(pilot, app, EventTextScreen)
    await capture("event text")
    await pilot.press("escape")
    await wait_for_screen_object(pilot, app, screen)
    await move_timeline(pilot, screen, position_of(screen, "2026-11-12 13:34", "Modify"))
    await pilot.press("m", "end", "c")
    compare = await wait_for_screen(pilot, app, ConfigurationCompareScreen)
    await wait_until(pilot, lambda: bool(compare.lines), what="the comparison laid out")
    await capture("configuration comparison")
    await pilot.press("escape")
    await wait_for_screen_object(pilot, app, screen)
    await pilot.press("tab", "enter")
    await wait_until(pilot, lambda: app.screen is not screen, what="the related history")
    await capture("related history")
    await pilot.press("escape")
    await wait_for_screen_object(pilot, app, screen)
    await pilot.press("escape")
    await wait_for_screen(pilot, app, MainScreen)
    await pilot.press("R")
    await wait_for_screen(pilot, app, ResourcesScreen)
    await capture("resources")
    await pilot.press("escape")
    await wait_for_screen(pilot, app, MainScreen)
    await pilot.press("j", "m", "j", "c")
    events = await wait_for_screen(pilot, app, CompareScreen)
    await wait_until(pilot, lambda: bool(events.lines), what="the comparison laid out")
    await capture("event comparison")
    return painted


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_screen_fits_the_terminal(tmp_path: Path, size: tuple[int, int]) -> None:
    width, height = size
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        painted = await screens_of_the_history(app, pilot)
        # Each screen's own text, not only what the compositor crops to the terminal.
        for name, lines in painted.items():
            assert len(lines) == height, name
            for line in lines:
                assert cell_len(line) <= width, (name, line)
                assert not RAW_CONTROL.search(line), (name, line)
            assert any(line.strip() for line in lines[1:-1]), name  # not blank


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_every_row_list_line_fits_its_pane(tmp_path: Path, size: tuple[int, int]) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_history_of_db(app, pilot)
        for pane in screen.query(RowList):
            assert pane.region.right <= size[0], pane
            for y in range(pane.size.height):
                assert pane.render_line(y).cell_length <= pane.region.width, (pane.id, y)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_title_too_long_for_the_terminal_is_cut_with_an_ellipsis(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        first = await open_history_of_db(app, pilot)
        await pilot.press("tab", "enter")
        await wait_until(pilot, lambda: app.screen is not first, what="the snapshot's history")
        await pilot.pause()
        screen = app.screen
        for widget_id in ("#history-title", "#config-title", "#related-title"):
            whole = title(screen, widget_id).strip()
            widget = screen.query_one(widget_id, Static)
            shown = painted_lines(app)[widget.region.y][
                widget.region.x : widget.region.right
            ].strip()
            assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1])), (
                widget_id,
                shown,
                whole,
            )


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_a_configuration_row_cut_at_the_pane_ends_with_an_ellipsis(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        screen = await open_history_of_db(app, pilot)
        await pilot.pause()
        pane = screen.query_one("#config", RowList)
        assert pane.count > pane.size.height  # it scrolls: its scrollbar is shown
        lines = painted_lines(app)
        region = pane.region
        for y in range(region.height):
            whole = pane.line_text(pane.scroll_offset.y + y)
            shown = lines[region.y + y][region.x : region.right].rstrip()
            if cell_len(whole) > region.width - 1:  # too long for the cells beside the bar
                assert shown.endswith("…"), (shown, whole)
