"""Export, copy and screenshots from the explorer under Pilot, at 80x24 and by keyboard:
the export dialog and the file it writes (the same bytes as `rdstrail query`), its progress
panel and cancel, `y` and its fallback file, and the palette's Screenshot."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.widget import Widget
from textual.widgets import Input, Static

from rdstrail_tui.query import export as export_module
from rdstrail_tui.query.export import export_events
from rdstrail_tui.tui import app as app_module
from rdstrail_tui.tui import screenshot
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.copy import CopyScreen
from rdstrail_tui.tui.screens.export import ExportScreen
from rdstrail_tui.tui.screens.exporting import ExportHandling, ExportPanel
from rdstrail_tui.tui.screens.main import MainScreen
from tests.conftest import Result, make_record, write_jsonl
from tests.support.explorer import (
    COMPACT,
    DATA_DIR,
    Notes,
    data_records,
    event_list,
    json_view,
    load_into,
    settle,
    static_text,
    wait_until,
)

TOTAL = 72
BIG = 1_500  # above the count from which the progress panel shows

# Until the lead wires ExportHandling into MainScreen (and its keys into tui/actions.py), the
# tests run on a main screen that has it; afterwards on MainScreen itself.
if issubclass(MainScreen, ExportHandling):
    ExportingMainScreen: type[MainScreen] = MainScreen
else:
    ExportingMainScreen = type(
        "ExportingMainScreen",
        (ExportHandling, MainScreen),
        {
            "BINDINGS": [
                *MainScreen.BINDINGS,
                Binding("w", "export", "Export"),
                Binding("x", "cancel_export", "Cancel export"),
            ]
        },
    )


def _deliver_screenshot(
    self: App[Any],
    filename: str | None = None,
    path: str | None = None,
    time_format: str | None = None,
) -> str | None:
    screenshot.deliver_screenshot(self, filename, path)
    return None


# Likewise the app, until tui/app.py overrides deliver_screenshot.
if RdstrailApp.deliver_screenshot is App.deliver_screenshot:
    ExportingApp: type[RdstrailApp] = type(
        "ExportingApp",
        (RdstrailApp,),
        {
            "deliver_screenshot": _deliver_screenshot,
            # Textual reads CSS_PATH relative to the file that defines the class.
            "CSS_PATH": str(Path(app_module.__file__).parent / RdstrailApp.CSS_PATH),
        },
    )
else:
    ExportingApp = RdstrailApp


def make_app(cache_path: Path, tmp_path: Path) -> RdstrailApp:
    return ExportingApp(cache_path, history=FilterHistory(tmp_path / "history"))


@pytest.fixture(autouse=True)
def exporting_main_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app_module, "MainScreen", ExportingMainScreen)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The current directory the explorer runs in: where files go by default."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def shared_cache(cache_path: Path) -> Path:
    assert load_into(cache_path, DATA_DIR).new == TOTAL
    return cache_path


@pytest.fixture
def big_cache(cache_path: Path, tmp_path: Path) -> Path:
    records = [
        make_record(eventTime=f"2024-03-{1 + n // 1000:02d}T12:{n // 60 % 60:02d}:{n % 60:02d}Z")
        for n in range(BIG)
    ]
    write_jsonl(tmp_path / "big" / "big.jsonl", records)
    assert load_into(cache_path, tmp_path / "big").new == BIG
    return cache_path


@pytest.fixture
def clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was sent by OSC 52 (App.copy_to_clipboard), in order."""
    sent: list[str] = []
    monkeypatch.setattr(App, "copy_to_clipboard", lambda self, text: sent.append(text))
    return sent


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def dialog_text(screen: Any, selector: str) -> str:
    return static_text(screen.query_one(selector, Static))


def assert_on_screen(widgets: Iterator[Widget], size: tuple[int, int]) -> None:
    """Every shown widget lies wholly within the terminal."""
    width, height = size
    for widget in widgets:
        if not widget.display or widget.region.area == 0:
            continue
        region = widget.region
        assert region.x >= 0 and region.y >= 0, widget
        assert region.right <= width and region.bottom <= height, (widget, region)


