"""A small local CloudTrail Lake endpoint: StartQuery, DescribeQuery, GetQueryResults and
CancelQuery in CloudTrail's JSON 1.1 protocol, as botocore sends them, on 127.0.0.1,
running each statement on a `LakeTable` (tests/support/lake_engine.py).

What it checks and does, like the service (botocore's cloudtrail 2013-11-01 model for the
shapes and error codes):
- every request is SigV4-signed and checked as tests/support/lookup_server.py does (its
  `_check_signature`): the client must sign with `ACCESS_KEY` / `SECRET_KEY` of that module
  (`set_aws_env` puts them in the environment); `EXPIRED_KEY` gets ExpiredTokenException.
  The target is `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`. A request
  signed for another region than the server's sees no event data store and no query.
- StartQuery: the statement is at most 10,000 characters (the model's QueryStatement max; a
  longer one is InvalidQueryStatementException, which only a client without parameter
  validation can send), a SELECT (or WITH) only, reads FROM known event data store IDs
  (unquoted, as Lake's examples write them, or double-quoted; unknown ->
  EventDataStoreNotFoundException), and parses with Trino's grammar (`trino_query_parser`,
  the IDs replaced by quoted identifiers first; a syntax error ->
  InvalidQueryStatementException with the parser's position). At most 10 queries QUEUED or
  RUNNING at once (MaxConcurrentQueriesException).
- A query is QUEUED for `queued_seconds`, RUNNING for `running_seconds` (BytesScanned and
  EventsScanned grow in proportion), then runs on the engine and is FINISHED, or FAILED with
  the engine's reason (or the message given to `fail_next`). Time is `fake.clock`
  (time.monotonic unless a test sets its own, so no test needs to sleep).
- GetQueryResults: rows of a FINISHED query as Lake gives them, each row a list of one-key
  {column: text} objects; text is Trino's: booleans 'true'/'false', timestamps
  'YYYY-MM-DD HH:MM:SS.mmm', maps and structs as JSON; NULL is sent as JSON null (the model
  cannot say how Lake spells it). MaxQueryResults 1..1000 (InvalidMaxResultsException
  otherwise), default 1000: AWS documents no default, 1000 is the model's maximum. The
  NextToken is opaque and bound to the query (another query's -> InvalidNextTokenException).
  QueryStatistics.ResultsCount is the page's rows, TotalResultsCount all of them.
- CancelQuery of a QUEUED or RUNNING query -> CANCELLED; of an ended one ->
  InactiveQueryException.
Faults: `throttle_next(n)` (the next n requests of any operation: 400 ThrottlingException,
which botocore retries), `fail_next(message)`. Records: `statements` (every accepted
statement), `cancelled` (query IDs), `requests` (per operation), `max_concurrent` (the most
queries QUEUED or RUNNING at once).

Use `with LakeServer(stores={STORE_ID: table}) as server:` or the `lake_server` fixture
(no stores; `server.fake.add_store(...)`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.background_server import BackgroundServer
from tests.support.lake_engine import (
    LakeQueryError,
    LakeTable,
    store_references,
    substitute_stores,
)
from tests.support.lookup_server import (
    ACCESS_KEY,
    ACCOUNT,
    EXPIRED_KEY,
    SECRET_KEY,
    TARGET_PREFIX,
    Json11Handler,
    _ApiError,
    _check_signature,
)
from tests.support.trino_grammar import TrinoSyntaxError, check_trino

# Trino's own grammar; loaded by name because it ships no type information (typed as Any
# whether or not mypy is told to ignore it).

MAX_STATEMENT = 10_000
MAX_CONCURRENT = 10
MAX_PAGE = 1000
ACTIVE = ("QUEUED", "RUNNING")
OPERATIONS = ("StartQuery", "DescribeQuery", "GetQueryResults", "CancelQuery")

_SELECT = re.compile(r"^(\s|--[^\n]*\n|/\*.*?\*/)*(SELECT|WITH|\()", re.IGNORECASE | re.DOTALL)


def store_arn(store_id: str, *, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:eventdatastore/{store_id}"


def new_store_id() -> str:
    """An ID shaped like Lake's (a UUID)."""
    return str(uuid.uuid4())


