"""The local Athena endpoint (tests/support/athena_server.py) behaves as Athena does, seen
through real boto3: DDL and the catalogue, the query lifecycle and its statistics, the result
CSV in SeaweedFS and GetQueryResults' pages, and every fault the Athena source must handle."""

from __future__ import annotations

import csv
import io
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from tests.conftest import load_shared_records, make_record
from tests.support.athena_server import (
    CATALOG,
    AthenaServer,
    account_trail_ddl,
    athena_server_fixture,  # noqa: F401 - the `athena_server` fixture
    set_athena_env,
)
from tests.support.seaweed import (
    LIST_ONLY_ACCESS_KEY,
    LIST_ONLY_SECRET_KEY,
    SeaweedServer,
    seaweed_fixture,  # noqa: F401 - the `seaweed` fixture
)
from tests.support.trail_engine import SCHEMA

if TYPE_CHECKING:
    from mypy_boto3_athena import AthenaClient

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
TABLE = '"trails"."cloudtrail"'
FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


# -- set-up ------------------------------------------------------------------------------------


def athena_client(
    server: AthenaServer,
    seaweed: SeaweedServer,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
) -> AthenaClient:
    """A client that makes one attempt per call, so a test sees each answer itself."""
    return boto3.session.Session().client(
        "athena",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=access_key or seaweed.access_key,
        aws_secret_access_key=secret_key or seaweed.secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def client(athena_server: AthenaServer, seaweed: SeaweedServer) -> AthenaClient:
    return athena_client(athena_server, seaweed)


@pytest.fixture
def buckets(seaweed: SeaweedServer) -> tuple[str, str]:
    """A trail bucket and a results bucket of this test's own."""
    tag = uuid.uuid4().hex[:10]
    trail, results = f"trail-{tag}", f"results-{tag}"
    seaweed.create_bucket(trail)
    seaweed.create_bucket(results)
    return trail, results


def trail_key(account: str, region: str, day: str, name: str) -> str:
    return f"logs/AWSLogs/{account}/CloudTrail/{region}/{day}/{name}.json"


def put_trail(seaweed: SeaweedServer, bucket: str, key: str, records: list[dict[str, Any]]) -> int:
    data = json.dumps({"Records": records}).encode()
    seaweed.put(bucket, key, data)
    return len(data)


@pytest.fixture
def trail(seaweed: SeaweedServer, buckets: tuple[str, str]) -> dict[str, Any]:
    """The shared records spread over two accounts, two regions and two days, and a digest
    and a non-trail object that the table must not read."""
    bucket, _ = buckets
    records = load_shared_records()
    layout = [
        (ACCOUNT, "us-east-1", "2024/01/15"),
        (ACCOUNT, "us-east-1", "2024/01/16"),
        (ACCOUNT, "eu-west-1", "2024/01/15"),
        (OTHER_ACCOUNT, "us-east-1", "2024/01/15"),
    ]
    sizes: dict[tuple[str, str, str], int] = {}
    placed: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for index, where in enumerate(layout):
        part = records[index::4]
        placed[where] = part
        sizes[where] = put_trail(seaweed, bucket, trail_key(*where, f"part{index}"), part)
    seaweed.put(
        bucket,
        f"logs/AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2024/01/15/digest.json.gz",
        b"not a trail",
    )
    seaweed.put(bucket, "logs/AWSLogs/README.txt", b"not a trail either")
    return {"bucket": bucket, "sizes": sizes, "records": placed, "all": records}


def run(client: AthenaClient, query: str, output: str | None, **extra: Any) -> str:
    arguments: dict[str, Any] = {"QueryString": query, **extra}
    if output is not None:
        arguments["ResultConfiguration"] = {"OutputLocation": output}
    return client.start_query_execution(**arguments)["QueryExecutionId"]


def wait(client: AthenaClient, query_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Poll GetQueryExecution (as the source does) until the query is final."""
    deadline = time.monotonic() + timeout
    while True:
        execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        if execution["Status"]["State"] in FINAL:
            return dict(execution)
        assert time.monotonic() < deadline, execution["Status"]
        time.sleep(0.02)


@pytest.fixture
def table(client: AthenaClient, trail: dict[str, Any], buckets: tuple[str, str]) -> Iterator[str]:
    """`trails.cloudtrail` over the trail (enum accounts), created with DDL; yields the
    results location."""
    output = f"s3://{buckets[1]}/athena/"
    create_db = run(client, "CREATE DATABASE IF NOT EXISTS trails", output)
    assert wait(client, create_db)["Status"]["State"] == "SUCCEEDED"
    ddl = account_trail_ddl(
        "trails.cloudtrail",
        f"s3://{trail['bucket']}/logs/AWSLogs/",
        accounts=[ACCOUNT, OTHER_ACCOUNT],
    )
    assert wait(client, run(client, ddl, output))["Status"]["State"] == "SUCCEEDED"
    yield output


def read_s3(seaweed: SeaweedServer, url: str) -> bytes:
    bucket, _, key = url[len("s3://") :].partition("/")
    return bytes(seaweed.client().get_object(Bucket=bucket, Key=key)["Body"].read())


def failure(execution: dict[str, Any]) -> str:
    assert execution["Status"]["State"] == "FAILED", execution["Status"]
    reason = str(execution["Status"]["StateChangeReason"])
    assert execution["Status"]["AthenaError"]["ErrorMessage"] == reason
    return reason


# -- the catalogue -------------------------------------------------------------------------------


def test_ddl_registers_a_table_get_table_metadata_reports(
    client: AthenaClient, table: str, trail: dict[str, Any]
) -> None:
    metadata = client.get_table_metadata(
        CatalogName="AwsDataCatalog", DatabaseName="trails", TableName="cloudtrail"
    )["TableMetadata"]
    assert metadata["Name"] == "cloudtrail"
    assert [c["Name"] for c in metadata["Columns"]] == [name for name, _ in SCHEMA]
    assert metadata["Columns"][1]["Type"].startswith("struct<type:string,principalid:string")
    assert [k["Name"] for k in metadata["PartitionKeys"]] == ["account", "region", "timestamp"]
    parameters = metadata["Parameters"]
    assert parameters["projection.account.type"] == "enum"
    assert parameters["projection.account.values"] == f"{ACCOUNT},{OTHER_ACCOUNT}"
    assert parameters["storage.location.template"] == (
        f"s3://{trail['bucket']}/logs/AWSLogs/${{account}}/CloudTrail/${{region}}/${{timestamp}}"
    )
    assert parameters["location"] == f"s3://{trail['bucket']}/logs/AWSLogs/"


def test_a_missing_table_or_database_is_a_metadata_exception(
    client: AthenaClient, table: str
) -> None:
    for database, name in (("trails", "nothing"), ("nodb", "cloudtrail")):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            client.get_table_metadata(
                CatalogName="AwsDataCatalog", DatabaseName=database, TableName=name
            )
        error = raised.value.response["Error"]
        assert error["Code"] == "MetadataException"
        assert "EntityNotFoundException" in error["Message"]


def test_other_ddl_fails_and_a_table_needs_its_database(
    client: AthenaClient, buckets: tuple[str, str]
) -> None:
    output = f"s3://{buckets[1]}/x/"
    assert "FAILED" in failure(wait(client, run(client, "DROP TABLE trails.cloudtrail", output)))
    ddl = account_trail_ddl("nodb.cloudtrail", "s3://b/AWSLogs/")
    assert "Database does not exist: nodb" in failure(wait(client, run(client, ddl, output)))


# -- the lifecycle and the result ------------------------------------------------------------------


def test_a_query_is_queued_runs_and_succeeds_scanning_only_its_partitions(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
    trail: dict[str, Any],
) -> None:
    athena_server.fake.queued_seconds = 0.3
    athena_server.fake.running_seconds = 1.0
    query = (
        f'SELECT "$path", eventid FROM {TABLE} WHERE "account" IN (\'{ACCOUNT}\') AND '
        "\"region\" IN ('us-east-1') AND \"timestamp\" BETWEEN '2024/01/14' AND '2024/01/17'"
    )
    query_id = run(client, query, table)
    seen: list[tuple[str, int]] = []
    while not seen or seen[-1][0] not in FINAL:
        execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
        seen.append((execution["Status"]["State"], execution["Statistics"]["DataScannedInBytes"]))
        time.sleep(0.02)
    states = [state for state, _ in seen]
    assert states[0] == "QUEUED" and states[-1] == "SUCCEEDED", execution["Status"]
    assert states == sorted(states, key=["QUEUED", "RUNNING", "SUCCEEDED"].index)
    expected_bytes = (
        trail["sizes"][(ACCOUNT, "us-east-1", "2024/01/15")]
        + trail["sizes"][(ACCOUNT, "us-east-1", "2024/01/16")]
    )
    running = [scanned for state, scanned in seen if state == "RUNNING"]
    assert running == sorted(running) and 0 < running[-1] <= expected_bytes
    assert any(0 < scanned < expected_bytes for scanned in running), "grows while running"
    assert seen[-1][1] == expected_bytes
    assert athena_server.fake.bytes_scanned[query_id] == expected_bytes
    statistics = execution["Statistics"]
    assert statistics["TotalExecutionTimeInMillis"] >= statistics["EngineExecutionTimeInMillis"] > 0
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{table}{query_id}.csv"
    assert execution["Status"]["CompletionDateTime"] >= execution["Status"]["SubmissionDateTime"]


def test_the_result_csv_is_written_as_athena_writes_it(
    client: AthenaClient, seaweed: SeaweedServer, table: str
) -> None:
    query = (
        f"SELECT eventid, errorcode, concat('say \"', eventname, '\"') AS quoted, "
        f"useridentity.sessioncontext.sessionissuer.username FROM {TABLE} "
        f"WHERE \"account\" = '{ACCOUNT}' ORDER BY eventid LIMIT 5"
    )
    execution = wait(client, run(client, query, table))
    assert execution["Status"]["State"] == "SUCCEEDED"
    text = read_s3(seaweed, execution["ResultConfiguration"]["OutputLocation"]).decode()
    lines = text.splitlines()
    assert lines[0] == '"eventid","errorcode","quoted","username"'
    assert len(lines) == 6 and text.endswith("\n")
    for line in lines[1:]:
        fields = line.split(",")
        assert fields[0].startswith('"') and fields[2].startswith('"say ""')
        # NULL is an empty field without quotes; a value, however empty, is quoted.
        assert all(
            field == "" or (field.startswith('"') and field.endswith('"')) for field in fields
        )
    assert any(line.split(",")[1] == "" for line in lines[1:])
    assert read_s3(seaweed, execution["ResultConfiguration"]["OutputLocation"] + ".metadata")
    parsed = list(csv.reader(io.StringIO(text)))
    assert parsed[1][2].startswith('say "') and parsed[1][2].endswith('"')


def test_get_query_results_pages_with_the_header_on_the_first_page_only(
    client: AthenaClient, table: str, trail: dict[str, Any]
) -> None:
    query = f"SELECT eventid, errorcode FROM {TABLE} WHERE \"account\" = '{ACCOUNT}' ORDER BY 1"
    query_id = run(client, query, table)
    wait(client, query_id)
    pages = []
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"QueryExecutionId": query_id, "MaxResults": 7}
        if token:
            arguments["NextToken"] = token
        page = client.get_query_results(**arguments)
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            break
    rows = [row["Data"] for page in pages for row in page["ResultSet"]["Rows"]]
    assert rows[0] == [{"VarCharValue": "eventid"}, {"VarCharValue": "errorcode"}]
    assert all(len(page["ResultSet"]["Rows"]) <= 7 for page in pages)
    ids = [row[0]["VarCharValue"] for row in rows[1:]]
    expected = sorted(
        r["eventID"]
        for where, part in trail["records"].items()
        if where[0] == ACCOUNT
        for r in part
    )
    assert ids == expected and len(pages) > 2
    assert {"VarCharValue": "eventid"} not in [row[0] for row in rows[1:]]
    assert {} in [row[1] for row in rows[1:]]  # a NULL errorcode
    columns = pages[0]["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in columns] == [
        ("eventid", "varchar"),
        ("errorcode", "varchar"),
    ]
    with pytest.raises(botocore.exceptions.ClientError, match="less than or equal to 1000"):
        client.get_query_results(QueryExecutionId=query_id, MaxResults=1001)


def test_structs_and_arrays_print_as_trino_prints_them(
    client: AthenaClient,
    seaweed: SeaweedServer,
    table: str,
    trail: dict[str, Any],
) -> None:
    record = make_record(
        resources=[{"ARN": "arn:aws:rds:us-east-1:111122223333:db:a", "accountId": ACCOUNT}],
        eventTime="2024-01-15T10:00:00Z",
    )
    put_trail(
        seaweed, trail["bucket"], trail_key(ACCOUNT, "eu-west-1", "2024/01/15", "extra"), [record]
    )
    query = (
        f"SELECT resources, useridentity.onbehalfof FROM {TABLE} "
        f"WHERE \"account\" = '{ACCOUNT}' AND eventid = '{record['eventID']}'"
    )
    execution = wait(client, run(client, query, table))
    text = read_s3(seaweed, execution["ResultConfiguration"]["OutputLocation"]).decode()
    assert text.splitlines()[1] == (
        '"[{arn=arn:aws:rds:us-east-1:111122223333:db:a, accountid=111122223333, type=null}]",'
    )


# -- what Athena refuses -------------------------------------------------------------------------


def test_a_syntax_error_fails_with_trinos_position(client: AthenaClient, table: str) -> None:
    query = f"SELECT eventid FROM {TABLE} WHERE eventname ILIKE 'modify%'"
    reason = failure(wait(client, run(client, query, table)))
    assert reason.startswith(f"line 1:{query.index('ILIKE') + 1}: mismatched input 'ILIKE'")


def test_a_missing_table_or_database_fails_as_athena_says(client: AthenaClient, table: str) -> None:
    query = "SELECT eventid FROM trails.nothing WHERE account = '1'"
    reason = failure(wait(client, run(client, query, table)))
    assert reason == (
        f"TABLE_NOT_FOUND: line 1:{query.index('trails') + 1}: "
        "Table 'awsdatacatalog.trails.nothing' does not exist"
    )
    missing_db = failure(wait(client, run(client, "SELECT 1 FROM nodb.t", table)))
    assert missing_db.startswith("SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist")


def test_an_unqualified_table_is_found_in_the_context_database(
    client: AthenaClient, table: str
) -> None:
    query_id = run(
        client,
        f"SELECT count(*) FROM cloudtrail WHERE \"account\" = '{ACCOUNT}'",
        table,
        QueryExecutionContext={"Database": "trails", "Catalog": CATALOG},
    )
    assert wait(client, query_id)["Status"]["State"] == "SUCCEEDED"


def test_an_injected_account_must_be_named(
    client: AthenaClient, trail: dict[str, Any], buckets: tuple[str, str]
) -> None:
    output = f"s3://{buckets[1]}/athena/"
    wait(client, run(client, "CREATE DATABASE org", output))
    ddl = account_trail_ddl("org.trail", f"s3://{trail['bucket']}/logs/AWSLogs/")
    assert wait(client, run(client, ddl, output))["Status"]["State"] == "SUCCEEDED"
    for where in ("eventname = 'x'", f"\"account\" = '{ACCOUNT}' OR eventname = 'x'"):
        reason = failure(
            wait(client, run(client, f"SELECT eventid FROM org.trail WHERE {where}", output))
        )
        assert reason == (
            "CONSTRAINT_VIOLATION: For the injected projected partition column account, the WHERE "
            "clause must contain only static equality conditions, and at least one such condition "
            "must be present."
        )
    named = f"SELECT eventid FROM org.trail WHERE \"account\" IN ('{OTHER_ACCOUNT}')"
    execution = wait(client, run(client, named, output))
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert (
        execution["Statistics"]["DataScannedInBytes"]
        == trail["sizes"][(OTHER_ACCOUNT, "us-east-1", "2024/01/15")]
    )


def test_no_output_location_is_an_invalid_request(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        run(client, f"SELECT 1 FROM {TABLE} WHERE account = '1'", None)
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert raised.value.response["Error"]["Message"] == (
        "No output location provided. An output location is required either through the "
        "Workgroup result configuration setting or as an API input."
    )
    # The workgroup's location serves when the call gives none.
    athena_server.fake.workgroups["primary"]["output_location"] = table
    query_id = run(client, f"SELECT 1 FROM {TABLE} WHERE account = '1'", None, WorkGroup="primary")
    assert (
        wait(client, query_id)["ResultConfiguration"]["OutputLocation"] == f"{table}{query_id}.csv"
    )
    with pytest.raises(botocore.exceptions.ClientError, match="WorkGroup is not found"):
        run(client, "SELECT 1", None, WorkGroup="nope")


def test_an_output_bucket_that_cannot_be_written_fails_the_query(
    client: AthenaClient,
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
    table: str,
    buckets: tuple[str, str],
) -> None:
    query = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}'"
    athena_server.fake.denied_output_buckets.add(buckets[1])
    query_id = run(client, query, table)
    assert failure(wait(client, query_id)) == (
        f"Access denied when writing output to url: {table}{query_id}.csv . Please ensure you are "
        "allowed to access the S3 bucket. If you are encrypting query results with KMS key, "
        "please ensure you are allowed to access your KMS key"
    )
    athena_server.fake.denied_output_buckets.clear()
    # The list-only identity of SeaweedFS cannot write: Athena writes as its caller.
    list_only = athena_client(
        athena_server, seaweed, access_key=LIST_ONLY_ACCESS_KEY, secret_key=LIST_ONLY_SECRET_KEY
    )
    reason = failure(wait(list_only, run(list_only, query, table)))
    assert reason.startswith("Access denied when writing output to url: ")


# -- faults and controls ----------------------------------------------------------------------


def test_throttling_answers_too_many_requests_for_any_operation(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
) -> None:
    query_id = run(client, f"SELECT 1 FROM {TABLE} WHERE account = '1'", table)
    athena_server.fake.throttle_next(2)
    for call in (
        lambda: client.get_query_execution(QueryExecutionId=query_id),
        lambda: client.start_query_execution(
            QueryString="SELECT 1", ResultConfiguration={"OutputLocation": table}
        ),
    ):
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert athena_server.fake.throttled == 2
    assert wait(client, query_id)["Status"]["State"] == "SUCCEEDED"  # the budget is back
    assert athena_server.fake.requests["GetQueryExecution"] >= 2


def test_boto3s_standard_retries_ride_out_a_throttle(
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
    table: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Through the default credential chain and AWS_ENDPOINT_URL_ATHENA (set_athena_env)."""
    set_athena_env(monkeypatch, tmp_path, athena_server, seaweed)
    default = boto3.session.Session().client(
        "athena", config=Config(retries={"mode": "standard", "total_max_attempts": 3})
    )
    athena_server.fake.throttle_next(2)
    query_id = default.start_query_execution(
        QueryString=f"SELECT 1 FROM {TABLE} WHERE account = '1'",
        ResultConfiguration={"OutputLocation": table},
    )["QueryExecutionId"]
    assert wait(default, query_id)["Status"]["State"] == "SUCCEEDED"
    assert athena_server.fake.throttled == 2


def test_fail_next_ends_the_next_select_failed(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
) -> None:
    athena_server.fake.fail_next("HIVE_CURSOR_ERROR: Unexpected end of input stream")
    query = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}'"
    assert failure(wait(client, run(client, query, table))) == (
        "HIVE_CURSOR_ERROR: Unexpected end of input stream"
    )
    assert wait(client, run(client, query, table))["Status"]["State"] == "SUCCEEDED"


def test_stop_cancels_a_running_query(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
) -> None:
    athena_server.fake.running_seconds = 30
    query_id = run(client, f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}'", table)
    client.stop_query_execution(QueryExecutionId=query_id)
    execution = wait(client, query_id)
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Query cancelled by user"
    assert athena_server.fake.stopped == [query_id]
    with pytest.raises(botocore.exceptions.ClientError, match="Final query state: CANCELLED"):
        client.get_query_results(QueryExecutionId=query_id)


def test_the_workgroup_cutoff_cancels_a_query_that_scans_past_it(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
    trail: dict[str, Any],
) -> None:
    cutoff = 2000
    athena_server.fake.workgroups["capped"] = {"output_location": table, "bytes_cutoff": cutoff}
    workgroup = client.get_work_group(WorkGroup="capped")["WorkGroup"]["Configuration"]
    assert workgroup["BytesScannedCutoffPerQuery"] == cutoff
    assert workgroup["ResultConfiguration"]["OutputLocation"] == table
    big = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}'"
    execution = wait(client, run(client, big, None, WorkGroup="capped"))
    assert execution["Status"]["State"] == "CANCELLED"
    assert execution["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"
    assert execution["Statistics"]["DataScannedInBytes"] == cutoff
    nothing = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}' AND \"region\" = 'x'"
    assert wait(client, run(client, nothing, None, WorkGroup="capped"))["Status"]["State"] == (
        "SUCCEEDED"
    )


