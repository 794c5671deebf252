"""The load driver: files and directories into the cache, on every core.

Named paths are walked (`sources.files`), their files grouped into chunks, and the chunks
decoded and written by `ingest`, in worker processes when there is enough to share.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import Chunking, chunks, file_size
from rdstrail_tui.ingest.chunks import load_chunk as load_chunk  # tests patch it here
from rdstrail_tui.ingest.documents import ChunkResult
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import ChunkTask, WorkerPool, load_parallel, worker_count
from rdstrail_tui.sources.files import discover, nothing_to_read


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


@dataclass
class Inputs:
    """What the named paths hold, found before any cache is opened: a load that has nothing
    to read can say so without creating a cache."""

    paths: list[Path]
    files: list[list[Path]]  # per named path, the files to read
    ignored: int = 0
    digests: int = 0
    problems: list[str] = field(default_factory=list)  # one line each: missing, empty...

    @property
    def file_count(self) -> int:
        return sum(len(files) for files in self.files)


def find_inputs(paths: list[Path]) -> Inputs:
    """Walk the named paths. A path that does not exist, or a directory with no trail file
    in it, is a problem (one line naming it and what was looked for), not an error."""
    inputs = Inputs(paths=list(paths), files=[])
    for path in paths:
        found = discover([path])
        inputs.files.append(found.files)
        inputs.ignored += found.ignored
        inputs.digests += found.digests
        inputs.problems.extend(f"{where}: {message}" for where, message in found.missing)
        if not found.files and not found.missing:
            inputs.problems.append(f"{path}: {nothing_to_read(found)}")
    return inputs


@dataclass
class LoadPlan:
    """The chunks a load reads, and how many worker processes read them."""

    tasks: list[ChunkTask]
    processes: int  # 0: in this process, one chunk after another


def plan_load(
    inputs: Inputs, scope: Scope, chunking: Chunking | None = None, workers: int | None = None
) -> LoadPlan:
    """Cut the inputs' files into chunks (never mixing files of two named paths, so what
    each path added is known exactly), and decide whether workers share them: with more
    than one core, more than one chunk and enough input to pay for starting them."""
    chunking = chunking or Chunking()
    tasks: list[ChunkTask] = []
    total_bytes = 0
    for root, files in enumerate(inputs.files):
        sizes = [file_size(file) for file in files]
        tasks.extend((root, chunk, scope) for chunk in chunks(files, chunking, sizes))
        total_bytes += sum(sizes)
    workers = workers or worker_count()
    parallel = workers > 1 and len(tasks) > 1 and total_bytes >= chunking.parallel_min_bytes
    return LoadPlan(tasks, min(workers, len(tasks)) if parallel else 0)


def load_paths(
    cache: Cache,
    paths: list[Path] | Inputs,
    scope: Scope,
    on_progress: ProgressCallback | None = None,
    workers: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    chunking: Chunking | None = None,
    plan: LoadPlan | None = None,
    pool: WorkerPool | None = None,
) -> LoadSummary:
    """Load files and directories (or the `Inputs` found in them) into the cache. Raises
    LoadInterrupted on Ctrl-C, or when `should_stop` (asked between chunks) says so;
    committed chunks stay either way. Each named path that yields nothing counts as a bad
    input. `plan` and `pool`: the plan_load of these inputs, and the WorkerPool started
    for a plan with processes (`rdstrail load` starts both before it opens the cache); the
    load closes the pool it runs on."""
    started = time.perf_counter()
    inputs = paths if isinstance(paths, Inputs) else find_inputs(paths)
    plan = plan or plan_load(inputs, scope, chunking, workers)
    summary = LoadSummary(ignored=inputs.ignored)
    summary.digests = inputs.digests
    summary.bad_files = len(inputs.problems)
    summary.problems.extend(inputs.problems)
    tasks = plan.tasks
    total_files = inputs.file_count
    added = [0] * len(inputs.paths)

    def report() -> None:
        summary.seconds = time.perf_counter() - started
        if on_progress:
            on_progress(summary, total_files)

    def collect(root: int, result: ChunkResult) -> None:
        summary.add(result)
        added[root] += result.new
        report()

    report()
    try:
        if plan.processes:
            summary.processes = plan.processes
            if load_parallel(cache, tasks, plan.processes, collect, should_stop, pool):
                raise _StopRequested  # handled below like Ctrl-C: the same guarantees
        else:
            for root, chunk, chunk_scope in tasks:
                collect(root, load_chunk(cache, chunk, chunk_scope))
                if should_stop is not None and should_stop():
                    raise _StopRequested
    except (KeyboardInterrupt, _StopRequested):
        summary.interrupted = True
        report()
        raise LoadInterrupted(summary) from None
    finally:
        # A path that held nothing to read is no source of the cache.
        for path, files, count in zip(inputs.paths, inputs.files, added):
            if files:
                cache.record_source(f"file:{path.resolve()}", "files", count)
    return summary


# -- --event-source ------------------------------------------------------------------------

AWS_DOMAIN = ".amazonaws.com"
_SERVICE = re.compile(r"[a-z0-9][a-z0-9-]*")
_EVENT_SOURCE = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.amazonaws\.com")


class EventSourceError(ValueError):
    """Text that is neither a service name nor an eventSource; the message suggests one."""


def event_source(text: str) -> str:
    """The eventSource a user means: `ec2` or `EC2` is `ec2.amazonaws.com`, an eventSource
    is itself; anything else is refused with the nearest eventSource as a suggestion."""
    value = text.strip().lower()
    if _SERVICE.fullmatch(value):
        return value + AWS_DOMAIN
    if _EVENT_SOURCE.fullmatch(value):
        return value
    service = _SERVICE.search(value.split("://")[-1])
    guess = (service.group() if service else "rds") + AWS_DOMAIN
    raise EventSourceError(f"--event-source {text!r}: did you mean {guess!r}?")
