"""The Athena CloudTrail table, locally: a DuckDB table shaped like the table AWS documents for
CloudTrail with partition projection, filled from trail files the way Athena's CloudTrail SerDe
reads them, and queried with the Trino SQL Athena would get (transpiled by sqlglot).

    table = AthenaTable()
    table.add_tree(trail_root, "s3://bucket/prefix/")
    names, rows = table.execute(sql, table='"db"."cloudtrail"')
    scanned = table.objects_scanned(sql, table="db.cloudtrail")   # what Athena would bill

What it is faithful to, and what not:
- the columns, their order and nested types follow the AWS page "Create the table for
  CloudTrail logs in Athena using partition projection" (`SCHEMA` below is the one place
  they are written down); partition columns `account`, `region`, `timestamp` come last and
  the `"$path"` pseudo-column is selectable but not part of `SELECT *`, as in Athena;
- the SerDe's value rules (`record_row`): a JSON object or array in a STRING column is its
  compact JSON text, a string is itself, true/false are 'true'/'false', a number its JSON
  text, null or missing is NULL; struct fields match JSON keys case-insensitively;
- partition pruning (`objects_scanned`) keeps the objects whose partition values pass the
  top-level AND-ed conditions that name nothing but partition columns, which is what
  Athena can prune on; Athena bills the bytes of those objects as stored (gzip).
Not proved here: Trino's own evaluation. Statements run in DuckDB after sqlglot's
translation, so SQL outside what both engines run alike (e.g. `any_match`) is not a test of
Athena. DuckDB extensions are never loaded (httpfs would download itself).
"""

from __future__ import annotations

import gc
import gzip
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import duckdb
import orjson
import sqlglot
from sqlglot import exp

if TYPE_CHECKING:  # sqlglot 30 names its base class Expr (Expression is a subclass)
    from sqlglot.expressions import Expr as Node
else:
    Node = exp.Expression

# -- the schema ------------------------------------------------------------------------------

# A column's shape: "string" (Hive STRING), ("struct", fields), ("array", element) or
# ("map", value) with STRING keys. Written once; the DuckDB types and the row conversion are
# both derived from it.
Shape = Union[str, tuple[str, Any]]


def _struct(*fields: tuple[str, Shape]) -> Shape:
    return ("struct", fields)


def _strings(*names: str) -> list[tuple[str, Shape]]:
    return [(name, "string") for name in names]


STRING: Shape = "string"

