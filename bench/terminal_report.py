"""The terminal benchmark's figures: what one launch measured, and the table of medians and
ratios printed at the end.

A ratio is taken within each round (rdstrail against the bare app launched just before it)
and the median of those is printed: on a shared machine the load moves from one round to the
next, and a ratio of neighbours cancels most of it, which a ratio of medians would not.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

TYPED = "modifydb"

Pick = Callable[["Run"], "float | None"]


@dataclass
class Run:
    """One launch of one app; seconds, and MB for the peak resident set."""

    launch: float = 0.0
    rss_mb: float = 0.0
    keystrokes: list[float] = field(default_factory=list)
    slash: float | None = None
    escape: float | None = None
    end: float | None = None
    page_ups: list[float] = field(default_factory=list)
    index_ready: float | None = None


@dataclass
class Rounds:
    """The runs of each app, round by round (the i-th of each list ran together)."""

    rdstrail: list[Run] = field(default_factory=list)
    one_line: list[Run] = field(default_factory=list)
    input_app: list[Run] = field(default_factory=list)


def median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def key_median(run: Run) -> float | None:
    return median_or_none(run.keystrokes)


def key_slowest(run: Run) -> float | None:
    return max(run.keystrokes, default=None)


def page_up_median(run: Run) -> float | None:
    return median_or_none(run.page_ups)


def page_up_slowest(run: Run) -> float | None:
    return max(run.page_ups, default=None)


@dataclass(frozen=True)
class Figure:
    label: str
    shown: Callable[[float | None], str]
    ours: Pick
    line: Pick | None = None  # the same figure of the bare one-line app, if it has one
    input: Pick | None = None  # and of the bare Input app
    # The ratio's denominator: which bare app, which of its figures, and its name.
    against: tuple[str, Pick, str] | None = None


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def millis(value: float | None) -> str:
    if value is None:
        return "-"
    ms = value * 1000
    decimals = 2 if ms < 1 else 1 if ms < 100 else 0
    return f"{ms:.{decimals}f} ms"


def megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} MB"


def _launch(run: Run) -> float | None:
    return run.launch


def _rss(run: Run) -> float | None:
    return run.rss_mb


FIGURES = (
    Figure("launch to the count on screen", seconds, _launch, _launch, _launch,
           ("line", _launch, "bare line launch")),
    Figure("  index ready ((indexing) gone)", seconds, lambda run: run.index_ready),
    Figure("/ focuses the filter", millis, lambda run: run.slash),
    Figure("keystroke, median of the 8", millis, key_median, None, key_median,
           ("input", key_median, "bare input key")),
    Figure("keystroke, slowest of the 8", millis, key_slowest, None, key_slowest,
           ("input", key_slowest, "bare input slowest")),
    Figure("Escape back to all events", millis, lambda run: run.escape),
    Figure("End", millis, lambda run: run.end, against=("input", key_median, "bare input key")),
    Figure("PageUp, median of the 10", millis, page_up_median,
           against=("input", key_median, "bare input key")),
    Figure("PageUp, slowest of the 10", millis, page_up_slowest,
           against=("input", key_median, "bare input key")),
    Figure("peak RSS (VmHWM) after typing", megabytes, _rss, _rss, _rss,
           ("line", _rss, "bare line RSS")),
)  # fmt: skip


def median_over(runs: Sequence[Run], pick: Pick | None) -> float | None:
    if pick is None:
        return None
    return median_or_none([value for value in map(pick, runs) if value is not None])


def ratio(rounds: Rounds, figure: Figure) -> str:
    if figure.against is None:
        return ""
    which, pick, name = figure.against
    bare_runs = rounds.one_line if which == "line" else rounds.input_app
    ratios = []
    for ours, bare in zip(rounds.rdstrail, bare_runs):
        numerator, denominator = figure.ours(ours), pick(bare)
        if numerator is not None and denominator:
            ratios.append(numerator / denominator)
    middle = median_or_none(ratios)
    return "-" if middle is None else f"{middle:.2f}  vs {name}"


def per_position(runs: Sequence[Run], pick: Callable[[Run], list[float]]) -> list[float]:
    """The median of each position (each key, each PageUp) across the runs."""
    width = min((len(pick(run)) for run in runs), default=0)
    return [statistics.median(pick(run)[i] for run in runs) for i in range(width)]


def report(rounds: Rounds) -> list[str]:
    """The table: each figure's median over the rounds, for rdstrail and the bare apps, and
    the median of the rounds' ratios."""
    header = ("figure (median of rounds)", "rdstrail", "bare line", "bare input", "ratio")
    rows: list[tuple[str, ...]] = [header]
    for figure in FIGURES:
        cells = [figure.label]
        for runs, pick in (
            (rounds.rdstrail, figure.ours),
            (rounds.one_line, figure.line),
            (rounds.input_app, figure.input),
        ):
            cells.append(figure.shown(median_over(runs, pick)) if pick else "")
        cells.append(ratio(rounds, figure))
        rows.append(tuple(cells))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]  # fmt: skip
    keys = per_position(rounds.rdstrail, lambda run: run.keystrokes)
    bare_keys = per_position(rounds.input_app, lambda run: run.keystrokes)
    page_ups = per_position(rounds.rdstrail, lambda run: run.page_ups)
    lines += [
        "",
        "each key (ms, median)  " + " ".join(f"{c:>7}" for c in TYPED),
        "  rdstrail             " + " ".join(f"{k * 1000:7.1f}" for k in keys),
        "  bare input           " + " ".join(f"{k * 1000:7.1f}" for k in bare_keys),
        "each PageUp (ms, median)  " + " ".join(f"{p * 1000:.1f}" for p in page_ups),
    ]
    return lines
