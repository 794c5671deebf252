"""A local Amazon Athena endpoint on 127.0.0.1 for the Athena source's tests: the JSON 1.1
protocol as botocore speaks it, the queries run by the DuckDB engine of trail_engine.py over
trail objects read from a real SeaweedFS, the results written back to SeaweedFS as Athena
writes them.

    # import athena_server_fixture and seaweed_fixture (tests/support/seaweed.py): the
    # fixtures `athena_server` and `seaweed`
    def test_x(athena_server: AthenaServer, seaweed: SeaweedServer, monkeypatch, tmp_path):
        set_athena_env(monkeypatch, tmp_path, athena_server, seaweed)
        athena_server.fake.workgroups["primary"]["output_location"] = "s3://results/athena/"
        client = boto3.client("athena")   # AWS_ENDPOINT_URL_ATHENA points here

Operations: StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution,
GetTableMetadata, GetWorkGroup. Every request is SigV4-signed for service `athena` and
checked like tests/support/lookup_server.py checks (the same code): with the SeaweedFS test
keys (seaweed.ACCESS_KEY, or LIST_ONLY_ACCESS_KEY: results are written to S3 under the
caller's own keys, so the list-only identity cannot write them) or the LookupEvents test keys
(lookup_server.ACCESS_KEY, written with the SeaweedFS admin keys).

What it does as Athena does (the wording of every message is Athena's):
- `CREATE DATABASE` and `CREATE EXTERNAL TABLE` (Hive DDL, read with regular expressions:
  the name, LOCATION, TBLPROPERTIES); any other DDL FAILS. The columns are always those of
  trail_engine.SCHEMA, whatever the DDL lists.
- A SELECT must parse with Trino's grammar (trino-query-parser): else FAILED with
  "line L:C: mismatched input ...". Its table must exist (TABLE_NOT_FOUND / SCHEMA_NOT_FOUND
  with the position of the name). An `injected` account projection needs `account = '...'` or
  `account IN (...)` among the WHERE's top-level conditions (CONSTRAINT_VIOLATION).
- The table's objects are those under its LOCATION that its storage.location.template and
  projection (enum values, date range) admit, read from SeaweedFS when first queried and again
  when the listing changes. DataScannedInBytes is the size of the objects in the partitions
  the WHERE keeps; it grows linearly while RUNNING; past the workgroup's
  BytesScannedCutoffPerQuery the query ends CANCELLED, "Bytes scanned limit was exceeded".
- QUEUED -> RUNNING -> SUCCEEDED after `queued_seconds` and `running_seconds`; the result is
  `<OutputLocation>/<QueryExecutionId>.csv` (+ `.csv.metadata`) in SeaweedFS: a header row,
  every value double-quoted with quotes doubled, NULL an empty unquoted field; structs, arrays
  and maps as Trino prints them ({a=1, b=null}, [x, y]). GetQueryResults pages it (MaxResults
  up to 1000, the header the first row of the first page only).
- No output location in the call or the workgroup: InvalidRequestException. A bucket in
  `denied_output_buckets` (or that the caller's keys cannot write): FAILED, "Access denied
  when writing output to url: ...".
What it cannot show: Trino's own evaluation (DuckDB runs sqlglot's translation), Glue (the
catalogue is this process's memory), columns read selectively (whole objects are billed).

Faults and records on `server.fake`: throttle_next(n) (the next n requests of any operation
answer TooManyRequestsException), fail_next(reason) (the next SELECT ends FAILED with it),
workgroups, denied_output_buckets, queued_seconds, running_seconds; statements, stopped,
requests (per operation), bytes_scanned (per query), throttled.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
import sqlglot
from sqlglot import exp

from tests.support import lookup_server
from tests.support.background_server import BackgroundServer
from tests.support.lookup_server import Json11Handler, _ApiError, _check_signature, set_aws_env
from tests.support.seaweed import (
    ACCESS_KEY as SEAWEED_ACCESS_KEY,
)
from tests.support.seaweed import (
    LIST_ONLY_ACCESS_KEY,
    LIST_ONLY_SECRET_KEY,
    SeaweedServer,
)
from tests.support.seaweed import (
    SECRET_KEY as SEAWEED_SECRET_KEY,
)
from tests.support.trail_engine import (
    PARTITION_COLUMNS,
    SCHEMA,
    AthenaTable,
    hive_type,
    outer_where,
    top_level_conjuncts,
)
from tests.support.trino_grammar import TrinoSyntaxError, check_trino

TARGET_PREFIX = "AmazonAthena."
CATALOG = "awsdatacatalog"
MAX_RESULTS = 1000
SERDE = "com.amazon.emr.hive.serde.CloudTrailSerde"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
# Athena's AthenaError.ErrorCategory: 1 system, 2 user, 3 other. The ErrorType numbers are
# this fake's own (Athena documents a catalogue of them; nothing here depends on the values).
USER_ERROR = 2
NO_OUTPUT_LOCATION = (
    "No output location provided. An output location is required either through the "
    "Workgroup result configuration setting or as an API input."
)
CUTOFF_REASON = "Bytes scanned limit was exceeded"
CANCELLED_BY_USER = "Query cancelled by user"
ENTITY_NOT_FOUND = (
    "Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: "
    "EntityNotFoundException; Request ID: {request}; Proxy: null)"
)


def access_denied_reason(url: str) -> str:
    return (
        f"Access denied when writing output to url: {url} . Please ensure you are allowed to "
        "access the S3 bucket. If you are encrypting query results with KMS key, please ensure "
        "you are allowed to access your KMS key"
    )


def injected_reason(column: str) -> str:
    return (
        f"CONSTRAINT_VIOLATION: For the injected projected partition column {column}, the "
        "WHERE clause must contain only static equality conditions, and at least one such "
        "condition must be present."
    )


# -- the catalogue -----------------------------------------------------------------------------


@dataclass
class CatalogTable:
    database: str
    name: str
    location: str
    properties: dict[str, str]
    created: float = field(default_factory=time.time)

    @property
    def template(self) -> str:
        return self.properties.get("storage.location.template") or (
            self.location.rstrip("/") + "/${account}/CloudTrail/${region}/${timestamp}"
        )

    def projection_type(self, column: str) -> str | None:
        if self.properties.get("projection.enabled", "").lower() != "true":
            return None
        return self.properties.get(f"projection.{column}.type")


def split_s3(url: str) -> tuple[str, str]:
    """(bucket, key) of an s3:// URL."""
    if not url.startswith("s3://"):
        raise ValueError(f"not an s3:// URL: {url}")
    bucket, _, key = url[len("s3://") :].partition("/")
    return bucket, key


