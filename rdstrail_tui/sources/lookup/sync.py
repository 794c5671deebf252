"""`sync_lookup`: the events of the last 90 days from CloudTrail LookupEvents (the account's
Event history), per account and region, synced incrementally into the cache.

Threads. Each region gets its own worker thread (worker.py), client and rate limiter
(limiter.py). Workers only talk to AWS and parse pages; they hand each page to the calling
thread through a queue, and the calling thread does everything else: it inserts the page (one
transaction per page), advances the region's cursor (cursor.py), updates the SyncSummary,
calls `on_progress` and `should_stop`, and stores the limiters' pace. So the Cache (not
thread-safe) is used by the calling thread only, callbacks never run on a worker thread, and
Ctrl-C (which Python delivers to the main thread) is handled in one place.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.parsers import ResponseParserError

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.sources.aws import describe_aws_error, error_code, make_client, make_session
from rdstrail_tui.sources.lookup.cursor import CURSOR_SOURCE, Cursor, cursor_key
from rdstrail_tui.sources.lookup.limiter import Pace, limiter_key, shared_limiter
from rdstrail_tui.sources.lookup.plan import plan_windows
from rdstrail_tui.sources.lookup.worker import Done, Message, Page, Worker
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    RegionProgress,
    StopCheck,
    SyncError,
    SyncSummary,
    counted,
)

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_cloudtrail import CloudTrailClient

# After Ctrl-C, how long the calling thread waits for pages already on their way.
DRAIN_SECONDS = 5.0


@dataclass
class _Region:
    name: str
    key: str
    cursor: Cursor
    progress: RegionProgress
    worker: Worker
    thread: threading.Thread
    pace: Pace
    finished: bool = False
    error: BaseException | None = None


def _describe(error: BaseException, *, what: str, profile: str | None) -> str:
    """describe_aws_error, kept to one line whatever the error's text holds."""
    if isinstance(error, ResponseParserError):
        return (
            f"{what}: the endpoint's answer is not CloudTrail's: check --endpoint-url and --region"
        )
    return " ".join(describe_aws_error(error, what=what, profile=profile).split())


