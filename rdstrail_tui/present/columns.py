"""The event table's columns: what each shows, how wide it may be, and which give way first
when a terminal is narrow. Both the CLI's table and the explorer's list are laid out here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.timefmt import format_time

COLUMN_GAP = "  "


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Event], str]
    minimum: int  # never narrower than this
    comfortable: int  # a column is dropped rather than squeezed below this
    maximum: int
    # The width a list that scrolls (and so cannot sample its rows) assumes values need.
    natural: int


# Left to right in order of importance: columns that do not fit are dropped from the right,
# so time and eventName always stay.
TABLE_COLUMNS: tuple[Column, ...] = (
    Column("TIME (UTC)", lambda e: format_time(e.event_time), 19, 19, 19, 19),
    Column("EVENT", lambda e: e.event_name, 12, 22, 40, 30),
    Column("PRINCIPAL", lambda e: e.principal, 10, 14, 40, 28),
    Column("RESOURCE", lambda e: e.resource, 8, 14, 32, 24),
    Column("SOURCE IP", lambda e: e.source_ip, 9, 15, 39, 15),
    Column("REGION", lambda e: e.region, 9, 9, 14, 14),
    Column("ERROR", lambda e: e.error_code or "", 5, 12, 32, 24),
)


def fit_columns(
    rows: list[list[str]],
    width: int | None,
    columns: tuple[Column, ...] = TABLE_COLUMNS,
    natural: list[int] | None = None,
) -> list[int]:
    """Widths for as many columns as fit in `width` (None: no limit), from sampled rows or,
    where the caller knows better (a list that scrolls), the given natural widths."""
    if natural is None:
        natural = [
            max([len(column.header), *(len(row[i]) for row in rows)])
            for i, column in enumerate(columns)
        ]
    if width is None:
        return natural
    wanted = [min(natural[i], column.maximum) for i, column in enumerate(columns)]
    comfortable = [min(wanted[i], column.comfortable) for i, column in enumerate(columns)]
    count = len(columns)
    while count > 2 and _span(comfortable[:count]) > width:
        count -= 1
    widths = comfortable[:count]
    # Room left over goes to the most important columns first, up to what their values need.
    for index in range(count):
        room = width - _span(widths)
        if room <= 0:
            break
        widths[index] += min(room, wanted[index] - widths[index])
    # Still too wide (a very narrow terminal): squeeze from the right, down to the minimums.
    for index in reversed(range(count)):
        excess = _span(widths) - width
        if excess <= 0:
            break
        floor = min(columns[index].minimum, wanted[index])
        widths[index] -= min(excess, max(widths[index] - floor, 0))
    return widths


def _span(widths: list[int]) -> int:
    return sum(widths) + len(COLUMN_GAP) * (len(widths) - 1)


def cell(text: str, width: int, ellipsis: str) -> str:
    if len(text) > width:
        return text[: max(width - len(ellipsis), 0)] + ellipsis
    return text.ljust(width)
