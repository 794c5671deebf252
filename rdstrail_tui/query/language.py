"""The filter language shared by the command line and the TUI filter box.

A filter is whitespace-separated terms that must all match; `parse_filter` turns it into a
`Filter`: parsed once, then evaluated by `query.sql` (in SQLite) or `query.memory` (over the
explorer's in-memory index), which must agree term for term.
"""

from __future__ import annotations

import difflib
import re
import string
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.timespec import is_bare_date, parse_when

__all__ = [
    "FILTER_HELP",
    "KEYS",
    "Filter",
    "FilterError",
    "Term",
    "parse_filter",
    "quote_value",
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
KEYS: tuple[str, ...] = (*SUBSTRING_FIELDS, "id", "is", "since", "until")

IS_VALUES = ("error", "write", "read")

_TOKEN = re.compile(r'(?:[^\s"]|"(?:[^"\\]|\\.)*")+', re.DOTALL)
_NON_SPACE = re.compile(r"\S")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
# Inside quotes: \" and \\, and the escapes rdstrail shows for characters a terminal would
# act on (\x1b, \u202e, \n ...), so a quick filter on a hostile value can match it exactly
# while the filter box shows only printable text.
_ESCAPE = re.compile(r'\\(["\\ntr]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})')
_NAMED_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}
_NEEDS_QUOTES = re.compile(r'[\s":]|^-|^$')

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
    """One parsed term. `key` is canonical: bare words have key 'name'."""

    key: str
    value: str
    negated: bool = False
    position: int = 0
    length: int = 1
    # since/until: the inclusive epoch-second bound, fixed at parse time so that evaluating it is
    # repeatable and a relative time means "before the filter was entered".
    bound: int | None = None


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
    pos = 0
    while start := _NON_SPACE.search(text, pos):
        pos = start.start()
        token = _TOKEN.match(text, pos)
        end = token.end() if token else pos
        # The token regex stops at a quote it cannot close.
        if end < len(text) and text[end] == '"':
            raise FilterError(
                'unterminated quote: add a closing "',
                position=pos,
                length=len(text) - pos,
                term=text[pos:],
            )
        terms.append(_parse_term(text[pos:end], pos, when))
        pos = end
    return Filter(text, tuple(terms))


def _parse_term(raw: str, position: int, now: datetime) -> Term:
    def fail(message: str) -> FilterError:
        return FilterError(message, position=position, length=len(raw), term=raw)

    negated = raw.startswith("-")
    body = raw[1:] if negated else raw
    if not body:
        raise fail("'-' must be followed by a term to exclude, e.g. -describe")
    colon, quote = body.find(":"), body.find('"')
    # A colon inside quotes is text, so `"a:b"` is a bare phrase, not key 'a'.
    if colon >= 0 and (quote < 0 or colon < quote):
        key = body[:colon].lower()
        if key not in KEYS:
            raise fail(_unknown_key(body[:colon]))
        value = _unquote(body[colon + 1 :])
        if not value:
            raise fail(f"'{key}:' needs a value after the colon")
    else:
        key, value = "name", _unquote(body)
        if not value:
            raise fail('empty phrase "": put some text between the quotes')

    bound: int | None = None
    if key == "is" and value.lower() not in IS_VALUES:
        raise fail(f"unknown value 'is:{_show(value)}': use is:error, is:write or is:read")
    if key in ("since", "until"):
        try:
            moment = parse_when(value, now)
        except ValueError as exc:
            raise fail(f"{key}: {exc}") from None
        if key == "since":
            bound = -((_EPOCH - moment) // _SECOND)  # ceiling: event_time is whole seconds
        elif is_bare_date(value):
            # "until the 15th" includes the 15th: stop just before the next midnight.
            bound = (moment - _EPOCH) // _SECOND + 86_399
        else:
            bound = (moment - _EPOCH) // _SECOND
    return Term(key, value, negated, position, len(raw), bound)


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


def _unquote(text: str) -> str:
    return _QUOTED.sub(lambda m: _ESCAPE.sub(_unescape, m[1]), text)


def fold(value: str) -> str:
    return value.translate(_ASCII_LOWER)


def _show(text: str) -> str:
    """Text for a one-line message: control characters escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def quote_value(value: str) -> str:
    """The value as it must be written in a filter: double-quoted (with `\\` and `"` escaped,
    and characters a terminal would act on written as escapes) when it is empty or has
    whitespace, quotes, colons or such characters, or starts with '-'."""
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


FILTER_HELP = """\
Filter terms are separated by spaces; an event must match all of them.
  modify              event name contains "modify" (any letter case)
  user:jane           caller contains "jane"; likewise ip: res: region:
                      account: source: (event source) agent: (user agent)
                      error: (error code) name: (event name)
  id:EVENT-ID         exactly this event ID
  is:error            failed calls; is:write, is:read for the call kind
                      (old records without the flag are neither)
  since:2024-01-15    at or after a time: ISO date, date-time such as
                      2024-01-15T10:30 (UTC unless +02:00 or Z is given)
                      or 30m 6h 7d 2w ago
  until:2024-01-31    at or before a time; a bare date includes that day
  -describe           a leading '-' excludes: -is:error -user:admin
  user:"Jane Doe"     double quotes for spaces; \\" and \\\\ inside quotes
Keys are case-insensitive; matching ignores the case of ASCII letters.
Example: modify is:write -user:rds since:7d until:2024-01-31
"""
