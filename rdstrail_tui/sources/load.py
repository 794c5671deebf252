"""The load driver: files and directories into the cache, on every core.

Named paths are walked (`sources.files`), their files grouped into chunks, and the chunks
decoded and written by `ingest`, in worker processes when there is enough to share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import Chunking, chunks, file_size
from rdstrail_tui.ingest.chunks import load_chunk as load_chunk  # tests patch it here
from rdstrail_tui.ingest.documents import ChunkResult
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import ChunkTask, load_parallel, worker_count
from rdstrail_tui.sources.files import discover


@dataclass
class LoadSummary(ChunkResult):
    ignored: int = 0
    interrupted: bool = False
    seconds: float = 0.0
    processes: int = 1  # worker processes the chunks were loaded in (1: this one)

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


def load_paths(
    cache: Cache,
    paths: list[Path],
    scope: Scope,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    chunking: Chunking | None = None,
) -> LoadSummary:
    """Load files and directories into the cache. Raises LoadInterrupted on Ctrl-C, or when
    `should_stop` (asked between chunks) says so; committed chunks stay either way."""
    started = time.perf_counter()
    chunking = chunking or Chunking()
    summary = LoadSummary()
    # Chunks never mix files of two named paths, so what each path added is known exactly.
    tasks: list[ChunkTask] = []
    total_files = total_bytes = 0
    for root, path in enumerate(paths):
        found = discover([path])
        summary.ignored += found.ignored
        summary.digests += found.digests
        summary.bad_files += len(found.missing)
        summary.problems.extend(f"{where}: {message}" for where, message in found.missing)
        tasks.extend((root, chunk, scope) for chunk in chunks(found.files, chunking))
        total_files += len(found.files)
        total_bytes += sum(file_size(file) for file in found.files)
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
        if workers > 1 and len(tasks) > 1 and total_bytes >= chunking.parallel_min_bytes:
            summary.processes = min(workers, len(tasks))
            load_parallel(cache, tasks, summary.processes, collect)
        else:
            for root, chunk, chunk_scope in tasks:
                collect(root, load_chunk(cache, chunk, chunk_scope))
    except (KeyboardInterrupt, _StopRequested):
        summary.interrupted = True
        report()
        raise LoadInterrupted(summary) from None
    finally:
        for path, count in zip(paths, added):
            cache.record_source(f"file:{path.resolve()}", "files", count)
    return summary
