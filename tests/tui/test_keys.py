"""The explorer's keys as people expect them: Escape one level back everywhere (and what the
Footer says it does), q, K/J, ctrl+u, an Escape glued to the next key, the detail that never
shows an event the filter dropped, the Footer at 80 columns, and honest empty and failed
messages. Under Pilot, asserting what the user sees."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.style import Style
from textual import events as textual_events
from textual.binding import Binding
from textual.widgets import Input, Static

from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.tui import app as app_module
from rdstrail_tui.tui.app import RdstrailApp, run_explorer, split_escape
from rdstrail_tui.tui.screens.confirm import ConfirmScreen
from rdstrail_tui.tui.screens.help import HelpScreen
from rdstrail_tui.tui.screens.load import LoadScreen
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.sync import SyncScreen
from rdstrail_tui.tui.screens.welcome import WelcomeScreen
from rdstrail_tui.tui.widgets.event_card import EventCard
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.key_bar import KeyBar
from tests.support.explorer import (
    COMPACT,
    DATA_DIR,
    TALL,
    WIDE,
    GatedChunks,
    Notes,
    cursor_is_visible,
    data_records,
    detail_title,
    diff_view,
    event_list,
    filter_box,
    footer_entries,
    footer_text,
    json_view,
    load_into,
    main_screen,
    make_app,
    many_small_files,
    row_time,
    settle,
    status_counts,
    wait_for_footer,
    wait_until,
)

TOTAL = 72
MODIFY = 17  # events of tests/data whose name contains "modify"


@pytest.fixture
def shared_cache(cache_path: Path) -> Path:
    """The default cache holding the 72 records of tests/data."""
    assert load_into(cache_path, DATA_DIR).new == TOTAL
    return cache_path


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedChunks]:
    chunks = GatedChunks(monkeypatch)
    yield chunks
    chunks.release()  # a failed test must not leave the load thread waiting


def error_count() -> int:
    return sum(bool(record.get("errorCode")) for record in data_records())


def shown_event_id(app: RdstrailApp) -> str | None:
    """The eventID of the record the JSON view holds."""
    value = json_view(app).value
    return str(value["eventID"]) if isinstance(value, dict) else None


def cursor_event_id(app: RdstrailApp) -> str:
    event = event_list(app).current_event
    assert event is not None
    return event.event_id


def assert_cursor_row_highlighted(events: EventList) -> None:
    """The cursor's row is on screen, is its event, and is drawn in the cursor's colours
    (not as the rows around it)."""
    assert cursor_is_visible(events), (events.cursor, events.scroll_offset, events.size)
    event = events.current_event
    assert event is not None
    y = events.cursor - events.scroll_offset.y + 1
    strip = events.render_line(y)
    assert row_time(strip.text) == format_time(event.event_time)
    cursor = events.get_component_rich_style("eventlist--cursor")
    styles = [segment.style or Style() for segment in strip]
    assert any(style.bgcolor == cursor.bgcolor for style in styles), styles
    neighbour = events.render_line(y + 1 if y + 1 < events.size.height else y - 1)
    assert all((s.style or Style()).bgcolor != cursor.bgcolor for s in neighbour if s.text.strip())


def shows_list(app: RdstrailApp) -> bool:
    """The list is on screen and has the focus."""
    events = event_list(app)
    return app.focused is events and events.display and events.region.height > 0


# -- Escape, one level back ------------------------------------------------------------


@pytest.mark.parametrize("key", ["escape", "q"])
@pytest.mark.parametrize("mode", ["json", "diff"])
async def test_escape_or_q_in_the_detail_goes_back_to_the_list(
    shared_cache: Path, tmp_path: Path, key: str, mode: str
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "j")
        await pilot.press("enter" if mode == "json" else "d")
        view = json_view(app) if mode == "json" else diff_view(app)
        assert app.focused is view and main_screen(app).has_class("-detail-open")
        await wait_for_footer(pilot, app, "Esc Back")
        await pilot.press(key)
        await pilot.pause()
        assert app.is_running  # q in the detail does not quit
        assert shows_list(app)
        assert not main_screen(app).has_class("-detail-open")
        assert event_list(app).cursor == 3
        assert_cursor_row_highlighted(event_list(app))


async def test_escape_in_the_wide_detail_goes_back_to_the_list(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        assert app.focused is json_view(app)
        await pilot.press("escape")
        assert shows_list(app)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running  # q on the list quits


async def test_escape_in_the_filter_box_cancels_the_edit(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box = filter_box(app)
        await pilot.press("slash", *"modify", "enter")
        assert status_counts(app) == (MODIFY, TOTAL)
        # An edit, then Escape: the filter as it was when the box was focused.
        await pilot.press("slash", "space", *"is:error")
        await pilot.pause()
        assert status_counts(app)[0] < MODIFY
        await wait_for_footer(pilot, app, "Esc Cancel")
        await pilot.press("escape")
        await pilot.pause()
        assert box.value == "modify"
        assert status_counts(app) == (MODIFY, TOTAL)
        assert shows_list(app)
        # From an empty box, Escape puts the empty filter back.
        await pilot.press("escape")  # on the list: clears
        await pilot.press("slash", *"zzz")
        await pilot.pause()
        assert status_counts(app) == (0, TOTAL)
        await pilot.press("escape")
        await pilot.pause()
        assert box.value == ""
        assert status_counts(app) == (TOTAL, TOTAL)
        assert shows_list(app)
        assert_cursor_row_highlighted(event_list(app))


async def test_enter_keeps_the_edit(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"modify", "enter", "slash", "space", *"is:error", "enter")
        await pilot.pause()
        assert filter_box(app).value == "modify is:error"
        assert shows_list(app)


async def test_ctrl_u_empties_the_whole_box(shared_cache: Path, tmp_path: Path) -> None:
    """Input's own ctrl+u deletes only what is left of the cursor: the box's empties it."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box = filter_box(app)
        await pilot.press("slash", *"modify", "left", "left", "left")
        assert box.cursor_position == 3
        await wait_for_footer(pilot, app, "^u Empty")
        await pilot.press("ctrl+u")
        await pilot.pause()
        assert box.value == ""
        assert app.focused is box  # still typing
        assert status_counts(app) == (TOTAL, TOTAL)
        # And Escape after it puts back what the box held when it was focused (nothing).
        await pilot.press(*"abc", "escape")
        await pilot.pause()
        assert box.value == ""


