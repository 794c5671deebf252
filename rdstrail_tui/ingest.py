"""Loading files into the cache, on every core.

Files are grouped into chunks; each worker process decodes a chunk and writes its events into
the cache in one transaction of its own, so a chunk is either wholly cached or not at all
(an interrupted load keeps every chunk committed before it). Only small result summaries
travel back to the parent.

Most of a trail is other services' records. They are recognised by a byte test on the raw
record and never parsed: that, the isal gzip decoder and the second core are where the speed
comes from.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext, redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from rdstrail_tui.cache import Cache
from rdstrail_tui.formats import (
    Document,
    InputError,
    Kind,
    RecordShapeError,
    decode_file,
    event_source_of,
)
from rdstrail_tui.model import RDS_EVENT_SOURCE, Event, RecordError, event_from_record
from rdstrail_tui.sources.files import discover

# A chunk is one transaction: large enough that commits are cheap, small enough that
# progress moves and an interrupted load loses little.
CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_FILES = 64
# Below this much input a worker pool costs more to start than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024
# How many record problems one file reports before summing up the rest.
PROBLEMS_PER_FILE = 3


@dataclass(frozen=True)
class Scope:
    """Which eventSources to keep; None keeps all."""

    sources: frozenset[str] | None = frozenset({RDS_EVENT_SOURCE})


@dataclass
class ChunkResult:
    files: int = 0
    digests: int = 0
    bad_files: int = 0
    records: int = 0
    other_sources: int = 0
    kept: int = 0  # valid records in scope, new or not
    new: int = 0
    bad_records: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        for name in (
            "files",
            "digests",
            "bad_files",
            "records",
            "other_sources",
            "kept",
            "new",
            "bad_records",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


@dataclass
class LoadSummary(ChunkResult):
    ignored: int = 0
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        return self.kept - self.new

    @property
    def bad_inputs(self) -> int:
        return self.bad_files + self.bad_records


ProgressCallback = Callable[[LoadSummary, int], None]  # (so far, files in all)


class _StopRequested(Exception):
    """should_stop() said so between two chunks."""


class LoadInterrupted(Exception):
    """Ctrl-C during a load; `summary` holds what was committed before it."""

    def __init__(self, summary: LoadSummary) -> None:
        super().__init__("load interrupted")
        self.summary = summary


def events_of(document: Document, name: str, scope: Scope, result: ChunkResult) -> Iterator[Event]:
    """The in-scope events of one document; problems are added to `result`."""
    if scope.sources is not None:
        sources = document.event_sources()
        if sources is not None:
            yield from _selected_events(document, sources, name, scope.sources, result)
            return
    problems: list[tuple[int, str]] = []
    try:
        for index, raw in document.records:
            result.records += 1
            if raw is None:
                problems.append((index, "no CloudTrailEvent in this LookupEvents entry"))
                continue
            try:
                source = event_source_of(raw)
            except RecordShapeError as error:
                problems.append((index, str(error)))
                continue
            if source is None:
                problems.append((index, "not a CloudTrail record (no eventSource)"))
            elif scope.sources is not None and source not in scope.sources:
                result.other_sources += 1
            elif event := _normalise(index, raw, problems, result):
                yield event
    finally:
        # Also when a stream breaks part-way: what it yielded so far is still reported.
        _report(document, name, problems, result)


def _selected_events(
    document: Document,
    sources: list[str | None],
    name: str,
    wanted: frozenset[str],
    result: ChunkResult,
) -> Iterator[Event]:
    """The fast path: only records of a wanted eventSource become Python objects."""
    assert document.raws is not None
    raws = document.raws
    result.records += len(sources)
    keep = [index for index, source in enumerate(sources) if source in wanted]
    missing = [index for index, source in enumerate(sources) if source is None]
    result.other_sources += len(sources) - len(keep) - len(missing)
    problems = [(index, "not a CloudTrail record (no eventSource)") for index in missing]
    for index in keep:
        if event := _normalise(index, bytes(raws[index]), problems, result):
            yield event
    _report(document, name, sorted(problems), result)


def _normalise(
    index: int, raw: bytes, problems: list[tuple[int, str]], result: ChunkResult
) -> Event | None:
    """The Event of one in-scope record (already known to be valid JSON), or None with the
    reason added to `problems`."""
    try:
        event = event_from_record(orjson.loads(raw), raw)
    except RecordError as error:
        problems.append((index, str(error)))
        return None
    result.kept += 1
    return event


def _report(
    document: Document, name: str, problems: list[tuple[int, str]], result: ChunkResult
) -> None:
    result.bad_records += len(problems)
    for index, message in problems[:PROBLEMS_PER_FILE]:
        result.problems.append(f"{name}: {document.locate(index)}: {message}")
    if len(problems) > PROBLEMS_PER_FILE:
        result.problems.append(
            f"{name}: {len(problems) - PROBLEMS_PER_FILE} more records with problems"
        )


def load_chunk(cache: Cache, paths: list[str], scope: Scope) -> ChunkResult:
    result = ChunkResult()
    events: list[Event] = []
    for name in paths:
        result.files += 1
        try:
            document = decode_file(Path(name))
            if document.kind is Kind.DIGEST:
                result.digests += 1
                continue
            events.extend(events_of(document, name, scope, result))
        except InputError as error:
            result.bad_files += 1
            result.problems.append(f"{name}: {error}")
    result.new = cache.insert(events)
    return result


# -- worker processes ---------------------------------------------------------------------

_worker_cache: Cache | None = None


def _start_worker(cache_path: str) -> None:
    # The parent alone handles Ctrl-C: it stops the workers, whose open transactions then
    # roll back, so a chunk is never half-written.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker_cache
    _worker_cache = Cache.open(Path(cache_path))


def _run_chunk(task: tuple[int, list[str], Scope]) -> tuple[int, ChunkResult]:
    assert _worker_cache is not None, "worker started without a cache"
    root, paths, scope = task
    return root, load_chunk(_worker_cache, paths, scope)


def _chunks(files: list[Path]) -> Iterator[list[str]]:
    chunk: list[str] = []
    size = 0
    for path in files:
        chunk.append(str(path))
        size += _size(path)
        if size >= CHUNK_BYTES or len(chunk) >= CHUNK_FILES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _stderr_with_a_descriptor() -> AbstractContextManager[object]:
    """multiprocessing hands sys.stderr's descriptor to the helper process it starts. A UI
    that captures stderr (Textual does, while it runs) leaves none, and spawning fails with
    "bad value(s) in fds_to_keep": lend it the process's real stderr for that moment."""
    try:
        if sys.stderr is not None and sys.stderr.fileno() >= 0:
            return nullcontext()
    except (AttributeError, OSError, ValueError):
        pass
    return redirect_stderr(sys.__stderr__)


