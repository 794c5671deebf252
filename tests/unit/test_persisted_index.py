"""The explorer's index persisted beside the cache (query/index_store.py) selects exactly what
the SQL selects, for every kind of filter term, after one load, many loads, a load cut
short, a schema migration and a clear; a damaged or stale index is never trusted."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.query import index_segment, index_store, memory
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.measure import measure
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.load import find_inputs, load_paths
from tests.unit.test_index import FILTERS, NOW

SHARED = Path(__file__).parents[1] / "data" / "rds-events"


def trail_parts(count: int) -> list[list[Path]]:
    """The demo trail's files in `count` groups, each loaded on its own (oldest days first
    in some, interleaved in others: the order of loads must not matter)."""
    files = sorted(find_inputs([shipped_trail_path()]).files[0])
    return [files[start::count] for start in range(count)]


def sql_rowids(cache: Cache, text: str) -> list[int]:
    where = where_of(parse_filter(text, NOW))
    return cache.rowids(where, offset=0, limit=10**9)


def agrees(cache: Cache, index: EventIndex, texts: list[str] = FILTERS) -> None:
    assert len(index) == cache.count()
    for text in texts:
        selection = index.selection(parse_filter(text, NOW), cache)
        expected = sql_rowids(cache, text)
        # As the list asks: the count and the newest rows first (one text term's matches
        # answer those from the newest rows alone), then everything.
        assert len(selection) == len(expected), text
        assert selection.rowids(0, 5) == expected[:5], text
        if expected:
            assert selection.position_of(expected[0]) == 0, text
        assert [int(r) for r in selection.all_rowids()] == expected, text
        # The list asks for windows, and where the cursor's event went.
        if expected:
            middle = len(expected) // 2
            assert selection.rowids(middle, middle + 7) == expected[middle : middle + 7]
            assert selection.rowids(len(expected) - 3, len(expected) + 5) == expected[-3:]
            for position in {0, middle, len(expected) - 1}:
                assert selection.position_of(expected[position]) == position, text
        assert selection.position_of(10**9) is None


def persisted(cache: Cache) -> EventIndex:
    segments = index_store.trusted(cache)
    assert segments is not None, "the persisted index should be trusted"
    return EventIndex.of_segments(segments, cache)


@pytest.fixture
def small_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Segments of a few hundred rows, so that small caches take every path: a delta beside
    the base, a merge into it, several build steps, a build read in several ranges."""
    monkeypatch.setattr(index_store, "STEP_ROWS", 700)
    monkeypatch.setattr(index_segment, "BUILD_ROWS", 300)
    monkeypatch.setattr(index_store, "DELTA_SHARE", 3)
    # Many matches kept as a mask in blocks of 64 rows, from any size.
    monkeypatch.setattr(memory, "DENSE_MIN_ROWS", 0)
    monkeypatch.setattr(memory, "_BLOCK", 64)
    # One text term's matches found from the newest rows back, a few rows at a time.
    monkeypatch.setattr(memory, "_TAIL_ROWS", 4)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Cache]:
    with Cache.open(tmp_path / "events.db") as opened:
        yield opened


def test_one_load_then_the_files_answer_every_filter(cache: Cache) -> None:
    load_paths(cache, [shipped_trail_path(), SHARED], Scope())
    segments = index_store.refresh(cache)
    assert [segment.path is not None for segment in segments] == [True]
    agrees(cache, persisted(cache))


def test_loads_in_any_order_keep_base_and_delta_right(cache: Cache, small_steps: None) -> None:
    seen_two = seen_merge = False
    for part in [*trail_parts(5), [SHARED]]:
        load_paths(cache, part, Scope())
        before = index_store.trusted(cache)
        segments = index_store.refresh(cache)
        seen_two |= len(segments) == 2
        seen_merge |= before is not None and len(segments) == 1 and len(before) == 2
        agrees(cache, persisted(cache), ["", "modify", "-is:read user:a", "since:2026-11-15"])
    assert seen_two and seen_merge, "both the delta and a merge into the base were taken"
    agrees(cache, persisted(cache))


