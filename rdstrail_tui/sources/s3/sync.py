"""The S3 sync's pipeline: day prefixes listed a few ahead, objects downloaded by a bounded
pool of threads, decoded and inserted, cursors moved over what is committed.

One event loop on the calling thread: lister threads list day prefixes, `threads` download
threads fetch objects, and the loop hands them on and moves the cursors. The Cache,
on_progress and should_stop are only used on the calling thread. At most `threads * 2`
objects are between the start of their download and the end of their decoding at any time,
whatever the size of the bucket. A small sync decodes on the download threads and inserts
on the calling thread, in batches; a large one hands decoding and inserts to decoder
processes (see decoders.py). What becomes of a downloaded object until its day cursor moves
is committing.py's.

Over 400 lines as one job: the loop, the lister and download threads it feeds and the stop
share the state that bounds the pipeline (prefixes being listed, keys ready, downloads).
"""

from __future__ import annotations

import queue
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Union

import boto3
import botocore.exceptions
from botocore.config import Config

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import PARALLEL_MIN_BYTES
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import worker_count
from rdstrail_tui.sources.aws import error_code, make_session
from rdstrail_tui.sources.s3.bucket_reader import BucketReader
from rdstrail_tui.sources.s3.committing import Committer, Fetched, LogObject
from rdstrail_tui.sources.s3.days import Day, DayCursor, Listing
from rdstrail_tui.sources.s3.decoders import Commits, DecoderPool, Decodes, decode_object
from rdstrail_tui.sources.s3.errors import describe_s3_error, is_fatal
from rdstrail_tui.sources.s3.layout import Place, TrailLayout, parse_s3_url
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    StopCheck,
    SyncError,
    SyncSummary,
    counted,
)

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_s3 import S3Client

DEFAULT_DAYS = 7
# A file is delivered minutes after its events: one of the last hour may sit in the next
# day's folder.
LATE_DELIVERY = timedelta(hours=1)
LIST_THREADS = 4
LIST_AHEAD = 16  # day prefixes being listed at once
READY_MAX = 4096  # keys listed and waiting for a download thread
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
    until_utc = _utc(until) if until is not None else datetime.now(timezone.utc)
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
    return (
        value.replace(tzinfo=timezone.utc)
        if value.tzinfo is None
        else value.astimezone(timezone.utc)
    )


# Messages from the threads and the decoders to the calling thread.
@dataclass
class _Listed:
    place: Place
    cursor: DayCursor
    listed_at: datetime
    listing: Listing


@dataclass
class _Downloaded:
    obj: LogObject
    fetched: Fetched


