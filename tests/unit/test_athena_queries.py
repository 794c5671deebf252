"""One Athena query through boto3 (answered by botocore's Stubber): what it sends, how it
watches the query, and the one line each bad end turns into: FAILED, --max-scan, a stop
request, Ctrl-C, the workgroup's own cutoff, no output location, a missing table,
throttling. Also the price and size arithmetic of the cost line."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.stub import ANY, Stubber

from rdstrail_tui.sources.athena.queries import AthenaQueries, QueryOutcome, parse_size
from rdstrail_tui.sources.sync import SyncError, price, scan_text, size_text

QUERY_ID = "6a1d7e3c-0b8f-4c2e-9d5a-1f2e3d4c5b6a"
SQL = 'SELECT eventid FROM "db"."t" WHERE "account" IN (\'111122223333\')'
WHAT = "athena db.t"
OUTPUT = "s3://results/rdstrail/"


def session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1"
    )


class Sleeps:
    """The runner's pauses, recorded instead of slept; `then` runs after the n-th."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self.hook: Any = None

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if self.hook is not None:
            self.hook(len(self.seconds))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def runner(sleeps: Sleeps, **options: Any) -> AthenaQueries:
    settings: dict[str, Any] = {
        "region": "us-east-1",
        "endpoint_url": None,
        "workgroup": "rdstrail",
        "output_location": OUTPUT,
    }
    settings.update(options)
    return AthenaQueries(session(), sleep=sleeps, **settings)


@pytest.fixture
def athena(sleeps: Sleeps) -> AthenaQueries:
    return runner(sleeps)


@pytest.fixture
def stub(athena: AthenaQueries) -> Iterator[Stubber]:
    with Stubber(athena.client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def started(stub: Stubber, **expected: Any) -> None:
    params = {
        "QueryString": SQL,
        "ClientRequestToken": ANY,  # our own, so a Ctrl-C mid-call can find the query
        "WorkGroup": "rdstrail",
        "ResultConfiguration": {"OutputLocation": OUTPUT},
        **expected,
    }
    stub.add_response("start_query_execution", {"QueryExecutionId": QUERY_ID}, params)


def polled(
    stub: Stubber,
    state: str,
    scanned: int = 0,
    *,
    reason: str | None = None,
    error: str | None = None,
    reused: bool = False,
) -> None:
    status: dict[str, Any] = {"State": state}
    if reason is not None:
        status["StateChangeReason"] = reason
    if error is not None:
        status["AthenaError"] = {"ErrorCategory": 2, "ErrorType": 1301, "ErrorMessage": error}
    execution: dict[str, Any] = {
        "QueryExecutionId": QUERY_ID,
        "Query": SQL,
        "WorkGroup": "rdstrail",
        "Status": status,
        "Statistics": {
            "DataScannedInBytes": scanned,
            "ResultReuseInformation": {"ReusedPreviousResult": reused},
        },
    }
    if state == "SUCCEEDED":
        execution["ResultConfiguration"] = {"OutputLocation": f"{OUTPUT}{QUERY_ID}.csv"}
    stub.add_response(
        "get_query_execution", {"QueryExecution": execution}, {"QueryExecutionId": QUERY_ID}
    )


def stopped(stub: Stubber) -> None:
    stub.add_response("stop_query_execution", {}, {"QueryExecutionId": QUERY_ID})


# -- a query that succeeds -----------------------------------------------------------------


def test_a_query_is_watched_until_it_succeeds_with_its_cost_reported(
    athena: AthenaQueries, stub: Stubber, sleeps: Sleeps
) -> None:
    started(stub)
    polled(stub, "QUEUED")
    polled(stub, "RUNNING", 400_000_000)
    polled(stub, "SUCCEEDED", 1_200_000_000)
    seen: list[QueryOutcome] = []
    outcome = athena.run(SQL, what=WHAT, on_progress=seen.append)
    assert [(o.state, o.bytes_scanned) for o in seen] == [
        ("QUEUED", 0),
        ("RUNNING", 400_000_000),
        ("SUCCEEDED", 1_200_000_000),
    ]
    assert outcome.state == "SUCCEEDED"
    assert outcome.query_id == QUERY_ID
    assert outcome.output_location == f"{OUTPUT}{QUERY_ID}.csv"
    assert outcome.bytes_scanned == 1_200_000_000
    assert outcome.reused is False
    assert scan_text(outcome.bytes_scanned) == "1.2 GB ($0.01)"
    # Polls back off from 0.2 s, each pause cut in steps of at most 0.1 s.
    assert max(sleeps.seconds) <= 0.1 + 1e-9
    assert sum(sleeps.seconds) == pytest.approx(0.2 + 0.4)


def test_polls_back_off_to_two_seconds(
    athena: AthenaQueries, stub: Stubber, sleeps: Sleeps
) -> None:
    started(stub)
    for _ in range(6):
        polled(stub, "RUNNING")
    polled(stub, "SUCCEEDED")
    athena.run(SQL, what=WHAT)
    assert sum(sleeps.seconds) == pytest.approx(0.2 + 0.4 + 0.8 + 1.6 + 2.0 + 2.0)


def test_result_reuse_is_asked_for_only_when_turned_on(sleeps: Sleeps) -> None:
    athena = runner(sleeps, reuse_minutes=60, workgroup=None, output_location=None)
    with Stubber(athena.client) as stub:
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": QUERY_ID},
            {
                "QueryString": SQL,
                "ClientRequestToken": ANY,
                "ResultReuseConfiguration": {
                    "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}
                },
            },
        )
        polled(stub, "SUCCEEDED", 0, reused=True)
        assert athena.run(SQL, what=WHAT).reused is True
        stub.assert_no_pending_responses()


