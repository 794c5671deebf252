"""Keys that arrive in one burst (a paste, or a slow SSH link delivering a quickly typed
`/modify` and Enter in one packet) must each reach the widget the key before chose."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
from textual import events
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static

from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from tests.support.explorer import wait_until


def burst(app: RdstrailApp, keys: list[tuple[str, str | None]]) -> None:
    """Queue every key before the app handles the first, as a terminal read would."""
    assert app._driver is not None
    for key, character in keys:
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)


async def test_slash_filter_enter_in_one_burst(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        typed = [(c, c) for c in "modify"]
        burst(app, [("slash", "/"), *typed, ("enter", "\r"), ("j", "j")])
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(FilterBox).value == "modify"
        assert "37 of 301 events" in str(screen.query_one("#status", Static).render())
        # Enter gave the list the focus, so the j after it moved the cursor.
        assert screen.focused is screen.query_one(EventList)
        assert screen.query_one(EventList).cursor == 1


async def test_a_slash_inside_the_filter_is_text(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        burst(app, [("slash", "/"), *[(c, c) for c in "user:readonly"], ("slash", "/")])
        burst(app, [(c, c) for c in "bob"])
        await pilot.pause()
        assert app.screen.query_one(FilterBox).value == "user:readonly/bob"
        assert "of 301 events" in str(app.screen.query_one("#status", Static).render())


async def test_escape_in_a_burst_clears_and_returns_to_the_list(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        burst(app, [("slash", "/"), ("x", "x"), ("escape", None), ("j", "j"), ("j", "j")])
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(FilterBox).value == ""  # the j's did not land in the box
        assert "301 of 301 events" in str(screen.query_one("#status", Static).render())
        assert screen.focused is screen.query_one(EventList)


async def test_escape_in_a_burst_leaves_the_detail_before_the_next_key(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        screen = app.screen
        assert screen.has_class("-detail-open")
        burst(app, [("J", "J"), ("escape", None), ("j", "j"), ("j", "j")])
        await pilot.pause()
        events = screen.query_one(EventList)
        # J stepped to the second event in the detail; the j's after Escape moved the list.
        assert screen.focused is events
        assert not screen.has_class("-detail-open")
        assert events.cursor == 3


async def test_escape_in_a_burst_closes_a_dialog_before_the_next_key(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("L")
        burst(app, [("x", "x"), ("escape", None), ("j", "j")])
        await pilot.pause()
        screen = app.screen
        assert screen.query_one(EventList).cursor == 1  # the j reached the list
        assert screen.query_one(FilterBox).value == ""


async def test_the_box_keys_act_in_the_order_typed(tmp_path: Path) -> None:
    """ctrl+u, then the new filter, in one packet: the box is emptied before the new text,
    not after it (a key the box does not print used to reach its binding only once the
    keys behind it were typed). The same for a walk of the history."""
    history = FilterHistory(tmp_path / "h")
    history.add("is:error")
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=history)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        burst(app, [("slash", "/"), *[(c, c) for c in "user:x"], ("ctrl+u", "\x15")])
        burst(app, [(c, c) for c in "modify"])
        await pilot.pause()
        assert app.screen.query_one(FilterBox).value == "modify"
        assert "of 301 events" in str(app.screen.query_one("#status", Static).render())
        burst(app, [("ctrl+u", "\x15"), ("up", None), ("space", " "), ("m", "m")])
        await pilot.pause()
        assert app.screen.query_one(FilterBox).value == "is:error m"


async def test_a_burst_is_filtered_once_for_its_last_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A paste, or a quick typist over a slow link: the list is filtered for the text the
    burst ends with, not once per character (each costs a few tenths at ten million events
    for a res: prefix), and no half-typed term's error shows."""
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        applied: list[str] = []
        set_filter = screen._set_filter  # type: ignore[attr-defined]

        def counted(text: str) -> bool:
            applied.append(text)
            return bool(set_filter(text))

        monkeypatch.setattr(screen, "_set_filter", counted)
        burst(app, [("slash", "/"), *[(c, c) for c in "res:orders-prod is:write"]])
        await pilot.pause()
        assert screen.query_one(FilterBox).value == "res:orders-prod is:write"
        assert applied[-1] == "res:orders-prod is:write"
        assert len(applied) <= 2, applied  # at most the first key on its own, then the rest
        assert "res:" not in applied
        assert not screen.query_one("#filter-error", Static).display
        # A key on its own is still applied at once.
        await pilot.press("backspace")
        assert applied[-1] == "res:orders-prod is:writ"


