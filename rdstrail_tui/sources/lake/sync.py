"""`rdstrail sync lake`: the filter run by CloudTrail Lake over an event data store, and the
matching events' original records (Lake's `eventjson`) brought back into the cache.

The same compiler as Athena's (`query.trino`, Lake dialect: eventtime a timestamp, readonly
a boolean, the whole record in eventjson), the same window and cursor
(`pushdown_window`) and the same final cut (`final_cut`). One statement per sync: Lake has
no partitions to count, but a statement must stay under MAX_STATEMENT characters and at
most 10 queries may run at once in an account (StartQuery is retried while Lake says so).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import orjson
from botocore.config import Config

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event, RecordError, event_from_record
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.trino import LAKE, Window, compile_filter, lake_select
from rdstrail_tui.sources.aws import describe_aws_error, error_code, make_session
from rdstrail_tui.sources.final_cut import FinalCut
from rdstrail_tui.sources.pushdown_window import Covered, cursor_key, epoch_of, plan_span
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    StopCheck,
    SyncError,
    SyncSummary,
    price_text,
    size_text,
)

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_cloudtrail import CloudTrailClient

__all__ = ["CURSOR_SOURCE", "MAX_STATEMENT", "store_id_of", "sync_lake"]

CURSOR_SOURCE = "lake-window"
MAX_STATEMENT = 10_000
MAX_ATTEMPTS = 10
THROTTLING = frozenset({"ThrottlingException", "TooManyRequestsException", "Throttling"})
# StartQuery while 10 queries run: waited for, this many times, BUSY_WAIT apart.
BUSY_ATTEMPTS = 30
BUSY_WAIT = 2.0
POLL_FIRST = 0.2
POLL_MAX = 2.0
INSERT_BATCH = 5000

_DEFAULT_SCOPE = Scope()
_ENDED = frozenset({"FINISHED", "FAILED", "CANCELLED", "TIMED_OUT"})


def store_id_of(text: str) -> str:
    """An event data store's ID, from its ARN (arn:aws:cloudtrail:R:A:eventdatastore/ID) or
    the ID itself."""
    found = text.rsplit("/", 1)[-1] if text.startswith("arn:") else text
    if not found or not all(c.isalnum() or c == "-" for c in found):
        raise SyncError(
            f"sync lake: {printable(text)!r} is not an event data store ARN or ID "
            "(arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID)"
        )
    return found


def sync_lake(
    cache: Cache,
    store: str,
    *,
    filter_text: str = "",
    accounts: tuple[str, ...] = (),
    regions: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    max_scan: int | None = None,
    scope: Scope = _DEFAULT_SCOPE,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    poll: float = POLL_FIRST,
) -> SyncSummary:
    """Sync the events `filter_text` matches from the event data store into `cache`.

    Raises SyncError (one line) when the query cannot run or FAILED, or passed `max_scan`
    (it is cancelled first). KeyboardInterrupt cancels the query (CancelQuery) and is
    re-raised with what was cached kept."""
    store_id = store_id_of(store)
    flt = parse_filter(filter_text)
    summary = SyncSummary(source=f"lake:{store_id}")
    what = summary.source
    session = make_session(profile)
    client = _client(session, endpoint_url, what, profile)
    key = cursor_key(what, accounts=accounts, regions=regions, sources=scope.sources, flt=flt)
    covered = Covered.parse(cache.get_cursor(CURSOR_SOURCE, key))
    span, after = plan_span(
        now=int(time.time()), since=epoch_of(since), until=epoch_of(until), covered=covered, flt=flt
    )
    pushdown = compile_filter(flt, LAKE)
    runner = _Query(client, what, profile, summary, max_scan, on_progress, should_stop, poll)
    try:
        if not span.empty:
            window = Window(
                since=span.since,
                until=span.until,
                first_day=datetime.fromtimestamp(span.since, timezone.utc).date(),
                last_day=datetime.fromtimestamp(span.until, timezone.utc).date(),
                accounts=accounts,
                regions=regions,
                sources=scope.sources,
            )
            statement = lake_select(store_id, window, pushdown)
            if len(statement) >= MAX_STATEMENT:
                raise SyncError(
                    f"{what}: the filter makes a statement of {len(statement):,} characters, "
                    f"more than Lake's {MAX_STATEMENT:,}: use fewer terms or alternatives"
                )
            with FinalCut(flt) as cut:
                rows = runner.run(statement)
                if rows is not None:
                    _cache_rows(cache, summary, rows, cut, scope, what)
        if not summary.interrupted:
            cache.set_cursor(CURSOR_SOURCE, key, after.value())
    finally:
        summary.api_throttles = runner.throttles
        summary.finished = time.monotonic()
        cache.record_source(summary.source, "lake", summary.events_new)
        if on_progress is not None:
            on_progress(summary)
    return summary


def _client(
    session: boto3.Session, endpoint_url: str | None, what: str, profile: str | None
) -> CloudTrailClient:
    config = Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS}, user_agent_extra="rdstrail"
    )
    try:
        return session.client("cloudtrail", endpoint_url=endpoint_url, config=config)
    except botocore.exceptions.NoRegionError:
        raise SyncError(
            f"{what}: no AWS region: pass --region or set AWS_REGION (or the profile's region)"
        ) from None
    except ValueError as error:
        raise SyncError(f"{what}: {error}: check --endpoint-url") from None
    except botocore.exceptions.BotoCoreError as error:
        raise SyncError(describe_aws_error(error, what=what, profile=profile)) from None


def _cache_rows(
    cache: Cache,
    summary: SyncSummary,
    rows: Iterator[str],
    cut: FinalCut,
    scope: Scope,
    what: str,
) -> None:
    batch: list[Event] = []

    def flush() -> None:
        kept = cut.keep(batch)
        groups: dict[tuple[str, str], list[Event]] = {}
        for event in kept:
            groups.setdefault((event.account, event.region), []).append(event)
        for (account, region), group in groups.items():
            progress = summary.region(region, account)
            progress.events_seen += len(group)
            progress.events_new += cache.insert(group)
        batch.clear()

    for text in rows:
        raw = text.encode("utf-8")
        try:
            event = event_from_record(orjson.loads(raw), raw)
        except (ValueError, RecordError) as error:
            summary.problems.append(f"{what}: a result row is not a CloudTrail record: {error}")
            continue
        if scope.sources is None or event.event_source in scope.sources:
            batch.append(event)
        if len(batch) >= INSERT_BATCH:
            flush()
    flush()


class _Query:
    """One Lake query: started, polled with its cost in the progress, cancelled on a stop,
    Ctrl-C or --max-scan, and its eventjson results paged."""

    def __init__(
        self,
        client: CloudTrailClient,
        what: str,
        profile: str | None,
        summary: SyncSummary,
        max_scan: int | None,
        on_progress: ProgressCallback | None,
        should_stop: StopCheck | None,
        poll: float,
    ) -> None:
        self.client = client
        self.what = what
        self.profile = profile
        self.summary = summary
        self.max_scan = max_scan
        self.on_progress = on_progress
        self.should_stop = should_stop or (lambda: False)
        self.poll = poll
        self.throttles = 0
        client.meta.events.register("needs-retry.cloudtrail", self._count_throttle)

    def _count_throttle(self, response: Any = None, **_: Any) -> None:
        if response is not None and response[1].get("Error", {}).get("Code") in THROTTLING:
            self.throttles += 1

    def _fail(self, error: BaseException) -> SyncError:
        if error_code(error) in THROTTLING:
            return SyncError(
                f"{self.what}: CloudTrail is still throttling after {MAX_ATTEMPTS} attempts: "
                "try again in a minute"
            )
        line = describe_aws_error(error, what=self.what, profile=self.profile)
        return SyncError(printable(line))

    def run(self, statement: str) -> Iterator[str] | None:
        """The eventjson of every result row, or None when should_stop() stopped it."""
        query_id = self._start(statement)
        self.summary.queries += 1
        try:
            status = self._wait(query_id)
        except KeyboardInterrupt:
            self._cancel(query_id)
            self.summary.interrupted = True
            raise
        if status is None:
            return None
        self.summary.stage = "query FINISHED: reading its results"
        return self._results(query_id)

    def _start(self, statement: str) -> str:
        for attempt in range(BUSY_ATTEMPTS):
            try:
                return self.client.start_query(QueryStatement=statement)["QueryId"]
            except botocore.exceptions.ClientError as error:
                if error_code(error) == "MaxConcurrentQueriesException" and (
                    attempt + 1 < BUSY_ATTEMPTS
                ):
                    self._pause(BUSY_WAIT)
                    continue
                raise self._fail(error) from None
            except botocore.exceptions.BotoCoreError as error:
                raise self._fail(error) from None
        raise AssertionError("unreachable")

    def _pause(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))

    def _describe(self, query_id: str) -> dict[str, Any]:
        try:
            return dict(self.client.describe_query(QueryId=query_id))
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise self._fail(error) from None

    def _wait(self, query_id: str) -> str | None:
        delay = self.poll
        while True:
            found = self._describe(query_id)
            status = str(found.get("QueryStatus", ""))
            scanned = int(found.get("QueryStatistics", {}).get("BytesScanned", 0) or 0)
            self.summary.bytes_scanned = scanned
            self.summary.stage = f"query {status}"
            if self.on_progress is not None:
                self.on_progress(self.summary)
            if status == "FINISHED":
                return status
            if status in _ENDED:
                reason = printable(str(found.get("ErrorMessage") or status))
                raise SyncError(f"{self.what}: the query ended {status}: {reason}")
            if self.max_scan is not None and scanned > self.max_scan:
                self._cancel(query_id)
                raise SyncError(
                    f"{self.what}: query cancelled: it had scanned {size_text(scanned)}, more "
                    f"than --max-scan {size_text(self.max_scan)} ({price_text(scanned)} so far)"
                )
            if self.should_stop():
                self._cancel(query_id)
                self.summary.interrupted = True
                return None
            self._pause(delay)
            delay = min(POLL_MAX, delay * 1.5)

    def _cancel(self, query_id: str) -> None:
        with contextlib.suppress(
            botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError
        ):
            self.client.cancel_query(QueryId=query_id)

    def _results(self, query_id: str) -> Iterator[str]:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"QueryId": query_id}
            if token:
                params["NextToken"] = token
            try:
                page = self.client.get_query_results(**params)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
                raise self._fail(error) from None
            for row in page.get("QueryResultRows", []):
                for cell in row:
                    text = cell.get("eventjson")
                    if text is not None:
                        yield text
            token = page.get("NextToken")
            if not token:
                return
