"""The event list's columns on the demo trail, as a user reads them at 80x24 and 160x48: a
failed call's errorCode on screen, principals cut to who, Right/Left over the columns that
did not fit, REGION with a second region, no sideways jump, and colours that each terminal
(NO_COLOR, 16 colours, vt100) can show."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.color import Color
from rich.style import Style
from textual._compositor import LayoutUpdate
from textual.pilot import Pilot

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.model.risk import INFERRED_READ_ONLY, RISK_FLAGS
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.widgets.event_list import (
    MARK_ERROR,
    MARK_INFERRED_WRITE,
    MARK_READ,
    MARK_RISKY,
    MARK_UNKNOWN,
    MARK_WRITE,
    MORE_LEFT,
    MORE_RIGHT,
    EventList,
    mark_of,
    wants_errors_first,
)
from tests.support.explorer import (
    COMPACT,
    WIDE,
    event_list,
    list_lines,
    main_screen,
    make_app,
    row_time,
    settle,
    visible_row_lines,
    wait_until,
)

SSO_SESSION = "jane@example.com"
ROLE = "AWSReservedSSO_AdministratorAccess_abc123"
# Everything fits side by side at this size (the list beside the detail is 180 wide).
HUGE = (300, 40)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    return ensure_demo_cache()


async def ready(app: RdstrailApp, pilot: Pilot[Any]) -> EventList:
    """The explorer settled, its list measured from the cache and focused.

    The main screen is to call measure_columns when its index is built or extended, and
    set_context on each filter; called here too, they change nothing once it does."""
    await settle(app, pilot)
    screen = main_screen(app)
    events = event_list(app)
    assert screen.index is not None
    events.measure_columns(screen.index)
    events.focus()
    await pilot.pause()
    return events


async def set_filter(app: RdstrailApp, pilot: Pilot[Any], text: str) -> None:
    screen = main_screen(app)
    await pilot.press("slash", "ctrl+u", *text, "enter")
    await wait_until(pilot, lambda: screen.filter.text == text, what=f"filter {text!r}")
    event_list(app).set_context(errors_first=wants_errors_first(screen.filter))
    await pilot.pause()


def header(events: EventList) -> str:
    return list_lines(events)[0]


def listed_events(app: RdstrailApp) -> list[Event]:
    """The unfiltered list's events, in its order (newest first)."""
    assert app.cache is not None
    return list(app.cache.events(with_raw=False))


def line_of(events: EventList, index: int) -> str:
    """The painted line of list row `index`, which must be on screen."""
    return events.render_line(index - events.scroll_offset.y + 1).text


# -- who, what, on what, OK or not -----------------------------------------------------------


async def test_a_failed_call_shows_its_error_code_at_80x24(demo: Path, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        assert "ERROR" in header(events) and "PRINCIPAL" in header(events)
        listed = listed_events(app)
        failed = next(i for i, e in enumerate(listed) if e.error_code)
        events.cursor = failed
        await pilot.pause()
        line = line_of(events, failed)
        code = listed[failed].error_code
        assert code is not None
        assert line.startswith(MARK_ERROR)
        # Who, what, on what, and the start of why: all on the row at 80 columns.
        assert listed[failed].event_name[:12] in line
        assert code[:8] in line, (code, line)

        # Only failures listed (is:error): each code is readable, not just its start.
        await set_filter(app, pilot, "is:error")
        rows = visible_row_lines(events)
        codes = [e.error_code or "" for e in listed if e.error_code]
        assert all(row.startswith(MARK_ERROR) for row in rows)
        for row, code in zip(rows, codes):
            assert code[:13] in row, (code, row)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (COMPACT, "jane@examp"),  # not even the whole session fits: its name, then "…"
        (WIDE, f"…/{SSO_SESSION}"),
        (HUGE, f"AWSReservedSSO_Administrator…/{SSO_SESSION}"),  # PRINCIPAL at its widest
    ],
    ids=["80x24", "160x48", "300x40"],
)
async def test_a_principal_is_cut_to_its_distinguishing_end(
    demo: Path, tmp_path: Path, size: tuple[int, int], shown: str
) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=size) as pilot:
        events = await ready(app, pilot)
        listed = listed_events(app)
        sso = next(i for i, e in enumerate(listed) if e.principal == f"{ROLE}/{SSO_SESSION}")
        events.cursor = sso
        await pilot.pause()
        line = line_of(events, sso)
        assert re.search(re.escape(shown).replace("…", r"\w*…"), line), line
        # One ellipsis, never the old "~", and never cut to the role's start.
        assert "~" not in line and "AWSReservedSS…" not in line


