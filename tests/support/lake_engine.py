"""A CloudTrail Lake event data store, locally: a DuckDB table shaped like the SQL schema AWS
documents for CloudTrail events in Lake, filled from trail records, and queried with the
Trino SQL Lake would get (`FROM <event data store ID>`), transpiled by sqlglot.

    table = LakeTable()
    table.add_tree(trail_root)                      # or add_records([raw, ...])
    names, rows = table.execute(sql, store_id=STORE)
    scanned = table.bytes_scanned(sql, store_id=STORE)

What it follows (the AWS page "Supported SQL schemas for event data stores", CloudTrail
event record fields; `SCHEMA` below is the one place it is written down):
- `eventtime` TIMESTAMP (UTC, no zone), `readonly` and `managementevent` BOOLEAN (a JSON
  boolean, or a "true"/"false" string; NULL otherwise);
- `requestparameters`, `responseelements`, `additionaleventdata`, `serviceeventdetails`,
  `addendum`, `edgedevicedetails`, `insightdetails` MAP(VARCHAR, VARCHAR) of the object's
  top-level keys, as written (case kept): a string value as is, a JSON null as NULL, anything
  else its compact JSON text; NULL when the field is missing or not an object;
- `useridentity`, `tlsdetails` STRUCTs and `resources` ARRAY(STRUCT(accountid, type, arn,
  arnprefix)), fields matched to JSON keys case-insensitively (ARN -> arn); a leaf that is
  not a string is its JSON text, `sessioncontext.attributes.creationdate` a TIMESTAMP;
- `eventjson` the record's exact bytes as delivered (decoded as UTF-8), split out of a trail
  object by the product's own reader (`rdstrail_tui.ingest.formats`), so it is byte-identical
  to the raw record `rdstrail load` caches.
Where it departs: `eventjsonchecksum` is always NULL (its algorithm is not documented);
AWS's page spells `inscopeof.credentiaisissuedto`, here `credentialsissuedto`, the record's
key. Statements run in DuckDB after sqlglot's translation, so this proves nothing about
SQL the two engines run differently: Trino's `map[key]` fails on a missing key where DuckDB
gives NULL (use `element_at`), `CAST(eventtime AS varchar)` has no `.000` here, and sqlglot
does not translate `any_match`. One store per statement (no joins between stores).

`bytes_scanned` is the UTF-8 size of the records whose eventtime passes the statement's
top-level AND-ed conditions on `eventtime` alone (Lake prunes by event time; everything
else is read), or of every record when there are none.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Union

import duckdb
import sqlglot
from sqlglot import exp

from rdstrail_tui.ingest.formats import InputError, Kind, decode_file

# -- the schema ------------------------------------------------------------------------------

# A column's shape: a scalar name ("string", "timestamp", "boolean", "map" of VARCHAR to
# VARCHAR), ("struct", fields) or ("array", element). The DuckDB types and the conversion of
# a record to a row are both derived from it.
Shape = Union[str, tuple[str, Any]]


def _struct(*fields: tuple[str, Shape]) -> Shape:
    return ("struct", fields)


def _strings(*names: str) -> list[tuple[str, Shape]]:
    return [(name, "string") for name in names]


_USER_IDENTITY = _struct(
    *_strings("type", "principalid", "arn", "accountid", "accesskeyid", "username"),
    (
        "sessioncontext",
        _struct(
            (
                "attributes",
                _struct(("creationdate", "timestamp"), ("mfaauthenticated", "string")),
            ),
            (
                "sessionissuer",
                _struct(*_strings("type", "principalid", "arn", "accountid", "username")),
            ),
            (
                "webidfederationdata",
                _struct(("federatedprovider", "string"), ("attributes", "map")),
            ),
            *_strings("sourceidentity", "ec2roledelivery", "ec2issuedinvpc"),
        ),
    ),
    ("onbehalfof", _struct(*_strings("userid", "identitystorearn"))),
    (
        "inscopeof",
        _struct(*_strings("sourcearn", "sourceaccount", "issuertype", "credentialsissuedto")),
    ),
    *_strings("invokedby", "identityprovider"),
)

SCHEMA: list[tuple[str, Shape]] = [
    ("eventversion", "string"),
    ("useridentity", _USER_IDENTITY),
    ("eventtime", "timestamp"),
    *_strings("eventsource", "eventname", "awsregion", "sourceipaddress", "useragent", "errorcode"),
    ("errormessage", "string"),
    ("requestparameters", "map"),
    ("responseelements", "map"),
    ("additionaleventdata", "map"),
    ("requestid", "string"),
    ("eventid", "string"),
    ("readonly", "boolean"),
    ("resources", ("array", _struct(*_strings("accountid", "type", "arn", "arnprefix")))),
    ("eventtype", "string"),
    ("apiversion", "string"),
    ("managementevent", "boolean"),
    *_strings("recipientaccountid", "sharedeventid", "annotation"),
    ("vpcendpointid", "string"),
    ("vpcendpointaccountid", "string"),
    ("serviceeventdetails", "map"),
    ("addendum", "map"),
    ("edgedevicedetails", "map"),
    ("insightdetails", "map"),
    ("eventcategory", "string"),
    ("tlsdetails", _struct(*_strings("tlsversion", "ciphersuite", "clientprovidedhostheader"))),
    ("sessioncredentialfromconsole", "string"),
    ("eventjson", "string"),
    ("eventjsonchecksum", "string"),
]
COLUMNS = [name for name, _ in SCHEMA]

# Filled from elsewhere than the record's own fields.
_DERIVED = {"eventjson", "eventjsonchecksum"}
# The base table holds each record's size beside the columns; statements see the view,
# which has the documented columns only.
_BASE = "lake_records"
VIEW = "lake_events"
_SIZE = "record_bytes"

_SCALARS = {"string": "VARCHAR", "timestamp": "TIMESTAMP", "boolean": "BOOLEAN"}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def duckdb_type(shape: Shape) -> str:
    if isinstance(shape, str):
        return "MAP(VARCHAR, VARCHAR)" if shape == "map" else _SCALARS[shape]
    kind, inner = shape
    if kind == "array":
        return f"{duckdb_type(inner)}[]"
    return "STRUCT(" + ", ".join(f"{_quote(n)} {duckdb_type(s)}" for n, s in inner) + ")"


# -- from a record to a row ------------------------------------------------------------------


def json_text(value: Any) -> str | None:
    """A JSON value as a string column holds it: a string as is, null as NULL, anything else
    its compact JSON text (true/false, numbers, objects, arrays)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def lake_timestamp(value: Any) -> str | None:
    """An ISO 8601 time (`2026-11-20T10:00:00Z`, fractions allowed) as a UTC TIMESTAMP literal
    for DuckDB; NULL for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(sep=" ")


def lake_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


Converter = Callable[[Any], Any]


def _mapping(value: Any) -> Any:
    if not isinstance(value, dict):
        return None
    return {str(key): json_text(item) for key, item in value.items()}


def _by_lower_key(value: dict[str, Any]) -> dict[str, Any]:
    """The object's keys folded to lower case; the first spelling wins."""
    folded: dict[str, Any] = {}
    for key, item in value.items():
        folded.setdefault(key.lower(), item)
    return folded


