"""The explorer under Pilot: one test (or a parametrized group) per binding and interaction,
asserting what a user sees: the status line, the painted list, the detail pane, the filter
box and its history, notifications, and the screens that come and go."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.command import CommandList, CommandPalette
from textual.widget import Widget
from textual.widgets import Input, Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.generator import generate
from rdstrail_tui.ingest import chunks
from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.messages import LoadFinished, LoadProgressed
from rdstrail_tui.tui.screens.copy import CopyScreen
from rdstrail_tui.tui.screens.help import HelpScreen
from rdstrail_tui.tui.screens.load import LoadScreen
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.welcome import WelcomeScreen
from rdstrail_tui.tui.widgets.event_card import EventCard
from rdstrail_tui.tui.widgets.event_list import EventList
from tests.support.explorer import (
    COMPACT,
    DATA_DIR,
    TALL,
    WIDE,
    GatedChunks,
    Notes,
    cache_count,
    cursor_is_visible,
    data_records,
    detail_title,
    diff_view,
    event_list,
    filter_box,
    json_view,
    list_lines,
    load_into,
    main_screen,
    make_app,
    many_small_files,
    row_time,
    settle,
    static_text,
    status_counts,
    status_text,
    visible_row_lines,
    wait_until,
)

TOTAL = 72


def now_focused(app: RdstrailApp) -> Widget | None:
    """The focus as it is now (a plain read, so a type checker does not carry an earlier
    `assert app.focused is x` over a key press that moved it)."""
    return app.focused


@pytest.fixture
def shared_cache(cache_path: Path) -> Path:
    """The default cache holding the 72 records of tests/data."""
    summary = load_into(cache_path, DATA_DIR)
    assert summary.new == TOTAL
    return cache_path


def records_by_id() -> dict[str, dict[str, Any]]:
    return {record["eventID"]: record for record in data_records()}


def names_containing(text: str) -> int:
    return sum(text.lower() in record["eventName"].lower() for record in data_records())


def sql_count(cache_path: Path, text: str) -> int:
    """What the SQL path (not the app's numpy index) counts for a filter."""
    with Cache.open(cache_path) as cache:
        return cache.count(where_of(parse_filter(text)))


def assert_cursor_row_drawn(events: EventList) -> None:
    """The cursor is within the visible rows, and the line drawn there is its event."""
    assert cursor_is_visible(events), (events.cursor, events.scroll_offset)
    event = events.current_event
    assert event is not None
    line = events.render_line(events.cursor - events.scroll_offset.y + 1).text
    assert row_time(line) == format_time(event.event_time)
    assert event.event_name[:12] in line


# -- opening ---------------------------------------------------------------------------


async def test_opens_on_cache_newest_first(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        screen = main_screen(app)
        assert app.screen is screen
        assert screen.has_class("-compact")
        assert f"{TOTAL} of {TOTAL} events" in status_text(app)
        assert "(indexing)" not in status_text(app)
        lines = list_lines(event_list(app))
        assert "TIME (UTC)" in lines[0]
        assert "EVENT" in lines[0]
        rows = visible_row_lines(event_list(app))
        assert len(rows) == event_list(app).size.height - 1
        times = [row_time(line) for line in rows]
        assert times == sorted(times, reverse=True)
        newest = max(record["eventTime"] for record in data_records())
        assert times[0] == newest.replace("T", " ").removesuffix("Z")
        assert app.focused is event_list(app)


async def test_status_uses_thousands_separators(cache_path: Path, tmp_path: Path) -> None:
    generate(tmp_path / "trail", 12_000)
    load_into(cache_path, tmp_path / "trail")
    total = cache_count(cache_path)
    assert total >= 1000
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert f"{total:,} of {total:,} events" in status_text(app)


# -- moving in the list ----------------------------------------------------------------

PAGE = COMPACT[1] - 3 - 2  # list height (24 - status, filter, footer) minus header, minus 1


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (["down"], 1),
        (["j"], 1),
        (["j", "j", "j", "up"], 2),
        (["j", "j", "j", "k"], 2),
        (["pagedown"], PAGE),
        (["pagedown", "pagedown", "pageup"], PAGE),
        (["end"], TOTAL - 1),
        (["G"], TOTAL - 1),
        (["end", "home"], 0),
        (["G", "g"], 0),
        (["up"], 0),
        (["G", "j"], TOTAL - 1),
        (["G", "pagedown"], TOTAL - 1),
        (["pagedown", "pagedown", "pagedown", "pagedown", "pagedown"], TOTAL - 1),
        (["pageup"], 0),
    ],
)
async def test_list_keys_move_the_cursor(
    shared_cache: Path, tmp_path: Path, keys: list[str], expected: int
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        assert events.size.height - 2 == PAGE
        await pilot.press(*keys)
        await pilot.pause()
        assert events.cursor == expected
        assert_cursor_row_drawn(events)


async def test_enter_opens_detail_and_escape_gives_the_list_back(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        screen, events = main_screen(app), event_list(app)
        await pilot.press("pagedown", "j", "j")
        await pilot.pause()
        position, top = events.cursor, events.scroll_offset.y
        selected = events.current_event
        assert selected is not None
        await pilot.press("enter")
        await pilot.pause()
        assert screen.has_class("-detail-open")
        assert not events.display
        assert events.region.height == 0
        view = json_view(app)
        assert view.display and view.region.height > 0
        assert app.focused is view
        assert isinstance(view.value, dict)
        assert view.value["eventID"] == selected.event_id
        assert detail_title(app).startswith("JSON")
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.has_class("-detail-open")
        assert events.display and events.region.height > 0
        assert app.focused is events
        assert events.cursor == position
        assert events.scroll_offset.y == top
        assert events.current_event == selected
        assert_cursor_row_drawn(events)


# -- the filter box --------------------------------------------------------------------


async def test_slash_focuses_filter_and_typing_filters_live(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box, events = filter_box(app), event_list(app)
        await pilot.press("slash")
        assert app.focused is box
        typed = ""
        for char in "modify":
            await pilot.press(char)
            typed += char
            expected = names_containing(typed)
            assert box.value == typed
            assert f"{expected} of {TOTAL} events" in status_text(app), typed
            assert len(events.rows) == expected
        # The keys typed were text, not bindings: no detail opened, nothing copied.
        assert not main_screen(app).has_class("-detail-open")
        assert names_containing("modify") == 17
        for line in visible_row_lines(events):
            assert "modify" in line[21:].lower()
        await pilot.press("enter")
        assert now_focused(app) is events
        assert box.value == "modify"
        assert f"17 of {TOTAL} events" in status_text(app)
        history_file = tmp_path / "history"
        assert history_file.read_text(encoding="utf-8").splitlines() == ["modify"]
        await pilot.press("slash")
        assert app.focused is box
        # Escape in the box cancels the edit: nothing was edited, the filter stays.
        await pilot.press("escape")
        await pilot.pause()
        assert box.value == "modify"
        assert now_focused(app) is events
        # Escape on the list clears it.
        await pilot.press("escape")
        await pilot.pause()
        assert box.value == ""
        assert f"{TOTAL} of {TOTAL} events" in status_text(app)
        assert now_focused(app) is events


async def test_keys_typed_in_the_filter_are_text(shared_cache: Path, tmp_path: Path) -> None:
    """Every letter bound on the main screen types into the box while it has focus."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"nurdeyLxqKJDS")
        await pilot.pause()
        assert app.is_running
        assert filter_box(app).value == "nurdeyLxqKJDS"
        assert isinstance(app.screen, MainScreen)
        assert not main_screen(app).has_class("-detail-open")
        assert f"0 of {TOTAL} events" in status_text(app)


async def test_bad_term_shows_error_and_keeps_last_result(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box, listing = filter_box(app), event_list(app)
        error = main_screen(app).query_one("#filter-error", Static)
        await pilot.press("slash", *"modify")
        assert not error.display
        shown = visible_row_lines(listing)
        box.post_message(events.Paste(" usr:bob"))
        await pilot.pause()
        assert box.value == "modify usr:bob"
        assert error.display and error.region.height == 1
        message = static_text(error)
        assert "user:" in message
        assert "usr" in message
        assert box.has_class("-invalid")
        assert f"17 of {TOTAL} events" in status_text(app)
        assert len(listing.rows) == 17
        assert visible_row_lines(listing) == shown
        # Fixing the term clears the error.
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert box.value == "modify usr"
        assert not error.display
        assert not box.has_class("-invalid")
        assert f"0 of {TOTAL} events" in status_text(app)


async def test_enter_on_bad_filter_does_not_save_it(shared_cache: Path, tmp_path: Path) -> None:
    """Enter on a filter with a bad term keeps the list and the error, saves nothing, and the
    box stays marked invalid."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box = filter_box(app)
        error = main_screen(app).query_one("#filter-error", Static)
        await pilot.press("slash", *"usr:bob")
        assert box.has_class("-invalid") and error.display
        await pilot.press("enter")
        assert app.focused is event_list(app)
        history = tmp_path / "history"
        saved = history.read_text(encoding="utf-8") if history.exists() else ""
        assert "usr:bob" not in saved
        assert error.display  # the error is still shown ...
        assert box.has_class("-invalid")  # ... and the box still says so


async def test_typed_bad_term_keeps_last_valid_count(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"usr")
        last_valid = status_counts(app)
        assert last_valid == (names_containing("usr"), TOTAL)
        for char in ":bob":
            await pilot.press(char)
            assert status_counts(app) == last_valid
            assert filter_box(app).has_class("-invalid")
        error = main_screen(app).query_one("#filter-error", Static)
        assert "user:" in static_text(error)


async def test_filter_history_walk_and_persistence(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box = filter_box(app)
        await pilot.press("slash", *"modify", "enter")
        await pilot.press("escape")  # on the list: clears the filter
        await pilot.press("slash", *"is:error", "enter")
        assert (tmp_path / "history").read_text(encoding="utf-8").splitlines() == [
            "modify",
            "is:error",
        ]
        await pilot.press("escape", "slash")
        assert box.value == ""
        assert app.focused is box
        await pilot.press("up")
        assert box.value == "is:error"
        assert status_counts(app) == (14, TOTAL)
        await pilot.press("up")
        assert box.value == "modify"
        assert status_counts(app) == (17, TOTAL)
        await pilot.press("up")  # the oldest stays
        assert box.value == "modify"
        await pilot.press("down")
        assert box.value == "is:error"
        await pilot.press("down")  # past the newest: back to what was being typed
        assert box.value == ""
        assert status_counts(app) == (TOTAL, TOTAL)

    again = make_app(shared_cache, tmp_path)
    async with again.run_test(size=COMPACT) as pilot:
        await settle(again, pilot)
        box = filter_box(again)
        await pilot.press("slash", "up")
        assert box.value == "is:error"
        await pilot.press("up")
        assert box.value == "modify"
        assert status_counts(again) == (17, TOTAL)


# -- quick filters ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "term"),
    [("n", "name:={event_name}"), ("u", "user:={principal}"), ("r", "res:={resource}")],
)
async def test_quick_filter_from_selected_row(
    shared_cache: Path, tmp_path: Path, key: str, term: str
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        await pilot.press("j", "j")
        event = events.current_event
        assert event is not None
        await pilot.press(key)
        await pilot.pause()
        expected_value = term.format(**event._asdict())
        assert filter_box(app).value == expected_value
        expected = sql_count(shared_cache, expected_value)
        assert 0 < expected < TOTAL
        assert status_counts(app) == (expected, TOTAL)
        assert len(events.rows) == expected
        assert events.current_event == event  # the cursor stays on the event
        assert app.focused is events
        # Exact: every listed event has the whole value, not a longer one containing it.
        field = {"n": "event_name", "u": "principal", "r": "resource"}[key]
        listed = [events.rows.rowids(i, i + 1)[0] for i in range(len(events.rows))]
        fetched = app.main_screen.cache.events_by_rowid(listed)
        assert {getattr(e, field).lower() for e in fetched.values()} == {
            getattr(event, field).lower()
        }
        # A quick filter of another key narrows further (a term of its own is added).
        await pilot.press("n" if key != "n" else "u")
        both = filter_box(app).value
        assert both.startswith(expected_value + " ")
        assert status_counts(app) == (sql_count(shared_cache, both), TOTAL)


async def test_quick_user_quotes_spaces_and_colons(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., dict[str, Any]]
) -> None:
    def user(name: str, time: str) -> dict[str, Any]:
        identity = {"type": "IAMUser", "userName": name, "accountId": "111122223333"}
        return record_factory(userIdentity=identity, eventTime=time)

    records = [
        user("Jane Doe", "2024-03-01T12:00:03Z"),
        user("svc:deploy", "2024-03-01T12:00:02Z"),
        user("bob", "2024-03-01T12:00:01Z"),
    ]
    load_into(cache_path, writers.trail(tmp_path / "in" / "users.json", records))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box = filter_box(app)
        await pilot.press("u")
        assert box.value == 'user:="Jane Doe"'
        assert status_counts(app) == (1, 3)
        await pilot.press("escape", "j", "u")  # Escape on the list clears the filter
        assert box.value == 'user:="svc:deploy"'
        assert status_counts(app) == (1, 3)
        assert not box.has_class("-invalid")


async def test_quick_filter_without_value_warns(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    record = record_factory(requestParameters=None)
    load_into(cache_path, writers.trail(tmp_path / "in" / "one.json", [record]))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await pilot.press("r")
        await pilot.pause()
        assert filter_box(app).value == ""
        assert any("no res" in message for message in notes.messages)


async def test_e_toggles_errors_only(shared_cache: Path, tmp_path: Path) -> None:
    errors = sum(bool(record.get("errorCode")) for record in data_records())
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        box, events = filter_box(app), event_list(app)
        await pilot.press("e")
        assert box.value == "is:error"
        assert status_counts(app) == (errors, TOTAL)
        assert all(line.startswith("!") for line in visible_row_lines(events))
        await pilot.press("e")
        assert box.value == ""
        assert status_counts(app) == (TOTAL, TOTAL)
        # With other terms: only is:error goes.
        await pilot.press("slash", *"modify", "enter", "e")
        assert box.value == "modify is:error"
        modify_errors = sum(
            "modify" in record["eventName"].lower() and bool(record.get("errorCode"))
            for record in data_records()
        )
        assert status_counts(app) == (modify_errors, TOTAL)
        await pilot.press("e")
        assert box.value == "modify"
        assert status_counts(app) == (17, TOTAL)


# -- the detail ------------------------------------------------------------------------


async def test_d_switches_detail_between_json_and_diff(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        screen = main_screen(app)
        events = event_list(app)
        await pilot.press("G")  # the oldest: the User Guide's CreateDBInstance
        event = events.current_event
        assert event is not None and event.event_name == "CreateDBInstance"
        assert not screen.has_class("-detail-open")
        await pilot.press("d")  # compact: d opens the detail, as a diff
        await pilot.pause()
        assert screen.has_class("-detail-open")
        diff = diff_view(app)
        assert diff.display and not json_view(app).display
        assert app.focused is diff
        assert detail_title(app).startswith("Diff")
        lines = diff.plain_lines
        # The summary's words (its symbols are the diff view's business).
        assert all(
            words in lines[0] for words in ("5 applied", "1 pending", "1 masked", "26 set by AWS")
        )
        assert any("26 set by AWS" in line and "show" in line for line in lines[1:])
        await pilot.press("a")
        await pilot.pause()
        shown = diff.plain_lines
        assert any("26 set by AWS" in line and "hide" in line for line in shown[1:])
        assert len(shown) >= len(lines) + 26
        await pilot.press("a")
        await pilot.pause()
        assert diff.plain_lines == lines
        await pilot.press("d")
        await pilot.pause()
        assert detail_title(app).startswith("JSON")
        assert json_view(app).display and not diff.display
        assert app.focused is json_view(app)
        assert isinstance(json_view(app).value, dict)
        assert json_view(app).value["eventID"] == event.event_id
        await pilot.press("escape")
        assert not screen.has_class("-detail-open")
        assert events.cursor == TOTAL - 1


async def test_the_card_and_the_diff_fit_80x24(shared_cache: Path, tmp_path: Path) -> None:
    """An opened event starts with its card, and below it the diff's first rows, without
    scrolling."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "d")  # the User Guide's CreateDBInstance, as a diff
        await pilot.pause()
        screen = main_screen(app)
        card = screen.query_one(EventCard)
        diff = diff_view(app)
        assert card.display and card.region.height >= 3
        assert any("CreateDBInstance" in line for line in card.lines)
        assert card.region.y == screen.query_one("#body").region.y  # at the top
        assert diff.region.y > card.region.bottom
        # The summary and at least eight rows of the diff are on screen.
        assert diff.region.height >= 9
        assert diff.region.bottom <= COMPACT[1] - 1  # above the footer
        # K/J keep the card on the event shown.
        await pilot.press("K")
        await pilot.pause()
        event = event_list(app).current_event
        assert event is not None
        assert any(event.event_name in line for line in card.lines)


async def test_json_fold_keys_inside_the_app(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        view = json_view(app)
        unfolded = view.line_texts()
        assert unfolded[2].lstrip().startswith('"userIdentity": {')
        await pilot.press("j", "j")
        assert view.cursor_row == 2
        await pilot.press("enter")
        folded = view.line_texts()
        assert len(folded) < len(unfolded)
        assert folded[2].lstrip().startswith('"userIdentity": {')
        assert "}" in folded[2]  # closed on the same line
        assert not folded[3].lstrip().startswith('"type"')
        assert main_screen(app).has_class("-detail-open")  # enter folded, nothing else
        await pilot.press("enter")
        assert view.line_texts() == unfolded
        await pilot.press("minus")
        assert len(view.line_texts()) < len(unfolded)
        await pilot.press("plus")
        assert view.line_texts() == unfolded


async def test_y_copies_the_selected_record(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(shared_cache, tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    by_id = records_by_id()
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        events = event_list(app)
        await pilot.press("j", "j", "j")
        event = events.current_event
        assert event is not None
        await pilot.press("y")
        await pilot.pause()
        assert len(copied) == 1
        assert json.loads(copied[0]) == by_id[event.event_id]
        # Sent, not "copied": the terminal may refuse OSC 52; the dialog offers a file.
        assert isinstance(app.screen, CopyScreen)
        assert not any("copied" in message.lower() for message in notes.messages)


async def test_y_after_returning_to_the_list_copies_the_highlighted_row(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Open an event, go back, move to another: `y` copies the row the cursor is on."""
    app = make_app(shared_cache, tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    by_id = records_by_id()
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        await pilot.press("enter", "escape", "j", "j")
        event = events.current_event
        assert event is not None and events.cursor == 2
        await pilot.press("y")
        await pilot.pause()
        assert len(copied) == 1
        assert json.loads(copied[0])["eventID"] == event.event_id
        assert json.loads(copied[0]) == by_id[event.event_id]


async def test_y_inside_detail_copies_the_event_shown(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(shared_cache, tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "enter", "y")
        await pilot.pause()
        assert json.loads(copied[0]) == json_view(app).value


# -- help, quit, palette ---------------------------------------------------------------


async def test_help_lists_keys_and_filter_language(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app.screen.query_one(Static))
        for expected in ("Filter", "JSON/Diff", "Copy", "Load", "since:", "is:error", "Up"):
            assert expected in text, expected
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.focused is event_list(app)


async def test_q_quits_with_code_zero(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_command_palette_offers_load_events(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Load events")
        results = app.screen.query_one(CommandList)

        def offered() -> list[str]:
            return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]

        await wait_until(
            pilot, lambda: any("Load events" in text for text in offered()), what="Load events"
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LoadScreen), what="load screen")
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="main screen")


# -- layouts ---------------------------------------------------------------------------


async def test_wide_layout_detail_follows_cursor(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        screen, events, view = main_screen(app), event_list(app), json_view(app)
        assert screen.has_class("-wide") and not screen.has_class("-compact")
        assert events.region.width > 0 and view.region.width > 0
        assert events.region.x < view.region.x  # side by side
        # The card, then the detail's title, then the JSON.
        card = screen.query_one(EventCard)
        title = screen.query_one("#detail-title")
        assert card.region.height > 0 and card.region.y == events.region.y
        assert title.region.y == card.region.bottom
        assert view.region.y == title.region.bottom
        for _ in range(3):
            event = events.current_event
            assert event is not None
            assert isinstance(view.value, dict)
            assert view.value["eventID"] == event.event_id
            assert any(event.event_id in line for line in view.line_texts())
            await pilot.press("j")
            await pilot.pause()
        assert app.focused is events  # highlighting did not take the focus
        await pilot.press("d")
        await pilot.pause()
        assert diff_view(app).display and diff_view(app).region.width > 0
        assert not screen.has_class("-detail-open")
        assert app.focused is events


async def test_tall_layout_stacks_list_above_detail(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        screen, events, view = main_screen(app), event_list(app), json_view(app)
        assert screen.has_class("-tall")
        assert not screen.has_class("-compact") and not screen.has_class("-wide")
        assert events.region.height > 0 and view.region.height > 0
        assert events.region.bottom <= view.region.y
        await pilot.press("j")
        await pilot.pause()
        assert isinstance(view.value, dict)
        assert events.current_event is not None
        assert view.value["eventID"] == events.current_event.event_id


async def test_resizing_changes_the_layout(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        screen = main_screen(app)
        await pilot.press("enter")
        assert screen.has_class("-detail-open")
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert screen.has_class("-wide")
        assert not screen.has_class("-detail-open")
        assert event_list(app).region.width > 0 and json_view(app).region.width > 0
        await pilot.resize_terminal(*COMPACT)
        await pilot.pause()
        assert screen.has_class("-compact")
        assert event_list(app).region.height > 0
        # The detail had the focus and is no longer shown: the focus is on the list.
        assert app.focused is event_list(app)


# -- empty cache, demo -----------------------------------------------------------------


async def test_empty_cache_welcome_then_demo(cache_path: Path, tmp_path: Path) -> None:
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = static_text(app.screen.query_one(Static))
        assert "rdstrail load" in text
        assert "L " in text and "D " in text
        await pilot.press("D")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="main screen")
        await settle(app, pilot)
        assert app.demo
        assert "demo trail" in status_text(app)
        assert "301 of 301 events" in status_text(app)
        assert len(event_list(app).rows) == 301
        # The user's cache stays as it was.
        assert cache_count(cache_path) == 0


async def test_welcome_l_opens_the_load_screen(cache_path: Path, tmp_path: Path) -> None:
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LoadScreen), what="load screen")
        assert isinstance(app.focused, Input)


# -- loading from inside ---------------------------------------------------------------


def small_trail(tmp_path: Path, writers: Any, record_factory: Callable[..., Any]) -> Path:
    """Three new events over two files, one duplicate of tests/data, and a bad file."""
    folder = tmp_path / "incoming"
    writers.trail(
        folder / "a.json",
        [
            record_factory(eventName="StopDBInstance", eventTime="2030-01-01T00:00:03Z"),
            record_factory(eventName="StartDBInstance", eventTime="2030-01-01T00:00:02Z"),
        ],
    )
    duplicate = data_records()[0]
    writers.trail(
        folder / "b.json.gz",
        [record_factory(eventName="RebootDBInstance", eventTime="2030-01-01T00:00:01Z"), duplicate],
    )
    writers.bytes(folder / "broken.json", b"{ this is not json")
    return folder


async def test_load_from_inside(
    shared_cache: Path,
    tmp_path: Path,
    writers: Any,
    record_factory: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = small_trail(tmp_path, writers, record_factory)
    monkeypatch.chdir(tmp_path)  # a short path to type: relative to the working directory
    seen: list[tuple[str, bool, str]] = []
    dispatched: set[int] = set()

    def hook(message: object) -> None:
        # Once per message: the hook sees it again at each pump it bubbles to.
        if isinstance(message, (LoadProgressed, LoadFinished)) and id(message) not in dispatched:
            dispatched.add(id(message))
            screen = app.main_screen
            panel = screen.query_one("#load-panel")
            text = static_text(screen.query_one("#load-text", Static))
            seen.append((type(message).__name__, panel.display, text))

    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT, message_hook=hook) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await pilot.press("L")
        assert isinstance(app.screen, LoadScreen)
        await pilot.press(*folder.name, "enter")
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert seen and seen[-1][0] == "LoadFinished"
        assert all(shown for _, shown, _ in seen), seen  # the panel showed throughout
        assert any("files" in text and "new events" in text for _, _, text in seen), seen
        assert not main_screen(app).query_one("#load-panel").display
        assert status_counts(app) == (TOTAL + 3, TOTAL + 3)
        assert cache_count(shared_cache) == TOTAL + 3
        rows = visible_row_lines(event_list(app))
        assert [line.split()[3] for line in rows[:3]] == [
            "StopDBInstance",
            "StartDBInstance",
            "RebootDBInstance",
        ]
        done = [call for call in notes.calls if "new events" in call["message"]]
        assert len(done) == 1
        text = done[0]["message"]
        assert "Loaded: 3 new events from 3 files" in text
        assert "1 duplicate," in text
        assert "1 bad input)" in text
        assert "broken.json" in text
        assert done[0]["severity"] == "warning"


async def test_load_screen_escape_cancels(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("L", *"/nowhere", "escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert main_screen(app).load_path is None
        assert status_counts(app) == (TOTAL, TOTAL)


async def test_load_of_missing_path_is_reported(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        missing = "no-such-dir"
        await pilot.press("L", *missing, "enter")
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        assert any(missing in message for message in notes.messages), notes.messages
        assert status_counts(app) == (TOTAL, TOTAL)


@pytest.fixture(scope="module")
def big_trail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """A generated 60,000-event trail (about 7.5 MB over 1,785 files: a parallel load), and
    the number of distinct RDS events it holds."""
    folder = tmp_path_factory.mktemp("big")
    summary = generate(folder, 60_000)
    assert summary.bytes_written > chunks.PARALLEL_MIN_BYTES
    rds_ids: set[str] = set()
    for path in (folder / "AWSLogs").rglob("*_CloudTrail_*.json.gz"):
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if record.get("eventSource") == "rds.amazonaws.com":
                rds_ids.add(record["eventID"])
    return folder, len(rds_ids)


async def test_load_of_a_large_trail_from_inside(
    cache_path: Path, tmp_path: Path, big_trail: tuple[Path, int]
) -> None:
    """A trail big enough for the worker processes loads in full from inside the explorer."""
    folder, rds_events = big_trail
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        main_screen(app).start_load(str(folder))
        await wait_until(
            pilot, lambda: main_screen(app).load_path is None, timeout=60, what="load end"
        )
        await settle(app, pilot)
        assert not any("failed" in message for message in notes.messages), notes.messages
        assert cache_count(cache_path) == rds_events
        assert status_counts(app) == (rds_events, rds_events)


async def test_cancel_a_running_load(
    cache_path: Path, tmp_path: Path, big_trail: tuple[Path, int]
) -> None:
    folder, rds_events = big_trail
    pressed: list[str] = []

    def hook(message: object) -> None:
        # x the moment the load reports that it started: a Pilot press would first wait for
        # the app to go idle, by which time the whole load is done.
        if isinstance(message, LoadProgressed) and not pressed:
            pressed.append(static_text(app.main_screen.query_one("#load-text", Static)))
            key = events.Key("x", "x")
            key.set_sender(app)  # as Pilot sends keys (else it stops bubbling at the screen)
            app.post_message(key)

    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT, message_hook=hook) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LoadScreen), what="load screen")
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await wait_until(
            pilot, lambda: main_screen(app).load_path is None, timeout=60, what="load end"
        )
        await settle(app, pilot)
        assert pressed and "Loading" in pressed[0]
        shown, total = status_counts(app)
        in_cache = cache_count(cache_path)
        assert 0 < in_cache < rds_events, notes.messages
        assert shown == total == in_cache
        assert any(message.startswith("Cancelled:") for message in notes.messages)
        assert not main_screen(app).query_one("#load-panel").display
        # Another load can start: L opens the load screen again.
        await pilot.press("L")
        assert isinstance(app.screen, LoadScreen)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[GatedChunks]:
    chunks = GatedChunks(monkeypatch)
    yield chunks
    chunks.release()  # a failed test must not leave the load thread waiting


async def test_cancel_stops_after_the_current_chunk(
    cache_path: Path,
    tmp_path: Path,
    writers: Any,
    record_factory: Callable[..., Any],
    gated: GatedChunks,
) -> None:
    folder = many_small_files(tmp_path / "many", writers, record_factory)
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LoadScreen), what="load screen")
        app.screen.query_one(Input).value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, gated.started.is_set, what="first chunk")
        await pilot.pause()  # the progress posted before the chunk began is handled
        panel = main_screen(app).query_one("#load-panel")
        assert panel.display and panel.region.height > 0
        await pilot.press("x")
        assert "Cancelling" in static_text(main_screen(app).query_one("#load-text", Static))
        gated.release()
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        assert gated.chunks == 1
        assert cache_count(cache_path) == chunks.CHUNK_FILES
        assert status_counts(app) == (chunks.CHUNK_FILES, chunks.CHUNK_FILES)
        assert not panel.display
        cancelled = [m for m in notes.messages if m.startswith("Cancelled:")]
        assert cancelled == [
            f"Cancelled: {chunks.CHUNK_FILES} new events from {chunks.CHUNK_FILES} files"
            " (0 duplicates, 0 bad inputs)"
        ]


async def test_cancel_note_stays_until_the_load_stops(
    shared_cache: Path,
    tmp_path: Path,
    writers: Any,
    record_factory: Callable[..., Any],
    gated: GatedChunks,
) -> None:
    """After x the panel says the load is being cancelled up to the moment it ends: later
    progress must not put "(x: cancel)" back as if the key had not been taken."""
    folder = many_small_files(tmp_path / "many", writers, record_factory)
    at_finish: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, LoadFinished) and not at_finish:
            at_finish.append(static_text(app.main_screen.query_one("#load-text", Static)))

    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT, message_hook=hook) as pilot:
        await settle(app, pilot)
        main_screen(app).start_load(str(folder))
        await wait_until(pilot, gated.started.is_set, what="first chunk")
        await pilot.pause()  # the progress posted before the chunk began is handled
        await pilot.press("x")
        assert "Cancelling" in static_text(main_screen(app).query_one("#load-text", Static))
        gated.release()
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        assert at_finish
        assert "x: cancel" not in at_finish[0], at_finish[0]
        assert "Cancelling" in at_finish[0], at_finish[0]


async def test_index_count_matches_cache_after_load(
    shared_cache: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    folder = tmp_path / "more"
    records = [
        record_factory(eventTime=f"2025-06-01T00:{minute:02d}:00Z", eventName="ModifyDBCluster")
        for minute in range(40)
    ]
    writers.jsonl(folder / "more.jsonl", records)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"modify", "enter")
        assert status_counts(app) == (17, TOTAL)
        main_screen(app).start_load(str(folder))
        await wait_until(pilot, lambda: main_screen(app).load_path is None, what="load end")
        await settle(app, pilot)
        screen = main_screen(app)
        assert screen.index is not None
        assert len(screen.index) == cache_count(shared_cache) == TOTAL + 40
        # The filter still applies to the grown list, through the index.
        assert status_counts(app) == (17 + 40, TOTAL + 40)
        assert sql_count(shared_cache, "modify") == 17 + 40


async def test_history_file_is_the_one_given(shared_cache: Path, tmp_path: Path) -> None:
    history = FilterHistory(tmp_path / "elsewhere" / "h")
    app = RdstrailApp(shared_cache, history=history)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        assert (
            (tmp_path / "elsewhere" / "h").read_text(encoding="utf-8").strip().startswith("name:")
        )
