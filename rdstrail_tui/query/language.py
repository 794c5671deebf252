"""The filter language shared by the command line and the TUI filter box.

A filter is whitespace-separated terms that must all match; `parse_filter` turns it into a
`Filter`: parsed once, then evaluated by `query.sql` (in SQLite) or `query.memory` (over the
explorer's in-memory index), which must agree term for term.

Within a term, a comma outside quotes separates alternatives (any of them matches), and an `=`
right after the colon asks for the whole value rather than a substring: `res:=a,b` is "the
resource is a or b". Quoted text is always literal: `user:"Doe, Jane"` is one substring and
`user:"=x"` looks for "=x".
"""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rdstrail_tui.model.risk import RISK_FLAGS, RISK_MASK
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.timespec import is_bare_date, parse_when

__all__ = [
    "FILTER_HELP",
    "KEYS",
    "Filter",
    "FilterError",
    "Term",
    "fold",
    "parse_filter",
    "quote_value",
    "toggled_errors",
    "with_exact_term",
    "with_term",
]

# Keys that match a substring of an Event text field, and that field.
SUBSTRING_FIELDS = {
    "user": "principal",
    "ip": "source_ip",
    "res": "resource",
    "region": "region",
    "account": "account",
    "source": "event_source",
    "agent": "user_agent",
    "error": "error_code",
    "name": "event_name",
}
KEYS: tuple[str, ...] = (*SUBSTRING_FIELDS, "id", "is", "flag", "since", "until")

IS_VALUES = ("error", "write", "read", "risky")
# Keys whose one value is a word or a time: no alternatives, no exact marker.
SINGLE_VALUE_KEYS = ("is", "since", "until")

_TOKEN = re.compile(r'(?:[^\s"]|"(?:[^"\\]|\\.)*")+', re.DOTALL)
_NON_SPACE = re.compile(r"\S")
# A value is read piece by piece: a quoted string, a run of plain text, or a comma (OR).
_PIECE = re.compile(r'"((?:[^"\\]|\\.)*)"|([^",]+)|(,)', re.DOTALL)
# Inside quotes: \" and \\, and the escapes rdstrail shows for characters a terminal would
# act on (\x1b, \u202e, \n ...), so a quick filter on a hostile value can match it exactly
# while the filter box shows only printable text.
_ESCAPE = re.compile(r'\\(["\\ntr]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})')
_NAMED_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NEEDS_QUOTES = re.compile(r'[\s":,]|^[-=]|^$')

# SQLite's lower() folds ASCII only (unless built with ICU, which Python's sqlite3 is not), so
# the value is folded the same way: non-ASCII letters then match case-sensitively, not never.
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


class FilterError(ValueError):
    """A malformed filter, locating the offending term within the filter text."""

    def __init__(self, message: str, *, position: int, length: int, term: str) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.length = max(1, length)
        self.term = term

    def pointer(self, text: str) -> str:
        """The filter text, and beneath it a `^~~~` marking the bad term."""
        # One visible column per character keeps the caret aligned and the output two lines,
        # whatever control characters the text holds.
        shown = "".join(" " if c.isspace() else c if c.isprintable() else "?" for c in text)
        return f"{shown}\n{' ' * min(self.position, len(text))}^{'~' * (self.length - 1)}"


@dataclass(frozen=True)
class Term:
    """One parsed term. `key` is canonical: bare words have key 'name'.

    `values` are the alternatives (any one matches; the comma-separated parts of the value),
    unquoted; `exact` says each must equal the whole field rather than be a substring of it.
    `value` is the one alternative when there is one, else the value as written after the
    colon (and '='), so callers that knew only single values keep working.
    """

    key: str
    value: str
    negated: bool = False
    position: int = 0
    length: int = 1
    # since/until: the inclusive epoch-second bound, fixed at parse time so that evaluating it is
    # repeatable and a relative time means "before the filter was entered".
    bound: int | None = None
    values: tuple[str, ...] = ()
    exact: bool = False
    # is:risky and flag:: the bits of the event's flags (model.risk) any of which matches.
    bits: int | None = None

    def __post_init__(self) -> None:
        if not self.values:  # a Term built by hand, with one value
            object.__setattr__(self, "values", (self.value,))


