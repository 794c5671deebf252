"""The explorer's index: every cached event's filterable columns, as numpy arrays of
interned-string ids, in segments (query/index_segment.py).

SQLite needs 50-150 ms to scan a million rows for one filter, too slow to follow each
keystroke. The same filter over integer columns is a handful of vectorised lookups. The
cache stays the store: the index holds integers only. Its segments are memory-mapped from
the files the last load wrote beside the cache (query/index_store.py), so opening ten
million events reads nothing, plus an in-memory segment of the rows cached since.

The first segment is the big one. A filter is evaluated on each segment; the matches of the
others (few) are placed among the first one's by the places stored with them, so the
merged, newest-first list is never materialised: `Selection` answers for the rows on screen.
A segment's matches are all of it, a list of positions, for many matches in the first
one its mask, or for one text term in the first one its count and the newest matches, found
as the list asks (`AllMatches`, `SparseMatches`, `DenseMatches`, `TailMatches`: one
interface).

Semantics match the SQL that `query.sql` builds, term for term (the tests hold them to it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.query.index_segment import (
    COUNTED,
    Counts,
    Segment,
    built,
    merged,
    placed_after,
)
from rdstrail_tui.query.language import SUBSTRING_FIELDS, Filter, Term, fold

IntArray = npt.NDArray[np.int64]
Column = npt.NDArray[np.integer[Any]]
Mask = npt.NDArray[np.bool_]

# String-id lookups an index remembers: a few filters' worth of terms and alternatives.
_REMEMBERED_LOOKUPS = 256
# res: masks an index remembers: a boolean per event each (a megabyte at a million).
_REMEMBERED_MASKS = 8
# A text column with more distinct values than this is searched in SQLite's strings table
# rather than in its texts held here (which would cost memory for little speed).
_TEXTS_HELD = 200_000
# Columns whose texts are read when the index opens: the bare word of the first keystroke.
_TEXTS_FIRST = ("event_name",)


# Rows looked up at a time by `gathered`.
_GATHER_ROWS = 1 << 16


def gathered(table: Mask, column: Column) -> Mask:
    """table[column], a piece at a time: numpy's own indexing first widens the whole column
    to 64-bit indices (80 MB at ten million rows, mapped in afresh at every keystroke);
    pieces keep that temporary small and reused, about twice as fast."""
    out = np.empty(len(column), dtype=np.bool_)
    for start in range(0, len(column), _GATHER_ROWS):
        piece = column[start : start + _GATHER_ROWS].astype(np.intp)
        np.take(table, piece, out=out[start : start + _GATHER_ROWS])
    return out


@dataclass(frozen=True)
class EventIndex:
    segments: tuple[Segment, ...]  # adjacent ranges of rowids, oldest range first
    # (column, exact, folded value) -> ids of the strings it matches; see _string_ids.
    _lookups: dict[tuple[str, bool, str], frozenset[int]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # (exact, folded values) of a res: term -> per segment, the events it matches by identity.
    _touching_masks: dict[tuple[bool, tuple[str, ...]], list[Mask]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # column -> (ids, folded texts) of its distinct values, or None; see _column_texts.
    _texts: dict[str, tuple[IntArray, list[str]] | None] = field(
        default_factory=dict, compare=False, repr=False
    )
    # The last filter answered: its terms and each segment's matches; see _narrowed.
    _last: list[tuple[tuple[Term, ...], list[Matches]]] = field(
        default_factory=list, compare=False, repr=False
    )

    @classmethod
    def empty(cls) -> EventIndex:
        return cls(())

    @classmethod
    def build(cls, cache: Cache) -> EventIndex:
        """Every cached event, read from the cache into memory."""
        return cls.empty().extended(cache)

    @classmethod
    def of_segments(cls, segments: list[Segment], cache: Cache) -> EventIndex:
        index = cls(tuple(segments))
        for name in _TEXTS_FIRST:
            index._column_texts(name, cache)
        return index

    @property
    def max_rowid(self) -> int:
        return self.segments[-1].max_rowid if self.segments else 0

    def extended(self, cache: Cache) -> EventIndex:
        """This index plus every event cached since it was built, as a segment in memory
        (merged with the last one if that is in memory too)."""
        new = built(cache, self.max_rowid)
        if new is None:
            return self
        segments = list(self.segments)
        if segments and segments[-1].path is None:
            new = merged(segments.pop(), new)
        if segments:
            new = placed_after(segments[0], new)
        return EventIndex.of_segments([*segments, new], cache)

    def __len__(self) -> int:
        return sum(len(segment) for segment in self.segments)

    def counts(self, name: str) -> Counts:
        """How often each string id is used in a text column, over every event."""
        return Counts.combined(segment.counts[name] for segment in self.segments)

    def time_span(self) -> tuple[int, int] | None:
        """Oldest and newest event time (each segment is sorted by time)."""
        filled = [segment for segment in self.segments if len(segment)]
        if not filled:
            return None
        return (
            min(int(segment.times[0]) for segment in filled),
            max(int(segment.times[-1]) for segment in filled),
        )

    def failures(self) -> int:
        """Events with an errorCode (id 0 stands for none)."""
        counts = self.counts("error_code")
        return int(counts.uses[counts.ids != 0].sum())

    # -- selecting -------------------------------------------------------------------------

    def select(self, where: Filter, cache: Cache) -> IntArray:
        """Rowids of the matching events, newest first."""
        return self.selection(where, cache).all_rowids()

    def selection(self, where: Filter, cache: Cache) -> Selection:
        """The matching events, newest first, answered for a range at a time."""
        if not self.segments:
            return Selection.nothing()
        return Selection.of(self.segments, self._matches(where, cache), cache)

    def matching_positions(self, where: Filter, cache: Cache) -> list[IntArray | None]:
        """Per segment, the positions of its matching rows, ascending (None for all)."""
        return [found.positions() for found in self._matches(where, cache)]

    def _matches(self, where: Filter, cache: Cache) -> list[Matches]:
        """Each segment's matches; narrowed from the last filter's when this one can only
        match fewer (the filter box's next keystroke, `mod` after `mo`): the terms that
        changed are then tested on the last matches alone, not on ten million rows."""
        last = self._last[0] if self._last else None
        changed = _changed_terms(last[0], where.terms) if last is not None else None
        found: list[Matches] = []
        for number in range(len(self.segments)):
            before = last[1][number] if last is not None and changed is not None else None
            if isinstance(before, TailMatches):
                # A single term's again is cheaper from its use counts than narrowed; a
                # second term narrows the first one's matches if they are few.
                single = self._tail_matches(number, where, cache)
                if single is not None:
                    found.append(single)
                    continue
                # Few matches: tested once and narrowed. Many: a mask either way, so the
                # new filter's own pass replaces them (testing them first would be a
                # second pass over every row).
                before = before.materialized() if before.few else None
            if isinstance(before, SparseMatches):
                assert changed is not None
                found.append(self._narrowed(number, before, changed, cache))
            else:
                found.append(self._positions(number, where, cache))
        self._last[:] = [(where.terms, found)]
        return found

    def _narrowed(
        self, segment_number: int, before: SparseMatches, terms: tuple[Term, ...], cache: Cache
    ) -> SparseMatches:
        """The positions of `before` that the (changed) `terms` also match."""
        kept = before.found
        for term in terms:
            if not len(kept):
                break
            column_name = SUBSTRING_FIELDS.get(term.key)
            if column_name is not None and term.key != "res":
                segment = self.segments[segment_number]
                table = self._id_table(segment, column_name, term, cache)
                hit = table[segment.columns[column_name][kept]]
            else:  # rarer kinds: their mask over the segment, read at the positions
                hit = self._match(segment_number, term, cache)[kept]
            kept = kept[~hit if term.negated else hit]
        return SparseMatches(kept)

    def _positions(self, segment_number: int, where: Filter, cache: Cache) -> Matches:
        """The segment's matching rows: all of them, their positions, or for the first
        segment when many match, the mask itself (DenseMatches): listing millions of
        positions costs more than every other step of a keystroke."""
        if where.is_empty():
            return AllMatches(len(self.segments[segment_number]))
        tail = self._tail_matches(segment_number, where, cache)
        if tail is not None:
            return tail
        mask: Mask | None = None
        for term in where.terms:
            term_mask = self._match(segment_number, term, cache)
            if term.negated:
                term_mask = ~term_mask
            if mask is None:
                mask = term_mask  # the first term's mask is the result so far: no copy
            else:
                mask &= term_mask
        assert mask is not None, "a filter that is not empty has terms"
        if (
            segment_number == 0
            and len(mask) >= DENSE_MIN_ROWS
            and np.count_nonzero(mask) * DENSE_SHARE >= len(mask)
        ):
            return DenseMatches.of(mask)
        return SparseMatches(np.flatnonzero(mask))

    def _tail_matches(self, segment_number: int, where: Filter, cache: Cache) -> TailMatches | None:
        """For one text term over the big segment (the first keystroke in the box, `m`
        matching 2.9 million of ten million): matches counted from the column's use counts
        and found from the newest rows back as far as the list asks, not over every row
        (a pass over ten million ids is 20 ms; the screen asks for the newest few dozen)."""
        segment = self.segments[segment_number]
        if segment_number != 0 or len(segment) < DENSE_MIN_ROWS or len(where.terms) != 1:
            return None
        (term,) = where.terms
        column_name = SUBSTRING_FIELDS.get(term.key)
        if column_name is None or term.key == "res":  # res: also matches by identity
            return None
        table = self._id_table(segment, column_name, term, cache)
        if term.negated:
            table = ~table  # as ~mask: the rows without a value (id 0) match a negation
        return TailMatches.of(table, segment.columns[column_name], segment.counts[column_name])

    def _match(self, segment_number: int, term: Term, cache: Cache) -> Mask:
        """The segment's events the term's alternatives match, before any negation."""
        segment = self.segments[segment_number]
        columns = segment.columns
        column_name = SUBSTRING_FIELDS.get(term.key)
        if term.key == "res":
            # As schema.touches_resource: every resource the event touches, by identity,
            # or its primary resource's text (other services' events name no identity).
            touching = self._touching(term, cache)[segment_number]
            return self._text_match(segment, "resource", term, cache) | touching
        if column_name is not None:
            return self._text_match(segment, column_name, term, cache)
        mask: Mask
        if term.key == "id":
            found = [cache.rowid_of(event_id) for event_id in term.values]
            mask = np.isin(columns["rowid"], [rowid for rowid in found if rowid is not None])
        elif term.bits is not None:  # is:risky, flag:
            mask = (columns["flags"] & term.bits) != 0
        elif term.key == "is" and term.value.lower() == "error":
            mask = columns["error_code"] != 0
        elif term.key == "is":
            mask = columns["read_only"] == (0 if term.value.lower() == "write" else 1)
        elif term.key in ("since", "until"):
            assert term.bound is not None, "time terms carry their bound"
            # Sorted by time: the matches are one run, found by binary search.
            times = segment.times
            mask = np.zeros(len(segment), dtype=np.bool_)
            if term.key == "since":
                mask[np.searchsorted(times, term.bound, side="left") :] = True
            else:
                mask[: np.searchsorted(times, term.bound, side="right")] = True
        else:
            raise AssertionError(f"unhandled filter key {term.key!r}")
        return mask

    def _text_match(self, segment: Segment, name: str, term: Term, cache: Cache) -> Mask:
        return gathered(self._id_table(segment, name, term, cache), segment.columns[name])

    def _id_table(self, segment: Segment, name: str, term: Term, cache: Cache) -> Mask:
        """Whether each string id of column `name` matches the term (negation aside)."""
        ids: set[int] = set()
        for value in term.values:
            ids |= self._string_ids(name, fold(value), term.exact, cache)
        # A lookup table indexed by string id: one gather over the column, however many
        # strings match (numpy's isin sorts or loops, slower for both small and big sets), and
        # however many alternatives the term has. The column's largest id is its use
        # counts' last (they are sorted): no pass over the column for it.
        used = segment.counts[name].ids
        largest = int(used[-1]) if len(used) else 0
        table = np.zeros(max(largest, max(ids, default=0)) + 1, dtype=np.bool_)
        table[list(ids)] = True
        table[0] = False  # id 0 stands for NULL, which contains and equals nothing
        return table

    def _touching(self, term: Term, cache: Cache) -> list[Mask]:
        """The events touching a resource the term names, by identity, as a mask per
        segment, remembered as the string lookups are: the explorer refilters at every
        keystroke, and a res: term typed before the one being typed is asked again each
        time. (Safe for the index's life: the resources an event touches are stored with
        it and never change.)"""
        key = (term.exact, tuple(fold(value) for value in term.values))
        masks = self._touching_masks.get(key)
        if masks is None:
            found = np.fromiter(cache.rowids_touching(key[1], exact=term.exact), dtype=np.int64)
            found = found[found <= self.max_rowid]  # loaded since the index was built
            table = np.zeros(self.max_rowid + 1, dtype=np.bool_)
            table[found] = True
            masks = [gathered(table, segment.columns["rowid"]) for segment in self.segments]
            if len(self._touching_masks) >= _REMEMBERED_MASKS:
                self._touching_masks.clear()
            self._touching_masks[key] = masks
        return masks

    def _string_ids(self, name: str, folded: str, exact: bool, cache: Cache) -> frozenset[int]:
        """Ids of the strings used in column `name` that equal (or contain) `folded`,
        remembered: the explorer refilters at every keystroke, where most alternatives and
        terms are those of the keystroke before. Remembering is safe for the life of the
        index (which answers for the cache it was built from): its columns hold only
        strings that existed when it was built, and a string's text never changes.

        Only the column's own distinct values are looked at, their texts held here once
        read (the few hundred event names of a cache of millions are what a bare word
        searches); a column with very many falls back to SQLite's strings table."""
        key = (name, exact, folded)
        found = self._lookups.get(key)
        if found is None:
            held = self._column_texts(name, cache)
            if held is None:
                # Exact: a range on the strings' index, not a scan of every text.
                found = frozenset(cache.string_ids_matching(folded, exact=exact))
            else:
                ids, texts = held
                # The same test as the SQL's: instr(lower(text), ?) or lower(text) = ?,
                # lower() being ASCII-only, as fold() is.
                if exact:
                    found = frozenset(int(ids[i]) for i, text in enumerate(texts) if text == folded)
                else:
                    found = frozenset(int(ids[i]) for i, text in enumerate(texts) if folded in text)
            if len(self._lookups) >= _REMEMBERED_LOOKUPS:
                self._lookups.clear()
            self._lookups[key] = found
        return found

    def _column_texts(self, name: str, cache: Cache) -> tuple[IntArray, list[str]] | None:
        """The column's distinct ids and their folded texts, read once; None for a column
        with too many (also remembered: asked at every keystroke)."""
        if name not in COUNTED:
            return None
        if name not in self._texts:
            ids = self.counts(name).ids
            ids = ids[ids != 0]
            self._texts[name] = (
                None
                if len(ids) > _TEXTS_HELD
                else (ids, [fold(text) for text in cache.texts_of(ids.tolist())])
            )
        return self._texts[name]


def _same(old: Term, new: Term) -> bool:
    """The same condition (where in the text it was typed aside)."""
    return (old.key, old.values, old.negated, old.exact, old.bound, old.bits) == (
        new.key,
        new.values,
        new.negated,
        new.exact,
        new.bound,
        new.bits,
    )


def _extends(old: Term, new: Term) -> bool:
    """`new` matches only events `old` matches: a substring term typed further (`mod` after
    `mo`: a text containing "mod" contains "mo")."""
    return (
        old.key == new.key
        and old.key in SUBSTRING_FIELDS
        and old.key != "res"  # its identity half is not a substring test
        and not (old.negated or new.negated or old.exact or new.exact)
        and len(old.values) == len(new.values) == 1
        and fold(old.values[0]) in fold(new.values[0])
    )


def _changed_terms(old: tuple[Term, ...], new: tuple[Term, ...]) -> tuple[Term, ...] | None:
    """If every event the terms `new` match is one that `old` match, the terms of `new` not
    already implied by `old` (those to test on old's matches); None if `new` may match
    events `old` does not. Terms are AND-ed, so each of old's must be kept or narrowed, in
    place: typing extends or adds terms, it does not reorder them."""
    if len(new) < len(old):
        return None
    changed: list[Term] = []
    for old_term, new_term in zip(old, new):
        if _same(old_term, new_term):
            continue
        if not _extends(old_term, new_term):
            return None
        changed.append(new_term)
    return (*changed, *new[len(old) :])


# The first segment's matches are kept as a mask (DenseMatches) from this many rows, when at
# least one in DENSE_SHARE of them match.
DENSE_MIN_ROWS = 1 << 20
DENSE_SHARE = 64
_BLOCK = 1 << 16  # rows per block of DenseMatches' counts
# Set bits of each byte value; the bits of a byte before bit k (the high k bits).
_POPCOUNT = np.array([bin(value).count("1") for value in range(256)], dtype=np.uint8)
_HIGH_BITS = np.array([(0xFF << (8 - k)) & 0xFF for k in range(8)], dtype=np.uint8)
# Set bits of each 16-bit value (its byte order does not change the count).
_POPCOUNT16 = (
    _POPCOUNT[np.arange(1 << 16) & 0xFF].astype(np.int32) + _POPCOUNT[np.arange(1 << 16) >> 8]
)


@dataclass(frozen=True)
class DenseMatches:
    """Many matches of a segment, as its mask and the number of matches before each block
    of _BLOCK rows: the k-th match and a position's rank are found in one block, so the
    millions of positions are never listed."""

    mask: Mask
    before_block: IntArray  # matches before each block; one more entry: all of them

    @classmethod
    def of(cls, mask: Mask) -> DenseMatches:
        # Whole blocks summed as rows of a byte matrix (no copy of the mask), then the rest.
        whole = len(mask) // _BLOCK * _BLOCK
        counts = mask[:whole].view(np.uint8).reshape(-1, _BLOCK).sum(axis=1, dtype=np.int64)
        if whole < len(mask):
            counts = np.append(counts, np.count_nonzero(mask[whole:]))
        before = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=before[1:])
        return cls(mask, before)

    def __len__(self) -> int:
        return int(self.before_block[-1])

    def positions(self) -> IntArray:
        return np.flatnonzero(self.mask)

    def take(self, ranks: IntArray) -> IntArray:
        """The positions of the matches of these ranks (0 is the first match)."""
        out = np.zeros(len(ranks), dtype=np.int64)
        blocks = np.searchsorted(self.before_block, ranks, side="right") - 1
        for block in np.unique(blocks):
            start = int(block) * _BLOCK
            inside = np.flatnonzero(self.mask[start : start + _BLOCK])
            chosen = blocks == block
            out[chosen] = start + inside[ranks[chosen] - self.before_block[block]]
        return out

    def counts_before(self, positions: IntArray) -> IntArray:
        """How many matches lie before each position (as searchsorted on the positions);
        a position may be len(mask), after every row. From the mask's bits packed sixteen
        to a word and a running count per word: one short pass, however the positions
        spread (the rows of a later segment fall in every block of the first)."""
        packed, before_word = self._packed
        byte, bit = np.divmod(positions.astype(np.int64), 8)
        word = byte // 2
        out: IntArray = before_word[word].astype(np.int64)
        inside = byte < len(packed)  # not the position after every row
        # A position in a word's second byte has the whole first byte before it.
        second = inside & (byte % 2 == 1)
        out[second] += _POPCOUNT[packed[byte[second] - 1]]
        out[inside] += _POPCOUNT[packed[byte[inside]] & _HIGH_BITS[bit[inside]]]
        return out

    @functools.cached_property
    def _packed(self) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int32]]:
        """The mask as bits (the first row in the first byte's high bit; an even number of
        bytes) and the matches before each pair of bytes (one more entry: all of them)."""
        packed = np.packbits(self.mask)
        if len(packed) % 2:
            packed = np.append(packed, np.uint8(0))
        # Counted sixteen bits at a time: a cumulative sum is numpy's slow step (not
        # vectorised), so over half as many numbers as bytes; 32-bit, which is faster still.
        per_word = _POPCOUNT16[packed.view(np.uint16)]
        before = np.zeros(len(per_word) + 1, dtype=np.int32)
        np.cumsum(per_word, dtype=np.int32, out=before[1:])
        return packed, before

    def rank_of(self, position: int) -> int | None:
        """The rank of the match at `position`, or None if it does not match."""
        if not self.mask[position]:
            return None
        block = position // _BLOCK
        start = block * _BLOCK
        return int(self.before_block[block]) + int(np.count_nonzero(self.mask[start:position]))


