"""The explorer's background jobs, a load and a sync from AWS, run by one mechanism.

`JobRunner` does what every job needs: a thread worker on a cache connection of its own,
progress posted back as messages, cancellation between batches, any failure turned into
one readable line (never a traceback), the progress panel shown and hidden, and the event
list grown while the job commits events. A `Job` supplies only what differs: what to run,
and how its progress and its outcome read.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.sources.request import SyncRequest, run_sync
from rdstrail_tui.sources.sync import (
    SyncError,
    SyncSummary,
    counted,
    progress_note,
    summary_line,
)

if TYPE_CHECKING:
    from rdstrail_tui.sources.load import LoadSummary
from rdstrail_tui.tui.messages import (
    CacheChanged,
    JobFinished,
    JobProgressed,
    LoadFinished,
    LoadProgressed,
    SyncFinished,
    SyncProgressed,
)

# The workers of the running job; cancelling the job cancels this group.
JOB_GROUP = "job"
# A notification is read at a glance: the rest of a job's problems are in its summary.
PROBLEMS_NOTIFIED = 5

ProgressT = TypeVar("ProgressT", bound=JobProgressed)
FinishedT = TypeVar("FinishedT", bound=JobFinished)
PostMessage = Callable[[Message], object]
StopCheck = Callable[[], bool]


@dataclass(frozen=True)
class Progress:
    """What the panel shows of a progress report."""

    text: str
    bar: tuple[int, int] | None = None  # (total, done); None leaves the bar as it is


@dataclass(frozen=True)
class Notice:
    """A notification, one line each; the runner makes every line printable."""

    lines: list[str]
    severity: SeverityLevel = "information"
    timeout: float = 5


class ReadableError(Exception):
    """A failure whose message reads well as it is: shown without its type's name."""


class Job(ABC, Generic[ProgressT, FinishedT]):
    """One kind of job: what it runs (`run`, in the worker thread) and how it reads (the
    rest, on the app's thread)."""

    def __init__(self, label: str, start_text: str) -> None:
        self.label = label  # what runs, while it runs (MainScreen.load_path)
        self.start_text = start_text  # the panel's text until the first report

    @abstractmethod
    def run(self, cache: Cache, post: PostMessage, should_stop: StopCheck) -> FinishedT:
        """Do the job into `cache`, posting a ProgressT per report and asking `should_stop`
        between batches. A failure may raise anything; ReadableError keeps its message as
        the whole error."""

    @abstractmethod
    def failed(self, error: str) -> FinishedT:
        """The end of a job that failed with `error`."""

    @abstractmethod
    def progress(self, report: ProgressT, cancelling: bool) -> Progress:
        """How a report reads; `cancelling`: the user asked the job to stop."""

    @abstractmethod
    def outcome(self, finished: FinishedT) -> Notice:
        """How the end of a job that did not fail reads."""

    def failure(self, error: str) -> str:
        """How the end of a job that failed reads."""
        return error


