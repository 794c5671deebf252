"""Bad inputs of every kind, each made in a folder, with what its one-line report must say."""

from __future__ import annotations

import errno
import gzip
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

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


def check_reported(stderr: str, bad: BadInput) -> None:
    assert "Traceback" not in stderr
    naming = [line for line in stderr.splitlines() if str(bad.path) in line]
    assert len(naming) == 1, stderr
    for words in bad.expected:
        assert words in naming[0], naming[0]
