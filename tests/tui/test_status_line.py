"""The main screen's status line fits the terminal: whole on a wide one, shortened part by
part at 80 columns, the event counts always whole and nothing cut without an ellipsis."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.widgets import Static

from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.status_line import Coverage, cut_left, cut_right, status_line
from tests.support.explorer import COMPACT, WIDE, load_into, make_app, settle, status_text

DEMO_SPAN = "2018-07-30 to 2026-11-20"


def epoch(text: str) -> int:
    return calendar.timegm(
        (int(text[:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), 0)
    )


SYNCED = Coverage(
    regions=("eu-west-1", "us-east-1", "us-west-2", "ap-south-1", "sa-east-1"),
    span=(epoch("2026-10-01 00:00"), epoch("2026-11-20 17:59")),
    sources=3,
    last_sync=epoch("2026-11-20 18:04"),
)


def painted_status(app: RdstrailApp) -> str:
    """The status line as painted (the Static's one line, padding stripped)."""
    status = app.main_screen.query_one("#status", Static)
    return status.render_line(0).text.strip()


# -- the pure layout ---------------------------------------------------------------------


def test_wide_is_everything() -> None:
    line = status_line("~/c/events.db", 17, 1893, width=200, coverage=SYNCED)
    assert line == (
        "rdstrail · ~/c/events.db    17 of 1,893 events    "
        "eu-west-1, us-east-1, us-west-2 +2 · 2026-10-01 to 2026-11-20 · 3 sources · "
        "last sync 2026-11-20 18:04:00 UTC"
    )


def test_parts_go_least_important_first() -> None:
    widths = range(150, 0, -1)
    lines = [status_line("demo trail", 17, 1893, width=w, coverage=SYNCED) for w in widths]
    for width, line in zip(widths, lines):
        assert cell_len(line) <= width, (width, line)
    # Each step down keeps or shortens the line; every form below was met on the way.
    seen = list(dict.fromkeys(lines))
    expected_order = [
        "3 sources",  # dropped first
        "last sync 2026-11-20 18:04:00 UTC",  # then shortened
        "eu-west-1, us-east-1, us-west-2 +2",  # then counted ("5 regions")
        "synced 11-20 18:04",  # then dropped
        "5 regions",  # then dropped
        "2026-10-01 to 2026-11-20",  # the span goes last
    ]
    last_seen = [max(i for i, line in enumerate(seen) if part in line) for part in expected_order]
    assert last_seen == sorted(last_seen), seen
    # The counts stay whole while anything else is left, the source with them.
    for line in lines:
        if cell_len(line) >= len("demo trail  17 of 1,893 events"):
            assert "17 of 1,893 events" in line and "demo trail" in line, line


def test_a_long_source_is_cut_at_its_start_with_an_ellipsis() -> None:
    source = "/srv/team/" + "very-long-directory-name/" * 4 + "events.db"
    line = status_line(source, 301, 301, width=78, coverage=SYNCED)
    assert cell_len(line) <= 78
    assert line.endswith("/events.db  301 of 301 events")
    assert line.startswith("…")
    # Too narrow even for a cut source: the counts alone, then cut with an ellipsis.
    assert status_line(source, 301, 301, width=24) == "301 of 301 events"
    assert status_line(source, 301, 301, width=10) == "301 of 30…"


def test_home_is_written_as_a_tilde_when_space_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/jane")
    source = "/home/jane/.cache/rdstrail/events.db"
    assert status_line(source, 1, 1, width=200).startswith(f"rdstrail · {source}")
    narrow = status_line(source, 1893, 1893, width=78, coverage=SYNCED)
    assert narrow.startswith("~/.cache/rdstrail/events.db  1,893 of 1,893 events  ")
    assert cell_len(narrow) <= 78


def test_indexing_is_kept_with_the_counts() -> None:
    line = status_line("demo trail", 301, 301, width=78, indexing=True, coverage=SYNCED)
    assert line.endswith("301 of 301 events  (indexing)")
    assert "2026" not in line  # the coverage is not known while indexing


def test_cuts_count_cells_not_characters() -> None:
    assert cut_left("/tmp/数据/events.db", 12) == "…/events.db"
    assert cut_left("数据数据", 6) == "…数据"
    assert cut_right("数据数据", 6) == "数据…"
    assert cut_left("short", 10) == cut_right("short", 10) == "short"
    assert cell_len(status_line("数据" * 50, 1, 1, width=40)) <= 40


# -- on screen ---------------------------------------------------------------------------


async def test_status_line_fits_at_80x24(tmp_path: Path) -> None:
    app = make_app(ensure_demo_cache(), tmp_path, demo=True)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        text = status_text(app)
        width = COMPACT[0] - 2  # the line's padding
        assert cell_len(text) <= width, text
        # Painted whole: the line on screen is the text, not a cut of it.
        assert painted_status(app) == text
        assert "301 of 301 events" in text
        assert "demo trail" in text
        assert DEMO_SPAN in text
        # As the README shows it: only the gaps, `rdstrail ·` and `1 source` gave way.
        assert text == f"demo trail  301 of 301 events  eu-west-1, us-east-1 · {DEMO_SPAN}"
        # A filter changes the counts; they stay whole and the line still fits.
        await pilot.press("slash", *"modify", "enter")
        text = status_text(app)
        assert "37 of 301 events" in text and cell_len(text) <= width
        assert painted_status(app) == text
        assert DEMO_SPAN in text


async def test_status_line_is_whole_on_a_wide_terminal_and_follows_a_resize(
    tmp_path: Path,
) -> None:
    app = make_app(ensure_demo_cache(), tmp_path, demo=True)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        wide = "rdstrail · demo trail    301 of 301 events    " + (
            f"eu-west-1, us-east-1 · {DEMO_SPAN} · 1 source"
        )
        assert status_text(app) == wide
        await pilot.resize_terminal(*COMPACT)
        await pilot.pause()
        assert cell_len(status_text(app)) <= COMPACT[0] - 2
        assert "301 of 301 events" in status_text(app)
        await pilot.resize_terminal(*WIDE)
        await pilot.pause()
        assert status_text(app) == wide


async def test_a_long_cache_path_gives_way_to_the_counts(
    tmp_path: Path, writers: Any, record_factory: Callable[..., Any]
) -> None:
    cache = tmp_path / ("deep-" * 12) / "events.db"
    trail = writers.trail(tmp_path / "in" / "one.json", [record_factory()])
    load_into(cache, trail)
    app = make_app(cache, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        text = status_text(app)
        assert cell_len(text) <= COMPACT[0] - 2, text
        assert text.startswith("…") and "/events.db  1 of 1 events" in text
        assert painted_status(app) == text
