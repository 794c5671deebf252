"""The S3 sync's objects from their download to their commit: decoded on the download thread
and inserted here in batches, or handed in batches to the decoder processes, which insert
them; then the day cursors moved over what is committed (days.py says when they may move).

Calling thread only, like the rest of the sync's bookkeeping (sync.py runs the threads and
the loop that feeds this). `outstanding` counts the objects between the start of their
download and the end of their decoding: the sync starts a download only while it is below
`threads * 2`, which bounds the bytes held whatever the size of the bucket.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event
from rdstrail_tui.sources.aws import error_code
from rdstrail_tui.sources.s3.days import Day
from rdstrail_tui.sources.s3.decoders import (
    Commits,
    Decoded,
    DecoderPool,
    Decodes,
    decode_object,
)
from rdstrail_tui.sources.s3.layout import Place

# Decoding in worker processes, a few objects per task.
DECODE_BATCH_BYTES = 1024 * 1024
# An insert batch: one transaction per account-region in it.
FLUSH_EVENTS = 10_000
FLUSH_OBJECTS = 256
FLUSH_SECONDS = 1.0


@dataclass(eq=False)
class LogObject:
    """A log file to read: the `index`th key of its day prefix's listing."""

    day: Day
    index: int
    size: int

    @property
    def key(self) -> str:
        return self.day.keys[self.index]


@dataclass
class Fetched:
    """What a download thread made of one object."""

    data: bytes | None = None  # to decode in a worker process
    decoded: Decoded | None = None  # decoded on the download thread
    error: BaseException | None = None
    requests: int = 0
    throttles: int = 0


