"""Helpers for driving the explorer (`RdstrailApp`) under Pilot: opening it on a cache,
waiting for its workers, and reading what a user sees."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources import load as load_driver
from rdstrail_tui.sources.load import LoadSummary, load_paths
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.json_view import JsonView
from rdstrail_tui.tui.widgets.key_bar import KeyBar, KeyEntry

DATA_DIR = Path(__file__).parents[1] / "data" / "rds-events"
DATA_FILES = (
    DATA_DIR / "panther-rds-records.json",
    DATA_DIR / "rds-user-guide-createdbinstance.json",
)
COMPACT = (80, 24)
WIDE = (160, 48)
TALL = (120, 48)
STATUS_COUNT = re.compile(r"([\d,]+) of ([\d,]+) events")
# Raw characters no rendered line may hold: C0 controls, DEL, C1 controls and the bidi
# embedding / override / isolate marks.
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def data_records() -> list[dict[str, Any]]:
    """The 72 records of tests/data, parsed straight from the files."""
    records: list[dict[str, Any]] = []
    for path in DATA_FILES:
        records.extend(json.loads(path.read_bytes())["Records"])
    return records


def load_into(cache_path: Path, *paths: Path) -> LoadSummary:
    with Cache.open(cache_path) as cache:
        return load_paths(cache, list(paths), Scope())


def cache_count(cache_path: Path) -> int:
    with Cache.open(cache_path) as cache:
        return cache.count()


def make_app(cache_path: Path, tmp_path: Path, *, demo: bool = False) -> RdstrailApp:
    return RdstrailApp(cache_path, demo=demo, history=FilterHistory(tmp_path / "history"))


async def settle(app: RdstrailApp, pilot: Pilot[Any]) -> None:
    """Let the workers (index build, load) finish and their messages be handled."""
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def wait_until(
    pilot: Pilot[Any], predicate: Callable[[], bool], timeout: float = 20.0, what: str = ""
) -> None:
    """Poll `predicate` between Pilot pauses until it holds, failing after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await pilot.pause(0.02)


def main_screen(app: RdstrailApp) -> MainScreen:
    return app.main_screen


def static_text(widget: Static) -> str:
    return str(widget.content)


def status_text(app: RdstrailApp) -> str:
    return static_text(main_screen(app).query_one("#status", Static))


def status_counts(app: RdstrailApp) -> tuple[int, int]:
    """(shown, total) from the status line's `N of M events`."""
    match = STATUS_COUNT.search(status_text(app))
    assert match is not None, status_text(app)
    return int(match[1].replace(",", "")), int(match[2].replace(",", ""))


def event_list(app: RdstrailApp) -> EventList:
    return main_screen(app).query_one(EventList)


def filter_box(app: RdstrailApp) -> FilterBox:
    return main_screen(app).query_one(FilterBox)


def json_view(app: RdstrailApp) -> JsonView:
    return main_screen(app).query_one(JsonView)


def diff_view(app: RdstrailApp) -> DiffView:
    return main_screen(app).query_one(DiffView)


def list_lines(events: EventList) -> list[str]:
    """What the list paints now: the header, then one line per visible row."""
    return [events.render_line(y).text for y in range(events.size.height)]


def visible_row_lines(events: EventList) -> list[str]:
    """The painted lines that are events (not the header, not blank filler)."""
    shown = min(events.size.height - 1, len(events.rows) - events.scroll_offset.y)
    return [events.render_line(y).text for y in range(1, 1 + max(shown, 0))]


def cursor_is_visible(events: EventList) -> bool:
    """The cursor row is drawn on screen: below the header and within the height."""
    top = events.scroll_offset.y
    return top <= events.cursor < top + events.size.height - 1


def row_time(line: str) -> str:
    """The TIME (UTC) cell of a painted row (after the mark and its space)."""
    return line[2:21]


def detail_title(app: RdstrailApp) -> str:
    return static_text(main_screen(app).query_one("#detail-title", Static))


class Notes:
    """Captures every app.notify call (the app still gets it)."""

    def __init__(self, app: RdstrailApp) -> None:
        self.calls: list[dict[str, Any]] = []
        original = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.calls.append({"message": message, **kwargs})
            original(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    @property
    def messages(self) -> list[str]:
        return [call["message"] for call in self.calls]


class FooterEntry:
    """One key of the bottom line as painted: its text and where it is."""

    def __init__(self, bar: KeyBar, entry: KeyEntry) -> None:
        self.text = entry.text
        # The cells it is drawn in: fewer than `cells` when cut by the bar's end or by
        # the palette's key.
        self.region = Region(bar.region.x + entry.x, bar.region.y, entry.shown, 1)
        self.cells = entry.cells
        self.palette = entry.palette

    def __repr__(self) -> str:
        return f"{self.text!r}@{self.region.x}-{self.region.right}"


def footer_entries(app: RdstrailApp) -> list[FooterEntry]:
    """The keys of the bottom line of the screen in front, left to right (the palette's
    last), as last drawn."""
    bars = list(app.screen.query(KeyBar))
    if not bars:
        return []
    bar = bars[0]
    bar.render()  # the entries as the keys are now, even before the next repaint
    return [FooterEntry(bar, entry) for entry in bar.entries]


def footer_text(app: RdstrailApp) -> str:
    """The Footer's keys and labels, two spaces apart: "Esc Back  K/J Prev/Next ..."."""
    return "  ".join(entry.text for entry in footer_entries(app))


async def wait_for_footer(pilot: Pilot[Any], app: RdstrailApp, *texts: str) -> str:
    """Wait until the Footer (recomposed after a refresh) holds every one of `texts`."""
    await wait_until(
        pilot,
        lambda: all(text in footer_text(app) for text in texts),
        what=f"the footer to show {texts} (it shows {footer_text(app)!r})",
    )
    # Recomposed, the keys are laid out on the next refresh.
    await pilot.pause()
    await pilot.pause()
    return footer_text(app)


class GatedChunks:
    """Holds the load's first chunk until `release()`: the test decides when x lands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started = threading.Event()
        self.gate = threading.Event()
        self.chunks = 0
        real = load_driver.load_chunk

        def load_chunk(cache: Cache, paths: list[str], scope: Scope) -> Any:
            self.chunks += 1
            if self.chunks == 1:
                self.started.set()
                assert self.gate.wait(20), "the test never released the first chunk"
            return real(cache, paths, scope)

        # The load driver's one call per chunk is the seam: the test holds the first.
        monkeypatch.setattr(load_driver, "load_chunk", load_chunk)

    def release(self) -> None:
        self.gate.set()


def many_small_files(
    folder: Path, writers: Any, record_factory: Callable[..., Any], files: int = 150
) -> Path:
    """`files` one-event files: below the parallel threshold, three chunks of <= 64 files."""
    for number in range(files):
        record = record_factory(eventTime=f"2031-01-01T00:{number // 60:02d}:{number % 60:02d}Z")
        writers.trail(folder / f"f{number:03d}.json", [record])
    return folder