def _unquote(name: str) -> str:
    return name.strip().strip("`\"'").lower()


_CREATE_TABLE = re.compile(
    r"^\s*CREATE\s+EXTERNAL\s+TABLE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?"
    r"(?P<name>[`\"]?[\w-]+[`\"]?(?:\s*\.\s*[`\"]?[\w-]+[`\"]?)?)",
    re.IGNORECASE,
)
_CREATE_DATABASE = re.compile(
    r"^\s*CREATE\s+(?:DATABASE|SCHEMA)\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?[`\"]?(?P<name>[\w-]+)",
    re.IGNORECASE,
)
_LOCATION = re.compile(r"\bLOCATION\s+'(?P<url>[^']*)'", re.IGNORECASE)
_TBLPROPERTIES = re.compile(r"\bTBLPROPERTIES\s*\((?P<body>.*)\)", re.IGNORECASE | re.DOTALL)
_PROPERTY = re.compile(r"'(?P<key>[^']*)'\s*=\s*'(?P<value>[^']*)'")


def parse_create_table(ddl: str, default_database: str) -> tuple[CatalogTable, bool] | None:
    """The table a CREATE EXTERNAL TABLE declares, and whether it said IF NOT EXISTS."""
    match = _CREATE_TABLE.match(ddl)
    if match is None:
        return None
    parts = [_unquote(part) for part in match["name"].split(".")]
    database, name = (default_database, parts[0]) if len(parts) == 1 else (parts[0], parts[1])
    location = _LOCATION.search(ddl)
    body = _TBLPROPERTIES.search(ddl)
    properties = {m["key"]: m["value"] for m in _PROPERTY.finditer(body["body"])} if body else {}
    table = CatalogTable(database, name, location["url"] if location else "", properties)
    return table, bool(match["exists"])


def _template_pattern(template: str) -> re.Pattern[str]:
    """A template `s3://b/p/AWSLogs/${account}/CloudTrail/${region}/${timestamp}` as a
    pattern for the URLs of the objects of its partitions."""
    pattern = ""
    for piece in re.split(r"(\$\{\w+\})", template.rstrip("/")):
        if piece.startswith("${"):
            name = piece[2:-1]
            pattern += (
                r"(?P<timestamp>\d{4}/\d{2}/\d{2})" if name == "timestamp" else f"(?P<{name}>[^/]+)"
            )
        else:
            pattern += re.escape(piece)
    return re.compile(pattern + r"/[^/]+$")


def _date_range(value: str) -> tuple[str, str] | None:
    """projection.timestamp.range 'yyyy/MM/dd,NOW' as two yyyy/MM/dd strings."""
    parts = [part.strip() for part in value.split(",")]
    if len(parts) != 2:
        return None
    today = datetime.now(timezone.utc).strftime("%Y/%m/%d")
    low, high = (today if part.upper().startswith("NOW") else part for part in parts)
    return low, high


def _admitted(table: CatalogTable, values: dict[str, str]) -> bool:
    """Whether the partition projection generates this partition."""
    for column in ("account", "region"):
        if table.projection_type(column) == "enum":
            allowed = {
                v.strip()
                for v in table.properties.get(f"projection.{column}.values", "").split(",")
            }
            if values.get(column) not in allowed:
                return False
    if table.projection_type("timestamp") == "date":
        bounds = _date_range(table.properties.get("projection.timestamp.range", ""))
        if bounds and not bounds[0] <= values.get("timestamp", "") <= bounds[1]:
            return False
    return True


# -- executions ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How a query ends, known once its worker is done."""

    state: str  # SUCCEEDED, FAILED, or CANCELLED (the workgroup's cutoff)
    reason: str | None = None
    error_type: int = 0
    fail_fast: bool = False  # refused before running (syntax, missing table): no RUNNING
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    rows: list[list[str | None]] = field(default_factory=list)


