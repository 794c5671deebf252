"""CloudTrail LookupEvents (the account's Event history) as a source: the RDS events of the
last 90 days, per account and region, synced incrementally into the cache.

Rate. The API allows 2 requests per second per account and region. Each region gets its own
thread, client and `RateLimiter`, which spaces that region's requests `1/rate` seconds apart
(plus a small margin for network jitter), so a normal sync meets no throttling. A throttle
that still comes (another tool sharing the budget) is retried with exponential backoff and
counted in RegionProgress.throttles; botocore's own retries are switched off
(max_attempts=0) so that every attempt passes the limiter and every throttle is seen. The
limiters live for the whole process, one per endpoint, account and region, so a sync
started right after another keeps the pace too.

Threads. Workers only talk to AWS and parse pages; they hand each page to the calling thread
through a queue, and the calling thread does everything else: it inserts the page (one
transaction per page), advances the cursor, updates the SyncSummary and calls `on_progress`
and `should_stop`. So the Cache (not thread-safe) is used by the calling thread only,
callbacks never run on a worker thread, and Ctrl-C (which Python delivers to the main
thread) is handled in one place.

Cursor. Source "lookup", key "<account>/<region>" with the account from
sts:GetCallerIdentity (one request per sync, which needs no permission). When STS cannot be
reached (a private bastion with no STS endpoint, an endpoint that only speaks CloudTrail),
the key falls back to "profile:<name or default>[@<endpoint-url>]/<region>". A non-RDS
event source appends "#<source>". The value is JSON:

    {"newest_event": T, "synced_to": T, "gaps": [[start, end], ...], "account": "..."}

newest_event is the newest eventTime cached by this cursor (AWS's clock), synced_to the end of
the newest window fetched (local clock), gaps the inclusive time ranges a pass started but did
not finish. Pages come newest first, so a pass over [start, end] that stops after a page
whose oldest event is at r has fetched (r, end] and leaves the gap [start, r] (r itself is
fetched again: events of the same second may continue on the next page). The cursor is
rewritten after each page's insert, so whether the sync ends by should_stop, Ctrl-C, a
network error or a killed process, the cache and cursor agree (at worst the last page is
fetched twice; the cache dedupes by eventID).

A sync with no since/until first completes the gaps, oldest first, then fetches from
min(newest_event, synced_to) minus OVERLAP_SECONDS (events show up in Event history minutes
late) up to now; with no cursor, from 90 days back. An explicit since and/or until fetches
exactly [since or 90 days back, until or now] instead, and also clears any gap it covers.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
import orjson
from botocore.config import Config
from botocore.paginate import TokenEncoder
from botocore.parsers import ResponseParserError

from rdstrail_tui.cache import Cache
from rdstrail_tui.model import RDS_EVENT_SOURCE, Event, event_from_record
from rdstrail_tui.sources.aws import describe_aws_error, error_code, make_client, make_session
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    RegionProgress,
    StopCheck,
    SyncError,
    SyncSummary,
)

__all__ = [
    "CURSOR_SOURCE",
    "OVERLAP_SECONDS",
    "PAGE_SIZE",
    "Cursor",
    "RateLimiter",
    "cursor_key",
    "sync_lookup",
]

CURSOR_SOURCE = "lookup"
PAGE_SIZE = 50  # LookupEvents' maximum MaxResults
RETENTION_SECONDS = 90 * 86400  # Event history keeps 90 days
# Stay a minute inside the 90 days: a StartTime outside "the range of possible values" is an
# InvalidTimeRangeException, and the local clock may be a little behind AWS's.
RETENTION_MARGIN_SECONDS = 60
# Events reach Event history minutes after the call: each sync re-reads this much.
OVERLAP_SECONDS = 600
# Added to 1/rate between two requests of a region: the server sees arrival times, which
# differ from our send times by the network's jitter.
RATE_MARGIN_SECONDS = 0.03

# Backoff after a throttle: base * 2^n seconds (n = throttles in a row), capped, with jitter.
THROTTLE_BACKOFF_BASE = 0.5
THROTTLE_BACKOFF_MAX = 20.0
# Throttled this many times in a row (about 4 minutes of backoff), a region gives up.
THROTTLE_MAX_IN_ROW = 20
# A network error or a 5xx is retried this many times in a row, then the region fails.
TRANSIENT_RETRIES = 4
TRANSIENT_BACKOFF_BASE = 0.5
# After Ctrl-C, how long the calling thread waits for pages already on their way.
DRAIN_SECONDS = 5.0

_THROTTLE_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "SlowDown",
    }
)
_TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServiceError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "PriorRequestNotComplete",
    }
)


# -- cursor ------------------------------------------------------------------------------


@dataclass
class Cursor:
    """What one account-region's earlier syncs fetched (see the module docstring)."""

    newest_event: int | None = None
    synced_to: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    account: str = ""

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        """A missing or unreadable value is no cursor: the sync starts over (and dedupes)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            newest = data.get("newest_event")
            synced = data.get("synced_to")
            gaps = [(int(a), int(b)) for a, b in data.get("gaps") or [] if int(a) <= int(b)]
            return cls(
                newest_event=None if newest is None else int(newest),
                synced_to=None if synced is None else int(synced),
                gaps=_merge(gaps),
                account=str(data.get("account") or ""),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dump(self) -> str:
        return json.dumps(
            {
                "newest_event": self.newest_event,
                "synced_to": self.synced_to,
                "gaps": [list(gap) for gap in self.gaps],
                "account": self.account,
            },
            separators=(",", ":"),
        )

    def expire(self, floor: int) -> None:
        """Forget the gaps, or their parts, older than Event history keeps."""
        self.gaps = [(max(a, floor), b) for a, b in self.gaps if b >= floor]

    def anchor(self) -> int | None:
        """Where the next incremental pass starts (before the overlap)."""
        known = [t for t in (self.newest_event, self.synced_to) if t is not None]
        return min(known) if known else None

    def page_done(
        self, window: tuple[int, int], *, complete: bool, reached: int | None, newest: int | None
    ) -> None:
        """A page of the pass over `window` is cached. `complete`: it was the last page;
        else `reached` is the oldest eventTime on it (None: an empty page, which proves
        nothing)."""
        start, end = window
        if not complete and reached is None:
            return
        gaps = _subtract(self.gaps, start, end)
        if not complete and reached is not None:
            gaps.append((start, max(start, min(reached, end))))
        self.gaps = _merge(gaps)
        self.synced_to = end if self.synced_to is None else max(self.synced_to, end)
        if newest is not None:
            self.newest_event = (
                newest if self.newest_event is None else max(self.newest_event, newest)
            )


def _subtract(gaps: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for a, b in gaps:
        if b < start or a > end:
            kept.append((a, b))
            continue
        if a < start:
            kept.append((a, start - 1))
        if b > end:
            kept.append((end + 1, b))
    return kept


def _merge(gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for a, b in sorted(gaps):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def cursor_key(
    region: str,
    *,
    account: str | None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    event_source: str = RDS_EVENT_SOURCE,
) -> str:
    """The sync_cursors key (source CURSOR_SOURCE) of one account-region."""
    if account:
        key = f"{account}/{region}"
    else:
        where = f"@{endpoint_url}" if endpoint_url else ""
        key = f"profile:{profile or 'default'}{where}/{region}"
    if event_source != RDS_EVENT_SOURCE:
        key += f"#{event_source}"
    return key


# -- rate ----------------------------------------------------------------------------------


class RateLimiter:
    """At most `rate` requests per second for one account-region: consecutive requests start
    at least 1/rate (+ RATE_MARGIN_SECONDS) apart on the monotonic clock. Each caller
    reserves its slot under a lock, then waits for it on `stop`, so the wait ends early when
    the sync is stopped."""

    def __init__(self, rate: float) -> None:
        self._lock = threading.Lock()
        self._next = float("-inf")
        self.interval = 0.0
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate_per_second must be positive")
        self.interval = 1.0 / rate + RATE_MARGIN_SECONDS

    def wait(self, stop: threading.Event) -> bool:
        """Block until the next request may go; False if `stop` is set first."""
        if stop.is_set():
            return False
        with self._lock:
            slot = max(time.monotonic(), self._next)
            self._next = slot + self.interval
        while (delay := slot - time.monotonic()) > 0:
            if stop.wait(delay):
                return False
        return not stop.is_set()


# One limiter per endpoint, account (or credentials) and region for the whole process: a sync
# started right after another (the explorer's sync key pressed twice) keeps the pace.
_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def _limiter(key: str, rate: float) -> RateLimiter:
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(rate)
        else:
            limiter.set_rate(rate)
        return limiter


# -- worker --------------------------------------------------------------------------------


@dataclass
class _Page:
    region: str
    window: tuple[int, int]
    events: list[Event]
    seen: int
    problems: list[str]
    oldest: int | None  # oldest EventTime on the page
    last: bool  # no NextToken: the window is complete
    requests: int
    throttles: int


@dataclass
class _Status:
    """Counters moved without a page (a throttle)."""

    region: str
    requests: int
    throttles: int


@dataclass
class _Done:
    region: str
    requests: int
    throttles: int
    error: BaseException | None = None
    stopped: bool = False


_Message = _Page | _Status | _Done


class _Stopped(Exception):
    pass


def _epoch(value: object) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    return None


def _is_throttle(error: BaseException) -> bool:
    return error_code(error) in _THROTTLE_CODES


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(error) in _TRANSIENT_CODES or (isinstance(status, int) and status >= 500)
    if isinstance(error, botocore.exceptions.SSLError | botocore.exceptions.ProxyConnectionError):
        return False
    return isinstance(
        error, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError
    )


def _is_connect_failure(error: BaseException) -> bool:
    return isinstance(
        error,
        botocore.exceptions.EndpointConnectionError | botocore.exceptions.ConnectTimeoutError,
    )


class _Worker:
    """Fetches one region's windows, newest page first, and posts every page."""

    def __init__(
        self,
        region: str,
        client: Any,
        windows: list[tuple[int, int]],
        event_source: str,
        limiter: RateLimiter,
        out: queue.Queue[_Message],
        stop: threading.Event,
    ) -> None:
        self.region = region
        self.client = client
        self.windows = windows
        self.event_source = event_source
        self.limiter = limiter
        self.out = out
        self.stop = stop
        self.requests = 0
        self.throttles = 0
        self.responded = False  # a first response came: the endpoint and credentials work
        self.random = random.Random()

    def run(self) -> None:
        try:
            for window in self.windows:
                self._fetch(window)
        except _Stopped:
            self.out.put(_Done(self.region, self.requests, self.throttles, stopped=True))
        except BaseException as error:  # reported, never raised in a thread
            self.out.put(_Done(self.region, self.requests, self.throttles, error=error))
        else:
            self.out.put(_Done(self.region, self.requests, self.throttles))

    def _pages(self, window: tuple[int, int], token: str | None) -> Iterator[dict[str, Any]]:
        """The paginator over a fixed window (NextToken is only valid with the parameters it
        was issued for), resumed at `token` after a retried failure."""
        config: dict[str, Any] = {"PageSize": PAGE_SIZE}
        if token:
            config["StartingToken"] = TokenEncoder().encode({"NextToken": token})
        paginator = self.client.get_paginator("lookup_events")
        pages: Iterator[dict[str, Any]] = iter(
            paginator.paginate(
                LookupAttributes=[
                    {"AttributeKey": "EventSource", "AttributeValue": self.event_source}
                ],
                StartTime=datetime.fromtimestamp(window[0], UTC),
                EndTime=datetime.fromtimestamp(window[1], UTC),
                PaginationConfig=config,
            )
        )
        return pages

    def _sleep(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise _Stopped

    def _fetch(self, window: tuple[int, int]) -> None:
        token: str | None = None
        throttled_in_row = failed_in_row = 0
        while True:
            pages = self._pages(window, token)
            try:
                while True:
                    # Each next() sends exactly one request: the limiter gates every one.
                    if not self.limiter.wait(self.stop):
                        raise _Stopped
                    self.requests += 1
                    page = next(pages, None)
                    if page is None:  # the paginator ended without a last page
                        return
                    self.responded = True
                    throttled_in_row = failed_in_row = 0
                    next_token = page.get("NextToken")
                    token = next_token if isinstance(next_token, str) and next_token else None
                    self.out.put(self._page(window, page, last=token is None))
                    if token is None:
                        return
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                if _is_throttle(error):
                    self.throttles += 1
                    throttled_in_row += 1
                    self.out.put(_Status(self.region, self.requests, self.throttles))
                    if throttled_in_row > THROTTLE_MAX_IN_ROW:
                        raise
                    backoff = min(
                        THROTTLE_BACKOFF_MAX, THROTTLE_BACKOFF_BASE * 2 ** (throttled_in_row - 1)
                    )
                    self._sleep(backoff * self.random.uniform(0.5, 1.0))
                    continue
                # A connection refused before any response is a wrong endpoint or region:
                # say so now rather than after a minute of retries.
                if (
                    _is_transient(error)
                    and failed_in_row < TRANSIENT_RETRIES
                    and (self.responded or not _is_connect_failure(error))
                ):
                    failed_in_row += 1
                    backoff = TRANSIENT_BACKOFF_BASE * 2 ** (failed_in_row - 1)
                    self._sleep(backoff * self.random.uniform(0.5, 1.0))
                    continue
                raise

    def _page(self, window: tuple[int, int], page: dict[str, Any], *, last: bool) -> _Page:
        entries = page.get("Events") or []
        events: list[Event] = []
        problems: list[str] = []
        oldest: int | None = None
        for entry in entries:
            when = _epoch(entry.get("EventTime"))
            text = entry.get("CloudTrailEvent")
            try:
                if not isinstance(text, str):
                    raise ValueError("no CloudTrailEvent")
                event = event_from_record(orjson.loads(text), text.encode())
            except ValueError as error:  # orjson.JSONDecodeError, RecordError, bad UTF-8
                name = entry.get("EventId") or "without an EventId"
                problems.append(f"LookupEvents in {self.region}: event {name}: {error}")
            else:
                events.append(event)
                when = event.event_time if when is None else when
            if when is not None:
                oldest = when if oldest is None else min(oldest, when)
        return _Page(
            region=self.region,
            window=window,
            events=events,
            seen=len(entries),
            problems=problems,
            oldest=oldest,
            last=last,
            requests=self.requests,
            throttles=self.throttles,
        )


# -- the sync ------------------------------------------------------------------------------


@dataclass
class _Region:
    name: str
    key: str
    cursor: Cursor
    progress: RegionProgress
    worker: _Worker
    thread: threading.Thread
    finished: bool = False
    error: BaseException | None = None


def _describe(error: BaseException, *, what: str, profile: str | None) -> str:
    """describe_aws_error, kept to one line whatever the error's text holds."""
    if isinstance(error, ResponseParserError):
        return (
            f"{what}: the endpoint's answer is not CloudTrail's: check --endpoint-url and --region"
        )
    return " ".join(describe_aws_error(error, what=what, profile=profile).split())


def _utc_epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def _caller_account(session: Any, region: str, endpoint_url: str | None) -> str | None:
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


def _plan(
    cursor: Cursor, now: int, since: datetime | None, until: datetime | None
) -> tuple[list[tuple[int, int]], list[str]]:
    """The windows of one region's sync, in the order they are fetched, and notes."""
    floor = now - RETENTION_SECONDS + RETENTION_MARGIN_SECONDS
    notes: list[str] = []
    cursor.expire(floor)
    if since is None and until is None:
        windows = list(cursor.gaps)
        anchor = cursor.anchor()
        start = floor if anchor is None else max(floor, min(now, anchor - OVERLAP_SECONDS))
        windows.append((start, now))
        return windows, notes
    start = floor if since is None else _utc_epoch(since)
    end = now if until is None else _utc_epoch(until)
    if start > end:
        raise SyncError("LookupEvents: --since is after --until: swap them")
    if end < floor:
        notes.append(
            "LookupEvents keeps 90 days: nothing before "
            f"{datetime.fromtimestamp(floor, UTC):%Y-%m-%d %H:%M}Z can be fetched (sync the "
            "S3 trail for older events)"
        )
        return [], notes
    if start < floor:
        notes.append(
            "LookupEvents keeps 90 days: fetching from "
            f"{datetime.fromtimestamp(floor, UTC):%Y-%m-%d %H:%M}Z (sync the S3 trail for "
            "older events)"
        )
        start = floor
    return [(start, end)], notes


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
    names = list(dict.fromkeys(regions))
    summary = SyncSummary(source=CURSOR_SOURCE)
    session = make_session(profile)
    account = _caller_account(session, names[0], endpoint_url)
    now = int(time.time())
    stop = threading.Event()
    out: queue.Queue[_Message] = queue.Queue()

    states: dict[str, _Region] = {}
    notes: dict[str, None] = {}  # the same note for every region: said once
    for name in names:
        key = cursor_key(
            name,
            account=account,
            profile=profile,
            endpoint_url=endpoint_url,
            event_source=event_source,
        )
        cursor = Cursor.parse(cache.get_cursor(CURSOR_SOURCE, key))
        windows, region_notes = _plan(cursor, now, since, until)
        notes.update(dict.fromkeys(region_notes))
        try:
            client = make_client(
                session, "cloudtrail", name, endpoint_url, max_attempts=0, pool_size=2
            )
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise SyncError(
                f"LookupEvents in {name}: {error}: check --endpoint-url and --region"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(
                _describe(error, what=f"LookupEvents in {name}", profile=profile)
            ) from None
        place = cursor_key(name, account=account, profile=profile, endpoint_url=endpoint_url)
        limiter = _limiter(f"{endpoint_url or 'aws'} {place}", rate_per_second)
        worker = _Worker(name, client, windows, event_source, limiter, out, stop)
        thread = threading.Thread(target=worker.run, name=f"rdstrail-lookup-{name}", daemon=True)
        states[name] = _Region(
            name=name,
            key=key,
            cursor=cursor,
            progress=summary.region(name, account or ""),
            worker=worker,
            thread=thread,
        )
    summary.problems.extend(notes)

    def report() -> None:
        if on_progress is not None:
            on_progress(summary)

    # Regions whose page was being cached when Ctrl-C came: that page may be lost, so their
    # later pages are dropped too, or the cursor would claim what the cache lacks.
    broken: set[str] = set()
    in_hand: list[_Message] = []

    def handle(message: _Message) -> None:
        state = states[message.region]
        progress = state.progress
        progress.requests = message.requests
        progress.throttles = message.throttles
        if isinstance(message, _Page) and message.region in broken:
            pass
        elif isinstance(message, _Page):
            new = cache.insert(message.events)
            newest = max((e.event_time for e in message.events), default=None)
            state.cursor.page_done(
                message.window, complete=message.last, reached=message.oldest, newest=newest
            )
            if not state.cursor.account and message.events:
                state.cursor.account = message.events[0].account
            cache.set_cursor(CURSOR_SOURCE, state.key, state.cursor.dump())
            progress.pages += 1
            progress.events_seen += message.seen
            progress.events_new += new
            if not progress.account and message.events:
                progress.account = message.events[0].account
            summary.problems.extend(message.problems)
        elif isinstance(message, _Done):
            state.finished = True
            if message.error is not None:
                state.error = message.error
                line = _describe(
                    message.error, what=f"LookupEvents in {state.name}", profile=profile
                )
                progress.error = line
                summary.problems.append(line)
            elif not message.stopped:
                progress.done = True
        report()

    def receive() -> None:
        try:
            message = out.get(timeout=0.1)
        except queue.Empty:
            return
        in_hand[:] = [message]
        handle(message)
        in_hand.clear()

    def pending() -> bool:
        return any(not state.finished for state in states.values())

    report()
    for state in states.values():
        state.thread.start()
    try:
        while pending():
            receive()
            if should_stop is not None and not stop.is_set() and should_stop():
                summary.interrupted = True
                stop.set()  # workers end after the request in flight; its page is kept
    except KeyboardInterrupt:
        summary.interrupted = True
        stop.set()
        broken.update(message.region for message in in_hand if isinstance(message, _Page))
        deadline = time.monotonic() + DRAIN_SECONDS
        while pending() and time.monotonic() < deadline:
            receive()
        raise
    finally:
        stop.set()
        summary.finished = time.monotonic()
        failed = [state for state in states.values() if state.error is not None]
        fetched = any(state.progress.pages for state in states.values())
        if fetched or len(failed) < len(states):
            cache.record_source(f"lookup:{','.join(names)}", "lookup", summary.events_new)

    for state in states.values():
        state.thread.join(timeout=1.0)
    if failed and len(failed) == len(states) and not fetched:
        raise SyncError(_all_failed(failed, profile))
    return summary


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
    return f"{line} (the {len(failed) - 1} other regions failed too)"
