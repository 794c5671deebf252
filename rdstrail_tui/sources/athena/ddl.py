"""The `CREATE EXTERNAL TABLE` of a CloudTrail trail in S3 for Athena, with partition
projection, as AWS documents it ("Create the table for CloudTrail logs in Athena using
partition projection"): the same columns in the same order, the Hive JSON SerDe over
CloudTrail's input format, and `account`, `region` and `timestamp` projected from the
trail's key layout instead of registered one partition at a time.

Pure text: nothing here talks to AWS (the known regions come from botocore's bundled
endpoint data when botocore is installed, read lazily)."""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Union

# More accounts than this and `account` is projected as `injected`: an enum of hundreds of
# accounts times every region times every day is more partitions than a query should walk,
# and the list would need editing each time the organisation grows.
ENUM_ACCOUNTS_MAX = 50

DEFAULT_TABLE = "default.cloudtrail_logs"
DEFAULT_SINCE = date(2020, 1, 1)

# The commercial (`aws` partition) regions CloudTrail logs in, as botocore's endpoint data
# listed them when this was written; `commercial_regions()` adds any newer botocore knows.
COMMERCIAL_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)
# Regions of the other partitions a trail may live in: valid for --regions, never a default.
OTHER_PARTITION_REGIONS: tuple[str, ...] = (
    "us-gov-east-1",
    "us-gov-west-1",
    "cn-north-1",
    "cn-northwest-1",
)

_ACCOUNT = re.compile(r"[0-9]{12}")
_REGION = re.compile(r"[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}")
_ORG_ID = re.compile(r"o-[a-z0-9]{10,32}")
# S3's bucket naming rules (the lower-case, dotted, DNS-style names every bucket since 2018
# has); the name is written inside a quoted DDL string, so nothing else may pass.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
# A prefix folder: S3 allows any key, but these land inside '...' in the DDL and inside a
# ${...} template, so quotes, backslashes, template characters and controls are refused.
_PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9!_.*()=+,;:@&-]+")
_NAME = re.compile(r"[A-Za-z0-9_]{1,255}")
_URL_FORM = "s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]"


# -- the columns, in the order of AWS's page ------------------------------------------------


@dataclass(frozen=True)
class Struct:
    fields: tuple[tuple[str, ColumnType], ...]


@dataclass(frozen=True)
class Array:
    element: ColumnType


@dataclass(frozen=True)
class Map:
    key: str
    value: str


ColumnType = Union[str, Struct, Array, Map]


def _struct(*fields: tuple[str, ColumnType]) -> Struct:
    return Struct(fields)


def _strings(*names: str) -> tuple[tuple[str, ColumnType], ...]:
    return tuple((name, "STRING") for name in names)