@dataclass(frozen=True)
class AllMatches:
    """Every row of a segment (the empty filter)."""

    count: int

    def __len__(self) -> int:
        return self.count

    def positions(self) -> None:
        return None

    def take(self, ranks: IntArray) -> IntArray:
        return ranks

    def counts_before(self, positions: IntArray) -> IntArray:
        return positions

    def rank_of(self, position: int) -> int | None:
        return position


@dataclass(frozen=True)
class SparseMatches:
    """A segment's matching positions, listed (few enough that listing them is cheap)."""

    found: IntArray

    def __len__(self) -> int:
        return len(self.found)

    def positions(self) -> IntArray:
        return self.found

    def take(self, ranks: IntArray) -> IntArray:
        taken: IntArray = self.found[ranks]
        return taken

    def counts_before(self, positions: IntArray) -> IntArray:
        before: IntArray = np.searchsorted(self.found, positions, side="left")
        return before

    def rank_of(self, position: int) -> int | None:
        rank = int(np.searchsorted(self.found, position))
        return rank if rank < len(self.found) and int(self.found[rank]) == position else None


# Rows a TailMatches first looks at, from the newest back; each further look doubles them.
_TAIL_ROWS = 1 << 16
# Past this share of the segment, a TailMatches tests every row once and answers from that.
_TAIL_SHARE = 8


