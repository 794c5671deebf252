"""The filter language as Trino SQL: what Athena (over the trail in S3) and CloudTrail Lake run,
so that only the matching events come back to the cache.

A third evaluator beside `query.sql` and `query.memory`, with the same meaning term for term,
except where SQL over the raw columns cannot say exactly what the cache derives in Python.
There it asks for a superset, and the sync makes the final cut with the cache's own SQL
evaluator over the records that come back (`Pushdown.exact` is False then):

- `user:` (the principal is built from several userIdentity fields and literals): a positive
  term matches when any of those fields, or the literal forms rdstrail builds, contains the
  value; the types whose principal needs a field the table lacks (SAML and web identity
  users) always match.
- `res:` (every resource an event touches): a positive term matches when the request, the
  response or the resources' ARNs contain the value (for an ARN, its identifier).
- `is:risky` and `flag:`: a positive term matches the operations that can carry the flags.
- A value SQL cannot find in JSON text as written (quotes, backslashes, control or non-ASCII
  characters, which a serialiser may escape) is not pushed down at all.

A negated approximate term is not pushed down (the negation of a superset would be a subset
and drop rows); the local cut applies it. Every other term is exact.

Case: the local evaluators fold ASCII letters only (SQLite's lower()); Trino's lower()
folds all of Unicode. So the SQL folds with translate() over the 26 ASCII letters and the
two agree exactly. Every expression is two-valued (coalesce(..., false)), so a negation is
the exact complement and never drops a row whose field is missing. Values are written as
string literals with quotes doubled and any character that is not printable as chr(N): no
filter text can change the statement's structure.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from rdstrail_tui.model.access import READ_ONLY_EXCEPTIONS, READ_PREFIXES
from rdstrail_tui.model.resources import arn_identity
from rdstrail_tui.model.risk import RISK_FLAGS
from rdstrail_tui.query.language import Filter, Term, fold

__all__ = [
    "ATHENA",
    "LAKE",
    "Dialect",
    "Pushdown",
    "Window",
    "athena_select",
    "compile_filter",
    "identifier",
    "lake_select",
    "literal",
]

_UPPER = string.ascii_uppercase
_LOWER = string.ascii_lowercase
# Characters a value may hold and still be found in JSON text as written: a serialiser may
# escape anything else (quotes, backslashes, control characters, non-ASCII, '<' '>' '&').
_JSON_SAFE = re.compile(r"[A-Za-z0-9 ._:/@+=,#*()\[\]{}!?$%^|~'`;-]*")


@dataclass(frozen=True)
class Dialect:
    """Where the SQL runs: the column expressions that differ between Athena's CloudTrail
    table (every field a string, JSON bodies as text) and a Lake event data store
    (eventtime a timestamp, readonly a boolean, the original record in eventjson)."""

    name: str
    # The texts a res: value is looked for in (lowered with translate by the compiler).
    resource_texts: tuple[str, ...]
    # readonly true / false, as SQL conditions (NULL when the record does not say).
    read_only_true: str
    read_only_false: str

    def time_at_least(self, epoch: int) -> str:
        return self._time(">=", epoch)

    def time_at_most(self, epoch: int) -> str:
        if self.name == "lake":
            # The cache keeps whole seconds: 12:00:00.750 is at most 12:00:00 there.
            return self._time("<", epoch + 1)
        return self._time("<=", epoch)

    def _time(self, operator: str, epoch: int) -> str:
        moment = datetime.fromtimestamp(epoch, timezone.utc)
        if self.name == "lake":
            return f"eventtime {operator} timestamp '{moment:%Y-%m-%d %H:%M:%S}'"
        # CloudTrail writes 2026-11-30T10:00:00Z; the first 19 characters compare as
        # times (fractions and the zone are cut, as the cache keeps whole UTC seconds).
        return (
            f"replace(substr(eventtime, 1, 19), ' ', 'T') {operator} '{moment:%Y-%m-%dT%H:%M:%S}'"
        )


ATHENA = Dialect(
    name="athena",
    resource_texts=(
        "requestparameters",
        "responseelements",
        "array_join(transform(resources, r -> r.arn), chr(10))",
    ),
    read_only_true=f"translate(trim(readonly), '{_UPPER}', '{_LOWER}') = 'true'",
    read_only_false=f"translate(trim(readonly), '{_UPPER}', '{_LOWER}') = 'false'",
)
LAKE = Dialect(
    name="lake",
    resource_texts=("eventjson",),
    read_only_true="readonly = true",
    read_only_false="readonly = false",
)


@dataclass(frozen=True)
class Pushdown:
    """A filter as one SQL condition. `exact` when the SQL matches exactly what the local
    evaluators match; otherwise it matches a superset and `approximate` lists the terms (as
    written) that the local cut must decide."""

    sql: str
    exact: bool
    approximate: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """What bounds every statement: the partitions (accounts, regions, the days of the
    `timestamp` partition) and the events' own times, inclusive epoch seconds."""

    since: int
    until: int
    first_day: date
    last_day: date
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    sources: frozenset[str] | None = frozenset({"rds.amazonaws.com"})