@dataclass
class Execution:
    id: str
    query: str
    statement_type: str  # DML or DDL
    database: str
    catalog: str
    workgroup: str
    output_url: str  # the result file's s3:// URL
    submitted: float  # epoch
    started: float  # monotonic
    queued: float
    running: float
    cutoff: int | None
    access_key: str
    reuse: dict[str, Any] | None
    total_bytes: int = 0
    outcome: Outcome | None = None
    stopped_at: float | None = None
    stopped_bytes: int = 0
    reused_from: Execution | None = None
    done: threading.Event = field(default_factory=threading.Event)


@dataclass
class Status:
    state: str
    bytes: int
    reason: str | None = None
    ended_at: float | None = None  # monotonic


def _status(execution: Execution, now: float) -> Status:
    """Where a query is at monotonic time `now`."""
    queue_end = execution.started + execution.queued
    run_end = queue_end + execution.running
    total = execution.total_bytes

    def scanned(at: float) -> int:
        if execution.running <= 0:
            return total
        return int(total * min(1.0, max(0.0, (at - queue_end) / execution.running)))

    if execution.stopped_at is not None:
        return Status("CANCELLED", execution.stopped_bytes, CANCELLED_BY_USER, execution.stopped_at)
    if now < queue_end:
        return Status("QUEUED", 0)
    outcome = execution.outcome
    if outcome is None or not execution.done.is_set():
        return Status("RUNNING", scanned(now))
    if outcome.fail_fast:
        return Status(outcome.state, 0, outcome.reason, queue_end)
    if execution.reused_from is not None:
        return Status(outcome.state, 0, outcome.reason, queue_end)
    if outcome.state == "CANCELLED" and execution.cutoff is not None and total > 0:
        cut_at = queue_end + execution.running * execution.cutoff / total
        if now >= cut_at:
            return Status("CANCELLED", execution.cutoff, outcome.reason, cut_at)
        return Status("RUNNING", scanned(now))
    if now < run_end:
        return Status("RUNNING", scanned(now))
    return Status(outcome.state, total, outcome.reason, run_end)