async def test_escape_on_the_list_clears_a_filter_and_otherwise_does_nothing(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        footer = await wait_for_footer(pilot, app, "Filter")
        assert "Esc" not in footer  # Escape does nothing here, and the Footer says nothing
        await pilot.press("j", "j", "escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert events.cursor == 2 and shows_list(app)
        # With a filter set, Escape on the list clears it, and the Footer says so.
        await pilot.press("e")
        await pilot.pause()
        assert status_counts(app) == (error_count(), TOTAL)
        await pilot.press("j")
        kept = cursor_event_id(app)
        await wait_for_footer(pilot, app, "Esc Clear filter")
        await pilot.press("escape")
        await pilot.pause()
        assert filter_box(app).value == ""
        assert status_counts(app) == (TOTAL, TOTAL)
        assert cursor_event_id(app) == kept  # the cursor stays on its event
        assert_cursor_row_highlighted(events)
        footer = await wait_for_footer(pilot, app, "Filter")
        assert "Esc" not in footer


@pytest.mark.parametrize("clear", ["ctrl+u", "cancel", "list escape"])
async def test_after_the_filter_is_cleared_the_cursor_row_shows(
    shared_cache: Path, tmp_path: Path, clear: str
) -> None:
    """The cursor rests on an event far down the unfiltered list: once the filter is gone
    the list scrolls to it, and it is drawn as the cursor."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        if clear == "cancel":
            # Typed and moved in one visit to the box: Escape puts the empty box back.
            await pilot.press("slash", *"name:CreateDBInstance")
            await pilot.pause()
            events.action_last()  # the cursor moves while the box keeps the focus
        else:
            await pilot.press("slash", *"name:CreateDBInstance", "enter", "G")
        await pilot.pause()
        kept = cursor_event_id(app)
        assert len(events.rows) < TOTAL
        if clear == "ctrl+u":
            await pilot.press("slash", "ctrl+u", "enter")
        elif clear == "cancel":
            await pilot.press("escape")
        else:
            await pilot.press("escape")
        await pilot.pause()
        assert filter_box(app).value == ""
        assert len(events.rows) == TOTAL
        assert cursor_event_id(app) == kept
        assert events.cursor > events.size.height  # far below the first screen
        assert_cursor_row_highlighted(events)
        assert shows_list(app)


async def test_escape_on_the_welcome_screen_does_not_quit(cache_path: Path, tmp_path: Path) -> None:
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, WelcomeScreen)
        footer = footer_text(app)
        assert "Quit" in footer and "Esc" not in footer
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


# -- dialogs: q is text, Escape closes ---------------------------------------------------


async def test_in_the_load_dialog_q_is_text_and_escape_closes(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("L")
        assert isinstance(app.screen, LoadScreen)
        await pilot.press(*"/tmp/q")
        assert app.screen.query_one(Input).value == "/tmp/q"
        assert app.is_running
        footer = await wait_for_footer(pilot, app, "Enter Load", "Esc Cancel")
        assert footer == "Enter Load  Esc Cancel"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and main_screen(app).load_path is None


async def test_in_the_sync_dialog_q_is_text_and_escape_closes(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SyncScreen), what="sync form")
        profile = app.screen.query_one("#sync-profile", Input)
        profile.focus()
        await pilot.pause()
        await pilot.press(*"qa-prod")
        assert profile.value == "qa-prod"
        assert app.is_running
        await wait_for_footer(pilot, app, "Esc Cancel")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_help_closes_on_escape_and_says_so(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await wait_for_footer(pilot, app, "Esc Close")
        text = app.screen.text
        for line in ("K/J", "ctrl+u", "^u", "Esc"):
            if line == "ctrl+u":
                continue
            assert line in text, line
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


# -- q ---------------------------------------------------------------------------------


async def test_q_during_a_load_asks_first(
    shared_cache: Path,
    tmp_path: Path,
    writers: Any,
    record_factory: Callable[..., Any],
    gated: GatedChunks,
) -> None:
    folder = many_small_files(tmp_path / "many", writers, record_factory)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        main_screen(app).start_load(str(folder))
        await wait_until(pilot, gated.started.is_set, what="first chunk")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        assert app.is_running
        assert "Quit" in footer_text(app) or "Yes" in footer_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        assert main_screen(app).load_path is not None  # the load goes on
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        await pilot.press("escape")  # Escape is no, too
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        gated.release()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running


# -- K and J ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["json", "diff"])
@pytest.mark.parametrize("size", [COMPACT, WIDE])
async def test_shift_k_and_j_step_through_the_list_from_the_detail(
    shared_cache: Path, tmp_path: Path, mode: str, size: tuple[int, int]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        await pilot.press("j", "enter")
        if mode == "diff":
            await pilot.press("d")
        view = json_view(app) if mode == "json" else diff_view(app)
        assert app.focused is view
        await wait_for_footer(pilot, app, "K/J Prev/Next")
        first = cursor_event_id(app)
        await pilot.press("J", "J")
        await pilot.pause()
        assert events.cursor == 3
        assert app.focused is view  # still reading, in the same mode
        assert detail_title(app).startswith("JSON" if mode == "json" else "Diff")
        assert shown_event_id(app) == cursor_event_id(app) != first
        await pilot.press("K")
        await pilot.pause()
        assert events.cursor == 2
        assert shown_event_id(app) == cursor_event_id(app)
        await pilot.press("K", "K", "K")  # stops at the first event
        await pilot.pause()
        assert events.cursor == 0
        assert shown_event_id(app) == cursor_event_id(app)
        await pilot.press("escape")
        assert shows_list(app) and events.cursor == 0


async def test_k_and_j_past_a_screenful_leave_the_cursor_row_in_view(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", *(["J"] * 30), "escape")
        await pilot.pause()
        assert event_list(app).cursor == 30
        assert_cursor_row_highlighted(event_list(app))


async def test_k_and_j_on_the_list_do_nothing(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("J", "J")
        await pilot.pause()
        assert event_list(app).cursor == 0
        assert shows_list(app)


# -- an Escape glued to the next key -----------------------------------------------------


def test_split_escape_reads_alt_keys_as_escape_then_the_key() -> None:
    def split(key: str, character: str | None) -> list[tuple[str, str | None]] | None:
        keys = split_escape(textual_events.Key(key, character))
        return None if keys is None else [(k.key, k.character) for k in keys]

    assert split("alt+j", "j") == [("escape", "\x1b"), ("j", "j")]
    assert split("alt+shift+k", "K") == [("escape", "\x1b"), ("K", "K")]
    assert split("alt+shift+j", None) == [("escape", "\x1b"), ("J", "J")]
    assert split("alt+q", None) == [("escape", "\x1b"), ("q", "q")]
    assert split("alt+left", None) == [("escape", "\x1b"), ("left", None)]
    assert split("j", "j") is None
    assert split("escape", "\x1b") is None


async def test_escape_glued_to_j_in_the_detail_goes_back_and_moves(
    shared_cache: Path, tmp_path: Path
) -> None:
    """What Textual's parser makes of ESC j in one read (the tmux test sends the bytes)."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "enter")
        assert app.focused is json_view(app)
        await pilot.press("alt+j")
        await pilot.pause()
        assert shows_list(app)
        assert event_list(app).cursor == 2


async def test_escape_glued_to_a_key_in_the_filter_box_cancels_first(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"modify")
        await pilot.pause()
        top = cursor_event_id(app)
        await pilot.press("alt+j")
        await pilot.pause()
        assert filter_box(app).value == ""  # not "modifyj": the edit was cancelled
        assert shows_list(app)
        # The list is whole again, the cursor on its event, and j moved it down one.
        assert status_counts(app) == (TOTAL, TOTAL)
        await pilot.press("k")
        assert cursor_event_id(app) == top


async def test_escape_glued_to_a_key_closes_a_dialog_first(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("L", *"/x", "alt+j")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert main_screen(app).load_path is None
        assert event_list(app).cursor == 1


def test_no_alt_key_is_bound_anywhere() -> None:
    """An alt key must stay free to mean "Escape, then the key": no widget or screen of the
    explorer binds one. (Textual's Input binds alt+backspace, which a terminal sends as
    ESC DEL and Textual reads as ctrl+w: the filter box keeps it, a bound alt key.)"""
    import importlib
    import pkgutil

    from textual.dom import DOMNode

    import rdstrail_tui.tui as tui_package

    for module in pkgutil.walk_packages(tui_package.__path__, tui_package.__name__ + "."):
        importlib.import_module(module.name)
    classes: list[type[DOMNode]] = [DOMNode]
    seen: set[type[DOMNode]] = set()
    while classes:
        cls = classes.pop()
        if cls in seen:
            continue
        seen.add(cls)
        classes.extend(cls.__subclasses__())
    explorer = [cls for cls in seen if cls.__module__.startswith("rdstrail_tui.")]
    assert any(cls.__name__ == "MainScreen" for cls in explorer)
    for cls in explorer:
        for base in cls.__mro__:
            if not base.__module__.startswith("rdstrail_tui."):
                continue
            for binding in Binding.make_bindings(base.__dict__.get("BINDINGS", [])):
                assert "alt+" not in binding.key, (cls, base, binding)


# -- the detail never shows an event the filter dropped ----------------------------------


async def test_a_filter_that_drops_the_opened_event_returns_to_the_list(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        while events.current_event is not None and events.current_event.error_code:
            await pilot.press("j")
        opened = cursor_event_id(app)
        await pilot.press("enter")
        assert main_screen(app).has_class("-detail-open")
        await pilot.press("e")  # errors only: the opened event is no error
        await pilot.pause()
        assert status_counts(app) == (error_count(), TOTAL)
        assert shows_list(app)
        assert not main_screen(app).has_class("-detail-open")
        assert opened not in {cursor_event_id(app)}
        assert_cursor_row_highlighted(events)


@pytest.mark.parametrize("key", ["e", "n", "u", "r"])
async def test_a_filter_that_keeps_the_opened_event_keeps_the_detail(
    shared_cache: Path, tmp_path: Path, key: str
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        # An error with a resource: every quick filter keeps it.
        while not (
            events.current_event is not None
            and events.current_event.error_code
            and events.current_event.resource
        ):
            await pilot.press("j")
        opened = cursor_event_id(app)
        await pilot.press("enter", key)
        await pilot.pause()
        assert status_counts(app)[0] < TOTAL
        view = json_view(app)
        assert app.focused is view and view.region.height > 0
        assert shown_event_id(app) == opened == cursor_event_id(app)
        # K/J now step through the filtered list.
        await pilot.press("escape")
        assert shows_list(app)


async def test_slash_from_the_detail_shows_the_list_being_filtered(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "slash")
        assert app.focused is filter_box(app)
        events = event_list(app)
        assert not main_screen(app).has_class("-detail-open")
        await pilot.press(*"modify")
        await pilot.pause()
        assert events.display and events.region.height > 0
        assert status_counts(app) == (MODIFY, TOTAL)
        await pilot.press("enter")
        await pilot.pause()
        assert shows_list(app)


async def test_wide_detail_follows_the_filter(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        while events.current_event is not None and events.current_event.error_code:
            await pilot.press("j")
        await pilot.press("enter")
        assert app.focused is json_view(app)
        await pilot.press("e")
        # The opened event is gone from the list: the detail shows the cursor's instead,
        # once the new list is drawn.
        await wait_until(
            pilot, lambda: shown_event_id(app) == cursor_event_id(app), what="detail follows"
        )
        event = events.current_event
        assert event is not None and event.error_code
        # A filter that matches nothing: the detail says there is no event.
        await pilot.press("slash", "space", *"zzzz")
        await wait_until(pilot, lambda: json_view(app).value is None, what="no event")
        assert status_counts(app) == (0, TOTAL)
        assert any("No event" in line for line in json_view(app).line_texts())


async def test_moving_through_events_lays_out_only_when_the_detail_changes_shape(
    shared_cache: Path, tmp_path: Path
) -> None:
    """With the detail beside the list, a cursor move shows another record: a new JSON
    length alone lays nothing out again (that cost each move, and the keystroke after a
    filter, a layout of the whole screen: 30-60 ms at 160x48), and the JSON still scrolls
    over exactly its lines, its scrollbar shown only when they overflow. A card that grows
    or shrinks, or a scrollbar that comes or goes, still lays out."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        screen = main_screen(app)
        view = json_view(app)
        card = screen.query_one("#card", EventCard)
        layouts: list[int] = []
        original = screen._refresh_layout

        def refresh_layout(*args: object, **kwargs: object) -> None:
            layouts.append(event_list(app).cursor)
            original(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = refresh_layout  # type: ignore[method-assign]

        def shape() -> tuple[int, bool]:
            """The card's height, and whether the JSON overflows its view."""
            return len(card.lines), len(view.line_texts()) > view.scrollable_content_region.height

        quiet_moves = 0
        for _ in range(30):
            before, lines_before = shape(), len(view.line_texts())
            layouts.clear()
            await pilot.press("j")
            await wait_until(
                pilot, lambda: shown_event_id(app) == cursor_event_id(app), what="detail follows"
            )
            await pilot.pause()
            lines = len(view.line_texts())
            height = view.scrollable_content_region.height
            assert view.virtual_size.height == lines
            assert view.max_scroll_y == max(0, lines - height)
            assert view.show_vertical_scrollbar == (lines > height)
            if shape() == before and lines != lines_before:
                quiet_moves += 1
                assert layouts == [], f"laid out for a JSON of {lines_before} -> {lines} lines"
        assert quiet_moves >= 5, quiet_moves  # the moves did take the quiet path


async def test_resize_that_hides_the_focused_detail_moves_the_focus(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "enter")
        assert app.focused is json_view(app)
        await pilot.resize_terminal(*COMPACT)
        await wait_until(pilot, lambda: main_screen(app).has_class("-compact"), what="compact")
        await pilot.pause()
        assert shows_list(app)
        assert event_list(app).cursor == 2
        assert_cursor_row_highlighted(event_list(app))
        # Growing again keeps the focus where it is (both are shown).
        await pilot.resize_terminal(*TALL)
        await pilot.pause()
        assert shows_list(app)


async def test_widening_after_a_filter_shows_the_cursors_event(
    shared_cache: Path, tmp_path: Path
) -> None:
    """At 80x24 an event read, then dropped by a filter: a wider terminal shows the detail
    again, of the list's cursor, not of the dropped event."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        while events.current_event is not None and events.current_event.error_code:
            await pilot.press("j")
        dropped = cursor_event_id(app)
        await pilot.press("enter", "escape", "e")
        await pilot.pause()
        assert cursor_event_id(app) != dropped
        await pilot.resize_terminal(*WIDE)
        await wait_until(pilot, lambda: main_screen(app).has_class("-wide"), what="wide")
        await pilot.pause()
        assert shown_event_id(app) == cursor_event_id(app)


# -- the Footer at 80 columns ------------------------------------------------------------


def assert_footer_fits(app: RdstrailApp, width: int = COMPACT[0]) -> None:
    """Every key of the Footer is whole and inside the width, none under the palette's."""
    entries = footer_entries(app)
    assert entries, "no footer"
    keys = [entry for entry in entries if not entry.palette]
    palette = [entry for entry in entries if entry.palette]
    limit = palette[0].region.x if palette else width
    for entry in keys:
        assert entry.region.right <= limit, (entry, entries)
        assert entry.region.width == entry.cells, entry  # not cut
    for before, after in zip(keys, keys[1:]):
        assert before.region.right <= after.region.x, entries


async def test_footers_fit_80_columns_in_every_focus(
    shared_cache: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any],
    gated: GatedChunks,
) -> None:  # fmt: skip
    folder = many_small_files(tmp_path / "many", writers, record_factory)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        seen: dict[str, str] = {}

        async def check(where: str, *texts: str) -> None:
            seen[where] = await wait_for_footer(pilot, app, *texts)
            assert_footer_fits(app)

        await check("list", "Open", "Filter", "Help", "Quit")
        await pilot.press("e")
        await check("list with a filter", "Esc Clear filter")
        await pilot.press("slash")
        await check("filter box", "Enter Keep", "Esc Cancel", "^u Empty", "↑↓ History")
        await pilot.press("escape", "enter")
        await check("JSON", "Esc Back", "K/J Prev/Next", "d Diff", "y Copy")
        await pilot.press("d")
        await check("diff", "Esc Back", "K/J Prev/Next", "d JSON")
        await pilot.press("escape", "L")
        await check("load dialog", "Enter Load", "Esc Cancel")
        await pilot.press("escape", "question_mark")
        await check("help", "Esc Close")
        await pilot.press("escape")
        main_screen(app).start_load(str(folder))
        await wait_until(pilot, gated.started.is_set, what="first chunk")
        await check("list while loading", "Esc Clear filter")
        assert "x: cancel" in str(main_screen(app).query_one("#load-text", Static).render())
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        await check("quit question", "y", "n")
        await pilot.press("n")
        gated.release()
        assert seen["filter box"].startswith("Enter Keep  Esc Cancel  ^u Empty  ↑↓ History")


async def test_escape_in_the_diff_closes_an_opened_value_first(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    """The diff's own Escape (cut an opened value again) goes before going back, and the
    Footer, which then says "Esc Close", still fits."""
    long_value = "x" * 400
    record = record_factory(
        requestParameters={"dBInstanceIdentifier": "db-1", "description": long_value},
        responseElements={"dBInstanceIdentifier": "db-1", "description": long_value},
    )
    load_into(cache_path, writers.trail(tmp_path / "in" / "long.json", [record]))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        diff = diff_view(app)
        assert app.focused is diff
        for _ in range(10):
            if diff.check_action("toggle_value", ()):
                break
            await pilot.press("j")
        assert diff.check_action("toggle_value", ()), diff.plain_lines
        await pilot.press("enter")
        await pilot.pause()
        assert long_value in "".join(line.strip() for line in diff.plain_lines)
        footer = await wait_for_footer(pilot, app, "Esc Close")
        assert "Esc Back" not in footer
        assert_footer_fits(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is diff  # the value closed, the diff stays
        await wait_for_footer(pilot, app, "Esc Back")
        await pilot.press("escape")
        await pilot.pause()
        assert shows_list(app)


@pytest.mark.parametrize("size", [TALL, WIDE])
async def test_beside_the_detail_the_lists_footer_names_d_and_y(
    shared_cache: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await pilot.press("e")
        await wait_for_footer(pilot, app, "Open", "Esc Clear filter", "d Diff", "y Copy")
        assert_footer_fits(app, size[0])


async def test_sync_and_welcome_footers_fit_80_columns(cache_path: Path, tmp_path: Path) -> None:
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await wait_for_footer(pilot, app, "L Load", "D Demo", "q Quit")
        assert_footer_fits(app)
        await pilot.press("L", "escape")  # to the (empty) main screen
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="main")
        await pilot.press("S")
        await wait_until(pilot, lambda: isinstance(app.screen, SyncScreen), what="sync form")
        await wait_for_footer(pilot, app, "Start sync", "Esc Cancel")
        assert_footer_fits(app)


# -- honest messages ---------------------------------------------------------------------


def empty_line(events: EventList) -> str:
    return events.render_line(1).text.strip()


async def test_an_empty_cache_says_it_is_empty(cache_path: Path, tmp_path: Path) -> None:
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("L", "escape")  # past the welcome screen, to the list
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="main")
        await pilot.pause()
        text = empty_line(event_list(app))
        assert text.startswith("The cache is empty")
        assert "L loads" in text and "D opens the demo" in text
        assert "match" not in text
        # D opens the demo here, as it says.
        await pilot.press("D")
        await wait_until(pilot, lambda: app.demo, what="the demo")
        await settle(app, pilot)
        assert status_counts(app) == (301, 301)


async def test_d_over_a_cache_with_events_does_not_open_the_demo(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("D")
        await pilot.pause()
        assert not app.demo
        assert status_counts(app) == (TOTAL, TOTAL)


async def test_a_filter_without_match_says_which_and_how_to_clear_it(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"name:NoSuchCall")
        await pilot.pause()
        assert empty_line(event_list(app)) == "No events match name:NoSuchCall"
        await pilot.press("enter")
        await pilot.pause()
        assert empty_line(event_list(app)) == "No events match name:NoSuchCall (Esc clears it)"
        await pilot.press("escape")
        await pilot.pause()
        assert status_counts(app) == (TOTAL, TOTAL)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("no-such-dir", None, "no such file"),
        ("notes.txt", b"hello", "not JSON"),
        ("other.json", b'{"a": 1}', "not a CloudTrail file"),
        ("emptydir", "dir", "no *.json"),
    ],
)
async def test_a_failed_load_says_it_failed(
    shared_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    make: bytes | str | None,
    reason: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    if make == "dir":
        (tmp_path / name).mkdir()
    elif isinstance(make, bytes):
        (tmp_path / name).write_bytes(make)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await pilot.press("L", *name, "enter")
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        (call,) = [c for c in notes.calls if name in c["message"]]
        assert call["severity"] == "error", call
        assert call["message"].startswith(f"Load of {name} failed"), call
        assert reason in call["message"], call
        assert "Loaded" not in call["message"]
        assert status_counts(app) == (TOTAL, TOTAL)


# -- the mouse ---------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "expected"), [({}, False), ({"mouse": True}, True)])
def test_the_mouse_is_off_unless_asked_for(
    shared_cache: Path, monkeypatch: pytest.MonkeyPatch, asked: dict[str, bool], expected: bool
) -> None:
    runs: list[dict[str, Any]] = []

    def run(self: RdstrailApp, **kwargs: Any) -> None:
        runs.append(kwargs)

    monkeypatch.setattr(app_module.RdstrailApp, "run", run)
    assert run_explorer(shared_cache, **asked) == 0
    assert runs == [{"mouse": expected}]


async def test_a_click_on_a_key_of_the_bottom_line_presses_it(
    shared_cache: Path, tmp_path: Path
) -> None:
    """With --mouse the bottom line's keys are buttons, as Textual's Footer's were: `? Help`
    opens the help, `^p palette` the command palette."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(KeyBar)
        entries = {entry.text: entry for entry in footer_entries(app)}
        assert "? Help" in entries and "^p palette" in entries, entries
        await pilot.click(KeyBar, offset=(entries["? Help"].region.x - bar.region.x + 1, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="back")
        palette = entries["^p palette"]
        await pilot.click(KeyBar, offset=(palette.region.x - bar.region.x + 2, 0))
        await wait_until(
            pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="the palette"
        )