# -- literals --------------------------------------------------------------------------------


def literal(text: str) -> str:
    """`text` as a Trino string literal: quotes doubled, and each character that is not
    printable ASCII written as chr(N), so the statement stays one printable line."""
    parts: list[str] = []
    run: list[str] = []
    for char in text:
        if " " <= char <= "~":
            run.append("''" if char == "'" else char)
            continue
        if run:
            parts.append("'" + "".join(run) + "'")
            run = []
        parts.append(f"chr({ord(char)})")
    if run or not parts:
        parts.append("'" + "".join(run) + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def identifier(name: str) -> str:
    """A table or database name, double-quoted; only letters, digits, '_' and '-' (Lake's
    event data store IDs) are accepted."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
        raise ValueError(f"{name!r} is not a table name (letters, digits, '_' and '-' only)")
    return f'"{name}"'


def _in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(literal(value) for value in values)})"


def _lower_ascii(expression: str) -> str:
    return f"translate({expression}, '{_UPPER}', '{_LOWER}')"


def _two_valued(condition: str) -> str:
    return f"coalesce({condition}, false)"


# -- terms -----------------------------------------------------------------------------------

# The columns of the fields whose text SQL holds as the cache does.
_COLUMNS = {
    "name": "eventname",
    "ip": "sourceipaddress",
    "region": "awsregion",
    "source": "eventsource",
    "agent": "useragent",
    "error": "errorcode",
    # The cache's account: the recipient's, else the caller's.
    "account": "coalesce(nullif(recipientaccountid, ''), useridentity.accountid)",
}
_IDENTITY = "useridentity"
# The userIdentity fields rdstrail's principal is built from, and the literal forms it adds
# (model.event.principal_of): one of them contains any text the principal contains, unless
# the text spans two of them, which the forms joined here cover.
_PRINCIPAL_PIECES = (
    f"{_IDENTITY}.arn",
    f"{_IDENTITY}.username",
    f"{_IDENTITY}.invokedby",
    f"{_IDENTITY}.principalid",
    f"{_IDENTITY}.accountid",
    f"{_IDENTITY}.type",
    f"{_IDENTITY}.sessioncontext.sessionissuer.username",
    f"{_IDENTITY}.sessioncontext.sessionissuer.username || '/' || "
    f"split_part({_IDENTITY}.principalid, ':', 2)",
    f"'identity-center/' || {_IDENTITY}.onbehalfof.userid",
    f"'identity-center/' || {_IDENTITY}.username",
    f"'identity-center/' || {_IDENTITY}.principalid",
    f"'account/' || {_IDENTITY}.accountid",
    f"'account/' || {_IDENTITY}.principalid",
    "'root'",
    "'AWS service'",
)
# Types whose principal needs userIdentity.identityProvider, which Athena's table lacks.
_PROVIDER_TYPES = ("SAMLUser", "WebIdentityUser")


def compile_filter(flt: Filter, dialect: Dialect = ATHENA) -> Pushdown:
    """The SQL condition for `flt` in `dialect`; TRUE for an empty filter."""
    parts: list[str] = []
    approximate: list[str] = []
    for term in flt.terms:
        sql, exact = _term(term, dialect)
        if not exact:
            approximate.append(flt.text[term.position : term.position + term.length])
        if sql is not None:
            parts.append(sql)
    sql = " AND ".join(parts) if parts else "true"
    return Pushdown(sql, not approximate, tuple(approximate))


def _term(term: Term, dialect: Dialect) -> tuple[str | None, bool]:
    """The term's SQL (None: not pushed down) and whether it is exact."""
    positive, exact = _positive(term, dialect)
    if not term.negated:
        return positive, exact
    if positive is None or not exact:
        return None, False
    return f"NOT ({positive})", True


def _positive(term: Term, dialect: Dialect) -> tuple[str | None, bool]:
    key = term.key
    column = _COLUMNS.get(key)
    if column is not None:
        return _text_term(column, term), True
    if key == "user":
        return _principal_term(term), False
    if key == "res":
        return _resource_term(term, dialect), False
    if key == "id":
        return _two_valued(_in_list("eventid", term.values)), True
    if term.bits is not None:  # is:risky, flag:
        operations = sorted({op for f in RISK_FLAGS if f.bit & term.bits for op in f.operations})
        return _two_valued(_in_list("eventname", operations)), False
    if key == "is":
        value = term.value.lower()
        if value == "error":
            return "(coalesce(errorcode, '') <> '')", True
        return _two_valued(f"{_access(dialect)} = '{value}'"), True
    if key in ("since", "until"):
        assert term.bound is not None, "time terms carry their bound"
        bound = dialect.time_at_least if key == "since" else dialect.time_at_most
        return _two_valued(bound(term.bound)), True
    raise AssertionError(f"unhandled key {term.key!r}")


def _text_term(column: str, term: Term) -> str:
    folded = [fold(value) for value in term.values]
    text = _lower_ascii(column)
    if term.exact:
        tests = [f"{text} = {literal(value)}" for value in folded]
    else:
        tests = [f"strpos({text}, {literal(value)}) > 0" for value in folded]
    return _two_valued(_any(tests))


def _any(tests: Sequence[str]) -> str:
    return tests[0] if len(tests) == 1 else "(" + " OR ".join(tests) + ")"


def _principal_term(term: Term) -> str | None:
    """A superset of user:: one of the principal's pieces contains the value."""
    folded = [fold(value) for value in term.values]
    if any("\n" in value for value in folded):
        return None
    pieces = " || chr(10) || ".join(f"coalesce({piece}, '')" for piece in _PRINCIPAL_PIECES)
    haystack = _lower_ascii(pieces)
    tests = [f"strpos({haystack}, {literal(value)}) > 0" for value in folded]
    tests.append(_in_list(f"{_IDENTITY}.type", _PROVIDER_TYPES))
    return _two_valued(_any(tests))


def _resource_term(term: Term, dialect: Dialect) -> str | None:
    """A superset of res:: the request, response or resources' ARNs contain the value (an
    ARN's identifier), as the cache's identities and primary resource all come from them."""
    needles: list[str] = []
    for value in (fold(v) for v in term.values):
        named = arn_identity(value)
        needle = named[3] if named is not None else value
        if not _JSON_SAFE.fullmatch(needle):
            return None
        needles.append(needle)
    texts = " || chr(10) || ".join(f"coalesce({text}, '')" for text in dialect.resource_texts)
    haystack = _lower_ascii(texts)
    return _two_valued(_any([f"strpos({haystack}, {literal(n)}) > 0" for n in needles]))


def _access(dialect: Dialect) -> str:
    """'read', 'write' or NULL: the record's readOnly, else the operation's name (the rule of
    model.access), else nothing."""
    whens = [
        f"WHEN {dialect.read_only_true} THEN 'read'",
        f"WHEN {dialect.read_only_false} THEN 'write'",
    ]
    for name, read in sorted(READ_ONLY_EXCEPTIONS.items()):
        whens.append(f"WHEN eventname = {literal(name)} THEN '{'read' if read else 'write'}'")
    prefixes = " OR ".join(f"eventname LIKE {literal(prefix + '%')}" for prefix in READ_PREFIXES)
    whens.append(f"WHEN {prefixes} THEN 'read'")
    whens.append("WHEN coalesce(eventname, '') <> '' THEN 'write'")
    return f"(CASE {' '.join(whens)} END)"


# -- statements ------------------------------------------------------------------------------


def _bounds(window: Window, dialect: Dialect) -> list[str]:
    parts = [dialect.time_at_least(window.since), dialect.time_at_most(window.until)]
    if window.sources is not None:
        parts.append(_in_list("eventsource", sorted(window.sources)))
    return parts


def athena_select(database: str, table: str, window: Window, pushdown: Pushdown) -> str:
    """The statement that finds the matching events: the object each is in ("$path") and its
    ID, bounded on the partitions (a day later at the end: a file is delivered minutes after
    its events) and on the events' own times."""
    parts: list[str] = []
    if window.accounts:
        parts.append(_in_list('"account"', window.accounts))
    if window.regions:
        parts.append(_in_list('"region"', window.regions))
    parts.append(
        f"\"timestamp\" BETWEEN '{window.first_day:%Y/%m/%d}' AND '{window.last_day:%Y/%m/%d}'"
    )
    parts.extend(_bounds(window, ATHENA))
    parts.append(f"({pushdown.sql})")
    where = "\n  AND ".join(parts)
    return (
        f'SELECT "$path" AS path, eventid\nFROM {identifier(database)}.{identifier(table)}\n'
        f"WHERE {where}"
    )


def lake_select(store: str, window: Window, pushdown: Pushdown) -> str:
    """The statement that returns the matching events' original records (eventjson)."""
    parts = _bounds(window, LAKE)
    if window.accounts:
        parts.append(_in_list("recipientaccountid", window.accounts))
    if window.regions:
        parts.append(_in_list("awsregion", window.regions))
    parts.append(f"({pushdown.sql})")
    where = "\n  AND ".join(parts)
    return f"SELECT eventjson\nFROM {identifier(store)}\nWHERE {where}"