async def open_export(app: RdstrailApp, pilot: Any) -> ExportScreen:
    await pilot.press("w")
    await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="export dialog")
    screen = app.screen
    assert isinstance(screen, ExportScreen)
    return screen


async def filter_by(pilot: Any, text: str) -> None:
    await pilot.press("slash", *text, "enter")
    await pilot.pause()


def query_output(run_cli: Callable[..., Result], *args: str) -> bytes:
    result = run_cli("query", *args)
    assert result.code == 0, result.err
    return result.out.encode("utf-8")


# -- the export dialog --------------------------------------------------------------------


async def test_w_then_enter_exports_the_filtered_events_as_query_prints_them(
    shared_cache: Path, tmp_path: Path, workdir: Path, run_cli: Callable[..., Result]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await filter_by(pilot, "modify -is:error")
        shown = len(event_list(app).rows)
        assert 0 < shown < TOTAL
        dialog = await open_export(app, pilot)
        assert_on_screen(dialog.query("*").results(Widget), COMPACT)
        assert dialog.query_one(Input).has_focus
        name = dialog.query_one("#export-file", Input).value
        assert name.startswith("rdstrail-") and name.endswith(".csv")
        assert dialog_text(dialog, "#export-command") == (
            f"rdstrail query modify -is:error --format csv > {name}"
        )
        assert f"Export {shown} events" in str(dialog.query_one("Vertical").border_title)
        assert "Esc closes" in dialog_text(dialog, "#export-keys")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Exported" in m for m in notes.messages))
        assert isinstance(app.screen, MainScreen)
    target = workdir / name
    assert f"Exported {shown} events to {target}" in notes.messages
    assert mode(target) == 0o600
    assert target.read_bytes() == query_output(run_cli, "modify", "-is:error", "--format", "csv")


async def test_q_is_text_in_the_dialog_and_escape_closes_it(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        await pilot.press("ctrl+u", *"quarterly.csv")
        assert dialog.query_one("#export-file", Input).value == "quarterly.csv"
        assert "> quarterly.csv" in dialog_text(dialog, "#export-command")
        assert app.is_running and app.screen is dialog
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert app.focused is event_list(app)
    assert list(workdir.iterdir()) == []


async def test_format_chosen_by_keyboard_renames_the_file_and_the_command(
    shared_cache: Path, tmp_path: Path, workdir: Path, run_cli: Callable[..., Result]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        # From the file name back to the formats; Right, then Space picks JSON Lines.
        await pilot.press("shift+tab", "shift+tab", "right", "space")
        await pilot.pause()
        name = dialog.query_one("#export-file", Input).value
        assert name.endswith(".jsonl")
        assert dialog_text(dialog, "#export-command") == f"rdstrail query --format jsonl > {name}"
        assert dialog.query_one("#export-bom").disabled  # a BOM is for CSV only
        await pilot.press("tab", "tab", "enter")
        await wait_until(pilot, lambda: any("Exported" in m for m in notes.messages))
    assert (workdir / name).read_bytes() == query_output(run_cli, "--format", "jsonl")


async def test_bom_checkbox_adds_the_bom_and_the_option(
    shared_cache: Path, tmp_path: Path, workdir: Path, run_cli: Callable[..., Result]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        await pilot.press("shift+tab", "space", "tab")
        await pilot.pause()
        name = dialog.query_one("#export-file", Input).value
        assert "--format csv --bom >" in dialog_text(dialog, "#export-command")
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Exported" in m for m in notes.messages))
    data = (workdir / name).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data == query_output(run_cli, "--format", "csv", "--bom")


async def test_an_existing_file_is_replaced_only_on_a_second_enter(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    (workdir / "out.csv").write_bytes(b"old")
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        await pilot.press("ctrl+u", *"out.csv", "enter")
        await pilot.pause()
        assert app.screen is dialog
        assert "out.csv exists: Enter again replaces it" in dialog_text(dialog, "#export-note")
        assert (workdir / "out.csv").read_bytes() == b"old"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Exported" in m for m in notes.messages))
    assert (workdir / "out.csv").read_bytes().startswith(b"eventTime")
    assert mode(workdir / "out.csv") == 0o600


async def test_a_file_that_cannot_be_written_is_said_in_the_dialog(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        await pilot.press("ctrl+u", *"nowhere/out.csv", "enter")
        await pilot.pause()
        assert app.screen is dialog  # the name can be corrected here
        note = dialog_text(dialog, "#export-note")
        assert note == (
            f"cannot write {workdir / 'nowhere' / 'out.csv'}: there is no directory "
            f"{workdir / 'nowhere'}; create it or choose another"
        )
        assert_on_screen(dialog.query("*").results(Widget), COMPACT)


async def test_copy_command_sends_the_shown_command(
    shared_cache: Path, tmp_path: Path, workdir: Path, clipboard: list[str]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await filter_by(pilot, '-user:"o\'brien; rm -rf ~"')
        dialog = await open_export(app, pilot)
        await pilot.press("tab", "tab", "enter")  # file name -> Export -> Copy command
        await pilot.pause()
        command = dialog_text(dialog, "#export-command")
        assert clipboard == [command]
        assert "rm -rf" in command and "'-user:\"o'\"'\"'brien; rm -rf ~\"'" in command
        assert "sent to the terminal's clipboard (OSC 52" in dialog_text(dialog, "#export-note")


async def test_export_of_nothing_is_refused_with_a_reason(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await filter_by(pilot, "nosuchevent")
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        assert "The filter keeps no events: nothing to export" in notes.messages


# -- large exports: progress, a usable list, cancel -------------------------------------


@pytest.fixture
def held_export(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Holds every export at its first look-up until the event is set."""
    release = threading.Event()

    def held(*args: Any, should_stop: Callable[[], bool], **kwargs: Any) -> Any:
        def stop() -> bool:
            release.wait(20)
            return should_stop()

        return export_events(*args, should_stop=stop, **kwargs)

    # Where the export's worker imports it from when it starts.
    monkeypatch.setattr(export_module, "export_events", held)
    return release


async def test_a_large_export_shows_progress_keeps_the_list_and_x_cancels_it(
    big_cache: Path, tmp_path: Path, workdir: Path, held_export: threading.Event
) -> None:
    app = make_app(big_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        name = dialog.query_one("#export-file", Input).value
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query(ExportPanel)), what="panel")
        panel = app.screen.query_one(ExportPanel)
        text = static_text(panel.query_one("#export-text", Static))
        assert text == f"Exporting 0 of {BIG:,} events to {workdir / name}  (x: cancel)"
        assert_on_screen(iter([panel]), COMPACT)
        assert (workdir / name).exists()  # the name is taken at once
        events = event_list(app)
        await pilot.press("j", "j")
        assert events.cursor == 2  # the list stays usable
        await pilot.press("x")
        await pilot.pause()
        assert "Cancelling the export" in static_text(panel.query_one("#export-text", Static))
        held_export.set()
        await wait_until(pilot, lambda: any("cancelled" in m for m in notes.messages))
        await wait_until(pilot, lambda: not app.screen.query(ExportPanel), what="panel gone")
    assert f"Export cancelled: {workdir / name} removed" in notes.messages
    assert not (workdir / name).exists()


async def test_a_large_export_ends_with_the_count_and_the_path(
    big_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(big_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        dialog = await open_export(app, pilot)
        name = dialog.query_one("#export-file", Input).value
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Exported" in m for m in notes.messages))
        await wait_until(pilot, lambda: not app.screen.query(ExportPanel), what="panel gone")
    assert f"Exported {BIG:,} events to {workdir / name}" in notes.messages
    assert len((workdir / name).read_bytes().splitlines()) == BIG + 1


# -- y: sent, not "copied"; and the file fallback ------------------------------------------


async def test_y_says_sent_and_w_writes_the_event_to_a_file(
    shared_cache: Path, tmp_path: Path, workdir: Path, clipboard: list[str]
) -> None:
    by_id = {record["eventID"]: record for record in data_records()}
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j")
        event = event_list(app).current_event
        assert event is not None
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyScreen), what="copy dialog")
        dialog = app.screen
        assert_on_screen(dialog.query("*").results(Widget), COMPACT)
        assert json.loads(clipboard[0]) == by_id[event.event_id]
        said = " ".join(static_text(s) for s in dialog.query(Static))
        assert f"Sent the JSON of this {event.event_name} event" in said
        assert "OSC 52" in said and "may refuse" in said and "copied" not in said.lower()
        assert f"w  write it to ./rdstrail-event-{event.event_id}.json instead" in said
        assert "Esc closes" in said
        await pilot.press("w")
        await pilot.pause()
        written = workdir / f"rdstrail-event-{event.event_id}.json"
        assert f"Wrote {written} (owner-only)" in static_text(
            dialog.query_one("#copy-result", Static)
        )
        assert mode(written) == 0o600
        assert json.loads(written.read_bytes()) == by_id[event.event_id]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)


async def test_y_in_the_detail_sends_the_event_shown_and_q_closes(
    shared_cache: Path, tmp_path: Path, workdir: Path, clipboard: list[str]
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "enter", "y")
        await wait_until(pilot, lambda: isinstance(app.screen, CopyScreen), what="copy dialog")
        assert json.loads(clipboard[0]) == json_view(app).value
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
    assert list(workdir.iterdir()) == []  # nothing written unless asked


# -- screenshots -----------------------------------------------------------------------------


async def test_palette_screenshot_is_owner_only_in_the_current_directory(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), what="palette")
        await pilot.press(*"Screenshot")
        results = app.screen.query_one(CommandList)
        await wait_until(
            pilot,
            lambda: any(
                "Screenshot" in str(results.get_option_at_index(i).prompt)
                for i in range(results.option_count)
            ),
            what="Screenshot offered",
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(workdir.glob("*.svg")), what="screenshot file")
        await wait_until(pilot, lambda: any("Saved" in m for m in notes.messages))
    [saved] = workdir.glob("*.svg")
    assert saved.name.startswith("rdstrail-screenshot-")
    assert mode(saved) == 0o600
    assert "<svg" in saved.read_text()
    assert f"Saved {saved} (owner-only)" in notes.messages


async def test_screenshot_never_replaces_a_file_and_says_why_it_failed(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        notes = Notes(app)
        await settle(app, pilot)
        (workdir / "shot.svg").write_text("mine")
        saved = screenshot.save_screenshot(app, "shot.svg")
        assert saved == workdir / "shot-2.svg" and mode(saved) == 0o600
        assert (workdir / "shot.svg").read_text() == "mine"
        assert screenshot.deliver_screenshot(app, path=str(workdir / "missing")) is None
        assert any(
            m.startswith("Screenshot not saved: cannot write ") and "create it" in m
            for m in notes.messages
        )


async def test_export_in_the_same_burst_as_a_quick_filter_takes_that_filter(
    shared_cache: Path, tmp_path: Path, workdir: Path
) -> None:
    """`e` then `w` arriving together (a slow link): the dialog exports the errors, not
    the filter before `e`, though the box's Input.Changed has not been handled yet."""
    app = make_app(shared_cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        # As the driver delivers them: both queued before either is handled.
        app.post_message(events.Key("e", "e"))
        app.post_message(events.Key("w", "w"))
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen), what="export dialog")
        dialog = app.screen
        assert isinstance(dialog, ExportScreen)
        errors = len(event_list(app).rows)
        assert 0 < errors < TOTAL
        assert dialog.filter.text == "is:error"
        assert f"Export {errors} events" in str(dialog.query_one("Vertical").border_title)
