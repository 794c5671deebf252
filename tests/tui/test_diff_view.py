"""DiffView under Pilot: summary, symbols, the folded AWS keys, failed and read-only records,
hostile text, wrapping, the line cursor, and opening a cut value whole (Enter) and closing
it (Escape), at 80 and 160 columns, on the User Guide's record and the demo trail's."""

from __future__ import annotations

import copy
import gzip
import html
import json
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Static

from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.present.diff import Diff, Status, diff_record
from rdstrail_tui.present.diff.layout import MAX_ROW_LINES
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import MARK_ERROR, MARK_UNKNOWN, MARK_WRITE

GUIDE = Path(__file__).parents[1] / "data" / "rds-events" / "rds-user-guide-createdbinstance.json"
SIZE = (80, 24)
WIDE = (160, 48)
# The demo's ModifyDBInstance of reporting-pg: storage and class pending, 43 keys set by AWS.
DEMO_MODIFY = "405adc49-f874-474e-bcc0-a0fa79e26093"
ELLIPSIS = "\u2026"
HOSTILE = "[bold red]x[/]\x1b]52;c;aGk=\x07\x08"
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class DiffApp(App[None]):
    # Stands for the explorer's Escape (back to the list), a priority binding as there: it
    # stands aside, as the explorer's detail must, while the diff has a value open.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "went_back", "Back", priority=True)
    ]

    def __init__(self, diff: Diff, card: int = 0) -> None:
        super().__init__()
        self.diff = diff
        self.card = card  # lines taken above the diff, as by the detail's event card
        self.backs = 0

    def compose(self) -> ComposeResult:
        if self.card:
            card = Static("\n".join(f"card {i}" for i in range(self.card)), id="card")
            card.styles.height = self.card
            yield card
        yield DiffView()
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "went_back":
            return not self.query_one(DiffView).expanded
        return super().check_action(action, parameters)

    def action_went_back(self) -> None:
        self.backs += 1

    def on_mount(self) -> None:
        view = self.query_one(DiffView)
        view.show(self.diff)
        view.focus()


def guide_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(GUIDE.read_bytes())["Records"][0]
    return record


def demo_record(event_id: str) -> dict[str, Any]:
    for path in sorted(shipped_trail_path().rglob("*.json.gz")):
        if "CloudTrail-Digest" in path.parts:
            continue
        for record in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            if record["eventID"] == event_id:
                found: dict[str, Any] = record
                return found
    raise LookupError(event_id)


def long_record() -> dict[str, Any]:
    """The User Guide's record with a value far longer than a row shows."""
    record = guide_record()
    record["requestParameters"]["dBName"] = " ".join(f"word{i:03}" for i in range(150))
    return record


def footer_keys(app: App[Any]) -> dict[str, str]:
    """What the Footer offers: key -> label."""
    bindings = app.screen.active_bindings.items()
    return {key: b.binding.description for key, b in bindings if b.binding.show}


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
        summary = "= 5 applied  > 1 pending  # 1 masked  + 26 set by AWS"
        assert lines[0] == summary == diff.summary()
        by_key = {line.split()[1]: line for line in lines[1:] if len(line.split()) > 1}
        # An applied value once: no `x -> x`.
        assert re.fullmatch(
            r'=  dBInstanceIdentifier +"test-instance"', by_key["dBInstanceIdentifier"]
        )
        assert by_key["enableCloudwatchLogsExports"].startswith(">  ")
        assert by_key["masterUserPassword"].startswith("#  ")
        assert "(value hidden; a change is pending)" in by_key["masterUserPassword"]
        assert "+ 26 set by AWS (a: show)" in lines
        assert not any("->" in line for line in lines)
        assert not any("dBInstanceArn" in line for line in view.plain_lines)
        # The Footer learns the binding from the focused widget.
        assert footer_keys(app)["a"] == "Set by AWS"


def test_the_diff_symbols_are_not_the_lists_marks() -> None:
    assert not {s.symbol for s in Status} & {MARK_ERROR, MARK_WRITE, MARK_UNKNOWN}


