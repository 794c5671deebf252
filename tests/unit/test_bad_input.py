"""Bad inputs: each is reported on one line naming the file (and the record), the load exits 1
without a traceback, and nothing cached before or beside it is lost. (The same through a
real process, and Ctrl-C, are in tests/integration/test_processes.py.)"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.ingest import formats
from tests.support.bad_inputs import (
    BAD_INPUTS,
    BadInput,
    check_reported,
    empty_file,
    invalid_json,
    record_without_event_id,
    truncated_gzip,
)

Run = Callable[..., Any]


@pytest.mark.parametrize("make_bad", BAD_INPUTS, ids=lambda f: f.__name__)
def test_bad_input_in_process(
    make_bad: Callable[..., BadInput],
    tmp_path: Path,
    run_cli: Run,
    count_cached: Callable[[], int],
    shared_records: Path,
    good_file: Path,
    record_factory: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_cli("load", shared_records).code == 0
    bad = make_bad(tmp_path, record_factory, monkeypatch)

    result = run_cli("load", good_file, bad.path)

    assert result.code == 1
    check_reported(result.err, bad)
    assert "rdstrail: 1 bad input skipped" in result.err
    assert "bad inputs" not in result.err
    # Earlier events kept; this run's good records (the good file's and the bad file's
    # good ones) cached.
    assert count_cached() == 72 + 2 + bad.good_inside


def test_bad_inputs_in_a_directory_are_each_named(
    tmp_path: Path,
    run_cli: Run,
    count_cached: Callable[[], int],
    record_factory: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    bads = [
        make(folder, record_factory, monkeypatch)
        for make in (truncated_gzip, invalid_json, record_without_event_id, empty_file)
    ]
    result = run_cli("load", folder)
    assert result.code == 1
    for bad in bads:
        check_reported(result.err, bad)
    assert "rdstrail: 4 bad inputs skipped" in result.err
    assert count_cached() == 2  # the good records of no-id.json


def test_truncated_large_gzip_json_lines_keeps_the_good_lines(
    tmp_path: Path,
    run_cli: Run,
    count_cached: Callable[[], int],
    record_factory: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Over 1 MB of lines, streamed: the lines before the break are cached, and the file is
    # still reported as bad.
    lines = [json.dumps(record_factory(userAgent="x" * 900)) for _ in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) * 2 // 3])
    monkeypatch.setattr(formats, "STREAM_THRESHOLD", 1024)
    result = run_cli("load", path)
    assert result.code == 1
    check_reported(result.err, BadInput(path, ("truncated or corrupt gzip",)))
    assert 1000 < count_cached() < 3000
