"""One Athena query at a time, through boto3's athena client: start it, watch it until it
ends (its state and the bytes it has scanned, reported at each poll), stop it when it costs
more than the user allowed or the user stops the sync, and turn each way it can end badly
into one line that says what happened. Also the table's metadata, read before a query so
that a missing table is said with the command that creates it.

Athena bills $5 per terabyte scanned; `parse_size` (and sources.sync's `scan_text`) are the
money side of it, for the progress line, the summary and --max-scan."""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
from botocore.config import Config

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.sources.aws import describe_aws_error, error_code
from rdstrail_tui.sources.sync import SyncError, price_text, scan_text, size_text

if TYPE_CHECKING:  # boto3-stubs: the client's and responses' types, for mypy only
    from mypy_boto3_athena import AthenaClient
    from mypy_boto3_athena.type_defs import QueryExecutionTypeDef

# The error codes a throttled Athena call answers with; botocore's standard retry mode
# retries them with backoff, and each one is counted in `AthenaQueries.throttles`.
THROTTLING_CODES = frozenset(
    {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded"}
)
# botocore's attempts per call (the first and nine retries) before a throttle is an error.
MAX_ATTEMPTS = 10

# Polling GetQueryExecution: soon at first (most filtered queries end within seconds),
# then no more often than every 2 s; each pause is cut in steps this long, so a stop
# request or Ctrl-C is acted on promptly.
POLL_FIRST = 0.2
POLL_MAX = 2.0
POLL_STEP = 0.1

# The StateChangeReason Athena gives a query that its workgroup's BytesScannedCutoffPerQuery
# (data usage control) cancelled: "Bytes scanned limit was exceeded".
_CUTOFF_REASON = re.compile(r"bytes scanned limit", re.IGNORECASE)
_NOT_FOUND = re.compile(r"not found|does not exist", re.IGNORECASE)


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]I?B?|B)\s*", re.IGNORECASE)
_POWERS = {"K": 1, "M": 2, "G": 3, "T": 4}


def parse_size(text: str) -> int:
    """`50GB` -> 50 * 10**9 bytes: KB, MB, GB, TB are decimal (as Athena bills), KiB, MiB,
    GiB, TiB binary; `B` plain bytes. A number without a unit is refused: 50 what?"""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a size: try 50GB, 500MB, 1TB or 20GiB")
    number, unit = float(match.group(1)), match.group(2).upper()
    if unit == "B":
        multiplier = 1
    else:
        base = 1024 if "I" in unit else 1000
        multiplier = base ** _POWERS[unit[0]]
    size = round(number * multiplier)
    if size <= 0:
        raise ValueError(f"{text!r} is not a size more than 0: try 50GB")
    return size


# -- what Athena answers -------------------------------------------------------------------


@dataclass
class TableInfo:
    """A table as GetTableMetadata describes it: its columns, partition keys and the
    parameters partition projection is set up by."""

    database: str
    name: str
    columns: list[str]
    partition_keys: list[str]
    # TableMetadata.Parameters: projection.*, storage.location.template, location, ...
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def account_projection(self) -> str | None:
        """`enum` or `injected` (every query must then name its accounts), or None when the
        table does not project `account`."""
        return self.parameters.get("projection.account.type")

    @property
    def account_values(self) -> tuple[str, ...]:
        return _values(self.parameters.get("projection.account.values"))

    @property
    def region_values(self) -> tuple[str, ...]:
        return _values(self.parameters.get("projection.region.values"))

    @property
    def location_template(self) -> str | None:
        return self.parameters.get("storage.location.template")

    @property
    def location(self) -> str | None:
        return self.parameters.get("location")


