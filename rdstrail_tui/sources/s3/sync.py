"""The S3 sync's pipeline: day prefixes listed a few ahead, objects downloaded by a bounded
pool of threads, decoded and inserted, cursors moved over what is committed.

One event loop on the calling thread: lister threads list day prefixes, `threads` download
threads fetch objects, and the loop hands them on and moves the cursors. The Cache,
on_progress and should_stop are only used on the calling thread. At most `threads * 2`
objects are between the start of their download and the end of their decoding at any time,
whatever the size of the bucket. A small sync decodes on the download threads and inserts
on the calling thread, in batches; a large one hands decoding and inserts to decoder
processes (see decoders.py).
"""

from __future__ import annotations

import queue
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import botocore.exceptions
from botocore.config import Config

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import PARALLEL_MIN_BYTES
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import worker_count
from rdstrail_tui.model.event import Event
from rdstrail_tui.sources.aws import error_code, make_session
from rdstrail_tui.sources.s3.bucket_reader import BucketReader
from rdstrail_tui.sources.s3.days import Day, DayCursor, Listing
from rdstrail_tui.sources.s3.decoders import (
    Commits,
    Decoded,
    DecoderPool,
    Decodes,
    decode_object,
)
from rdstrail_tui.sources.s3.errors import describe_s3_error, is_fatal
from rdstrail_tui.sources.s3.layout import Place, TrailLayout, parse_s3_url
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    StopCheck,
    SyncError,
    SyncSummary,
)

DEFAULT_DAYS = 7
# A file is delivered minutes after its events: one of the last hour may sit in the next
# day's folder.
LATE_DELIVERY = timedelta(hours=1)
LIST_THREADS = 4
LIST_AHEAD = 16  # day prefixes being listed at once
READY_MAX = 4096  # keys listed and waiting for a download thread
# Decoding in worker processes, a few objects per task.
DECODE_BATCH_BYTES = 1024 * 1024
# An insert batch: one transaction per account-region in it.
FLUSH_EVENTS = 10_000
FLUSH_OBJECTS = 256
FLUSH_SECONDS = 1.0
PROGRESS_SECONDS = 0.1
MAX_PROBLEMS = 200

_DEFAULT_SCOPE = Scope()


def sync_s3(
    cache: Cache,
    url: str,
    *,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    scope: Scope = _DEFAULT_SCOPE,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    threads: int = 16,
) -> SyncSummary:
    """Read the trail's log files of [since, until] (default: the last 7 days) under `url`
    into the cache, skipping the objects an earlier sync already read.

    Returns the summary: one RegionProgress per account-region found, and a line in
    `problems` for each prefix or object that could not be read (the rest was). Raises
    SyncError (one line) when nothing can be read: no credentials, refused credentials, no
    such bucket, another region, no trail under the URL. `on_progress` and `should_stop`
    are called on the calling thread only; should_stop() ends the sync with `interrupted`
    set, and KeyboardInterrupt is re-raised once the events already decoded are cached.
    Either way every committed object's cursor is saved and the next sync goes on from there.
    Naive datetimes are taken as UTC.
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
    bucket, prefix = parse_s3_url(url)
    until_utc = _utc(until) if until is not None else datetime.now(UTC)
    since_utc = _utc(since) if since is not None else until_utc - timedelta(days=DEFAULT_DAYS)
    if since_utc > until_utc:
        raise SyncError(
            f"s3://{bucket}/{prefix}: the window starts after it ends "
            f"({since_utc:%Y-%m-%d %H:%M} > {until_utc:%Y-%m-%d %H:%M} UTC)"
        )
    sync = _S3Sync(
        cache,
        bucket,
        prefix,
        accounts=accounts,
        regions=regions,
        first_day=since_utc.date(),
        last_day=(until_utc + LATE_DELIVERY).date(),
        profile=profile,
        endpoint_url=endpoint_url,
        scope=scope,
        on_progress=on_progress,
        should_stop=should_stop,
        threads=threads,
    )
    return sync.run()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(eq=False)
class _Object:
    day: Day
    index: int
    size: int

    @property
    def key(self) -> str:
        return self.day.keys[self.index]


@dataclass
class _Fetched:
    data: bytes | None = None  # to decode in a worker process
    decoded: Decoded | None = None  # decoded on the download thread
    error: BaseException | None = None
    requests: int = 0
    throttles: int = 0


# Messages from the threads and the decoders to the calling thread.
@dataclass
class _Listed:
    place: Place
    cursor: DayCursor
    listed_at: datetime
    listing: Listing


@dataclass
class _Downloaded:
    obj: _Object
    fetched: _Fetched


class _Fatal(Exception):
    """Nothing else in the bucket can be read; the message is the SyncError's."""