class JobRunner:
    """Runs one job at a time for `screen` and shows it in a panel of the screen's (see
    `compose_panel`). `grow` takes in what the job committed so far: called at most every
    `grow_interval` seconds while it runs, and once at its end."""

    def __init__(
        self,
        screen: Screen[Any],
        cache_path: Path,
        *,
        grow: Callable[[], None],
        grow_interval: float,
    ) -> None:
        self._screen = screen
        self._cache_path = cache_path
        self._grow = grow
        self._grow_interval = grow_interval
        self._last_grow = 0.0
        self._job: Job[Any, Any] | None = None
        self._cancelling = False

    @property
    def label(self) -> str | None:
        """The running job's label; None while none runs."""
        return None if self._job is None else self._job.label

    def compose_panel(self) -> ComposeResult:
        panel = Vertical(id="load-panel")
        panel.display = False  # until a job starts
        with panel:
            yield Static("", id="load-text", markup=False)
            # The bar (three widgets) mounts with the first job: the first screen has none
            # of it to style.

    @property
    def _panel(self) -> Widget:
        return self._screen.query_one("#load-panel")

    @property
    def _text(self) -> Static:
        return self._screen.query_one("#load-text", Static)

    @property
    def _bar(self) -> ProgressBar:
        return self._screen.query_one("#load-bar", ProgressBar)

    def start(self, job: Job[Any, Any]) -> None:
        self._job = job
        if not self._screen.query("#load-bar"):
            # In the DOM at once (its Mount follows), so the update below finds it.
            self._panel.mount(ProgressBar(id="load-bar", show_eta=False))
        self._panel.display = True
        self._bar.update(total=None)  # pulsing until a report says how far
        self._text.update(job.start_text)
        self._screen.refresh_bindings()
        self._screen.run_worker(
            partial(self._work, job),
            thread=True,
            exclusive=True,
            group=JOB_GROUP,
            exit_on_error=False,
        )

    def _work(self, job: Job[Any, Any]) -> None:
        worker = get_current_worker()
        try:
            # Its own connection: SQLite connections stay in the thread that made them.
            with Cache.open(self._cache_path) as cache:
                # post_message is thread-safe: reports reach the screen on the app's thread.
                finished = job.run(cache, self._screen.post_message, lambda: worker.is_cancelled)
                if not worker.is_cancelled:
                    # The next start is instant; a failure to write only means it builds.
                    from rdstrail_tui.query import index_store  # numpy: not on the first paint

                    index_store.kept_up(cache)
        except ReadableError as failure:
            finished = job.failed(str(failure))
        except Exception as failure:  # shown readably, never a traceback
            finished = job.failed(f"{type(failure).__name__}: {failure}")
        self._screen.post_message(finished)

    def progressed(self, report: JobProgressed) -> None:
        job = self._job
        if job is None:  # never: a job posts nothing after its end
            return
        shown = job.progress(report, self._cancelling)
        if shown.bar is not None:
            total, done = shown.bar
            self._bar.update(total=total, progress=done)
        self._text.update(shown.text)
        if time.monotonic() - self._last_grow >= self._grow_interval:
            self._last_grow = time.monotonic()
            self._grow()

    def finished(self, message: JobFinished) -> None:
        job = self._job
        if job is None:  # never: a job ends once
            return
        self._job = None
        self._cancelling = False
        self._panel.display = False
        self._screen.refresh_bindings()
        self._grow()
        if message.error:
            self._notify(Notice([job.failure(message.error)], severity="error", timeout=10))
            return
        self._notify(job.outcome(message))
        self._screen.app.post_message(CacheChanged())

    def cancel(self) -> None:
        """Stop the job at its next batch boundary: what it committed stays."""
        self._cancelling = True
        for worker in self._screen.workers:
            if worker.group == JOB_GROUP:
                worker.cancel()
        self._text.update("Cancelling after the current batch ...")

    def _notify(self, notice: Notice) -> None:
        self._screen.notify(
            "\n".join(printable(line) for line in notice.lines),
            severity=notice.severity,
            markup=False,
            timeout=notice.timeout,
        )


class LoadJob(Job[LoadProgressed, LoadFinished]):
    """Loads a file or a directory tree (trail trees, LookupEvents output, JSON Lines)."""

    def __init__(self, path: str) -> None:
        super().__init__(label=path, start_text=f"Loading {printable(path)} ...")
        self.path = path

    def run(self, cache: Cache, post: PostMessage, should_stop: StopCheck) -> LoadFinished:
        # Lazy: the loader (the trail reader, its workers) is not on the explorer's first
        # paint, which waits for every module imported before it.
        from rdstrail_tui.sources.load import LoadInterrupted, load_paths

        def report(summary: LoadSummary, total_files: int) -> None:
            post(LoadProgressed(summary, total_files))

        try:
            summary = load_paths(
                cache,
                [Path(self.path).expanduser()],
                Scope(),
                on_progress=report,
                should_stop=should_stop,
            )
        except LoadInterrupted as stop:
            summary = stop.summary
        return LoadFinished(summary, self.path)

    def failed(self, error: str) -> LoadFinished:
        from rdstrail_tui.sources.load import LoadSummary

        return LoadFinished(LoadSummary(), self.path, error)

    def progress(self, report: LoadProgressed, cancelling: bool) -> Progress:
        summary = report.summary
        rate = summary.records / summary.seconds if summary.seconds else 0
        files = f"{summary.files:,}/{counted(report.total_files, 'file')}"
        done = f"{files}, {counted(summary.new, 'new event')}"
        if cancelling:
            text = f"Cancelling after the current batch ... ({done})"
        else:
            text = f"Loading {printable(self.path)}: {done}, {rate:,.0f} records/s  (x: cancel)"
        return Progress(text, bar=(max(report.total_files, 1), summary.files))

    def outcome(self, finished: LoadFinished) -> Notice:
        summary = finished.summary
        if load_failed(summary):
            # Nothing read: a path that does not exist, files that cannot be read or are
            # not CloudTrail, a directory without trail files. Said as a failure, naming
            # the input, never as a "Loaded: 0 new events".
            reason = summary.problems[0] if summary.problems else "no CloudTrail files found"
            return Notice(
                [self.failure(reason), *summary.problems[1:PROBLEMS_NOTIFIED]],
                severity="error",
                timeout=10,
            )
        verb = "Cancelled" if summary.interrupted else "Loaded"
        text = (
            f"{verb}: {counted(summary.new, 'new event')} from {counted(summary.files, 'file')}"
            f" ({counted(summary.duplicates, 'duplicate')},"
            f" {counted(summary.bad_inputs, 'bad input')})"
        )
        problems = summary.problems[:PROBLEMS_NOTIFIED]
        return Notice(
            [text, *problems],
            severity="warning" if summary.bad_inputs else "information",
            timeout=10 if problems else 5,
        )

    def failure(self, error: str) -> str:
        return f"Load of {self.path} failed: {error}"


