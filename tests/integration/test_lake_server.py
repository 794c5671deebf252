"""The local CloudTrail Lake endpoint (tests/support/lake_server.py) through real boto3:
each operation, paging, Lake's limits, the faults, and eventjson byte for byte."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from rdstrail_tui.ingest.formats import decode_file
from tests.conftest import PANTHER_FILE
from tests.support.lake_engine import LakeTable
from tests.support.lake_server import MAX_PAGE, LakeServer
from tests.support.lake_server import lake_server as lake_server  # the fixture
from tests.support.lookup_server import set_aws_env

STORE = "0c9a3e57-6d2b-4f1e-9a8c-7b6d5e4f3a21"
# `total_max_attempts` counts the first try; botocore's `max_attempts` counts retries only.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


class Clock:
    """The server's time, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    set_aws_env(monkeypatch, tmp_path / "aws")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(clock: Clock) -> Iterator[LakeServer]:
    with LakeServer(stores={STORE: LakeTable()}) as running:
        running.fake.clock = clock
        yield running


def _client(server: LakeServer, config: Config = NO_RETRIES, region: str = "us-east-1") -> Any:
    # A session of its own: boto3's default one keeps the first credentials it read.
    return boto3.session.Session().client(
        "cloudtrail", endpoint_url=server.url, region_name=region, config=config
    )


def _records(count: int, day: str = "2026-11-20") -> list[bytes]:
    return [
        json.dumps(
            {
                "eventVersion": "1.08",
                "eventID": f"event-{index:05d}",
                "eventTime": f"{day}T{_clock_of(index)}Z",
                "eventSource": "rds.amazonaws.com",
                "eventName": "ModifyDBInstance",
                "readOnly": False,
                "requestParameters": {"dBInstanceIdentifier": f"db-{index}"},
            }
        ).encode()
        for index in range(count)
    ]


def _clock_of(second: int) -> str:
    return f"{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def _error(call: Callable[[], Any]) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return str(error["Code"]), str(error["Message"])


def _finish(client: Any, statement: str) -> str:
    query_id = str(client.start_query(QueryStatement=statement)["QueryId"])
    assert client.describe_query(QueryId=query_id)["QueryStatus"] == "FINISHED"
    return query_id


def _all_rows(client: Any, query_id: str, **extra: Any) -> tuple[list[Any], int]:
    rows: list[Any] = []
    pages = 0
    token: str | None = None
    while True:
        kwargs = dict(QueryId=query_id, **extra)
        if token:
            kwargs["NextToken"] = token
        page = client.get_query_results(**kwargs)
        pages += 1
        rows.extend(page["QueryResultRows"])
        token = page.get("NextToken")
        if not token:
            return rows, pages


def test_eventjson_comes_back_byte_identical_to_the_trail_record(server: LakeServer) -> None:
    # The shared records as delivered (pretty-printed file): each record's exact slice.
    server.fake.stores[STORE].add_tree(PANTHER_FILE.parent)
    expected = {raw for _, raw in decode_file(PANTHER_FILE).records}
    client = _client(server)
    query_id = _finish(
        client,
        f"SELECT eventjson FROM {STORE} WHERE eventtime >= timestamp '2000-01-01 00:00:00' "
        "AND eventsource = 'rds.amazonaws.com'",
    )
    rows, _ = _all_rows(client, query_id)
    got = {row[0]["eventjson"].encode("utf-8") for row in rows}
    assert expected <= got
    assert all(len(row) == 1 for row in rows)


