"""`rdstrail athena ddl`: the Athena table over a CloudTrail trail in S3, printed (to paste
into the console or pipe elsewhere) or, with --create, created through Athena."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date
from typing import Any

from rdstrail_tui.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, err
from rdstrail_tui.sources.athena.ddl import (
    DEFAULT_SINCE,
    DEFAULT_TABLE,
    ENUM_ACCOUNTS_MAX,
    athena_ddl,
    create_database_sql,
    parse_table_name,
    statement_only,
)
from rdstrail_tui.sources.sync import SyncError

# Hand-wrapped: within 78 columns (the --help test runs at COLUMNS=80).
DESCRIPTION = f"""\
Print the CREATE EXTERNAL TABLE that lets Athena read a CloudTrail trail in S3
in place (the table AWS documents, with partition projection), or run it with
--create. S3URL is the trail's root: s3://BUCKET/[PREFIX/]AWSLogs/ for an
account trail, with the o-ORGID/ folder after AWSLogs/ for an organisation's.

With 1 to {ENUM_ACCOUNTS_MAX} --accounts, `account` is an enum of them. With none, or more,
it is injected: every query must then name its accounts (WHERE account IN
(...)), as rdstrail sync athena does."""

EPILOG = """\
examples:
  rdstrail athena ddl s3://org-trail/AWSLogs/o-abc123defg/ > cloudtrail.sql
  rdstrail athena ddl s3://trail/AWSLogs/ --accounts 111122223333 \\
      --regions us-east-1,eu-west-1 --since 2024-01-01
  rdstrail athena ddl s3://org-trail/AWSLogs/o-abc123defg/ --table ct.t \\
      --create --output-location s3://athena-results/rdstrail/ \\
      --region us-east-1

--create also creates the database if it does not exist. DDL statements are
not billed; queries are, at $5 per TB scanned.
"""


def add_parser(
    commands: argparse._SubParsersAction[Any],
    common: argparse.ArgumentParser,
) -> None:
    """The `athena` command and its one action, `ddl`."""
    athena = commands.add_parser(
        "athena",
        help="the Athena table over an S3 trail (rdstrail athena ddl)",
        description="Amazon Athena over a CloudTrail trail in S3.",
    )
    actions = athena.add_subparsers(dest="athena_command", metavar="ACTION", required=True)
    ddl = actions.add_parser(
        "ddl",
        parents=[common],
        help="print (or --create) the table for a trail",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    ddl.add_argument("url", metavar="S3URL", help="s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]")
    ddl.add_argument(
        "--accounts",
        action="append",
        metavar="A,B",
        help=f"account IDs (comma-separated, repeatable); up to {ENUM_ACCOUNTS_MAX} make an enum",
    )
    ddl.add_argument(
        "--regions",
        action="append",
        metavar="R,...",
        help="regions to project (default: every commercial region)",
    )
    ddl.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help=f"first day of the projection (default: {DEFAULT_SINCE:%Y-%m-%d})",
    )
    ddl.add_argument(
        "--table",
        default=DEFAULT_TABLE,
        metavar="DB.NAME",
        help=f"the table's database and name (default: {DEFAULT_TABLE})",
    )
    ddl.add_argument("--create", action="store_true", help="run it through Athena")
    ddl.add_argument("--workgroup", metavar="W", help="with --create (default: primary)")
    ddl.add_argument(
        "--output-location",
        metavar="S3URL",
        help="with --create: where Athena writes results, if the workgroup says nowhere",
    )
    ddl.add_argument("--region", metavar="R", help="Athena's region (default: the profile's)")
    ddl.add_argument("--profile", metavar="P", help="AWS profile (default: AWS_PROFILE)")
    ddl.add_argument(
        "--endpoint-url", metavar="URL", help="another Athena endpoint (VPC endpoint, test)"
    )


_DATE = re.compile(r"([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2})")


def _date(text: str) -> date:
    match = _DATE.fullmatch(text.strip())
    try:
        if not match:
            raise ValueError
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: try 2024-01-01") from None


def _split(values: list[str] | None) -> list[str]:
    """`--accounts A,B --accounts C` -> [A, B, C]."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


def run(args: argparse.Namespace) -> int:
    """Print the DDL on stdout, or with --create run it and print `created db.name`.
    A URL, account, region or name that cannot be used exits 2; AWS errors exit 1."""
    try:
        ddl = athena_ddl(
            args.url,
            accounts=_split(args.accounts),
            regions=_split(args.regions),
            since=args.since,
            table=args.table,
        )
    except ValueError as error:
        err(f"athena ddl: {error}")
        return EXIT_USAGE
    if not args.create:
        sys.stdout.write(ddl)
        return EXIT_OK
    database, name = parse_table_name(args.table)
    try:
        _create(args, database, name, ddl)
    except SyncError as error:
        message = str(error)
        if "already exists" in message.lower():
            message += f" (drop it first: DROP TABLE `{database}`.`{name}`)"
        err(message)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        err("athena ddl: interrupted: the query was stopped")
        return EXIT_INTERRUPTED
    print(f"created {database}.{name}")
    return EXIT_OK


def _create(args: argparse.Namespace, database: str, name: str, ddl: str) -> None:
    # Lazy: boto3 and the Athena client are needed only to create the table.
    from rdstrail_tui.sources.athena.queries import AthenaQueries
    from rdstrail_tui.sources.aws import make_session

    queries = AthenaQueries(
        make_session(args.profile),
        region=args.region,
        endpoint_url=args.endpoint_url,
        workgroup=args.workgroup,
        output_location=args.output_location,
        profile=args.profile,
    )
    # The database first: the one-time setup is then this one command.
    queries.run(create_database_sql(database), what=f"athena ddl: database {database}")
    queries.run(statement_only(ddl), what=f"athena ddl: table {database}.{name}")
