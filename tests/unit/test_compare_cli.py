"""`rdstrail compare ID1 ID2`: two cached events side by side as text that fits 80 columns
(the same rows counted, listed with --all) or as JSON; an id the cache does not hold is one
line on stderr and exit 1."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import event_from_record
from tests.conftest import Result, make_record

Run = Callable[..., Result]


def cells(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def modify(klass: str, pending: dict[str, Any], when: str) -> dict[str, Any]:
    return make_record(
        eventTime=when,
        requestParameters={"dBInstanceIdentifier": "orders-prod", "dBInstanceClass": klass},
        responseElements={
            "dBInstanceIdentifier": "orders-prod",
            "dBInstanceClass": "db.r6g.large",
            "engine": "postgres",
            "masterUserPassword": "****",
            "pendingModifiedValues": pending,
        },
    )


@pytest.fixture
def two_modifies(cache_path: Path) -> tuple[str, str, Path]:
    first = modify("db.r6g.xlarge", {"dBInstanceClass": "db.r6g.xlarge"}, "2024-03-04T09:00:00Z")
    second = modify("db.r6g.2xlarge", {"dBInstanceClass": "db.r6g.2xlarge"}, "2024-03-05T09:00:00Z")
    with Cache.open(cache_path) as cache:
        cache.insert(event_from_record(r, json.dumps(r).encode()) for r in (first, second))
    return first["eventID"], second["eventID"], cache_path


def test_text_fits_80_columns_and_lists_what_changed(
    run_cli: Run, two_modifies: tuple[str, str, Path]
) -> None:
    left, right, path = two_modifies
    result = run_cli("compare", left, right, "--cache", path)
    assert result.code == 0, result.err
    lines = result.out_lines
    assert all(cells(line) <= 80 for line in lines), max(lines, key=cells)
    assert lines[0].split() == ["LEFT", "|", "RIGHT"]
    text = result.out
    assert "~  dBInstanceClass" in text
    assert '"db.r6g.xlarge"' in text and '"db.r6g.2xlarge"' in text
    assert "~  pendingModifiedValues.dBInstanceClass" in text
    assert "same (hidden: --all shows them)" in text
    assert "=  engine" not in text
    everything = run_cli("compare", left, right, "--cache", path, "--all")
    assert "=  engine" in everything.out
    assert "#  masterUserPassword" in everything.out  # masked, never "changed"


def test_the_id_may_be_pasted_in_upper_case(
    run_cli: Run, two_modifies: tuple[str, str, Path]
) -> None:
    left, right, path = two_modifies
    result = run_cli("compare", f" {left.upper()} ", right, "--cache", path)
    assert result.code == 0, result.err


def test_json(run_cli: Run, two_modifies: tuple[str, str, Path]) -> None:
    left, right, path = two_modifies
    result = run_cli("compare", left, right, "--format", "json", "--cache", path)
    assert result.code == 0, result.err
    document = json.loads(result.out)
    assert (document["left"]["eventID"], document["right"]["eventID"]) == (left, right)
    assert document["left"]["time"] == "2024-03-04T09:00:00Z"
    rows = {(row["section"], row["path"]): row for row in document["rows"]}
    assert rows["request", "dBInstanceClass"] == {
        "section": "request",
        "path": "dBInstanceClass",
        "left": "db.r6g.xlarge",
        "right": "db.r6g.2xlarge",
        "status": "changed",
    }
    assert rows["response", "engine"]["status"] == "same"  # JSON has every row
    assert rows["response", "masterUserPassword"]["status"] == "masked"


def test_a_missing_id_is_one_line_and_exit_1(
    run_cli: Run, two_modifies: tuple[str, str, Path]
) -> None:
    left, _, path = two_modifies
    result = run_cli("compare", left, "no-such-event", "--cache", path)
    assert result.code == 1
    assert result.out == ""
    assert len(result.err_lines) == 1
    assert result.err_lines[0].startswith("rdstrail: no event no-such-event in ")
    both = run_cli("compare", "gone-1", "gone-2", "--cache", path)
    assert both.code == 1 and len(both.err_lines) == 1
    assert "no event gone-1 and gone-2 in " in both.err


def test_no_cache_is_one_line_and_exit_1(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("compare", "a", "b", "--cache", tmp_path / "none.db")
    assert result.code == 1 and len(result.err_lines) == 1
    assert result.err_lines[0].startswith("rdstrail: no cache at ")


def test_help_fits_80_columns(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = run_cli("compare", "--help")
    assert result.code == 0
    assert all(len(line) <= 80 for line in result.out_lines)
    assert "ID1 ID2" in result.out and "--all" in result.out