def _struct_converter(fields: tuple[tuple[str, Shape], ...]) -> Converter:
    converters = [(name, converter(shape)) for name, shape in fields]

    def struct(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        folded = _by_lower_key(value)
        return {name: convert(folded.get(name)) for name, convert in converters}

    return struct


def _array_converter(element: Shape) -> Converter:
    convert = converter(element)

    def array(value: Any) -> Any:
        return [convert(item) for item in value] if isinstance(value, list) else None

    return array


def converter(shape: Shape) -> Converter:
    """The function that turns a record's JSON value into the column's value."""
    if shape == "string":
        return json_text
    if shape == "timestamp":
        return lake_timestamp
    if shape == "boolean":
        return lake_boolean
    if isinstance(shape, str):
        return _mapping
    kind, inner = shape
    return _struct_converter(inner) if kind == "struct" else _array_converter(inner)


_ROW_CONVERTERS = [(name, converter(shape)) for name, shape in SCHEMA if name not in _DERIVED]


def record_row(raw: bytes) -> dict[str, Any] | None:
    """The row of one record (its exact bytes), keyed by column; None when the bytes are not
    a UTF-8 JSON object (Lake would not have ingested them)."""
    try:
        text = raw.decode("utf-8")
        record = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    folded = _by_lower_key(record)
    row = {name: convert(folded.get(name)) for name, convert in _ROW_CONVERTERS}
    row["eventjson"] = text
    row["eventjsonchecksum"] = None
    row[_SIZE] = len(raw)
    return row


def tree_records(root: Path) -> Iterable[bytes]:
    """The raw bytes of every record in the *.json / *.json.gz trail files under `root`, in
    path order, split by the product's reader; digests and unreadable files are skipped."""
    paths = sorted(
        path
        for path in root.rglob("*")
        if path.is_file() and path.name.endswith((".json", ".json.gz"))
    )
    for path in paths:
        try:
            document = decode_file(path)
            if document.kind is Kind.DIGEST:
                continue
            for _, raw in document.records:
                if raw is not None:
                    yield raw
        except InputError:
            continue


# -- the statement, from Lake's Trino to DuckDB -----------------------------------------------

_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_CTE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+AS\s*\(", re.IGNORECASE)


class LakeQueryError(Exception):
    """A statement that cannot run here: its message is what the query's FAILED status says."""


def _skip_quoted(sql: str, start: int, quote: str) -> int:
    """The index just past the quoted text opening at `start` (a doubled quote escapes)."""
    index = start + 1
    while index < len(sql):
        if sql[index] == quote:
            if sql.startswith(quote * 2, index):
                index += 2
                continue
            return index + 1
        index += 1
    return len(sql)


def _skip_comment(sql: str, index: int) -> int | None:
    if sql.startswith("--", index):
        end = sql.find("\n", index)
        return len(sql) if end < 0 else end + 1
    if sql.startswith("/*", index):
        end = sql.find("*/", index + 2)
        return len(sql) if end < 0 else end + 2
    return None


def _table_references(sql: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each name right after FROM or JOIN, outside strings and
    comments: an unquoted run of letters, digits, '_' and '-' (an event data store ID, as
    Lake's examples write it) or a double-quoted identifier not followed by '.'."""
    found: list[tuple[int, int, str]] = []
    index, after_keyword = 0, False
    while index < len(sql):
        char = sql[index]
        skipped = _skip_comment(sql, index)
        if skipped is not None:
            index = skipped
        elif char.isspace():
            index += 1
        elif char in "'\"":
            end = _skip_quoted(sql, index, char)
            if char == '"' and after_keyword and not sql.startswith(".", end):
                found.append((index, end, sql[index + 1 : end - 1].replace('""', '"')))
            index, after_keyword = end, False
        elif match := _WORD.match(sql, index):
            # A qualified name (db.table) or a table function (UNNEST(...)) is no store ID.
            follows = sql[match.end() :].lstrip()[:1]
            if after_keyword and follows not in (".", "("):
                found.append((index, match.end(), match.group()))
                after_keyword = False
            else:
                after_keyword = match.group().upper() in ("FROM", "JOIN")
            index = match.end()
        else:
            index, after_keyword = index + 1, False
    return found


def store_references(trino_sql: str) -> list[str]:
    """The names a statement reads FROM (or JOINs), less the names its WITH clause defines:
    the event data store IDs it asks for."""
    defined = {name.lower() for name in _CTE.findall(trino_sql)}
    return [name for _, _, name in _table_references(trino_sql) if name.lower() not in defined]


def substitute_stores(trino_sql: str, names: dict[str, str]) -> str:
    """The statement with each FROM/JOIN reference to a key of `names` (a store ID) replaced
    by the quoted identifier of its value."""
    pieces, last = [], 0
    for start, end, name in _table_references(trino_sql):
        if name in names:
            pieces += [trino_sql[last:start], _quote(names[name])]
            last = end
    return "".join([*pieces, trino_sql[last:]])


def _duckdb_tree(trino_sql: str, store_id: str) -> exp.Expr:
    if store_id not in store_references(trino_sql):
        raise LakeQueryError(f"the statement reads no event data store {store_id!r}")
    sql = substitute_stores(trino_sql, {store_id: VIEW})
    try:
        tree = sqlglot.parse_one(sql, read="trino")
    except sqlglot.errors.SqlglotError as error:
        raise LakeQueryError(f"cannot translate the statement: {error}") from None
    # Trino's cardinality() takes arrays and maps; sqlglot writes array_length(), which
    # DuckDB refuses for a map, while DuckDB's own cardinality() takes both.
    for node in list(tree.find_all(exp.ArraySize)):
        node.replace(exp.Anonymous(this="CARDINALITY", expressions=[node.this]))
    _name_as_trino(tree)
    return tree


def _name_as_trino(tree: exp.Expr) -> None:
    """Trino names an unaliased expression of the outer SELECT `_col<position>`, where
    DuckDB would use its text; a column keeps its (last) name in both."""
    if not isinstance(tree, exp.Select):
        return
    named = []
    for position, expression in enumerate(tree.expressions):
        if not isinstance(expression, (exp.Alias, exp.Column, exp.Star)):
            expression = exp.alias_(expression, f"_col{position}", quoted=True)
        named.append(expression)
    tree.set("expressions", named)


def trino_to_duckdb(trino_sql: str, *, store_id: str) -> str:
    """The DuckDB SQL a Lake statement runs as here, reading the local view."""
    return _duckdb_tree(trino_sql, store_id).sql(dialect="duckdb")


def _conjuncts(where: exp.Expr | None) -> list[exp.Expr]:
    if where is None:
        return []
    node = where.this if isinstance(where, exp.Where) else where
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _time_conditions(tree: exp.Expr) -> list[exp.Expr]:
    """The top-level AND-ed conditions of the outer SELECT that name no column but
    eventtime (qualifiers dropped, so they run on the base table)."""
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is None:
        return []
    kept = []
    for condition in _conjuncts(select.args.get("where")):
        columns = list(condition.find_all(exp.Column))
        if columns and all(column.name.lower() == "eventtime" for column in columns):
            copy = condition.copy()
            for column in copy.find_all(exp.Column):
                column.set("table", None)
            kept.append(copy)
    return kept


# -- the table -------------------------------------------------------------------------------


class LakeTable:
    """One event data store's events in an in-memory DuckDB database; thread-safe."""

    def __init__(self) -> None:
        self._connection = duckdb.connect(":memory:")
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] = []
        self._types = {name: duckdb_type(shape) for name, shape in SCHEMA}
        self._types[_SIZE] = "BIGINT"
        columns = ", ".join(f"{_quote(n)} {t}" for n, t in self._types.items())
        self._connection.execute(f"CREATE TABLE {_BASE} ({columns})")
        self._connection.execute(
            f"CREATE VIEW {VIEW} AS SELECT {', '.join(map(_quote, COLUMNS))} FROM {_BASE}"
        )

    # -- filling

    def add_records(self, raw_records: Iterable[bytes]) -> int:
        """Add records, each the exact bytes of one record; returns how many were added
        (bytes that are not a JSON object are skipped)."""
        rows = [row for row in map(record_row, raw_records) if row is not None]
        with self._lock:
            self._insert(rows)
        return len(rows)

    def add_tree(self, root: Path) -> int:
        """Add every record of the trail files under `root` (see `tree_records`)."""
        return self.add_records(tree_records(root))

    def _insert(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        # DuckDB's JSON reader builds the nested values (maps, structs, lists) in C, far
        # faster than binding them one by one; no extension is needed for it.
        with tempfile.TemporaryDirectory(prefix="rdstrail-lake-") as directory:
            path = os.path.join(directory, "rows.ndjson")
            with open(path, "w", encoding="utf-8") as handle:
                for row in rows:
                    handle.write(json.dumps(row, ensure_ascii=True))
                    handle.write("\n")
            columns = "{" + ", ".join(f"'{n}': '{t}'" for n, t in self._types.items()) + "}"
            self._connection.execute(
                f"INSERT INTO {_BASE} SELECT {', '.join(map(_quote, self._types))} FROM "
                f"read_json(?, format='newline_delimited', columns={columns}, "
                "maximum_object_size=268435456)",
                [path],
            )

    # -- reading

    def __len__(self) -> int:
        with self._lock:
            row = self._connection.execute(f"SELECT count(*) FROM {_BASE}").fetchone()
        return int(row[0]) if row else 0

    def execute(self, trino_sql: str, *, store_id: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a statement as Lake gets it (Trino, `FROM <store_id>`); (column names, rows).
        LakeQueryError says why one cannot run."""
        sql = trino_to_duckdb(trino_sql, store_id=store_id)
        with self._lock:
            try:
                result = self._connection.execute(sql)
                names = [column[0] for column in result.description or []]
                return names, result.fetchall()
            except duckdb.Error as error:
                raise LakeQueryError(str(error).splitlines()[0]) from None

    def scan(self, trino_sql: str, *, store_id: str) -> tuple[int, int]:
        """(events, bytes) the statement scans: see the module's note on `bytes_scanned`."""
        conditions = _time_conditions(_duckdb_tree(trino_sql, store_id))
        where = ""
        if conditions:
            where = " WHERE " + " AND ".join(f"({c.sql(dialect='duckdb')})" for c in conditions)
        with self._lock:
            try:
                row = self._connection.execute(
                    f"SELECT count(*), coalesce(sum({_SIZE}), 0) FROM {_BASE}{where}"
                ).fetchone()
            except duckdb.Error as error:
                raise LakeQueryError(str(error).splitlines()[0]) from None
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def bytes_scanned(self, trino_sql: str, *, store_id: str) -> int:
        return self.scan(trino_sql, store_id=store_id)[1]

    def close(self) -> None:
        with self._lock:
            self._connection.close()
