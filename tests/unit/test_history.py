"""The filter history: kept across runs, newest last, deduplicated, owner-only."""

from __future__ import annotations

import stat
from pathlib import Path

from rdstrail_tui.tui.filter_history import MAX_ENTRIES, FilterHistory


def test_history_survives_a_restart_newest_last_without_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "data" / "filter-history"
    history = FilterHistory(path)
    for text in ("modify", "user:admin", "modify"):
        history.add(text)
    assert FilterHistory(path).entries == ["user:admin", "modify"]


def test_history_is_owner_only_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "data" / "filter-history"
    history = FilterHistory(path)
    for number in range(MAX_ENTRIES + 20):
        history.add(f"res:db-{number}")
    assert len(FilterHistory(path).entries) == MAX_ENTRIES
    assert FilterHistory(path).entries[-1] == f"res:db-{MAX_ENTRIES + 19}"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_pasted_multi_line_filter_is_kept_on_one_line(tmp_path: Path) -> None:
    history = FilterHistory(tmp_path / "h")
    history.add("modify\n  user:admin\n")
    assert FilterHistory(tmp_path / "h").entries == ["modify user:admin"]


def test_an_unreadable_history_is_an_empty_one(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_bytes(b"\xff\xfe not utf-8")
    assert FilterHistory(path).entries == []
