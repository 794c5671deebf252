"""Loading chunks on every core: worker processes that each write their own transactions.

Each worker decodes a chunk and writes its events into the cache in one transaction of its
own; only small result summaries travel back to the parent.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stderr
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import load_chunk
from rdstrail_tui.ingest.documents import ChunkResult
from rdstrail_tui.ingest.scope import Scope

# (the index of the named path a chunk came from, its files, what to keep)
ChunkTask = tuple[int, list[str], Scope]

_worker_cache: Cache | None = None
# Chunks queued per worker: one running, one ready for when it ends.
TASKS_IN_FLIGHT_PER_WORKER = 2


def _start_worker(cache_path: str) -> None:
    # The parent alone handles Ctrl-C: it stops the workers, whose open transactions then
    # roll back, so a chunk is never half-written. (Started under spawning_without_sigint,
    # this process has ignored SIGINT from birth; this covers one started by a thread.)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _worker_cache
    _worker_cache = Cache.open(Path(cache_path))


def _run_chunk(task: ChunkTask) -> tuple[int, ChunkResult]:
    assert _worker_cache is not None, "worker started without a cache"
    root, paths, scope = task
    return root, load_chunk(_worker_cache, paths, scope)


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
) -> bool:
    """Run the tasks in a pool of `workers` processes, handing each result to `collect`
    as it arrives (in no particular order). `should_stop` is asked after each result; once
    it says so, no other task starts, the ones running finish (a chunk commits whole) and are
    collected, and this returns True. False when every task ran."""
    # spawn, not fork: the parent may run a progress thread, and forking a threaded
    # process can deadlock the child.
    context = multiprocessing.get_context("spawn")
    with stderr_with_a_descriptor(), spawning_without_sigint():
        pool = context.Pool(min(workers, len(tasks)), _start_worker, (str(cache.path),))
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
        pool.apply_async(_run_chunk, (task,), callback=outcomes.put, error_callback=outcomes.put)
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
    finally:
        pool.join()
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