class TailMatches:
    """One text term's matches in a big segment: how many, from the column's use counts
    (no pass over the rows), and where, found from the newest row back only as far as
    asked. The list shows the newest matches, so a keystroke reads a few thousand rows of
    ten million; asking for older ones (End, a deep cursor) reads further, and past an
    eighth of the segment every row is tested once and the answers are those of the whole
    mask (SparseMatches or DenseMatches, as `_positions` would have made)."""

    def __init__(self, table: Mask, column: Column, count: int) -> None:
        self._table = table  # whether each string id matches
        self._column = column
        self._count = count
        self._start = len(column)  # the rows from here to the end have been tested
        self._found: IntArray = np.zeros(0, dtype=np.int64)  # their matches, ascending
        self._whole: SparseMatches | DenseMatches | None = None

    @classmethod
    def of(cls, table: Mask, column: Column, counts: Counts) -> TailMatches:
        inside = counts.ids < len(table)  # ids past the table match nothing
        count = int(counts.uses[inside][table[counts.ids[inside]]].sum())
        return cls(table, column, count)

    def __len__(self) -> int:
        return self._count

    @property
    def few(self) -> bool:
        """Few enough that all of them are listed once every row is tested (as
        `_positions` keeps a mask for many)."""
        return len(self._column) < DENSE_MIN_ROWS or self._count * DENSE_SHARE < len(self._column)

    def materialized(self) -> SparseMatches | DenseMatches:
        """Every row tested: the whole mask's matches."""
        if self._whole is None:
            mask = gathered(self._table, self._column)
            self._whole = SparseMatches(np.flatnonzero(mask)) if self.few else DenseMatches.of(mask)
        return self._whole

    def positions(self) -> IntArray:
        return self.materialized().positions()

    def take(self, ranks: IntArray) -> IntArray:
        if self._whole is None and len(ranks):
            self._reach_rank(int(ranks.min()))
        if self._whole is not None:
            return self._whole.take(ranks)
        taken: IntArray = self._found[ranks - (self._count - len(self._found))]
        return taken

    def counts_before(self, positions: IntArray) -> IntArray:
        if self._whole is None and len(positions):
            self._reach_row(int(positions.min()))
        if self._whole is not None:
            return self._whole.counts_before(positions)
        before: IntArray = (self._count - len(self._found)) + np.searchsorted(
            self._found, positions, side="left"
        )
        return before

    def rank_of(self, position: int) -> int | None:
        self._reach_row(position)
        if self._whole is not None:
            return self._whole.rank_of(position)
        if not self._table[self._column[position]]:
            return None
        return self._count - len(self._found) + int(np.searchsorted(self._found, position))

    def _reach_rank(self, rank: int) -> None:
        """Test back until the match of this rank (0 is the oldest) has been found."""
        while self._whole is None and self._count - len(self._found) > rank:
            self._extend(None)

    def _reach_row(self, position: int) -> None:
        """Test back until the row at `position` has been tested."""
        while self._whole is None and self._start > position:
            self._extend(position)

    def _extend(self, position: int | None) -> None:
        """Test the rows before the tested ones: twice as many as so far (at least
        _TAIL_ROWS), and back to `position` if that is further."""
        tested = len(self._column) - self._start
        start = self._start - max(tested, _TAIL_ROWS)
        if position is not None:
            start = min(start, position)
        start = max(start, 0)
        if (len(self._column) - start) * _TAIL_SHARE > len(self._column):
            self.materialized()
            return
        hits = gathered(self._table, self._column[start : self._start])
        self._found = np.concatenate([np.flatnonzero(hits) + start, self._found])
        self._start = start