async def test_backspaces_and_cursor_keys_in_a_burst_act_in_order(tmp_path: Path) -> None:
    """Six backspaces and `xyzq` in one read (a held key over a slow link): the six
    characters before the cursor go, then the letters are typed. Textual's own Input runs
    its bound keys only after the printable keys queued behind them (Textualize/textual#6605),
    which left `modi`."""
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        burst(app, [("slash", "/"), *[(c, c) for c in "modifydb"]])
        await pilot.pause()
        burst(app, [*[("backspace", "\x7f")] * 6, *[(c, c) for c in "xyzq"]])
        await pilot.pause()
        box = app.screen.query_one(FilterBox)
        assert box.value == "moxyzq"
        burst(app, [("home", None), ("right", None), ("delete", None), ("e", "e")])
        await pilot.pause()
        assert box.value == "mexyzq"  # home, right, the o deleted, e typed after the m
        typed = [(c, c) for c in "modify"]
        burst(app, [("end", None), ("left", None), ("ctrl+w", "\x17"), *typed, ("delete", None)])
        await pilot.pause()
        assert box.value == "modify"  # the word before the q went, modify typed, the q deleted
        assert "37 of 301 events" in str(app.screen.query_one("#status", Static).render())


async def test_a_dialog_box_edits_in_order_too(tmp_path: Path) -> None:
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("L")
        burst(app, [(c, c) for c in "/trial"])
        burst(app, [*[("backspace", "\x7f")] * 4, *[(c, c) for c in "ail"]])
        await pilot.pause()
        # Four backspaces leave `/t`; without the fix `ail` landed first and `/tria` remained.
        assert app.screen.query_one("#path", Input).value == "/tail"


async def test_a_typed_key_is_drawn_with_its_list_in_one_frame(tmp_path: Path) -> None:
    """No frame shows the box's new text over the list of the text before it: the echo,
    the list and the count of one key are drawn together. In a real terminal the box's
    Input.Changed reached the screen a frame after the echo was drawn (the list and count
    25-50 ms later); here its delivery is held back 0.1 s, so that a list that waited for
    it would be drawn stale in between."""
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("slash")
        await pilot.pause()
        box = app.screen.query_one(FilterBox)
        status = app.screen.query_one("#status", Static)
        drawn: list[tuple[str, str]] = []
        original_display, original_post = app._display, box.post_message

        def display(screen: Screen[object], renderable: object) -> None:
            if renderable is not None and app.screen is screen:
                drawn.append((box.value, str(status.render())))
            original_display(screen, renderable)  # type: ignore[arg-type]

        def post_message(message: Message) -> bool:
            if isinstance(message, Input.Changed):
                app.set_timer(0.1, partial(original_post, message))
                return True
            return original_post(message)

        app._display = display  # type: ignore[method-assign]
        box.post_message = post_message  # type: ignore[method-assign]
        for key in "mod":
            await pilot.press(key)
        screen = app.main_screen
        await wait_until(pilot, lambda: screen.filter.text == "mod", what="mod filtered")
        await pilot.pause(0.2)  # the held-back Changed messages, delivered and drawn
        frames = [(text, count) for text, count in drawn if text]
        assert frames and frames[-1][0] == "mod", drawn
        shown = {text: count for text, count in frames}
        for text, count in frames:
            assert count == shown[text], f"{text!r} drawn with two counts: {drawn}"
            assert not count.startswith("301 of 301"), f"{text!r} over the whole list: {drawn}"


async def test_typing_lays_nothing_out_and_a_long_filter_follows_the_cursor(
    tmp_path: Path,
) -> None:
    """A key typed into the box lays no widget out again while the list still overflows
    (Input's new virtual size at each key cost a layout of the whole screen, 35-70 ms a key
    at 160x48), and a filter longer than the box scrolls with the cursor: its end shows as
    it is typed, its start after Home."""
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=FilterHistory(tmp_path / "h"))
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("slash")
        await pilot.pause()
        screen = app.main_screen
        box = screen.query_one(FilterBox)
        events = screen.query_one(EventList)
        layouts: list[str] = []
        original = screen._refresh_layout

        def refresh_layout(*args: object, **kwargs: object) -> None:
            layouts.append(box.value)
            original(*args, **kwargs)  # type: ignore[arg-type]

        screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
        for key in "modify":  # 301, then 37 events: more than the list's 20 lines
            await pilot.press(key)
            await pilot.pause()
        assert "37 of 301 events" in str(screen.query_one("#status", Static).render())
        assert len(events.rows) > events.size.height
        assert layouts == [], f"laid out after typing {layouts}"

        rest = " reboot delete create snapshot instance cluster orders reporting payments"
        for key in rest:
            await pilot.press("space" if key == " " else key)
        await pilot.pause()
        typed = "modify" + rest
        assert box.value == typed and len(typed) > box.content_region.width
        shown = box.render_line(0).text[: box.size.width]
        assert typed[-20:] in shown and typed[:10] not in shown
        await pilot.press("home")
        await pilot.pause()
        shown = box.render_line(0).text[: box.size.width]  # the line, as wide as the box
        assert typed[:20] in shown and typed[-10:] not in shown
