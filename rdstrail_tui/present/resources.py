"""The resources list's columns, for the resources screen and `rdstrail resources`: one
place says what each column shows and how it is cut to fit."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

from rdstrail_tui.model.history import ResourceSummary
from rdstrail_tui.model.risk import flags_in
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import Keep, pad, shorten
from rdstrail_tui.present.timefmt import format_time

__all__ = [
    "RESOURCE_COLUMNS",
    "ResourceColumn",
    "fit_columns",
    "resource_record",
    "resource_values",
]


class ResourceColumn(NamedTuple):
    key: str
    title: str
    min_width: int
    max_width: int
    keep: Keep
    priority: int  # the lower, the longer it stays when the width runs out


RESOURCE_COLUMNS: tuple[ResourceColumn, ...] = (
    ResourceColumn("type", "TYPE", 8, 16, "start", 1),
    ResourceColumn("identifier", "IDENTIFIER", 12, 40, "end", 0),
    ResourceColumn("account", "ACCOUNT", 12, 12, "start", 6),
    ResourceColumn("region", "REGION", 9, 14, "start", 5),
    ResourceColumn("first", "FIRST SEEN", 16, 16, "start", 7),
    ResourceColumn("last", "LAST SEEN", 16, 16, "start", 2),
    ResourceColumn("writes", "WRITES", 6, 6, "start", 3),
    ResourceColumn("writer", "LAST WRITER", 10, 30, "principal", 4),
    ResourceColumn("operation", "LAST WRITE", 10, 28, "start", 3),
    ResourceColumn("deleted", "DELETED", 7, 7, "start", 2),
    ResourceColumn("flags", "RISK", 4, 40, "start", 8),
)


def _minutes(epoch: int | None) -> str:
    return format_time(epoch)[:16] if epoch is not None else "-"


def resource_values(summary: ResourceSummary) -> dict[str, str]:
    """Every column's text for one resource, already printable."""
    s = summary
    resource = s.resource
    return {
        "type": resource.type,
        "identifier": printable(resource.identifier),
        "account": printable(resource.account),
        "region": printable(resource.region) or "-",
        "first": _minutes(s.first_seen),
        "last": _minutes(s.last_seen),
        "writes": f"{s.writes:,}",
        "writer": printable(s.last_writer) or "-",
        "operation": printable(s.last_write_name) or "-",
        "deleted": "deleted" if s.deleted else "",
        "flags": " ".join(f.name for f in flags_in(s.flags)),
    }


def resource_record(summary: ResourceSummary) -> dict[str, object]:
    """One resource for JSON and CSV: whole values, times as ISO text."""
    s = summary
    resource = s.resource
    return {
        "type": resource.type,
        "identifier": resource.identifier,
        "account": resource.account,
        "region": resource.region,
        "first_seen": format_time(s.first_seen) if s.first_seen else None,
        "last_seen": format_time(s.last_seen) if s.last_seen else None,
        "events": s.events,
        "writes": s.writes,
        "last_writer": s.last_writer or None,
        "last_write": s.last_write_name or None,
        "deleted": s.deleted,
        "risk_flags": [f.name for f in flags_in(s.flags)],
    }


def fit_columns(
    rows: Sequence[dict[str, str]], width: int, columns: Sequence[ResourceColumn] = RESOURCE_COLUMNS
) -> list[tuple[ResourceColumn, int]]:
    """The columns that fit in `width` (two spaces between), each with its width: as wide as
    its widest value (within its bounds), dropping the least needed first."""
    wanted = [
        (c, max(min(max([len(r[c.key]) for r in rows] + [len(c.title)]), c.max_width), c.min_width))
        for c in columns
    ]
    kept = list(wanted)

    def total() -> int:
        return sum(w for _, w in kept) + 2 * (len(kept) - 1)

    # Drop the least needed columns first (priority above _ALWAYS), then narrow the widest
    # elastic ones towards their minimum, then drop whatever still does not fit.
    while kept and total() > width:
        droppable = [i for i, (c, _) in enumerate(kept) if c.priority > _ALWAYS]
        elastic = [(i, c, w) for i, (c, w) in enumerate(kept) if w > c.min_width]
        if droppable:
            del kept[max(droppable, key=lambda i: kept[i][0].priority)]
        elif elastic:
            # One cell at a time from the one with the most to spare (balanced), the
            # identifier last: it is what a row is read for.
            others = [item for item in elastic if item[1].key != "identifier"] or elastic
            i, c, w = max(others, key=lambda item: item[2] - item[1].min_width)
            kept[i] = (c, w - 1)
        else:
            del kept[max(range(len(kept)), key=lambda i: kept[i][0].priority)]
    return kept


# Columns of this priority or lower are narrowed before they are dropped.
_ALWAYS = 3


def table_lines(rows: Sequence[dict[str, str]], width: int) -> Iterator[str]:
    layout = fit_columns(rows, width)
    yield "  ".join(pad(c.title, w) for c, w in layout).rstrip()
    for row in rows:
        yield "  ".join(pad(shorten(row[c.key], w, c.keep), w) for c, w in layout).rstrip()