COLUMNS: tuple[tuple[str, ColumnType], ...] = (
    ("eventversion", "STRING"),
    (
        "useridentity",
        _struct(
            *_strings(
                "type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username"
            ),
            ("onbehalfof", _struct(*_strings("userid", "identitystorearn"))),
            (
                "sessioncontext",
                _struct(
                    ("attributes", _struct(*_strings("mfaauthenticated", "creationdate"))),
                    (
                        "sessionissuer",
                        _struct(*_strings("type", "principalid", "arn", "accountid", "username")),
                    ),
                    ("ec2roledelivery", "STRING"),
                    (
                        "webidfederationdata",
                        _struct(
                            ("federatedprovider", "STRING"),
                            ("attributes", Map("STRING", "STRING")),
                        ),
                    ),
                ),
            ),
        ),
    ),
    *_strings(
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
    ),
    ("resources", Array(_struct(*_strings("arn", "accountid", "type")))),
    *_strings(
        "eventtype",
        "apiversion",
        "recipientaccountid",
        "serviceeventdetails",
        "sharedeventid",
        "vpcendpointid",
        "vpcendpointaccountid",
        "eventcategory",
    ),
    (
        "addendum",
        _struct(*_strings("reason", "updatedfields", "originalrequestid", "originaleventid")),
    ),
    *_strings("sessioncredentialfromconsole", "edgedevicedetails"),
    ("tlsdetails", _struct(*_strings("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
)

PARTITION_KEYS: tuple[str, ...] = ("account", "region", "timestamp")

SERDE = "org.apache.hive.hcatalog.data.JsonSerDe"
INPUT_FORMAT = "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

_INDENT = "    "


def _render_type(column_type: ColumnType, depth: int) -> str:
    if isinstance(column_type, str):
        return column_type
    if isinstance(column_type, Map):
        return f"MAP<{column_type.key}, {column_type.value}>"
    if isinstance(column_type, Array):
        return f"ARRAY<{_render_type(column_type.element, depth)}>"
    inner = _INDENT * (depth + 1)
    fields = ",\n".join(
        f"{inner}{name}: {_render_type(field, depth + 1)}" for name, field in column_type.fields
    )
    return f"STRUCT<\n{fields}>"


def render_columns() -> str:
    """The column list, one top-level column a line (nested structs indented under it)."""
    return ",\n".join(f"{_INDENT}{name} {_render_type(kind, 1)}" for name, kind in COLUMNS)


# -- the trail's location ------------------------------------------------------------------


@dataclass(frozen=True)
class TrailLocation:
    """Where a trail writes: `s3://bucket/prefix/AWSLogs/[o-org/]`."""

    bucket: str
    prefix: str  # "" or "a/b/" (with its trailing slash)
    org_id: str | None

    @property
    def base(self) -> str:
        """The fixed part of every object's key: the table's LOCATION."""
        org = f"{self.org_id}/" if self.org_id else ""
        return f"s3://{self.bucket}/{self.prefix}AWSLogs/{org}"

    @property
    def template(self) -> str:
        return self.base + "${account}/CloudTrail/${region}/${timestamp}"


def parse_trail_url(url: str) -> TrailLocation:
    """`s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]`, with or without the trailing slash. The
    account, region and day folders below it are the partitions, so a URL that goes on past
    AWSLogs (or the organisation's folder) is refused rather than silently cut."""
    if not url.startswith("s3://"):
        raise ValueError(f"{url!r} is not an s3:// URL: give {_URL_FORM}")
    bucket, _, path = url[len("s3://") :].partition("/")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(f"{bucket!r} is not an S3 bucket name (in {url!r})")
    segments = path.rstrip("/").split("/") if path.strip("/") else []
    if "AWSLogs" not in segments:
        raise ValueError(f"{url!r} has no AWSLogs folder: give {_URL_FORM}")
    at = len(segments) - 1 - segments[::-1].index("AWSLogs")
    prefix, after = segments[:at], segments[at + 1 :]
    for segment in prefix:
        if not _PREFIX_SEGMENT.fullmatch(segment):
            raise ValueError(f"the prefix folder {segment!r} of {url!r} is not supported")
    location = TrailLocation(
        bucket=bucket, prefix="".join(f"{part}/" for part in prefix), org_id=None
    )
    org_id = _org_id(url, location.base, after)
    return TrailLocation(bucket=location.bucket, prefix=location.prefix, org_id=org_id)


def _org_id(url: str, root: str, after: list[str]) -> str | None:
    """The organisation's folder right after AWSLogs, if that is all there is after it."""
    if not after:
        return None
    if len(after) == 1 and after[0].startswith("o-"):
        if not _ORG_ID.fullmatch(after[0]):
            raise ValueError(f"{after[0]!r} is not an organisation ID like o-a1b2c3d4e5")
        return after[0]
    cut = f"{root}{after[0]}/" if _ORG_ID.fullmatch(after[0]) else root
    raise ValueError(
        f"{url!r} goes past the trail's root: give {cut} (accounts, regions and days "
        "are the table's partitions)"
    )


# -- names, accounts, regions --------------------------------------------------------------


def parse_table_name(text: str) -> tuple[str, str]:
    """`db.table` -> ("db", "table"), lower-cased as the Glue catalog keeps them. Letters,
    digits and underscores only: the names are written into SQL."""
    database, dot, table = text.partition(".")
    if not dot or not _NAME.fullmatch(database) or not _NAME.fullmatch(table):
        raise ValueError(
            f"{text!r} is not DATABASE.TABLE (letters, digits and underscores, "
            "e.g. default.cloudtrail_logs)"
        )
    return database.lower(), table.lower()


def quoted_table(database: str, table: str) -> str:
    """The Hive DDL spelling: `db`.`name`."""
    return f"`{database}`.`{table}`"


def check_accounts(accounts: Sequence[str]) -> tuple[str, ...]:
    """The accounts, each 12 digits, once each in the order given."""
    seen: dict[str, None] = {}
    for account in accounts:
        account = account.strip()
        if not _ACCOUNT.fullmatch(account):
            raise ValueError(f"account {account!r} is not an AWS account ID (12 digits)")
        seen[account] = None
    return tuple(seen)


def commercial_regions() -> tuple[str, ...]:
    """The commercial regions: the list above, with any newer region the installed botocore
    knows of (its bundled endpoint data, read offline)."""
    try:
        # Lazy: botocore's endpoint data is needed only to print a DDL, not to import this.
        import botocore.session

        known = botocore.session.get_session().get_available_regions("cloudtrail")
    except Exception:  # no botocore, or data it cannot read: the static list stands
        known = []
    return tuple(sorted(set(COMMERCIAL_REGIONS) | set(known)))


def check_regions(regions: Sequence[str]) -> tuple[str, ...]:
    """The regions, each a known AWS region name, once each in the order given."""
    known = set(commercial_regions()) | set(OTHER_PARTITION_REGIONS)
    seen: dict[str, None] = {}
    for region in regions:
        region = region.strip()
        if region not in known:
            near = difflib.get_close_matches(region, sorted(known), n=1)
            hint = f": did you mean {near[0]}?" if near else ""
            what = "an unknown AWS region" if _REGION.fullmatch(region) else "not a region"
            raise ValueError(f"region {region!r} is {what}{hint}")
        seen[region] = None
    return tuple(seen)


# -- the statement -------------------------------------------------------------------------


def athena_ddl(
    url: str,
    *,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    since: date | None = None,
    table: str = DEFAULT_TABLE,
) -> str:
    """The CREATE EXTERNAL TABLE for the trail under `url`, ready for Athena. With no
    accounts, or more than ENUM_ACCOUNTS_MAX, `account` is an injected partition: Athena
    then refuses any query that does not name its accounts (`WHERE account IN (...)`),
    which the first line of the output says as a SQL comment. ValueError (one line) for a
    URL, account, region or table name that cannot be used."""
    location = parse_trail_url(url)
    database, name = parse_table_name(table)
    account_ids = check_accounts(accounts)
    region_names = check_regions(regions) if regions else commercial_regions()
    start = since or DEFAULT_SINCE
    enum_accounts = 0 < len(account_ids) <= ENUM_ACCOUNTS_MAX
    properties = [("projection.enabled", "true")]
    if enum_accounts:
        properties += [
            ("projection.account.type", "enum"),
            ("projection.account.values", ",".join(account_ids)),
        ]
    else:
        properties.append(("projection.account.type", "injected"))
    properties += [
        ("projection.region.type", "enum"),
        ("projection.region.values", ",".join(region_names)),
        ("projection.timestamp.type", "date"),
        ("projection.timestamp.format", "yyyy/MM/dd"),
        ("projection.timestamp.range", f"{start:%Y/%m/%d},NOW"),
        ("projection.timestamp.interval", "1"),
        ("projection.timestamp.interval.unit", "DAYS"),
        ("storage.location.template", location.template),
    ]
    lines = []
    if not enum_accounts:
        why = (
            f"more than {ENUM_ACCOUNTS_MAX} accounts were given"
            if account_ids
            else "no --accounts were given"
        )
        lines.append(
            f"-- account is an injected partition ({why}): every query must name its "
            "accounts, WHERE account IN ('111122223333', ...)"
        )
    partitions = ", ".join(f"`{key}` STRING" for key in PARTITION_KEYS)
    props = ",\n".join(f"{_INDENT}'{key}'='{value}'" for key, value in properties)
    lines += [
        f"CREATE EXTERNAL TABLE {quoted_table(database, name)} (",
        render_columns(),
        ")",
        f"PARTITIONED BY ({partitions})",
        f"ROW FORMAT SERDE '{SERDE}'",
        f"STORED AS INPUTFORMAT '{INPUT_FORMAT}'",
        f"OUTPUTFORMAT '{OUTPUT_FORMAT}'",
        f"LOCATION '{location.base}'",
        "TBLPROPERTIES (",
        props,
        ")",
    ]
    return "\n".join(lines) + "\n"


def statement_only(ddl: str) -> str:
    """The DDL without its leading `--` comment lines: what is sent to Athena."""
    return "\n".join(line for line in ddl.splitlines() if not line.startswith("--")).strip()


def create_database_sql(database: str) -> str:
    return f"CREATE DATABASE IF NOT EXISTS `{database}`"


def ddl_command_for(url_hint: str | None, table: str) -> str:
    """The `rdstrail athena ddl ... --create` line an error can suggest when the table is
    missing (`url_hint` the trail's URL if known, else the form to fill in)."""
    url = shlex.quote(url_hint) if url_hint else _URL_FORM
    return f"rdstrail athena ddl {url} --table {shlex.quote(table)} --create"