# -- the ways a query ends badly -----------------------------------------------------------


def test_a_failed_query_says_athenas_reason_in_one_escaped_line(
    athena: AthenaQueries, stub: Stubber
) -> None:
    started(stub)
    polled(
        stub,
        "FAILED",
        reason="COLUMN_NOT_FOUND: line 1:8: Column 'x\x1b[2J' cannot be resolved\nat row 3",
        error="COLUMN_NOT_FOUND: line 1:8: Column 'x\x1b[2J' cannot be resolved\nat row 3",
    )
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    message = str(caught.value)
    assert message == (
        "athena db.t: the query failed: COLUMN_NOT_FOUND: line 1:8: Column 'x\\x1b[2J' "
        "cannot be resolved\\nat row 3"
    )
    assert "\x1b" not in message


def test_a_failed_query_adds_the_error_message_when_it_says_more(
    athena: AthenaQueries, stub: Stubber
) -> None:
    started(stub)
    polled(
        stub,
        "FAILED",
        reason="Access denied when writing output to url: s3://results/rdstrail/x.csv",
        error="Please ensure you are allowed to access the S3 bucket.",
    )
    with pytest.raises(SyncError, match=r"the query failed: Access denied when writing") as e:
        athena.run(SQL, what=WHAT)
    assert str(e.value).endswith("(Please ensure you are allowed to access the S3 bucket.)")


def test_max_scan_stops_the_query_as_soon_as_it_passes(
    athena: AthenaQueries, stub: Stubber
) -> None:
    started(stub)
    polled(stub, "RUNNING", 20_000_000_000)
    polled(stub, "RUNNING", 51_200_000_000)
    stopped(stub)
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT, max_scan=parse_size("50GB"))
    assert str(caught.value) == (
        "athena db.t: query stopped: it had scanned 51.2 GB, more than --max-scan 50 GB "
        "($0.26 so far)"
    )


def test_a_succeeded_query_past_max_scan_is_kept(athena: AthenaQueries, stub: Stubber) -> None:
    started(stub)
    polled(stub, "SUCCEEDED", 60_000_000_000)
    assert athena.run(SQL, what=WHAT, max_scan=parse_size("50GB")).state == "SUCCEEDED"


def test_should_stop_stops_the_query_and_returns_it_cancelled(
    athena: AthenaQueries, stub: Stubber, sleeps: Sleeps
) -> None:
    started(stub)
    polled(stub, "RUNNING", 5_000)
    stopped(stub)
    stop = {"now": False}

    def press(count: int) -> None:
        stop["now"] = True  # the user stops the sync during the first pause

    sleeps.hook = press
    outcome = athena.run(SQL, what=WHAT, should_stop=lambda: stop["now"])
    assert outcome.state == "CANCELLED"
    assert outcome.bytes_scanned == 5_000
    assert len(sleeps.seconds) == 1  # acted on at the next step, not after the whole pause


def test_ctrl_c_while_waiting_stops_the_query_and_is_raised(
    athena: AthenaQueries, stub: Stubber, sleeps: Sleeps
) -> None:
    started(stub)
    polled(stub, "RUNNING")
    stopped(stub)

    def interrupt(count: int) -> None:
        raise KeyboardInterrupt

    sleeps.hook = interrupt
    with pytest.raises(KeyboardInterrupt):
        athena.run(SQL, what=WHAT)


def test_stopping_a_query_that_has_ended_is_not_an_error(
    athena: AthenaQueries, stub: Stubber, sleeps: Sleeps
) -> None:
    started(stub)
    polled(stub, "RUNNING")
    stub.add_client_error(
        "stop_query_execution",
        "InvalidRequestException",
        "Query has already completed",
        expected_params={"QueryExecutionId": QUERY_ID},
    )

    def interrupt(count: int) -> None:
        raise KeyboardInterrupt

    sleeps.hook = interrupt
    with pytest.raises(KeyboardInterrupt):
        athena.run(SQL, what=WHAT)


