"""Exports: the events a filter keeps, streamed from the cache into a file only its owner
can read, as `rdstrail query FILTER --format FORMAT > FILE` would write them.

Both front ends write through `present.writers`, so an export from the explorer and the
command line it shows give the same bytes. Events stream from SQLite to the file one at a
time: a million of them never sit in memory together.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, BinaryIO

from rdstrail_tui.cache.schema import Where
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.writers import write_csv_bytes, write_json, write_jsonl
from rdstrail_tui.query.language import Filter

EXPORT_FORMATS = ("csv", "jsonl", "json")
FORMAT_NAMES = {"csv": "CSV", "jsonl": "JSON Lines", "json": "JSON"}
EXTENSIONS = {"csv": ".csv", "jsonl": ".jsonl", "json": ".json"}
OWNER_ONLY = 0o600
# How often the writer looks up from its work: a cancel is seen within this many events,
# and progress is reported at most every PROGRESS_SECONDS.
CHECK_EVERY = 256
PROGRESS_SECONDS = 0.1
# Big enough that writing is not a system call per event.
WRITE_BUFFER = 1 << 16

ProgressCallback = Callable[[int, int], None]  # (events written, events to write)
StopCheck = Callable[[], bool]


class ExportError(Exception):
    """One line that names the file and says what to do."""


class ExportFileExists(ExportError):
    """The file is there already: nothing is replaced unless the user says so."""


def describe_os_error(path: Path, error: OSError) -> str:
    """An OSError on `path` as one line a user can act on."""
    shown = printable(str(path))
    code = error.errno
    if isinstance(error, FileExistsError):
        return f"{shown} exists: choose another name, or confirm replacing it"
    if isinstance(error, IsADirectoryError):
        return f"{shown} is a directory: give a file name"
    if isinstance(error, FileNotFoundError):
        parent = printable(str(path.parent))
        return f"cannot write {shown}: there is no directory {parent}; create it or choose another"
    if isinstance(error, PermissionError):
        return f"cannot write {shown}: permission denied; choose a directory you can write to"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"cannot write {shown}: the disk is full; free some space or choose another directory"
        )
    if code == errno.EROFS:
        return f"cannot write {shown}: the file system is read-only; choose another directory"
    if code == errno.ELOOP:
        return f"cannot write {shown}: it is a symbolic link; choose another name"
    reason = printable(error.strerror or str(error))
    return f"cannot write {shown}: {reason}"


def absolute(path: Path) -> Path:
    """`path` with `~` expanded, made absolute against the current directory (symbolic
    links are not followed: the name the user gave is the name reported)."""
    return Path(os.path.abspath(path.expanduser()))


def _create_exclusive(path: Path) -> int:
    """A new owner-only file, never an existing one, never through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags | getattr(os, "O_CLOEXEC", 0), OWNER_ONLY)


