"""Shared fixtures: an isolated cache and user directories for every test, the CLI run
in-process or as a real process, the copied RDS records, and writers for test inputs."""

from __future__ import annotations

import fcntl
import gzip
import importlib.util
import io
import itertools
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cli import main as cli

DATA_DIR = Path(__file__).parent / "data" / "rds-events"
PANTHER_FILE = DATA_DIR / "panther-rds-records.json"
GUIDE_FILE = DATA_DIR / "rds-user-guide-createdbinstance.json"
SHARED_EVENT_COUNT = 72

# The local Athena and Lake (DuckDB, sqlglot, Trino's grammar) are test extras. A run without
# them (CI's older Pythons install the package and pytest only, for the unit tier) leaves
# their tests out rather than failing to collect them; tests/unit/test_trino_pushdown.py
# says it skipped.
ENGINES = ("duckdb", "sqlglot", "trino_query_parser")
collect_ignore: list[str] = []
if any(importlib.util.find_spec(name) is None for name in ENGINES):
    collect_ignore += [
        "integration/test_athena_server.py",
        "integration/test_lake_server.py",
        "integration/test_sync_athena.py",
        "integration/test_sync_lake.py",
        "unit/test_lake_engine.py",
        "unit/test_trail_engine.py",
    ]

_ids = itertools.count()
_ID_NAMESPACE = uuid.UUID("6f1d5a4e-2b0c-4a43-9a0e-3d5a7c1e0b11")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def out_lines(self) -> list[str]:
        return self.out.splitlines()

    @property
    def err_lines(self) -> list[str]:
        return self.err.splitlines()


# -- isolation ---------------------------------------------------------------------------


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "c" / "events.db"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, cache_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test may read or write the real user's cache, data or config."""
    home = tmp_path / "xdg"
    for name in ("cache", "data", "config"):
        (home / name).mkdir(parents=True)
    monkeypatch.setenv("RDSTRAIL_CACHE", str(cache_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    # Tests assert the user-facing one-line errors, and piped output is not cut to a width.
    monkeypatch.delenv("RDSTRAIL_DEBUG", raising=False)
    monkeypatch.delenv("COLUMNS", raising=False)
    return home


# -- running the command -----------------------------------------------------------------


def _run_in_process(args: Iterable[str], stdin: str | None) -> Result:
    # Commands write JSON as bytes to sys.stdout.buffer, so stdout must be a real text
    # wrapper over a byte buffer that can be read back.
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", newline="")
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", newline="")
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.StringIO(stdin or "")
    sys.stdout, sys.stderr = out, err
    try:
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # argparse: --help, --version, usage errors
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
        out.flush()
        err.flush()
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return Result(
        code,
        out_bytes.getvalue().decode("utf-8"),
        err_bytes.getvalue().decode("utf-8"),
    )


@pytest.fixture
def run_cli() -> Callable[..., Result]:
    """`run_cli("query", "--format", "jsonl")`: rdstrail_tui.cli.main.main in this process."""

    def run(*args: str | Path, stdin: str | None = None) -> Result:
        return _run_in_process([str(arg) for arg in args], stdin)

    return run


def rdstrail_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "rdstrail_tui", *(str(arg) for arg in args)]


@pytest.fixture
def run_rdstrail() -> Callable[..., Result]:
    """`run_rdstrail("load", path)`: the command as a real process, with the test's
    isolated environment (RDSTRAIL_CACHE and the XDG directories)."""

    def run(*args: str | Path, stdin: str | None = None, timeout: float = 60) -> Result:
        completed = subprocess.run(
            rdstrail_command(*args),
            input=(stdin or "").encode(),
            capture_output=True,
            env=dict(os.environ),
            timeout=timeout,
            check=False,
        )
        return Result(
            completed.returncode,
            completed.stdout.decode("utf-8", errors="replace"),
            completed.stderr.decode("utf-8", errors="replace"),
        )

    return run


# -- data --------------------------------------------------------------------------------


@pytest.fixture
def shared_records() -> Path:
    """The directory holding the copied RDS records (72 events in two files)."""
    return DATA_DIR


def load_shared_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in (PANTHER_FILE, GUIDE_FILE):
        records.extend(json.loads(path.read_bytes())["Records"])
    return records


@pytest.fixture
def shared_record_list() -> list[dict[str, Any]]:
    """The 72 original records, parsed."""
    return load_shared_records()


def make_record(**fields: Any) -> dict[str, Any]:
    """A well-formed RDS CloudTrail record with a fresh eventID; `fields` replace keys and
    `_drop` names keys to remove: make_record(_drop=["eventID"])."""
    drop = fields.pop("_drop", ())
    number = next(_ids)
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLEALICE",
            "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333",
            "accessKeyId": "AKIAEXAMPLEALICE",
            "userName": "alice",
        },
        "eventTime": "2024-03-01T12:00:00Z",
        "eventSource": "rds.amazonaws.com",
        "eventName": "ModifyDBInstance",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": {"dBInstanceIdentifier": "prod-db", "applyImmediately": True},
        "responseElements": None,
        "requestID": str(uuid.uuid5(_ID_NAMESPACE, f"request-{number}")),
        "eventID": str(uuid.uuid5(_ID_NAMESPACE, f"event-{number}")),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
        "eventCategory": "Management",
    }
    record.update(fields)
    for key in drop:
        record.pop(key, None)
    return record


