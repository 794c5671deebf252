"""The JSON detail widget driven through Pilot at 80x24: rendering, cursor, folding, safety."""

from __future__ import annotations

import json
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer

from rdstrail_tui.present import json_layout as jsonlines
from rdstrail_tui.tui.widgets.json_view import JsonView
from tests.conftest import GUIDE_FILE

SIZE = (80, 24)
RAW = ("\x1b", "\x07", "\x08", "\u202e", "\x9b", "\n", "\r", "\t", "\x00")


class JsonApp(App[None]):
    def __init__(self, value: object = None, message: str | None = None) -> None:
        super().__init__()
        self.initial = value
        self.message = message

    def compose(self) -> ComposeResult:
        yield JsonView()
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(JsonView)
        if self.message is not None:
            view.show_message(self.message)
        else:
            view.show(self.initial)
        view.focus()


def guide_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(GUIDE_FILE.read_bytes())["Records"][0]
    return record


def screen(view: JsonView) -> list[str]:
    """The visible lines, as rendered, without the padding to the pane width."""
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def cursor_text(view: JsonView) -> str:
    return view.line_texts()[view.cursor_line]


async def move_to(pilot: Pilot[None], view: JsonView, prefix: str) -> None:
    """Press down until the cursor line starts with `prefix`."""
    for _ in range(len(view.line_texts())):
        if cursor_text(view).startswith(prefix):
            return
        await pilot.press("down")
    raise AssertionError(f"no line starts with {prefix!r}")


async def test_shows_the_guide_record_with_the_masked_password_marked() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        lines = screen(view)
        assert lines[0] == "{"
        assert '  "eventName": "CreateDBInstance",' in lines
        assert view.value == guide_record()

        await move_to(pilot, view, '    "masterUserPassword"')
        await pilot.pause()
        assert '    "masterUserPassword": "****" masked' in screen(view)
        y = view.cursor_line - view.scroll_offset.y
        segments = {segment.text: segment.style for segment in view.render_line(y)}
        masked = view.get_component_rich_style("jsonview--masked")
        string = view.get_component_rich_style("jsonview--string")
        assert segments[" masked"] is not None and segments['"****"'] is not None
        assert segments[" masked"].color == masked.color
        assert segments['"****"'].color == string.color
        assert masked.color != string.color


async def test_enter_folds_and_unfolds_request_parameters() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await move_to(pilot, view, '  "requestParameters"')
        line = view.cursor_line
        lines = view.line_texts()
        assert lines[line + 1] == '    "enableCloudwatchLogsExports": ['

        await pilot.press("enter")
        await pilot.pause()
        lines = view.line_texts()
        assert lines[line] == '  "requestParameters": {…} 7 keys,'
        assert lines[line + 1] == '  "responseElements": {'
        assert view.cursor_line == line
        assert screen(view)[line - view.scroll_offset.y] == lines[line]

        await pilot.press("enter")
        await pilot.pause()
        lines = view.line_texts()
        assert lines[line] == '  "requestParameters": {'
        assert lines[line + 1] == '    "enableCloudwatchLogsExports": ['


async def test_space_on_a_member_folds_the_enclosing_container() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await move_to(pilot, view, '    "principalId"')
        await pilot.press("space")
        await pilot.pause()
        assert cursor_text(view) == '  "userIdentity": {…} 6 keys,'


async def test_minus_folds_all_below_the_top_and_plus_unfolds_all() -> None:
    record = guide_record()
    app = JsonApp(record)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        unfolded = view.line_texts()
        await move_to(pilot, view, '    "masterUserPassword"')

        await pilot.press("minus")
        await pilot.pause()
        lines = screen(view)
        assert len(view.line_texts()) == len(record) + 2
        assert '  "userIdentity": {…} 6 keys,' in lines
        assert '  "responseElements": {…} 32 keys,' in lines
        # The cursor was inside a folded container: it moves to the folded line.
        assert cursor_text(view) == '  "requestParameters": {…} 7 keys,'
        assert view.virtual_size.height == len(record) + 2

        await pilot.press("plus")
        await pilot.pause()
        assert view.line_texts() == unfolded
        assert cursor_text(view) == '  "requestParameters": {'

        await pilot.press("minus", "equals_sign")
        await pilot.pause()
        assert view.line_texts() == unfolded


async def test_left_folds_the_enclosing_container_and_right_unfolds() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await move_to(pilot, view, '      "error"')
        await pilot.press("left")
        await pilot.pause()
        assert cursor_text(view) == '    "enableCloudwatchLogsExports": […] 4 items,'
        await pilot.press("left")
        await pilot.pause()
        assert cursor_text(view) == '  "requestParameters": {…} 7 keys,'

        await pilot.press("right")
        await pilot.pause()
        assert cursor_text(view) == '  "requestParameters": {'
        # Its inner array stays folded until it is unfolded in turn.
        await pilot.press("right")
        assert cursor_text(view) == '    "enableCloudwatchLogsExports": […] 4 items,'
        await pilot.press("right")
        await pilot.pause()
        assert cursor_text(view) == '    "enableCloudwatchLogsExports": ['