class ExportFile:
    """An owner-only file being written, which exists under its name only when complete or
    when it is new: a new file is created at once (O_EXCL: nothing is clobbered) and
    removed if the export fails or is cancelled; a file being replaced is written beside
    the target and renamed over it at the end, so a failure leaves the old one as it was."""

    def __init__(self, path: Path, stream: BinaryIO, temporary: Path | None) -> None:
        self.path = path  # absolute: what the user is told
        self.stream = stream
        self._temporary = temporary  # the file written, when it is not `path` itself
        self._done = False

    @classmethod
    def create(cls, path: Path, *, replace: bool = False) -> ExportFile:
        """Open `path` for writing; raises ExportFileExists (it exists and not `replace`)
        or ExportError (cannot be written), each naming the file."""
        target = absolute(path)
        if target.is_dir():
            raise ExportError(f"{printable(str(target))} is a directory: give a file name")
        try:
            if replace and os.path.lexists(target):
                # mkstemp: O_EXCL and mode 0600, in the target's directory so that the
                # rename at the end stays on one file system.
                descriptor, name = tempfile.mkstemp(
                    prefix=f".{target.name}.", suffix=".part", dir=target.parent
                )
                temporary: Path | None = Path(name)
            else:
                descriptor, temporary = _create_exclusive(target), None
        except FileExistsError:
            raise ExportFileExists(describe_os_error(target, FileExistsError())) from None
        except OSError as error:
            raise ExportError(describe_os_error(target, error)) from None
        stream = os.fdopen(descriptor, "wb", buffering=WRITE_BUFFER)
        return cls(target, stream, temporary)

    @property
    def replacing(self) -> bool:
        """An existing file is being replaced (it stays as it was until the end)."""
        return self._temporary is not None

    @property
    def written_path(self) -> Path:
        """The file on disk while writing (the target itself unless replacing it)."""
        return self._temporary or self.path

    def commit(self) -> None:
        """Close it and give it its name; ExportError if the last bytes cannot be
        written (a full disk often shows only here)."""
        try:
            self.stream.close()
            if self._temporary is not None:
                os.replace(self._temporary, self.path)
        except OSError as error:
            self.discard()
            raise ExportError(describe_os_error(self.path, error)) from None
        self._done = True

    def discard(self) -> None:
        """Close it and remove what was written; a replaced file stays as it was."""
        if self._done:
            return
        self._done = True
        # A full disk may refuse the last buffer, and the file may be gone already (or its
        # directory): either way there is nothing more to do.
        with contextlib.suppress(OSError):
            self.stream.close()
        with contextlib.suppress(OSError):
            self.written_path.unlink()


@dataclass(frozen=True)
class ExportResult:
    path: Path  # absolute
    written: int
    cancelled: bool = False


class _Cancelled(Exception):
    """Raised inside the writer's iteration to stop it where it is."""


def write_events(events: Iterable[Event], out: IO[bytes], fmt: str, *, bom: bool = False) -> int:
    """`events` written to a byte stream as `rdstrail query --format fmt` writes them to a
    file (not a terminal: JSON keeps its characters as they were). Returns the count."""
    if fmt == "jsonl":
        return write_jsonl(events, out, terminal=False)
    if fmt == "json":
        return write_json(events, out, terminal=False)
    if fmt != "csv":
        raise ValueError(f"unknown export format {fmt!r}")
    return write_csv_bytes(events, out, bom=bom)  # as the command writes it to stdout


