"""The event table's columns: what each shows, how its values are cut, how wide it may be,
and which give way first when a terminal is narrow. Both the CLI's table and the explorer's
list are laid out here.

Widths come from the content: the CLI measures the rows it samples, the explorer the values
its cache holds (a high percentile of their lengths, so that one long value does not widen a
column for all the others). Room is handed out in this order:

1. The essential columns, which answer "who did what to which resource, and did it fail"
   (TIME, EVENT, PRINCIPAL, RESOURCE, ERROR), are kept at their minimums while they fit;
   the others (SOURCE IP, REGION) only once every column before them has its comfortable
   width. At 80 columns this keeps a failed call's errorCode on screen, where a SOURCE IP
   would have been: the IP is one Right away, or in the opened event's card.
2. Every column kept is brought towards its comfortable width, each in proportion to what it
   lacks.
3. What is left goes to PRINCIPAL and RESOURCE (whose values are long and told apart by their
   ends), then to the others, each up to what its values need.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.shorten import ELLIPSIS, Keep, cell_len, pad, shorten
from rdstrail_tui.present.timefmt import format_time

COLUMN_GAP = "  "
# Below its comfortable widths a tight layout closes the gaps to one space: four cells at
# 80 columns, which a cut principal or resource needs more than the air between columns.
TIGHT_GAP = " "
# The share of values a measured width shows whole (the 95th percentile of their lengths).
SHOWN_WHOLE = 0.95


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Event], str]
    # The Event field shown: the explorer measures the cache's values of it.
    field: str
    keep: Keep  # where a value too long is cut (present/shorten.py)
    minimum: int  # dropped rather than narrower than this
    comfortable: int  # what it gets before lower columns are let in or others grow
    maximum: int  # never wider, however long its values
    # The width a list assumes its values need until it has measured them.
    natural: int
    essential: bool = False  # kept at its minimum rather than dropped (see above)
    grows: bool = False  # gets the room left over first


TIME = Column(
    "TIME (UTC)",
    lambda e: format_time(e.event_time),
    "event_time",
    "start",
    19,
    19,
    19,
    19,
    essential=True,
)
EVENT = Column(
    "EVENT", lambda e: e.event_name, "event_name", "start", 14, 20, 30, 24, essential=True
)
PRINCIPAL = Column(
    "PRINCIPAL",
    lambda e: e.principal,
    "principal",
    "principal",
    10,
    18,
    48,
    28,
    essential=True,
    grows=True,
)
RESOURCE = Column(
    "RESOURCE",
    lambda e: e.resource,
    "resource",
    "end",
    8,
    16,
    48,
    24,
    essential=True,
    grows=True,
)
ERROR = Column(
    "ERROR", lambda e: e.error_code or "", "error_code", "start", 8, 12, 32, 24, essential=True
)
# IPv4 addresses are at most 15 wide, and one cut short reads as another address.
SOURCE_IP = Column("SOURCE IP", lambda e: e.source_ip, "source_ip", "start", 12, 15, 39, 15)
REGION = Column("REGION", lambda e: e.region, "region", "start", 9, 14, 14, 14)

# Left to right in order of importance: columns that do not fit are dropped from the right,
# so time and eventName always stay.
TABLE_COLUMNS: tuple[Column, ...] = (TIME, EVENT, PRINCIPAL, RESOURCE, ERROR, SOURCE_IP, REGION)


def errors_first(column: Column) -> Column:
    """ERROR as it is when every row listed failed (a filter with is:error): the why is what
    is being read, so it is kept at a readable width before the others grow."""
    return replace(column, minimum=max(column.minimum, 14), comfortable=max(column.comfortable, 24))


def fit_columns(
    rows: list[list[str]],
    width: int | None,
    columns: Sequence[Column] = TABLE_COLUMNS,
    natural: Sequence[int] | None = None,
) -> list[int]:
    """Widths for as many columns as fit in `width` (None: no limit), from the first:
    measured on sampled rows or, where the caller knows better (a list that scrolls over a
    measured cache), from the given natural widths. Laid out with COLUMN_GAP."""
    if natural is None:
        natural = measure_rows(rows, columns)
    if width is None:
        return [max(n, len(c.header)) for n, c in zip(natural, columns)]
    return Layout.fit(columns, natural, width, gap=len(COLUMN_GAP)).widths


def measure_rows(rows: list[list[str]], columns: Sequence[Column]) -> list[int]:
    """What each column's sampled values need: the longest (0 when no row has one)."""
    return [max((cell_len(row[i]) for row in rows), default=0) for i in range(len(columns))]


def percentile_width(lengths: Mapping[int, int], share: float = SHOWN_WHOLE) -> int:
    """The width that shows `share` of the values whole, from how many values there are of
    each length ({length: count}); 0 when there are none."""
    total = sum(lengths.values())
    if total <= 0:
        return 0
    seen = 0
    for length in sorted(lengths):
        seen += lengths[length]
        if seen >= share * total:
            return length
    return max(lengths)


