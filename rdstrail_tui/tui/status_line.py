"""The main screen's status line, fitted to the terminal's width.

Wide, it reads `rdstrail · SOURCE    N of M events    REGIONS · SPAN · SOURCES · LAST SYNC`.
Narrower, the least important parts are shortened or dropped one at a time until it fits;
the event counts (and `(indexing)`) are never shortened while anything else is left, and a
part that must be cut is cut with an ellipsis, never silently at the edge.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from functools import cached_property

from rich.cells import cell_len

from rdstrail_tui.present.timefmt import format_day, format_time

ELLIPSIS = "…"
WIDE_GAP = "    "
NARROW_GAP = "  "
# A source cut shorter than this says nothing: it is dropped instead.
MIN_SOURCE_CELLS = 8
# Regions listed by name (more are counted: "a, b, c +2").
MAX_REGIONS_NAMED = 3


@dataclass(frozen=True)
class Coverage:
    """What the cache covers. Strings are already printable (no raw control characters)."""

    regions: tuple[str, ...] = ()
    span: tuple[int, int] | None = None  # first and last event time, epoch seconds
    sources: int = 0
    last_sync: int | None = None  # epoch seconds

    @cached_property
    def forms(self) -> list[str]:
        """The coverage text from fullest to shortest: the number of sources goes first,
        then the last sync is shortened, the regions counted, the last sync dropped, the
        regions dropped, and the time span goes last. Ends with the empty form. Computed
        once: the status line is refitted at every keystroke, the coverage changes only
        with the index."""
        regions = ", ".join(self.regions[:MAX_REGIONS_NAMED])
        if len(self.regions) > MAX_REGIONS_NAMED:
            regions += f" +{len(self.regions) - MAX_REGIONS_NAMED}"
        few_regions = regions if len(self.regions) <= 1 else f"{len(self.regions)} regions"
        span = f"{format_day(self.span[0])} to {format_day(self.span[1])}" if self.span else ""
        sources = f"{self.sources} source{'s' if self.sources != 1 else ''}"
        synced = synced_short = ""
        if self.last_sync is not None:
            synced = f"last sync {format_time(self.last_sync)} UTC"
            moment = datetime.fromtimestamp(self.last_sync, timezone.utc)
            synced_short = f"synced {moment:%m-%d %H:%M}"
        ladder = [
            (regions, span, sources, synced),
            (regions, span, synced),
            (regions, span, synced_short),
            (few_regions, span, synced_short),
            (few_regions, span),
            (span,),
            (),
        ]
        forms: list[str] = []
        for parts in ladder:
            text = " · ".join(part for part in parts if part)
            if not forms or forms[-1] != text:
                forms.append(text)
        return forms


@dataclass(frozen=True)
class _Form:
    prefix: bool
    source: str
    gap: str
    coverage: str

    def text(self, counts: str) -> str:
        head = f"rdstrail · {self.source}" if self.prefix else self.source
        parts = [part for part in (head, counts, self.coverage) if part]
        return self.gap.join(parts)


def _home_as_tilde(source: str) -> str:
    home = os.path.expanduser("~")
    if len(home) > 1 and source.startswith(home + os.sep):
        return "~" + source[len(home) :]
    return source


def cut_left(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, its start replaced by an ellipsis if it is cut."""
    if cell_len(text) <= cells:
        return text
    kept: list[str] = []
    room = cells - cell_len(ELLIPSIS)
    for char in reversed(text):
        room -= cell_len(char)
        if room < 0:
            break
        kept.append(char)
    return ELLIPSIS + "".join(reversed(kept)) if cells > 0 else ""


def cut_right(text: str, cells: int) -> str:
    """`text` in at most `cells` cells, its end replaced by an ellipsis if it is cut."""
    if cell_len(text) <= cells:
        return text
    kept: list[str] = []
    room = cells - cell_len(ELLIPSIS)
    for char in text:
        room -= cell_len(char)
        if room < 0:
            break
        kept.append(char)
    return "".join(kept) + ELLIPSIS if cells > 0 else ""


def _forms(source: str, coverage: Coverage | None) -> Iterator[_Form]:
    """Every form of the line, fullest first, each shorter than the one before."""
    covers = coverage.forms if coverage is not None else [""]
    form = _Form(prefix=True, source=source, gap=WIDE_GAP, coverage=covers[0])
    yield form
    # First what costs nothing to read: narrower gaps, ~ for the home directory, the name
    # of the program the user is running.
    form = replace(form, gap=NARROW_GAP)
    yield form
    form = replace(form, source=_home_as_tilde(source))
    yield form
    form = replace(form, prefix=False)
    yield form
    # Then the coverage, part by part.
    for cover in covers[1:]:
        form = replace(form, coverage=cover)
        yield form


def status_line(
    source: str,
    shown: int,
    total: int,
    *,
    width: int,
    indexing: bool = False,
    coverage: Coverage | None = None,
) -> str:
    """The status line in at most `width` cells (given `width` of 1 or more). While the
    index builds the coverage is not known: `indexing` shows that instead."""
    counts = f"{shown:,} of {total:,} events"
    if indexing:
        counts += "  (indexing)"
        coverage = None
    last = None
    for form in _forms(source, coverage):
        text = form.text(counts)
        if cell_len(text) <= width:
            return text
        last = form
    assert last is not None
    # Only the source and the counts are left: the source gives way, cut from its start
    # (a path's file name is its end), then dropped.
    room = width - cell_len(counts) - cell_len(last.gap)
    if room >= MIN_SOURCE_CELLS:
        return last.gap.join((cut_left(last.source, room), counts))
    return cut_right(counts, width)
