"""DiffView under Pilot: summary, symbols, the folded AWS keys, failed and read-only records,
hostile text, wrapping and scrolling."""

from __future__ import annotations

import copy
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Footer

from rdstrail_tui.present.diff import Diff, diff_record
from rdstrail_tui.tui.widgets.diff_view import DiffView

GUIDE = Path(__file__).parents[1] / "data" / "rds-events" / "rds-user-guide-createdbinstance.json"
SIZE = (80, 24)
HOSTILE = "[bold red]x[/]\x1b]52;c;aGk=\x07\x08"
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class DiffApp(App[None]):
    def __init__(self, diff: Diff) -> None:
        super().__init__()
        self.diff = diff

    def compose(self) -> ComposeResult:
        yield DiffView()
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(DiffView)
        view.show(self.diff)
        view.focus()


def guide_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(GUIDE.read_bytes())["Records"][0]
    return record


def screen_lines(view: DiffView) -> list[str]:
    """What the widget paints now, line by line, through the Line API."""
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def all_segment_text(view: DiffView) -> str:
    return "".join(segment.text for y in range(view.size.height) for segment in view.render_line(y))


async def test_summary_symbols_and_folded_aws_keys() -> None:
    diff = diff_record(guide_record())
    app = DiffApp(diff)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(DiffView)
        lines = screen_lines(view)
        assert lines[0] == "5 applied, 1 pending, 1 masked, 26 set by AWS" == diff.summary()
        by_key = {line.split()[1]: line for line in lines[1:] if len(line.split()) > 1}
        assert by_key["dBInstanceIdentifier"].startswith("=  ")
        assert '"test-instance" -> "test-instance"' in by_key["dBInstanceIdentifier"]
        assert by_key["enableCloudwatchLogsExports"].startswith(">  ")
        assert by_key["masterUserPassword"].startswith("*  ")
        assert "+ 26 set by AWS (press a to show)" in lines
        assert not any("dBInstanceArn" in line for line in view.plain_lines)
        # The Footer learns the binding from the focused widget.
        assert app.screen.active_bindings["a"].binding.description == "AWS defaults"


async def test_a_toggles_the_keys_set_by_aws() -> None:
    app = DiffApp(diff_record(guide_record()))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.press("a")
        assert view.show_aws
        assert "+ 26 set by AWS (press a to hide)" in view.plain_lines
        arn = [line for line in view.plain_lines if "dBInstanceArn" in line]
        assert arn and arn[0].startswith("+  ")
        assert len([line for line in view.plain_lines if line.startswith("+  ")]) == 26
        await pilot.press("a")
        assert not view.show_aws
        assert not any("dBInstanceArn" in line for line in view.plain_lines)
        assert "+ 26 set by AWS (press a to show)" in screen_lines(view)


async def test_failed_record_shows_the_error_and_the_request() -> None:
    record = guide_record()
    record.update(
        errorCode="AccessDenied",
        errorMessage="User: arn:aws:iam::123456789012:user/johndoe is not authorized",
        responseElements=None,
    )
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(DiffView))
        assert lines[0] == "failed: AccessDenied"
        assert lines[1].startswith("AccessDenied: User: arn:aws:iam::123456789012:user/johndoe")
        rows = [line for line in lines if line.startswith("?  ")]
        assert len(rows) == len(record["requestParameters"])
        assert any("not applied: the call failed" in line for line in lines)


async def test_read_only_record_shows_the_message_and_the_request() -> None:
    record = {
        "eventName": "DescribeDBInstances",
        "requestParameters": {"dBInstanceIdentifier": "test-instance", "maxRecords": 20},
        "responseElements": None,
    }
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(DiffView))
        assert lines[0] == "read-only call: no response is recorded"
        assert lines[1].startswith("?  dBInstanceIdentifier")
        assert lines[2].startswith("?  maxRecords")
        assert "20 -> read-only call" in lines[2]


async def test_hostile_text_is_escaped_never_interpreted() -> None:
    record = guide_record()
    record["requestParameters"]["dBName"] = HOSTILE
    record["requestParameters"]["\x1b[2J\u202ekey"] = [HOSTILE]
    record["responseElements"]["\x9b31m"] = {"n\x07": HOSTILE}
    record["errorCode"] = "Denied\x1b[5m"
    record["errorMessage"] = HOSTILE
    failed = diff_record(record)
    del record["errorCode"], record["errorMessage"]
    for diff in (failed, diff_record(record)):
        app = DiffApp(diff)
        async with app.run_test(size=SIZE) as pilot:
            view = app.query_one(DiffView)
            await pilot.press("a")
            for _ in range(3):
                painted = all_segment_text(view)
                assert not RAW_CONTROL.search(painted)
                await pilot.press("pagedown")
            lines = view.plain_lines
            assert not any(RAW_CONTROL.search(line) for line in lines)
            # Markup stays literal text, controls show as visible escapes.
            assert any(r'"[bold red]x[/]\x1b]52;c;aGk=\x07\x08"' in line for line in lines)
            assert any(r"\x1b[2J\u202ekey" in line for line in lines)
            if diff.kind == "compared":  # a failed call's response is not shown
                assert any(r"+  \x9b31m" in line for line in lines)
                assert any(r'{"n\x07":' in line for line in lines)


async def test_hostile_error_line_is_escaped() -> None:
    record = {
        "eventName": "ModifyDBInstance",
        "requestParameters": {"dBInstanceIdentifier": "db"},
        "errorCode": "Denied\x1b[5m",
        "errorMessage": HOSTILE,
    }
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(DiffView))
        assert lines[0] == r"failed: Denied\x1b[5m"
        assert lines[1] == r"Denied\x1b[5m: [bold red]x[/]\x1b]52;c;aGk=\x07\x08"
        assert not RAW_CONTROL.search("".join(lines))