@dataclass(frozen=True)
class Layout:
    """Widths for the first `len(widths)` of some columns, and the gap between them."""

    widths: list[int]
    gap: int

    @property
    def span(self) -> int:
        return _span(self.widths, self.gap)

    @classmethod
    def fit(
        cls,
        columns: Sequence[Column],
        natural: Sequence[int],
        width: int,
        gap: int = len(COLUMN_GAP),
        keep: int = 0,
    ) -> Layout:
        """Lay out in `width` cells: see the module's docstring. The columns before `keep`
        are kept like essential ones whatever they are (a column scrolled into view)."""
        # A column with no values (no failure among the rows) still shows its header, but
        # is not essential: its room is worth more to the others.
        wanted = [min(max(need, len(c.header)), c.maximum) for need, c in zip(natural, columns)]
        essential = [
            index < keep or (c.essential and need > 0)
            for index, (need, c) in enumerate(zip(natural, columns))
        ]
        floor = [min(c.minimum, w) for c, w in zip(columns, wanted)]
        comfortable = [min(c.comfortable, w) for c, w in zip(columns, wanted)]
        count = _admitted(essential, floor, comfortable, width, gap)
        widths = floor[:count]
        _fill(widths, comfortable[:count], range(count), width, gap)
        growing = [i for i in range(count) if columns[i].grows]
        _fill(widths, wanted[:count], growing, width, gap)
        for index in range(count):  # then the others, most important first
            _fill(widths, wanted[:count], [index], width, gap)
        _squeeze(widths, columns, wanted, width, gap)
        return cls(widths, gap)

    @classmethod
    def best(
        cls, columns: Sequence[Column], natural: Sequence[int], width: int, keep: int = 0
    ) -> Layout:
        """`fit` with COLUMN_GAP, or with TIGHT_GAP where that is not enough to give every
        column shown its comfortable width (or to show as many columns)."""
        loose = cls.fit(columns, natural, width, len(COLUMN_GAP), keep)
        if _comfortable(loose, columns, natural):
            return loose
        tight = cls.fit(columns, natural, width, len(TIGHT_GAP), keep)
        return tight if len(tight.widths) >= len(loose.widths) else loose


def _comfortable(layout: Layout, columns: Sequence[Column], natural: Sequence[int]) -> bool:
    return all(
        width >= min(column.comfortable, max(need, len(column.header)), column.maximum)
        for width, column, need in zip(layout.widths, columns, natural)
    )


def _admitted(
    essential: list[bool],
    floor: list[int],
    comfortable: list[int],
    width: int,
    gap: int,
) -> int:
    """How many columns, from the first, are kept: an essential column at its floor, any
    other only with it and all before it at their comfortable widths. The first two always
    (time and what happened, or the first column scrolled in)."""
    count = min(2, len(floor))
    for index in range(count, len(floor)):
        needed = floor if essential[index] else comfortable
        if _span(needed[: index + 1], gap) > width:
            break
        count = index + 1
    return count


def _fill(
    widths: list[int], targets: list[int], indices: Sequence[int], width: int, gap: int
) -> None:
    """Widen the columns at `indices` towards their targets, sharing the room left in
    proportion to what each lacks."""
    for _ in range(len(indices)):  # at most one pass per column: each pass fills one up
        room = width - _span(widths, gap)
        lacking = {i: targets[i] - widths[i] for i in indices if targets[i] > widths[i]}
        if room <= 0 or not lacking:
            return
        total = sum(lacking.values())
        if total <= room:
            for i, need in lacking.items():
                widths[i] += need
            return
        given = 0
        for i, need in lacking.items():
            share = need * room // total
            widths[i] += share
            given += share
        # Rounding leaves a few cells: to the most important columns that still lack.
        for i in lacking:
            if given >= room:
                break
            if widths[i] < targets[i]:
                widths[i] += 1
                given += 1


def _squeeze(
    widths: list[int], columns: Sequence[Column], wanted: list[int], width: int, gap: int
) -> None:
    """Still too wide (a very narrow terminal): squeeze from the right, down to the
    minimums."""
    for index in reversed(range(len(widths))):
        excess = _span(widths, gap) - width
        if excess <= 0:
            return
        floor = min(columns[index].minimum, wanted[index])
        widths[index] -= min(excess, max(widths[index] - floor, 0))


def _span(widths: Sequence[int], gap: int = len(COLUMN_GAP)) -> int:
    return sum(widths) + gap * (len(widths) - 1)


def cell(text: str, width: int, ellipsis: str = ELLIPSIS, keep: Keep = "start") -> str:
    """`text` in exactly `width` cells: cut where `keep` says (its column's `keep`), or
    padded. `ellipsis` other than "…" only for an output that cannot encode it."""
    return pad(shorten(text, width, keep, ellipsis=ellipsis), width)


def cells(values: Sequence[str], widths: Sequence[int], columns: Sequence[Column]) -> list[str]:
    """Each value cut or padded to its column's width, the way that column cuts."""
    return [cell(v, w, keep=c.keep) for v, w, c in zip(values, widths, columns)]