async def test_end_home_and_vim_keys() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        total = len(view.line_texts())
        assert total > 24

        await pilot.press("end")
        await pilot.pause()
        assert view.cursor_line == total - 1
        assert view.scroll_offset.y == view.max_scroll_y > 0
        assert screen(view)[-1] == "}"

        await pilot.press("home")
        await pilot.pause()
        assert view.cursor_line == 0 and view.scroll_offset.y == 0
        assert screen(view)[0] == "{"

        await pilot.press("G")
        assert view.cursor_line == total - 1
        await pilot.press("g", "j", "j")
        assert view.cursor_line == 2
        await pilot.press("k")
        assert view.cursor_line == 1


async def test_page_keys_move_the_cursor_and_keep_it_visible() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        for _ in range(3):
            await pilot.press("pagedown")
            await pilot.pause()
            top = view.scroll_offset.y
            assert top > 0
            assert top <= view.cursor_line < top + view.size.height
        await pilot.press("pageup", "pageup", "pageup", "pageup")
        await pilot.pause()
        assert view.cursor_line == 0 and view.scroll_offset.y == 0


async def test_down_scrolls_to_keep_the_cursor_visible() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        for _ in range(30):
            await pilot.press("down")
        await pilot.pause()
        assert view.cursor_line == 30
        assert view.scroll_offset.y == 30 - view.size.height + 1


HOSTILE = {
    "userAgent": "[bold red]hi[/]\x1b]52;c;aGk=\x07",
    "errorMessage": "\x1b[2J\x08",
    "bad\x1bkey": "value",
    "name": "abc\u202edef",
}


@pytest.mark.parametrize("size", [SIZE, (24, 24)])
async def test_hostile_text_reaches_the_screen_escaped(size: tuple[int, int]) -> None:
    app = JsonApp(HOSTILE)
    async with app.run_test(size=size) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        strips = [view.render_line(y) for y in range(view.size.height)]
        for strip in strips:
            for segment in strip:
                for char in RAW:
                    assert char not in segment.text
        if size == SIZE:
            text = "\n".join(strip.text for strip in strips)
            assert '"userAgent": "[bold red]hi[/]\\x1b]52;c;aGk=\\x07"' in text
            assert '"errorMessage": "\\x1b[2J\\x08"' in text
            assert '"bad\\x1bkey": "value"' in text
            assert '"name": "abc\\u202edef"' in text


async def test_long_values_wrap_to_the_pane_without_horizontal_scrolling() -> None:
    record = guide_record()
    record["errorMessage"] = "User: arn:aws:iam::123456789012:user/johndoe is not authorized " * 4
    app = JsonApp(record)
    async with app.run_test(size=(40, 24)) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        width = view.scrollable_content_region.width
        assert view.virtual_size.width == width
        assert view.max_scroll_x == 0
        assert all(len(line) <= width for line in view.line_texts())
        assert all(view.render_line(y).cell_length == width for y in range(24))

        await pilot.resize_terminal(60, 24)
        await pilot.pause()
        assert view.scrollable_content_region.width == width + 20
        assert view.virtual_size.width == width + 20
        assert max(len(line) for line in view.line_texts()) > width


async def test_show_message_and_show_replace_each_other() -> None:
    app = JsonApp(message="No event selected")
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        assert screen(view)[0] == "No event selected"
        assert view.value is None
        await pilot.press("enter", "minus", "down", "end", "left", "right")  # nothing to do

        view.show({"a": {"b": 1}})
        await pilot.pause()
        assert screen(view)[:5] == ["{", '  "a": {', '    "b": 1', "  }", "}"]
        view.show_message("Record \x1b[2J unreadable")
        await pilot.pause()
        assert screen(view)[0] == "Record \\x1b[2J unreadable"


async def test_show_resets_folds_and_cursor() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await pilot.press("minus", "end")
        view.show(guide_record())
        await pilot.pause()
        assert view.cursor_line == 0 and view.scroll_offset.y == 0
        assert screen(view)[2] == '  "userIdentity": {'


async def test_the_footer_offers_fold_bindings() -> None:
    app = JsonApp(guide_record())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = {
            active.binding.description
            for active in app.screen.active_bindings.values()
            if active.binding.show
        }
        assert {"Fold", "Fold all", "Unfold all"} <= shown


async def test_moving_the_cursor_does_not_lay_the_record_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A big record: layouts happen on show, fold and resize only, never while scrolling."""
    record = guide_record()
    record["responseElements"] = {"copies": [guide_record()["responseElements"]] * 120}
    assert len(json.dumps(record)) > 200_000
    calls = 0
    layout = jsonlines.JsonDocument.layout

    def counting(self: jsonlines.JsonDocument, *args: Any, **kwargs: Any) -> jsonlines.Layout:
        nonlocal calls
        calls += 1
        return layout(self, *args, **kwargs)

    monkeypatch.setattr(jsonlines.JsonDocument, "layout", counting)
    app = JsonApp(record)
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(JsonView)
        await pilot.pause()
        after_show = calls
        for key in ("pagedown", "down", "pagedown", "end", "up", "pageup", "home"):
            await pilot.press(key)
        await pilot.pause()
        assert calls == after_show
        assert len(view.line_texts()) > 10_000
        await pilot.press("minus")
        assert calls == after_show + 1


async def test_show_before_mounting_renders_once_laid_out() -> None:
    view = JsonView()
    view.show({"a": [1, 2]})

    class EarlyApp(App[None]):
        def compose(self) -> ComposeResult:
            yield view

    app = EarlyApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert screen(view)[:6] == ["{", '  "a": [', "    1,", "    2", "  ]", "}"]