async def test_resources_keep_their_end(demo: Path, tmp_path: Path) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        await set_filter(app, pilot, "res:instance-2")
        assert any(
            "…-instance-2" in row or "instance-2 " in row for row in visible_row_lines(events)
        )


# -- Right and Left ----------------------------------------------------------------------


async def test_right_and_left_scroll_the_columns_that_did_not_fit(
    demo: Path, tmp_path: Path
) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        first = header(events)
        times = [row_time(row) for row in visible_row_lines(events)]
        assert first.rstrip().endswith(MORE_RIGHT) and MORE_LEFT not in first
        assert "SOURCE IP" not in first and "REGION" not in first

        await pilot.press("right")
        once = header(events)
        # The first column that did not fit comes in; EVENT leaves; TIME and marks stay.
        assert "SOURCE IP" in once and "EVENT" not in once
        assert once.startswith("  TIME (UTC)") and MORE_LEFT in once
        assert [row_time(row) for row in visible_row_lines(events)] == times

        seen = [first, once]
        for _ in range(10):  # to the last column, one per key
            if not header(events).rstrip().endswith(MORE_RIGHT):
                break
            await pilot.press("right")
            seen.append(header(events))
        last = header(events)
        assert "REGION" in last and not last.rstrip().endswith(MORE_RIGHT)
        await pilot.press("right")  # nothing more to the right
        assert header(events) == last

        for expected in reversed(seen[:-1]):  # Left undoes each step exactly
            await pilot.press("left")
            assert header(events) == expected
        await pilot.press("left")
        assert header(events) == first

        # Home/g and End/G stay rows: the cursor moves, the columns do not.
        await pilot.press("right", "end")
        assert events.cursor == len(events.rows) - 1 and header(events) == once
        await pilot.press("g")
        assert events.cursor == 0 and header(events) == once


def footer_offers_columns(app: RdstrailApp) -> bool:
    return any(
        active.binding.action.startswith("scroll_columns") and active.binding.show
        for active in app.screen.active_bindings.values()
    )


async def test_columns_keys_in_the_footer_only_where_columns_are_hidden(
    demo: Path, tmp_path: Path
) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        await ready(app, pilot)
        assert footer_offers_columns(app)
        await pilot.resize_terminal(*HUGE)
        await wait_until(pilot, lambda: not footer_offers_columns(app), what="no Columns key")
        events = event_list(app)
        before = header(events)
        await pilot.press("right")
        assert header(events) == before and MORE_RIGHT not in before


# -- REGION ------------------------------------------------------------------------------


@pytest.fixture
def one_region(tmp_path: Path, demo: Path) -> Path:
    """The demo's events, all in us-east-1."""
    path = tmp_path / "one-region.db"
    with Cache.open(demo, create=False) as source, Cache.open(path) as cache:
        cache.insert(e._replace(region="us-east-1") for e in source.events())
    return path


async def test_region_appears_with_a_second_region(
    demo: Path, one_region: Path, tmp_path: Path
) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=HUGE) as pilot:
        events = await ready(app, pilot)
        assert "REGION" in header(events)
        assert "eu-west-1" in "".join(visible_row_lines(events))

    app = make_app(one_region, tmp_path)
    async with app.run_test(size=HUGE) as pilot:
        events = await ready(app, pilot)
        assert "REGION" not in header(events)
        await pilot.resize_terminal(*COMPACT)
        await pilot.pause()
        for _ in range(10):  # nor is it one of the columns that Right brings in
            await pilot.press("right")
        assert "REGION" not in header(events) and "SOURCE IP" in header(events)


# -- no sideways jump --------------------------------------------------------------------


