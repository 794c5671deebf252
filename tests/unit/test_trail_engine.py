"""The local Athena CloudTrail table (tests/support/trail_engine.py): rows shaped as Athena's
CloudTrail SerDe reads them, partitions from trail paths, Trino statements run through sqlglot
in DuckDB, and the objects a statement's partition bounds keep."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import load_shared_records, make_record
from tests.support.trail_engine import (
    ALL_COLUMNS,
    VISIBLE_COLUMNS,
    AthenaTable,
    load_records,
    parse_trail_path,
    record_row,
    trino_to_duckdb,
)

SHARED_DIR = Path("/work/shared/data/rds-events")
TABLE = '"db"."cloudtrail"'
ACCOUNT = "111122223333"


def row_of(record: dict[str, Any]) -> dict[str, Any]:
    values = record_row(
        record, path="s3://b/k.json", account=ACCOUNT, region="us-east-1", day="2024/03/01"
    )
    return dict(zip(ALL_COLUMNS, values))


def ids(table: AthenaTable, where: str) -> set[str]:
    _, rows = table.execute(f"SELECT eventid FROM {TABLE} WHERE {where}", table=TABLE)
    return {str(row[0]) for row in rows}


# -- the SerDe -------------------------------------------------------------------------------


def test_json_bodies_are_compact_json_text_and_scalars_their_text() -> None:
    row = row_of(
        make_record(
            requestParameters={"dBInstanceIdentifier": "prod-é", "applyImmediately": True},
            responseElements=None,
            additionalEventData=[1, {"a": None}],
            serviceEventDetails="plain text",
            edgeDeviceDetails=12.5,
        )
    )
    assert row["requestparameters"] == '{"dBInstanceIdentifier":"prod-é","applyImmediately":true}'
    assert row["responseelements"] is None
    assert row["additionaleventdata"] == '[1,{"a":null}]'
    assert row["serviceeventdetails"] == "plain text"
    assert row["edgedevicedetails"] == "12.5"


@pytest.mark.parametrize(("written", "read"), [(True, "true"), (False, "false"), ("true", "true")])
def test_readonly_is_a_string(written: object, read: str) -> None:
    assert row_of(make_record(readOnly=written))["readonly"] == read


def test_a_missing_readonly_is_null() -> None:
    assert row_of(make_record(_drop=["readOnly"]))["readonly"] is None


def test_struct_fields_match_keys_ignoring_case_and_missing_ones_are_null() -> None:
    record = make_record(
        userIdentity={
            "type": "AssumedRole",
            "ARN": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "accountId": ACCOUNT,
            "sessionContext": {
                "attributes": {"mfaAuthenticated": False, "creationDate": "2024-03-01T11:00:00Z"},
                "sessionIssuer": {"userName": "Admin", "type": "Role"},
                "webIdFederationData": {
                    "federatedProvider": "cognito",
                    "attributes": {"sub": "42", "amr": ["authenticated"]},
                },
            },
        },
        resources=[{"ARN": "arn:aws:rds:us-east-1:111122223333:db:prod", "accountId": ACCOUNT}],
        tlsDetails={"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    )
    identity = row_of(record)["useridentity"]
    assert identity["arn"] == "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    assert identity["accountid"] == ACCOUNT
    assert identity["username"] is None  # not in the record: NULL, not an error
    assert identity["onbehalfof"] is None
    context = identity["sessioncontext"]
    assert context["attributes"] == {
        "mfaauthenticated": "false",
        "creationdate": "2024-03-01T11:00:00Z",
    }
    assert context["sessionissuer"]["username"] == "Admin"
    assert context["sessionissuer"]["arn"] is None
    assert context["webidfederationdata"]["attributes"] == {"sub": "42", "amr": '["authenticated"]'}
    row = row_of(record)
    assert row["resources"] == [
        {"arn": "arn:aws:rds:us-east-1:111122223333:db:prod", "accountid": ACCOUNT, "type": None}
    ]
    assert row["tlsdetails"]["clientprovidedhostheader"] is None


def test_the_row_ends_with_the_partitions_and_the_path() -> None:
    row = row_of(make_record())
    assert (row["account"], row["region"], row["timestamp"], row["$path"]) == (
        ACCOUNT,
        "us-east-1",
        "2024/03/01",
        "s3://b/k.json",
    )


def test_the_duckdb_table_holds_what_record_row_says() -> None:
    """The fast loading path (newline JSON into DuckDB) gives the rows record_row defines."""
    records = load_shared_records()
    table = load_records(records, account=ACCOUNT, region="us-east-1", day="2024/03/01")
    url = "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/a.json"
    names, rows = table.execute(f'SELECT *, "$path" FROM {TABLE} ORDER BY eventid', table=TABLE)
    assert tuple(names) == ALL_COLUMNS
    expected = sorted(
        (
            record_row(r, path=url, account=ACCOUNT, region="us-east-1", day="2024/03/01")
            for r in records
        ),
        key=lambda row: str(row[ALL_COLUMNS.index("eventid")]),
    )
    assert rows == expected


def test_select_star_is_athenas_columns_without_the_pseudo_column() -> None:
    table = load_records([make_record()])
    names, _ = table.execute(f"SELECT * FROM {TABLE}", table=TABLE)
    assert tuple(names) == VISIBLE_COLUMNS
    assert "$path" not in names and names[-3:] == ["account", "region", "timestamp"]


# -- partitions from paths -------------------------------------------------------------------


def test_partitions_come_from_account_and_organisation_paths(tmp_path: Path) -> None:
    account_file = "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/03/01/a.json.gz"
    org_file = "AWSLogs/o-aa111bb222/444455556666/CloudTrail/us-east-1/2024/03/02/b.json"
    digest = "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/03/01/d.json.gz"
    first, second, third = make_record(), make_record(), make_record()
    for name, records in ((account_file, [first]), (org_file, [second]), (digest, [third])):
        path = tmp_path / name
        path.parent.mkdir(parents=True)
        data = json.dumps({"Records": records}).encode()
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    table = AthenaTable()
    assert table.add_tree(tmp_path, "s3://trail/logs/") == 2
    _, rows = table.execute(
        f'SELECT eventid, account, region, "timestamp", "$path" FROM {TABLE} ORDER BY region',
        table=TABLE,
    )
    assert rows == [
        (
            first["eventID"],
            "111122223333",
            "eu-west-1",
            "2024/03/01",
            f"s3://trail/logs/{account_file}",
        ),
        (
            second["eventID"],
            "444455556666",
            "us-east-1",
            "2024/03/02",
            f"s3://trail/logs/{org_file}",
        ),
    ]


def test_parse_trail_path_refuses_what_is_not_a_trail_object() -> None:
    assert parse_trail_path("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/x.txt") is None
    assert parse_trail_path("AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/x.json") is None
    found = parse_trail_path("p/AWSLogs/111122223333/CloudTrail/ap-south-2/2024/12/31/x.json.gz")
    assert found is not None and (found.account, found.region, found.day) == (
        "111122223333",
        "ap-south-2",
        "2024/12/31",
    )


# -- Trino statements over the shared records --------------------------------------------------


@pytest.fixture(scope="module")
def shared() -> tuple[AthenaTable, list[dict[str, Any]]]:
    records = load_shared_records()
    return load_records(records), records


@pytest.mark.skipif(
    not SHARED_DIR.is_dir(), reason="the shared RDS records are not on this machine"
)
def test_the_shared_records_load_one_row_each() -> None:
    records: list[dict[str, Any]] = []
    for path in sorted(SHARED_DIR.glob("*.json")):
        records.extend(json.loads(path.read_bytes())["Records"])
    table = load_records(records)
    _, rows = table.execute(f"SELECT count(*), count(DISTINCT eventid) FROM {TABLE}", table=TABLE)
    assert rows == [(len(records), len({r["eventID"] for r in records}))]


def test_strpos_translate_coalesce_fold_and_search_names(
    shared: tuple[AthenaTable, list[dict[str, Any]]],
) -> None:
    table, records = shared
    found = ids(
        table,
        "coalesce(strpos(translate(eventname, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        "'abcdefghijklmnopqrstuvwxyz'), 'modify') > 0, false)",
    )
    expected = {r["eventID"] for r in records if "modify" in r["eventName"].lower()}
    assert found == expected and len(expected) >= 12


def test_negation_keeps_rows_where_the_field_is_missing(
    shared: tuple[AthenaTable, list[dict[str, Any]]],
) -> None:
    table, records = shared
    found = ids(table, "NOT coalesce(strpos(errorcode, 'Denied') > 0, false)")
    expected = {r["eventID"] for r in records if "Denied" not in (r.get("errorCode") or "")}
    assert found == expected
    assert any("errorCode" not in r for r in records if r["eventID"] in found)


def test_struct_access_and_the_requested_json_text(
    shared: tuple[AthenaTable, list[dict[str, Any]]],
) -> None:
    table, records = shared
    found = ids(
        table,
        "useridentity.sessioncontext.sessionissuer.username = 'DeveloperRole' "
        "AND strpos(requestparameters, '\"applyImmediately\":true') > 0",
    )
    expected = {
        r["eventID"]
        for r in records
        if ((r["userIdentity"].get("sessionContext") or {}).get("sessionIssuer") or {}).get(
            "userName"
        )
        == "DeveloperRole"
        and (r.get("requestParameters") or {}).get("applyImmediately") is True
    }
    assert found == expected and expected


def test_transform_array_join_and_cardinality_over_resources() -> None:
    with_two = make_record(
        resources=[
            {"ARN": "arn:aws:rds:us-east-1:111122223333:db:prod", "type": "AWS::RDS::DBInstance"},
            {"ARN": "arn:aws:rds:us-east-1:111122223333:snapshot:s1"},
        ]
    )
    without = make_record(_drop=["resources"])
    table = load_records([with_two, without])
    _, rows = table.execute(
        "SELECT eventid, array_join(transform(resources, x -> x.arn), ' '), "
        f"coalesce(cardinality(resources), 0) FROM {TABLE} ORDER BY 3",
        table=TABLE,
    )
    assert rows == [
        (without["eventID"], None, 0),
        (
            with_two["eventID"],
            "arn:aws:rds:us-east-1:111122223333:db:prod"
            " arn:aws:rds:us-east-1:111122223333:snapshot:s1",
            2,
        ),
    ]
    assert ids(
        table, "strpos(array_join(transform(resources, x -> x.arn), ' '), ':snapshot:') > 0"
    ) == {with_two["eventID"]}


def test_the_compilers_time_bound_and_like(
    shared: tuple[AthenaTable, list[dict[str, Any]]],
) -> None:
    table, records = shared
    found = ids(
        table,
        "replace(substr(eventtime, 1, 19), ' ', 'T') BETWEEN '2024-01-01T00:00:00' AND "
        "'2024-12-31T23:59:59' AND eventname LIKE 'Create%'"
        " AND eventsource IN ('rds.amazonaws.com')",
    )
    expected = {
        r["eventID"]
        for r in records
        if "2024-01-01T00:00:00" <= r["eventTime"].replace(" ", "T")[:19] <= "2024-12-31T23:59:59"
        and r["eventName"].startswith("Create")
    }
    assert found == expected and expected


def test_a_table_named_any_way_athena_accepts(
    shared: tuple[AthenaTable, list[dict[str, Any]]],
) -> None:
    table, records = shared
    for name in ("db.cloudtrail", '"db"."cloudtrail"', "awsdatacatalog.db.cloudtrail"):
        _, rows = table.execute(f"SELECT count(*) FROM {name}", table="db.cloudtrail")
        assert rows == [(len(records),)]


def test_trino_to_duckdb_translates_what_duckdb_names_otherwise() -> None:
    sql = trino_to_duckdb("SELECT array_join(transform(r, x -> x.arn), ','), cardinality(r) FROM t")
    assert "ARRAY_TO_STRING" in sql and "ARRAY_LENGTH" in sql


# -- partition pruning -----------------------------------------------------------------------


def test_objects_scanned_are_those_the_partition_bounds_keep() -> None:
    table = AthenaTable()
    objects = {
        (ACCOUNT, "us-east-1", "2024/03/01"): b"",
        (ACCOUNT, "us-east-1", "2024/03/05"): b"",
        (ACCOUNT, "eu-west-1", "2024/03/01"): b"",
        ("444455556666", "us-east-1", "2024/03/01"): b"",
    }
    sizes = {}
    for index, (account, region, day) in enumerate(objects):
        url = f"s3://t/AWSLogs/{account}/CloudTrail/{region}/{day}/{index}.json.gz"
        data = gzip.compress(json.dumps({"Records": [make_record()] * (index + 1)}).encode())
        table.add_object(url, data, account=account, region=region, day=day)
        sizes[(account, region, day)] = (url, len(data))
    statement = (
        f'SELECT eventid FROM {TABLE} WHERE "account" IN (\'{ACCOUNT}\') AND "region" IN '
        "('us-east-1') AND \"timestamp\" BETWEEN '2024/02/28' AND '2024/03/02' "
        "AND eventname = 'Nothing'"
    )
    assert table.objects_scanned(statement, table=TABLE) == [
        sizes[(ACCOUNT, "us-east-1", "2024/03/01")]
    ]
    # An OR across a data column cannot prune: every object is read.
    everything = f"SELECT eventid FROM {TABLE} WHERE \"account\" = '{ACCOUNT}' OR eventname = 'x'"
    assert sorted(table.objects_scanned(everything, table=TABLE)) == sorted(sizes.values())
    # Nested parentheses of ANDs still prune.
    nested = f"SELECT 1 FROM {TABLE} WHERE ((\"region\" = 'eu-west-1' AND eventid IS NOT NULL))"
    assert table.objects_scanned(nested, table=TABLE) == [
        sizes[(ACCOUNT, "eu-west-1", "2024/03/01")]
    ]