def athena_text(value: Any) -> str | None:
    """A value as Athena prints it in a result (CSV and GetQueryResults)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, (date, Decimal, int, float)):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_nested(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return str(value)


def _nested(value: Any) -> str:
    text = athena_text(value)
    return "null" if text is None else text


def athena_type(duckdb_type: str) -> str:
    """A DuckDB column type as the Trino type name ColumnInfo.Type reports."""
    upper = duckdb_type.upper()
    if upper.endswith("[]"):
        return "array"
    for prefix, name in (
        ("STRUCT", "row"),
        ("MAP", "map"),
        ("VARCHAR", "varchar"),
        ("BIGINT", "bigint"),
        ("INTEGER", "integer"),
        ("BOOLEAN", "boolean"),
        ("DOUBLE", "double"),
        ("TIMESTAMP", "timestamp"),
        ("DATE", "date"),
        ("DECIMAL", "decimal"),
    ):
        if upper.startswith(prefix):
            return name
    return upper.lower()


def result_csv(columns: list[str], rows: list[list[str | None]]) -> bytes:
    """Athena's result CSV: every value quoted, quotes doubled, NULL an empty unquoted field."""
    out = io.StringIO()

    def line(values: list[str | None]) -> str:
        return ",".join(
            "" if value is None else '"' + value.replace('"', '""') + '"' for value in values
        )

    out.write(line(list(columns)) + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    return out.getvalue().encode("utf-8")


# -- the service -----------------------------------------------------------------------------


class _Refused(Exception):
    """A query that ends FAILED (or CANCELLED) with Athena's reason."""

    def __init__(self, reason: str, error_type: int = 1000, *, fast: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.error_type = error_type
        self.fast = fast


class FakeAthena:
    """The state and logic behind the HTTP server; thread-safe."""

    def __init__(self, seaweed: SeaweedServer, *, region: str = "us-east-1") -> None:
        self.seaweed = seaweed
        self.region = region
        self.keys = {
            SEAWEED_ACCESS_KEY: SEAWEED_SECRET_KEY,
            LIST_ONLY_ACCESS_KEY: LIST_ONLY_SECRET_KEY,
            lookup_server.ACCESS_KEY: lookup_server.SECRET_KEY,
        }
        self.expired_keys = {lookup_server.EXPIRED_KEY}
        self.queued_seconds = 0.05
        self.running_seconds = 0.05
        # name -> {"output_location": s3 URL or None, "bytes_cutoff": int or None}
        self.workgroups: dict[str, dict[str, Any]] = {
            "primary": {"output_location": None, "bytes_cutoff": None}
        }
        self.denied_output_buckets: set[str] = set()
        self.databases: set[str] = {"default"}
        self.tables: dict[tuple[str, str], CatalogTable] = {}
        # what happened
        self.statements: list[str] = []
        self.stopped: list[str] = []
        self.requests: dict[str, int] = {}
        self.bytes_scanned: dict[str, int] = {}
        self.throttled = 0
        self.tables_loaded = 0  # how many times a table's objects were (re)read
        self._lock = threading.RLock()
        self._throttle_next = 0
        self._fail_next: list[str] = []
        self._executions: dict[str, Execution] = {}
        self._tokens: dict[str, str] = {}
        self._loaded: dict[tuple[str, str], tuple[list[tuple[str, int, str]], AthenaTable]] = {}
        self._load_locks: dict[tuple[str, str], threading.Lock] = {}

    # -- faults and set-up

    def throttle_next(self, count: int) -> None:
        with self._lock:
            self._throttle_next += count

    def fail_next(self, reason: str) -> None:
        with self._lock:
            self._fail_next.append(reason)

    def add_table(self, table: CatalogTable) -> None:
        """Register a table without DDL (its database too)."""
        with self._lock:
            self.databases.add(table.database)
            self.tables[(table.database, table.name)] = table

    def execution(self, query_id: str) -> Execution:
        with self._lock:
            return self._executions[query_id]

    def wait(self, query_id: str, timeout: float = 30.0) -> str:
        """Block until the query is in a final state; returns it (for tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = _status(self.execution(query_id), time.monotonic()).state
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return state
            time.sleep(0.01)
        raise TimeoutError(query_id)

    # -- requests

    def handle(self, operation: str, body: dict[str, Any], access_key: str) -> dict[str, Any]:
        with self._lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1
            if self._throttle_next > 0:
                self._throttle_next -= 1
                self.throttled += 1
                raise _ThrottledError
        handler = getattr(self, "_op_" + operation, None)
        if handler is None:
            raise _ApiError(400, "UnknownOperationException", f"Unknown operation {operation}")
        result: dict[str, Any] = handler(body, access_key)
        return result

    def _op_StartQueryExecution(self, body: dict[str, Any], access_key: str) -> dict[str, Any]:
        query = body.get("QueryString")
        if not isinstance(query, str) or not query.strip():
            raise _invalid("QueryString must not be empty")
        token = body.get("ClientRequestToken")
        with self._lock:
            if isinstance(token, str) and token in self._tokens:
                return {"QueryExecutionId": self._tokens[token]}
        workgroup_name = str(body.get("WorkGroup") or "primary")
        workgroup = self.workgroups.get(workgroup_name)
        if workgroup is None:
            raise _invalid("WorkGroup is not found.")
        output = (body.get("ResultConfiguration") or {}).get("OutputLocation") or workgroup.get(
            "output_location"
        )
        if not output:
            raise _invalid(NO_OUTPUT_LOCATION)
        if not str(output).startswith("s3://"):
            raise _invalid(f"outputLocation is not a valid S3 path. Provided {output}")
        context = body.get("QueryExecutionContext") or {}
        query_id = str(uuid.uuid4())
        ddl = _is_ddl(query)
        output_url = str(output).rstrip("/") + f"/{query_id}" + (".txt" if ddl else ".csv")
        execution = Execution(
            id=query_id,
            query=query,
            statement_type="DDL" if ddl else "DML",
            database=str(context.get("Database") or "default").lower(),
            catalog=str(context.get("Catalog") or CATALOG).lower(),
            workgroup=workgroup_name,
            output_url=output_url,
            submitted=time.time(),
            started=time.monotonic(),
            queued=self.queued_seconds,
            running=self.running_seconds,
            cutoff=workgroup.get("bytes_cutoff"),
            access_key=access_key,
            reuse=body.get("ResultReuseConfiguration"),
        )
        with self._lock:
            self.statements.append(query)
            self._executions[query_id] = execution
            if isinstance(token, str):
                self._tokens[token] = query_id
            fail_with = self._fail_next.pop(0) if self._fail_next and not ddl else None
        threading.Thread(
            target=self._run,
            args=(execution, fail_with),
            name=f"athena-{query_id[:8]}",
            daemon=True,
        ).start()
        return {"QueryExecutionId": query_id}

    def _op_GetQueryExecution(self, body: dict[str, Any], _: str) -> dict[str, Any]:
        execution = self._find(body)
        status = _status(execution, time.monotonic())
        return {"QueryExecution": self._describe(execution, status)}

    def _op_StopQueryExecution(self, body: dict[str, Any], _: str) -> dict[str, Any]:
        execution = self._find(body)
        with self._lock:
            status = _status(execution, time.monotonic())
            if status.state in ("QUEUED", "RUNNING"):
                execution.stopped_bytes = status.bytes
                execution.stopped_at = time.monotonic()
                self.bytes_scanned[execution.id] = status.bytes
            self.stopped.append(execution.id)
        return {}

    def _op_GetQueryResults(self, body: dict[str, Any], _: str) -> dict[str, Any]:
        execution = self._find(body)
        status = _status(execution, time.monotonic())
        if status.state in ("QUEUED", "RUNNING"):
            raise _invalid(f"Query has not yet finished. Current state: {status.state}")
        if status.state != "SUCCEEDED":
            raise _invalid(f"Query did not finish successfully. Final query state: {status.state}")
        outcome = execution.outcome
        assert outcome is not None
        max_results = body.get("MaxResults", MAX_RESULTS)
        if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
            raise _invalid(
                "1 validation error detected: Value at 'maxResults' failed to satisfy "
                "constraint: Member must have value less than or equal to 1000"
            )
        # The header is the first row of the first page, counted among its MaxResults.
        table: list[list[str | None]] = [list(outcome.columns), *outcome.rows]
        start = self._page_start(execution, body.get("NextToken"))
        page = table[start : start + max_results]
        response: dict[str, Any] = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [
                    {"Data": [{} if value is None else {"VarCharValue": value} for value in row]}
                    for row in page
                ],
                "ResultSetMetadata": {
                    "ColumnInfo": [
                        {
                            "CatalogName": "hive",
                            "SchemaName": "",
                            "TableName": "",
                            "Name": name,
                            "Label": name,
                            "Type": kind,
                            "Precision": 2147483647 if kind == "varchar" else 0,
                            "Scale": 0,
                            "Nullable": "UNKNOWN",
                            "CaseSensitive": kind == "varchar",
                        }
                        for name, kind in zip(outcome.columns, outcome.types)
                    ]
                },
            },
        }
        if start + max_results < len(table):
            response["NextToken"] = base64.urlsafe_b64encode(
                json.dumps({"q": execution.id, "o": start + max_results}).encode()
            ).decode()
        return response

    def _op_GetTableMetadata(self, body: dict[str, Any], _: str) -> dict[str, Any]:
        database = str(body.get("DatabaseName", "")).lower()
        name = str(body.get("TableName", "")).lower()
        if str(body.get("CatalogName", "")).lower() != CATALOG:
            raise _ApiError(
                400, "MetadataException", f"Catalog {body.get('CatalogName')} not found"
            )
        with self._lock:
            table = self.tables.get((database, name))
        if table is None:
            raise _ApiError(400, "MetadataException", ENTITY_NOT_FOUND.format(request=uuid.uuid4()))
        parameters = {
            "EXTERNAL": "TRUE",
            "inputformat": INPUT_FORMAT,
            "outputformat": OUTPUT_FORMAT,
            "serde.serialization.lib": SERDE,
            "location": table.location,
            "transient_lastDdlTime": str(int(table.created)),
            **table.properties,
        }
        return {
            "TableMetadata": {
                "Name": table.name,
                "CreateTime": table.created,
                "LastAccessTime": 0,
                "TableType": "EXTERNAL_TABLE",
                "Columns": [{"Name": n, "Type": hive_type(shape)} for n, shape in SCHEMA],
                "PartitionKeys": [{"Name": n, "Type": "string"} for n in PARTITION_COLUMNS],
                "Parameters": parameters,
            }
        }

    def _op_GetWorkGroup(self, body: dict[str, Any], _: str) -> dict[str, Any]:
        name = str(body.get("WorkGroup", ""))
        workgroup = self.workgroups.get(name)
        if workgroup is None:
            raise _invalid(f"WorkGroup {name} is not found.")
        configuration: dict[str, Any] = {
            "ResultConfiguration": {},
            "EnforceWorkGroupConfiguration": False,
            "PublishCloudWatchMetricsEnabled": False,
            "RequesterPaysEnabled": False,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }
        if workgroup.get("output_location"):
            configuration["ResultConfiguration"]["OutputLocation"] = workgroup["output_location"]
        if workgroup.get("bytes_cutoff") is not None:
            configuration["BytesScannedCutoffPerQuery"] = workgroup["bytes_cutoff"]
        return {
            "WorkGroup": {
                "Name": name,
                "State": "ENABLED",
                "Configuration": configuration,
                "CreationTime": 0,
            }
        }

    # -- helpers of the operations

    def _find(self, body: dict[str, Any]) -> Execution:
        query_id = body.get("QueryExecutionId")
        with self._lock:
            execution = self._executions.get(str(query_id))
        if execution is None:
            raise _invalid(f"QueryExecution {query_id} was not found")
        return execution

    def _page_start(self, execution: Execution, token: object) -> int:
        if token is None:
            return 0
        try:
            data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            if data["q"] == execution.id:
                return int(data["o"])
        except (ValueError, KeyError, TypeError):
            pass
        raise _invalid("The NextToken is not valid for this query.")

    def _describe(self, execution: Execution, status: Status) -> dict[str, Any]:
        queue_ms = int(1000 * min(execution.queued, time.monotonic() - execution.started))
        end = status.ended_at if status.ended_at is not None else time.monotonic()
        total_ms = int(1000 * max(0.0, end - execution.started))
        statistics: dict[str, Any] = {
            "EngineExecutionTimeInMillis": max(0, total_ms - queue_ms),
            "DataScannedInBytes": status.bytes,
            "TotalExecutionTimeInMillis": total_ms,
            "QueryQueueTimeInMillis": queue_ms,
            "ServicePreProcessingTimeInMillis": 0,
            "QueryPlanningTimeInMillis": 0,
            "ServiceProcessingTimeInMillis": 0,
            "ResultReuseInformation": {"ReusedPreviousResult": execution.reused_from is not None},
        }
        state: dict[str, Any] = {"State": status.state, "SubmissionDateTime": execution.submitted}
        if status.ended_at is not None:
            state["CompletionDateTime"] = execution.submitted + (
                status.ended_at - execution.started
            )
        if status.reason is not None:
            state["StateChangeReason"] = status.reason
        outcome = execution.outcome
        if status.state == "FAILED" and outcome is not None:
            state["AthenaError"] = {
                "ErrorCategory": USER_ERROR,
                "ErrorType": outcome.error_type,
                "Retryable": False,
                "ErrorMessage": outcome.reason or "",
            }
        output = execution.reused_from.output_url if execution.reused_from else execution.output_url
        described: dict[str, Any] = {
            "QueryExecutionId": execution.id,
            "Query": execution.query,
            "StatementType": execution.statement_type,
            "ResultConfiguration": {"OutputLocation": output},
            "QueryExecutionContext": {"Database": execution.database, "Catalog": execution.catalog},
            "Status": state,
            "Statistics": statistics,
            "WorkGroup": execution.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
            "SubstatementType": "SELECT" if execution.statement_type == "DML" else "CREATE_TABLE",
        }
        if execution.reuse is not None:
            described["ResultReuseConfiguration"] = execution.reuse
        return described

    # -- running a query (in its own thread)

    def _run(self, execution: Execution, fail_with: str | None) -> None:
        try:
            if execution.statement_type == "DDL":
                outcome = self._run_ddl(execution)
            else:
                outcome = self._run_select(execution, fail_with)
        except _Refused as refused:
            outcome = Outcome("FAILED", refused.reason, refused.error_type, fail_fast=refused.fast)
        except Exception as error:  # a fault of the fake: the query says what it was
            outcome = Outcome("FAILED", f"GENERIC_INTERNAL_ERROR: {error!r}", 1, fail_fast=True)
        with self._lock:
            execution.outcome = outcome
            self.bytes_scanned.setdefault(
                execution.id, 0 if outcome.fail_fast else execution.total_bytes
            )
            if outcome.state == "CANCELLED" and execution.cutoff is not None:
                self.bytes_scanned[execution.id] = execution.cutoff
            execution.done.set()

    def _run_ddl(self, execution: Execution) -> Outcome:
        query = execution.query
        database = _CREATE_DATABASE.match(query)
        if database is not None:
            name = database["name"].lower()
            with self._lock:
                if name in self.databases and not database["exists"]:
                    raise _Refused(
                        f"FAILED: AlreadyExistsException: Database {name} already exists"
                    )
                self.databases.add(name)
            self._write_output(execution, b"")
            return Outcome("SUCCEEDED")
        parsed = parse_create_table(query, execution.database)
        if parsed is None:
            raise _Refused(
                "FAILED: this local Athena runs CREATE DATABASE and CREATE EXTERNAL TABLE only"
            )
        table, if_not_exists = parsed
        with self._lock:
            if table.database not in self.databases:
                raise _Refused(
                    f"FAILED: SemanticException [Error 10072]: Database does not exist: "
                    f"{table.database}"
                )
            if (table.database, table.name) in self.tables and not if_not_exists:
                raise _Refused("FAILED: AlreadyExistsException: Table already exists.")
            self.tables.setdefault((table.database, table.name), table)
            self._loaded.pop((table.database, table.name), None)
        self._write_output(execution, b"")
        return Outcome("SUCCEEDED")

    def _run_select(self, execution: Execution, fail_with: str | None) -> Outcome:
        query = execution.query
        _check_grammar(query)
        try:
            tree = sqlglot.parse_one(query, read="trino")
        except sqlglot.errors.ParseError as error:
            raise _Refused(
                f"GENERIC_USER_ERROR: the local engine cannot read this: {error}"
            ) from None
        table, reference = self._resolve(tree, execution)
        self._check_injected(table, tree)
        previous = self._reusable(execution)
        if previous is not None and previous.outcome is not None:
            execution.reused_from = previous  # nothing read, nothing billed
            return previous.outcome
        engine = self._engine(table)
        scanned = engine.objects_scanned(query, table=reference)
        execution.total_bytes = sum(size for _, size in scanned)
        if execution.cutoff is not None and execution.total_bytes > execution.cutoff:
            return Outcome("CANCELLED", CUTOFF_REASON)
        if fail_with is not None:
            return Outcome("FAILED", fail_with, 1)
        try:
            columns, rows, types = engine.execute_typed(query, table=reference)
        except Exception as error:  # DuckDB refused what Trino's grammar accepted
            raise _Refused(f"GENERIC_USER_ERROR: {error}", fast=False) from None
        text_rows = [[athena_text(value) for value in row] for row in rows]
        outcome = Outcome(
            "SUCCEEDED", columns=columns, types=[athena_type(t) for t in types], rows=text_rows
        )
        self._write_output(execution, result_csv(columns, text_rows), metadata=True)
        return outcome

    def _resolve(self, tree: Any, execution: Execution) -> tuple[CatalogTable, str]:
        """The catalogue's table the statement reads, and how the statement names it."""
        for node in tree.find_all(exp.Table):
            catalog = (node.catalog or CATALOG).lower()
            database = (node.db or execution.database).lower()
            name = node.name.lower()
            where = _position(execution.query, node.name)
            with self._lock:
                known_database = database in self.databases
                table = self.tables.get((database, name))
            if catalog != CATALOG:
                raise _Refused(
                    f"CATALOG_NOT_FOUND: line 1:{where}: Catalog '{catalog}' does not exist"
                )
            if not known_database:
                raise _Refused(
                    f"SCHEMA_NOT_FOUND: line 1:{where}: Schema '{database}' does not exist"
                )
            if table is None:
                raise _Refused(
                    f"TABLE_NOT_FOUND: line 1:{where}: Table '{CATALOG}.{database}.{name}' "
                    "does not exist"
                )
            return table, f"{database}.{name}"
        raise _Refused("NOT_SUPPORTED: this local Athena needs a FROM with a table")

    def _check_injected(self, table: CatalogTable, tree: Any) -> None:
        for column in PARTITION_COLUMNS:
            if table.projection_type(column) != "injected":
                continue
            if not any(
                _static_equality(part, column) for part in top_level_conjuncts(outer_where(tree))
            ):
                raise _Refused(injected_reason(column))

    def _reusable(self, execution: Execution) -> Execution | None:
        """A finished identical query whose result may be reused (ResultReuseConfiguration)."""
        by_age = (execution.reuse or {}).get("ResultReuseByAgeConfiguration") or {}
        if not by_age.get("Enabled"):
            return None
        max_age = 60.0 * float(by_age.get("MaxAgeInMinutes", 60))
        now = time.monotonic()
        with self._lock:
            candidates = [
                other
                for other in self._executions.values()
                if other is not execution
                and other.query == execution.query
                and other.reused_from is None
                and now - other.started <= max_age
                and _status(other, now).state == "SUCCEEDED"
            ]
        return candidates[-1] if candidates else None

    def _engine(self, table: CatalogTable) -> AthenaTable:
        """The table's DuckDB engine, (re)loaded when the objects under its location changed."""
        key = (table.database, table.name)
        with self._lock:
            lock = self._load_locks.setdefault(key, threading.Lock())
        with lock:
            listing = self._listing(table)
            cached = self._loaded.get(key)
            if cached is not None and cached[0] == listing:
                return cached[1]
            engine = self._load(table, listing)
            with self._lock:
                self._loaded[key] = (listing, engine)
                self.tables_loaded += 1
            return engine

    def _listing(self, table: CatalogTable) -> list[tuple[str, int, str]]:
        """(URL, size, ETag) of every object under the table's location."""
        if not table.location.startswith("s3://"):
            raise _Refused(f"HIVE_METASTORE_ERROR: Table location is not valid: {table.location!r}")
        bucket, prefix = split_s3(table.location)
        client = self.seaweed.client()
        found = []
        try:
            for page in client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix
            ):
                for item in page.get("Contents", []):
                    found.append(
                        (f"s3://{bucket}/{item['Key']}", int(item["Size"]), str(item["ETag"]))
                    )
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code != "NoSuchBucket":
                raise
        return sorted(found)

    def _load(self, table: CatalogTable, listing: list[tuple[str, int, str]]) -> AthenaTable:
        pattern = _template_pattern(table.template)
        wanted = []
        for url, _, _ in listing:
            match = pattern.match(url)
            if match is None:
                continue
            values = {name: match[name] for name in PARTITION_COLUMNS if name in match.groupdict()}
            if _admitted(table, values):
                wanted.append((url, values))
        client = self.seaweed.client()

        def fetch(url: str) -> bytes:
            bucket, key = split_s3(url)
            return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())

        engine = AthenaTable()
        with ThreadPoolExecutor(16) as pool:
            for (url, values), data in zip(wanted, pool.map(fetch, [url for url, _ in wanted])):
                try:
                    engine.add_object(
                        url,
                        data,
                        account=values.get("account", ""),
                        region=values.get("region", ""),
                        day=values.get("timestamp", ""),
                    )
                except ValueError as error:
                    raise _Refused(
                        f"HIVE_CURSOR_ERROR: {error} (in {url})", 1, fast=False
                    ) from None
        return engine

    def _write_output(self, execution: Execution, data: bytes, *, metadata: bool = False) -> None:
        """Write the result as the caller (its own SeaweedFS keys where it signed with them)."""
        url = execution.output_url
        bucket, key = split_s3(url)
        if bucket in self.denied_output_buckets:
            raise _Refused(access_denied_reason(url), 1306, fast=False)
        if execution.access_key == LIST_ONLY_ACCESS_KEY:
            client = self.seaweed.client(
                access_key=LIST_ONLY_ACCESS_KEY, secret_key=LIST_ONLY_SECRET_KEY
            )
        else:
            client = self.seaweed.client()
        try:
            client.put_object(Bucket=bucket, Key=key, Body=data)
            if metadata:
                # Athena's own binary description of the columns; its bytes are not a contract.
                client.put_object(Bucket=bucket, Key=key + ".metadata", Body=b"\x00rdstrail-fake")
        except botocore.exceptions.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                raise _Refused(
                    f"Unable to verify/create output bucket {bucket}", 1306, fast=False
                ) from None
            raise _Refused(access_denied_reason(url), 1306, fast=False) from None