@dataclass(frozen=True)
class Filter:
    text: str
    terms: tuple[Term, ...]

    def is_empty(self) -> bool:
        return not self.terms


def parse_filter(text: str, now: datetime | None = None) -> Filter:
    """Parse a filter; relative times count back from `now` (default: the current time)."""
    when = datetime.now(timezone.utc) if now is None else now
    if when.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    terms: list[Term] = []
    for pos, raw, closed in _raw_terms(text):
        if not closed:
            raise FilterError(
                'unterminated quote: add a closing "', position=pos, length=len(raw), term=raw
            )
        terms.append(_parse_term(raw, pos, when))
    return Filter(text, tuple(terms))


def _raw_terms(text: str) -> Iterator[tuple[int, str, bool]]:
    """Each term's position and text, and whether its quotes close (an unclosed quote takes
    the rest of the text into the term, and ends it)."""
    pos = 0
    while start := _NON_SPACE.search(text, pos):
        pos = start.start()
        token = _TOKEN.match(text, pos)
        end = token.end() if token else pos
        # The token regex stops at a quote it cannot close.
        if end < len(text) and text[end] == '"':
            yield pos, text[pos:], False
            return
        yield pos, text[pos:end], True
        pos = end


@dataclass(frozen=True)
class _Alternative:
    text: str  # unquoted and unescaped
    equals_first: bool  # it starts with an unquoted '=' (the exact marker's place)


def _alternatives(value: str) -> list[_Alternative]:
    """The comma-separated parts of a value as written; quoted commas are text."""
    found: list[_Alternative] = []
    parts: list[str] = []
    equals_first = False
    for piece in _PIECE.finditer(value):
        quoted, plain, comma = piece.groups()
        if comma:
            found.append(_Alternative("".join(parts), equals_first))
            parts, equals_first = [], False
        elif quoted is not None:
            parts.append(_ESCAPE.sub(_unescape, quoted))
        else:
            equals_first = equals_first or (not parts and plain.startswith("="))
            parts.append(plain)
    found.append(_Alternative("".join(parts), equals_first))
    return found


def _parse_term(raw: str, position: int, now: datetime) -> Term:
    def fail(message: str) -> FilterError:
        return FilterError(message, position=position, length=len(raw), term=raw)

    negated = raw.startswith("-")
    body = raw[1:] if negated else raw
    if not body:
        raise fail("'-' must be followed by a term to exclude, e.g. -describe")
    colon, quote = body.find(":"), body.find('"')
    # A colon inside quotes is text, so `"a:b"` is a bare phrase, not key 'a'.
    keyed = colon >= 0 and (quote < 0 or colon < quote)
    if keyed:
        key = body[:colon].lower()
        if key not in KEYS:
            raise fail(_unknown_key(body[:colon]))
        written = body[colon + 1 :]
    else:
        key, written = "name", body
    exact = keyed and written.startswith("=")
    if exact:
        written = written[1:]
    values = _values(key, keyed, exact, written, fail)

    bound: int | None = None
    bits: int | None = None
    if key == "is" and values[0].lower() not in IS_VALUES:
        raise fail(
            f"unknown value 'is:{_show(values[0])}': use is:error, is:write, is:read or is:risky"
        )
    if key == "is" and values[0].lower() == "risky":
        bits = RISK_MASK
    if key == "flag":
        bits = _flag_bits(values, exact, fail)
    if key in ("since", "until"):
        bound = _bound(key, values[0], now, fail)
    value = values[0] if len(values) == 1 else written
    return Term(key, value, negated, position, len(raw), bound, values, exact, bits)