@pytest.mark.parametrize("size", [SIZE, WIDE], ids=["80x24", "160x48"])
async def test_summary_and_first_rows_fit_under_an_event_card(size: tuple[int, int]) -> None:
    # The detail puts a card of about five lines and a title above the diff.
    diff = diff_record(demo_record(DEMO_MODIFY))
    app = DiffApp(diff, card=6)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        lines = screen_lines(app.query_one(DiffView))
        assert lines[0] == "= 1 applied  > 2 pending  . 1 request only  + 43 set by AWS"
        assert re.fullmatch(r'=  dBInstanceIdentifier +"reporting-pg"', lines[1])
        assert re.fullmatch(r">  allocatedStorage +100 \(pending; now 20\)", lines[2])
        assert re.fullmatch(
            r'>  dBInstanceClass +"db.m6g.large" \(pending; now "db.t4g.medium"\)', lines[3]
        )
        assert re.fullmatch(
            r".  applyImmediately +false \(a call parameter, not a DBInstance field\)", lines[4]
        )
        assert lines[5] == "+ 43 set by AWS (a: show)"


async def test_a_toggles_the_keys_set_by_aws() -> None:
    app = DiffApp(diff_record(guide_record()))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.press("a")
        assert view.show_aws
        assert "+ 26 set by AWS (a: hide)" in view.plain_lines
        arn = [line for line in view.plain_lines if "dBInstanceArn" in line]
        assert arn and arn[0].startswith("+  ")
        assert len([line for line in view.plain_lines if line.startswith("+  ")]) == 26
        await pilot.press("a")
        assert not view.show_aws
        assert not any("dBInstanceArn" in line for line in view.plain_lines)
        assert "+ 26 set by AWS (a: show)" in screen_lines(view)


async def test_enter_on_the_fold_line_shows_the_keys_set_by_aws() -> None:
    app = DiffApp(diff_record(guide_record()))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.press(*["j"] * 7)
        assert view.cursor_lines == ["+ 26 set by AWS (a: show)"]
        await pilot.press("enter")
        assert view.show_aws
        assert view.cursor_lines == ["+ 26 set by AWS (a: hide)"]
        await pilot.press("enter")
        assert not view.show_aws


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
        count = len(record["requestParameters"])
        assert lines[0] == f"failed: AccessDenied  . {count} request only"
        assert lines[1].startswith("AccessDenied: User: arn:aws:iam::123456789012:user/johndoe")
        rows = [line for line in lines if line.startswith(".  ")]
        assert len(rows) == count
        assert "(not applied: the call failed)" in " ".join(lines)


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
        assert lines[0] == "read-only call: no response is recorded  . 2 request only"
        assert lines[1].startswith(".  dBInstanceIdentifier")
        assert re.fullmatch(r"\.  maxRecords +20 \(read-only call\)", lines[2])


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
        assert lines[0] == r"failed: Denied\x1b[5m  . 1 request only"
        assert lines[1] == r"Denied\x1b[5m: [bold red]x[/]\x1b]52;c;aGk=\x07\x08"
        assert not RAW_CONTROL.search("".join(lines))


@pytest.mark.parametrize("size", [SIZE, WIDE], ids=["80x24", "160x48"])
async def test_long_values_wrap_within_the_width_and_are_cut(size: tuple[int, int]) -> None:
    record = long_record()
    record["requestParameters"]["kmsKeyId"] = "k" * 400
    app = DiffApp(diff_record(record))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        view = app.query_one(DiffView)
        width = view.scrollable_content_region.width
        assert view.virtual_size.width <= width
        assert all(len(line) <= width for line in view.plain_lines)
        # Wrapped under the value column, three lines at most, then an ellipsis.
        name = next(i for i, line in enumerate(view.plain_lines) if "dBName" in line)
        column = view.plain_lines[name].index('"word000')
        rows = view.plain_lines[name : name + MAX_ROW_LINES + 1]
        assert all(line.startswith(" " * column) for line in rows[1:MAX_ROW_LINES])
        assert rows[MAX_ROW_LINES - 1].endswith(ELLIPSIS)
        assert not rows[MAX_ROW_LINES].startswith(" ")
        # Between words, never inside one.
        assert all(re.search(r"(word\d{3}|\u2026)$", line) for line in rows[:MAX_ROW_LINES])
        assert any(line.endswith("k" + ELLIPSIS) for line in view.plain_lines)


