"""Every Textual message of the explorer, in one place.

Messages carry data only. Those of the background jobs come in pairs per job kind (a
progress report, then the end) and share two bases, `JobProgressed` and `JobFinished`, so
that one handler (`@on(JobProgressed)`) takes every kind; the kinds stay distinct classes
for whoever watches the message stream (tests, message hooks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:  # annotations only: these load with the jobs and the index, after the first paint
    from rdstrail_tui.query.memory import EventIndex
    from rdstrail_tui.sources.load import LoadSummary
    from rdstrail_tui.sources.sync import SyncSummary


class IndexReady(Message):
    """The in-memory index of the cache is built (or extended)."""

    def __init__(self, index: EventIndex) -> None:
        super().__init__()
        self.index = index


class CacheChanged(Message):
    """Events were added to the cache (the app may leave its welcome screen)."""


class EventHighlighted(Message):
    """The event list's cursor rests on another event (or on none: rowid None)."""

    def __init__(self, rowid: int | None) -> None:
        super().__init__()
        self.rowid = rowid


class EventOpened(Message):
    """Enter on the event list: the event is to be read in the detail."""

    def __init__(self, rowid: int) -> None:
        super().__init__()
        self.rowid = rowid


class JobProgressed(Message):
    """A running job (a load or a sync) reports how far it is."""


class JobFinished(Message):
    """A job ended: done, cancelled, or failed with `error` (one readable line)."""

    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error


class LoadProgressed(JobProgressed):
    def __init__(self, summary: LoadSummary, total_files: int) -> None:
        super().__init__()
        self.summary = summary
        self.total_files = total_files


class LoadFinished(JobFinished):
    def __init__(self, summary: LoadSummary, path: str, error: str | None = None) -> None:
        super().__init__(error)
        self.summary = summary
        self.path = path


class SyncProgressed(JobProgressed):
    def __init__(self, summary: SyncSummary) -> None:
        super().__init__()
        self.summary = summary


class SyncFinished(JobFinished):
    def __init__(self, summary: SyncSummary, error: str | None) -> None:
        super().__init__(error)
        self.summary = summary