class Committer:
    """Takes each downloaded object to the cache and its day cursor. A failure is a
    `problem` line; one that ends the sync is raised by `raise_if_fatal`."""

    def __init__(
        self,
        cache: Cache,
        source: str,
        bucket: str,
        scope: Scope,
        *,
        decode_batch: int,
        problem: Callable[[str], None],
        describe: Callable[[BaseException, str], str],
        raise_if_fatal: Callable[[BaseException, str], None],
    ) -> None:
        self.cache = cache
        self.source = source
        self.bucket = bucket
        self.scope = scope
        self.decode_batch = decode_batch
        self.problem = problem
        self.describe = describe
        self.raise_if_fatal = raise_if_fatal
        self.places: list[Place] = []  # once discovered: the decoders name them by index
        self.outstanding = 0  # downloading, or downloaded and not yet decoded
        self.stopping = False
        self.decoders: DecoderPool | None = None  # started by the sync when it is large
        self.to_decode: list[tuple[LogObject, bytes]] = []
        self.to_decode_bytes = 0
        self.batches: dict[int, list[LogObject]] = {}  # sent to the decoders, not committed
        self.decoding: set[int] = set()  # of those, not decoded yet
        self.batch_numbers = 0
        self.batch: list[tuple[LogObject, list[Event]]] = []
        self.batch_events = 0
        self.last_flush = time.monotonic()

    def stop(self) -> None:
        """Hand nothing more to the decoders: what waits for them is read again next time."""
        self.stopping = True
        self.outstanding -= len(self.to_decode)
        self.to_decode = []
        self.to_decode_bytes = 0

    def close(self, *, wait: bool) -> None:
        if self.decoders is not None:
            self.decoders.close(wait=wait)

    # -- downloaded ------------------------------------------------------------------

    def downloaded(self, obj: LogObject, fetched: Fetched) -> None:
        progress = obj.day.place.progress
        progress.requests += fetched.requests
        progress.throttles += fetched.throttles
        if fetched.error is not None:
            self.outstanding -= 1
            self._fetch_failed(obj, fetched.error)
            return
        progress.objects += 1
        if fetched.decoded is not None:
            self.outstanding -= 1
            self._decoded(obj, fetched.decoded)
        elif fetched.data is not None and not self.stopping:
            self.to_decode.append((obj, fetched.data))
            self.to_decode_bytes += len(fetched.data)
        else:
            self.outstanding -= 1  # stopping: read again next time

    def _fetch_failed(self, obj: LogObject, error: BaseException) -> None:
        where = self._url(obj.key)
        self.raise_if_fatal(error, where)
        if error_code(error) == "NoSuchKey":
            # Deleted since the listing (a lifecycle rule): nothing left to read.
            self.problem(f"{where}: deleted before it could be read")
            self.batch.append((obj, []))
            return
        self._failed(obj, self.describe(error, where))

    def _failed(self, obj: LogObject, line: str) -> None:
        """An object that may be readable next time: it holds its prefix's cursor."""
        obj.day.place.progress.error = line
        self.problem(line)
        obj.day.mark_failed()
        self._check_day(obj.day)

    def _decoded(self, obj: LogObject, decoded: Decoded) -> None:
        """Decoded on this process: its events join the batch this thread inserts."""
        self._count(obj, decoded)
        self.batch.append((obj, decoded.events))
        self.batch_events += len(decoded.events)

    def _count(self, obj: LogObject, decoded: Decoded) -> None:
        obj.day.place.progress.events_seen += decoded.result.kept
        for line in decoded.result.problems:
            self.problem(line)
        if decoded.error is not None:
            self.problem(decoded.error)

    # -- the decoder processes -------------------------------------------------------

    def decode_later(self, *, downloading: bool) -> None:
        """Hand downloaded objects to the decoders: a batch when there is enough for one,
        or whatever is there when no download is running."""
        while self.to_decode and (
            len(self.to_decode) >= self.decode_batch
            or self.to_decode_bytes >= DECODE_BATCH_BYTES
            or not downloading
        ):
            items, self.to_decode = (
                self.to_decode[: self.decode_batch],
                self.to_decode[self.decode_batch :],
            )
            self.to_decode_bytes -= sum(len(data) for _, data in items)
            number = self.batch_numbers
            self.batch_numbers += 1
            payload = [(obj.day.place.index, self._url(obj.key), data) for obj, data in items]
            if self.decoders is not None and self.decoders.submit(number, payload):
                self.batches[number] = [obj for obj, _ in items]
                self.decoding.add(number)
                continue
            for obj, data in items:  # no decoder process left: decode here
                self.outstanding -= 1
                self._decoded(obj, decode_object(self._url(obj.key), data, self.scope))

    def decodes(self, answer: Decodes) -> None:
        """A batch is decoded: its objects' bytes are gone, so others may come."""
        objects = self.batches.get(answer.number)
        if objects is None or answer.number not in self.decoding:
            return
        self.decoding.discard(answer.number)
        self.outstanding -= len(objects)
        for obj, decoded in zip(objects, answer.results):
            self._count(obj, decoded)

    def commits(self, answer: Commits) -> None:
        """A decoder process cached these batches (or could not)."""
        for index, new in answer.new.items():
            self.places[index].progress.events_new += new
        for number in answer.numbers:
            objects = self.batches.pop(number, None)
            if objects is None:
                continue
            if number in self.decoding:  # its decoder died first
                self.decoding.discard(number)
                self.outstanding -= len(objects)
            if answer.error is None:
                self._committed(objects)
                continue
            for obj in objects:
                self._failed(obj, f"{self._url(obj.key)}: not cached: {answer.error}")

    # -- committing ------------------------------------------------------------------

    def flush_due(self) -> bool:
        return bool(self.batch) and (
            self.batch_events >= FLUSH_EVENTS
            or len(self.batch) >= FLUSH_OBJECTS
            or time.monotonic() - self.last_flush >= FLUSH_SECONDS
        )

    def flush(self) -> None:
        """Insert the batch (a transaction per account-region), then move the cursors over
        the objects it holds."""
        if not self.batch:
            return
        groups: dict[int, tuple[Place, list[Event]]] = {}
        for obj, events in self.batch:
            if events:
                groups.setdefault(id(obj.day.place), (obj.day.place, []))[1].extend(events)
        for place, events in groups.values():
            place.progress.events_new += self.cache.insert(events)
        objects = [obj for obj, _ in self.batch]
        self.batch = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        self._committed(objects)

    def _committed(self, objects: list[LogObject]) -> None:
        """These objects' events are in the cache: move their prefixes' cursors."""
        days: dict[int, Day] = {}
        for obj in objects:
            obj.day.mark_done(obj.index)
            days[id(obj.day)] = obj.day
        for day in days.values():
            self.advance(day)

    def advance(self, day: Day) -> None:
        value = day.advance()
        if value is not None:
            self.cache.set_cursor(self.source, day.prefix, value)
        self._check_day(day)

    def _check_day(self, day: Day) -> None:
        if day.finish():
            self.day_finished(day.place)

    def day_finished(self, place: Place) -> None:
        place.days_finished += 1
        if place.days_finished >= place.days_total and not place.failed:
            place.progress.done = True

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"