async def test_long_values_wrap_within_the_width() -> None:
    record = guide_record()
    record["requestParameters"]["dBName"] = "word " * 100
    record["requestParameters"]["kmsKeyId"] = "k" * 400
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(DiffView)
        width = view.scrollable_content_region.width
        assert view.virtual_size.width <= width
        assert all(len(line) <= width for line in view.plain_lines)
        # Cut at a fixed length, then wrapped under the value column.
        assert any("k..." in line for line in view.plain_lines)
        assert any(line.startswith(" " * 10) for line in view.plain_lines)


async def test_status_has_a_colour_as_well_as_a_symbol() -> None:
    diff = diff_record(
        {
            "eventName": "ModifyDBInstance",
            "requestParameters": {"engine": "mysql", "storageType": "gp3"},
            "responseElements": {"engine": "mysql", "storageType": "gp2"},
        }
    )
    app = DiffApp(diff)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.query_one(DiffView)
        symbols = {}
        for y in (1, 2):
            first = next(segment for segment in view.render_line(y) if segment.text.strip())
            symbols[first.text] = first.style
        assert set(symbols) == {"=", "!"}
        assert symbols["="] is not None and symbols["!"] is not None
        assert symbols["="].color is not None
        assert symbols["="].color != symbols["!"].color


async def test_keys_scroll_the_view() -> None:
    record = guide_record()
    record["requestParameters"].update({f"key{i:02}": i for i in range(40)})
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.pause()
        assert view.scroll_y == 0
        await pilot.press("down", "j")
        assert view.scroll_y == 2
        await pilot.press("k")
        assert view.scroll_y == 1
        await pilot.press("end")
        assert view.scroll_y == view.max_scroll_y > 0
        await pilot.press("home")
        assert view.scroll_y == 0
        await pilot.press("pagedown")
        assert view.scroll_y > 10
        await pilot.press("pageup")
        assert view.scroll_y == 0


async def test_show_replaces_the_diff_and_returns_to_the_top() -> None:
    first = guide_record()
    first["requestParameters"].update({f"key{i:02}": i for i in range(40)})
    second = copy.deepcopy(guide_record())
    second["errorCode"] = "AccessDenied"
    app = DiffApp(diff_record(first))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.press("end")
        view.show(diff_record(second))
        await pilot.pause()
        assert view.scroll_y == 0
        assert screen_lines(view)[0] == "failed: AccessDenied"


# -- the gap between key and value -------------------------------------------------------

MODIFY = {
    "eventName": "ModifyDBInstance",
    "requestParameters": {
        "dBInstanceIdentifier": "orders-staging",
        "backupRetentionPeriod": 14,
        "applyImmediately": True,
    },
    "responseElements": {"dBInstanceIdentifier": "orders-staging", "backupRetentionPeriod": 14},
}
SVG_TEXT = re.compile(
    r'<text [^>]*x="([\d.]+)" y="([\d.]+)" textLength="([\d.]+)"[^>]*>([^<]*)</text>'
)


def svg_rows(svg: str) -> list[list[tuple[float, str]]]:
    """The text runs of an exported screenshot, line by line: (column, text), in cells."""
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, length, text in SVG_TEXT.findall(svg):
        plain = html.unescape(text).replace("\xa0", " ")
        cell = float(length) / len(plain)
        rows.setdefault(float(y), []).append((round(float(x) / cell, 2), plain))
    return [sorted(rows[y]) for y in sorted(rows)]


@pytest.mark.parametrize(
    ("record", "longest", "press"),
    [
        # The key column is exactly as wide as the longest key.
        (MODIFY, "backupRetentionPeriod", ()),
        # With AWS's keys shown the longest (32 cells) is clamped to the column and folds.
        (guide_record(), "iAMDatabaseAuthenticationEnabled", ("a",)),
    ],
    ids=["exact", "clamped"],
)
async def test_the_longest_key_has_two_spaces_before_its_value(
    record: dict[str, Any], longest: str, press: tuple[str, ...]
) -> None:
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*press)
        await pilot.pause()
        view = app.query_one(DiffView)
        # On screen: the key (or its first line, folded), two spaces, the value.
        index, line = next(
            (index, line)
            for index, line in enumerate(view.plain_lines)
            if line[3:].startswith(longest[:20])
        )
        key = line[3:].split(" ", 1)[0]
        assert longest.startswith(key) and len(key) >= len(longest) - 1
        value = line[3 + len(key) :]
        assert value.startswith("  ") and value[2] != " ", line
        # In a screenshot (the README's, the snapshots) too: the value is a run of text of
        # its own, two cells after the key. A run that starts with the gap's spaces loses
        # them in renderers that drop leading spaces (rsvg): the key then touches its value.
        view.scroll_to(y=index, animate=False)
        await pilot.pause()
        rows = svg_rows(app.export_screenshot(simplify=True))
        row = next(row for row in rows if any(text == key for _, text in row))
        key_column = next(column for column, text in row if text == key)
        value_column, value_text = next((c, t) for c, t in row if c > key_column)
        assert value_column == key_column + len(key) + 2, row
        assert value.strip().startswith(value_text.rstrip()), row
        # No run of the diff starts with spaces (the footer, the last line, aside).
        assert [text for row in rows[:-1] for _, text in row if text.startswith(" ")] == []