def _values(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


@dataclass
class QueryOutcome:
    """A query as last seen: reported at each poll, returned when it has SUCCEEDED (or with
    state CANCELLED when `should_stop` stopped it)."""

    query_id: str
    state: str  # QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
    bytes_scanned: int
    output_location: str | None  # s3://.../QUERYID.csv once it has SUCCEEDED
    seconds: float
    reused: bool  # Athena answered from an earlier query's results (result reuse)


# -- the runner ----------------------------------------------------------------------------


class AthenaQueries:
    """Athena's queries and tables, in one region and workgroup. `endpoint_url` None lets
    boto3's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ATHENA work; `reuse_minutes` turns on
    Athena's result reuse for identical queries up to that age (off by default). `profile`
    is named in credential errors only; `sleep` is the pause between polls (tests pass
    their own)."""

    def __init__(
        self,
        session: boto3.Session,
        *,
        region: str | None,
        endpoint_url: str | None,
        workgroup: str | None,
        output_location: str | None,
        reuse_minutes: int | None = None,
        profile: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.workgroup = workgroup
        self.output_location = output_location
        self.reuse_minutes = reuse_minutes
        self.throttles = 0  # throttled responses, each retried by botocore (or the last one)
        self._profile = profile
        self._sleep = sleep
        config = Config(
            retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
            user_agent_extra="rdstrail",
        )
        try:
            self._client: AthenaClient = session.client(
                "athena", region_name=region, endpoint_url=endpoint_url, config=config
            )
        except botocore.exceptions.NoRegionError:
            raise SyncError(
                "athena: no region: pass --region, or set one for the profile"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, "athena")) from None
        # Every attempt's response passes here before botocore decides whether to retry it.
        self._client.meta.events.register("needs-retry.athena", self._count_throttle)

    @property
    def client(self) -> AthenaClient:
        return self._client

    def _count_throttle(self, response: Any = None, **_: Any) -> None:
        if response is None:  # a connection error, not an answer
            return
        _http, parsed = response
        if parsed.get("Error", {}).get("Code") in THROTTLING_CODES:
            self.throttles += 1

    def _describe(self, error: BaseException, what: str) -> str:
        if error_code(error) in THROTTLING_CODES:
            return (
                f"{what}: Athena is still throttling after {MAX_ATTEMPTS} attempts "
                f"({error_code(error)}): try again in a minute"
            )
        return printable(describe_aws_error(error, what=what, profile=self._profile))

    # -- tables ----------------------------------------------------------------------------

    def table(self, database: str, table: str, *, ddl_hint: str) -> TableInfo:
        """The table's metadata from the AWS Glue Data Catalog. A missing table or database
        is a SyncError that says to create it with `ddl_hint` (the `rdstrail athena ddl
        ... --create` line)."""
        what = f"athena {database}.{table}"
        try:
            response = self._client.get_table_metadata(
                CatalogName="AwsDataCatalog", DatabaseName=database, TableName=table
            )
        except botocore.exceptions.ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", ""))
            if error_code(error) in ("MetadataException", "EntityNotFoundException") and (
                _NOT_FOUND.search(message)
            ):
                missing = (
                    f"no database {database}"
                    if "database" in message.lower() and "table" not in message.lower()
                    else f"no table {database}.{table}"
                )
                raise SyncError(f"athena: {missing}: create it with `{ddl_hint}`") from None
            raise SyncError(self._describe(error, what)) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, what)) from None
        metadata = response["TableMetadata"]
        return TableInfo(
            database=database,
            name=table,
            columns=[column["Name"] for column in metadata.get("Columns", [])],
            partition_keys=[column["Name"] for column in metadata.get("PartitionKeys", [])],
            parameters=dict(metadata.get("Parameters", {})),
        )

    # -- queries ---------------------------------------------------------------------------

    def run(
        self,
        sql: str,
        *,
        what: str,
        max_scan: int | None = None,
        on_progress: Callable[[QueryOutcome], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> QueryOutcome:
        """Run `sql` and wait for it to end. Returns its outcome once it has SUCCEEDED.
        Every other end is a SyncError, one line starting with `what`: FAILED (Athena's own
        reason), CANCELLED by someone else (the workgroup's per-query byte cutoff said as
        such), more bytes scanned than `max_scan` (the query is stopped first).
        `should_stop()` true at a poll stops the query and returns its outcome with state
        CANCELLED; Ctrl-C (KeyboardInterrupt) while waiting stops it too and is re-raised.
        A query that SUCCEEDED is returned even past `max_scan`: it is paid for already."""
        started = time.monotonic()
        # Our own idempotency token: a Ctrl-C while StartQueryExecution is on its way leaves
        # no ID to stop, but asking again with the same token answers with the query that
        # call started, without starting another.
        token = str(uuid.uuid4())
        try:
            query_id = self._start(sql, what, token)
        except KeyboardInterrupt:
            self._stop_started(sql, token)
            raise
        try:
            return self._wait(query_id, what, started, max_scan, on_progress, should_stop)
        except KeyboardInterrupt:
            self.stop(query_id)
            raise

    def stop(self, query_id: str) -> None:
        """StopQueryExecution, best effort: a query that has already ended, or a call that
        fails, is left as it is (the caller is on its way out)."""
        with contextlib.suppress(
            botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError
        ):
            self._client.stop_query_execution(QueryExecutionId=query_id)

    def _stop_started(self, sql: str, token: str) -> None:
        """After a Ctrl-C during StartQueryExecution: find the query it started, if any, by
        its token, and stop it (best effort)."""
        params = {**self._start_params(sql), "ClientRequestToken": token}
        with contextlib.suppress(
            botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError
        ):
            self.stop(self._client.start_query_execution(**params)["QueryExecutionId"])

    def _start_params(self, sql: str) -> dict[str, Any]:
        params: dict[str, Any] = {"QueryString": sql}
        if self.workgroup:
            params["WorkGroup"] = self.workgroup
        if self.output_location:
            params["ResultConfiguration"] = {"OutputLocation": self.output_location}
        if self.reuse_minutes:
            params["ResultReuseConfiguration"] = {
                "ResultReuseByAgeConfiguration": {
                    "Enabled": True,
                    "MaxAgeInMinutes": self.reuse_minutes,
                }
            }
        return params

    def _start(self, sql: str, what: str, token: str) -> str:
        params = {**self._start_params(sql), "ClientRequestToken": token}
        try:
            return self._client.start_query_execution(**params)["QueryExecutionId"]
        except botocore.exceptions.ClientError as error:
            message = str(error.response.get("Error", {}).get("Message", ""))
            if error_code(error) == "InvalidRequestException" and (
                "output location" in message.lower()
            ):
                raise SyncError(
                    f"{what}: Athena has no output location for workgroup "
                    f"{printable(self.workgroup or 'primary')}: pass --output-location "
                    "s3://BUCKET/PREFIX/ or set one on the workgroup"
                ) from None
            raise SyncError(self._describe(error, what)) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, what)) from None

    def _wait(
        self,
        query_id: str,
        what: str,
        started: float,
        max_scan: int | None,
        on_progress: Callable[[QueryOutcome], None] | None,
        should_stop: Callable[[], bool] | None,
    ) -> QueryOutcome:
        delay = POLL_FIRST
        while True:
            execution = self._execution(query_id, what)
            outcome = _outcome(query_id, execution, started)
            if on_progress is not None:
                on_progress(outcome)
            if outcome.state == "SUCCEEDED":
                return outcome
            if outcome.state == "FAILED":
                raise SyncError(f"{what}: the query failed: {_failure_reason(execution)}")
            if outcome.state == "CANCELLED":
                raise SyncError(self._cancelled(what, execution, outcome))
            if max_scan is not None and outcome.bytes_scanned > max_scan:
                self.stop(query_id)
                scanned = outcome.bytes_scanned
                raise SyncError(
                    f"{what}: query stopped: it had scanned {size_text(scanned)}, more "
                    f"than --max-scan {size_text(max_scan)} ({price_text(scanned)} so far)"
                )
            if self._pause(delay, should_stop):
                self.stop(query_id)
                return replace(outcome, state="CANCELLED")
            delay = min(delay * 2, POLL_MAX)

    def _pause(self, seconds: float, should_stop: Callable[[], bool] | None) -> bool:
        """Wait `seconds` in short steps; True as soon as `should_stop()` says so."""
        left = seconds
        while left > 0:
            if should_stop is not None and should_stop():
                return True
            step = min(left, POLL_STEP)
            self._sleep(step)
            left -= step
        return should_stop is not None and should_stop()

    def _execution(self, query_id: str, what: str) -> QueryExecutionTypeDef:
        try:
            return self._client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        except botocore.exceptions.ClientError as error:
            raise SyncError(self._describe(error, what)) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, what)) from None

    def _cancelled(self, what: str, execution: QueryExecutionTypeDef, outcome: QueryOutcome) -> str:
        """Why a query we did not stop was cancelled: its workgroup's byte cutoff (data usage
        control), said with the limit, or whatever Athena says."""
        reason = execution.get("Status", {}).get("StateChangeReason", "")
        if _CUTOFF_REASON.search(reason):
            workgroup = execution.get("WorkGroup") or self.workgroup or "primary"
            cutoff = self._workgroup_cutoff(workgroup)
            limit = f" of {size_text(cutoff)}" if cutoff else ""
            return (
                f"{what}: the workgroup {printable(workgroup)}'s per-query limit{limit} ended "
                f"the query (it had scanned {scan_text(outcome.bytes_scanned)})"
            )
        if reason:
            return f"{what}: the query was cancelled: {printable(reason)}"
        return f"{what}: the query was cancelled (not by rdstrail)"

    def _workgroup_cutoff(self, workgroup: str) -> int | None:
        """The workgroup's BytesScannedCutoffPerQuery, if it can be read (GetWorkGroup may
        be denied to a caller that may run queries)."""
        try:
            response = self._client.get_work_group(WorkGroup=workgroup)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            return None
        return response["WorkGroup"].get("Configuration", {}).get("BytesScannedCutoffPerQuery")


def _outcome(query_id: str, execution: QueryExecutionTypeDef, started: float) -> QueryOutcome:
    statistics = execution.get("Statistics", {})
    return QueryOutcome(
        query_id=query_id,
        state=str(execution.get("Status", {}).get("State", "QUEUED")),
        bytes_scanned=int(statistics.get("DataScannedInBytes", 0)),
        output_location=execution.get("ResultConfiguration", {}).get("OutputLocation"),
        seconds=time.monotonic() - started,
        reused=bool(
            statistics.get("ResultReuseInformation", {}).get("ReusedPreviousResult", False)
        ),
    )


def _failure_reason(execution: QueryExecutionTypeDef) -> str:
    """Athena's own words for a FAILED query, on one line: the state change reason, and the
    error message when it says more."""
    status = execution.get("Status", {})
    reason = status.get("StateChangeReason", "").strip()
    message = status.get("AthenaError", {}).get("ErrorMessage", "").strip()
    if message and message not in reason:
        reason = f"{reason} ({message})" if reason else message
    return printable(reason or "Athena gave no reason")