def test_results_are_rows_of_single_key_cells_in_trinos_text(server: LakeServer) -> None:
    server.fake.stores[STORE].add_records(_records(1))
    client = _client(server)
    query_id = _finish(
        client,
        f"SELECT eventid, eventtime, readonly, element_at(requestparameters, "
        f"'dBInstanceIdentifier') AS db, errorcode, cardinality(requestparameters) FROM {STORE}",
    )
    page = client.get_query_results(QueryId=query_id)
    assert page["QueryStatus"] == "FINISHED"
    assert page["QueryResultRows"] == [
        [
            {"eventid": "event-00000"},
            {"eventtime": "2026-11-20 00:00:00.000"},
            {"readonly": "false"},
            {"db": "db-0"},
            {"errorcode": None},
            {"_col5": "1"},
        ]
    ]
    assert page["QueryStatistics"]["ResultsCount"] == 1
    assert page["QueryStatistics"]["TotalResultsCount"] == 1


def test_results_page_by_max_query_results_and_next_token(server: LakeServer) -> None:
    server.fake.stores[STORE].add_records(_records(25))
    client = _client(server)
    query_id = _finish(client, f"SELECT eventid FROM {STORE} ORDER BY eventid")
    first = client.get_query_results(QueryId=query_id, MaxQueryResults=10)
    assert len(first["QueryResultRows"]) == 10
    assert first["QueryStatistics"] == {
        "ResultsCount": 10,
        "TotalResultsCount": 25,
        "BytesScanned": first["QueryStatistics"]["BytesScanned"],
    }
    rows, pages = _all_rows(client, query_id, MaxQueryResults=10)
    assert pages == 3
    assert [row[0]["eventid"] for row in rows] == [f"event-{i:05d}" for i in range(25)]


def test_the_default_page_is_the_models_maximum(server: LakeServer) -> None:
    server.fake.stores[STORE].add_records(_records(MAX_PAGE + 1))
    client = _client(server)
    query_id = _finish(client, f"SELECT eventid FROM {STORE}")
    first = client.get_query_results(QueryId=query_id)
    assert len(first["QueryResultRows"]) == MAX_PAGE
    last = client.get_query_results(QueryId=query_id, NextToken=first["NextToken"])
    assert len(last["QueryResultRows"]) == 1
    assert "NextToken" not in last


def test_a_token_of_another_query_is_refused(server: LakeServer) -> None:
    server.fake.stores[STORE].add_records(_records(3))
    client = _client(server)
    one = _finish(client, f"SELECT eventid FROM {STORE}")
    other = _finish(client, f"SELECT eventname FROM {STORE}")
    token = client.get_query_results(QueryId=one, MaxQueryResults=1)["NextToken"]
    code, _ = _error(lambda: client.get_query_results(QueryId=other, NextToken=token))
    assert code == "InvalidNextTokenException"


def test_a_query_is_queued_then_running_with_bytes_growing_then_finished(
    server: LakeServer, clock: Clock
) -> None:
    records = _records(20)
    server.fake.stores[STORE].add_records(records)
    server.fake.queued_seconds = 10
    server.fake.running_seconds = 10
    client = _client(server)
    query_id = client.start_query(QueryStatement=f"SELECT eventid FROM {STORE}")["QueryId"]
    seen = []
    for step in (5, 7, 3, 6):  # at 5, 12, 15 and 21 seconds
        clock.advance(step)
        described = client.describe_query(QueryId=query_id)
        seen.append((described["QueryStatus"], described["QueryStatistics"]["BytesScanned"]))
    total = sum(map(len, records))
    assert seen == [
        ("QUEUED", 0),
        ("RUNNING", int(total * 0.2)),
        ("RUNNING", int(total * 0.5)),
        ("FINISHED", total),
    ]
    statistics = client.describe_query(QueryId=query_id)["QueryStatistics"]
    assert statistics["EventsMatched"] == 20
    assert statistics["EventsScanned"] == 20
    assert statistics["ExecutionTimeInMillis"] == 10_000
    assert "CreationTime" in statistics


def test_results_of_a_running_query_are_its_status_only(server: LakeServer, clock: Clock) -> None:
    server.fake.stores[STORE].add_records(_records(2))
    server.fake.running_seconds = 30
    client = _client(server)
    query_id = client.start_query(QueryStatement=f"SELECT eventid FROM {STORE}")["QueryId"]
    page = client.get_query_results(QueryId=query_id)
    assert page["QueryStatus"] == "RUNNING"
    assert page["QueryResultRows"] == []


