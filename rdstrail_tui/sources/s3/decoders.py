"""Decoding a trail's objects, on a download thread or in decoder processes that also
insert their events.

A small sync decodes on its download threads. Once a few megabytes are due, decoder
processes start (one per core, as for `rdstrail load`): they decode small batches and insert
their events through connections of their own, many objects per transaction, and say which
batches are committed; only then does the sync move those objects' cursors. So downloads,
decoding and inserts run side by side instead of taking turns on one GIL.

This module is what the decoder processes import: it must not import boto3.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import queue
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.documents import ChunkResult, events_of
from rdstrail_tui.ingest.formats import InputError, Kind, decode_bytes
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import spawning_without_sigint, stderr_with_a_descriptor
from rdstrail_tui.model.event import Event

# A decoder commits after this many objects, or when no work came for COMMIT_WAIT seconds.
COMMIT_OBJECTS = 128
COMMIT_WAIT = 0.02


@dataclass
class Decoded:
    events: list[Event]
    result: ChunkResult
    error: str | None = None  # the whole object could not be read


def decode_object(name: str, data: bytes, scope: Scope) -> Decoded:
    """The in-scope events of one object. Runs in worker processes: touches nothing but
    its arguments."""
    result = ChunkResult(files=1)
    try:
        document = decode_bytes(data)
        if document.kind is Kind.DIGEST:
            result.digests += 1
            return Decoded([], result)
        events = list(events_of(document, name, scope, result))
    except InputError as error:
        result.bad_files += 1
        return Decoded([], result, f"{name}: {error}")
    except Exception as error:  # something odd enough to upset a decoder: a line, no trace
        result.bad_files += 1
        return Decoded([], result, f"{name}: cannot decode ({type(error).__name__}: {error})")
    return Decoded(events, result)


@dataclass
class Decodes:
    """A decoder decoded batch `number` (its events wait in the decoder for a commit)."""

    number: int
    results: list[Decoded]


@dataclass
class Commits:
    """A decoder inserted the events of these batches; `new` per group (account-region).
    `error` when it could not: the batches are then not cached."""

    numbers: list[int]
    new: dict[int, int] = field(default_factory=dict)
    error: str | None = None


def decoder_main(connection: Connection, cache_path: str, scope: Scope) -> None:
    """A decoder process. In: batches (number, [(group, name, data)]), then None. Out: a
    Decodes for each batch as soon as it is decoded (its bytes are freed), and a Commits
    once its events are in the cache: the caller moves cursors only on that. Events wait
    for COMMIT_OBJECTS objects, or for a pause in the work, so that a transaction holds
    many objects: commits, not inserts, are what many writers pay for."""
    # The parent alone handles Ctrl-C; it then terminates the decoders.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cache = Cache.open(Path(cache_path), create=False)
    except Exception:  # the parent sees the pipe close: its batches are read again later
        return
    with cache:
        numbers: list[int] = []
        groups: dict[int, list[Event]] = {}
        objects = 0

        def commit() -> None:
            nonlocal numbers, groups, objects
            if not numbers:
                return
            done = Commits(numbers)
            try:
                for group, events in groups.items():
                    done.new[group] = cache.insert(events)
            except Exception as error:  # the cache refused (disk full...): say so, go on
                done.error = f"{type(error).__name__}: {error}"
            numbers, groups, objects = [], {}, 0
            connection.send(done)

        try:
            while True:
                if numbers and not connection.poll(0 if objects >= COMMIT_OBJECTS else COMMIT_WAIT):
                    commit()
                    continue
                task = connection.recv()
                if task is None:
                    commit()
                    return
                number, items = task
                results = []
                for group, name, data in items:
                    decoded = decode_object(name, data, scope)
                    groups.setdefault(group, []).extend(decoded.events)
                    decoded.events = []
                    results.append(decoded)
                del task, items
                numbers.append(number)
                objects += len(results)
                connection.send(Decodes(number, results))
        except (EOFError, OSError):
            return


_CLOSE = object()  # ends a DecoderPool sender thread


class DecoderPool:
    """Worker processes that decode objects and insert their events, each with its own
    connection to the cache, as `rdstrail load` does. One reader thread hands every answer
    to `post`; a process that dies fails its uncommitted batches (read again next time)."""

    def __init__(
        self,
        count: int,
        cache_path: Path,
        scope: Scope,
        post: Callable[[Decodes | Commits], None],
    ) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._pending: dict[Connection, set[int]] = {}  # sent, not committed
        self._decoding: dict[Connection, int] = {}  # sent, not decoded
        self._processes: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self._outboxes: dict[Connection, queue.SimpleQueue[Any]] = {}
        self._senders: list[threading.Thread] = []
        # spawn, not fork: this process runs threads, and forking them can deadlock.
        context = multiprocessing.get_context("spawn")
        with stderr_with_a_descriptor():
            for _ in range(count):
                parent, child = context.Pipe()
                process = context.Process(
                    target=decoder_main,
                    args=(child, str(cache_path), scope),
                    name="rdstrail-s3-decoder",
                    daemon=True,
                )
                with spawning_without_sigint():
                    process.start()
                child.close()
                self._pending[parent] = set()
                self._decoding[parent] = 0
                self._processes[parent] = process
                outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
                self._outboxes[parent] = outbox
                sender = threading.Thread(
                    target=self._send,
                    args=(parent, outbox),
                    name="rdstrail-s3-decode",
                    daemon=True,
                )
                sender.start()
                self._senders.append(sender)
        self._reader = threading.Thread(target=self._read, name="rdstrail-s3-decoded", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def submit(self, number: int, items: list[tuple[int, str, bytes]]) -> bool:
        """Queue a batch for the least busy process; False when none is left. A sender
        thread per process writes it: a pipe holds less than a batch, and the caller must
        not wait for a busy decoder to read."""
        with self._lock:
            if not self._pending:
                return False
            connection = min(self._decoding, key=self._decoding.__getitem__)
            self._pending[connection].add(number)
            self._decoding[connection] += 1
            self._outboxes[connection].put((number, items))
        return True

    def _send(self, connection: Connection, outbox: queue.SimpleQueue[Any]) -> None:
        while True:
            task = outbox.get()
            if task is _CLOSE:
                return
            try:
                connection.send(task)
            except (OSError, ValueError):
                self._lost(connection)
                return

    def _read(self) -> None:
        while True:
            with self._lock:
                connections = list(self._pending)
            if not connections:
                return
            try:
                ready = multiprocessing.connection.wait(connections, timeout=0.5)
            except (OSError, ValueError):  # closed meanwhile by close()
                continue
            for connection in ready:
                assert isinstance(connection, Connection)
                with self._lock:
                    if connection not in self._pending:
                        continue
                try:
                    answer = connection.recv()
                except (EOFError, OSError, ValueError):
                    self._lost(connection)
                    continue
                with self._lock:
                    if isinstance(answer, Decodes) and connection in self._decoding:
                        self._decoding[connection] -= 1
                    elif isinstance(answer, Commits):
                        self._pending.get(connection, set()).difference_update(answer.numbers)
                self._post(answer)

    def _lost(self, connection: Connection) -> None:
        with self._lock:
            numbers = self._pending.pop(connection, None)
            self._decoding.pop(connection, None)
            process = self._processes.pop(connection, None)
        if numbers is None:
            return
        if process is not None:
            process.join(timeout=0.1)
        if numbers:
            self._post(Commits(sorted(numbers), error="a decoder process died"))

    def close(self, *, wait: bool) -> None:
        with self._lock:
            connections = list(self._processes.items())
            self._pending.clear()
            self._decoding.clear()
            self._processes.clear()
            for outbox in self._outboxes.values():
                if wait:
                    outbox.put(None)  # the decoder's end of work, after what is queued
                outbox.put(_CLOSE)
        for sender in self._senders:
            sender.join(timeout=10 if wait else 0.1)
        for connection, process in connections:
            if wait:
                process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            with contextlib.suppress(OSError):
                connection.close()