class _ThrottledError(Exception):
    pass


def _invalid(message: str) -> _ApiError:
    return _ApiError(400, "InvalidRequestException", message)


def _is_ddl(query: str) -> bool:
    first = re.sub(r"^(\s|--[^\n]*\n|/\*.*?\*/)*", "", query, flags=re.DOTALL)
    word = first.split(None, 1)[0].upper() if first.strip() else ""
    return word not in ("SELECT", "WITH", "VALUES", "(", "TABLE", "EXPLAIN", "SHOW", "DESCRIBE")


def _check_grammar(query: str) -> None:
    """Trino's grammar, as Athena applies it: a statement it rejects FAILS with the position."""
    try:
        check_trino(query)
    except TrinoSyntaxError as error:
        message = str(getattr(error, "msg", error)).replace(" expecting ", ". Expecting: ", 1)
        line = getattr(error, "line", 1)
        column = int(getattr(error, "column", 0)) + 1
        raise _Refused(f"line {line}:{column}: {message}", 1100) from None


def _position(query: str, name: str) -> int:
    """The 1-based column of a table's name after FROM (where Trino reports it)."""
    match = re.search(
        r"\bFROM\s+((?:[`\"]?[\w-]+[`\"]?\s*\.\s*)*[`\"]?" + re.escape(name) + ")",
        query,
        re.IGNORECASE,
    )
    return match.start(1) + 1 if match else 1


