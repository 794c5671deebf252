"""`rdstrail stats` answered from the explorer's index (query/memory.py) instead of SQLite:
at ten million events the SQL's four GROUP BYs over the whole table take 10-15 s, the
same counts over the index's integer columns a fraction of a second (with no filter, the
use counts kept with each segment answer without reading a column).

The answers are the SQL's (reports.stats), ties broken by text as its ORDER BY does; the
tests hold the two to each other.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rdstrail_tui.cache.reports import Stats
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.risk import RISK_FLAGS
from rdstrail_tui.query.index_segment import Counts
from rdstrail_tui.query.language import Filter
from rdstrail_tui.query.memory import EventIndex

IntArray = npt.NDArray[np.int64]


def index_stats(index: EventIndex, where: Filter, cache: Cache, top: int) -> Stats:
    positions = index.matching_positions(where, cache)
    total = sum(
        len(segment) if found is None else len(found)
        for segment, found in zip(index.segments, positions)
    )
    first: int | None = None
    last: int | None = None
    for segment, found in zip(index.segments, positions):
        if found is not None and not len(found):
            continue
        if not len(segment):
            continue
        # Each segment is sorted by time: its first and last matches bound it.
        low = int(segment.times[0 if found is None else int(found[0])])
        high = int(segment.times[-1 if found is None else int(found[-1])])
        first = low if first is None else min(first, low)
        last = high if last is None else max(last, high)

    def by(name: str, skip_none: bool = False) -> list[tuple[str, int]]:
        counts = _counts(index, positions, name)
        if skip_none:
            keep = counts.ids != 0
            counts = Counts(counts.ids[keep], counts.uses[keep])
        return _top(counts, cache, top)

    flags = [(flag.name, _flagged(index, positions, flag.bit)) for flag in RISK_FLAGS]
    by_flag = sorted(((name, n) for name, n in flags if n), key=lambda item: (-item[1], item[0]))
    return Stats(
        total=total,
        first_time=first,
        last_time=last,
        by_name=by("event_name"),
        by_principal=by("principal"),
        by_source_ip=by("source_ip"),
        by_error=by("error_code", skip_none=True),
        by_flag=by_flag,
    )


def _counts(index: EventIndex, positions: list[IntArray | None], name: str) -> Counts:
    if all(found is None for found in positions):
        return index.counts(name)
    parts = []
    for segment, found in zip(index.segments, positions):
        if found is None:
            parts.append(segment.counts[name])
        elif len(found):
            parts.append(Counts.of(segment.columns[name][found]))
    return Counts.combined(parts)


def _flagged(index: EventIndex, positions: list[IntArray | None], bit: int) -> int:
    count = 0
    for segment, found in zip(index.segments, positions):
        flags = segment.columns["flags"]
        chosen = flags if found is None else flags[found]
        count += int(np.count_nonzero(chosen & bit))
    return count


def _top(counts: Counts, cache: Cache, top: int) -> list[tuple[str, int]]:
    """The `top` most used strings, most first, ties by text (the SQL's ORDER BY n DESC,
    text): every id used at least as often as the top-th is a candidate."""
    if not len(counts.ids) or top <= 0:
        return []
    ordered = np.sort(counts.uses)[::-1]
    threshold = int(ordered[min(top, len(ordered)) - 1])
    candidates = counts.uses >= threshold
    ids = counts.ids[candidates].tolist()
    uses = counts.uses[candidates].tolist()
    texts = cache.texts_of(ids)
    rows = sorted(zip(texts, uses), key=lambda row: (-row[1], row[0]))
    return [(str(text), int(n)) for text, n in rows[:top]]
