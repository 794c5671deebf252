"""`rdstrail athena ddl`: the table AWS documents for CloudTrail, for an account trail and an
organisation trail, with `account` an enum or injected, and every input it refuses in one
line before anything reaches Athena."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from rdstrail_tui.cli import athena as athena_cli
from rdstrail_tui.sources.athena.ddl import (
    COMMERCIAL_REGIONS,
    ENUM_ACCOUNTS_MAX,
    athena_ddl,
    commercial_regions,
    ddl_command_for,
    parse_table_name,
    parse_trail_url,
    statement_only,
)
from rdstrail_tui.sources.sync import SyncError

# The top-level columns of AWS's page "Create the table for CloudTrail logs in Athena using
# partition projection", in its order (written out here, not read from the module).
AWS_COLUMNS = [
    "eventversion",
    "useridentity",
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "requestid",
    "eventid",
    "readonly",
    "resources",
    "eventtype",
    "apiversion",
    "recipientaccountid",
    "serviceeventdetails",
    "sharedeventid",
    "vpcendpointid",
    "vpcendpointaccountid",
    "eventcategory",
    "addendum",
    "sessioncredentialfromconsole",
    "edgedevicedetails",
    "tlsdetails",
]
ACCOUNT = "111122223333"
OTHER = "444455556666"


def properties(ddl: str) -> dict[str, str]:
    """TBLPROPERTIES as a dict; each line must be exactly 'key'='value'."""
    block = ddl.split("TBLPROPERTIES (\n", 1)[1].rsplit("\n)", 1)[0]
    pairs = {}
    for line in block.split(",\n"):
        match = re.fullmatch(r"\s*'([a-z.]+)'='([^']*)'", line)
        assert match, line
        assert match.group(1) not in pairs, f"duplicate {match.group(1)}"
        pairs[match.group(1)] = match.group(2)
    return pairs


def top_level_columns(ddl: str) -> list[tuple[str, str]]:
    """(name, type) of each column between `CREATE ... (` and its closing `)`, the nesting
    followed by counting angle brackets."""
    body = ddl.split("(\n", 1)[1].split("\n)\nPARTITIONED BY", 1)[0]
    columns, depth, current = [], 0, ""
    for char in body + ",":
        if char == "," and depth == 0:
            name, _, kind = current.strip().partition(" ")
            columns.append((name, kind.strip()))
            current = ""
            continue
        depth += {"<": 1, ">": -1}.get(char, 0)
        assert depth >= 0
        current += char
    assert depth == 0
    return columns


def struct_fields(kind: str) -> Iterator[tuple[str, str]]:
    """Every `name: TYPE` inside a STRUCT<...>, at any depth."""
    yield from re.findall(r"(\w+):\s*(STRING|STRUCT|MAP<STRING, STRING>)", kind)


# -- the statement -------------------------------------------------------------------------


def test_an_account_trail_reads_every_account_folder_under_awslogs() -> None:
    ddl = athena_ddl("s3://trail-bucket/logs/AWSLogs/", accounts=[ACCOUNT], regions=["us-east-1"])
    assert ddl.startswith("CREATE EXTERNAL TABLE `default`.`cloudtrail_logs` (\n")
    assert "LOCATION 's3://trail-bucket/logs/AWSLogs/'\n" in ddl
    props = properties(ddl)
    assert props["storage.location.template"] == (
        "s3://trail-bucket/logs/AWSLogs/${account}/CloudTrail/${region}/${timestamp}"
    )
    assert props["projection.account.type"] == "enum"
    assert props["projection.account.values"] == ACCOUNT
    assert props["projection.region.values"] == "us-east-1"


def test_an_organisation_trail_keeps_its_org_folder_in_location_and_template() -> None:
    ddl = athena_ddl("s3://org-trail/AWSLogs/o-a1b2c3d4e5", accounts=[ACCOUNT, OTHER])
    assert "LOCATION 's3://org-trail/AWSLogs/o-a1b2c3d4e5/'\n" in ddl
    assert properties(ddl)["storage.location.template"] == (
        "s3://org-trail/AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/${timestamp}"
    )
    assert properties(ddl)["projection.account.values"] == f"{ACCOUNT},{OTHER}"


def test_with_and_without_the_trailing_slash_the_statement_is_the_same() -> None:
    assert athena_ddl("s3://b-1/AWSLogs") == athena_ddl("s3://b-1/AWSLogs/")
    assert athena_ddl("s3://b-1/x/AWSLogs/o-a1b2c3d4e5") == athena_ddl(
        "s3://b-1/x/AWSLogs/o-a1b2c3d4e5/"
    )


def test_the_columns_serde_and_formats_are_aws_own() -> None:
    ddl = athena_ddl("s3://b-1/AWSLogs/", accounts=[ACCOUNT])
    columns = top_level_columns(ddl)
    assert [name for name, _ in columns] == AWS_COLUMNS
    kinds = dict(columns)
    # Bodies stay JSON text: the compiler searches them with strpos.
    for name in ("requestparameters", "responseelements", "additionaleventdata", "readonly"):
        assert kinds[name] == "STRING"
    assert kinds["resources"].startswith("ARRAY<STRUCT<")
    assert [field for field, _ in struct_fields(kinds["resources"])] == [
        "arn",
        "accountid",
        "type",
    ]
    identity = [field for field, _ in struct_fields(kinds["useridentity"])]
    assert identity[:7] == [
        "type",
        "principalid",
        "arn",
        "accountid",
        "invokedby",
        "accesskeyid",
        "username",
    ]
    for nested in ("sessionissuer", "mfaauthenticated", "ec2roledelivery", "federatedprovider"):
        assert nested in identity
    assert "PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)\n" in ddl
    assert "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n" in ddl
    assert "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n" in ddl
    assert "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n" in ddl
    # Hive-ish shape: balanced brackets and quotes, one statement, no trailing semicolon.
    assert ddl.count("(") == ddl.count(")")
    assert ddl.count("<") == ddl.count(">")
    assert ddl.count("'") % 2 == 0
    assert ";" not in ddl


def test_the_timestamp_projection_is_daily_from_since_until_now() -> None:
    props = properties(athena_ddl("s3://b-1/AWSLogs/", since=date(2024, 3, 5)))
    assert props["projection.enabled"] == "true"
    assert props["projection.timestamp.type"] == "date"
    assert props["projection.timestamp.format"] == "yyyy/MM/dd"
    assert props["projection.timestamp.range"] == "2024/03/05,NOW"
    assert props["projection.timestamp.interval"] == "1"
    assert props["projection.timestamp.interval.unit"] == "DAYS"
    assert properties(athena_ddl("s3://b-1/AWSLogs/"))["projection.timestamp.range"] == (
        "2020/01/01,NOW"
    )


def test_regions_default_to_every_commercial_region() -> None:
    values = properties(athena_ddl("s3://b-1/AWSLogs/"))["projection.region.values"].split(",")
    assert set(COMMERCIAL_REGIONS) <= set(values)
    assert values == list(commercial_regions())
    assert not any(region.startswith(("us-gov-", "cn-")) for region in values)


def test_up_to_the_limit_accounts_are_an_enum_past_it_injected() -> None:
    many = [f"{n:012d}" for n in range(1, ENUM_ACCOUNTS_MAX + 2)]
    at_limit = athena_ddl("s3://b-1/AWSLogs/", accounts=many[:ENUM_ACCOUNTS_MAX])
    assert properties(at_limit)["projection.account.type"] == "enum"
    assert not at_limit.startswith("--")
    past = athena_ddl("s3://b-1/AWSLogs/", accounts=many)
    assert properties(past)["projection.account.type"] == "injected"
    assert "projection.account.values" not in properties(past)
    first = past.splitlines()[0]
    assert first.startswith("-- account is an injected partition")
    assert f"more than {ENUM_ACCOUNTS_MAX} accounts" in first
    assert "every query must name its accounts" in first


def test_no_accounts_means_injected_and_the_comment_says_queries_must_name_them() -> None:
    ddl = athena_ddl("s3://b-1/AWSLogs/o-a1b2c3d4e5/")
    assert properties(ddl)["projection.account.type"] == "injected"
    assert ddl.splitlines()[0].startswith("-- account is an injected partition (no --accounts")
    sent = statement_only(ddl)
    assert sent.startswith("CREATE EXTERNAL TABLE")
    assert "--" not in sent.splitlines()[0]


def test_accounts_and_regions_given_twice_are_listed_once() -> None:
    props = properties(
        athena_ddl(
            "s3://b-1/AWSLogs/",
            accounts=[ACCOUNT, OTHER, ACCOUNT],
            regions=["eu-west-1", "us-east-1", "eu-west-1"],
        )
    )
    assert props["projection.account.values"] == f"{ACCOUNT},{OTHER}"
    assert props["projection.region.values"] == "eu-west-1,us-east-1"


# -- what it refuses -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://b-1/AWSLogs/", "is not an s3:// URL"),
        ("/data/AWSLogs", "is not an s3:// URL"),
        ("s3://b-1/logs/", "has no AWSLogs folder"),
        ("s3://b-1", "has no AWSLogs folder"),
        ("s3://Bad_Bucket/AWSLogs/", "is not an S3 bucket name"),
        ("s3:///AWSLogs/", "is not an S3 bucket name"),
        ("s3://b-1/AWSLogs/111122223333/", "give s3://b-1/AWSLogs/ (accounts"),
        (
            "s3://b-1/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/",
            "give s3://b-1/AWSLogs/o-a1b2c3d4e5/ (accounts",
        ),
        ("s3://b-1/AWSLogs/o-x/", "is not an organisation ID"),
        ("s3://b-1/it's/AWSLogs/", "is not supported"),
        ("s3://b-1/${x}/AWSLogs/", "is not supported"),
        ("s3://b-1//AWSLogs/", "is not supported"),
    ],
)
def test_a_url_that_is_not_a_trail_root_is_refused_in_one_line(url: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)) as caught:
        parse_trail_url(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("accounts", "regions", "words"),
    [
        (["11112222333"], [], "'11112222333' is not an AWS account ID (12 digits)"),
        (["1111-2222-3333"], [], "is not an AWS account ID"),
        ([], ["us-easst-1"], "'us-easst-1' is an unknown AWS region: did you mean us-east-1?"),
        ([], ["Virginia"], "'Virginia' is not a region"),
        ([], ["us-east-1'"], "is not a region"),
    ],
)
def test_bad_accounts_and_regions_are_refused(
    accounts: list[str], regions: list[str], words: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        athena_ddl("s3://b-1/AWSLogs/", accounts=accounts, regions=regions)


def test_other_partitions_regions_are_accepted_when_named() -> None:
    ddl = athena_ddl("s3://b-1/AWSLogs/", regions=["us-gov-west-1"])
    assert properties(ddl)["projection.region.values"] == "us-gov-west-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default.cloudtrail_logs", ("default", "cloudtrail_logs")),
        ("Security.CloudTrail_2024", ("security", "cloudtrail_2024")),
    ],
)
def test_table_names_are_database_dot_table(text: str, expected: tuple[str, str]) -> None:
    assert parse_table_name(text) == expected


@pytest.mark.parametrize(
    "text",
    ["cloudtrail", "a.b.c", ".t", "db.", "db.t-1", "db.`t`", "db.t; DROP TABLE x", "d b.t"],
)
def test_table_names_that_would_change_the_sql_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not DATABASE\.TABLE") as caught:
        parse_table_name(text)
    assert "\n" not in str(caught.value)


def test_the_table_is_quoted_as_hive_ddl_wants() -> None:
    ddl = athena_ddl("s3://b-1/AWSLogs/", table="Sec.Trail")
    assert ddl.startswith("-- account is an injected")
    assert "CREATE EXTERNAL TABLE `sec`.`trail` (" in ddl


def test_the_suggested_command_creates_the_missing_table() -> None:
    assert ddl_command_for("s3://b-1/AWSLogs/o-a1b2c3d4e5/", "sec.trail") == (
        "rdstrail athena ddl s3://b-1/AWSLogs/o-a1b2c3d4e5/ --table sec.trail --create"
    )
    assert ddl_command_for(None, "sec.trail") == (
        "rdstrail athena ddl s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/] --table sec.trail --create"
    )


# -- the command ---------------------------------------------------------------------------


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="rdstrail")
    commands = parser.add_subparsers(dest="command")
    athena_cli.add_parser(commands, argparse.ArgumentParser(add_help=False))
    return parser.parse_args(["athena", "ddl", *argv])


def test_the_command_prints_the_ddl_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(
        "s3://b-1/AWSLogs/",
        "--accounts",
        f"{ACCOUNT},{OTHER}",
        "--regions",
        "us-east-1",
        "--regions",
        "eu-west-1",
        "--since",
        "2024-01-01",
        "--table",
        "sec.trail",
    )
    assert athena_cli.run(args) == 0
    out, errors = capsys.readouterr()
    assert errors == ""
    assert out == athena_ddl(
        "s3://b-1/AWSLogs/",
        accounts=[ACCOUNT, OTHER],
        regions=["us-east-1", "eu-west-1"],
        since=date(2024, 1, 1),
        table="sec.trail",
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["s3://b-1/logs/"],
        ["s3://b-1/AWSLogs/", "--accounts", "1234"],
        ["s3://b-1/AWSLogs/", "--regions", "mars-1"],
        ["s3://b-1/AWSLogs/", "--table", "nodot"],
    ],
)
def test_bad_input_exits_2_with_one_line(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert athena_cli.run(parse(*argv)) == 2
    out, errors = capsys.readouterr()
    assert out == ""
    assert len(errors.strip().splitlines()) == 1
    assert errors.startswith("rdstrail: athena ddl: ")


def test_a_bad_since_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse("s3://b-1/AWSLogs/", "--since", "last tuesday")
    assert caught.value.code == 2
    assert "'last tuesday' is not a date: try 2024-01-01" in capsys.readouterr().err


class FakeQueries:
    """Stands in for AthenaQueries: records what --create sends."""

    sent: list[str]
    options: dict[str, Any]
    fail_with: str | None = None

    def __init__(self, session: object, **options: Any) -> None:
        FakeQueries.options = options
        FakeQueries.sent = []

    def run(self, sql: str, *, what: str, **_: Any) -> None:
        FakeQueries.sent.append(sql)
        if FakeQueries.fail_with and sql.startswith("CREATE EXTERNAL"):
            raise SyncError(f"{what}: the query failed: {FakeQueries.fail_with}")


@pytest.fixture
def fake_athena(monkeypatch: pytest.MonkeyPatch) -> type[FakeQueries]:
    from rdstrail_tui.sources import aws
    from rdstrail_tui.sources.athena import queries

    monkeypatch.setattr(queries, "AthenaQueries", FakeQueries)
    monkeypatch.setattr(aws, "make_session", lambda profile: object())
    FakeQueries.fail_with = None
    return FakeQueries


def test_create_makes_the_database_then_the_table(
    fake_athena: type[FakeQueries], capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(
        "s3://b-1/AWSLogs/",
        "--table",
        "sec.trail",
        "--create",
        "--workgroup",
        "wg",
        "--output-location",
        "s3://results/x/",
        "--region",
        "eu-west-1",
    )
    assert athena_cli.run(args) == 0
    assert capsys.readouterr().out == "created sec.trail\n"
    assert fake_athena.sent[0] == "CREATE DATABASE IF NOT EXISTS `sec`"
    assert fake_athena.sent[1] == statement_only(athena_ddl("s3://b-1/AWSLogs/", table="sec.trail"))
    assert fake_athena.sent[1].startswith("CREATE EXTERNAL TABLE `sec`.`trail` (")
    assert fake_athena.options["workgroup"] == "wg"
    assert fake_athena.options["output_location"] == "s3://results/x/"
    assert fake_athena.options["region"] == "eu-west-1"


def test_create_failing_exits_1_with_athena_reason_in_one_line(
    fake_athena: type[FakeQueries], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_athena.fail_with = "AlreadyExistsException: Table already exists"
    assert athena_cli.run(parse("s3://b-1/AWSLogs/", "--create")) == 1
    out, errors = capsys.readouterr()
    assert out == ""
    assert errors.strip().splitlines() == [
        "rdstrail: athena ddl: table default.cloudtrail_logs: the query failed: "
        "AlreadyExistsException: Table already exists "
        "(drop it first: DROP TABLE `default`.`cloudtrail_logs`)"
    ]


def test_help_fits_78_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        parse("--help")
    text = capsys.readouterr().out
    assert "injected" in text
    assert "every query must then name its accounts" in text
    assert all(len(line) <= 78 for line in text.splitlines()), max(text.splitlines(), key=len)
