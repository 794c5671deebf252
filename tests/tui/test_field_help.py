"""The field help in the explorer, under Pilot: `i` on a diff row or on a key of the JSON
opens a panel with the RDS model's documentation of that member, Escape or `i` closes it,
it fits 80x24 (more documentation wider), and what the model does not know is one line."""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot

from rdstrail_tui.present import field_help as field_help_module
from rdstrail_tui.present.field_help import BRIEF_DOC_LINES, REQUEST, RESPONSE
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.screens.field_help import FieldHelpScreen
from rdstrail_tui.tui.screens.help import HelpScreen
from rdstrail_tui.tui.screens.main import MainScreen
from tests.support.explorer import (
    COMPACT,
    DATA_DIR,
    RAW_CONTROL,
    WIDE,
    diff_view,
    footer_entries,
    footer_text,
    json_view,
    load_into,
    make_app,
    settle,
    wait_for_footer,
    wait_until,
)

BOTOCORE = f"botocore {importlib.metadata.version('botocore')}"


@pytest.fixture
def shared_cache(cache_path: Path) -> Path:
    """The 72 records of tests/data; the last in the list is the User Guide's
    CreateDBInstance."""
    load_into(cache_path, DATA_DIR)
    return cache_path


@pytest.fixture
def odd_cache(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> Path:
    """A call the model does not know (opened first: the newest), and a modification whose
    response holds a pending value no requested key accounts for."""
    unknown = record_factory(
        eventName="ModifyFooBar",
        eventTime="2024-03-02T12:00:00Z",
        requestParameters={"fooBarIdentifier": "fb-1", "someKey": "x"},
        responseElements={"fooBarIdentifier": "fb-1", "someKey": "x"},
    )
    pending = record_factory(
        requestParameters={"dBInstanceIdentifier": "db-1"},
        responseElements={
            "dBInstanceIdentifier": "db-1",
            "pendingModifiedValues": {"allocatedStorage": 100},
        },
    )
    load_into(cache_path, writers.trail(tmp_path / "in" / "odd.json", [unknown, pending]))
    return cache_path


def panel(app: RdstrailApp) -> FieldHelpScreen:
    screen = app.screen
    assert isinstance(screen, FieldHelpScreen), screen
    return screen


def prose(lines: list[str]) -> str:
    return re.sub(r"\s+", " ", " ".join(lines))


async def move_until(pilot: Pilot[Any], reached: Callable[[], bool], what: str) -> None:
    """Press j until `reached` (the cursor on the wanted key)."""
    for _ in range(120):
        if reached():
            return
        await pilot.press("j")
    raise AssertionError(f"the cursor never reached {what}")


async def open_panel(pilot: Pilot[Any], app: RdstrailApp) -> FieldHelpScreen:
    await pilot.press("i")
    await wait_until(pilot, lambda: isinstance(app.screen, FieldHelpScreen), what="the panel")
    await pilot.pause()
    return panel(app)


def assert_panel_fits(app: RdstrailApp, size: tuple[int, int]) -> None:
    """The box is inside the screen, above the Footer, and no line is cut."""
    box = panel(app).query_one(VerticalScroll)
    width, height = size
    assert box.region.x >= 0 and box.region.right <= width, box.region
    assert box.region.y >= 0 and box.region.bottom <= height - 1, box.region
    text_width = box.region.width - 4  # border and padding
    assert all(len(line) <= text_width for line in panel(app).lines)


async def test_i_on_a_diff_row_shows_the_members_documentation(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "d")  # the User Guide's CreateDBInstance, as a diff
        diff = diff_view(app)
        await wait_for_footer(pilot, app, "i Info")
        await move_until(
            pilot,
            lambda: diff.cursor_field == (REQUEST, ("masterUserPassword",)),
            "masterUserPassword",
        )
        before = diff.cursor_item
        lines = (await open_panel(pilot, app)).lines
        assert lines[:4] == [
            "key   masterUserPassword",
            "in    CreateDBInstance request",
            "type  string, sensitive (CloudTrail records a mask, never the value)",
            "",
        ]
        doc = lines[4:]
        assert doc[0].startswith("The password for the master user.")
        assert 1 <= len(doc) <= BRIEF_DOC_LINES
        assert_panel_fits(app, COMPACT)
        assert "Esc Close" in await wait_for_footer(pilot, app, "Esc Close")
        # Escape closes it, and the diff is where it was.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="closed")
        assert app.focused is diff and diff.cursor_item == before


async def test_i_on_a_key_set_by_aws_reads_the_response_and_i_closes(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "d", "a")  # the keys set by AWS listed
        diff = diff_view(app)
        await move_until(
            pilot,
            lambda: diff.cursor_field == (RESPONSE, ("iAMDatabaseAuthenticationEnabled",)),
            "iAMDatabaseAuthenticationEnabled",
        )
        lines = (await open_panel(pilot, app)).lines
        assert lines[:3] == [
            "key   iAMDatabaseAuthenticationEnabled",
            "in    CreateDBInstance response",
            "type  boolean",
        ]
        await pilot.press("i")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="closed by i")
        assert app.focused is diff