SCHEMA: tuple[tuple[str, Shape], ...] = (
    ("eventversion", STRING),
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
                    ("ec2roledelivery", STRING),
                    (
                        "webidfederationdata",
                        _struct(("federatedprovider", STRING), ("attributes", ("map", STRING))),
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
    ("resources", ("array", _struct(*_strings("arn", "accountid", "type")))),
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
PARTITION_COLUMNS = ("account", "region", "timestamp")
PATH_COLUMN = "$path"
DATA_COLUMNS = tuple(name for name, _ in SCHEMA)
# Every column of the DuckDB table, in order: what `record_row` returns.
ALL_COLUMNS = (*DATA_COLUMNS, *PARTITION_COLUMNS, PATH_COLUMN)
# What `SELECT *` shows in Athena: the pseudo-column is not among them.
VISIBLE_COLUMNS = (*DATA_COLUMNS, *PARTITION_COLUMNS)
DUCKDB_TABLE = "cloudtrail"
OBJECTS_TABLE = "trail_objects"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(shape: Shape) -> str:
    """The DuckDB type of a column shape (STRING -> VARCHAR, STRUCT<...> -> STRUCT(...))."""
    if shape == STRING:
        return "VARCHAR"
    assert isinstance(shape, tuple)
    kind, inner = shape
    if kind == "struct":
        return "STRUCT(" + ", ".join(f"{_quote(n)} {duckdb_type(s)}" for n, s in inner) + ")"
    if kind == "array":
        return duckdb_type(inner) + "[]"
    if kind == "map":
        return f"MAP(VARCHAR, {duckdb_type(inner)})"
    raise ValueError(f"unknown shape {shape!r}")


def hive_type(shape: Shape) -> str:
    """The Hive DDL type of a column shape, as GetTableMetadata reports it."""
    if shape == STRING:
        return "string"
    assert isinstance(shape, tuple)
    kind, inner = shape
    if kind == "struct":
        return "struct<" + ",".join(f"{n}:{hive_type(s)}" for n, s in inner) + ">"
    if kind == "array":
        return f"array<{hive_type(inner)}>"
    return f"map<string,{hive_type(inner)}>"


COLUMN_TYPES: dict[str, str] = {
    **{name: duckdb_type(shape) for name, shape in SCHEMA},
    **{name: "VARCHAR" for name in (*PARTITION_COLUMNS, PATH_COLUMN)},
}

# -- the SerDe -------------------------------------------------------------------------------

Converter = Callable[[Any], Any]


def _json_text(value: Any) -> str:
    """Compact JSON text, non-ASCII kept: what the SerDe gives for an object, array or number
    in a STRING column. orjson writes the same text as json.dumps(value, separators=(",",
    ":"), ensure_ascii=False) for JSON values, several times faster; json.dumps is the
    fallback for what orjson refuses (integers past 64 bits)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def serde_string(value: Any) -> str | None:
    """A JSON value as a Hive STRING column reads it through the CloudTrail SerDe."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return _json_text(value)


def _converter(shape: Shape, *, sparse: bool = False) -> Converter:
    """A function from a JSON value to the column's Python value: structs as dicts with the
    schema's field names, anything of the wrong JSON type NULL. `sparse` leaves NULL struct
    fields out (DuckDB's JSON reader fills them in): the fast path of loading."""
    if shape == STRING:
        return serde_string
    assert isinstance(shape, tuple)
    kind, inner = shape
    if kind == "struct":
        return _struct_converter(inner, sparse=sparse)
    if kind == "array":
        element = _converter(inner, sparse=sparse)

        def array(value: Any) -> Any:
            return [element(item) for item in value] if isinstance(value, list) else None

        return array
    values = _converter(inner, sparse=sparse)

    def mapping(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        return {str(key): values(item) for key, item in value.items()}

    return mapping


def _struct_converter(fields: Iterable[tuple[str, Shape]], *, sparse: bool) -> Converter:
    converters = {name: _converter(shape, sparse=sparse) for name, shape in fields}
    empty = dict.fromkeys(converters)

    def struct(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        fields = _convert_fields(value, converters, {})
        return fields if sparse else {**empty, **fields}

    return struct


def _convert_fields(
    value: dict[str, Any], converters: dict[str, Converter], into: dict[str, Any]
) -> dict[str, Any]:
    """The fields of a JSON object matched to the schema's names ignoring case, as Hive's
    JSON SerDe matches them (a later key of the same name wins); NULLs are left out."""
    for key, item in value.items():
        name = key.lower() if isinstance(key, str) else str(key)
        convert = converters.get(name)
        if convert is None:
            continue
        converted = None if item is None else convert(item)
        if converted is None:
            into.pop(name, None)
        else:
            into[name] = converted
    return into


_CONVERTERS: dict[str, Converter] = {name: _converter(shape) for name, shape in SCHEMA}
_SPARSE_CONVERTERS: dict[str, Converter] = {
    name: _converter(shape, sparse=True) for name, shape in SCHEMA
}


def _data_values(record: dict[str, Any]) -> list[Any]:
    fields = _convert_fields(record, _CONVERTERS, {})
    return [fields.get(name) for name in DATA_COLUMNS]


def _json_line(record: dict[str, Any], partitions: dict[str, str]) -> bytes:
    """The row of `record` as one line of JSON for DuckDB's reader, NULLs left out."""
    return orjson.dumps(_convert_fields(record, _SPARSE_CONVERTERS, dict(partitions)))


def record_row(
    record: dict[str, Any], *, path: str, account: str, region: str, day: str
) -> tuple[Any, ...]:
    """The table's row for one CloudTrail record, in `ALL_COLUMNS` order: the data columns as
    the SerDe reads them, then the partition values and the object's URL ("$path")."""
    return (*_data_values(record), account, region, day, path)


# -- trail objects -----------------------------------------------------------------------------

# AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE.json[.gz] (digests and other
# folders are not the table's: its location template names CloudTrail/ only).
_TRAIL_PATH = re.compile(
    r"(?:^|/)AWSLogs/(?:o-[a-z0-9]{10,32}/)?(?P<account>\d{12})/CloudTrail/(?P<region>[a-z0-9-]+)/"
    r"(?P<day>\d{4}/\d{2}/\d{2})/[^/]+\.json(?:\.gz)?$"
)


@dataclass(frozen=True)
class TrailPath:
    account: str
    region: str
    day: str  # yyyy/MM/dd, the `timestamp` partition value


def parse_trail_path(path: str) -> TrailPath | None:
    """The partition values of a trail object's key or path, or None when it is not one."""
    match = _TRAIL_PATH.search(path)
    if match is None:
        return None
    return TrailPath(match["account"], match["region"], match["day"])


def trail_records(data: bytes) -> list[dict[str, Any]]:
    """The records of one trail object (gzip or not). Raises ValueError on anything else."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    document = orjson.loads(data)
    records = document.get("Records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        raise ValueError('not a CloudTrail log file: no "Records" list')
    return [record for record in records if isinstance(record, dict)]


# -- the SQL -----------------------------------------------------------------------------------


def trino_to_duckdb(sql: str) -> str:
    """One Trino statement in DuckDB's dialect (sqlglot's translation)."""
    return str(sqlglot.transpile(sql, read="trino", write="duckdb")[0])


def _table_key(table: exp.Table) -> tuple[str, str]:
    return (table.db.lower(), table.name.lower())


def _rewrite_for_duckdb(trino_sql: str, table: str) -> Node:
    """The statement parsed as Trino, every reference to `table` (with or without its
    catalog and database) pointed at the DuckDB table, and `SELECT *` made Athena's."""
    tree = sqlglot.parse_one(trino_sql, read="trino")
    wanted = exp.to_table(table, dialect="trino")
    wanted_db, wanted_name = _table_key(wanted)
    for node in list(tree.find_all(exp.Table)):
        db, name = _table_key(node)
        if name == wanted_name and (not db or not wanted_db or db == wanted_db):
            replacement = exp.to_table(DUCKDB_TABLE)
            alias = node.args.get("alias")
            if alias is not None:
                replacement.set("alias", alias.copy())
            node.replace(replacement)
    for select in tree.find_all(exp.Select):
        if any(isinstance(item, exp.Star) for item in select.expressions):
            items: list[Node] = []
            for item in select.expressions:
                if isinstance(item, exp.Star):
                    items.extend(exp.column(name, quoted=True) for name in VISIBLE_COLUMNS)
                else:
                    items.append(item)
            select.set("expressions", items)
    return tree


def top_level_conjuncts(where: Node | None) -> list[Node]:
    """The conditions a WHERE ANDs together at its top (parentheses around ANDs opened)."""
    if where is None:
        return []
    condition = where.this if isinstance(where, exp.Where) else where
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if not isinstance(condition, exp.And):
        return [condition]
    found: list[Node] = []
    for part in condition.flatten():
        found.extend(top_level_conjuncts(part))
    return found


def outer_where(tree: Node) -> Node | None:
    """The WHERE of a statement's outermost SELECT."""
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    return select.args.get("where") if select is not None else None


def _partition_conjuncts(where: Node | None) -> list[Node]:
    """The top-level AND-ed conditions of a WHERE that reference partition columns only:
    what partition pruning can use."""
    kept: list[Node] = []
    for part in top_level_conjuncts(where):
        names = {column.name.lower() for column in part.find_all(exp.Column)}
        if names and names <= set(PARTITION_COLUMNS) and not part.find(exp.Subquery, exp.Select):
            kept.append(part)
    return kept


def athena_column_names(tree: Node) -> list[str] | None:
    """The result's column names as Trino gives them: an alias, a column's or a field's own
    name (`useridentity.arn` is `arn`), `_colN` for any other expression. None when the
    statement is not a plain SELECT."""
    if not isinstance(tree, exp.Select):
        return None
    names = []
    for index, item in enumerate(tree.expressions):
        if isinstance(item, exp.Alias):
            names.append(item.alias)
        elif isinstance(item, (exp.Column, exp.Dot)):
            names.append(item.name)
        else:
            names.append(f"_col{index}")
    return names


@contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# -- the table ---------------------------------------------------------------------------------

# Rows wait as newline JSON until this much is buffered (or a statement runs), then DuckDB
# reads them in one read_json: far faster than inserting nested values row by row.
_FLUSH_BYTES = 64 * 1024 * 1024


class AthenaTable:
    """A DuckDB table `cloudtrail` shaped like the Athena CloudTrail table (see the module's
    text), one row per record, with the partition columns account, region, timestamp and the
    "$path" pseudo-column; and the objects it was loaded from, for partition pruning."""

    def __init__(self) -> None:
        self._db = duckdb.connect(
            ":memory:",
            config={"autoload_known_extensions": False, "autoinstall_known_extensions": False},
        )
        columns = ", ".join(f"{_quote(name)} {COLUMN_TYPES[name]}" for name in ALL_COLUMNS)
        self._db.execute(f"CREATE TABLE {DUCKDB_TABLE} ({columns})")
        self._db.execute(
            f"CREATE TABLE {OBJECTS_TABLE} (url VARCHAR, size BIGINT, account VARCHAR,"
            ' region VARCHAR, "timestamp" VARCHAR)'
        )
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._objects: list[tuple[str, int, str, str, str]] = []
        self.rows = 0

    # -- loading

    def add_object(self, url: str, data: bytes, *, account: str, region: str, day: str) -> int:
        """Add one trail object (gzip or not; {"Records": [...]}) under its partition values;
        returns the rows added. Raises ValueError when it is not a trail object."""
        partitions = {"account": account, "region": region, "timestamp": day, PATH_COLUMN: url}
        with _no_gc():  # parsing makes many small objects, none cyclic: halves the time
            records = trail_records(data)
            lines = [_json_line(record, partitions) for record in records]
        self._pending.extend(lines)
        self._pending_bytes += sum(len(line) + 1 for line in lines)
        self._objects.append((url, len(data), account, region, day))
        self.rows += len(records)
        if self._pending_bytes >= _FLUSH_BYTES:
            self._flush()
        return len(records)

    def add_tree(self, root: Path, url_prefix: str) -> int:
        """Every trail object under root/AWSLogs/... (account and organisation layouts), its
        partitions from its path and its URL url_prefix + the path relative to root; returns
        the rows added."""
        root = Path(root)
        added = 0
        for path in sorted(root.rglob("*.json*")):
            relative = path.relative_to(root).as_posix()
            where = parse_trail_path(relative)
            if where is None or not path.is_file():
                continue
            added += self.add_object(
                url_prefix + relative,
                path.read_bytes(),
                account=where.account,
                region=where.region,
                day=where.day,
            )
        return added

    def _flush(self) -> None:
        if self._objects:
            self._db.executemany(
                f"INSERT INTO {OBJECTS_TABLE} VALUES (?, ?, ?, ?, ?)", self._objects
            )
            self._objects = []
        if not self._pending:
            return
        handle, name = tempfile.mkstemp(prefix="athena-rows-", suffix=".jsonl")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(b"\n".join(self._pending))
                out.write(b"\n")
            self._pending = []
            self._pending_bytes = 0
            columns = "{" + ", ".join(f"'{n}': '{COLUMN_TYPES[n]}'" for n in ALL_COLUMNS) + "}"
            self._db.execute(
                f"INSERT INTO {DUCKDB_TABLE} SELECT * FROM read_json(?, "
                f"format='newline_delimited', columns={columns}, maximum_object_size=16777216)",
                [name],
            )
        finally:
            os.unlink(name)

    # -- queries

    def execute(self, trino_sql: str, *, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a statement as Athena would get it (Trino, FROM `table`, e.g. "db"."cloudtrail"
        or db.cloudtrail): column names and rows as Python values."""
        names, rows, _ = self.execute_typed(trino_sql, table=table)
        return names, rows

    def execute_typed(
        self, trino_sql: str, *, table: str
    ) -> tuple[list[str], list[tuple[Any, ...]], list[str]]:
        """`execute`, with each column's DuckDB type name (VARCHAR, STRUCT(...), ...)."""
        self._flush()
        tree = _rewrite_for_duckdb(trino_sql, table)
        cursor = self._db.execute(tree.sql(dialect="duckdb"))
        description = cursor.description or []
        names = [str(column[0]) for column in description]
        athena_names = athena_column_names(tree)
        if athena_names is not None and len(athena_names) == len(names):
            names = athena_names
        types = [str(column[1]) for column in description]
        return names, [tuple(row) for row in cursor.fetchall()], types

    def objects_scanned(self, trino_sql: str, *, table: str) -> list[tuple[str, int]]:
        """The objects (URL, size in bytes) of the partitions the statement's WHERE keeps:
        what Athena reads and bills."""
        self._flush()
        conditions = _partition_conjuncts(outer_where(_rewrite_for_duckdb(trino_sql, table)))
        query = exp.select("url", "size").from_(OBJECTS_TABLE).order_by("url")
        if conditions:
            query = query.where(exp.and_(*(c.copy() for c in conditions)))
        rows = self._db.execute(query.sql(dialect="duckdb")).fetchall()
        return [(str(url), int(size)) for url, size in rows]

    def objects(self) -> list[tuple[str, int]]:
        """Every object loaded (URL, size)."""
        self._flush()
        rows = self._db.execute(f"SELECT url, size FROM {OBJECTS_TABLE} ORDER BY url").fetchall()
        return [(str(url), int(size)) for url, size in rows]

    def close(self) -> None:
        self._db.close()


def load_records(
    records: Iterable[dict[str, Any]],
    *,
    url: str = "s3://bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/01/a.json",
    account: str = "111122223333",
    region: str = "us-east-1",
    day: str = "2024/01/01",
) -> AthenaTable:
    """A table holding `records` as one object (for tests)."""
    table = AthenaTable()
    table.add_object(
        url, orjson.dumps({"Records": list(records)}), account=account, region=region, day=day
    )
    return table