@pytest.mark.parametrize("size", [SIZE, WIDE], ids=["80x24", "160x48"])
async def test_enter_opens_a_cut_value_whole_and_escape_closes_it(size: tuple[int, int]) -> None:
    record = long_record()
    words = record["requestParameters"]["dBName"]
    app = DiffApp(diff_record(record))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        view = app.query_one(DiffView)
        assert "enter" not in footer_keys(app)  # the first row is shown whole already
        while not any("dBName" in line for line in view.cursor_lines):
            await pilot.press("j")
        cut = view.cursor_lines
        assert len(cut) == MAX_ROW_LINES and cut[-1].endswith(ELLIPSIS)
        assert footer_keys(app)["enter"] == "Open"
        assert footer_keys(app)["escape"] == "Back"  # the explorer's, while nothing is open

        await pilot.press("enter")
        assert view.expanded
        whole = view.cursor_lines
        assert len(whole) > MAX_ROW_LINES
        shown = " ".join(line.strip() for line in whole).split(None, 2)[2]
        assert shown == f'"{words}" (not in the response)'
        assert footer_keys(app)["escape"] == "Close"
        # On screen, from the row's first line.
        assert whole[0] in screen_lines(view)

        await pilot.press("escape")
        assert not view.expanded
        assert view.cursor_lines == cut
        assert app.focused is view and app.backs == 0
        assert footer_keys(app)["escape"] == "Back"
        # With nothing open, Escape is the explorer's again (back to the list).
        await pilot.press("escape")
        assert app.backs == 1
        # Enter again opens it, and Enter on the open row closes it too; so does q, which
        # goes back like Escape in the detail.
        await pilot.press("enter")
        assert view.expanded
        await pilot.press("enter")
        assert not view.expanded and view.cursor_lines == cut
        await pilot.press("enter", "q")
        assert not view.expanded and app.backs == 1


async def test_a_value_taller_than_the_pane_scrolls_line_by_line() -> None:
    record = long_record()
    record["requestParameters"]["dBName"] = " ".join(f"word{i:03}" for i in range(220))
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        while not any("dBName" in line for line in view.cursor_lines):
            await pilot.press("j")
        await pilot.press("enter")
        height = view.scrollable_content_region.height
        assert len(view.cursor_lines) > height + 10
        before = view.cursor_item
        seen: set[str] = set()
        for _ in range(len(view.cursor_lines)):
            seen.update(screen_lines(view))
            await pilot.press("down")
            if view.cursor_item != before:
                break
        # Every line of the value went by on screen before the cursor left the row.
        assert view.cursor_item == before + 1
        assert all(line.strip() in {s.strip() for s in seen} for line in view.cursor_lines[:-1])
        await pilot.press("escape")
        assert not view.expanded  # Escape closes the row the cursor has left, too


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
        assert set(symbols) == {"=", "~"}
        assert symbols["="] is not None and symbols["~"] is not None
        assert symbols["="].color is not None
        assert symbols["="].color != symbols["~"].color


async def test_the_cursor_moves_over_the_rows_and_the_view_follows() -> None:
    record = guide_record()
    record["requestParameters"].update({f"key{i:02}": i for i in range(40)})
    app = DiffApp(diff_record(record))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.pause()
        assert view.scroll_y == 0 and view.cursor_item == 0
        await pilot.press("down", "j")
        assert view.cursor_item == 2
        assert view.cursor_lines[0].startswith("=  engine")
        await pilot.press("k")
        assert view.cursor_item == 1 and view.scroll_y == 0
        await pilot.press("end")
        assert view.scroll_y == view.max_scroll_y > 0
        assert view.cursor_lines == ["+ 26 set by AWS (a: show)"]
        await pilot.press("home")
        assert view.scroll_y == 0 and view.cursor_item == 0
        await pilot.press("pagedown")
        assert view.scroll_y > 10
        assert view.cursor_lines[0] in screen_lines(view)
        await pilot.press("pageup")
        assert view.scroll_y == 0
        for _ in range(30):
            await pilot.press("j")
            assert view.cursor_lines[0] in screen_lines(view)


async def test_the_cursor_line_is_highlighted() -> None:
    app = DiffApp(diff_record(guide_record()))
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(DiffView)
        await pilot.press("j")
        lines = screen_lines(view)
        cursor = lines.index(view.cursor_lines[0])
        backgrounds = [
            {segment.style.bgcolor for segment in view.render_line(y) if segment.style}
            for y in range(6)
        ]
        # The cursor's row stands out from the summary and the rows around it.
        others = [b for y, b in enumerate(backgrounds) if y != cursor]
        assert all(backgrounds[cursor] != other for other in others)


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
        assert view.scroll_y == 0 and view.cursor_item == 0
        assert screen_lines(view)[0].startswith("failed: AccessDenied  . ")


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
        # With AWS's keys shown the longest (32 cells) is longer than the column: whole, and
        # two spaces before its value all the same.
        (guide_record(), "iAMDatabaseAuthenticationEnabled", ("a",)),
    ],
    ids=["exact", "overflowing"],
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
