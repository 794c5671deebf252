"""Bad inputs: each is reported on one line naming the file (and the record), the load exits 1
without a traceback, and nothing cached before or beside it is lost. Ctrl-C during a load
leaves a sound cache that the same load completes."""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import rdstrail_tui
from rdstrail_tui.ingest import formats

Run = Callable[..., Any]


@dataclass(frozen=True)
class BadInput:
    """A bad file, the words its stderr line must hold, and how many good records of the
    same file are still cached."""

    path: Path
    expected: tuple[str, ...]
    good_inside: int = 0
    # Set when the failure can only be simulated inside this process (see `unreadable`).
    in_process_only: bool = False


def _trail_bytes(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}).encode()


def truncated_gzip(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    data = gzip.compress(_trail_bytes([make() for _ in range(20)]))
    path = d / "truncated.json.gz"
    path.write_bytes(data[: len(data) // 2])
    return BadInput(path, ("truncated or corrupt gzip",))


def invalid_json(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "invalid.json"
    path.write_bytes(_trail_bytes([make()])[:-30])
    return BadInput(path, ("invalid JSON",))


def not_cloudtrail_object(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "foo.json"
    path.write_text('{"foo": 1}')
    return BadInput(path, ("not a CloudTrail file",))


def not_cloudtrail_records(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "foo-records.json"
    path.write_text('{"Records": [{"foo": 1}]}')
    return BadInput(path, ("Records[0]", "not a CloudTrail record"))


def record_without_event_id(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "no-id.json"
    path.write_bytes(_trail_bytes([make(), make(), make(_drop=["eventID"])]))
    return BadInput(path, ("Records[2]", "eventID is missing"), good_inside=2)


def record_without_event_time(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "no-time.json"
    path.write_bytes(_trail_bytes([make(), make(_drop=["eventTime"]), make()]))
    return BadInput(path, ("Records[1]", "eventTime is missing"), good_inside=2)


def bad_json_line(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    lines = [json.dumps(make()) for _ in range(4)]
    cut = json.dumps(make())
    lines.insert(2, cut[: cut.index('"eventName"')])  # a record cut off mid-line
    path = d / "export.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return BadInput(path, ("line 3", "invalid JSON"), good_inside=4)


def lookup_entry_without_record(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    good = make()
    entries = [{"EventId": good["eventID"], "CloudTrailEvent": json.dumps(good)}, {"EventId": "x"}]
    path = d / "lookup.json"
    path.write_text(json.dumps({"Events": entries}))
    return BadInput(path, ("Events[1]", "no CloudTrailEvent"), good_inside=1)


def unreadable(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "secret.json"
    path.write_bytes(_trail_bytes([make()]))
    path.chmod(0)
    if not os.access(path, os.R_OK):
        return BadInput(path, ("cannot read", "Permission denied"))
    # Running as root (as CI containers do), mode 000 does not stop the read. Make opening
    # this one file fail exactly as the kernel fails it for everyone else (EACCES); the rest
    # of the load is the real code. A real process cannot be patched, hence in_process_only.
    real_open = Path.open

    def denied_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", denied_open)
    return BadInput(path, ("cannot read", "Permission denied"), in_process_only=True)


def empty_file(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    path = d / "empty.json"
    path.write_bytes(b"")
    return BadInput(path, ("empty file",))


def nonexistent(d: Path, make: Run, monkeypatch: pytest.MonkeyPatch) -> BadInput:
    return BadInput(d / "no-such-trail.json", ("no such file or directory",))


BAD_INPUTS = [
    truncated_gzip,
    invalid_json,
    not_cloudtrail_object,
    not_cloudtrail_records,
    record_without_event_id,
    record_without_event_time,
    bad_json_line,
    lookup_entry_without_record,
    unreadable,
    empty_file,
    nonexistent,
]


@pytest.fixture
def good_file(tmp_path: Path, record_factory: Run) -> Path:
    path = tmp_path / "good" / "good.json.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(_trail_bytes([record_factory(), record_factory()])))
    return path


def check_reported(stderr: str, bad: BadInput) -> None:
    assert "Traceback" not in stderr
    naming = [line for line in stderr.splitlines() if str(bad.path) in line]
    assert len(naming) == 1, stderr
    for words in bad.expected:
        assert words in naming[0], naming[0]


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
    assert "1 bad inputs" in result.err
    # Earlier events kept; this run's good records (the good file's and the bad file's
    # good ones) cached.
    assert count_cached() == 72 + 2 + bad.good_inside


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
    assert "4 bad inputs" in result.err
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
