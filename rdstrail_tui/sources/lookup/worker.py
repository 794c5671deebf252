"""One region's LookupEvents requests, on a thread of its own: paginate the windows newest page
first, each request through the region's RateLimiter, retry throttles and transient failures,
and post every parsed page, counter change and the end to the calling thread's queue.

A worker never touches the Cache or the callbacks (see sync.py). botocore's own retries are
switched off (max_attempts=0) so that every attempt passes the limiter and every throttle is
seen: a throttle that still comes (another tool sharing the budget) is retried here with
exponential backoff and counted in RegionProgress.throttles.
"""

from __future__ import annotations

import queue
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Union

import botocore.exceptions
import orjson
from botocore.paginate import TokenEncoder

from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.sources.aws import error_code
from rdstrail_tui.sources.lookup.limiter import RateLimiter

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_cloudtrail.type_defs import (
        LookupEventsResponseTypeDef,
        PaginatorConfigTypeDef,
    )

PAGE_SIZE = 50  # LookupEvents' maximum MaxResults

# Backoff after a throttle: base * 2^n seconds (n = throttles in a row), capped, with jitter.
THROTTLE_BACKOFF_BASE = 0.5
THROTTLE_BACKOFF_MAX = 20.0
# Throttled this many times in a row (about 4 minutes of backoff), a region gives up.
THROTTLE_MAX_IN_ROW = 20
# A network error or a 5xx is retried this many times in a row, then the region fails.
TRANSIENT_RETRIES = 4
TRANSIENT_BACKOFF_BASE = 0.5

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


# -- what a worker posts -------------------------------------------------------------------


@dataclass
class Page:
    """One LookupEvents response, parsed."""

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
class Status:
    """Counters moved without a page (a throttle)."""

    region: str
    requests: int
    throttles: int


@dataclass
class Done:
    """The worker ended: every window fetched, stopped, or failed with `error`."""

    region: str
    requests: int
    throttles: int
    error: BaseException | None = None
    stopped: bool = False


# Evaluated at run time: Union, not `|`, so that Python 3.9 can import the module.
Message = Union[Page, Status, Done]


class _Stopped(Exception):
    pass


# -- what a failure is ---------------------------------------------------------------------


def _is_throttle(error: BaseException) -> bool:
    return error_code(error) in _THROTTLE_CODES


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, botocore.exceptions.ClientError):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return error_code(error) in _TRANSIENT_CODES or (isinstance(status, int) and status >= 500)
    if isinstance(error, (botocore.exceptions.SSLError, botocore.exceptions.ProxyConnectionError)):
        return False
    return isinstance(
        error, (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
    )


def _is_connect_failure(error: BaseException) -> bool:
    return isinstance(
        error,
        (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError),
    )


# -- the worker ----------------------------------------------------------------------------


def _epoch(value: object) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, (int, float)):
        return int(value)
    return None


class Worker:
    """Fetches one region's windows, newest page first, and posts every page."""

    def __init__(
        self,
        region: str,
        client: CloudTrailClient,
        windows: list[tuple[int, int]],
        event_source: str,
        limiter: RateLimiter,
        out: queue.Queue[Message],
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
            self.out.put(Done(self.region, self.requests, self.throttles, stopped=True))
        except BaseException as error:  # reported, never raised in a thread
            self.out.put(Done(self.region, self.requests, self.throttles, error=error))
        else:
            self.out.put(Done(self.region, self.requests, self.throttles))

    def _pages(
        self, window: tuple[int, int], token: str | None
    ) -> Iterator[LookupEventsResponseTypeDef]:
        """The paginator over a fixed window (NextToken is only valid with the parameters it
        was issued for), resumed at `token` after a retried failure."""
        config: PaginatorConfigTypeDef = {"PageSize": PAGE_SIZE}
        if token:
            config["StartingToken"] = TokenEncoder().encode({"NextToken": token})
        paginator = self.client.get_paginator("lookup_events")
        pages: Iterator[LookupEventsResponseTypeDef] = iter(
            paginator.paginate(
                LookupAttributes=[
                    {"AttributeKey": "EventSource", "AttributeValue": self.event_source}
                ],
                StartTime=datetime.fromtimestamp(window[0], timezone.utc),
                EndTime=datetime.fromtimestamp(window[1], timezone.utc),
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
                    self.out.put(Status(self.region, self.requests, self.throttles))
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

    def _page(
        self, window: tuple[int, int], page: LookupEventsResponseTypeDef, *, last: bool
    ) -> Page:
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
        return Page(
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
