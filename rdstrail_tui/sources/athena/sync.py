"""`rdstrail sync athena`: the filter run by Athena over the trail in S3, and only the matching
RDS events brought back into the cache.

1. The table's metadata (GetTableMetadata) says how it is partitioned: the accounts (an
   `injected` projection needs them named), the regions, the storage template.
2. The window: the cursor of this table, accounts, regions, scope and filter
   (`pushdown_window`), cut so that no statement reads more than Athena's million partitions.
3. Each piece is one statement (`query.trino.athena_select`): `"$path"` and `eventid` of the
   matches, bounded on the partitions, the events' times and the event source.
4. Its result file is read from the output location, the trail objects holding matches are
   fetched from S3 and decoded, the events with those IDs kept (`results`), cut by the local
   evaluator where the SQL could only ask for a superset (`final_cut`), and inserted.
5. The cursor moves once a piece is cached, so an interrupted sync goes on from there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import boto3
import botocore.exceptions
from botocore.config import Config

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event
from rdstrail_tui.query.language import Filter, parse_filter
from rdstrail_tui.query.trino import ATHENA, Window, athena_select, compile_filter
from rdstrail_tui.sources.athena.ddl import ddl_command_for, parse_table_name
from rdstrail_tui.sources.athena.queries import AthenaQueries, QueryOutcome, TableInfo
from rdstrail_tui.sources.athena.results import (
    fetch_objects,
    matches_by_object,
    object_of,
    read_result,
)
from rdstrail_tui.sources.aws import make_session
from rdstrail_tui.sources.final_cut import FinalCut
from rdstrail_tui.sources.pushdown_window import (
    Covered,
    Span,
    cursor_key,
    day_chunks,
    epoch_of,
    plan_span,
)
from rdstrail_tui.sources.s3.errors import describe_s3_error, is_fatal
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    StopCheck,
    SyncError,
    SyncSummary,
)

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_s3 import S3Client

__all__ = ["CURSOR_SOURCE", "MAX_PARTITIONS", "AthenaSync", "sync_athena"]

CURSOR_SOURCE = "athena-window"
# Athena reads at most this many partitions in one scan.
MAX_PARTITIONS = 1_000_000
FETCH_THREADS = 16
# Inserted in batches of about this many events: one transaction each.
INSERT_BATCH = 5000
MAX_PROBLEMS = 200

_DEFAULT_SCOPE = Scope()


@dataclass(frozen=True)
class AthenaTarget:
    """What one Athena sync reads, as the command line or a saved source names it."""

    table: str  # "database.table"
    workgroup: str | None = None
    output_location: str | None = None
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    max_scan: int | None = None
    reuse_minutes: int | None = None


def sync_athena(
    cache: Cache,
    target: AthenaTarget,
    *,
    filter_text: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    s3_endpoint_url: str | None = None,
    scope: Scope = _DEFAULT_SCOPE,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> SyncSummary:
    """Sync the events `filter_text` matches from the Athena table into `cache`.

    Raises SyncError (one line) when nothing can be done: no table, no output location, a
    FAILED query, a denied results bucket, --max-scan passed. KeyboardInterrupt stops the
    running query (StopQueryExecution) and is re-raised with what was cached kept.
    """
    flt = parse_filter(filter_text)
    sync = AthenaSync(
        cache,
        target,
        flt,
        since=since,
        until=until,
        profile=profile,
        endpoint_url=endpoint_url,
        s3_endpoint_url=s3_endpoint_url,
        scope=scope,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    return sync.run()


class AthenaSync:
    def __init__(
        self,
        cache: Cache,
        target: AthenaTarget,
        flt: Filter,
        *,
        since: datetime | None,
        until: datetime | None,
        profile: str | None,
        endpoint_url: str | None,
        s3_endpoint_url: str | None,
        scope: Scope,
        on_progress: ProgressCallback | None,
        should_stop: StopCheck | None,
    ) -> None:
        self.cache = cache
        self.target = target
        self.flt = flt
        self.since = epoch_of(since)
        self.until = epoch_of(until)
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.s3_endpoint_url = s3_endpoint_url
        self.scope = scope
        self.on_progress = on_progress
        self.should_stop = should_stop or (lambda: False)
        self.summary = SyncSummary(source=f"athena:{target.table}")
        self.piece = "query"
        self.pushdown = compile_filter(flt, ATHENA)
        try:
            self.database, self.table = parse_table_name(target.table)
        except ValueError as error:
            raise SyncError(f"sync athena: {error}") from None

    # -- running ---------------------------------------------------------------------------

    def run(self) -> SyncSummary:
        session = make_session(self.profile)
        queries = AthenaQueries(
            session,
            region=session.region_name,
            endpoint_url=self.endpoint_url,
            workgroup=self.target.workgroup,
            output_location=self.target.output_location,
            reuse_minutes=self.target.reuse_minutes,
        )
        self.s3 = self._s3_client(session)
        hint = ddl_command_for(None, self.target.table)
        self.info = queries.table(self.database, self.table, ddl_hint=hint)
        accounts, regions = self._places(self.info)
        key = cursor_key(
            f"athena:{self.target.table}",
            accounts=tuple(self.target.accounts),
            regions=tuple(self.target.regions),
            sources=self.scope.sources,
            flt=self.flt,
        )
        covered = Covered.parse(self.cache.get_cursor(CURSOR_SOURCE, key))
        span, after = plan_span(
            now=int(time.time()),
            since=self.since,
            until=self.until,
            covered=covered,
            flt=self.flt,
        )
        self._report()
        self._cursor = (key, covered, after)
        completed = False
        try:
            if not span.empty:
                self._run_pieces(queries, span, accounts, regions)
            if not self.summary.interrupted:
                self.cache.set_cursor(CURSOR_SOURCE, key, after.value())
                completed = True
        finally:
            self.summary.api_throttles = queries.throttles
            self.summary.finished = time.monotonic()
            # A sync that failed before it cached anything is no source of the cache.
            if completed or self.summary.events_new:
                self.cache.record_source(self.summary.source, "athena", self.summary.events_new)
            self._report()
        return self.summary

    def _piece_cached(self, piece: Span) -> None:
        """Once a piece is cached, the cursor covers it: an interrupted sync goes on from
        there (pieces run oldest first). It never forgets what an earlier sync covered."""
        key, covered, after = self._cursor
        until = piece.until
        if covered is not None and covered.since <= piece.until + 1:
            until = max(until, covered.until)
        self.cache.set_cursor(CURSOR_SOURCE, key, Covered(after.since, until).value())

    def _places(self, info: TableInfo) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The accounts and regions to bound the statements on: those named, else all of the
        table's enum projection (written out, so every statement says what it reads). An
        injected account projection must be given accounts; a named account or region the
        projection does not hold is said (Athena would read nothing there, silently)."""
        accounts = tuple(self.target.accounts)
        if not accounts and info.account_projection == "injected":
            raise SyncError(
                f"athena:{self.target.table}: its account partition is injected, so every "
                "query must name its accounts: pass --account A (repeatable)"
            )
        regions = tuple(self.target.regions)
        for column, named, known in (
            ("account", accounts, info.account_values),
            ("region", regions, info.region_values),
        ):
            for value in named:
                if known and value not in known:
                    self._problem(
                        f"athena:{self.target.table}: {column} {value} is not in the table's "
                        f"projection.{column}.values, so Athena reads nothing of it "
                        "(rdstrail athena ddl --accounts/--regions makes a table that has it)"
                    )
        return accounts or tuple(info.account_values), regions or tuple(info.region_values)

    def _run_pieces(
        self,
        queries: AthenaQueries,
        span: Span,
        accounts: tuple[str, ...],
        regions: tuple[str, ...],
    ) -> None:
        # Unnamed accounts or regions are all of the table's enum projection.
        places = (len(accounts) or max(1, len(self.info.account_values))) * (
            len(regions) or max(1, len(self.info.region_values))
        )
        try:
            pieces = day_chunks(span, places, MAX_PARTITIONS)
        except ValueError as error:
            raise SyncError(
                f"athena:{self.target.table}: {error} is more than Athena's "
                f"{MAX_PARTITIONS:,} partitions a query even for one day: name fewer with "
                "--account and --region"
            ) from None
        with FinalCut(self.flt) as cut:
            for number, (piece, first_day, last_day) in enumerate(pieces, 1):
                self.piece = f"query {number} of {len(pieces)}" if len(pieces) > 1 else "query"
                window = Window(
                    since=piece.since,
                    until=piece.until,
                    first_day=first_day,
                    last_day=last_day,
                    accounts=accounts,
                    regions=regions,
                    sources=self.scope.sources,
                )
                statement = athena_select(self.database, self.table, window, self.pushdown)
                outcome = self._query(queries, statement)
                if outcome is None:
                    return
                self._bring_back(outcome, cut)
                if self.summary.interrupted:
                    return
                if number < len(pieces):
                    self._piece_cached(piece)

    def _query(self, queries: AthenaQueries, statement: str) -> QueryOutcome | None:
        scanned_before = self.summary.bytes_scanned
        self.summary.queries += 1

        def progress(outcome: QueryOutcome) -> None:
            self.summary.bytes_scanned = scanned_before + outcome.bytes_scanned
            self.summary.stage = f"{self.piece} {outcome.state}"
            self._report()

        outcome = queries.run(
            statement,
            what=f"athena:{self.target.table}",
            max_scan=self.target.max_scan,
            on_progress=progress,
            should_stop=self.should_stop,
        )
        self.summary.bytes_scanned = scanned_before + outcome.bytes_scanned
        if outcome.state != "SUCCEEDED":
            self.summary.interrupted = True
            return None
        return outcome

    # -- bringing the records back ------------------------------------------------------

    def _bring_back(self, outcome: QueryOutcome, cut: FinalCut) -> None:
        if not outcome.output_location:
            raise SyncError(f"athena:{self.target.table}: the query wrote no result file")
        self.summary.stage = f"{self.piece}: reading its result"
        self._report()
        rows = self._read_result(outcome.output_location)
        wanted = matches_by_object(rows)
        self.summary.stage = (
            f"{self.piece}: {len(rows):,} matches in {len(wanted):,} objects: fetching"
        )
        batch: list[Event] = []
        for fetched in fetch_objects(
            self.s3, list(wanted), self.scope, threads=FETCH_THREADS, should_stop=self.should_stop
        ):
            account, region = _place_of(fetched.path)
            progress = self.summary.region(region, account)
            if fetched.error is not None or fetched.decoded is None:
                self._object_failed(fetched.path, fetched.error)
                continue
            progress.objects += 1
            progress.requests += 1
            self.summary.bytes_fetched += fetched.size
            if fetched.decoded.error is not None:
                self._problem(fetched.decoded.error)
            ids = wanted[fetched.path]
            events = [e for e in fetched.decoded.events if e.event_id in ids]
            progress.events_seen += len(events)
            batch.extend(events)
            if len(batch) >= INSERT_BATCH:
                self._insert(cut, batch)
                batch = []
            self._report()
        self._insert(cut, batch)
        if self.should_stop():
            self.summary.interrupted = True

    def _insert(self, cut: FinalCut, events: list[Event]) -> None:
        kept = cut.keep(events)
        groups: dict[tuple[str, str], list[Event]] = {}
        for event in kept:
            groups.setdefault((event.account, event.region), []).append(event)
        for (account, region), group in groups.items():
            self.summary.region(region, account).events_new += self.cache.insert(group)
        # What the cut dropped was never a match: not counted as received.
        dropped = len(events) - len(kept)
        if dropped:
            self._uncount(events, kept)

    def _uncount(self, events: list[Event], kept: list[Event]) -> None:
        kept_ids = {event.event_id for event in kept}
        for event in events:
            if event.event_id not in kept_ids:
                self.summary.region(event.region, event.account).events_seen -= 1

    def _read_result(self, url: str) -> list[tuple[str, str]]:
        try:
            return read_result(self.s3, url)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
            bucket = object_of(url)[0]
            raise SyncError(
                describe_s3_error(
                    error,
                    what=f"athena:{self.target.table}: the results at {url}",
                    profile=self.profile,
                    bucket=bucket,
                )
            ) from None

    def _object_failed(self, path: str, error: BaseException | None) -> None:
        if error is None:
            self._problem(f"{path}: cannot be read")
            return
        line = describe_s3_error(error, what=path, profile=self.profile, bucket=object_of(path)[0])
        if is_fatal(error):
            raise SyncError(line)
        self._problem(line)

    def _problem(self, line: str) -> None:
        if len(self.summary.problems) < MAX_PROBLEMS:
            self.summary.problems.append(line)

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.summary)

    def _s3_client(self, session: boto3.Session) -> S3Client:
        try:
            return session.client(
                "s3",
                region_name=session.region_name,
                endpoint_url=self.s3_endpoint_url,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 5},
                    max_pool_connections=FETCH_THREADS + 2,
                    user_agent_extra="rdstrail",
                    s3={"addressing_style": "path"} if self.s3_endpoint_url else None,
                ),
            )
        except ValueError as error:
            raise SyncError(f"{self.summary.source}: {error}: check --s3-endpoint-url") from None


def _place_of(path: str) -> tuple[str, str]:
    """The account and region in a trail object's key (AWSLogs/[o-ID/]ACCOUNT/CloudTrail/
    REGION/...), or empty strings."""
    parts = path.split("/")
    try:
        at = parts.index("CloudTrail")
    except ValueError:
        return "", ""
    account = parts[at - 1] if at >= 1 else ""
    region = parts[at + 1] if at + 1 < len(parts) else ""
    return account, region