def test_rows_cached_since_are_taken_in_from_sqlite(cache: Cache, small_steps: None) -> None:
    """A load that died before it could update the files (a crash, a kill): the files stay
    trusted for what they cover, and the rows after them come from SQLite."""
    first, second, third = trail_parts(3)
    load_paths(cache, first, Scope())
    index_store.refresh(cache)
    load_paths(cache, second + third, Scope())  # no refresh: as if killed at the end
    opened = index_store.opened_index(cache)
    assert opened is not None
    grown = opened.extended(cache)
    assert len(grown.segments) >= 2 and grown.segments[-1].path is None
    agrees(cache, grown)
    # The next load (or the explorer's background build) brings the files up to date.
    index_store.refresh(cache)
    agrees(cache, persisted(cache))


def test_a_long_tail_is_built_rather_than_read_at_open(
    cache: Cache, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = trail_parts(2)
    load_paths(cache, first, Scope())
    index_store.refresh(cache)
    load_paths(cache, second, Scope())
    monkeypatch.setattr(index_store, "OPEN_TAIL_ROWS", 10)
    assert index_store.opened_index(cache) is None
    agrees(cache, index_store.built_index(cache), ["", "modify"])
    assert index_store.opened_index(cache) is not None


def test_concurrent_loads_each_bring_the_files_up_to_date(tmp_path: Path) -> None:
    """Two processes loading into one cache at once, each refreshing at its end."""
    import multiprocessing

    path = tmp_path / "events.db"
    Cache.open(path).close()
    parts = trail_parts(2)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_load_and_refresh, args=(path, part)) for part in parts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    with Cache.open(path) as cache:
        agrees(cache, persisted(cache))


def _load_and_refresh(path: Path, files: list[Path]) -> None:
    with Cache.open(path) as cache:
        for start in range(0, len(files), 20):
            load_paths(cache, files[start : start + 20], Scope(), workers=1)
            index_store.refresh(cache)


def test_a_migrated_cache_is_indexed_anew(cache: Cache) -> None:
    load_paths(cache, [SHARED], Scope())
    index_store.refresh(cache)
    # An upgrade renews the token (as every schema from 4 on does): the files are stale.
    from rdstrail_tui.cache.summary import renew_token

    with cache.transaction():
        renew_token(cache._db)
    assert index_store.trusted(cache) is None
    index_store.refresh(cache)
    agrees(cache, persisted(cache))


def test_a_cleared_cache_is_not_described_by_the_old_files(cache: Cache) -> None:
    load_paths(cache, [SHARED], Scope())
    index_store.refresh(cache)
    cache.clear()
    assert index_store.trusted(cache) is None
    load_paths(cache, [shipped_trail_path()], Scope())  # the same rowids, other events
    assert index_store.trusted(cache) is None
    index_store.refresh(cache)
    agrees(cache, persisted(cache), ["", "modify", "user:alice"])


def _segment_files(cache: Cache) -> list[Path]:
    return sorted(index_store.index_dir(cache.path).glob("segment-*.idx"))


