"""Hostile events in the explorer: every CloudTrail field is written by whoever made the AWS
call. Markup must show as text, and escapes, controls and bidi overrides as visible escapes,
in the list, the JSON detail, the diff, the filter box, the status line, notifications and
the whole screen."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Static

from rdstrail_tui.tui.widgets.filter_box import FilterBox
from tests.support.explorer import (
    COMPACT,
    RAW_CONTROL,
    Notes,
    detail_title,
    diff_view,
    event_list,
    filter_box,
    json_view,
    list_lines,
    load_into,
    main_screen,
    make_app,
    settle,
    status_counts,
    status_text,
    visible_row_lines,
)

USER_AGENT = "[bold red]pwn[/]\x1b]52;c;aGVsbG8=\x07"
USER_NAME = "[link=http://x]me[/link]\x1b[2J"
# How the filter box writes it: quoted, the ESC as a visible escape the filter reads back.
USER_TERM = 'user:="[link=http://x]me[/link]\\x1b[2J"'
ERROR_CODE = "E\x1b[31mX\x08\u202eY"
ERROR_MESSAGE = "[b]denied[/b] \x1b[31mred\x08\u202eevil"
RESOURCE = "[u]db[/u]\x07"
HYPERLINK = "[i]x[/i]\x1b]8;;http://evil\x07click\x1b]8;;\x07"
BAD_KEY = "[red]key[/red]\x1b"
EVENT_NAME = "[blink]Modify[/blink]\x1b[5m"
SOURCE_IP = "\x1b]0;t\x07"
REGION = "\u202eus-1"

# How each hostile value must read on screen: markup as typed, controls as escapes.
SHOWN = {
    "user agent": "[bold red]pwn[/]\\x1b]52;c;aGVsbG8=\\x07",
    "user name": "[link=http://x]me[/link]\\x1b[2J",
    "error code": "E\\x1b[31mX\\x08\\u202eY",
    "error message": "[b]denied[/b] \\x1b[31mred\\x08\\u202eevil",
    "resource": "[u]db[/u]\\x07",
    "hyperlink": "[i]x[/i]\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07",
    "bad key": "[red]key[/red]\\x1b",
}
ESCAPES = ("\\x1b", "\\x07", "\\x08", "\\u202e")
# A list wide enough for every column: the list takes 3/5 of a wide screen.
ALL_COLUMNS = (300, 40)
# Raw ESC or BEL anywhere in the SVG of the screen (newlines and tabs are the SVG's own).
RAW_IN_SVG = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_records(make: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    failed = make(
        eventTime="2024-05-01T10:00:02Z",
        userAgent=USER_AGENT,
        userIdentity={
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::111122223333:user/me",
            "accountId": "111122223333",
            "userName": USER_NAME,
        },
        errorCode=ERROR_CODE,
        errorMessage=ERROR_MESSAGE,
        requestParameters={
            "dBInstanceIdentifier": RESOURCE,
            "engine": HYPERLINK,
            BAD_KEY: "v",
        },
    )
    applied = make(
        eventTime="2024-05-01T10:00:01Z",
        eventName=EVENT_NAME,
        sourceIPAddress=SOURCE_IP,
        awsRegion=REGION,
        userAgent=USER_AGENT,
        requestParameters={"dBInstanceIdentifier": "plain-db", "engine": HYPERLINK},
        responseElements={"dBInstanceIdentifier": "plain-db", "engine": HYPERLINK + "!"},
    )
    plain = make(eventTime="2024-05-01T10:00:00Z")
    return [failed, applied, plain]


@pytest.fixture
def hostile_cache(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> Path:
    trail = writers.trail(tmp_path / "in" / "hostile.json", hostile_records(record_factory))
    assert load_into(cache_path, trail).new == 3
    return cache_path


def assert_no_raw_control(lines: list[str], where: str) -> None:
    for number, line in enumerate(lines):
        found = RAW_CONTROL.search(line)
        assert found is None, f"{where} line {number} holds {found[0]!r}: {line!r}"


def painted(widget: Any) -> list[str]:
    """What a Line API widget paints now, line by line."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def containing(lines: list[str], text: str) -> list[str]:
    return [line for line in lines if text in line]


# -- the list --------------------------------------------------------------------------


