"""The explorer with the index a load left beside the cache: open at once (no build), a damaged
file rebuilt rather than trusted, another process's load taken in while it runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.query import index_store, measure
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.tui.widgets.event_list import EventList
from tests.support.explorer import (
    COMPACT,
    DATA_DIR,
    filter_box,
    load_into,
    main_screen,
    make_app,
    settle,
    status_counts,
    status_text,
    wait_until,
)


def refreshed(cache_path: Path) -> list[Path]:
    with Cache.open(cache_path) as cache:
        return [s.path for s in index_store.refresh(cache) if s.path is not None]


def sql_count(cache_path: Path, text: str) -> int:
    with Cache.open(cache_path) as cache:
        return cache.count(where_of(parse_filter(text)))


async def test_opens_on_the_persisted_index_without_building(
    cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_into(cache_path, shipped_trail_path(), DATA_DIR)
    files = refreshed(cache_path)
    seen: dict[str, object] = {}
    mapped = index_store.opened_index

    def watched(cache: Cache) -> EventIndex | None:
        # What the screen shows when the index is asked for: the first screen, already
        # painted from SQLite, every event counted (from the summary) and not "(indexing)".
        seen["status"] = status_text(app)
        seen["counts"] = status_counts(app)
        seen["index"] = main_screen(app).index
        return mapped(cache)

    monkeypatch.setattr(index_store, "opened_index", watched)
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.index is not None, what="the index mapped")
        total = sql_count(cache_path, "")
        assert seen["index"] is None and seen["counts"] == (total, total)
        assert "(indexing)" not in str(seen["status"])
        index = screen.index
        assert index is not None and [s.path for s in index.segments] == files  # not built
        await pilot.press("slash", "m", "o", "d", "i", "f", "y")
        assert status_counts(app) == (sql_count(cache_path, "modify"), screen.total)
        assert "(indexing)" not in status_text(app)
        await settle(app, pilot)
        assert screen.index is index  # the CRCs held: kept


async def test_keys_typed_before_the_index_is_in_are_answered_by_it(
    cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the mount and the index (a few tenths at ten million events) a filter is not
    asked of SQLite, which could take seconds: the list waits, and the index answers."""
    load_into(cache_path, shipped_trail_path(), DATA_DIR)
    refreshed(cache_path)
    expected = sql_count(cache_path, "modify")
    app = make_app(cache_path, tmp_path)
    asked: list[str] = []
    counted = Cache.count

    def count(cache: Cache, where: object = None) -> int:
        if where is not None:
            asked.append(str(where))
        return counted(cache, where)  # type: ignore[arg-type]

    async with app.run_test(size=COMPACT) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.index is not None, what="the index mapped")
        screen.index = None
        screen.opening_index = True  # as between the mount and the first paint
        monkeypatch.setattr(Cache, "count", count)
        filter_box(app).value = "modify"
        await pilot.pause()
        assert status_counts(app) == (screen.total, screen.total)  # the list waits
        assert asked == []  # and SQLite was not asked
        screen._open_index()
        await pilot.pause()
        assert screen.index is not None
        assert status_counts(app) == (expected, screen.total)
        assert asked == []


async def test_a_damaged_index_file_is_rebuilt(cache_path: Path, tmp_path: Path) -> None:
    load_into(cache_path, shipped_trail_path())
    (segment,) = refreshed(cache_path)
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x55  # in the middle: only the CRC check sees it
    segment.write_bytes(bytes(data))
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = main_screen(app)

        def replaced() -> bool:
            return screen.index is not None and segment not in [
                s.path for s in screen.index.segments
            ]

        await wait_until(pilot, replaced, what="the damaged file replaced")
        await settle(app, pilot)
        assert screen.index is not None and index_store.intact(list(screen.index.segments))
        filter_box(app).value = "user:alice"
        await pilot.pause()
        assert status_counts(app) == (sql_count(cache_path, "user:alice"), screen.total)


async def test_another_process_load_is_taken_in(cache_path: Path, tmp_path: Path) -> None:
    load_into(cache_path, DATA_DIR)
    refreshed(cache_path)
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        await settle(app, pilot)
        screen = main_screen(app)
        before = screen.total
        load_into(cache_path, shipped_trail_path())  # as `rdstrail load` in another terminal
        after = sql_count(cache_path, "")
        await wait_until(pilot, lambda: screen.total == after > before, what="the new rows")
        filter_box(app).value = "modify"
        await pilot.pause()
        assert status_counts(app) == (sql_count(cache_path, "modify"), after)


async def test_opens_with_the_column_widths_the_load_measured(
    cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At ten million events measuring the columns is a few tenths of SQL, which the first
    keystrokes would wait for: with the index the load wrote, the list is laid out from the
    widths it kept, and nothing is measured at open."""
    load_into(cache_path, shipped_trail_path(), DATA_DIR)
    refreshed(cache_path)
    with Cache.open(cache_path) as cache:
        opened = index_store.opened_index(cache)
        assert opened is not None
        expected = measure.measure(opened, cache)
    measured: list[int] = []
    real = measure.measure

    def counted(index: EventIndex, cache: Cache) -> measure.CachedContent:
        measured.append(len(index))
        return real(index, cache)

    monkeypatch.setattr(measure, "measure", counted)
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.index is not None, what="the index mapped")
        assert screen.query_one(EventList)._content == expected
        await settle(app, pilot)
        assert measured == []


async def test_rows_cached_since_are_measured_too(cache_path: Path, tmp_path: Path) -> None:
    """A load killed before it wrote the files: the kept widths serve at once, and the rows
    since are measured as for any index that grew."""
    load_into(cache_path, DATA_DIR)
    refreshed(cache_path)
    load_into(cache_path, shipped_trail_path())  # no refresh, as if killed at its end
    app = make_app(cache_path, tmp_path)
    async with app.run_test(size=COMPACT) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.index is not None, what="the index mapped")
        assert screen.index is not None
        with Cache.open(cache_path) as cache:
            grown = measure.measure(screen.index, cache)
        events = screen.query_one(EventList)
        await wait_until(pilot, lambda: events._content == grown, what="the rows since measured")