def _caller_account(session: boto3.Session, region: str, endpoint_url: str | None) -> str | None:
    """The account the credentials belong to, or None when STS cannot say. Never raises
    (an endpoint that is no STS may answer anything): a credential problem surfaces from
    LookupEvents with its own message."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 1},  # one retry
        connect_timeout=5,
        read_timeout=10,
        user_agent_extra="rdstrail",
    )
    try:
        client = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=config)
        account = client.get_caller_identity().get("Account")
    except Exception:
        return None
    return account if isinstance(account, str) and account else None


def sync_lookup(
    cache: Cache,
    *,
    regions: list[str],
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    event_source: str = RDS_EVENT_SOURCE,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    rate_per_second: float = 2.0,
) -> SyncSummary:
    """Fetch the events of `event_source` from LookupEvents in each region (concurrently,
    each within `rate_per_second`) into the cache.

    Returns the summary; a region that failed has its `error` set and a line in `problems`,
    and the others go on. Raises SyncError (one line) when no region could fetch anything
    because of the same kind of failure (credentials, access, endpoint). `should_stop` and
    `on_progress` are called on the calling thread only; should_stop() ends the sync with
    `interrupted` set, KeyboardInterrupt is re-raised once the pages already received are
    cached. Either way the next sync fetches what is missing.
    """
    if not regions:
        raise SyncError("LookupEvents: no region given: pass --region")
    if not rate_per_second > 0:
        raise ValueError("rate_per_second must be positive")
    sync = _LookupSync(
        cache,
        names=list(dict.fromkeys(regions)),
        since=since,
        until=until,
        profile=profile,
        endpoint_url=endpoint_url,
        event_source=event_source,
        on_progress=on_progress,
        should_stop=should_stop,
        rate_per_second=rate_per_second,
    )
    return sync.run()


class _LookupSync:
    """One sync of the regions `names`: their windows planned, a worker started for each,
    and what the workers post turned into inserts, cursors and progress on this thread."""

    def __init__(
        self,
        cache: Cache,
        *,
        names: list[str],
        since: datetime | None,
        until: datetime | None,
        profile: str | None,
        endpoint_url: str | None,
        event_source: str,
        on_progress: ProgressCallback | None,
        should_stop: StopCheck | None,
        rate_per_second: float,
    ) -> None:
        self.cache = cache
        self.names = names
        self.since = since
        self.until = until
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.event_source = event_source
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.rate_per_second = rate_per_second
        self.summary = SyncSummary(source=CURSOR_SOURCE)
        self.stop = threading.Event()
        self.out: queue.Queue[Message] = queue.Queue()
        self.states: dict[str, _Region] = {}
        # Regions whose page was being cached when Ctrl-C came: that page may be lost, so
        # their later pages are dropped too, or the cursor would claim what the cache lacks.
        self.broken: set[str] = set()
        self.in_hand: Message | None = None

    # -- running -------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        self._plan()
        self._report()
        self._start_workers()
        try:
            self._loop()
        except KeyboardInterrupt:
            self._drain()
            raise
        finally:
            self._finish()
        for state in self.states.values():
            state.thread.join(timeout=1.0)
        failed = self._failed()
        if failed and len(failed) == len(self.states) and not self._fetched():
            raise SyncError(_all_failed(failed, self.profile))
        return self.summary

    # -- planning ------------------------------------------------------------------------

    def _plan(self) -> None:
        """Each region's cursor, windows, client, limiter and worker (not started yet)."""
        session = make_session(self.profile)
        account = _caller_account(session, self.names[0], self.endpoint_url)
        now = int(time.time())
        notes: dict[str, None] = {}  # the same note for every region: said once
        for name in self.names:
            key = cursor_key(
                name,
                account=account,
                profile=self.profile,
                endpoint_url=self.endpoint_url,
                event_source=self.event_source,
            )
            cursor = Cursor.parse(self.cache.get_cursor(CURSOR_SOURCE, key))
            windows, region_notes = plan_windows(cursor, now, self.since, self.until)
            notes.update(dict.fromkeys(region_notes))
            client = self._client(session, name)
            self.states[name] = self._region(name, key, cursor, windows, client, account)
        self.summary.problems.extend(notes)

    def _client(self, session: boto3.Session, name: str) -> CloudTrailClient:
        try:
            return make_client(
                session, "cloudtrail", name, self.endpoint_url, max_attempts=0, pool_size=2
            )
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise SyncError(
                f"LookupEvents in {name}: {error}: check --endpoint-url and --region"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(
                _describe(error, what=f"LookupEvents in {name}", profile=self.profile)
            ) from None

    def _region(
        self,
        name: str,
        key: str,
        cursor: Cursor,
        windows: list[tuple[int, int]],
        client: CloudTrailClient,
        account: str | None,
    ) -> _Region:
        place = limiter_key(
            name, account=account, profile=self.profile, endpoint_url=self.endpoint_url
        )
        limiter = shared_limiter(place, self.rate_per_second)
        # A new process's limiter knows nothing of the requests the last one sent.
        pace = Pace(self.cache, place, limiter)
        pace.resume()
        worker = Worker(name, client, windows, self.event_source, limiter, self.out, self.stop)
        thread = threading.Thread(target=worker.run, name=f"rdstrail-lookup-{name}", daemon=True)
        return _Region(
            name=name,
            key=key,
            cursor=cursor,
            progress=self.summary.region(name, account or ""),
            worker=worker,
            thread=thread,
            pace=pace,
        )

    # -- the message loop ----------------------------------------------------------------

    def _start_workers(self) -> None:
        for state in self.states.values():
            state.thread.start()

    def _loop(self) -> None:
        while self._pending():
            self._receive()
            if self.should_stop is not None and not self.stop.is_set() and self.should_stop():
                self.summary.interrupted = True
                self.stop.set()  # workers end after the request in flight; its page is kept

    def _drain(self) -> None:
        """After Ctrl-C: the pages already on their way are cached, for a while."""
        self.summary.interrupted = True
        self.stop.set()
        if isinstance(self.in_hand, Page):
            self.broken.add(self.in_hand.region)
        deadline = time.monotonic() + DRAIN_SECONDS
        while self._pending() and time.monotonic() < deadline:
            self._receive()

    def _receive(self) -> None:
        try:
            message = self.out.get(timeout=0.1)
        except queue.Empty:
            return
        self.in_hand = message
        self._handle(message)
        self.in_hand = None

    def _pending(self) -> bool:
        return any(not state.finished for state in self.states.values())

    def _handle(self, message: Message) -> None:
        state = self.states[message.region]
        state.progress.requests = message.requests
        state.progress.throttles = message.throttles
        if isinstance(message, Page):
            if message.region not in self.broken:
                self._page(state, message)
        elif isinstance(message, Done):
            self._done(state, message)
        self._report()

    # -- a page ----------------------------------------------------------------------------

    def _page(self, state: _Region, page: Page) -> None:
        """One transaction for the page's events, then the cursor moved over them."""
        new = self.cache.insert(page.events)
        self._write_cursor(state, page)
        progress = state.progress
        progress.pages += 1
        progress.events_seen += page.seen
        progress.events_new += new
        if not progress.account and page.events:
            progress.account = page.events[0].account
        self.summary.problems.extend(page.problems)

    def _write_cursor(self, state: _Region, page: Page) -> None:
        newest = max((e.event_time for e in page.events), default=None)
        state.cursor.page_done(page.window, complete=page.last, reached=page.oldest, newest=newest)
        if not state.cursor.account and page.events:
            state.cursor.account = page.events[0].account
        self.cache.set_cursor(CURSOR_SOURCE, state.key, state.cursor.dump())

    # -- a worker's end --------------------------------------------------------------------

    def _done(self, state: _Region, done: Done) -> None:
        state.finished = True
        state.pace.save()
        if done.error is not None:
            state.error = done.error
            line = _describe(done.error, what=f"LookupEvents in {state.name}", profile=self.profile)
            state.progress.error = line
            self.summary.problems.append(line)
        elif not done.stopped:
            state.progress.done = True

    # -- finishing -------------------------------------------------------------------------

    def _finish(self) -> None:
        """Stop the workers, store the limiters' pace, and record the source when anything
        could be fetched."""
        self.stop.set()
        # After stop.set() no limiter lets another request go: this is the last one sent.
        for state in self.states.values():
            state.pace.save()
        self.summary.finished = time.monotonic()
        if self._fetched() or len(self._failed()) < len(self.states):
            source = f"lookup:{','.join(self.names)}"
            self.cache.record_source(source, "lookup", self.summary.events_new)

    def _failed(self) -> list[_Region]:
        return [state for state in self.states.values() if state.error is not None]

    def _fetched(self) -> bool:
        return any(state.progress.pages for state in self.states.values())

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.summary)


def _all_failed(failed: list[_Region], profile: str | None) -> str:
    """One line for every region failing before any page: the regions named together when
    they failed the same way, else the first region's failure."""
    first = failed[0].error
    assert first is not None
    kinds = {(type(s.error), error_code(s.error)) for s in failed if s.error is not None}
    if len(kinds) == 1:
        what = f"LookupEvents in {', '.join(s.name for s in failed)}"
        return _describe(first, what=what, profile=profile)
    line = _describe(first, what=f"LookupEvents in {failed[0].name}", profile=profile)
    others = counted(len(failed) - 1, "other region")
    return f"{line} (the {others} failed too)"