async def test_list_shows_hostile_fields_as_text(hostile_cache: Path, tmp_path: Path) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=ALL_COLUMNS) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        header = list_lines(events)[0]
        for title in ("TIME (UTC)", "EVENT", "PRINCIPAL", "RESOURCE", "SOURCE IP", "ERROR"):
            assert title in header, header
        rows = visible_row_lines(events)
        assert len(rows) == 3
        failed, applied, _ = rows
        assert failed.startswith("!")
        # The principal column cuts the name in its middle, keeping its end; cut, it is
        # still text: the markup as typed, the escape as \x1b.
        assert "[link=" in failed and "/link]\\x1b[2J" in failed
        assert SHOWN["resource"] in failed
        assert SHOWN["error code"] in failed
        assert "[blink]Modify[/blink]\\x" in applied  # cut to the column, still text
        assert "\\x1b]0;t\\x07" in applied
        if "REGION" in header:  # shown when the cache holds more than one region
            assert "\\u202eus-1" in applied
        for escape in ESCAPES:
            assert any(escape in row for row in rows), escape
        assert_no_raw_control(painted(events), "list")


@pytest.mark.parametrize("size", [COMPACT, (160, 48), (120, 48)])
async def test_list_never_paints_raw_controls_at_any_size(
    hostile_cache: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    """Cut to a narrow column, an escape must not be split into a raw control."""
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        events = event_list(app)
        lines = painted(events)
        assert_no_raw_control(lines, f"list at {size}")
        assert "link]" in lines[1]  # the markup, however it is cut, shows as text
        await pilot.press("j")
        assert_no_raw_control(painted(events), f"list at {size}, cursor moved")


# -- the detail ------------------------------------------------------------------------


async def test_json_detail_shows_hostile_fields_as_text(
    hostile_cache: Path, tmp_path: Path
) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=ALL_COLUMNS) as pilot:
        await settle(app, pilot)
        view = json_view(app)
        lines = view.line_texts()
        assert lines, "the detail shows the highlighted event"
        for name in ("user agent", "user name", "error code", "error message", "resource"):
            assert containing(lines, SHOWN[name]), (name, lines)
        assert containing(lines, SHOWN["hyperlink"]), lines
        assert containing(lines, f'"{SHOWN["bad key"]}": "v"'), lines
        assert_no_raw_control(lines, "JSON lines")
        assert_no_raw_control(painted(view), "JSON as painted")
        # Folded and unfolded again from the keyboard, still escaped.
        await pilot.press("enter", "minus", "plus")
        assert_no_raw_control(painted(view), "JSON after folding")


async def test_json_detail_in_compact_layout(hostile_cache: Path, tmp_path: Path) -> None:
    """Narrow: long hostile strings wrap; no wrap may split an escape into a raw control."""
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=(40, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        view = json_view(app)
        lines = view.line_texts()
        joined = "".join(line.strip() for line in lines)
        assert "[bold red]pwn[/]" in joined
        assert_no_raw_control(lines, "narrow JSON lines")
        await pilot.press("end")
        assert_no_raw_control(painted(view), "narrow JSON as painted")


async def test_diff_shows_hostile_fields_as_text(hostile_cache: Path, tmp_path: Path) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=ALL_COLUMNS) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        await pilot.pause()
        assert detail_title(app).startswith("Diff")
        diff = diff_view(app)
        lines = diff.plain_lines
        assert containing(lines, f"{SHOWN['error code']}: {SHOWN['error message']}"), lines
        assert containing(lines, SHOWN["resource"]), lines
        assert containing(lines, SHOWN["hyperlink"]), lines
        assert containing(lines, SHOWN["bad key"]), lines
        assert_no_raw_control(lines, "diff")
        assert_no_raw_control(painted(diff), "diff as painted")
        # The applied event: request and response values, and the AWS keys unfolded.
        await pilot.press("j")
        await pilot.pause()
        lines = diff.plain_lines
        assert containing(lines, SHOWN["hyperlink"] + '!"'), lines
        await pilot.press("enter")  # into the detail, where `a` belongs
        assert app.focused is diff
        await pilot.press("a")
        assert diff.show_aws
        assert_no_raw_control(diff.plain_lines, "diff with AWS keys")
        assert_no_raw_control(painted(diff), "diff with AWS keys, painted")


# -- the whole screen ------------------------------------------------------------------


