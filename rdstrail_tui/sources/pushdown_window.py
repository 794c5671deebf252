"""The time window of a pushed-down sync (Athena, CloudTrail Lake) and its cursor.

A cursor per place (table or event data store), accounts, regions, scope and filter holds
the span of event times already asked for. The next sync with the same filter asks only
from a little before its end (LATE_DELIVERY: CloudTrail delivers a file minutes after its
events), so a second sync right after the first reads a day or two of partitions, not the
whole history; a new filter has a new cursor and starts its own window. Re-reading the
overlap costs nothing in the cache: events are de-duplicated by eventID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from rdstrail_tui.query.language import Filter

__all__ = [
    "DEFAULT_DAYS",
    "LATE_DELIVERY_SECONDS",
    "Covered",
    "Span",
    "cursor_key",
    "day_chunks",
    "epoch_of",
    "filter_bounds",
    "plan_span",
]

DEFAULT_DAYS = 7
LATE_DELIVERY_SECONDS = 3600
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Span:
    """Inclusive epoch seconds."""

    since: int
    until: int

    @property
    def empty(self) -> bool:
        return self.since > self.until


@dataclass(frozen=True)
class Covered:
    """What a cursor says was asked for: event times [since, until]."""

    since: int
    until: int

    def value(self) -> str:
        return json.dumps({"since": self.since, "until": self.until})

    @classmethod
    def parse(cls, text: str | None) -> Covered | None:
        if not text:
            return None
        try:
            found = json.loads(text)
            return cls(int(found["since"]), int(found["until"]))
        except (ValueError, KeyError, TypeError):
            return None  # unreadable: as if there were none (the window is asked whole)


def epoch_of(value: datetime | None) -> int | None:
    """--since/--until as epoch seconds; a naive time is UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def canonical_filter(flt: Filter) -> str:
    """The filter's terms as written, one space apart: the same filter typed with other
    spacing keeps its cursor."""
    return " ".join(flt.text[t.position : t.position + t.length] for t in flt.terms)


def cursor_key(
    place: str,
    *,
    accounts: tuple[str, ...],
    regions: tuple[str, ...],
    sources: frozenset[str] | None,
    flt: Filter,
) -> str:
    return json.dumps(
        {
            "place": place,
            "accounts": sorted(accounts),
            "regions": sorted(regions),
            "sources": sorted(sources) if sources is not None else None,
            "filter": canonical_filter(flt),
        },
        sort_keys=True,
    )


def filter_bounds(flt: Filter) -> Span:
    """The span the filter's own positive since:/until: terms allow."""
    since, until = 0, 2**62
    for term in flt.terms:
        if term.negated or term.bound is None:
            continue
        if term.key == "since":
            since = max(since, term.bound)
        elif term.key == "until":
            until = min(until, term.bound)
    return Span(since, until)


def plan_span(
    *,
    now: int,
    since: int | None,
    until: int | None,
    covered: Covered | None,
    flt: Filter,
) -> tuple[Span, Covered]:
    """The event times to ask for, and what the cursor will say once they are fetched.

    Without a cursor: [since, until], by default the last DEFAULT_DAYS. With one, only what
    it does not cover, from LATE_DELIVERY before its end; a window reaching further back
    than the cursor is asked whole (one statement, not two), and the cursor then spans it.
    """
    end = until if until is not None else now
    if covered is None:
        start = since if since is not None else end - DEFAULT_DAYS * 86_400
        after = Covered(start, end)
    elif since is None or covered.since <= since:
        # Go on from the cursor (from `since` when that is later).
        start = covered.until - LATE_DELIVERY_SECONDS
        if since is not None:
            start = max(start, since)
        after = Covered(covered.since, max(covered.until, end))
    else:
        start = since
        after = Covered(since, max(covered.until, end))
    bounds = filter_bounds(flt)
    return Span(max(start, bounds.since), min(end, bounds.until)), after


def day_chunks(span: Span, places: int, limit: int) -> list[tuple[Span, date, date]]:
    """The span cut so that no statement reads more than `limit` partitions, `places`
    (accounts x regions) per day: each piece with its first and last partition day (a day
    later at the end, for late delivery). Oldest first. Raises ValueError when even one day
    is too many."""
    first = _day(span.since)
    last = _day(span.until) + _DAY
    days = (last - first).days + 1
    per_statement = limit // max(1, places)
    if per_statement < 2:
        raise ValueError(f"{places:,} accounts x regions")
    if days * places <= limit:
        return [(span, first, last)]
    chunks: list[tuple[Span, date, date]] = []
    step = per_statement - 1  # each piece's own days, and one more for late delivery
    day = first
    while True:
        piece_last = day + timedelta(days=step - 1)
        start = max(span.since, _epoch(day))
        end = min(span.until, _epoch(piece_last + _DAY) - 1)
        chunks.append((Span(start, end), day, piece_last + _DAY))
        if end >= span.until:
            return chunks
        day = piece_last + _DAY


def _day(epoch: int) -> date:
    return datetime.fromtimestamp(epoch, timezone.utc).date()


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())