def export_events(
    cache: Cache,
    where: Where,
    target: ExportFile,
    fmt: str,
    *,
    bom: bool = False,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> ExportResult:
    """Write the events `where` keeps into `target`, newest first, and name the file.
    `on_progress(done, total)` is called now and then; `should_stop` is asked every few
    events, and a stop removes the file (or leaves a replaced one as it was). A write that
    fails raises ExportError; the file is removed then too."""
    total = cache.count(where)
    counted = _Counted(total, on_progress, should_stop)
    try:
        written = write_events(
            counted.over(cache.events(where, with_raw=True)), target.stream, fmt, bom=bom
        )
    except _Cancelled:
        target.discard()
        return ExportResult(target.path, counted.done, cancelled=True)
    except OSError as error:
        target.discard()
        raise ExportError(describe_os_error(target.path, error)) from None
    except BaseException:
        target.discard()
        raise
    target.commit()
    if on_progress is not None:
        on_progress(written, max(total, written))
    return ExportResult(target.path, written)


class _Counted:
    """Counts the events as the writer takes them, reports progress and stops on request."""

    def __init__(
        self, total: int, on_progress: ProgressCallback | None, should_stop: StopCheck | None
    ) -> None:
        self.total = total
        self.done = 0
        self._on_progress = on_progress
        self._should_stop = should_stop
        self._last_report = 0.0

    def over(self, events: Iterable[Event]) -> Iterator[Event]:
        for event in events:
            if self.done % CHECK_EVERY == 0:
                self._look_up()
            yield event
            self.done += 1

    def _look_up(self) -> None:
        if self._should_stop is not None and self._should_stop():
            raise _Cancelled
        now = time.monotonic()
        if self._on_progress is not None and now - self._last_report >= PROGRESS_SECONDS:
            self._last_report = now
            self._on_progress(self.done, max(self.total, self.done))


# -- names and the equivalent command line --------------------------------------------------


def timestamp(now: datetime | None = None) -> str:
    """UTC `yyyymmdd-hhmmss`, the stamp in the names of the files the explorer writes."""
    moment = now or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S")


def default_file_name(fmt: str, now: datetime | None = None) -> str:
    return f"rdstrail-{timestamp(now)}{EXTENSIONS[fmt]}"


def with_extension(name: str, fmt: str) -> str:
    """`name` with the extension of `fmt` in place of another format's; a name with an
    extension of its own (or none) keeps it."""
    for extension in sorted(EXTENSIONS.values(), key=len, reverse=True):
        if name.endswith(extension):
            return name[: -len(extension)] + EXTENSIONS[fmt]
    return name


def filter_arguments(flt: Filter) -> list[str]:
    """The filter's terms as the command line's arguments, each exactly as typed: the
    command (cli/parser.py's filter_text) takes an argument holding a space only with its
    quotes, and a term's spaces are always inside quotes."""
    return [flt.text[term.position : term.position + term.length] for term in flt.terms]


def query_arguments(
    flt: Filter,
    fmt: str,
    *,
    bom: bool = False,
    cache_path: Path | None = None,
    demo: bool = False,
) -> list[str]:
    """`rdstrail query`'s arguments (after `rdstrail`) that print what an export of
    `flt` writes. `cache_path`: given when it is not the default cache."""
    terms = filter_arguments(flt)
    options = ["--format", fmt]
    if bom:
        options.append("--bom")
    if demo:
        options.append("--demo")
    elif cache_path is not None:
        options += ["--cache", str(cache_path)]
    if any(_is_option_like(term) for term in terms):
        return ["query", *options, "--", *terms]
    return ["query", *terms, *options]


def _is_option_like(term: str) -> bool:
    """A term the command line would take for one of its options (cli/parser.py's split of
    terms from options): with one in the filter, the terms go after `--`."""
    return term.startswith("--") or term == "-h"


def command_line(arguments: Sequence[str], file_name: str) -> str:
    """`rdstrail ARGUMENTS > FILE`, quoted for a POSIX shell. The filter is text from
    CloudTrail (a quick filter's value): what cannot be shown is shown as an escape."""
    words = ["rdstrail", *arguments]
    return printable(" ".join(shlex.quote(word) for word in words) + " > " + shlex.quote(file_name))


# -- one event, written whole ----------------------------------------------------------------


def safe_name_part(text: str, limit: int = 64) -> str:
    """`text` (an eventID: attacker-controlled) reduced to characters safe in a file name:
    no path separators, no dot files, no controls."""
    kept = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in text)
    return kept.strip(".")[:limit]


def write_new_file(directory: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write `data` to a new owner-only file `stem + suffix` in `directory` (`stem-2`,
    `stem-3` ... if taken: nothing is replaced); returns its absolute path. ExportError
    names the file and what to do."""
    folder = absolute(directory)
    for attempt in range(1, 1000):
        path = folder / (f"{stem}{suffix}" if attempt == 1 else f"{stem}-{attempt}{suffix}")
        try:
            descriptor = _create_exclusive(path)
        except FileExistsError:
            continue
        except OSError as error:
            raise ExportError(describe_os_error(path, error)) from None
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
        except OSError as error:
            path.unlink(missing_ok=True)
            raise ExportError(describe_os_error(path, error)) from None
        return path
    shown = printable(str(folder / stem)) + suffix
    raise ExportError(f"cannot write {shown}: too many files of that name; remove some")


def event_file_stem(event_id: str) -> str:
    """`rdstrail-event-<eventID>`, the eventID reduced to what is safe in a file name."""
    return f"rdstrail-event-{safe_name_part(event_id) or 'unnamed'}"


def write_event_file(directory: Path, event_id: str, data: bytes) -> Path:
    """One event's JSON as `rdstrail-event-<eventID>.json` in `directory` (with `-2` ...
    when that is taken); returns its absolute path."""
    return write_new_file(directory, event_file_stem(event_id), ".json", data)