def test_the_workgroup_cutoff_is_named_with_its_limit(athena: AthenaQueries, stub: Stubber) -> None:
    started(stub)
    polled(stub, "CANCELLED", 10_485_760_000, reason="Bytes scanned limit was exceeded")
    stub.add_response(
        "get_work_group",
        {
            "WorkGroup": {
                "Name": "rdstrail",
                "Configuration": {"BytesScannedCutoffPerQuery": 10_000_000_000},
            }
        },
        {"WorkGroup": "rdstrail"},
    )
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    assert str(caught.value) == (
        "athena db.t: the workgroup rdstrail's per-query limit of 10 GB ended the query "
        "(it had scanned 10.5 GB ($0.05))"
    )


def test_the_workgroup_cutoff_is_said_even_when_the_workgroup_cannot_be_read(
    athena: AthenaQueries, stub: Stubber
) -> None:
    started(stub)
    polled(stub, "CANCELLED", 10_000_000, reason="Bytes scanned limit was exceeded")
    stub.add_client_error("get_work_group", "AccessDeniedException", "not allowed")
    with pytest.raises(SyncError, match=r"^athena db\.t: the workgroup rdstrail's per-query "):
        athena.run(SQL, what=WHAT)


def test_a_query_cancelled_by_someone_else_says_so(athena: AthenaQueries, stub: Stubber) -> None:
    started(stub)
    polled(stub, "CANCELLED", reason="Query was cancelled by user")
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    assert str(caught.value) == "athena db.t: the query was cancelled: Query was cancelled by user"


def test_no_output_location_says_what_to_pass(athena: AthenaQueries, stub: Stubber) -> None:
    stub.add_client_error(
        "start_query_execution",
        "InvalidRequestException",
        "No output location provided. An output location is required either through the "
        "Workgroup result configuration setting or as an API input.",
    )
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    assert str(caught.value) == (
        "athena db.t: Athena has no output location for workgroup rdstrail: pass "
        "--output-location s3://BUCKET/PREFIX/ or set one on the workgroup"
    )


def test_access_denied_starting_a_query_is_one_line(athena: AthenaQueries, stub: Stubber) -> None:
    stub.add_client_error("start_query_execution", "AccessDeniedException", "User: arn:... x")
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    assert str(caught.value) == (
        "athena db.t: access denied: the caller needs permission to read this"
    )


# -- tables --------------------------------------------------------------------------------

HINT = "rdstrail athena ddl s3://BUCKET/AWSLogs/ --table db.t --create"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Table not found t",
            f"athena: no table db.t: create it with `{HINT}`",
        ),
        (
            "Database db not found.",
            f"athena: no database db: create it with `{HINT}`",
        ),
    ],
)
def test_a_missing_table_or_database_says_the_command_that_creates_it(
    athena: AthenaQueries, stub: Stubber, message: str, expected: str
) -> None:
    stub.add_client_error(
        "get_table_metadata",
        "MetadataException",
        message,
        expected_params={"CatalogName": "AwsDataCatalog", "DatabaseName": "db", "TableName": "t"},
    )
    with pytest.raises(SyncError) as caught:
        athena.table("db", "t", ddl_hint=HINT)
    assert str(caught.value) == expected


def test_expired_credentials_reading_a_table_say_to_log_in(
    sleeps: Sleeps,
) -> None:
    athena = runner(sleeps, profile="prod")
    with Stubber(athena.client) as stub:
        stub.add_client_error("get_table_metadata", "ExpiredTokenException", "expired")
        with pytest.raises(SyncError) as caught:
            athena.table("db", "t", ddl_hint=HINT)
    assert str(caught.value) == (
        "athena db.t: the credentials of profile 'prod' have expired or are not valid: "
        "run `aws sso login --profile prod`"
    )