@pytest.fixture
def record_factory() -> Callable[..., dict[str, Any]]:
    return make_record


def write_trail(path: Path, records: list[Any], *, gz: bool | None = None) -> Path:
    """Write `{"Records": [...]}`, gzipped when the name ends in .gz (or gz=True)."""
    data = json.dumps({"Records": records}).encode()
    return write_bytes(path, data, gz=gz)


def write_jsonl(path: Path, records: list[Any], *, gz: bool | None = None) -> Path:
    data = b"".join(json.dumps(record).encode() + b"\n" for record in records)
    return write_bytes(path, data, gz=gz)


def write_bytes(path: Path, data: bytes, *, gz: bool | None = None) -> Path:
    if gz is None:
        gz = path.name.endswith(".gz")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.fixture
def writers() -> Any:
    """`writers.trail(path, records)`, `writers.jsonl(...)`, `writers.bytes(...)`."""

    class Writers:
        trail = staticmethod(write_trail)
        jsonl = staticmethod(write_jsonl)
        bytes = staticmethod(write_bytes)

    return Writers()


@pytest.fixture
def count_cached(run_cli: Callable[..., Result]) -> Callable[..., int]:
    """How many events `rdstrail query --format jsonl` prints for the default cache."""

    def count(*extra: str) -> int:
        result = run_cli("query", "--format", "jsonl", *extra)
        assert result.code == 0, result.err
        return len(result.out_lines)

    return count


@pytest.fixture
def good_file(tmp_path: Path, record_factory: Callable[..., dict[str, Any]]) -> Path:
    path = tmp_path / "good" / "good.json.gz"
    path.parent.mkdir()
    path.write_bytes(
        gzip.compress(json.dumps({"Records": [record_factory(), record_factory()]}).encode())
    )
    return path


# -- tiers ---------------------------------------------------------------------------------

TIERS = ("unit", "tui", "integration")
# Tests that hold to a pace (the API's 2 requests a second) or drive a real terminal must
# not race another test for the two cores: they run in one worker's queue (an xdist group),
# and while one runs no other test starts (see `one_at_a_time_for_serial`).
SERIAL_GROUP = "serial"
# One SeaweedFS per test run instead of one per worker: every S3 test goes to one worker.
SEAWEED_GROUP = "seaweedfs"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Each test is marked with its tier, from its folder, so `pytest -m unit` runs the fast
    tier alone; xdist groups keep one server per run and serial tests apart."""
    root = Path(__file__).parent
    for item in items:
        tier = Path(item.path).relative_to(root).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: tests live in tests/{'|'.join(TIERS)}/")
        item.add_marker(getattr(pytest.mark, tier))
        if item.get_closest_marker("serial"):
            item.add_marker(pytest.mark.xdist_group(SERIAL_GROUP))
        elif "seaweed" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(SEAWEED_GROUP))


@pytest.fixture(autouse=True)
def one_at_a_time_for_serial(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Every test holds a shared lock on one file that all xdist workers see, a serial test
    an exclusive one: a serial test waits for the other worker's current test to end, and
    the other worker starts nothing until it is done."""
    if not hasattr(request.config, "workerinput"):  # not under xdist: already one at a time
        yield
        return
    lock_path = tmp_path_factory.getbasetemp().parent / "serial.lock"
    with open(lock_path, "a") as lock:
        serial = request.node.get_closest_marker("serial") is not None
        fcntl.flock(lock, fcntl.LOCK_EX if serial else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