class _S3Sync:
    def __init__(
        self,
        cache: Cache,
        bucket: str,
        prefix: str,
        *,
        accounts: list[str] | None,
        regions: list[str] | None,
        first_day: date,
        last_day: date,
        profile: str | None,
        endpoint_url: str | None,
        scope: Scope,
        on_progress: ProgressCallback | None,
        should_stop: StopCheck | None,
        threads: int,
    ) -> None:
        self.cache = cache
        self.bucket = bucket
        self.prefix = prefix
        self.source = f"s3://{bucket}/{prefix}"
        self.accounts = accounts
        self.regions = regions
        self.first_day = first_day
        self.last_day = last_day
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.scope = scope
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.threads = threads
        self.limit = threads * 2
        self.decode_batch = max(1, self.limit // 4)
        self.summary = SyncSummary(source=self.source)
        self.places: list[Place] = []
        self.messages: queue.Queue[_Listed | _Downloaded | Decodes | Commits] = queue.Queue()
        self.ready: deque[_Object] = deque()
        self.listing = 0  # day prefixes being listed
        self.downloads: dict[_Object, Future[None]] = {}  # queued or running
        self.outstanding = 0  # objects between their download and their insert
        self.to_decode: list[tuple[_Object, bytes]] = []
        self.to_decode_bytes = 0
        self.batch: list[tuple[_Object, list[Event]]] = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        self.last_report = 0.0
        self.listed_bytes = 0  # of the objects to read: past a few MB, decoders start
        self.stopping = False
        self.fatal: str | None = None
        self.dropped_problems = 0
        self.decoders: DecoderPool | None = None
        self.batches: dict[int, list[_Object]] = {}  # sent to the decoders, not committed
        self.decoding: set[int] = set()  # of those, not decoded yet
        self.batch_numbers = 0
        self.client: Any = None
        self.reader: BucketReader | None = None
        # The day cursors as the sync starts: each day prefix is listed once per sync.
        self.cursors = cache.cursors(self.source)

    # -- running ---------------------------------------------------------------------

    def run(self) -> SyncSummary:
        session = make_session(self.profile)
        try:
            self.client = session.client(
                "s3",
                region_name=session.region_name,
                endpoint_url=self.endpoint_url,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 5},
                    max_pool_connections=self.threads + LIST_THREADS + 2,
                    user_agent_extra="rdstrail",
                    # S3-compatible servers (MinIO, SeaweedFS...) want the bucket in the path.
                    s3={"addressing_style": "path"} if self.endpoint_url else None,
                ),
            )
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise SyncError(f"{self.source}: {error}: check --endpoint-url") from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, self.source)) from None
        self.reader = BucketReader(self.client, self.bucket, session.get_credentials())
        listers = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="rdstrail-s3-list")
        fetchers = ThreadPoolExecutor(self.threads, thread_name_prefix="rdstrail-s3-get")
        clean = False
        try:
            layout = TrailLayout(
                self.client,
                self.bucket,
                self.prefix,
                accounts=self.accounts,
                regions=self.regions,
                first_day=self.first_day,
                last_day=self.last_day,
                summary=self.summary,
                problem=self._problem,
                describe=self._describe,
            )
            self.places = layout.discover(listers)
            # Discovery listed the bucket on this thread: GETs go where that listing went.
            self.reader.adopt()
            self._report(force=True)
            self._loop(layout, listers, fetchers)
            clean = True
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._stop()
            self._flush()
            raise
        finally:
            listers.shutdown(wait=clean, cancel_futures=True)
            fetchers.shutdown(wait=clean, cancel_futures=True)
            if self.decoders is not None:
                self.decoders.close(wait=clean)
            self.reader.close()
            self.summary.finished = time.monotonic()
            if self.dropped_problems:
                self.summary.problems.append(f"... and {self.dropped_problems} more problems")
            if self.places:
                self.cache.record_source(self.source, "s3", self.summary.events_new)
        self._report(force=True)
        if self.fatal is not None:
            raise SyncError(self.fatal)
        return self.summary

    # -- the event loop --------------------------------------------------------------

    def _loop(
        self, layout: TrailLayout, listers: ThreadPoolExecutor, fetchers: ThreadPoolExecutor
    ) -> None:
        units = layout.day_prefixes()
        more_units = True
        while True:
            if not self.stopping:
                while more_units and self.listing < LIST_AHEAD and len(self.ready) < READY_MAX:
                    unit = next(units, None)
                    if unit is None:
                        more_units = False
                        break
                    self._list_later(listers, *unit)
                while self.ready and self.outstanding < self.limit:
                    self._fetch_later(fetchers, self.ready.popleft())
                self._decode_later()
            idle = not self.listing and not self.outstanding and not self.batches
            if idle and (self.stopping or (not more_units and not self.ready)):
                break
            try:
                message = self.messages.get(timeout=PROGRESS_SECONDS)
            except queue.Empty:
                message = None
            while message is not None:
                self._receive(message)
                try:
                    message = self.messages.get_nowait()
                except queue.Empty:
                    message = None
            if self.batch and (
                self.batch_events >= FLUSH_EVENTS
                or len(self.batch) >= FLUSH_OBJECTS
                or time.monotonic() - self.last_flush >= FLUSH_SECONDS
            ):
                self._flush()
            self._report()
            if not self.stopping and self.should_stop is not None and self.should_stop():
                self.summary.interrupted = True
                self._stop()
        self._flush()
        if not self.stopping:
            for place in self.places:
                place.progress.done = not place.failed

    def _stop(self) -> None:
        """Start nothing more; what is queued is dropped (read again next time)."""
        self.stopping = True
        self.ready.clear()
        for obj, future in list(self.downloads.items()):
            if future.cancel():
                del self.downloads[obj]
                self.outstanding -= 1
        self.outstanding -= len(self.to_decode)
        self.to_decode = []
        self.to_decode_bytes = 0

    def _receive(self, message: _Listed | _Downloaded | Decodes | Commits) -> None:
        try:
            if isinstance(message, _Listed):
                self.listing -= 1
                if not self.stopping:
                    self._accept_listing(message)
            elif isinstance(message, _Downloaded):
                self.downloads.pop(message.obj, None)
                self._downloaded(message.obj, message.fetched)
            elif isinstance(message, Decodes):
                self._decodes(message)
            else:
                self._commits(message)
        except _Fatal as fatal:
            if self.fatal is None:
                self.fatal = str(fatal)
            if not self.stopping:
                self._stop()

    # -- listing ---------------------------------------------------------------------

    def _list_later(self, listers: ThreadPoolExecutor, place: Place, prefix: str) -> None:
        cursor = DayCursor.load(prefix, self.cursors.get(prefix))
        self.listing += 1
        listers.submit(self._list, place, cursor)

    def _list(self, place: Place, cursor: DayCursor) -> None:
        """List one day prefix (on a lister thread) and post the result."""
        assert self.reader is not None
        listed_at = datetime.now(UTC)
        listing = Listing()
        try:
            listing = self.reader.list_keys(cursor.prefix, cursor.start_after())
        finally:
            self.messages.put(_Listed(place, cursor, listed_at, listing))

    def _accept_listing(self, listed: _Listed) -> None:
        place, listing = listed.place, listed.listing
        place.progress.requests += listing.requests
        if listing.error is not None:
            where = f"s3://{self.bucket}/{listed.cursor.prefix}"
            self._raise_if_fatal(listing.error, where)
            place.failed = True
            place.progress.error = self._describe(listing.error, where)
            self._problem(place.progress.error)
            self._day_finished(place)
            return
        day = Day(place, listed.cursor.prefix, listed.cursor, listed.listed_at)
        for index, size in day.accept(listing):
            self.ready.append(_Object(day, index, size))
            self.listed_bytes += size
        self._advance(day)

    # -- downloading and decoding ----------------------------------------------------

    def _fetch_later(self, fetchers: ThreadPoolExecutor, obj: _Object) -> None:
        inline = not self._use_decoders()
        self.outstanding += 1
        self.downloads[obj] = fetchers.submit(self._fetch, obj, inline)

    def _use_decoders(self) -> bool:
        if self.decoders is not None:
            return self.decoders.alive
        if self.listed_bytes < PARALLEL_MIN_BYTES or worker_count() < 2:
            return False
        self.decoders = DecoderPool(worker_count(), self.cache.path, self.scope, self.messages.put)
        return True

    def _fetch(self, obj: _Object, inline: bool) -> None:
        """Download one object, decode it when `inline` (on a download thread), post it."""
        assert self.reader is not None
        fetched = _Fetched()
        try:
            data, fetched.requests, fetched.throttles = self.reader.get(obj.key)
            if inline:
                fetched.decoded = decode_object(self._url(obj.key), data, self.scope)
            else:
                fetched.data = data
        except Exception as error:
            fetched.requests = max(fetched.requests, 1)
            fetched.error = error
        finally:
            self.messages.put(_Downloaded(obj, fetched))

    def _downloaded(self, obj: _Object, fetched: _Fetched) -> None:
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

    def _decode_later(self) -> None:
        """Hand downloaded objects to the decoders: a batch when there is enough for one,
        or whatever is there when no download is running."""
        while self.to_decode and (
            len(self.to_decode) >= self.decode_batch
            or self.to_decode_bytes >= DECODE_BATCH_BYTES
            or not self.downloads
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

    def _decodes(self, answer: Decodes) -> None:
        """A batch is decoded: its objects' bytes are gone, so others may come."""
        objects = self.batches.get(answer.number)
        if objects is None or answer.number not in self.decoding:
            return
        self.decoding.discard(answer.number)
        self.outstanding -= len(objects)
        for obj, decoded in zip(objects, answer.results, strict=True):
            self._count(obj, decoded)

    def _commits(self, answer: Commits) -> None:
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

    def _fetch_failed(self, obj: _Object, error: BaseException) -> None:
        where = self._url(obj.key)
        self._raise_if_fatal(error, where)
        if error_code(error) == "NoSuchKey":
            # Deleted since the listing (a lifecycle rule): nothing left to read.
            self._problem(f"{where}: deleted before it could be read")
            self.batch.append((obj, []))
            return
        self._failed(obj, self._describe(error, where))

    def _failed(self, obj: _Object, line: str) -> None:
        """An object that may be readable next time: it holds its prefix's cursor."""
        obj.day.place.progress.error = line
        self._problem(line)
        obj.day.mark_failed()
        self._check_day(obj.day)

    def _decoded(self, obj: _Object, decoded: Decoded) -> None:
        """Decoded on this process: its events join the batch this thread inserts."""
        self._count(obj, decoded)
        self.batch.append((obj, decoded.events))
        self.batch_events += len(decoded.events)

    def _count(self, obj: _Object, decoded: Decoded) -> None:
        obj.day.place.progress.events_seen += decoded.result.kept
        for line in decoded.result.problems:
            self._problem(line)
        if decoded.error is not None:
            self._problem(decoded.error)

    # -- committing ------------------------------------------------------------------

    def _flush(self) -> None:
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

    def _committed(self, objects: list[_Object]) -> None:
        """These objects' events are in the cache: move their prefixes' cursors."""
        days: dict[int, Day] = {}
        for obj in objects:
            obj.day.mark_done(obj.index)
            days[id(obj.day)] = obj.day
        for day in days.values():
            self._advance(day)

    def _advance(self, day: Day) -> None:
        value = day.advance()
        if value is not None:
            self.cache.set_cursor(self.source, day.prefix, value)
        self._check_day(day)

    def _check_day(self, day: Day) -> None:
        if day.finish():
            self._day_finished(day.place)

    def _day_finished(self, place: Place) -> None:
        place.days_finished += 1
        if place.days_finished >= place.days_total and not place.failed:
            place.progress.done = True

    # -- reporting -------------------------------------------------------------------

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _problem(self, line: str) -> None:
        if len(self.summary.problems) < MAX_PROBLEMS:
            self.summary.problems.append(line)
        else:
            self.dropped_problems += 1

    def _report(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_report >= PROGRESS_SECONDS:
            self.last_report = now
            self.on_progress(self.summary)

    def _raise_if_fatal(self, error: BaseException, where: str) -> None:
        if is_fatal(error):
            what = self.source if error_code(error) == "NoSuchBucket" else where
            raise _Fatal(self._describe(error, what))

    def _describe(self, error: BaseException, what: str) -> str:
        return describe_s3_error(error, what=what, profile=self.profile, bucket=self.bucket)