def worker_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def load_paths(
    cache: Cache,
    paths: list[Path],
    scope: Scope,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> LoadSummary:
    """Load files and directories into the cache. Raises LoadInterrupted on Ctrl-C, or when
    `should_stop` (asked between chunks) says so; committed chunks stay either way."""
    started = time.perf_counter()
    summary = LoadSummary()
    # Chunks never mix files of two named paths, so what each path added is known exactly.
    tasks: list[tuple[int, list[str], Scope]] = []
    total_files = total_bytes = 0
    for root, path in enumerate(paths):
        found = discover([path])
        summary.ignored += found.ignored
        summary.digests += found.digests
        summary.bad_files += len(found.missing)
        summary.problems.extend(f"{where}: {message}" for where, message in found.missing)
        tasks.extend((root, chunk, scope) for chunk in _chunks(found.files))
        total_files += len(found.files)
        total_bytes += sum(_size(file) for file in found.files)
    added = [0] * len(paths)
    workers = workers or worker_count()

    def report() -> None:
        summary.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(summary, total_files)

    def collect(root: int, result: ChunkResult) -> None:
        summary.add(result)
        added[root] += result.new
        report()
        if should_stop is not None and should_stop():
            raise _StopRequested  # handled below like Ctrl-C: the same guarantees

    report()
    try:
        if workers > 1 and len(tasks) > 1 and total_bytes >= PARALLEL_MIN_BYTES:
            _load_parallel(cache, tasks, workers, collect)
        else:
            for root, chunk, chunk_scope in tasks:
                collect(root, load_chunk(cache, chunk, chunk_scope))
    except (KeyboardInterrupt, _StopRequested):
        summary.interrupted = True
        report()
        raise LoadInterrupted(summary) from None
    finally:
        for path, count in zip(paths, added, strict=True):
            cache.record_source(f"file:{path.resolve()}", "files", count)
    return summary


def _load_parallel(
    cache: Cache,
    tasks: list[tuple[int, list[str], Scope]],
    workers: int,
    collect: Callable[[int, ChunkResult], None],
) -> None:
    # spawn, not fork: the parent may run a progress thread, and forking a threaded
    # process can deadlock the child.
    context = multiprocessing.get_context("spawn")
    with _stderr_with_a_descriptor():
        pool = context.Pool(min(workers, len(tasks)), _start_worker, (str(cache.path),))
    try:
        for root, result in pool.imap_unordered(_run_chunk, tasks):
            collect(root, result)
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()
