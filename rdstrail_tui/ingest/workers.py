"""Loading chunks on every core: worker processes that each write their own transactions.

Each worker decodes a chunk and writes its events into the cache in one transaction of its
own; only small result summaries travel back to the parent.

Starting a worker (a new interpreter importing the ingest modules) takes a tenth of a
second or more, so `rdstrail load` starts them as soon as it knows they will be needed
(`WorkerPool`), and the parent opens the cache and cuts the chunks meanwhile.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stderr
from pathlib import Path
from typing import Any

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import load_chunk
from rdstrail_tui.ingest.documents import ChunkResult
from rdstrail_tui.ingest.scope import Scope

# (the index of the named path a chunk came from, its files, what to keep)
ChunkTask = tuple[int, list[str], Scope]

_worker_cache_path: str | None = None
_worker_cache: Cache | None = None
# Chunks queued per worker: one running, one ready for when it ends.
TASKS_IN_FLIGHT_PER_WORKER = 2


def _start_worker(cache_path: str) -> None:
    # The parent alone handles Ctrl-C: it stops the workers, whose open transactions then
    # roll back, so a chunk is never half-written. (Started under spawning_without_sigint,
    # this process has ignored SIGINT from birth; this covers one started by a thread.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The cache is opened at the first chunk: a pool started early may start before the
    # parent has created the cache, and two processes must not create one at once.
    global _worker_cache_path
    _worker_cache_path = cache_path


def _run_chunk(task: ChunkTask) -> tuple[int, ChunkResult]:
    global _worker_cache
    if _worker_cache is None:
        assert _worker_cache_path is not None, "worker started without a cache"
        _worker_cache = Cache.open(Path(_worker_cache_path))
    root, paths, scope = task
    return root, load_chunk(_worker_cache, paths, scope)


class WorkerPool:
    """`processes` worker processes for loads into the cache at `cache_path`, started at
    once; they open the cache when their first chunk comes. A pool serves one load: the
    load closes it when its chunks are done, or stops it at once (Ctrl-C, a failure)."""

    def __init__(self, cache_path: Path, processes: int) -> None:
        self.cache_path = cache_path
        self.processes = processes
        # spawn, not fork: the parent may run a progress thread, and forking a threaded
        # process can deadlock the child.
        context = multiprocessing.get_context("spawn")
        with stderr_with_a_descriptor(), spawning_without_sigint(), _no_main_module():
            self.pool: Any = context.Pool(processes, _start_worker, (str(cache_path),))
        self._ended = False

    def close(self) -> None:
        """Wait for the chunks handed over to finish, then for the processes to exit."""
        if not self._ended:
            self._ended = True
            self.pool.close()
            self.pool.join()

    def terminate(self) -> None:
        """Stop the processes now: their open transactions roll back."""
        if not self._ended:
            self._ended = True
            self.pool.terminate()
            self.pool.join()


@contextmanager
def _no_main_module() -> Iterator[None]:
    """Start processes that do not import this program's main module. A spawned process
    imports the parent's `__main__` (for `rdstrail`, its script, which imports the whole
    command line) before anything else; a worker needs only the ingest modules, and each
    import is time the load's first chunk waits for. Only for the moment the processes
    are started; they are given a main module with nothing to import."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


@contextmanager
def spawning_without_sigint() -> Iterator[None]:
    """Start worker processes inside this so that they ignore SIGINT from their first
    instruction. Ctrl-C at a terminal signals the whole process group; a worker that is
    still importing when it arrives would print a KeyboardInterrupt traceback before its
    initializer could ignore it. An ignored signal stays ignored across exec (and Python
    then installs no handler of its own), so the parent ignores it for the few milliseconds
    the processes take to start. Only the main thread may change handlers; elsewhere (the
    explorer's load thread, where Ctrl-C is a key, not a signal) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stderr_with_a_descriptor() -> AbstractContextManager[object]:
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


def load_parallel(
    cache: Cache,
    tasks: list[ChunkTask],
    workers: int,
    collect: Callable[[int, ChunkResult], None],
    should_stop: Callable[[], bool] | None = None,
    pool: WorkerPool | None = None,
) -> bool:
    """Run the tasks in a pool of `workers` processes (`pool`, started before, or a new
    one), handing each result to `collect` as it arrives (in no particular order).
    `should_stop` is asked after each result; once it says so, no other task starts, the
    ones running finish (a chunk commits whole) and are collected, and this returns True.
    False when every task ran. The pool is closed either way."""
    if pool is not None and pool.cache_path != cache.path:
        pool.terminate()  # started for another path: its workers would write elsewhere
        pool = None
    if pool is None:
        pool = WorkerPool(cache.path, min(workers, len(tasks)))
    workers = pool.processes
    # A few tasks in flight at a time, not all of them queued: a stop then waits for the
    # running chunks alone, and the pool closes normally. Pool.terminate() can hang for
    # good while workers wait on its queue (python/cpython#78178, #96995, open): the
    # explorer's cancelled load once never ended. Ctrl-C still terminates (see below).
    outcomes: queue.Queue[tuple[int, ChunkResult] | BaseException] = queue.Queue()
    waiting = iter(tasks)
    running = 0
    stopped = False

    def start_next() -> int:
        task = next(waiting, None)
        if task is None:
            return 0
        pool.pool.apply_async(
            _run_chunk, (task,), callback=outcomes.put, error_callback=outcomes.put
        )
        return 1

    try:
        for _ in range(TASKS_IN_FLIGHT_PER_WORKER * workers):
            running += start_next()
        while running:
            outcome = _next_outcome(outcomes)
            running -= 1
            if isinstance(outcome, BaseException):
                raise outcome
            collect(*outcome)
            stopped = stopped or (should_stop is not None and should_stop())
            if not stopped:
                running += start_next()
        pool.close()
    except BaseException:
        # Ctrl-C (or a failed chunk): the workers are stopped at once and their open
        # transactions roll back, so a chunk is never half-written.
        pool.terminate()
        raise
    return stopped


def _next_outcome(
    outcomes: queue.Queue[tuple[int, ChunkResult] | BaseException],
) -> tuple[int, ChunkResult] | BaseException:
    # In short waits, so that Ctrl-C reaches this thread between them.
    while True:
        try:
            return outcomes.get(timeout=0.2)
        except queue.Empty:
            continue