def test_a_table_tells_its_projection(athena: AthenaQueries, stub: Stubber) -> None:
    stub.add_response(
        "get_table_metadata",
        {
            "TableMetadata": {
                "Name": "t",
                "Columns": [
                    {"Name": "eventversion", "Type": "string"},
                    {"Name": "eventid", "Type": "string"},
                ],
                "PartitionKeys": [
                    {"Name": "account", "Type": "string"},
                    {"Name": "region", "Type": "string"},
                    {"Name": "timestamp", "Type": "string"},
                ],
                "Parameters": {
                    "projection.enabled": "true",
                    "projection.account.type": "enum",
                    "projection.account.values": "111122223333,444455556666",
                    "projection.region.type": "enum",
                    "projection.region.values": "us-east-1,eu-west-1",
                    "storage.location.template": (
                        "s3://b/AWSLogs/${account}/CloudTrail/${region}/${timestamp}"
                    ),
                    "location": "s3://b/AWSLogs/",
                },
            }
        },
        {"CatalogName": "AwsDataCatalog", "DatabaseName": "db", "TableName": "t"},
    )
    info = athena.table("db", "t", ddl_hint=HINT)
    assert info.columns == ["eventversion", "eventid"]
    assert info.partition_keys == ["account", "region", "timestamp"]
    assert info.account_projection == "enum"
    assert info.account_values == ("111122223333", "444455556666")
    assert info.region_values == ("us-east-1", "eu-west-1")
    assert info.location_template == "s3://b/AWSLogs/${account}/CloudTrail/${region}/${timestamp}"
    assert info.location == "s3://b/AWSLogs/"


def test_no_region_is_said_in_one_line(monkeypatch: pytest.MonkeyPatch, sleeps: Sleeps) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    bare = boto3.Session(aws_access_key_id="a", aws_secret_access_key="b")
    with pytest.raises(
        SyncError, match=r"^athena: no region: pass --region, or set one for the profile$"
    ):
        AthenaQueries(bare, region=None, endpoint_url=None, workgroup=None, output_location=None)


# -- throttling, through botocore's own retries -------------------------------------------


def test_throttled_calls_are_retried_and_counted(
    athena: AthenaQueries, monkeypatch: pytest.MonkeyPatch
) -> None:
    # botocore's pause between retries (time.sleep in botocore.endpoint), recorded instead.
    backoffs: list[float] = []
    monkeypatch.setattr(time, "sleep", backoffs.append)
    throttled = {"__type": "TooManyRequestsException", "message": "Rate exceeded"}
    succeeded = {"QueryExecutionId": QUERY_ID, "Status": {"State": "SUCCEEDED"}}
    answers: dict[str, list[tuple[int, dict[str, Any]]]] = {
        "StartQueryExecution": [
            (400, throttled),
            (400, throttled),
            (200, {"QueryExecutionId": QUERY_ID}),
        ],
        "GetQueryExecution": [(400, throttled), (200, {"QueryExecution": succeeded})],
    }

    def answer(request: Any, **_: Any) -> AWSResponse:
        """The HTTP answer, in place of Athena's: botocore parses it and retries on it."""
        operation = request.headers["X-Amz-Target"].decode().rsplit(".", 1)[1]
        status, body = answers[operation].pop(0)
        raw = io.BytesIO(json.dumps(body).encode())
        raw.stream = lambda **_: iter([raw.getvalue()])  # type: ignore[attr-defined]
        headers = HTTPHeaders()
        headers["Content-Type"] = "application/x-amz-json-1.1"
        return AWSResponse(request.url, status, headers, raw)

    # botocore sends what a before-send handler returns (its stubs type handlers as None).
    athena.client.meta.events.register("before-send.athena", answer)  # type: ignore[arg-type]
    assert athena.run(SQL, what=WHAT).state == "SUCCEEDED"
    assert athena.throttles == 3
    assert len(backoffs) == 3
    assert answers == {"StartQueryExecution": [], "GetQueryExecution": []}


def test_throttling_that_does_not_stop_is_one_line(athena: AthenaQueries, stub: Stubber) -> None:
    stub.add_client_error("start_query_execution", "TooManyRequestsException", "Rate exceeded")
    with pytest.raises(SyncError) as caught:
        athena.run(SQL, what=WHAT)
    assert str(caught.value) == (
        "athena db.t: Athena is still throttling after 10 attempts "
        "(TooManyRequestsException): try again in a minute"
    )


# -- money ---------------------------------------------------------------------------------


def test_price_is_five_dollars_a_decimal_terabyte() -> None:
    assert price(10**12) == 5.0
    assert price(0) == 0.0
    assert scan_text(51_200_000_000) == "51.2 GB ($0.26)"
    assert scan_text(0) == "0 B ($0.00)"
    assert size_text(800) == "800 B"
    assert size_text(10_000_000) == "10 MB"
    assert size_text(3 * 10**12) == "3 TB"


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("50GB", 50 * 10**9),
        ("50 gb", 50 * 10**9),
        ("1.5TB", 1_500_000_000_000),
        ("500MB", 500_000_000),
        ("10KB", 10_000),
        ("10GiB", 10 * 2**30),
        ("2 TiB", 2 * 2**40),
        ("1G", 10**9),
        ("4096B", 4096),
    ],
)
def test_sizes_for_max_scan(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["50", "fifty GB", "50 XB", "", "0GB", "-5GB", "5 G B"])
def test_sizes_that_are_not_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a size") as caught:
        parse_size(text)
    assert "\n" not in str(caught.value)