def test_bytes_scanned_follows_the_eventtime_bounds(server: LakeServer) -> None:
    inside, outside = _records(4, "2026-11-20"), _records(6, "2026-10-01")
    server.fake.stores[STORE].add_records(inside + outside)
    client = _client(server)
    query_id = _finish(
        client,
        f"SELECT eventjson FROM {STORE} WHERE eventtime >= timestamp '2026-11-20 00:00:00' "
        "AND eventtime < timestamp '2026-11-21 00:00:00'",
    )
    statistics = client.describe_query(QueryId=query_id)["QueryStatistics"]
    assert statistics["BytesScanned"] == sum(map(len, inside))
    assert statistics["EventsScanned"] == 4


def test_at_most_ten_queries_run_at_once(server: LakeServer, clock: Clock) -> None:
    server.fake.queued_seconds = 60
    client = _client(server)
    statement = f"SELECT eventid FROM {STORE}"
    for _ in range(10):
        client.start_query(QueryStatement=statement)
    code, message = _error(lambda: client.start_query(QueryStatement=statement))
    assert code == "MaxConcurrentQueriesException"
    assert "maximum number of concurrent queries is 10" in message
    clock.advance(60)
    client.start_query(QueryStatement=statement)
    assert server.fake.max_concurrent == 10
    assert len(server.fake.statements) == 11


def test_a_statement_over_ten_thousand_characters_is_refused(server: LakeServer) -> None:
    head = f"SELECT eventid FROM {STORE} WHERE eventname IN ('"
    fitting = head + "x" * (10_000 - len(head) - 2) + "')"
    assert len(fitting) == 10_000
    client = _client(server)
    client.start_query(QueryStatement=fitting)
    # botocore refuses a longer one itself; without its check the service answers.
    unchecked = _client(
        server,
        Config(retries={"total_max_attempts": 1, "mode": "standard"}, parameter_validation=False),
    )
    code, message = _error(lambda: unchecked.start_query(QueryStatement=fitting + " "))
    assert code == "InvalidQueryStatementException"
    assert "10000 characters" in message


@pytest.mark.parametrize(
    "statement",
    [
        f"SELECT eventid FROM {STORE} WHERE eventname ILIKE 'modify%'",
        f"SELECT eventid FROM {STORE} WHERE",
        f"DELETE FROM {STORE}",
        "SELECT 1",
    ],
    ids=["ilike", "truncated", "not-a-select", "no-store"],
)
def test_invalid_statements_are_refused(server: LakeServer, statement: str) -> None:
    code, _ = _error(lambda: _client(server).start_query(QueryStatement=statement))
    assert code == "InvalidQueryStatementException"
    assert server.fake.statements == []


def test_a_syntax_error_says_where(server: LakeServer) -> None:
    statement = f"SELECT eventid FROM {STORE} WHERE eventname ILIKE 'modify%'"
    _, message = _error(lambda: _client(server).start_query(QueryStatement=statement))
    assert "ILIKE" in message


def test_an_unknown_event_data_store_is_not_found(server: LakeServer) -> None:
    client = _client(server)
    code, message = _error(
        lambda: client.start_query(QueryStatement="SELECT eventid FROM 11111111-2222-3333")
    )
    assert code == "EventDataStoreNotFoundException"
    assert "11111111-2222-3333" in message
    quoted = client.start_query(QueryStatement=f'SELECT eventid FROM "{STORE}"')
    assert quoted["QueryId"]


def test_a_store_is_not_found_from_another_region(server: LakeServer) -> None:
    client = _client(server, region="eu-west-1")
    code, _ = _error(lambda: client.start_query(QueryStatement=f"SELECT eventid FROM {STORE}"))
    assert code == "EventDataStoreNotFoundException"