@pytest.mark.parametrize("size", [COMPACT, WIDE], ids=["80x24", "160x48"])
async def test_columns_do_not_move_when_the_rows_start_fitting_on_one_screen(
    demo: Path, tmp_path: Path, size: tuple[int, int]
) -> None:
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=size) as pilot:
        events = await ready(app, pilot)
        assert len(events.rows) > events.size.height  # 301 rows: the scrollbar shows
        everything = header(events)
        listed = listed_events(app)
        reboot = next(i for i, e in enumerate(listed) if e.event_name == "RebootDBInstance")
        events.cursor = reboot
        await pilot.pause()
        long_line = line_of(events, reboot)

        await set_filter(app, pilot, "RebootDBInstance")
        assert 0 < len(events.rows) < events.size.height - 1  # no scrollbar
        assert header(events) == everything
        assert visible_row_lines(events)[0][1:] == long_line[1:]  # the same event, same cells


# -- colour ------------------------------------------------------------------------------

# Codes of 256 colours (38;5;N) and of 24-bit colour (38;2;R;G;B), foreground or background.
EXTENDED_COLOUR = re.compile(r"\x1b\[[0-9;]*(?:[34]8;[25];)")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The app's terminal as the environment says (Textual reads it when the app is made)."""
    if "TEXTUAL_COLOR_SYSTEM" in os.environ:
        pytest.skip("TEXTUAL_COLOR_SYSTEM overrides what TERM says")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    yield monkeypatch


def screen_lines(app: RdstrailApp) -> list[list[tuple[str, Style | None]]]:
    """What the app would write now, line by line, as (text, style) after Textual's own
    filters (NO_COLOR's greys among them)."""
    update = full_update(app)
    return [[(seg.text, seg.style) for strip in line for seg in strip] for line in update.strips]


def written(app: RdstrailApp) -> str:
    """The bytes the app would write to the terminal now, escape codes included."""
    return full_update(app).render_segments(app.console)


def full_update(app: RdstrailApp) -> LayoutUpdate:
    # What App._display writes to the driver: the compositor's whole-screen update.
    update = app.screen._compositor.render_update(full=True)
    assert isinstance(update, LayoutUpdate)
    return update


def row_styles(app: RdstrailApp, events: EventList) -> dict[str, Style]:
    """The style of one row of each kind on screen (by its mark), the cursor's excepted."""
    found: dict[str, Style] = {}
    top = events.region.y + 1
    cursor_line = top + events.cursor - events.scroll_offset.y
    for y, line in enumerate(screen_lines(app)):
        if not top <= y < events.region.bottom or y == cursor_line or not line:
            continue
        text, style = line[0]
        if style is not None and text[:1] in (MARK_ERROR, MARK_WRITE, MARK_READ):
            found.setdefault(text[:1], style)
    return found


async def show_every_kind(app: RdstrailApp, pilot: Pilot[Any], events: EventList) -> None:
    """Scroll to rows that hold a failure, a write and a read together."""
    kinds = [mark_of(e) for e in listed_events(app)]
    shown = events.size.height - 2
    start = next(
        i
        for i in range(len(kinds))
        if {MARK_ERROR, MARK_WRITE, MARK_READ} <= set(kinds[i + 1 : i + shown])
    )
    events.cursor = start
    events.scroll_to(y=start, animate=False)
    await pilot.pause()


def grey(color: Color | None) -> bool:
    if color is None or color.is_default:
        return True
    red, green, blue = color.get_truecolor()
    return red == green == blue


def brightness(color: Color | None) -> int:
    assert color is not None
    return sum(color.get_truecolor())


async def test_no_color_greys_only_and_failures_stand_out(
    demo: Path, tmp_path: Path, terminal: pytest.MonkeyPatch
) -> None:
    terminal.setenv("TERM", "xterm-256color")
    terminal.setenv("NO_COLOR", "1")
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        await show_every_kind(app, pilot, events)
        for line in screen_lines(app):
            for text, style in line:
                if style is not None:
                    assert grey(style.color) and grey(style.bgcolor), (text, style)
        styles = row_styles(app, events)
        failed, read = styles[MARK_ERROR], styles[MARK_READ]
        # Failures by weight, and never the dimmest row.
        assert failed.bold and not read.bold
        assert brightness(failed.color) >= brightness(read.color)
        assert brightness(failed.color) >= brightness(styles[MARK_WRITE].color)
        # The cursor stands out without a hue either.
        assert "\x1b[1;7;" in written(app) or "\x1b[7;" in written(app)


