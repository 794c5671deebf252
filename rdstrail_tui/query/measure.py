"""What the cached values need on screen: for each column of the event list, the width that
shows most of its values whole, weighted by how often each value is listed.

The index keeps how often each string id is used in each column (index_segment.Counts,
written with each segment), so nothing is counted here, and only the lengths of the distinct
texts in use are read from the cache: no scan of the events table (300 ms a column at a
million events) and none of the index's columns either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.cells import cell_len

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.columns import SHOWN_WHOLE, percentile_width
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.memory import EventIndex

# The index's columns the list measures (TIME is a fixed format, not a text).
MEASURED: tuple[str, ...] = (
    "event_name",
    "principal",
    "resource",
    "error_code",
    "source_ip",
    "region",
)


@dataclass(frozen=True)
class CachedContent:
    """What the list lays its columns out from."""

    widths: dict[str, int] = field(default_factory=dict)  # field -> width shown whole
    regions: int = 0  # distinct awsRegion values
    failures: int = 0  # events with an errorCode


def measure(index: EventIndex, cache: Cache, share: float = SHOWN_WHOLE) -> CachedContent:
    """Each measured field's width that shows `share` of the listed values whole, in the
    cells their printable form takes."""
    if not len(index):
        return CachedContent()
    uses: dict[str, npt.NDArray[np.int64]] = {}
    for name in MEASURED:
        counts = index.counts(name)
        dense = np.zeros(int(counts.ids.max(initial=0)) + 1, dtype=np.int64)
        dense[counts.ids] = counts.uses
        uses[name] = dense
    # No error is stored as id 0, which no text has: a failed call's code is what ERROR
    # shows, so only failures count towards its width.
    uses["error_code"][:1] = 0
    used = np.unique(np.concatenate([np.flatnonzero(counts) for counts in uses.values()]))
    lengths = np.zeros(int(used.max(initial=0)) + 1, dtype=np.int64)
    lengths[used] = cache.text_lengths(used.tolist())
    # What the list shows is the printable form, in cells: a control character takes four
    # (\\x1b), a wide letter two. Only texts beyond printable ASCII differ from their length.
    for string_id, text in cache.texts_beyond_ascii(used.tolist()).items():
        lengths[string_id] = cell_len(printable(text))
    widths = {name: _width(counts, lengths, share) for name, counts in uses.items()}
    regions = int(np.count_nonzero(uses["region"]))
    failures = index.failures()
    return CachedContent(widths, regions, failures)


def _width(counts: npt.NDArray[Any], lengths: npt.NDArray[np.int64], share: float) -> int:
    ids = np.flatnonzero(counts)
    if not len(ids):
        return 0
    by_length = np.bincount(lengths[ids], weights=counts[ids])
    by_length[:1] = 0  # an empty value (no resource) needs no room
    present = np.flatnonzero(by_length)
    return percentile_width({int(length): int(by_length[length]) for length in present}, share)