def _flag_bits(values: tuple[str, ...], exact: bool, fail: Callable[[str], FilterError]) -> int:
    """The bits of the risk flags a flag: term names: each value is part of a flag's name
    (flag:snapshot is both snapshot flags), or with '=' the whole name."""
    bits = 0
    for value in values:
        folded = fold(value)
        found = [f for f in RISK_FLAGS if (f.name == folded if exact else folded in f.name)]
        if not found:
            # Short: the CLI prints it after "rdstrail: bad filter: " on one line of 80.
            close = difflib.get_close_matches(folded, FLAG_NAMES, n=1, cutoff=0.5)
            hint = f"did you mean flag:{close[0]}?" if close else "e.g. flag:snapshot-public"
            raise fail(f"unknown flag '{_show(value)}': {hint}")
        for flag in found:
            bits |= flag.bit
    return bits


FLAG_NAMES: tuple[str, ...] = tuple(flag.name for flag in RISK_FLAGS)


def _values(
    key: str, keyed: bool, exact: bool, written: str, fail: Callable[[str], FilterError]
) -> tuple[str, ...]:
    """The alternatives of a term's value, or the error a user needs to fix it (short: the
    CLI prints it after "rdstrail: bad filter: " on one line of 80 columns)."""
    if exact and key in SINGLE_VALUE_KEYS:
        raise fail(f"'{key}:' takes no '=' (exact match is for field keys)")
    alternatives = _alternatives(written)
    if len(alternatives) > 1 and key in SINGLE_VALUE_KEYS:
        raise fail(f"'{key}:' takes one value (no commas)")
    if len(alternatives) == 1 and not alternatives[0].text:
        if not keyed:
            raise fail('empty phrase "": put some text between the quotes')
        if exact:
            raise fail(f"'{key}:=' needs a value after the '='")
        raise fail(f"'{key}:' needs a value after the colon")
    if any(not a.text for a in alternatives):
        raise fail('a comma needs a value on each side, or quotes: "a,b"')
    marked = next((a for a in alternatives if a.equals_first), None)
    if marked is not None:
        if not keyed:  # event names hold no '=': this can only mean an exact name
            raise fail(f"for an exact event name write name:{_show(marked.text)}")
        raise fail(f"'=' goes once, after the colon: {key}:=a,b")
    return tuple(a.text for a in alternatives)