def test_cancel_query_cancels_a_running_query_once(server: LakeServer, clock: Clock) -> None:
    server.fake.stores[STORE].add_records(_records(3))
    server.fake.running_seconds = 30
    client = _client(server)
    query_id = client.start_query(QueryStatement=f"SELECT eventid FROM {STORE}")["QueryId"]
    clock.advance(15)
    cancelled = client.cancel_query(QueryId=query_id)
    assert cancelled["QueryStatus"] == "CANCELLED"
    assert server.fake.cancelled == [query_id]
    clock.advance(60)
    described = client.describe_query(QueryId=query_id)
    assert described["QueryStatus"] == "CANCELLED"
    assert 0 < described["QueryStatistics"]["BytesScanned"] < sum(map(len, _records(3)))
    assert client.get_query_results(QueryId=query_id)["QueryResultRows"] == []
    code, _ = _error(lambda: client.cancel_query(QueryId=query_id))
    assert code == "InactiveQueryException"


def test_an_unknown_query_id_is_not_found(server: LakeServer) -> None:
    client = _client(server)
    missing = "00000000-0000-0000-0000-000000000000"
    for call in (client.describe_query, client.get_query_results, client.cancel_query):
        code, _ = _error(functools.partial(call, QueryId=missing))
        assert code == "QueryIdNotFoundException"


def test_fail_next_fails_the_next_query_with_the_message(server: LakeServer) -> None:
    server.fake.fail_next("Query exceeded the scan limit.")
    client = _client(server)
    query_id = client.start_query(QueryStatement=f"SELECT eventid FROM {STORE}")["QueryId"]
    described = client.describe_query(QueryId=query_id)
    assert described["QueryStatus"] == "FAILED"
    assert described["ErrorMessage"] == "Query exceeded the scan limit."
    page = client.get_query_results(QueryId=query_id)
    assert (page["QueryStatus"], page["ErrorMessage"]) == (
        "FAILED",
        "Query exceeded the scan limit.",
    )
    # Only the next one.
    assert _finish(client, f"SELECT eventid FROM {STORE}")


def test_a_statement_the_engine_cannot_run_fails_with_its_reason(server: LakeServer) -> None:
    client = _client(server)
    query_id = client.start_query(QueryStatement=f"SELECT nosuchcolumn FROM {STORE}")["QueryId"]
    described = client.describe_query(QueryId=query_id)
    assert described["QueryStatus"] == "FAILED"
    assert "nosuchcolumn" in described["ErrorMessage"]


def test_throttling_is_cloudtrails_error_and_botocore_retries_it(server: LakeServer) -> None:
    statement = f"SELECT eventid FROM {STORE}"
    server.fake.throttle_next(1)
    code, _ = _error(lambda: _client(server).start_query(QueryStatement=statement))
    assert code == "ThrottlingException"
    server.fake.throttle_next(2)
    retrying = _client(server, Config(retries={"total_max_attempts": 3, "mode": "standard"}))
    assert retrying.start_query(QueryStatement=statement)["QueryId"]
    assert server.fake.throttled == 3
    assert server.fake.requests["StartQuery"] == 4
    assert server.fake.statements == [statement]


def test_a_wrong_secret_is_refused(server: LakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    code, _ = _error(
        lambda: _client(server).start_query(QueryStatement=f"SELECT eventid FROM {STORE}")
    )
    assert code == "InvalidSignatureException"
    assert server.fake.requests["StartQuery"] == 0


def test_the_fixture_serves_stores_added_later(lake_server: LakeServer) -> None:
    store = lake_server.fake.add_store()
    lake_server.fake.stores[store].add_records(_records(2))
    client = _client(lake_server)
    query_id = _finish(client, f"SELECT count(*) AS n FROM {store}")
    assert client.get_query_results(QueryId=query_id)["QueryResultRows"] == [[{"n": "2"}]]
    assert lake_server.fake.arn(store).endswith(f":eventdatastore/{store}")
