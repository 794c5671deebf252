"""The resources screen's and `rdstrail resources`' list: every RDS resource in the cache,
filtered with the filter language and sorted.

The rows come from the summaries the cache keeps per resource (cache/resources.py), never
from a scan of the events. The filter is the same language as the event list's, read for
resources: bare words and `res:` match the identifier or the type (`snapshot` lists the
snapshots), `account:` and `region:` theirs, `user:` the last writer, `since:`/`until:` when
it was seen, `is:risky` and `flag:` the risk flags of its calls. Terms about single events
(`ip:`, `agent:`, `error:`, ...) say so rather than match nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.history import ResourceSummary
from rdstrail_tui.model.resources import arn_identity
from rdstrail_tui.query.language import Filter, FilterError, Term, fold

__all__ = ["SORT_KEYS", "ResourceRow", "list_resources", "resource_matches", "select_resources"]

_RESOURCE_KEYS = ("name", "res", "account", "region", "user", "since", "until", "is", "flag")


@dataclass(frozen=True)
class ResourceRow:
    summary: ResourceSummary

    @property
    def deleted(self) -> bool:
        return self.summary.deleted


def _check(term: Term) -> None:
    if term.key not in _RESOURCE_KEYS or (
        term.key == "is" and term.value.lower() not in ("risky",)
    ):
        raise FilterError(
            f"{term.key}: is about single events; resources filter by name, res:, account:, "
            "region:, user:, since:, until:, is:risky, flag:",
            position=term.position,
            length=term.length,
            term=term.key,
        )


def _text_test(
    term: Term, texts: Callable[[ResourceSummary], Sequence[str]]
) -> Callable[..., bool]:
    folded = [fold(value) for value in term.values]

    def test(s: ResourceSummary) -> bool:
        values = [fold(text) for text in texts(s)]
        if term.exact:
            return any(v == f for v in values for f in folded)
        return any(f in v for v in values for f in folded)

    return test


def _test(term: Term) -> Callable[[ResourceSummary], bool]:
    key = term.key
    if key in ("name", "res"):
        # As in the event list: an RDS ARN names one identity exactly, other values are
        # part of (or, exact, the whole of) the identifier or the type.
        named = {arn_identity(fold(value)) for value in term.values} - {None}
        text = _text_test(term, lambda s: (s.resource.identifier, s.resource.type))
        return lambda s: s.resource in named or text(s)
    if key == "account":
        return _text_test(term, lambda s: (s.resource.account,))
    if key == "region":
        return _text_test(term, lambda s: (s.resource.region,))
    if key == "user":
        return _text_test(term, lambda s: (s.last_writer,))
    if key in ("since", "until"):
        bound = term.bound if term.bound is not None else 0
        if key == "since":
            return lambda s: (s.last_seen or 0) >= bound
        return lambda s: (s.first_seen or 0) <= bound
    bits = term.bits if term.bits is not None else 0
    return lambda s: bool(s.flags & bits)


def resource_matches(flt: Filter) -> Callable[[ResourceSummary], bool]:
    """A test of one summary; FilterError for terms that are not about resources."""
    tests: list[tuple[Callable[[ResourceSummary], bool], bool]] = []
    for term in flt.terms:
        _check(term)
        tests.append((_test(term), term.negated))
    return lambda s: all(test(s) != negated for test, negated in tests)


SORT_KEYS: dict[str, tuple[Callable[[ResourceRow], Any], bool]] = {
    "last": (lambda r: (r.summary.last_seen or 0, r.summary.id), True),
    "first": (lambda r: (r.summary.first_seen or 0, r.summary.id), False),
    "writes": (lambda r: (r.summary.writes, r.summary.last_seen or 0), True),
    "events": (lambda r: (r.summary.events, r.summary.last_seen or 0), True),
    "name": (lambda r: (r.summary.resource.identifier, r.summary.resource.type), False),
    "type": (lambda r: (r.summary.resource.type, r.summary.resource.identifier), False),
}


def select_resources(
    summaries: Iterable[ResourceSummary], flt: Filter, sort: str = "last"
) -> list[ResourceRow]:
    """Of `summaries`, those matching `flt`, in `sort` order (SORT_KEYS): what the
    resources screen runs at each keystroke over the summaries it read once."""
    matches = resource_matches(flt)
    rows = [ResourceRow(s) for s in summaries if matches(s)]
    key, reverse = SORT_KEYS[sort]
    rows.sort(key=key, reverse=reverse)
    return rows


def list_resources(cache: Cache, flt: Filter, sort: str = "last") -> list[ResourceRow]:
    """The cache's resources matching `flt`, in `sort` order (SORT_KEYS)."""
    return select_resources(cache.resource_summaries(), flt, sort)