def _bound(key: str, value: str, now: datetime, fail: Callable[[str], FilterError]) -> int:
    """The inclusive epoch-second bound of a since: or until: value."""
    try:
        moment = parse_when(value, now)
    except ValueError as exc:
        raise fail(f"{key}: {exc}") from None
    if key == "since":
        return -((_EPOCH - moment) // _SECOND)  # ceiling: event_time is whole seconds
    if is_bare_date(value):
        # "until the 15th" includes the 15th: stop just before the next midnight.
        return (moment - _EPOCH) // _SECOND + 86_399
    return (moment - _EPOCH) // _SECOND


def _unknown_key(key: str) -> str:
    keys = f"Keys: {' '.join(KEYS)}"
    typed = key.lower()
    # Prefixes first: difflib alone would offer 'source:' for 'resource:'.
    close = [k for k in KEYS if typed and (typed.startswith(k) or k.startswith(typed))]
    close = close or difflib.get_close_matches(typed, KEYS, n=1, cutoff=0.5)
    if close:
        return f"unknown key '{_show(key)}:' — did you mean '{close[0]}:'? {keys}"
    return f"unknown key '{_show(key)}:' — {keys} (to search for a colon, quote it: \"a:b\")"


def _unescape(match: re.Match[str]) -> str:
    code = match[1]
    if code[0] in "xu":
        return chr(int(code[1:], 16))
    return _NAMED_ESCAPES.get(code, code)


def fold(value: str) -> str:
    return value.translate(_ASCII_LOWER)


def _show(text: str) -> str:
    """Text for a one-line message: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quote_value(value: str) -> str:
    """The value as it must be written in a filter: double-quoted (with `\\` and `"` escaped,
    and characters a terminal would act on written as escapes) when it is empty or has
    whitespace, quotes, colons, commas (which would read as OR) or such characters, or starts
    with '-' or '=' (which would read as exclude or exact)."""
    if not _NEEDS_QUOTES.search(value) and printable(value) == value:
        return value
    return '"' + printable(value.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def with_term(text: str, term: str) -> str:
    """`text` with one more term appended. `term` is `[-]key:value` or `[-]value` with the value
    written raw (unquoted); it is quoted as needed. A prefix that is not a known key is part of
    a bare value, so `with_term("", "a:b")` gives `"a:b"`."""
    sign = "-" if term.startswith("-") else ""
    body = term[len(sign) :]
    key, colon, value = body.partition(":")
    if colon and key.lower() in KEYS:
        new = f"{sign}{key.lower()}:{quote_value(value)}"
    else:
        new = sign + quote_value(body)
    return f"{text.rstrip()} {new}" if text.strip() else new


def with_exact_term(text: str, key: str, value: str) -> str:
    """`text` with `key:=value` (quoted as needed) in place of every positive term of `key`
    (for 'name', bare words too): what a quick filter on a row's value sets. Negated terms
    and other keys stay as typed; spaces between terms are normalised. Text that does not
    parse gets the term appended."""
    key = key.lower()
    if key not in SUBSTRING_FIELDS and key != "id":
        raise ValueError(f"{key!r} is not a key that takes an exact value")
    if not value:
        raise ValueError("an exact term needs a value")
    new = f"{key}:={quote_value(value)}"
    try:
        terms = parse_filter(text).terms
    except FilterError:
        return f"{text.rstrip()} {new}" if text.strip() else new
    kept = [_written(text, t) for t in terms if t.negated or t.key != key]
    return " ".join([*kept, new])


def toggled_errors(text: str) -> str:
    """The `e` key: a filter holding a positive `is:error` loses every `is:error` and
    `-is:error` term ("no error filter"); any other filter loses its `-is:error` terms and gets
    `is:error` ("only errors"). The other terms stay exactly as typed, even ones that do not
    parse yet."""
    now = datetime.now(timezone.utc)
    kept: list[str] = []
    positive = False
    for position, raw, closed in _raw_terms(text):
        try:
            term = _parse_term(raw, position, now) if closed else None
        except FilterError:
            term = None
        if term is not None and term.key == "is" and term.value.lower() == "error":
            positive = positive or not term.negated
        else:
            kept.append(raw)
    return " ".join(kept if positive else [*kept, "is:error"])


def _written(text: str, term: Term) -> str:
    return text[term.position : term.position + term.length]


FILTER_HELP = """\
Filter terms are separated by spaces; an event must match all of them.
  modify              event name contains "modify" (any letter case)
  user:jane           caller contains "jane"; likewise ip: res: region:
                      account: source: (event source) agent: (user agent)
                      error: (error code) name: (event name)
  res:=reporting-pg   the whole value, not reporting-pg-replica (any case);
                      every key above takes '=': name:=ModifyDBInstance
  modify,delete       a comma means any of them: user:alice,bob id:A,B
  id:EVENT-ID         exactly this event ID
  is:error            failed calls; is:write, is:read for the call kind
                      (old records without readOnly: from the call's name)
  is:risky            calls with a risk flag; flag:snapshot-public for one,
                      flag:off each flag whose name holds "off"
  since:2024-01-15    at or after a time: ISO date, date-time such as
                      2024-01-15T10:30 (UTC unless +02:00 or Z is given)
                      or 30m 6h 7d 2w ago; is: since: until: take one value
  until:2024-01-31    at or before a time; a bare date includes that day
  -describe           a leading '-' excludes: -is:error, and -user:a,b
                      keeps events of neither a nor b
  user:"Jane Doe"     quotes keep spaces, commas and '=' as text:
                      user:="Doe, Jane"  res:"=x"; \\" and \\\\ inside quotes
Keys are case-insensitive; matching ignores the case of ASCII letters.
Example: modify,delete res:=reporting-pg -user:alice,bob since:2026-11-01
"""