async def test_i_on_a_key_of_the_json(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "enter")
        view = json_view(app)
        assert app.focused is view
        await wait_for_footer(pilot, app, "i Info")
        await move_until(pilot, lambda: view.cursor_path == ("eventTime",), "eventTime")
        lines = (await open_panel(pilot, app)).lines
        assert prose(lines) == (
            "eventTime is a field of the CloudTrail record, not of the RDS API:"
            " no RDS documentation"
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="closed")
        await move_until(
            pilot, lambda: view.cursor_path == ("requestParameters", "engine"), "engine"
        )
        lines = (await open_panel(pilot, app)).lines
        assert lines[:3] == ["key   engine", "in    CreateDBInstance request", "type  string"]
        assert lines[4].startswith("The database engine to use for this DB instance.")
        assert_panel_fits(app, COMPACT)
        await pilot.press("escape")
        # On a list item inside the response: the list's member, through the list.
        await move_until(
            pilot,
            lambda: view.cursor_path == ("responseElements", "vpcSecurityGroups", 0, "status"),
            "vpcSecurityGroups[0].status",
        )
        lines = (await open_panel(pilot, app)).lines
        assert lines[:2] == ["key   vpcSecurityGroups[].status", "in    CreateDBInstance response"]


async def test_wider_the_panel_shows_more_of_the_documentation(
    shared_cache: Path, tmp_path: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "enter", "d")
        diff = diff_view(app)
        await wait_until(pilot, lambda: app.focused is diff, what="the diff focused")
        await move_until(
            pilot,
            lambda: diff.cursor_field == (REQUEST, ("masterUserPassword",)),
            "masterUserPassword",
        )
        lines = (await open_panel(pilot, app)).lines
        assert len(lines[4:]) > BRIEF_DOC_LINES
        assert_panel_fits(app, WIDE)


async def test_what_the_model_does_not_know_is_one_line(odd_cache: Path, tmp_path: Path) -> None:
    app = make_app(odd_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("enter", "d")  # ModifyFooBar, the newest
        diff = diff_view(app)
        await move_until(pilot, lambda: diff.cursor_field == (REQUEST, ("someKey",)), "someKey")
        lines = (await open_panel(pilot, app)).lines
        assert prose(lines) == (
            f"ModifyFooBar.someKey is not in the RDS model ({BOTOCORE}): no documentation"
        )
        assert_panel_fits(app, COMPACT)
        # A pending value under pendingModifiedValues, as a dotted key set by AWS.
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), what="closed")
        await pilot.press("J", "a")
        pending = (RESPONSE, ("pendingModifiedValues", "allocatedStorage"))
        await move_until(pilot, lambda: diff.cursor_field == pending, "the pending key")
        lines = (await open_panel(pilot, app)).lines
        assert lines[:3] == [
            "key   pendingModifiedValues.allocatedStorage",
            "in    ModifyDBInstance response",
            "type  integer",
        ]


async def test_without_botocores_model_the_panel_says_so(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(field_help_module, "rds_model", lambda: None)
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("G", "d")
        diff = diff_view(app)
        await move_until(pilot, lambda: diff.cursor_field == (REQUEST, ("engine",)), "engine")
        lines = (await open_panel(pilot, app)).lines
        assert prose(lines) == (
            "CreateDBInstance.engine: botocore's RDS model is not installed: no documentation"
        )


async def test_i_works_where_the_diffs_own_keys_fill_the_footer(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    """On a row cut short, Enter and its label take the Footer's room: `i` loses its label
    there (80 columns hold the rest) but still opens the panel."""
    long_value = "word " * 200
    record = record_factory(
        eventName="CreateDBInstance",
        requestParameters={"dBInstanceIdentifier": "db-1", "dBName": long_value},
        responseElements={"dBInstanceIdentifier": "db-1", "dBName": long_value},
    )
    load_into(cache_path, writers.trail(tmp_path / "in" / "long.json", [record]))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        diff = diff_view(app)
        await move_until(pilot, lambda: diff.cursor_field == (REQUEST, ("dBName",)), "dBName")
        footer = await wait_for_footer(pilot, app, "Open")
        assert "i Info" not in footer
        entries = [entry for entry in footer_entries(app) if not entry.palette]
        assert all(entry.region.right <= COMPACT[0] for entry in entries)
        lines = (await open_panel(pilot, app)).lines
        assert lines[0] == "key   dBName"


async def test_the_help_names_i_and_the_list_ignores_it(shared_cache: Path, tmp_path: Path) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        assert "i Info" not in footer_text(app)
        await pilot.press("i")  # on the list: nothing to explain
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help")
        text = app.screen.text  # type: ignore[attr-defined]
        assert re.search(
            r"^  i +in the diff or the JSON, the RDS API's documentation of the key under"
            r" the cursor$",
            text,
            re.MULTILINE,
        ), text


async def test_hostile_keys_show_as_text(
    cache_path: Path, tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    key = "k\x1b[2J\x1b]52;c;aGk=\x07\u202e[bold red]x[/]"
    record = record_factory(
        requestParameters={"dBInstanceIdentifier": "db-1", key: 1},
        responseElements={"dBInstanceIdentifier": "db-1"},
    )
    load_into(cache_path, writers.trail(tmp_path / "in" / "evil.json", [record]))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("d")
        diff = diff_view(app)
        await move_until(pilot, lambda: diff.cursor_field == (REQUEST, (key,)), "the key")
        lines = (await open_panel(pilot, app)).lines
        text = prose(lines)
        assert not any(RAW_CONTROL.search(line) for line in lines)
        assert "\\x1b[2J" in text and "[bold red]x[/]" in text
        assert text.endswith("is not in the RDS model (" + BOTOCORE + "): no documentation")