@pytest.mark.parametrize(
    "damage",
    ["truncate", "footer", "manifest", "other-cache", "missing-file"],
)
def test_damage_the_cheap_checks_catch(cache: Cache, damage: str) -> None:
    load_paths(cache, [SHARED, shipped_trail_path()], Scope())
    index_store.refresh(cache)
    folder = index_store.index_dir(cache.path)
    (segment,) = _segment_files(cache)
    if damage == "truncate":
        os.truncate(segment, segment.stat().st_size // 2)
    elif damage == "footer":
        data = bytearray(segment.read_bytes())
        data[-40:-20] = b"x" * 20
        segment.write_bytes(bytes(data))
    elif damage == "manifest":
        (folder / index_store.MANIFEST).write_bytes(b"{not json")
    elif damage == "other-cache":
        (folder / index_store.MANIFEST).write_text(
            (folder / index_store.MANIFEST).read_text().replace(cache.index_token(), "0" * 32)
        )
    else:
        segment.unlink()
    assert index_store.trusted(cache) is None
    assert index_store.opened_index(cache) is None
    index_store.refresh(cache)  # what a load or the explorer does next
    agrees(cache, persisted(cache), ["", "modify", "is:error"])


def test_a_file_damaged_in_its_middle_fails_its_crc_and_is_rebuilt(cache: Cache) -> None:
    load_paths(cache, [SHARED, shipped_trail_path()], Scope())
    index_store.refresh(cache)
    (segment,) = _segment_files(cache)
    data = bytearray(segment.read_bytes())
    data[len(data) // 3] ^= 0xFF
    segment.write_bytes(bytes(data))
    segments = index_store.trusted(cache)
    assert segments is not None  # the cheap checks cannot see it
    assert not index_store.intact(segments)
    rebuilt = index_store.refresh(cache, rebuild=True)
    assert index_store.intact(rebuilt)
    agrees(cache, persisted(cache))


def test_the_files_are_owner_only(cache: Cache) -> None:
    load_paths(cache, [SHARED], Scope())
    index_store.refresh(cache)
    folder = index_store.index_dir(cache.path)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for entry in folder.iterdir():
        assert stat.S_IMODE(entry.stat().st_mode) == 0o600, entry.name


def test_a_refresh_leaves_only_the_files_the_manifest_names(
    cache: Cache, small_steps: None
) -> None:
    for part in trail_parts(4):
        load_paths(cache, part, Scope())
        index_store.refresh(cache)
    folder = index_store.index_dir(cache.path)
    leftover = folder / "segment-leftover.idx"
    leftover.write_bytes(b"from a writer that died")
    load_paths(cache, [SHARED], Scope())
    segments = index_store.refresh(cache)
    names = {segment.path.name for segment in segments if segment.path is not None}
    assert {entry.name for entry in folder.iterdir()} == {*names, "manifest.json", "lock"}


def test_summary_is_what_a_scan_says(cache: Cache, small_steps: None) -> None:
    for part in [*trail_parts(3), [SHARED], trail_parts(3)[0]]:  # the last one: duplicates
        load_paths(cache, part, Scope())
    summary = cache.summary()
    db = cache._db
    events, first, last, failures = db.execute(
        "SELECT count(*), min(event_time), max(event_time), count(error_code) FROM events"
    ).fetchone()
    regions = dict(db.execute("SELECT region, count(*) FROM events GROUP BY region").fetchall())
    assert (summary.events, summary.first_time, summary.last_time) == (events, first, last)
    assert summary.failures == failures and summary.regions == regions


def test_the_index_counts_what_the_columns_hold(cache: Cache, small_steps: None) -> None:
    for part in trail_parts(3):
        load_paths(cache, part, Scope())
        index_store.refresh(cache)
    index = persisted(cache)
    memory = EventIndex.build(cache)
    for name in index_segment.COUNTED:
        ids, uses = np.unique(
            np.concatenate([s.columns[name].astype(np.int64) for s in memory.segments]),
            return_counts=True,
        )
        counts = index.counts(name)
        assert counts.ids.tolist() == ids.tolist() and counts.uses.tolist() == uses.tolist()
    assert index.time_span() == (cache.summary().first_time, cache.summary().last_time)
    assert index.failures() == cache.summary().failures


def test_stats_from_the_index_are_the_sqls(cache: Cache, small_steps: None) -> None:
    """`rdstrail stats` reads the index where one is up to date: the same answers, ties
    broken by text alike, with and without a filter, over base, delta and rows since."""
    from rdstrail_tui.query.index_stats import index_stats

    first, second, third = trail_parts(3)
    load_paths(cache, [*first, SHARED], Scope())
    index_store.refresh(cache)
    load_paths(cache, second, Scope())
    index_store.refresh(cache)
    load_paths(cache, third, Scope())  # not refreshed: rows since
    opened = index_store.opened_index(cache)
    assert opened is not None
    index = opened.extended(cache)
    for text in FILTERS:
        flt = parse_filter(text, NOW)
        for top in (1, 3, 10):
            assert index_stats(index, flt, cache, top) == cache.stats(where_of(flt), top), text


def test_the_stats_command_answers_alike_with_and_without_the_index(
    tmp_path: Path, run_cli: Any
) -> None:
    path = tmp_path / "events.db"
    with Cache.open(path) as opened:
        load_paths(opened, [shipped_trail_path(), SHARED], Scope())
    for words in ([], ["modify", "-is:error"], ["is:risky"]):
        without = run_cli("--cache", path, "stats", *words, "--format", "json")
        with Cache.open(path) as opened:
            index_store.refresh(opened)
        indexed = run_cli("--cache", path, "stats", *words, "--format", "json")
        index_store.remove(path)
        assert without.code == indexed.code == 0
        assert indexed.out == without.out


def test_the_load_command_leaves_the_index_and_clear_removes_it(
    tmp_path: Path, run_cli: Any
) -> None:
    path = tmp_path / "events.db"
    assert run_cli("--cache", path, "load", SHARED).code == 0
    with Cache.open(path) as opened:
        agrees(opened, persisted(opened), ["", "modify"])
    assert run_cli("--cache", path, "cache", "clear", "--yes").code == 0
    assert not index_store.index_dir(path).exists()


def test_a_load_that_cannot_write_the_index_still_loads(
    tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(cache: Cache, *, rebuild: bool = False) -> list[Any]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_store, "refresh", refused)
    path = tmp_path / "events.db"
    result = run_cli("--cache", path, "load", SHARED)
    assert result.code == 0
    warning = [line for line in result.err.splitlines() if "index" in line]
    assert len(warning) == 1 and "Permission denied" in warning[0], result.err
    with Cache.open(path) as opened:
        assert opened.count() == 72


def test_an_upgrade_from_schema_3_makes_the_files_stale(tmp_path: Path) -> None:
    """A cache written before the summary and the token (schema 3), with index files
    beside it: the upgrade renews the token, the files are not trusted, and the next
    refresh indexes the upgraded cache right."""
    import sqlite3

    path = tmp_path / "events.db"
    with Cache.open(path) as opened:
        load_paths(opened, [SHARED, shipped_trail_path()], Scope())
        index_store.refresh(opened)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE summary")
    db.execute("DROP TABLE summary_regions")
    db.execute("DELETE FROM meta WHERE key = 'index_token'")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()
    with Cache.open(path) as upgraded:
        (scanned,) = upgraded._db.execute("SELECT count(*) FROM events").fetchone()
        assert upgraded.summary().events == scanned > 0
        assert index_store.trusted(upgraded) is None
        assert index_store.opened_index(upgraded) is None
        index_store.refresh(upgraded)
        agrees(upgraded, persisted(upgraded))


def test_dense_matches_answer_as_their_positions_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """The k-th match, the matches before a position, a position's rank: as the listed
    positions answer, for masks of every density and across block edges."""
    monkeypatch.setattr(memory, "_BLOCK", 32)
    rng = np.random.default_rng(5)
    for size, share in [(1, 1.0), (31, 0.5), (32, 0.5), (33, 0.1), (1000, 0.9), (1000, 0.02)]:
        mask = rng.random(size) < share
        dense = memory.DenseMatches.of(mask)
        positions = np.flatnonzero(mask)
        assert len(dense) == len(positions)
        assert dense.positions().tolist() == positions.tolist()
        ranks = np.arange(len(positions), dtype=np.int64)
        assert dense.take(ranks).tolist() == positions.tolist()
        probes = np.arange(size + 1, dtype=np.int64)  # every position, and one past the end
        expected = np.searchsorted(positions, probes, side="left")
        assert dense.counts_before(probes).tolist() == expected.tolist()
        for position in range(size):
            rank = dense.rank_of(position)
            assert rank == (int(np.searchsorted(positions, position)) if mask[position] else None)


def test_tail_matches_answer_as_the_whole_mask_would(monkeypatch: pytest.MonkeyPatch) -> None:
    """One text term's matches, found from the newest rows back as far as each question
    needs: the count, the k-th match, the matches before a position and a position's rank
    are those of the whole mask, whatever is asked first, and however far back it is."""
    monkeypatch.setattr(memory, "_TAIL_ROWS", 8)
    monkeypatch.setattr(memory, "DENSE_MIN_ROWS", 0)
    rng = np.random.default_rng(7)
    for size, share, negated in [
        (1, 1.0, False),
        (40, 0.5, False),
        (1000, 0.3, False),
        (1000, 0.01, False),
        (1000, 0.2, True),
        (3000, 0.001, False),
    ]:
        column = rng.integers(0, 50, size).astype(np.uint16)
        table = rng.random(50) < share
        table[0] = negated  # id 0 (no value) matches a negation only
        counts = index_segment.Counts.of(column)
        mask = table[column]
        positions = np.flatnonzero(mask)
        newest_first: list[tuple[str, Any]] = [
            ("count", None),
            ("take", np.arange(max(len(positions) - 5, 0), len(positions), dtype=np.int64)),
            ("before", np.array([size, size - 1, max(size - 30, 0)], dtype=np.int64)),
            ("rank", size - 1),
            ("rank", size // 2),
            ("take", np.arange(len(positions), dtype=np.int64)),
            ("before", np.arange(size + 1, dtype=np.int64)),
            ("positions", None),
        ]
        for order in (newest_first, newest_first[::-1]):
            tail = memory.TailMatches.of(table, column, counts)
            for question, argument in order:
                if question == "count":
                    assert len(tail) == len(positions)
                elif question == "take":
                    assert tail.take(argument).tolist() == positions[argument].tolist()
                elif question == "before":
                    expected = np.searchsorted(positions, argument, side="left")
                    assert tail.counts_before(argument).tolist() == expected.tolist()
                elif question == "rank":
                    rank = int(np.searchsorted(positions, argument))
                    assert tail.rank_of(argument) == (rank if mask[argument] else None)
                else:
                    assert tail.positions().tolist() == positions.tolist()


def test_the_first_keystroke_reads_only_the_newest_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """A broad first letter over a big segment: its count and the newest screen of
    matches come without a pass over every row."""
    monkeypatch.setattr(memory, "DENSE_MIN_ROWS", 0)
    column = np.resize(np.array([1, 2, 3], dtype=np.uint16), 1_000_000)
    table = np.array([False, True, False, True])
    tail = memory.TailMatches.of(table, column, index_segment.Counts.of(column))
    read: list[int] = []
    gathered = memory.gathered

    def counted(lookup: np.ndarray, rows: np.ndarray) -> np.ndarray:
        read.append(len(rows))
        return gathered(lookup, rows)

    monkeypatch.setattr(memory, "gathered", counted)
    assert len(tail) == 666_667
    newest = tail.take(np.arange(len(tail) - 120, len(tail), dtype=np.int64))
    assert newest[-1] == 999_999 and len(newest) == 120
    assert sum(read) <= memory._TAIL_ROWS


def test_the_column_widths_are_kept_with_the_files_they_measure(cache: Cache) -> None:
    """What the explorer lays its list out from is measured when the files are written, so
    that opening needs no SQL for it; once another load replaces the files, or for an older
    manifest without it, it is not used (the explorer measures again)."""
    first, second = trail_parts(2)
    load_paths(cache, first, Scope())
    index_store.refresh(cache)
    opened = index_store.opened_index(cache)
    assert opened is not None
    kept = index_store.stored_content(cache, opened)
    assert kept is not None and kept == measure(opened, cache)
    assert kept.widths["event_name"] > 0 and kept.regions >= 1
    load_paths(cache, second, Scope())
    index_store.refresh(cache)
    assert index_store.stored_content(cache, opened) is None  # it measured other files
    reopened = index_store.opened_index(cache)
    assert reopened is not None
    assert index_store.stored_content(cache, reopened) == measure(reopened, cache)
    manifest = index_store.index_dir(cache.path) / index_store.MANIFEST
    older = {k: v for k, v in orjson.loads(manifest.read_bytes()).items() if k != "content"}
    manifest.write_bytes(orjson.dumps(older))
    assert index_store.opened_index(cache) is not None  # the index itself is still trusted
    assert index_store.stored_content(cache, reopened) is None
    index_store.refresh(cache)  # the next load adds them, though nothing else changed
    assert index_store.stored_content(cache, reopened) == measure(reopened, cache)
