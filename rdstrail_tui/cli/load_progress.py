"""The load progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from rdstrail_tui.sources.load import LoadSummary
from rdstrail_tui.sources.sync import counted


class LoadProgress:
    """Files done of all, events added, records per second. Four refreshes a second at most,
    and no animation, so it stays cheap over a slow SSH link."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("loading"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            refresh_per_second=4,
        )
        self._task: TaskID | None = None

    def __enter__(self) -> LoadProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def update(self, summary: LoadSummary, total_files: int) -> None:
        if self._task is None:
            self._task = self._progress.add_task("load", total=total_files, detail="")
        rate = summary.records / summary.seconds if summary.seconds > 0 else 0.0
        detail = f"{counted(summary.new, 'new event')} · {rate:,.0f} records/s"
        self._progress.update(self._task, completed=summary.files, detail=detail)
