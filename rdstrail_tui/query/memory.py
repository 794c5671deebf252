"""The explorer's in-memory index: every cached event's filterable columns, newest first.

SQLite needs 50-150 ms to scan a million rows for one filter, too slow to follow each
keystroke. Held as numpy arrays of interned-string ids, the same filter is a handful of
vectorised lookups: a few milliseconds. The cache stays the store; the index holds integers
only and is rebuilt from it (under a second for a million events) or extended with the rows a
load adds.

Semantics match the SQL that `query.sql` builds, term for term (the tests hold them to it).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from rdstrail_tui.cache.schema import INDEX_COLUMNS
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.query.language import SUBSTRING_FIELDS, Filter, Term, fold

IntArray = npt.NDArray[np.int64]
Column = npt.NDArray[np.integer[Any]]
Mask = npt.NDArray[np.bool_]

# Interned-string ids fit 32 bits and read_only 8; only rowid and time need 64. At a million
# events that is 35 MB instead of 96. The columns themselves are the cache's INDEX_COLUMNS.
_DTYPES: dict[str, type[np.integer[Any]]] = {
    "rowid": np.int64,
    "event_time": np.int64,
    "read_only": np.int8,
}
_COLUMNS: tuple[str, ...] = tuple(INDEX_COLUMNS)
# String-id lookups an index remembers: a few filters' worth of terms and alternatives.
_REMEMBERED_LOOKUPS = 256
# res: masks an index remembers: a boolean per event each (a megabyte at a million).
_REMEMBERED_MASKS = 8


def _parse(text: str) -> IntArray:
    if not text:
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        # numpy flags fromstring's binary mode as deprecated; its text mode (sep=",") is the
        # fastest parser of a long list of integers there is in numpy.
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.fromstring(text, dtype=np.int64, sep=",")


@dataclass(frozen=True)
class EventIndex:
    # Every array in newest-first order (time, then rowid); dtypes as in _DTYPES.
    columns: dict[str, Column]
    max_rowid: int
    # (exact, folded value) -> ids of the interned strings it matches; see _string_ids.
    _lookups: dict[tuple[bool, str], frozenset[int]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # (exact, folded values) of a res: term -> the events it matches by identity; _touching.
    _touching_masks: dict[tuple[bool, tuple[str, ...]], Mask] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def empty(cls) -> EventIndex:
        return cls({name: np.zeros(0, dtype=np.int64) for name in _COLUMNS}, 0)

    @classmethod
    def build(cls, cache: Cache) -> EventIndex:
        return cls.empty().extended(cache)

    def extended(self, cache: Cache) -> EventIndex:
        """This index plus every event cached since it was built.

        Memory is what limits this at a million events, so each column is parsed, narrowed
        and reordered one at a time, and every intermediate is dropped as soon as it can be.
        """
        texts = cache.index_columns(_COLUMNS, after_rowid=self.max_rowid)
        new: dict[str, Column] = {}
        for position, name in enumerate(_COLUMNS):
            new[name] = _parse(texts[position]).astype(_DTYPES.get(name, np.int32))
            texts[position] = ""
        del texts
        if len(new["rowid"]) == 0:
            return self
        max_rowid = max(self.max_rowid, int(new["rowid"].max()))
        merged = (
            {name: np.concatenate((new.pop(name), self.columns[name])) for name in _COLUMNS}
            if len(self)
            else new
        )
        # Newest first: time descending, then rowid descending for events of one second.
        order = np.lexsort((-merged["rowid"], -merged["event_time"]))
        columns = {name: merged.pop(name)[order] for name in list(merged)}
        return EventIndex(columns, max_rowid)

    def __len__(self) -> int:
        return len(self.columns["rowid"])

    @property
    def rowids(self) -> IntArray:
        rowids: IntArray = self.columns["rowid"].astype(np.int64, copy=False)
        return rowids

    def time_span(self) -> tuple[int, int] | None:
        """Oldest and newest event time (the columns are newest first)."""
        times = self.columns["event_time"]
        return (int(times[-1]), int(times[0])) if len(times) else None

    def region_ids(self) -> list[int]:
        return [int(i) for i in np.unique(self.columns["region"])]

    def select(self, where: Filter, cache: Cache) -> IntArray:
        """Rowids of the matching events, newest first."""
        if where.is_empty():
            return self.rowids
        mask = np.ones(len(self), dtype=np.bool_)
        for term in where.terms:
            term_mask = self._match(term, cache)
            mask &= ~term_mask if term.negated else term_mask
        return self.rowids[mask]

    def _match(self, term: Term, cache: Cache) -> Mask:
        """The events the term's alternatives match, before any negation."""
        column_name = SUBSTRING_FIELDS.get(term.key)
        if term.key == "res":
            # As schema.touches_resource: every resource the event touches, by identity,
            # or its primary resource's text (other services' events name no identity).
            return self._text_match(self.columns["resource"], term, cache) | self._touching(
                term, cache
            )
        if column_name is not None:
            return self._text_match(self.columns[column_name], term, cache)
        mask: Mask
        if term.key == "id":
            found = [cache.rowid_of(event_id) for event_id in term.values]
            mask = np.isin(self.rowids, [rowid for rowid in found if rowid is not None])
        elif term.bits is not None:  # is:risky, flag:
            mask = (self.columns["flags"] & term.bits) != 0
        elif term.key == "is" and term.value.lower() == "error":
            mask = self.columns["error_code"] != 0
        elif term.key == "is":
            mask = self.columns["read_only"] == (0 if term.value.lower() == "write" else 1)
        elif term.key in ("since", "until"):
            assert term.bound is not None, "time terms carry their bound"
            times = self.columns["event_time"]
            mask = times >= term.bound if term.key == "since" else times <= term.bound
        else:
            raise AssertionError(f"unhandled filter key {term.key!r}")
        return mask

    def _text_match(self, column: Column, term: Term, cache: Cache) -> Mask:
        ids: set[int] = set()
        for value in term.values:
            ids |= self._string_ids(fold(value), term.exact, cache)
        # A lookup table indexed by string id: one gather over the column, however many
        # strings match (numpy's isin sorts or loops, slower for both small and big sets), and
        # however many alternatives the term has.
        size = max(int(column.max(initial=0)), max(ids, default=0)) + 1
        table = np.zeros(size, dtype=np.bool_)
        table[list(ids)] = True
        table[0] = False  # id 0 stands for NULL, which contains and equals nothing
        result: Mask = table[column]
        return result

    def _touching(self, term: Term, cache: Cache) -> Mask:
        """The events touching a resource the term names, by identity, as a mask over the
        index, remembered as the string lookups are: the explorer refilters at every
        keystroke, and a res: term typed before the one being typed is asked again each
        time. (Safe for the index's life: the resources an event touches are stored with
        it and never change.)"""
        key = (term.exact, tuple(fold(value) for value in term.values))
        mask = self._touching_masks.get(key)
        if mask is None:
            found = np.fromiter(cache.rowids_touching(key[1], exact=term.exact), dtype=np.int64)
            found = found[found <= self.max_rowid]  # loaded since the index was built
            table = np.zeros(self.max_rowid + 1, dtype=np.bool_)
            table[found] = True
            mask = table[self.rowids]
            if len(self._touching_masks) >= _REMEMBERED_MASKS:
                self._touching_masks.clear()
            self._touching_masks[key] = mask
        return mask

    def _string_ids(self, folded: str, exact: bool, cache: Cache) -> frozenset[int]:
        """Ids of the interned strings equal to (or containing) `folded`, remembered: each
        lookup scans every distinct text in SQLite, and the explorer refilters at every
        keystroke, where most alternatives and terms are those of the keystroke before.
        Remembering is safe for the life of the index (which answers for the cache it was
        built from): its columns hold only strings that existed when it was built, and a
        string's text never changes."""
        key = (exact, folded)
        found = self._lookups.get(key)
        if found is None:
            # Exact: a range on the strings' index, not a scan of every text.
            found = frozenset(cache.string_ids_matching(folded, exact=exact))
            if len(self._lookups) >= _REMEMBERED_LOOKUPS:
                self._lookups.clear()
            self._lookups[key] = found
        return found