# Evaluated at run time: Union, not `|`, so that Python 3.9 can import the module.
_Message = Union[_Listed, _Downloaded, Decodes, Commits]


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
        self.summary = SyncSummary(source=self.source)
        self.places: list[Place] = []
        self.messages: queue.Queue[_Message] = queue.Queue()
        self.ready: deque[LogObject] = deque()
        self.listing = 0  # day prefixes being listed
        self.downloads: dict[LogObject, Future[None]] = {}  # queued or running
        self.committer = Committer(
            cache,
            self.source,
            bucket,
            scope,
            decode_batch=max(1, self.limit // 4),
            problem=self._problem,
            describe=self._describe,
            raise_if_fatal=self._raise_if_fatal,
        )
        self.last_report = 0.0
        self.listed_bytes = 0  # of the objects to read: past a few MB, decoders start
        self.stopping = False
        self.fatal: str | None = None
        self.dropped_problems = 0
        self.reader: BucketReader | None = None
        # The day cursors as the sync starts: each day prefix is listed once per sync.
        self.cursors = cache.cursors(self.source)

    # -- running ---------------------------------------------------------------------

    def run(self) -> SyncSummary:
        session = make_session(self.profile)
        client = self._client(session)
        self.reader = BucketReader(client, self.bucket, session.get_credentials())
        listers = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="rdstrail-s3-list")
        fetchers = ThreadPoolExecutor(self.threads, thread_name_prefix="rdstrail-s3-get")
        clean = False
        try:
            layout = TrailLayout(
                client,
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
            self.committer.places = self.places
            # Discovery listed the bucket on this thread: GETs go where that listing went.
            self.reader.adopt()
            self._report(force=True)
            self._loop(layout, listers, fetchers)
            clean = True
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._stop()
            self.committer.flush()
            raise
        finally:
            listers.shutdown(wait=clean, cancel_futures=True)
            fetchers.shutdown(wait=clean, cancel_futures=True)
            self.committer.close(wait=clean)
            self.reader.close()
            self.summary.finished = time.monotonic()
            if self.dropped_problems:
                more = counted(self.dropped_problems, "more problem")
                self.summary.problems.append(f"... and {more}")
            if self.places:
                self.cache.record_source(self.source, "s3", self.summary.events_new)
        self._report(force=True)
        if self.fatal is not None:
            raise SyncError(self.fatal)
        return self.summary

    def _client(self, session: boto3.Session) -> S3Client:
        try:
            return session.client(
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

    # -- the event loop --------------------------------------------------------------

    def _loop(
        self, layout: TrailLayout, listers: ThreadPoolExecutor, fetchers: ThreadPoolExecutor
    ) -> None:
        units = layout.day_prefixes()
        more_units = True
        while True:
            if not self.stopping:
                if more_units:
                    more_units = self._list_ahead(listers, units)
                while self.ready and self.committer.outstanding < self.limit:
                    self._fetch_later(fetchers, self.ready.popleft())
                self.committer.decode_later(downloading=bool(self.downloads))
            idle = (
                not self.listing and not self.committer.outstanding and not self.committer.batches
            )
            if idle and (self.stopping or (not more_units and not self.ready)):
                break
            self._receive_waiting()
            if self.committer.flush_due():
                self.committer.flush()
            self._report()
            if not self.stopping and self.should_stop is not None and self.should_stop():
                self.summary.interrupted = True
                self._stop()
        self.committer.flush()
        if not self.stopping:
            for place in self.places:
                place.progress.done = not place.failed

    def _list_ahead(self, listers: ThreadPoolExecutor, units: Iterator[tuple[Place, str]]) -> bool:
        """Start listing day prefixes, up to LIST_AHEAD at once and while few keys wait for a
        download; False once every day prefix has been started."""
        while self.listing < LIST_AHEAD and len(self.ready) < READY_MAX:
            unit = next(units, None)
            if unit is None:
                return False
            self._list_later(listers, *unit)
        return True

    def _receive_waiting(self) -> None:
        """The messages that come within PROGRESS_SECONDS, and all that wait with them."""
        try:
            message = self.messages.get(timeout=PROGRESS_SECONDS)
        except queue.Empty:
            return
        while True:
            self._receive(message)
            try:
                message = self.messages.get_nowait()
            except queue.Empty:
                return

    def _stop(self) -> None:
        """Start nothing more; what is queued is dropped (read again next time)."""
        self.stopping = True
        self.ready.clear()
        for obj, future in list(self.downloads.items()):
            if future.cancel():
                del self.downloads[obj]
                self.committer.outstanding -= 1
        self.committer.stop()

    def _receive(self, message: _Message) -> None:
        try:
            if isinstance(message, _Listed):
                self.listing -= 1
                if not self.stopping:
                    self._accept_listing(message)
            elif isinstance(message, _Downloaded):
                self.downloads.pop(message.obj, None)
                self.committer.downloaded(message.obj, message.fetched)
            elif isinstance(message, Decodes):
                self.committer.decodes(message)
            else:
                self.committer.commits(message)
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
        listed_at = datetime.now(timezone.utc)
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
            self.committer.day_finished(place)
            return
        day = Day(place, listed.cursor.prefix, listed.cursor, listed.listed_at)
        for index, size in day.accept(listing):
            self.ready.append(LogObject(day, index, size))
            self.listed_bytes += size
        self.committer.advance(day)

    # -- downloading -----------------------------------------------------------------

    def _fetch_later(self, fetchers: ThreadPoolExecutor, obj: LogObject) -> None:
        inline = not self._use_decoders()
        self.committer.outstanding += 1
        self.downloads[obj] = fetchers.submit(self._fetch, obj, inline)

    def _use_decoders(self) -> bool:
        if self.committer.decoders is not None:
            return self.committer.decoders.alive
        if self.listed_bytes < PARALLEL_MIN_BYTES or worker_count() < 2:
            return False
        self.committer.decoders = DecoderPool(
            worker_count(), self.cache.path, self.scope, self.messages.put
        )
        return True

    def _fetch(self, obj: LogObject, inline: bool) -> None:
        """Download one object, decode it when `inline` (on a download thread), post it."""
        assert self.reader is not None
        fetched = Fetched()
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