@pytest.mark.parametrize("size", [COMPACT, ALL_COLUMNS])
async def test_screenshot_holds_no_raw_escape(
    hostile_cache: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # compact: the detail; wide: the JSON is shown already
        await pilot.pause()
        svg = app.export_screenshot()
        found = RAW_IN_SVG.search(svg)
        assert found is None, f"raw {found[0]!r} in the screenshot"
        assert "\\x1b" in svg
        await pilot.press("d")
        await pilot.pause()
        found = RAW_IN_SVG.search(app.export_screenshot())
        assert found is None, f"raw {found[0]!r} in the diff screenshot"


# -- filter box, status line, notifications --------------------------------------------


async def test_quick_user_filter_keeps_the_hostile_value_literal(
    hostile_cache: Path, tmp_path: Path
) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        box = filter_box(app)
        # Quoted, markup kept as text, the ESC written as an escape: and it still matches.
        assert box.value == USER_TERM
        assert status_counts(app) == (1, 3)
        assert not box.has_class("-invalid")
        status = status_text(app)
        assert "[" not in status.split("·", 1)[0]
        assert_no_raw_control([status], "status")
        await pilot.press("r")
        assert box.value == f'{USER_TERM} res:="[u]db[/u]\\x07"'
        assert status_counts(app) == (1, 3)


async def test_filter_box_never_paints_raw_controls(hostile_cache: Path, tmp_path: Path) -> None:
    """The quick filter puts an attacker's principal (with ESC [2J: clear the screen) into
    the filter box: what the box paints must show it escaped, as the list does."""
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        box = filter_box(app)
        assert box.value == USER_TERM
        assert_no_raw_control(painted(box), "filter box")


async def test_screenshot_after_quick_filter_holds_no_raw_escape(
    hostile_cache: Path, tmp_path: Path
) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("u", "r")
        found = RAW_IN_SVG.search(app.export_screenshot())
        assert found is None, f"raw {found[0]!r} in the screenshot"


async def test_hostile_history_entry_never_paints_raw_controls(
    hostile_cache: Path, tmp_path: Path
) -> None:
    """A filter made from a hostile field is saved; walking back to it later repaints it."""
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("u", "slash", "escape", "slash", "up")
        box = filter_box(app)
        assert box.value == USER_TERM
        assert status_counts(app) == (1, 3)
        assert_no_raw_control(painted(box), "filter box from history")


async def test_pasted_bad_filter_error_line_is_escaped(hostile_cache: Path, tmp_path: Path) -> None:
    app = make_app(hostile_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        box = main_screen(app).query_one(FilterBox)
        box.post_message(events.Paste('[b]x[/b]\x1b[2J usr:"\u202e'))
        await pilot.pause()
        error = main_screen(app).query_one("#filter-error", Static)
        assert error.display
        text = str(error.content)
        assert_no_raw_control([text], "filter error")
        assert_no_raw_control([strip.text for strip in error.render_lines(error.region)], "error")
        assert status_counts(app) == (3, 3)


async def test_status_line_shows_markup_in_the_cache_path_as_text(
    tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    cache = tmp_path / "[bold]c[/bold]" / "events.db"
    load_into(cache, writers.trail(tmp_path / "in" / "one.json", [record_factory()]))
    app = make_app(cache, tmp_path)
    async with app.run_test(size=(120, 24)) as pilot:
        await settle(app, pilot)
        status = main_screen(app).query_one("#status", Static)
        assert "[bold]c[/bold]" in status_text(app)
        assert "[bold]c[/bold]" in status.visual.plain  # type: ignore[attr-defined]
        assert "1 of 1 events" in status_text(app)


async def test_load_notification_shows_hostile_file_names_as_text(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    folder = tmp_path / "drop"
    writers.trail(folder / "good.json", [record_factory()])
    writers.bytes(folder / "[bold]bad[/bold]\x1b[2J.json", b"{ not json")
    # A record whose bad eventTime is quoted back in the problem line.
    writers.trail(folder / "evil.json", [record_factory(eventTime="[i]t[/i]\x1b[2J\u202e")])
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT, notifications=True) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        main_screen(app).start_load(str(folder))
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        done = [call for call in notes.calls if "new event" in call["message"]]
        assert len(done) == 1, notes.calls
        message = done[0]["message"]
        assert done[0].get("markup") is False
        assert "[bold]bad[/bold]\\x1b[2J.json" in message
        assert "[i]t[/i]" in message
        assert "2 bad inputs" in message
        assert_no_raw_control(message.split("\n"), "notification")
        found = RAW_IN_SVG.search(app.export_screenshot())
        assert found is None, f"raw {found[0]!r} in the screenshot"
