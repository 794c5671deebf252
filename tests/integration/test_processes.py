"""The installed command in real processes: bad inputs reported without a traceback, and
Ctrl-C during a parallel load leaving a sound cache that the same load completes."""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import rdstrail_tui
from tests.support.bad_inputs import BAD_INPUTS, BadInput, check_reported

Run = Callable[..., Any]


@pytest.mark.parametrize("make_bad", BAD_INPUTS, ids=lambda f: f.__name__)
def test_bad_input_real_process(
    make_bad: Callable[..., BadInput],
    tmp_path: Path,
    run_cli: Run,
    run_rdstrail: Run,
    count_cached: Callable[[], int],
    shared_records: Path,
    good_file: Path,
    record_factory: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_cli("load", shared_records).code == 0
    bad = make_bad(tmp_path, record_factory, monkeypatch)
    if bad.in_process_only:
        pytest.skip("running as root: an unreadable file can only be simulated in-process")

    result = run_rdstrail("load", bad.path, good_file)

    assert result.code == 1
    check_reported(result.err, bad)
    assert result.out == ""
    assert count_cached() == 72 + 2 + bad.good_inside


# -- Ctrl-C ----------------------------------------------------------------------------------

_RECORD = (
    '{{"eventVersion":"1.08","userIdentity":{{"type":"AssumedRole",'
    '"principalId":"AROAEXAMPLE:s{n}","arn":"arn:aws:sts::111122223333:assumed-role/Ops/s{n}",'
    '"accountId":"111122223333"}},"eventTime":"2024-02-{d:02d}T{h:02d}:{m:02d}:{s:02d}Z",'
    '"eventSource":"rds.amazonaws.com","eventName":"{name}","awsRegion":"us-east-1",'
    '"sourceIPAddress":"10.0.{a}.{b}","userAgent":"aws-cli/2.15.0",'
    '"requestParameters":{{"dBInstanceIdentifier":"db-{r}"}},"responseElements":null,'
    '"requestID":"req-{n}","eventID":"00000000-0000-4000-8000-{n:012d}","readOnly":false,'
    '"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333",'
    '"eventCategory":"Management"}}'
)
_NAMES = ("ModifyDBInstance", "DescribeDBInstances", "CreateDBSnapshot", "RebootDBInstance")


def synthetic_trail(dest: Path, files: int, per_file: int) -> None:
    dest.mkdir(parents=True)
    n = 0
    for f in range(files):
        records = []
        for _ in range(per_file):
            records.append(
                _RECORD.format(
                    n=n,
                    d=1 + n % 28,
                    h=n % 24,
                    m=n % 60,
                    s=n // 60 % 60,
                    name=_NAMES[n % 4],
                    a=n % 256,
                    b=n // 256 % 256,
                    r=n % 97,
                )
            )
            n += 1
        body = ('{"Records":[' + ",".join(records) + "]}").encode()
        (dest / f"111122223333_CloudTrail_us-east-1_{f:05d}.json.gz").write_bytes(
            gzip.compress(body, compresslevel=1)
        )


def big_trail(dest: Path) -> None:
    demo_main = Path(rdstrail_tui.__file__).parent / "demo" / "__main__.py"
    if demo_main.exists():
        subprocess.run(
            [sys.executable, "-m", "rdstrail_tui.demo", str(dest), "--events", "300000"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    else:
        synthetic_trail(dest, files=3000, per_file=100)


def cached_count(path: Path) -> int:
    """Events committed so far, read beside a running load (0 until the schema exists)."""
    if not path.exists():
        return 0
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return int(db.execute("SELECT count(*) FROM events").fetchone()[0])
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.serial
def test_ctrl_c_during_load(tmp_path: Path, cache_path: Path, run_rdstrail: Run) -> None:
    trail = tmp_path / "trail"
    big_trail(trail)
    clean = run_rdstrail("load", "--cache", tmp_path / "clean.db", trail, timeout=300)
    assert clean.code == 0, clean.err
    clean_count = cached_count(tmp_path / "clean.db")
    assert clean_count > 1000

    process = subprocess.Popen(
        [sys.executable, "-m", "rdstrail_tui", "load", str(trail)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
        start_new_session=True,  # its own process group, as a shell job has
    )
    try:
        deadline = time.monotonic() + 60
        while cached_count(cache_path) == 0:
            assert process.poll() is None, "the load ended before anything was cached"
            assert time.monotonic() < deadline, "nothing was cached within 60 s"
            time.sleep(0.01)
        # Ctrl-C at a terminal signals the whole foreground process group.
        os.killpg(process.pid, signal.SIGINT)
        _, err_bytes = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err = err_bytes.decode()

    assert process.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err, err

    db = sqlite3.connect(cache_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    partial = cached_count(cache_path)
    assert 0 < partial < clean_count, "the load was not interrupted part-way"

    again = run_rdstrail("load", trail, timeout=300)
    assert again.code == 0, again.err
    assert cached_count(cache_path) == clean_count
    # Duplicates also count events the trail itself delivers twice, so only "new" is exact.
    assert f"{clean_count - partial:,} events new" in again.err


@pytest.mark.serial
def test_a_load_killed_mid_way_leaves_an_index_that_agrees(
    tmp_path: Path, cache_path: Path, run_rdstrail: Run, shared_records: Path
) -> None:
    """A load killed outright (no Ctrl-C handling, no index upkeep at its end): the index
    the previous load left is still trusted for what it covers, the rows the killed load
    committed are taken in from SQLite, and the next load brings the files up to date."""
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.query import index_store
    from rdstrail_tui.query.language import parse_filter
    from rdstrail_tui.query.sql import where_of

    first = run_rdstrail("load", shared_records)
    assert first.code == 0, first.err
    before = cached_count(cache_path)
    trail = tmp_path / "trail"
    synthetic_trail(trail, files=400, per_file=100)
    process = subprocess.Popen(
        [sys.executable, "-m", "rdstrail_tui", "load", "--workers", "1", str(trail)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while cached_count(cache_path) == before:
            assert process.poll() is None, "the load ended before it could be killed"
            assert time.monotonic() < deadline, "nothing was cached within 60 s"
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    texts = ["", "modify", "-is:read", "user:alice", "since:2026-11-15"]

    def agrees(index: Any, cache: Cache) -> None:
        assert len(index) == cache.count()
        for text in texts:
            flt = parse_filter(text)
            expected = cache.rowids(where_of(flt), offset=0, limit=10**9)
            assert [int(r) for r in index.select(flt, cache)] == expected, text

    with Cache.open(cache_path) as cache:
        killed_at = cache.count()
        assert before < killed_at < before + 40_000, "the load was not killed part-way"
        opened = index_store.opened_index(cache)
        assert opened is not None, "the files of the load before are still trusted"
        assert opened.max_rowid < cache.max_rowid()
        agrees(opened.extended(cache), cache)
    again = run_rdstrail("load", trail, timeout=300)
    assert again.code == 0, again.err
    with Cache.open(cache_path) as cache:
        segments = index_store.trusted(cache)
        assert segments is not None and segments[-1].max_rowid == cache.max_rowid()
        agrees(index_store.opened_index(cache), cache)


# -- the command itself ----------------------------------------------------------------


@pytest.fixture
def loaded(run_cli: Run, shared_records: Path) -> None:
    result = run_cli("load", shared_records)
    assert result.code == 0, result.err


def test_version_as_module(run_rdstrail: Run) -> None:
    result = run_rdstrail("--version")
    assert result.code == 0
    assert result.out.strip() == f"rdstrail {rdstrail_tui.__version__}"
    assert result.err == ""


@pytest.mark.usefixtures("loaded")
def test_query_modify_counts_like_the_data(
    run_rdstrail: Run, shared_record_list: list[dict[str, Any]]
) -> None:
    expected = sum("modify" in rec["eventName"].lower() for rec in shared_record_list)
    assert expected > 0
    result = run_rdstrail("query", "modify", "--format", "jsonl")
    assert result.code == 0
    assert result.out.count("\n") == expected
    assert all("modify" in json.loads(line)["eventName"].lower() for line in result.out_lines)


def test_a_stopped_parallel_load_ends_with_its_running_chunks(tmp_path: Path) -> None:
    """The explorer's cancel (should_stop) during a load on worker processes: no chunk
    starts after it, the running ones finish and are counted, and the load returns (it once
    hung for good in Pool.terminate). The same load then completes the cache."""
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.demo import shipped_trail_path
    from rdstrail_tui.ingest.chunks import Chunking
    from rdstrail_tui.ingest.scope import Scope
    from rdstrail_tui.sources.load import LoadInterrupted, load_paths

    chunking = Chunking(max_files=4, parallel_min_bytes=0)  # ~85 chunks of the demo trail
    asked: list[int] = []

    def after_two_results() -> bool:
        asked.append(1)
        return len(asked) >= 2

    with Cache.open(tmp_path / "events.db") as cache:
        began = time.monotonic()
        with pytest.raises(LoadInterrupted) as stop:
            load_paths(
                cache,
                [shipped_trail_path()],
                Scope(),
                workers=2,
                should_stop=after_two_results,
                chunking=chunking,
            )
        assert time.monotonic() - began < 60
        summary = stop.value.summary
        assert summary.interrupted and summary.processes == 2
        # Two results asked about, then the three chunks running or queued at that moment
        # (two in flight per worker); none after them.
        assert len(asked) == 2
        assert summary.files == 5 * 4
        assert 0 < summary.new == cache.count()
        finished = load_paths(cache, [shipped_trail_path()], Scope(), chunking=chunking)
        assert summary.new + finished.new == cache.count() == 301


def _undecodable_trail(dest: Path) -> Path:
    """Three files named like a trail's, 5 MB each: enough for `rdstrail load` to start
    its workers (two chunks of at most 8 MB), each a corrupt gzip."""
    dest.mkdir()
    for part in range(3):
        (dest / f"111122223333_CloudTrail_us-east-1_{part}.json.gz").write_bytes(
            b"\x1f\x8b" + os.urandom(5 * 2**20)
        )
    return dest


def _group_ends(group: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.01)
    return False


def test_a_cache_that_will_not_open_stops_the_workers_started_for_it(tmp_path: Path) -> None:
    """`rdstrail load` starts its workers before it opens the cache; when the cache turns
    out not to be one, the error is one line, the file is left as it was, and no worker
    outlives the command."""
    trail = _undecodable_trail(tmp_path / "trail")
    notes = tmp_path / "notes.db"
    notes.write_text("not a database\n" * 100)
    process = subprocess.Popen(
        [sys.executable, "-m", "rdstrail_tui", "load", "--cache", str(notes), str(trail)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the command and its workers in a group of their own
    )
    _, err = process.communicate(timeout=60)
    assert process.returncode != 0
    assert str(notes) in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert notes.read_text() == "not a database\n" * 100
    assert _group_ends(process.pid), "a worker outlived the load"


def test_workers_do_not_run_the_programs_main_module(tmp_path: Path) -> None:
    """A worker imports the ingest modules alone, not the script that started the load
    (for `rdstrail`, one that imports the whole command line: time each load's first chunk
    waited for)."""
    trail = _undecodable_trail(tmp_path / "trail")
    imported = tmp_path / "imported"
    script = tmp_path / "main_script.py"
    script.write_text(
        "import os, sys\n"
        "with open(os.environ['IMPORTED'], 'a') as out:\n"
        "    out.write(__name__ + '\\n')\n"
        "if __name__ == '__main__':\n"
        "    from rdstrail_tui.cli.main import main\n"
        "    sys.exit(main())\n"
    )
    from rdstrail_tui.ingest.scope import Scope
    from rdstrail_tui.sources.load import find_inputs, plan_load

    assert plan_load(find_inputs([trail]), Scope(), workers=2).processes == 2
    command = [str(script), "load", "--workers", "2", "--cache", str(tmp_path / "e.db")]
    result = subprocess.run(
        [sys.executable, *command, str(trail)],
        capture_output=True,
        text=True,
        env={**os.environ, "IMPORTED": str(imported)},
        timeout=120,
    )
    assert result.returncode == 1, result.stderr  # the files are reported as corrupt
    assert result.stderr.count("corrupt gzip") == 3, result.stderr
    assert imported.read_text() == "__main__\n"