def test_changed_objects_are_read_again_and_unchanged_ones_are_not(
    client: AthenaClient,
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
    table: str,
    trail: dict[str, Any],
) -> None:
    query = f"SELECT count(*) FROM {TABLE} WHERE \"account\" IN ('{ACCOUNT}', '{OTHER_ACCOUNT}')"

    def count() -> str:
        query_id = run(client, query, table)
        assert wait(client, query_id)["Status"]["State"] == "SUCCEEDED"
        rows = client.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
        return str(rows[1]["Data"][0]["VarCharValue"])

    assert count() == str(len(trail["all"]))
    assert count() == str(len(trail["all"]))
    assert athena_server.fake.tables_loaded == 1
    put_trail(
        seaweed,
        trail["bucket"],
        trail_key(ACCOUNT, "us-east-1", "2024/01/17", "new"),
        [make_record()],
    )
    assert count() == str(len(trail["all"]) + 1)
    assert athena_server.fake.tables_loaded == 2


def test_result_reuse_answers_from_the_previous_result_without_scanning(
    client: AthenaClient, table: str
) -> None:
    query = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}'"
    reuse: Any = {"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 5}}
    first = wait(client, run(client, query, table, ResultReuseConfiguration=reuse))
    second = wait(client, run(client, query, table, ResultReuseConfiguration=reuse))
    assert first["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is False
    assert second["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is True
    assert second["Statistics"]["DataScannedInBytes"] == 0
    assert second["ResultConfiguration"] == first["ResultConfiguration"]
    off = wait(client, run(client, query, table))
    assert off["Statistics"]["DataScannedInBytes"] == first["Statistics"]["DataScannedInBytes"] > 0


def test_a_client_request_token_starts_one_query(
    client: AthenaClient,
    athena_server: AthenaServer,
    table: str,
) -> None:
    query = f"SELECT 1 FROM {TABLE} WHERE account = '1'"
    token = "rdstrail-" + uuid.uuid4().hex
    first = run(client, query, table, ClientRequestToken=token)
    assert run(client, query, table, ClientRequestToken=token) == first
    assert athena_server.fake.statements.count(query) == 1


def test_requests_must_be_signed_with_a_known_key(
    athena_server: AthenaServer,
    seaweed: SeaweedServer,
) -> None:
    cases: list[tuple[Callable[[], AthenaClient], str]] = [
        (
            lambda: athena_client(athena_server, seaweed, secret_key="wrong"),
            "InvalidSignatureException",
        ),
        (
            lambda: athena_client(athena_server, seaweed, access_key="AKIAUNKNOWN000000000"),
            "UnrecognizedClientException",
        ),
    ]
    for make, code in cases:
        with pytest.raises(botocore.exceptions.ClientError) as raised:
            make().get_work_group(WorkGroup="primary")
        assert raised.value.response["Error"]["Code"] == code
