"""What the event list shows, as an ordered sequence of rowids, from one of two sources.

Until the index is open (at once when its files beside the cache are up to date; built
otherwise), rows come from SQLite by LIMIT/OFFSET on the time index; after that, from the
index's numpy arrays.
Either way the list asks only for the rows it is about to draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.query.language import Filter
from rdstrail_tui.query.sql import where_of

if TYPE_CHECKING:  # SqlRows paints the first screen before numpy is loaded
    from rdstrail_tui.query.memory import Selection


class RowSource(Protocol):
    def __len__(self) -> int: ...

    def rowids(self, start: int, stop: int) -> list[int]: ...

    def position_of(self, rowid: int) -> int | None: ...


class IndexedRows:
    """A filter's matches in the index, newest first (memory.Selection)."""

    def __init__(self, selection: Selection) -> None:
        self._selection = selection

    def __len__(self) -> int:
        return len(self._selection)

    def rowids(self, start: int, stop: int) -> list[int]:
        return self._selection.rowids(start, stop)

    def position_of(self, rowid: int) -> int | None:
        return self._selection.position_of(rowid)


class SqlRows:
    """The matching events straight from SQLite: fine for a first paint and for scrolling the
    unfiltered list (the time index makes any OFFSET cheap), slower for filters."""

    def __init__(self, cache: Cache, flt: Filter) -> None:
        self._cache = cache
        self._where = where_of(flt)
        self._count = cache.count(self._where)

    def __len__(self) -> int:
        return self._count

    def rowids(self, start: int, stop: int) -> list[int]:
        start = max(start, 0)
        if stop <= start:
            return []
        return self._cache.rowids(self._where, offset=start, limit=stop - start)

    def position_of(self, rowid: int) -> int | None:
        return None  # only the index answers this cheaply; the cursor then goes to the top
