"""One segment of the explorer's index: the filterable columns of every event in one range of
rowids, oldest first, in memory or memory-mapped from a file beside the cache.

A segment covers the rowids in (after_rowid, max_rowid] and holds its rows sorted by
(event_time, rowid), so a time is found by binary search and a later segment's rows can be
placed among its own without reading its columns. With each column it keeps how often each
string id is used in the text columns: what the list's widths and the status line's regions
are computed from, and the only strings a substring filter must look at.

The file: the arrays one after another (each 64-byte aligned), then a JSON footer naming
each one's dtype, offset, length and CRC-32, then the footer's length and a magic number.
Written front to back in one pass (the arrays may be made one at a time, so a merge of ten
million rows holds one column at once), read by mapping the file: opening costs nothing
whatever its size, and only the pages a filter touches are read.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import warnings
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import orjson

from rdstrail_tui.cache.schema import INDEX_COLUMNS, SCHEMA_VERSION
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.query.language import SUBSTRING_FIELDS

Column = npt.NDArray[Any]
IntArray = npt.NDArray[np.int64]

FORMAT = 1
MAGIC = b"RDSTIDX1"
_TAIL = 16  # footer length (8 bytes, little-endian) and the magic
_ALIGN = 64
COLUMNS: tuple[str, ...] = tuple(INDEX_COLUMNS)
# The text columns whose use counts each segment keeps (every column a filter key names).
COUNTED: tuple[str, ...] = tuple(dict.fromkeys(SUBSTRING_FIELDS.values()))
# Rows read from the cache per statement when building: bounded memory at any size.
BUILD_ROWS = 500_000
# Bytes read per call when checking a file's CRCs (through read(), not the mapping, so the
# check does not make the pages part of the explorer's memory).
_CHECK_BYTES = 1 << 20


class SegmentError(Exception):
    """A segment file that cannot be trusted: missing, cut short, of another format."""


@dataclass(frozen=True)
class Counts:
    """How often each string id is used in one column: ids ascending, uses beside them."""

    ids: IntArray
    uses: IntArray

    @classmethod
    def of(cls, column: Column) -> Counts:
        if not len(column):
            return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        counts = np.bincount(column.astype(np.int64, copy=False))
        ids = np.flatnonzero(counts)
        return cls(ids.astype(np.int64), counts[ids].astype(np.int64))

    @classmethod
    def combined(cls, parts: Iterable[Counts]) -> Counts:
        parts = [part for part in parts if len(part.ids)]
        if not parts:
            return cls.of(np.zeros(0, dtype=np.int64))
        if len(parts) == 1:
            return parts[0]
        ids, inverse = np.unique(np.concatenate([p.ids for p in parts]), return_inverse=True)
        uses = np.bincount(inverse, weights=np.concatenate([p.uses for p in parts]))
        return cls(ids.astype(np.int64), uses.astype(np.int64))


@dataclass(frozen=True)
class Segment:
    after_rowid: int
    max_rowid: int
    columns: dict[str, Column]  # every name of COLUMNS, sorted by (event_time, rowid)
    counts: dict[str, Counts]  # every name of COUNTED
    token: str = ""  # the cache's index token it was built under
    path: Path | None = None  # the file it is mapped from, if any
    # For a segment after the first: how many of the first's rows come before each of its
    # rows (its place in the first's order), so that a filter's matches here are placed
    # among the first's without a search. None for the first segment.
    placed: IntArray | None = None

    def __len__(self) -> int:
        return len(self.columns["rowid"])

    @property
    def times(self) -> Column:
        return self.columns["event_time"]


def narrowed(values: npt.NDArray[np.int64], name: str) -> Column:
    """The smallest dtype holding the column: string ids and rowids fit 32 bits (16 for the
    few distinct names, regions and accounts of most caches), read_only 8; time keeps 64."""
    if name == "event_time":
        return values.astype(np.int64, copy=False)
    if name == "read_only":
        return values.astype(np.int8)
    low = int(values.min(initial=0))
    high = int(values.max(initial=0))
    if low >= 0 and high < 1 << 16:
        return values.astype(np.uint16)
    if low >= 0 and high < 1 << 32:
        return values.astype(np.uint32)
    return values.astype(np.int64, copy=False)


def _parse(text: str) -> npt.NDArray[np.int64]:
    if not text:
        return np.zeros(0, dtype=np.int64)
    with warnings.catch_warnings():
        # numpy flags fromstring's binary mode as deprecated; its text mode (sep=",") is the
        # fastest parser of a long list of integers there is in numpy.
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.fromstring(text, dtype=np.int64, sep=",")


def built(cache: Cache, after_rowid: int, upto_rowid: int | None = None) -> Segment | None:
    """A segment of the cached events with rowids in (after_rowid, upto_rowid], read from
    the cache in ranges of BUILD_ROWS rowids; None when there are none."""
    upto = cache.max_rowid() if upto_rowid is None else upto_rowid
    token = cache.index_token()
    parts: dict[str, list[Column]] = {name: [] for name in COLUMNS}
    start = after_rowid
    while start < upto:
        stop = min(start + BUILD_ROWS, upto)
        texts = cache.index_columns(COLUMNS, after_rowid=start, upto_rowid=stop)
        for position, name in enumerate(COLUMNS):
            parts[name].append(narrowed(_parse(texts[position]), name))
            texts[position] = ""
        start = stop
    rows = sum(len(part) for part in parts["rowid"])
    if not rows:
        return None
    columns = {name: _joined(parts.pop(name), name) for name in COLUMNS}
    order = np.lexsort((columns["rowid"], columns["event_time"]))
    if not _is_identity(order):
        columns = {name: column[order] for name, column in columns.items()}
    del order
    max_rowid = int(columns["rowid"].max())
    counts = {name: Counts.of(columns[name]) for name in COUNTED}
    return Segment(after_rowid, max(max_rowid, upto), columns, counts, token)


def _joined(parts: list[Column], name: str) -> Column:
    if len(parts) == 1:
        return parts[0]
    return narrowed(np.concatenate([p.astype(np.int64) for p in parts]), name)


def _is_identity(order: IntArray) -> bool:
    return bool(len(order) == 0 or (order[0] == 0 and np.all(order[1:] > order[:-1])))


def merged(older: Segment, newer: Segment) -> Segment:
    """One segment of both (newer's rowids all above older's), in memory."""
    columns = dict(_merged_arrays(older, newer))
    counts = {name: Counts.combined((older.counts[name], newer.counts[name])) for name in COUNTED}
    return Segment(older.after_rowid, newer.max_rowid, columns, counts, newer.token)


def placed_after(first: Segment, later: Segment) -> Segment:
    """`later` with its place among `first`'s rows (Segment.placed). Every rowid of
    `later` is above `first`'s, so of one second its rows come after the first's."""
    return replace(later, placed=_places(first, later))


def _places(older: Segment, newer: Segment) -> IntArray:
    """How many of `older`'s rows come before each of `newer`'s (newer's rowids are all
    above, so of one second its rows come after)."""
    places: IntArray = np.searchsorted(older.times, newer.times, side="right").astype(np.int64)
    return places


def _placement(older: Segment, newer: Segment) -> npt.NDArray[np.bool_]:
    """Where the newer rows go among the older ones: True at their places in the result."""
    if newer.after_rowid != older.max_rowid:
        raise ValueError("segments must be adjacent ranges of rowids")
    places = _places(older, newer) + np.arange(len(newer), dtype=np.int64)
    is_newer = np.zeros(len(older) + len(newer), dtype=np.bool_)
    is_newer[places] = True
    return is_newer


def _merged_arrays(older: Segment, newer: Segment) -> Iterator[tuple[str, Column]]:
    """The merged columns one at a time (a caller writing them holds one at once)."""
    is_newer = _placement(older, newer)
    for name in COLUMNS:
        a, b = older.columns[name], newer.columns[name]
        out = np.empty(len(is_newer), dtype=np.result_type(a.dtype, b.dtype))
        out[is_newer] = b
        out[~is_newer] = a
        yield name, out
        del out
        for segment in (older, newer):
            _let_go(segment.columns[name])


def _let_go(column: Column) -> None:
    """Drop a mapped column's pages from this process's memory (they stay in the system's
    page cache): merging into ten million rows reads every column of the big file once,
    which would otherwise all count as this process's memory until it exits."""
    memory: object = column.base
    if isinstance(memory, memoryview):  # np.frombuffer keeps the mapping behind a view
        memory = memory.obj
    if isinstance(memory, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        with contextlib.suppress(OSError, ValueError):
            memory.madvise(mmap.MADV_DONTNEED)


# -- files ---------------------------------------------------------------------------------


def write(segment: Segment, path: Path) -> None:
    """Write the segment to `path` (created owner-only; it must not exist)."""
    columns: list[tuple[str, Column]] = list(segment.columns.items())
    if segment.placed is not None:
        columns.append(("placed", segment.placed))
    _write_file(path, segment, len(segment), columns, segment.counts)


def write_merged(older: Segment, newer: Segment, path: Path) -> None:
    """Write the merge of two adjacent segments to `path`, a column at a time: merging into
    ten million rows holds one merged column in memory, not all of them."""
    counts = {name: Counts.combined((older.counts[name], newer.counts[name])) for name in COUNTED}
    shape = Segment(older.after_rowid, newer.max_rowid, {}, counts, newer.token)
    _write_file(path, shape, len(older) + len(newer), _merged_arrays(older, newer), counts)


def _write_file(
    path: Path,
    segment: Segment,
    rows: int,
    columns: Iterable[tuple[str, Column]],
    counts: dict[str, Counts],
) -> None:
    def arrays() -> Iterator[tuple[str, Column]]:
        yield from columns
        for name, count in counts.items():
            yield f"ids.{name}", count.ids
            yield f"uses.{name}", count.uses

    descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        described = _write_arrays(handle, arrays())
        footer = {
            "format": FORMAT,
            "schema": SCHEMA_VERSION,
            "token": segment.token,
            "after_rowid": segment.after_rowid,
            "max_rowid": segment.max_rowid,
            "rows": rows,
            "arrays": described,
        }
        text = orjson.dumps(footer)
        handle.write(text)
        handle.write(len(text).to_bytes(8, "little"))
        handle.write(MAGIC)


def _write_arrays(handle: BinaryIO, arrays: Iterable[tuple[str, Column]]) -> dict[str, Any]:
    described: dict[str, Any] = {}
    offset = 0
    for name, array in arrays:
        data = np.ascontiguousarray(array)
        padding = -offset % _ALIGN
        handle.write(b"\0" * padding)
        offset += padding
        view = data.data.cast("B") if data.size else memoryview(b"")
        handle.write(view)
        described[name] = {
            "dtype": data.dtype.str,
            "offset": offset,
            "length": int(data.size),
            "crc": zlib.crc32(view),
        }
        offset += data.nbytes
    return described


def opened(path: Path) -> Segment:
    """The segment in `path`, its arrays mapped read-only (nothing read yet). Raises
    SegmentError for a file that is cut short, of another format or of another schema."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size < _TAIL:
                raise SegmentError(f"{path}: too short")
            handle.seek(size - _TAIL)
            tail = handle.read(_TAIL)
            if tail[8:] != MAGIC:
                raise SegmentError(f"{path}: not an index segment")
            length = int.from_bytes(tail[:8], "little")
            if length > size - _TAIL:
                raise SegmentError(f"{path}: footer cut short")
            handle.seek(size - _TAIL - length)
            footer = orjson.loads(handle.read(length))
            memory = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else None
    except (OSError, ValueError) as error:
        raise SegmentError(f"{path}: {error}") from None
    return _segment_of(path, footer, memory, size - _TAIL - length)


def _segment_of(path: Path, footer: Any, memory: mmap.mmap | None, end: int) -> Segment:
    try:
        if footer["format"] != FORMAT or footer["schema"] != SCHEMA_VERSION:
            raise SegmentError(f"{path}: written for another version")
        arrays: dict[str, Column] = {}
        for name, spec in footer["arrays"].items():
            dtype = np.dtype(spec["dtype"])
            offset, length = int(spec["offset"]), int(spec["length"])
            if offset < 0 or offset + length * dtype.itemsize > end or memory is None:
                raise SegmentError(f"{path}: {name} lies beyond the data")
            arrays[name] = np.frombuffer(memory, dtype=dtype, count=length, offset=offset)
        rows = int(footer["rows"])
        columns = {name: arrays[name] for name in COLUMNS}
        counts = {name: Counts(arrays[f"ids.{name}"], arrays[f"uses.{name}"]) for name in COUNTED}
        placed = arrays.get("placed")
    except (KeyError, TypeError) as error:
        raise SegmentError(f"{path}: footer lacks {error}") from None
    if any(len(column) != rows for column in columns.values()) or (
        placed is not None and len(placed) != rows
    ):
        raise SegmentError(f"{path}: columns of unequal lengths")
    return Segment(
        int(footer["after_rowid"]),
        int(footer["max_rowid"]),
        columns,
        counts,
        str(footer["token"]),
        path,
        None if placed is None else placed.astype(np.int64, copy=False),
    )


def intact(path: Path) -> bool:
    """Every array of the file has the CRC its footer gives (a read of the whole file, in
    pieces, outside the mapping): what catches a file damaged in the middle."""
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            handle.seek(size - _TAIL)
            length = int.from_bytes(handle.read(8), "little")
            handle.seek(size - _TAIL - length)
            footer = orjson.loads(handle.read(length))
            for spec in footer["arrays"].values():
                handle.seek(int(spec["offset"]))
                remaining = int(spec["length"]) * np.dtype(spec["dtype"]).itemsize
                crc = 0
                while remaining > 0:
                    piece = handle.read(min(remaining, _CHECK_BYTES))
                    if not piece:
                        return False
                    crc = zlib.crc32(piece, crc)
                    remaining -= len(piece)
                if crc != int(spec["crc"]):
                    return False
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return True