def _static_equality(condition: Any, column: str) -> bool:
    """`column = 'literal'` or `column IN ('literal', ...)`: what injected projection needs."""
    if isinstance(condition, exp.EQ):
        sides = [condition.this, condition.expression]
        return any(
            isinstance(a, exp.Column) and a.name.lower() == column and isinstance(b, exp.Literal)
            for a, b in (sides, sides[::-1])
        )
    if isinstance(condition, exp.In) and not condition.args.get("query"):
        subject = condition.this
        values = condition.expressions
        return (
            isinstance(subject, exp.Column)
            and subject.name.lower() == column
            and bool(values)
            and all(isinstance(value, exp.Literal) for value in values)
        )
    return False


# -- HTTP ----------------------------------------------------------------------------------------


class _Handler(Json11Handler):
    server: _HTTPServer

    def do_POST(self) -> None:
        body, headers = self.request_parts()
        fake = self.server.fake
        try:
            access_key, _, service = _check_signature(
                "POST", self.path.split("?")[0], headers, body, fake.keys, fake.expired_keys
            )
            target = headers.get("x-amz-target", "")
            if service != "athena" or not target.startswith(TARGET_PREFIX):
                raise _ApiError(400, "UnknownOperationException", f"Unknown operation {target}")
            request = self.json_request(headers, body)
            self._json(200, fake.handle(target[len(TARGET_PREFIX) :], request, access_key))
        except _ThrottledError:
            self._json(
                400,
                {
                    "__type": "TooManyRequestsException",
                    "Message": "Rate exceeded",
                    "Reason": "CONCURRENT_QUERY_LIMIT_EXCEEDED",
                },
            )
        except _ApiError as error:
            payload: dict[str, Any] = {"__type": error.code, "Message": error.message}
            if error.code == "InvalidRequestException":
                payload["AthenaErrorCode"] = "INVALID_INPUT"
            self._json(error.status, payload)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAthena


