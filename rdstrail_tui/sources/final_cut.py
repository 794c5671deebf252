"""The local cut of a pushed-down sync: of the events Athena or Lake sent back, those the
filter matches by the cache's own SQL evaluator.

The candidates go through a staging cache in a private temporary directory first, and only
those `query.sql` matches there are kept: the same code that answers `rdstrail query`
decides, so the synced events are exactly the ones a load of the same files and that query
would give. It is needed where the Trino SQL could only ask for a superset
(`query.trino.Pushdown.exact` is False), and it also settles what SQL over rows cannot: two
different records delivered under one eventID, of which the cache keeps the first.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from rdstrail_tui.cache import schema
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.query.language import Filter
from rdstrail_tui.query.sql import where_of


class FinalCut:
    """Keeps the events of each batch that `flt` matches. Use as a context manager: the
    staging cache is removed at the end."""

    def __init__(self, flt: Filter) -> None:
        self.flt = flt
        self.needed = not flt.is_empty()
        self._where = where_of(flt)
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._staging: Cache | None = None
        self.dropped = 0

    def __enter__(self) -> FinalCut:
        return self

    def __exit__(self, *_: object) -> None:
        if self._staging is not None:
            self._staging.close()
        if self._directory is not None:
            self._directory.cleanup()

    def keep(self, events: Sequence[Event]) -> list[Event]:
        if not self.needed or not events:
            return list(events)
        staging = self._open()
        before = staging.max_rowid()
        staging.insert(events)
        where = schema.all_of([schema.rowid_above(before), self._where])
        matched = {event.event_id for event in staging.events(where, with_raw=False)}
        kept = [event for event in events if event.event_id in matched]
        self.dropped += len(events) - len(kept)
        return kept

    def _open(self) -> Cache:
        if self._staging is None:
            # Owner-only (mkdtemp makes it 0700), and gone when the sync ends.
            self._directory = tempfile.TemporaryDirectory(prefix="rdstrail-cut-")
            self._staging = Cache.open(Path(self._directory.name) / "staging.db")
        return self._staging