def load_failed(summary: LoadSummary) -> bool:
    """A load that read nothing at all: no event kept, and either something was bad or no
    file was found. (A file that holds no records, or only other services' events, was
    read: that load did not fail.)"""
    return (
        not summary.interrupted
        and summary.kept == 0
        and summary.records == 0
        and summary.other_sources == 0
        and (summary.bad_inputs > 0 or summary.files == 0)
    )


class SyncJob(Job[SyncProgressed, SyncFinished]):
    """Syncs from AWS: LookupEvents, a trail's S3 bucket, Athena or CloudTrail Lake."""

    def __init__(self, request: SyncRequest) -> None:
        target = request.url or "LookupEvents " + " ".join(request.regions)
        super().__init__(
            label=f"sync {target}".strip(), start_text=f"Syncing {printable(target)} ..."
        )
        self.request = request

    def run(self, cache: Cache, post: PostMessage, should_stop: StopCheck) -> SyncFinished:
        def report(summary: SyncSummary) -> None:
            post(SyncProgressed(summary))

        try:
            summary = run_sync(cache, self.request, on_progress=report, should_stop=should_stop)
        except SyncError as failure:  # its message names the input and says what to do
            raise ReadableError(str(failure)) from failure
        return SyncFinished(summary, None)

    def failed(self, error: str) -> SyncFinished:
        return SyncFinished(SyncSummary(source=self.request.url or "lookup"), error)

    def progress(self, report: SyncProgressed, cancelling: bool) -> Progress:
        summary = report.summary
        note = progress_note(summary)
        if note:  # Athena, Lake: the query's stage and cost say more than pages would
            prefix = "Cancelling the query ..." if cancelling else "Syncing"
            return Progress(
                f"{prefix} {printable(summary.source)}: {printable(note)},"
                f" {summary.events_new:,} new events" + ("" if cancelling else "  (x: cancel)")
            )
        regions = "  ".join(
            f"{printable(key)}: {r.pages or r.objects:,} {'pages' if r.pages else 'objects'},"
            f" {r.events_new:,} new" + (f", {r.throttles} throttled" if r.throttles else "")
            for key, r in sorted(summary.regions.items())
        )
        prefix = "Cancelling after the current page ..." if cancelling else "Syncing"
        return Progress(
            f"{prefix} {printable(summary.source)}: {summary.events_new:,} new events"
            f" ({summary.requests:,} requests)  {regions}" + ("" if cancelling else "  (x: cancel)")
        )

    def outcome(self, finished: SyncFinished) -> Notice:
        summary = finished.summary
        lines = [summary_line(summary), *summary.problems[:PROBLEMS_NOTIFIED]]
        if summary.interrupted:
            lines[0] = "Cancelled: " + lines[0]
        return Notice(
            lines,
            severity="warning" if summary.problems else "information",
            timeout=10 if summary.problems else 5,
        )