# What a segment's matches are: one interface (len, positions, take, counts_before, rank_of).
Matches = Union[AllMatches, SparseMatches, DenseMatches, TailMatches]


@dataclass(frozen=True)
class Selection:
    """A filter's matches over the segments, newest first, without the merged list.

    Kept ascending (oldest first) inside: `base` are the first segment's matches; the other
    segments' matches are `extra_rowids`, sorted by (time, rowid), each at merged ascending
    position `extra_places`, and after `extra_after` of the first segment's rows (its
    insertion point there)."""

    first: Segment | None
    base: Matches
    extra_rowids: IntArray
    extra_places: IntArray
    extra_after: IntArray
    cache: Cache | None = None

    @classmethod
    def nothing(cls) -> Selection:
        empty = np.zeros(0, dtype=np.int64)
        return cls(None, SparseMatches(empty), empty, empty, empty)

    @classmethod
    def of(cls, segments: tuple[Segment, ...], matched: list[Matches], cache: Cache) -> Selection:
        first, base = segments[0], matched[0]
        times: list[Column] = []
        rowids: list[Column] = []
        afters: list[IntArray] = []
        for segment, matches in zip(segments[1:], matched[1:]):
            assert segment.placed is not None, "later segments are placed among the first's"
            found = matches.positions()
            if found is None:
                times.append(segment.times)
                rowids.append(segment.columns["rowid"])
                afters.append(segment.placed)
            elif len(found):
                times.append(segment.times[found])
                rowids.append(segment.columns["rowid"][found])
                afters.append(segment.placed[found])
        if not times:
            extra_rowids = after = np.zeros(0, dtype=np.int64)
        elif len(times) == 1:  # one segment's matches: already in (time, rowid) order
            extra_rowids, after = rowids[0].astype(np.int64), afters[0]
        else:
            order = np.lexsort(
                (np.concatenate(rowids).astype(np.int64), np.concatenate(times).astype(np.int64))
            )
            extra_rowids = np.concatenate(rowids).astype(np.int64)[order]
            after = np.concatenate(afters)[order]
        before = base.counts_before(after)
        places = before.astype(np.int64) + np.arange(len(after), dtype=np.int64)
        return cls(first, base, extra_rowids, places, after, cache)

    def __len__(self) -> int:
        return len(self.base) + len(self.extra_rowids)

    def rowids(self, start: int, stop: int) -> list[int]:
        """Rowids at list positions start..stop-1 (0 is the newest)."""
        total = len(self)
        start, stop = max(start, 0), min(stop, total)
        if stop <= start:
            return []
        ascending = total - 1 - np.arange(start, stop, dtype=np.int64)
        return [int(rowid) for rowid in self._rowids_at(ascending)]

    def all_rowids(self) -> IntArray:
        return self._rowids_at(np.arange(len(self) - 1, -1, -1, dtype=np.int64))

    def _rowids_at(self, ascending: IntArray) -> IntArray:
        out = np.zeros(len(ascending), dtype=np.int64)
        if not len(ascending) or self.first is None:
            return out
        slot = np.searchsorted(self.extra_places, ascending, side="left")
        inside = slot < len(self.extra_places)
        is_extra = np.zeros(len(ascending), dtype=np.bool_)
        is_extra[inside] = self.extra_places[slot[inside]] == ascending[inside]
        out[is_extra] = self.extra_rowids[slot[is_extra]]
        # A base row's rank among the base matches: its place less the extras before it.
        rank = ascending[~is_extra] - slot[~is_extra]
        out[~is_extra] = self.first.columns["rowid"][self.base.take(rank)]
        return out

    def position_of(self, rowid: int) -> int | None:
        """The list position of the event at `rowid`, if it is selected."""
        if self.first is None:
            return None
        total = len(self)
        hit = np.flatnonzero(self.extra_rowids == rowid)
        if len(hit):
            return total - 1 - int(self.extra_places[hit[0]])
        if rowid > self.first.max_rowid or rowid <= self.first.after_rowid:
            return None
        position = self._position_in_first(rowid)
        if position is None:
            return None
        rank = self.base.rank_of(position)
        if rank is None:
            return None
        extras_before = int(np.searchsorted(self.extra_after, position, side="right"))
        return total - 1 - (rank + extras_before)

    def _position_in_first(self, rowid: int) -> int | None:
        """Where the first segment holds `rowid`: its time from the cache, then a binary
        search for that second and a look along its run (no scan of the rowid column)."""
        assert self.first is not None
        rowids = self.first.columns["rowid"]
        times = self.cache.times_of([rowid]) if self.cache is not None else {}
        if rowid not in times:
            found = np.flatnonzero(rowids == rowid)
            return int(found[0]) if len(found) else None
        time = times[rowid]
        low = int(np.searchsorted(self.first.times, time, side="left"))
        high = int(np.searchsorted(self.first.times, time, side="right"))
        found = np.flatnonzero(rowids[low:high] == rowid)
        return low + int(found[0]) if len(found) else None
