"""Live sync progress on stderr: one line per account-region, refreshed a few times a second
(no animation, cheap over a slow SSH link), shown only when stderr is a terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.sources.sync import SyncSummary, progress_note


def progress_table(summary: SyncSummary) -> RenderableType:
    table = Table(box=None, pad_edge=False, show_edge=False)
    note = progress_note(summary)
    if note:  # Athena, Lake: the query's stage and what it has cost so far
        line = Text(printable(note))
        if not summary.regions:  # still querying: nothing brought back yet
            return line
        return Group(line, _pushed_down_rows(table, summary))
    for header in ("ACCOUNT/REGION", "PAGES", "OBJECTS", "EVENTS", "NEW", "REQ/S", "THROTTLED"):
        table.add_column(header, justify="left" if header == "ACCOUNT/REGION" else "right")
    table.add_column("STATE")
    elapsed = max(summary.seconds, 1e-6)
    for key, region in sorted(summary.regions.items()):
        state = region.error or ("done" if region.done else "syncing")
        table.add_row(
            # Text, never markup: account and region names come from the bucket's listing.
            Text(printable(key)),
            f"{region.pages:,}",
            f"{region.objects:,}"
            + (f" (+{region.objects_skipped:,} had)" if region.objects_skipped else ""),
            f"{region.events_seen:,}",
            f"{region.events_new:,}",
            f"{region.requests / elapsed:.1f}",
            f"{region.throttles:,}",
            Text(printable(state)),
        )
    return table


def _pushed_down_rows(table: Table, summary: SyncSummary) -> Table:
    """What an Athena or Lake sync has brought back so far, per account-region (no pages or
    request rates: the query does the work there)."""
    for header in ("ACCOUNT/REGION", "OBJECTS", "EVENTS", "NEW"):
        table.add_column(header, justify="left" if header == "ACCOUNT/REGION" else "right")
    for key, region in sorted(summary.regions.items()):
        table.add_row(
            Text(printable(key)),
            f"{region.objects:,}",
            f"{region.events_seen:,}",
            f"{region.events_new:,}",
        )
    return table


class SyncProgress:
    def __init__(self, console: Console) -> None:
        self._live = Live(console=console, refresh_per_second=4, transient=True)

    def __enter__(self) -> SyncProgress:
        self._live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._live.stop()

    def update(self, summary: SyncSummary) -> None:
        self._live.update(progress_table(summary))