@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_16_colours_tell_writes_from_failures(
    demo: Path, tmp_path: Path, terminal: pytest.MonkeyPatch, theme: str
) -> None:
    terminal.setenv("TERM", "xterm")
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        app.theme = theme
        events = await ready(app, pilot)
        await show_every_kind(app, pilot, events)
        assert app.console.color_system == "standard"
        styles = row_styles(app, events)
        system = app.console._color_system
        assert system is not None
        codes = {
            mark: style.color.downgrade(system).number
            for mark, style in styles.items()
            if style.color is not None
        }
        assert len({codes[MARK_ERROR], codes[MARK_WRITE], codes[MARK_READ]}) == 3, codes
        assert not EXTENDED_COLOUR.search(written(app))


async def test_full_colour_tells_writes_from_failures(
    demo: Path, tmp_path: Path, terminal: pytest.MonkeyPatch
) -> None:
    terminal.setenv("TERM", "xterm-256color")
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        await show_every_kind(app, pilot, events)
        styles = row_styles(app, events)
        assert styles[MARK_ERROR].bold
        assert len({str(s.color) for s in styles.values()}) == 3


async def test_vt100_gets_no_256_colour_codes(
    demo: Path, tmp_path: Path, terminal: pytest.MonkeyPatch
) -> None:
    terminal.setenv("TERM", "vt100")
    app = make_app(demo, tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        await show_every_kind(app, pilot, events)
        output = written(app)
        assert "\x1b[" in output  # colours, but of the sixteen
        assert not EXTENDED_COLOUR.search(output), EXTENDED_COLOUR.findall(output)[:3]


def test_one_mark_per_row_by_precedence() -> None:
    """failed > risky > write > inferred write > read > unknown, each its own character."""
    risky = RISK_FLAGS[0].bit
    base = Event("e", 0, "ModifyDBInstance", "rds.amazonaws.com", "", "", "", "", "", False,
                 None, None, "", b"")  # fmt: skip
    cases = [
        (base._replace(error_code="AccessDenied", flags=risky), MARK_ERROR),
        (base._replace(flags=risky), MARK_RISKY),
        (base._replace(flags=risky | INFERRED_READ_ONLY), MARK_RISKY),
        (base, MARK_WRITE),
        (base._replace(flags=INFERRED_READ_ONLY), MARK_INFERRED_WRITE),
        (base._replace(read_only=True), MARK_READ),
        (base._replace(read_only=True, flags=INFERRED_READ_ONLY), MARK_READ),
        (base._replace(read_only=None), MARK_UNKNOWN),
    ]
    for event, mark in cases:
        assert mark_of(event) == mark, event
    marks = {MARK_ERROR, MARK_RISKY, MARK_WRITE, MARK_INFERRED_WRITE, MARK_READ, MARK_UNKNOWN}
    assert len(marks) == 6 and all(len(m) == 1 and m.isascii() for m in marks)


async def test_a_new_list_reads_only_the_rows_it_shows(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At ten million events each row not yet read is a random read of a cold cache, which
    the keystroke (or End) that changed the list waits for: only the rows on screen are read,
    not the three screens of rowids the list keeps around them. A scroll reads what it brings
    in, and every row drawn is filled."""
    read: list[int] = []
    real = Cache.events_by_rowid

    def counted(cache: Cache, rowids: list[int]) -> Any:
        read.extend(rowids)
        return real(cache, rowids)

    app = make_app(demo, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        events = await ready(app, pilot)
        shown = events.size.height - 1  # below the header
        monkeypatch.setattr(Cache, "events_by_rowid", counted)
        for key in ("end", "pageup", "pageup", "home", "pagedown"):
            read.clear()
            await pilot.press(key)
            await pilot.pause()
            assert len(set(read)) <= shown, key
            assert read or key != "end", key  # the oldest rows: not read before
            top = events.scroll_offset.y
            assert all(line_of(events, i).strip() for i in range(top, top + shown)), key
        read.clear()
        await set_filter(app, pilot, "describe")  # a new list, from its first row
        assert 0 < len(set(read)) <= shown + 1  # + the event the detail shows