def cell_text(value: Any) -> str | None:
    """A result value as Lake's GetQueryResults writes it (Trino's text of the value)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return str(value)


# -- queries ---------------------------------------------------------------------------------


@dataclass
class _Query:
    query_id: str
    statement: str
    store_id: str
    created: float  # wall clock, for CreationTime
    started: float  # fake.clock
    queued: float
    running: float
    events: int  # what the statement scans, known from its eventtime bounds
    bytes: int
    forced_failure: str | None = None
    status: str = "QUEUED"
    ended: float | None = None
    error: str | None = None
    names: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)


class FakeLake:
    """The state and logic behind the HTTP server; thread-safe."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        stores: dict[str, LakeTable] | None = None,
        account: str = ACCOUNT,
    ) -> None:
        self.region = region
        self.account = account
        self.stores: dict[str, LakeTable] = dict(stores or {})
        self.keys = {ACCESS_KEY: SECRET_KEY}
        self.expired_keys = {EXPIRED_KEY}
        self.queued_seconds = 0.0
        self.running_seconds = 0.0
        self.clock: Callable[[], float] = time.monotonic
        self._lock = threading.RLock()
        self._queries: dict[str, _Query] = {}
        self._secret = uuid.uuid4().bytes
        self._throttle_next = 0
        self._fail_next: list[str] = []
        # what happened
        self.statements: list[str] = []
        self.cancelled: list[str] = []
        self.requests: dict[str, int] = dict.fromkeys(OPERATIONS, 0)
        self.throttled = 0
        self.max_concurrent = 0

    # -- data and faults

    def add_store(self, store_id: str | None = None, table: LakeTable | None = None) -> str:
        """Register an event data store (a new empty table unless given); returns its ID."""
        store_id = store_id or new_store_id()
        with self._lock:
            self.stores[store_id] = table if table is not None else LakeTable()
        return store_id

    def arn(self, store_id: str) -> str:
        return store_arn(store_id, region=self.region, account=self.account)

    def throttle_next(self, count: int) -> None:
        with self._lock:
            self._throttle_next += count

    def fail_next(self, message: str) -> None:
        """The next query started ends FAILED with `message` (after its queued and running
        time, like a real failure)."""
        with self._lock:
            self._fail_next.append(message)

    def status(self, query_id: str) -> str:
        with self._lock:
            return self._refresh(self._queries[query_id]).status

    # -- requests

    def handle(self, operation: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1
            if self._throttle_next > 0:
                self._throttle_next -= 1
                self.throttled += 1
                raise _ApiError(400, "ThrottlingException", "Rate exceeded")
            handler = {
                "StartQuery": self._start_query,
                "DescribeQuery": self._describe_query,
                "GetQueryResults": self._get_query_results,
                "CancelQuery": self._cancel_query,
            }[operation]
            return handler(region, body)

    def _stores_in(self, region: str) -> dict[str, LakeTable]:
        return self.stores if region == self.region else {}

    def _start_query(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        statement = body.get("QueryStatement")
        if not isinstance(statement, str) or not statement.strip():
            raise _ApiError(
                400,
                "InvalidParameterException",
                "QueryStatement is required (QueryAlias is used only by Lake dashboards).",
            )
        store_id = self._check_statement(statement, self._stores_in(region))
        active = self._active()
        if len(active) >= MAX_CONCURRENT:
            raise _ApiError(
                400,
                "MaxConcurrentQueriesException",
                "You are already running the maximum number of concurrent queries. The maximum"
                f" number of concurrent queries is {MAX_CONCURRENT}. Wait a minute for some "
                "queries to finish, and then run the query again.",
            )
        table = self.stores[store_id]
        try:
            events, scanned = table.scan(statement, store_id=store_id)
        except LakeQueryError:
            events, scanned = len(table), 0
        query = _Query(
            query_id=str(uuid.uuid4()),
            statement=statement,
            store_id=store_id,
            created=time.time(),
            started=self.clock(),
            queued=self.queued_seconds,
            running=self.running_seconds,
            events=events,
            bytes=scanned,
            forced_failure=self._fail_next.pop(0) if self._fail_next else None,
        )
        self._queries[query.query_id] = query
        self.statements.append(statement)
        self.max_concurrent = max(self.max_concurrent, len(active) + 1)
        return {"QueryId": query.query_id}

    def _check_statement(self, statement: str, stores: dict[str, LakeTable]) -> str:
        """The one event data store a valid statement reads; _ApiError otherwise."""
        if len(statement) > MAX_STATEMENT:
            raise _ApiError(
                400,
                "InvalidQueryStatementException",
                f"Query statement exceeds the maximum length of {MAX_STATEMENT} characters.",
            )
        if not _SELECT.match(statement):
            raise _ApiError(
                400, "InvalidQueryStatementException", "Only SELECT statements are allowed."
            )
        references = store_references(statement)
        if not references:
            raise _ApiError(
                400,
                "InvalidQueryStatementException",
                "The query must name an event data store ID in FROM.",
            )
        unknown = [name for name in references if name not in stores]
        if unknown:
            raise _ApiError(
                400,
                "EventDataStoreNotFoundException",
                f"The specified event data store {unknown[0]} was not found.",
            )
        if len(set(references)) > 1:
            raise _ApiError(
                400,
                "InvalidQueryStatementException",
                "This local endpoint runs one event data store per query.",
            )
        placeholders = {name: f"eds_{index}" for index, name in enumerate(set(references))}
        try:
            check_trino(substitute_stores(statement, placeholders))
        except TrinoSyntaxError as error:
            raise _ApiError(
                400, "InvalidQueryStatementException", f"Query syntax error: {error}"
            ) from None
        return references[0]

    def _active(self) -> list[_Query]:
        return [q for q in self._queries.values() if self._refresh(q).status in ACTIVE]

    def _query(self, region: str, body: dict[str, Any]) -> _Query:
        store = body.get("EventDataStore")
        if store is not None:
            store_id = str(store).rsplit("/", 1)[-1]
            if store_id not in self._stores_in(region):
                raise _ApiError(
                    400,
                    "EventDataStoreNotFoundException",
                    f"The specified event data store {store} was not found.",
                )
        query_id = body.get("QueryId")
        if not isinstance(query_id, str):
            raise _ApiError(400, "InvalidParameterException", "QueryId is required.")
        query = self._queries.get(query_id)
        if query is None or region != self.region:
            raise _ApiError(
                400, "QueryIdNotFoundException", f"The query ID {query_id} was not found."
            )
        return self._refresh(query)

    def _refresh(self, query: _Query) -> _Query:
        """Move a query on by the clock; it runs on the engine when its running time is up."""
        if query.status not in ACTIVE:
            return query
        elapsed = self.clock() - query.started
        if elapsed < query.queued:
            query.status = "QUEUED"
        elif elapsed < query.queued + query.running:
            query.status = "RUNNING"
        else:
            self._run(query)
        return query

    def _run(self, query: _Query) -> None:
        # It ended when its running time was up, whenever it is next looked at.
        query.ended = query.started + query.queued + query.running
        if query.forced_failure is not None:
            query.status, query.error = "FAILED", query.forced_failure
            return
        try:
            query.names, query.rows = self.stores[query.store_id].execute(
                query.statement, store_id=query.store_id
            )
        except LakeQueryError as error:
            query.status, query.error = "FAILED", str(error)
            return
        query.status = "FINISHED"

    def _progress(self, query: _Query) -> float:
        """The share of its data a query has scanned."""
        if query.status == "QUEUED":
            return 0.0
        if query.status == "RUNNING":
            elapsed = self.clock() - query.started - query.queued
            return min(1.0, max(0.0, elapsed / query.running)) if query.running else 1.0
        if query.status in ("FINISHED", "FAILED"):
            return 1.0
        return self._stopped_share(query)

    def _stopped_share(self, query: _Query) -> float:
        if query.ended is None or not query.running:
            return 0.0
        return min(1.0, max(0.0, (query.ended - query.started - query.queued) / query.running))

    def _describe_query(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        query = self._query(region, body)
        share = self._progress(query)
        end = query.ended if query.ended is not None else self.clock()
        running_ms = max(0.0, end - query.started - query.queued) * 1000
        response: dict[str, Any] = {
            "QueryId": query.query_id,
            "QueryString": query.statement,
            "QueryStatus": query.status,
            "QueryStatistics": {
                "EventsMatched": len(query.rows),
                "EventsScanned": int(query.events * share),
                "BytesScanned": int(query.bytes * share),
                "ExecutionTimeInMillis": int(running_ms) if query.status != "QUEUED" else 0,
                "CreationTime": query.created,
            },
        }
        if query.error is not None:
            response["ErrorMessage"] = query.error
        return response

    def _get_query_results(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        query = self._query(region, body)
        size = body.get("MaxQueryResults", MAX_PAGE)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE:
            raise _ApiError(
                400, "InvalidMaxResultsException", "Maximum query results value is invalid."
            )
        start = 0 if body.get("NextToken") is None else self._offset(query, body["NextToken"])
        response: dict[str, Any] = {
            "QueryStatus": query.status,
            "QueryStatistics": {
                "ResultsCount": 0,
                "TotalResultsCount": len(query.rows),
                "BytesScanned": int(query.bytes * self._progress(query)),
            },
            "QueryResultRows": [],
        }
        if query.error is not None:
            response["ErrorMessage"] = query.error
        if query.status != "FINISHED":
            return response
        page = query.rows[start : start + size]
        response["QueryResultRows"] = [
            [{name: cell_text(value)} for name, value in zip(query.names, row)] for row in page
        ]
        response["QueryStatistics"]["ResultsCount"] = len(page)
        if start + size < len(query.rows):
            response["NextToken"] = self._token(query, start + size)
        return response

    def _token(self, query: _Query, offset: int) -> str:
        signature = self._sign(query.query_id, offset)
        data = json.dumps({"q": query.query_id, "o": offset, "s": signature})
        return base64.urlsafe_b64encode(data.encode()).decode()

    def _sign(self, query_id: str, offset: int) -> str:
        text = f"{query_id}/{offset}".encode()
        return hmac.new(self._secret, text, hashlib.sha256).hexdigest()[:24]

    def _offset(self, query: _Query, token: object) -> int:
        try:
            data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            offset = int(data["o"])
            valid = data["q"] == query.query_id and data["s"] == self._sign(query.query_id, offset)
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            raise _ApiError(
                400,
                "InvalidNextTokenException",
                "A token that is not valid, or a token that was previously used in a request "
                "with different parameters.",
            )
        return offset

    def _cancel_query(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        query = self._query(region, body)
        if query.status not in ACTIVE:
            raise _ApiError(
                400,
                "InactiveQueryException",
                f"The query {query.query_id} cannot be cancelled: it is {query.status}.",
            )
        query.status, query.ended = "CANCELLED", self.clock()
        self.cancelled.append(query.query_id)
        return {"QueryId": query.query_id, "QueryStatus": "CANCELLED"}


# -- HTTP ------------------------------------------------------------------------------------


class _Handler(Json11Handler):
    server: _HTTPServer

    def do_POST(self) -> None:
        body, headers = self.request_parts()
        fake = self.server.fake
        try:
            _, region, service = _check_signature(
                "POST", self.path.split("?")[0], headers, body, fake.keys, fake.expired_keys
            )
            target = headers.get("x-amz-target", "")
            operation = target.removeprefix(TARGET_PREFIX)
            if service != "cloudtrail" or operation == target or operation not in OPERATIONS:
                raise _ApiError(400, "UnknownOperationException", f"Unknown operation {target}")
            request = self.json_request(headers, body)
            self._json(200, fake.handle(operation, region, request))
        except _ApiError as error:
            self._json(error.status, {"__type": error.code, "message": error.message})


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLake


class LakeServer(BackgroundServer):
    """The fake on a free port of 127.0.0.1, served from a background thread."""

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        stores: dict[str, LakeTable] | None = None,
        port: int = 0,
    ) -> None:
        self.fake = FakeLake(region=region, stores=stores)
        http = _HTTPServer(("127.0.0.1", port), _Handler)
        http.fake = self.fake
        self._serve(http, "lake-server")


@pytest.fixture
def lake_server() -> Iterator[LakeServer]:
    """A local CloudTrail Lake endpoint with no event data store yet."""
    with LakeServer() as server:
        yield server


def main() -> None:
    """Serve the fake by hand, so `rdstrail sync lake` can be tried without AWS."""
    import argparse
    import contextlib
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("trail", type=Path, help="a directory of trail files (*.json[.gz])")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--store-id", default=new_store_id())
    parser.add_argument("--queued-seconds", type=float, default=1.0)
    parser.add_argument("--running-seconds", type=float, default=2.0)
    args = parser.parse_args()
    table = LakeTable()
    count = table.add_tree(args.trail)
    with LakeServer(stores={args.store_id: table}, port=args.port) as server:
        server.fake.queued_seconds = args.queued_seconds
        server.fake.running_seconds = args.running_seconds
        print(f"fake CloudTrail Lake on {server.url}: {count} events in {args.store_id}")
        print("in another shell:")
        print(f"  export AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY}")
        print(f"  rdstrail sync lake --event-data-store {server.fake.arn(args.store_id)} \\")
        print(f"    --endpoint-url {server.url}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
