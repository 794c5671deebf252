"""Exports as the explorer writes them (query/export.py): the same bytes as the command line
it shows, owner-only files that never clobber, cancel and failure leaving nothing half
written, progress, streaming, and the names of the files."""

from __future__ import annotations

import errno
import io
import json
import os
import shlex
import stat
import subprocess
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.query import export
from rdstrail_tui.query.export import (
    ExportError,
    ExportFile,
    ExportFileExists,
    command_line,
    default_file_name,
    describe_os_error,
    event_file_stem,
    export_events,
    query_arguments,
    safe_name_part,
    with_extension,
    write_event_file,
    write_events,
)
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.load import load_paths
from tests.conftest import DATA_DIR, SHARED_EVENT_COUNT, rdstrail_command

FILTERS = (
    "",
    "modify",
    "-is:error is:write",
    'user:"Jane Doe"',
    "is:error -describe since:2019-01-01",
)


def load_into(cache_path: Path, folder: Path) -> int:
    with Cache.open(cache_path) as cache:
        return load_paths(cache, [folder], Scope()).new


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def shared_cache(cache_path: Path) -> Path:
    """The default cache ($RDSTRAIL_CACHE) with the 72 shared records."""
    assert load_into(cache_path, DATA_DIR) == SHARED_EVENT_COUNT
    return cache_path


def exported(cache_path: Path, text: str, fmt: str, target: Path, *, bom: bool = False) -> int:
    with Cache.open(cache_path) as cache:
        file = ExportFile.create(target)
        result = export_events(cache, where_of(parse_filter(text)), file, fmt, bom=bom)
    assert not result.cancelled and result.path == target
    return result.written


def run_shown_command(line: str, workdir: Path) -> Path:
    """Run the command line the dialog shows, as a shell would: `rdstrail ARGS > FILE`."""
    words = shlex.split(line)
    assert words[0] == "rdstrail" and words[-2] == ">", line
    out = workdir / words[-1]
    with open(out, "wb") as stdout:
        completed = subprocess.run(
            rdstrail_command(*words[1:-2]), stdout=stdout, stderr=subprocess.PIPE, check=False
        )
    assert completed.returncode == 0, completed.stderr.decode()
    return out


# -- the same bytes as `rdstrail query` ---------------------------------------------------


@pytest.mark.parametrize("text", FILTERS)
@pytest.mark.parametrize(("fmt", "bom"), [("csv", False), ("csv", True), ("jsonl", False)])
def test_export_writes_what_the_shown_command_writes(
    shared_cache: Path, tmp_path: Path, text: str, fmt: str, bom: bool
) -> None:
    mine = tmp_path / "export" / f"mine{export.EXTENSIONS[fmt]}"
    mine.parent.mkdir()
    written = exported(shared_cache, text, fmt, mine, bom=bom)
    line = command_line(query_arguments(parse_filter(text), fmt, bom=bom), "theirs.out")
    theirs = run_shown_command(line, tmp_path)
    assert mine.read_bytes() == theirs.read_bytes()
    if fmt == "csv":
        assert mine.read_bytes().startswith(b"\xef\xbb\xbf" if bom else b"eventTime")
        assert mine.read_bytes().count(b"\r\n") == written + 1  # CRLF, the header too
    else:
        assert len(mine.read_bytes().splitlines()) == written