class AthenaServer(BackgroundServer):
    """The fake on a free port of 127.0.0.1, served from a background thread."""

    def __init__(self, seaweed: SeaweedServer, *, region: str = "us-east-1", port: int = 0) -> None:
        self.fake = FakeAthena(seaweed, region=region)
        self.seaweed = seaweed
        http = _HTTPServer(("127.0.0.1", port), _Handler)
        http.fake = self.fake
        self._serve(http, "athena-server")


# -- the client side ----------------------------------------------------------------------------


def athena_env(server: AthenaServer, seaweed: SeaweedServer) -> dict[str, str]:
    """The environment under which boto3's default chain talks to this Athena and SeaweedFS
    with the SeaweedFS test keys (a subprocess's env, or monkeypatch.setenv each)."""
    return {
        "AWS_ACCESS_KEY_ID": seaweed.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweed.secret_key,
        "AWS_DEFAULT_REGION": server.fake.region,
        "AWS_ENDPOINT_URL_ATHENA": server.url,
        "AWS_ENDPOINT_URL_S3": seaweed.endpoint_url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def set_athena_env(
    monkeypatch: pytest.MonkeyPatch, directory: Path, server: AthenaServer, seaweed: SeaweedServer
) -> None:
    """lookup_server.set_aws_env (no real AWS files, no metadata service), then athena_env."""
    set_aws_env(monkeypatch, directory / "aws")
    monkeypatch.delenv("AWS_ENDPOINT_URL_ATHENA", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    for name, value in athena_env(server, seaweed).items():
        monkeypatch.setenv(name, value)


@pytest.fixture(name="athena_server")
def athena_server_fixture(seaweed: SeaweedServer) -> Iterator[AthenaServer]:
    """A fresh local Athena over the session's SeaweedFS (workgroup `primary`, no tables)."""
    with AthenaServer(seaweed) as server:
        yield server


def account_trail_ddl(
    table: str,
    location: str,
    *,
    accounts: list[str] | None = None,
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1"),
    since: str = "2018/01/01",
) -> str:
    """A CREATE EXTERNAL TABLE of the shape AWS documents, for tests of this fake (the
    product's own `rdstrail athena ddl` is what the source's tests should use)."""
    columns = ",\n  ".join(f"{name} {hive_type(shape)}" for name, shape in SCHEMA)
    account = (
        "'projection.account.type'='enum', 'projection.account.values'='" + ",".join(accounts) + "'"
        if accounts
        else "'projection.account.type'='injected'"
    )
    return (
        f"CREATE EXTERNAL TABLE {table} (\n  {columns}\n)\n"
        "PARTITIONED BY (`account` string, `region` string, `timestamp` string)\n"
        f"ROW FORMAT SERDE '{SERDE}'\n"
        f"STORED AS INPUTFORMAT '{INPUT_FORMAT}' OUTPUTFORMAT '{OUTPUT_FORMAT}'\n"
        f"LOCATION '{location}'\n"
        "TBLPROPERTIES (\n"
        "  'projection.enabled'='true',\n"
        f"  {account},\n"
        f"  'projection.region.type'='enum', 'projection.region.values'='{','.join(regions)}',\n"
        "  'projection.timestamp.type'='date', 'projection.timestamp.format'='yyyy/MM/dd',\n"
        f"  'projection.timestamp.range'='{since},NOW', 'projection.timestamp.interval'='1',\n"
        "  'projection.timestamp.interval.unit'='DAYS',\n"
        f"  'storage.location.template'='{location.rstrip('/')}/"
        "${account}/CloudTrail/${region}/${timestamp}'\n)"
    )
