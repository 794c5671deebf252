"""The main screen's exports: the events the filter keeps written to a file (in a thread,
with a progress panel, cancellable, while the list stays usable), and `y`, which sends one
event's JSON to the clipboard and offers to write it to a file instead."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from rdstrail_tui.cache.paths import default_cache_path
from rdstrail_tui.cache.schema import Where
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import Filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.tui.actions import DETAIL
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.event_list import EventList

if TYPE_CHECKING:  # the export's and the copy's modules load when first used
    from rdstrail_tui.query.export import ExportResult
    from rdstrail_tui.tui.screens.export import ExportRequest

# The export's worker group: cancelling the export cancels this group.
EXPORT_GROUP = "export"
# Exports of fewer events are done before a panel could be read: none is shown.
PANEL_FROM = 1000


class ExportProgressed(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done = done
        self.total = total


class ExportFinished(Message):
    """The export ended: `result` (done or cancelled), or `error`, one readable line."""

    def __init__(self, result: ExportResult | None, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class ExportPanel(Vertical):
    """The running export's line and bar, above the Footer."""

    DEFAULT_CSS = """
    ExportPanel { height: auto; padding: 0 1; background: $boost; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Static("", id="export-text", markup=False)
        self._bar = ProgressBar(id="export-bar", show_eta=False)

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._bar

    def show(self, text: str, done: int, total: int) -> None:
        self._text.update(text)
        self._bar.update(total=max(total, 1), progress=done)


class ExportHandling(MainScreenBase):
    # Set by the other parts of the main screen (filtering.py, detail.py).
    filter: Filter
    detail_rowid: int | None

    # Arguments are passed on, so that this part may stand before MainScreen itself too.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._export: ExportRequest | None = None  # the running export
        self._export_cancelling = False
        self._export_done = 0  # events written, as last reported

    @property
    def export_running(self) -> bool:
        return self._export is not None

    @property
    def export_label(self) -> str | None:
        """What the running export writes, as a quit question names it; None while none
        runs."""
        return None if self._export is None else f"export to {self._export.file.path}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_export":
            return self.export_running
        return super().check_action(action, parameters)

    # -- exporting the filter's events -----------------------------------------------------

    def action_export(self) -> None:
        from rdstrail_tui.tui.screens.export import ExportScreen

        self._sync_filter()  # the filter as the box shows it, even mid-burst
        if self._export is not None:
            self.notify("An export is already running (x cancels it)", severity="warning")
            return
        count = len(self.query_one(EventList).rows)
        if count == 0:
            self.notify("The filter keeps no events: nothing to export", severity="warning")
            return
        demo = bool(getattr(self.app, "demo", False))
        cache_path = None if self.cache.path == default_cache_path() else self.cache.path
        dialog = ExportScreen(self.filter, count, cache_path=cache_path, demo=demo)
        self.app.push_screen(dialog, self._export_chosen)

    def _export_chosen(self, request: ExportRequest | None) -> None:
        if request is not None:
            self.start_export(request)

    def start_export(self, request: ExportRequest) -> None:
        self._export = request
        self._export_cancelling = False
        self._export_done = 0
        if request.count >= PANEL_FROM:
            panel = ExportPanel(id="export-panel")
            self.mount(panel, after=self.query_one("#body"))
            self._show_progress(0, request.count)
        self.refresh_bindings()
        self.run_worker(
            partial(self._export_work, request, where_of(self.filter), self.cache.path),
            thread=True,
            group=EXPORT_GROUP,
            exit_on_error=False,
        )

    def _export_work(self, request: ExportRequest, where: Where, cache_path: Path) -> None:
        from rdstrail_tui.query.export import ExportError, export_events

        worker = get_current_worker()
        path = printable(str(request.file.path))

        def report(done: int, total: int) -> None:
            # post_message is thread-safe: reports reach the screen on the app's thread.
            self.post_message(ExportProgressed(done, total))

        try:
            # Its own connection: SQLite connections stay in the thread that made them.
            with Cache.open(cache_path) as cache:
                result = export_events(
                    cache,
                    where,
                    request.file,
                    request.fmt,
                    bom=request.bom,
                    on_progress=report,
                    should_stop=lambda: worker.is_cancelled,
                )
        except ExportError as error:
            request.file.discard()
            self.post_message(ExportFinished(None, str(error)))
        except Exception as error:  # shown readably, never a traceback
            request.file.discard()
            reason = printable(f"{type(error).__name__}: {error}")
            self.post_message(ExportFinished(None, f"export to {path} failed: {reason}"))
        else:
            self.post_message(ExportFinished(result))

    def _show_progress(self, done: int, total: int) -> None:
        from rdstrail_tui.tui.screens.export import plural

        panels = self.query(ExportPanel)
        if not panels or self._export is None:
            return
        self._export_done = done
        name = printable(str(self._export.file.path))
        if self._export_cancelling:
            text = f"Cancelling the export to {name} ..."
        else:
            text = f"Exporting {done:,} of {plural(total, 'event')} to {name}  (x: cancel)"
        panels.first().show(text, done, total)

    @on(ExportProgressed)
    def _export_progressed(self, message: ExportProgressed) -> None:
        self._show_progress(message.done, message.total)

    @on(ExportFinished)
    def _export_finished(self, message: ExportFinished) -> None:
        from rdstrail_tui.tui.screens.export import plural

        request, self._export = self._export, None
        self.query(ExportPanel).remove()
        self.refresh_bindings()
        if message.error is not None or message.result is None:
            error = message.error or "the export stopped"
            self.notify(f"Export failed: {error}", severity="error", markup=False, timeout=10)
            return
        result = message.result
        path = printable(str(result.path))
        if not result.cancelled:
            text = f"Exported {plural(result.written, 'event')} to {path}"
            self.notify(text, markup=False, timeout=10)
        elif request is not None and request.file.replacing:
            self.notify(f"Export cancelled: {path} is as it was", markup=False)
        else:
            self.notify(f"Export cancelled: {path} removed", markup=False)

    def action_cancel_export(self) -> None:
        """Stop the export within a few events; what it wrote is removed."""
        if self._export is None:
            return
        self._export_cancelling = True
        for worker in self.workers:
            if worker.group == EXPORT_GROUP and worker.node is self:
                worker.cancel()
        self._show_progress(self._export_done, self._export.count)

    # -- one event's JSON ------------------------------------------------------------------

    def action_copy_json(self) -> None:
        from rdstrail_tui.present.writers import terminal_safe_json
        from rdstrail_tui.tui.screens.copy import CopyScreen

        # The event being read: the detail's while focus is in it, else the list's cursor.
        in_detail = self.focus_zone == DETAIL
        rowid = self.detail_rowid if in_detail else self.query_one(EventList).current_rowid
        found = self.cache.events_by_rowid([rowid], with_raw=True) if rowid is not None else {}
        event = found.get(rowid) if rowid is not None else None
        if event is None:
            self.notify("No event to copy", severity="warning")
            return
        record = orjson.loads(event.raw)
        # Escapes for what a terminal would act on, in case the JSON is pasted into one:
        # the same JSON to any reader.
        text = terminal_safe_json(orjson.dumps(record, option=orjson.OPT_INDENT_2)).decode()
        # OSC 52: the terminal puts it on the clipboard of the machine the user sits at,
        # which over SSH is the only clipboard that matters, if it accepts it at all.
        self.app.copy_to_clipboard(text)
        self.app.push_screen(CopyScreen(event.event_name, event.event_id, text))