def test_json_export_is_the_records_as_query_prints_them(
    shared_cache: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.json"
    written = exported(shared_cache, "", "json", mine)
    assert written == SHARED_EVENT_COUNT
    line = command_line(query_arguments(parse_filter(""), "json"), "theirs.json")
    assert mine.read_bytes() == run_shown_command(line, tmp_path).read_bytes()
    assert len(json.loads(mine.read_bytes())) == SHARED_EVENT_COUNT


def test_command_names_a_cache_that_is_not_the_default(tmp_path: Path) -> None:
    other = tmp_path / "other cache.db"
    assert load_into(other, DATA_DIR) == SHARED_EVENT_COUNT
    mine = tmp_path / "mine.csv"
    exported(other, "modify", "csv", mine)
    arguments = query_arguments(parse_filter("modify"), "csv", cache_path=other)
    line = command_line(arguments, "theirs.csv")
    assert f"--cache {shlex.quote(str(other))}" in line
    assert mine.read_bytes() == run_shown_command(line, tmp_path).read_bytes()


# -- the command line ----------------------------------------------------------------------


def test_command_line_reads_as_typed() -> None:
    arguments = query_arguments(parse_filter("modify -is:error"), "csv")
    line = command_line(arguments, "rdstrail-20260101-120000.csv")
    assert line == "rdstrail query modify -is:error --format csv > rdstrail-20260101-120000.csv"
    assert command_line(query_arguments(parse_filter(""), "jsonl", demo=True), "a b.jsonl") == (
        "rdstrail query --format jsonl --demo > 'a b.jsonl'"
    )
    assert "--bom" in command_line(query_arguments(parse_filter(""), "csv", bom=True), "x.csv")


@pytest.mark.parametrize(
    "text",
    [
        'user:"o\'brien; rm -rf ~"',
        'res:"$(reboot)" `id`',
        'name:"a\\x1b[2Jb"',
        "ip:*",
    ],
)
def test_command_line_keeps_a_hostile_filter_one_argument_per_term(text: str) -> None:
    """Each term reaches `rdstrail query` as it was typed, and nothing of it reaches the
    shell: no expansion, no second command."""
    flt = parse_filter(text)
    words = shlex.split(command_line(query_arguments(flt, "csv"), "out.csv"))
    assert words[2 : 2 + len(flt.terms)] == [
        flt.text[t.position : t.position + t.length] for t in flt.terms
    ]
    assert words[-2:] == [">", "out.csv"]


def test_command_line_puts_option_like_terms_after_a_double_dash() -> None:
    line = command_line(query_arguments(parse_filter("--format -h"), "csv"), "x.csv")
    assert line == "rdstrail query --format csv -- --format -h > x.csv"


def test_command_line_shows_control_characters_as_escapes() -> None:
    line = command_line(query_arguments(parse_filter("a\x1bb"), "csv"), "x.csv")
    assert "\x1b" not in line and "\\x1b" in line


# -- the file: owner-only, never clobbered ---------------------------------------------------


def test_export_file_is_owner_only_and_named_absolutely(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.umask(0o022)  # a permissive umask: the file is owner-only all the same
    file = ExportFile.create(Path("out.csv"))
    assert file.path == tmp_path / "out.csv"
    assert mode(file.path) == 0o600
    file.commit()
    assert mode(tmp_path / "out.csv") == 0o600


def test_an_existing_file_is_not_replaced_unless_asked(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"keep me")
    with pytest.raises(ExportFileExists, match=r"out\.csv exists"):
        ExportFile.create(target)
    assert target.read_bytes() == b"keep me"


def test_a_symbolic_link_is_never_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    (tmp_path / "out.csv").symlink_to(victim)
    with pytest.raises(ExportFileExists):
        ExportFile.create(tmp_path / "out.csv")
    replacing = ExportFile.create(tmp_path / "out.csv", replace=True)
    replacing.stream.write(b"new")
    replacing.commit()
    assert victim.read_bytes() == b"keep me"  # the link was replaced, not its target
    assert (tmp_path / "out.csv").read_bytes() == b"new"


def test_replacing_keeps_the_old_file_until_the_export_is_complete(
    shared_cache: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "out.csv"
    target.write_bytes(b"old")
    target.chmod(0o644)
    file = ExportFile.create(target, replace=True)
    assert file.replacing
    file.stream.write(b"half")
    assert target.read_bytes() == b"old"
    file.discard()  # a cancel or a failure
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["out.csv"]  # no temporary left
    with Cache.open(shared_cache) as cache:
        export_events(
            cache, where_of(parse_filter("")), ExportFile.create(target, replace=True), "csv"
        )
    assert target.read_bytes().startswith(b"eventTime")
    assert mode(target) == 0o600  # the replaced file was world-readable; the export is not


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [
        (lambda d: d.chmod(0o500), "permission denied; choose a directory you can write to"),
        (lambda d: d.rmdir(), "there is no directory"),
        (lambda d: (d / "out.csv").mkdir(), "is a directory: give a file name"),
    ],
)
def test_a_file_that_cannot_be_written_is_one_line_naming_it(
    tmp_path: Path, prepare: Callable[[Path], Any], expected: str
) -> None:
    if os.geteuid() == 0 and "permission" in expected:
        pytest.skip("root writes anywhere")
    folder = tmp_path / "dir"
    folder.mkdir()
    prepare(folder)
    try:
        with pytest.raises(ExportError) as raised:
            ExportFile.create(folder / "out.csv")
    finally:
        if folder.exists():
            folder.chmod(0o700)
    message = str(raised.value)
    assert str(folder / "out.csv") in message and expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied; choose a"),
        (OSError(errno.EROFS, "Read-only file system"), "the file system is read-only;"),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), "the disk is full; free some space"),
    ],
)
def test_write_errors_read_as_what_to_do(error: OSError, expected: str) -> None:
    message = describe_os_error(Path("/srv/out.csv"), error)
    assert message.startswith("cannot write /srv/out.csv: ") and expected in message


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_full_disk_is_one_line_and_removes_the_partial_file(
    shared_cache: Path, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / f"out.{fmt}"
    file = ExportFile.create(target)
    file.stream.close()
    file.stream = open("/dev/full", "wb", buffering=export.WRITE_BUFFER)  # noqa: SIM115
    with Cache.open(shared_cache) as cache, pytest.raises(ExportError) as raised:
        export_events(cache, where_of(parse_filter("")), file, fmt)
    assert str(raised.value) == (
        f"cannot write {target}: the disk is full; free some space or choose another directory"
    )
    assert not target.exists()


# -- progress, cancel, streaming ---------------------------------------------------------------


def test_progress_reaches_the_total_and_a_stop_removes_the_file(
    shared_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export, "CHECK_EVERY", 10)
    monkeypatch.setattr(export, "PROGRESS_SECONDS", 0.0)
    reports: list[tuple[int, int]] = []
    where = where_of(parse_filter(""))
    with Cache.open(shared_cache) as cache:
        done = export_events(
            cache,
            where,
            ExportFile.create(tmp_path / "all.csv"),
            "csv",
            on_progress=lambda d, t: reports.append((d, t)),
        )
        assert done.written == SHARED_EVENT_COUNT
        assert reports[-1] == (SHARED_EVENT_COUNT, SHARED_EVENT_COUNT)
        assert [d for d, _ in reports] == sorted(d for d, _ in reports)

        asked = iter(range(1000))
        stopped = export_events(
            cache,
            where,
            ExportFile.create(tmp_path / "stopped.csv"),
            "csv",
            should_stop=lambda: next(asked) >= 3,
        )
    assert stopped.cancelled and stopped.written == 30
    assert not (tmp_path / "stopped.csv").exists()


class CountingSink(io.RawIOBase):
    """A byte stream that keeps only the count of what is written to it."""

    size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.size += len(data)
        return len(data)


def test_writing_streams_without_holding_the_events(
    shared_record_list: list[dict[str, Any]],
) -> None:
    """8,000 events (megabytes written) pass through a hundred kilobytes or so of
    memory: nothing is held but the event being written, so a million take no more."""
    record = shared_record_list[0]
    event = event_from_record(record, json.dumps(record).encode())

    def many() -> Iterator[Event]:
        for _ in range(8_000):
            yield event

    for fmt in ("jsonl", "csv"):
        sink = CountingSink()
        tracemalloc.start()
        try:
            assert write_events(many(), sink, fmt) == 8_000  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert sink.size > 2_500_000 and peak < 500_000, (fmt, sink.size, peak)


# -- names ---------------------------------------------------------------------------------------


def test_default_names_and_extensions() -> None:
    from datetime import datetime, timezone

    moment = datetime(2026, 11, 20, 15, 7, 39, tzinfo=timezone.utc)
    assert default_file_name("csv", moment) == "rdstrail-20261120-150739.csv"
    assert default_file_name("jsonl", moment) == "rdstrail-20261120-150739.jsonl"
    assert with_extension("rdstrail-x.csv", "jsonl") == "rdstrail-x.jsonl"
    assert with_extension("rdstrail-x.jsonl", "json") == "rdstrail-x.json"
    assert with_extension("report.txt", "json") == "report.txt"


@pytest.mark.parametrize(
    ("event_id", "stem"),
    [
        (
            "8e5d0f3c-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
            "rdstrail-event-8e5d0f3c-1a2b-4c3d-9e8f-0a1b2c3d4e5f",
        ),
        ("../../etc/passwd", "rdstrail-event-_.._etc_passwd"),
        ("\x1b[2J\u202e", "rdstrail-event-__2J_"),
        ("...", "rdstrail-event-unnamed"),
    ],
)
def test_event_file_names_keep_only_safe_characters(event_id: str, stem: str) -> None:
    assert event_file_stem(event_id) == stem
    assert "/" not in safe_name_part(event_id)


def test_event_files_are_owner_only_and_never_replaced(tmp_path: Path) -> None:
    first = write_event_file(tmp_path, "abc", b"{}\n")
    second = write_event_file(tmp_path, "abc", b"{}\n")
    assert first == tmp_path / "rdstrail-event-abc.json"
    assert second == tmp_path / "rdstrail-event-abc-2.json"
    assert mode(first) == mode(second) == 0o600
