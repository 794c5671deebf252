"""The explorer's main screen: status line, filter box, event list and detail pane.

Layout follows the terminal: side by side when wide, stacked when tall, and at 80x24 the
detail takes the whole screen when opened and gives it back on Escape.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import orjson
from textual import on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Input, ProgressBar, Static
from textual.worker import get_current_worker

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.present.diff import diff_record
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import Filter, FilterError, parse_filter, with_term
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.rows import IndexedRows, SqlRows
from rdstrail_tui.sources.load import LoadInterrupted, LoadSummary, load_paths
from rdstrail_tui.sources.request import SyncRequest
from rdstrail_tui.sources.sync import SyncSummary
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.status_line import Coverage, status_line
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.json_view import JsonView

WIDE_COLUMNS = 150  # list and detail side by side from here
TALL_LINES = 40  # stacked from here, when not wide
# While a load runs, the list takes in new events at most this often.
GROW_INTERVAL = 1.0


class IndexReady(Message):
    def __init__(self, index: EventIndex) -> None:
        super().__init__()
        self.index = index


class LoadProgressed(Message):
    def __init__(self, summary: LoadSummary, total_files: int) -> None:
        super().__init__()
        self.summary = summary
        self.total_files = total_files


class LoadFinished(Message):
    def __init__(self, summary: LoadSummary, path: str, error: str | None = None) -> None:
        super().__init__()
        self.summary = summary
        self.path = path
        self.error = error


class SyncProgressed(Message):
    def __init__(self, summary: SyncSummary) -> None:
        super().__init__()
        self.summary = summary


class SyncFinished(Message):
    def __init__(self, summary: SyncSummary, error: str | None) -> None:
        super().__init__()
        self.summary = summary
        self.error = error


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: Textual routes each key to the widget focused when the key is dequeued,
        # so keys that move focus must act at once or the rest of a burst (a paste, or
        # `/modify` arriving in one packet over SSH) goes to the widget they left. Each of
        # these stands aside (SkipAction) where it does not apply.
        Binding("slash", "focus_filter", "Filter", id="filter", priority=True),
        # No descriptions: the help lists the filter box's keys on their own.
        Binding("enter", "keep_filter", "", show=False, priority=True),
        Binding("escape", "clear_filter", "", show=False, priority=True),
        Binding("escape", "back", "Back", show=False),
        Binding("n", "quick('name')", "+Name", id="quick-name", show=False),
        Binding("u", "quick('user')", "+User", id="quick-user", show=False),
        Binding("r", "quick('res')", "+Resource", id="quick-resource", show=False),
        Binding("e", "toggle_errors", "Errors only", id="quick-errors", show=False),
        Binding("d", "toggle_diff", "JSON/Diff", id="toggle-diff"),
        Binding("y", "copy_json", "Copy", id="copy-json"),
        Binding("L", "load", "Load", id="load", show=False),  # in help, palette, welcome
        Binding("S", "sync", "Sync from AWS", id="sync", show=False),
        Binding("x", "cancel_load", "Cancel load", id="cancel-load"),
        Binding("question_mark", "app.help", "Help", id="help"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ]

    def __init__(self, cache: Cache, source_label: str, history: FilterHistory) -> None:
        super().__init__()
        self.cache = cache
        self.source_label = source_label
        self.history = history
        self.index: EventIndex | None = None
        self.filter: Filter = parse_filter("")
        self.total = cache.count()
        self.detail_rowid: int | None = None
        self.detail_mode = "json"
        self.load_path: str | None = None
        self._last_grow = 0.0
        self._detail_wanted: int | None = None  # -1: no event
        self.coverage: Coverage | None = None
        self.cancelling = False

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)
        yield FilterBox(self.history, id="filter")
        yield Static("", id="filter-error", markup=False)
        with Container(id="body"):
            yield EventList(self.cache, id="events")
            with Vertical(id="detail"):
                yield Static("", id="detail-title", markup=False)
                yield JsonView(id="json")
                yield DiffView(id="diff")
        with Vertical(id="load-panel"):
            yield Static("", id="load-text", markup=False)
            yield ProgressBar(id="load-bar", show_eta=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff").display = False
        self.query_one("#load-panel").display = False
        self.query_one("#filter-error").display = False
        self._apply_layout()
        events = self.query_one(EventList)
        events.empty_message = "No events match this filter (Escape clears it)"
        events.show(SqlRows(self.cache, self.filter))
        self._focus(events)
        self._update_status()
        self.build_index()

    def on_resize(self) -> None:
        self._apply_layout()
        self._update_status()

    def _apply_layout(self) -> None:
        width, height = self.app.size
        self.set_class(width >= WIDE_COLUMNS, "-wide")
        self.set_class(width < WIDE_COLUMNS and height >= TALL_LINES, "-tall")
        compact = width < WIDE_COLUMNS and height < TALL_LINES
        self.set_class(compact, "-compact")
        if not compact:
            self.remove_class("-detail-open")

    @property
    def compact(self) -> bool:
        return self.has_class("-compact")

    def _focus(self, widget: Widget) -> None:
        """Focus now, not on the next idle (Widget.focus): keys that arrive in one burst (a
        paste, a slow SSH link delivering `/modify` in one packet) must reach the widget the
        key before them chose, or the `d` of "modify" would toggle the diff instead. Checks
        of focus use `self.focused`, which this sets at once (`has_focus` follows later)."""
        self.set_focus(widget)

    # -- the index -------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def build_index(self) -> None:
        # Its own connection: SQLite connections stay in the thread that made them.
        with Cache.open(self.cache.path) as cache:
            index = (self.index or EventIndex.empty()).extended(cache)
        if not get_current_worker().is_cancelled:
            self.post_message(IndexReady(index))

    def on_index_ready(self, message: IndexReady) -> None:
        self.index = message.index
        self.total = len(message.index)
        self.coverage = self._coverage()
        self._refilter()

    def _coverage(self) -> Coverage | None:
        """What the cache covers, for the status line: regions, time span, sources, last
        sync. Computed when the index changes, not per keystroke."""
        if self.index is None or not len(self.index):
            return None
        regions = sorted(r for r in self.cache.texts_of(self.index.region_ids()) if r)
        sources, last_sync = self.cache.last_sync()
        return Coverage(
            regions=tuple(printable(region) for region in regions),
            span=self.index.time_span(),
            sources=sources,
            last_sync=last_sync,
        )

    # -- filtering -------------------------------------------------------------------------

    def _refilter(self) -> None:
        events = self.query_one(EventList)
        rows = (
            IndexedRows(self.index.select(self.filter, self.cache))
            if self.index is not None
            else SqlRows(self.cache, self.filter)
        )
        events.show(rows, keep_rowid=events.current_rowid)
        self._update_status()

    def _set_filter(self, text: str) -> bool:
        """Apply filter text; a bad term is shown inline and the last good result stays."""
        error_line = self.query_one("#filter-error", Static)
        try:
            self.filter = parse_filter(text)
        except FilterError as error:
            # The box itself turns red: FilterSyntax is its validator.
            pointer = error.pointer(text).splitlines()[-1]
            error_line.update(f"{pointer}  {printable(error.message)}")
            error_line.display = True
            return False
        error_line.display = False
        self._refilter()
        return True

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self._set_filter(event.value)

    def action_focus_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is box:
            raise SkipAction  # a "/" typed into a filter (user:role/admin)
        self._focus(box)

    # Keys of a burst that were routed to the box before Enter or Escape still wait in its
    # queue: focus moves at once (it decides where later keys go), but what is done with the
    # box's text waits for them (call_later runs after the messages already queued).

    def action_keep_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is not box:
            raise SkipAction  # Enter elsewhere opens an event or folds JSON
        self._focus(self.query_one(EventList))
        box.call_later(box.remember)

    def action_clear_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is not box:
            raise SkipAction  # Escape elsewhere is action_back
        self._focus(self.query_one(EventList))
        box.call_later(box.clear)  # Input.Changed then re-applies the empty filter

    def action_back(self) -> None:
        if self.has_class("-detail-open"):
            self.remove_class("-detail-open")
        self._focus(self.query_one(EventList))

    def _add_term(self, term: str) -> None:
        box = self.query_one(FilterBox)
        box.value = with_term(box.value, term)
        box.remember()

    def action_quick(self, key: str) -> None:
        event = self.query_one(EventList).current_event
        if event is None:
            return
        value = {"name": event.event_name, "user": event.principal, "res": event.resource}[key]
        if not value:
            self.notify(f"This event has no {key} to filter by", severity="warning")
            return
        self._add_term(f"{key}:{value}")

    def action_toggle_errors(self) -> None:
        box = self.query_one(FilterBox)
        try:
            terms = parse_filter(box.value).terms
        except FilterError:
            terms = ()
        errors = [t for t in terms if t.key == "is" and t.value.lower() == "error"]
        if not errors:
            self._add_term("is:error")
            return
        text = box.value
        for term in sorted(errors, key=lambda t: t.position, reverse=True):
            text = text[: term.position] + text[term.position + term.length :]
        box.value = " ".join(text.split())

    # -- detail ----------------------------------------------------------------------------

    def on_event_list_highlighted(self, message: EventList.Highlighted) -> None:
        if self.compact:
            return
        # After the list's own frame: the cursor moves at once, the detail follows, and a
        # held-down key renders only the event it stops on.
        if self._detail_wanted is None:
            self.call_after_refresh(self._show_wanted_detail)
        self._detail_wanted = message.rowid if message.rowid is not None else -1

    def _show_wanted_detail(self) -> None:
        wanted, self._detail_wanted = self._detail_wanted, None
        if wanted is not None and wanted != self.detail_rowid:
            self._show_detail(None if wanted == -1 else wanted)

    def on_event_list_opened(self, message: EventList.Opened) -> None:
        self._open_detail(message.rowid)

    def _open_detail(self, rowid: int | None) -> None:
        self._show_detail(rowid)
        if self.compact:
            self.add_class("-detail-open")
        self._focus(self.query_one(JsonView if self.detail_mode == "json" else DiffView))

    def _show_detail(self, rowid: int | None) -> None:
        self.detail_rowid = rowid
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        record = self._record(rowid)
        if record is None:
            json_view.show_message("No event selected")
        else:
            json_view.show(record)
            diff_view.show(diff_record(record))
        self._update_detail_title()

    def _record(self, rowid: int | None) -> dict[str, object] | None:
        if rowid is None:
            return None
        event = self.cache.events_by_rowid([rowid], with_raw=True).get(rowid)
        if event is None:
            return None
        record = orjson.loads(event.raw)
        return record if isinstance(record, dict) else None

    def _update_detail_title(self) -> None:
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        showing_json = self.detail_mode == "json"
        json_view.display = showing_json
        diff_view.display = not showing_json
        title = "JSON  [d: Diff]" if showing_json else "Diff: requested vs response  [d: JSON]"
        self.query_one("#detail-title", Static).update(title)

    def action_toggle_diff(self) -> None:
        self.detail_mode = "diff" if self.detail_mode == "json" else "json"
        self._update_detail_title()
        if self.compact and not self.has_class("-detail-open"):
            self._open_detail(self.query_one(EventList).current_rowid)
            return
        target = self.query_one(JsonView if self.detail_mode == "json" else DiffView)
        if self.query_one("#detail").has_focus_within:
            self._focus(target)

    def action_copy_json(self) -> None:
        # The event being read: the detail's while focus is in it, else the list's cursor.
        in_detail = self.query_one("#detail").has_focus_within
        rowid = self.detail_rowid if in_detail else self.query_one(EventList).current_rowid
        record = self._record(rowid)
        if record is None:
            self.notify("No event to copy", severity="warning")
            return
        # OSC 52: the terminal puts it on the clipboard of the machine the user sits at,
        # which over SSH is the only clipboard that matters.
        self.app.copy_to_clipboard(orjson.dumps(record, option=orjson.OPT_INDENT_2).decode())
        self.notify("Event JSON copied to the clipboard (OSC 52)", markup=False)

    # -- loading ---------------------------------------------------------------------------

    def action_load(self) -> None:
        from rdstrail_tui.tui.screens.load import LoadScreen

        if self.load_path:
            self.notify("A load is already running (x cancels it)", severity="warning")
            return
        self.app.push_screen(LoadScreen(), self._start_load)

    def _start_load(self, path: str | None) -> None:
        if path:
            self.start_load(path)

    def start_load(self, path: str) -> None:
        self.load_path = path
        panel = self.query_one("#load-panel")
        panel.display = True
        self.query_one("#load-text", Static).update(f"Loading {printable(path)} ...")
        self.refresh_bindings()
        self.run_load(path)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def run_load(self, path: str) -> None:
        worker = get_current_worker()
        summary = LoadSummary()
        error: str | None = None
        try:
            with Cache.open(self.cache.path) as cache:
                summary = load_paths(
                    cache,
                    [Path(path).expanduser()],
                    Scope(),
                    on_progress=self._post_progress,
                    should_stop=lambda: worker.is_cancelled,
                )
        except LoadInterrupted as stop:
            summary = stop.summary
        except Exception as failure:  # shown readably, never a traceback
            error = f"{type(failure).__name__}: {failure}"
        self.post_message(LoadFinished(summary, path, error))

    def _post_progress(self, summary: LoadSummary, total_files: int) -> None:
        self.post_message(LoadProgressed(summary, total_files))  # thread-safe

    # -- syncing from AWS ------------------------------------------------------------------

    def action_sync(self) -> None:
        from rdstrail_tui.sources.config import ConfigError, load_sources
        from rdstrail_tui.tui.screens.sync import SyncScreen

        if self.load_path:
            self.notify("A load or sync is already running (x cancels it)", severity="warning")
            return
        try:
            saved = load_sources()
        except ConfigError as error:
            self.notify(printable(str(error)), severity="error", markup=False, timeout=10)
            saved = {}
        self.app.push_screen(SyncScreen(saved), self._start_sync)

    def _start_sync(self, request: SyncRequest | None) -> None:
        if request is None:
            return
        label = request.url or "LookupEvents " + " ".join(request.regions)
        self.load_path = f"sync {label}".strip()
        self.query_one("#load-panel").display = True
        self.query_one("#load-bar", ProgressBar).update(total=None)
        self.query_one("#load-text", Static).update(f"Syncing {printable(label)} ...")
        self.refresh_bindings()
        self.run_sync_job(request)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def run_sync_job(self, request: SyncRequest) -> None:
        from rdstrail_tui.sources.request import run_sync
        from rdstrail_tui.sources.sync import SyncError, SyncSummary

        worker = get_current_worker()
        summary = SyncSummary(source=request.url or "lookup")
        error: str | None = None
        try:
            with Cache.open(self.cache.path) as cache:
                summary = run_sync(
                    cache,
                    request,
                    on_progress=self._post_sync_progress,
                    should_stop=lambda: worker.is_cancelled,
                )
        except SyncError as failure:
            error = str(failure)
        except Exception as failure:  # shown readably, never a traceback
            error = f"{type(failure).__name__}: {failure}"
        self.post_message(SyncFinished(summary, error))

    def _post_sync_progress(self, summary: SyncSummary) -> None:
        self.post_message(SyncProgressed(summary))  # thread-safe

    def on_sync_progressed(self, message: SyncProgressed) -> None:
        summary = message.summary
        regions = "  ".join(
            f"{printable(key)}: {r.pages or r.objects:,} {'pages' if r.pages else 'objects'},"
            f" {r.events_new:,} new" + (f", {r.throttles} throttled" if r.throttles else "")
            for key, r in sorted(summary.regions.items())
        )
        prefix = "Cancelling after the current page ..." if self.cancelling else "Syncing"
        self.query_one("#load-text", Static).update(
            f"{prefix} {printable(summary.source)}: {summary.events_new:,} new events"
            f" ({summary.requests:,} requests)  {regions}"
            + ("" if self.cancelling else "  (x: cancel)")
        )
        if time.monotonic() - self._last_grow >= GROW_INTERVAL:
            self._last_grow = time.monotonic()
            self._grow()

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.load_path = None
        self.cancelling = False
        self.query_one("#load-panel").display = False
        self.refresh_bindings()
        self._grow()
        if message.error:
            self.notify(printable(message.error), severity="error", markup=False, timeout=10)
            return
        from rdstrail_tui.sources.sync import summary_line

        summary = message.summary
        lines = [summary_line(summary), *summary.problems[:5]]
        if summary.interrupted:
            lines[0] = "Cancelled: " + lines[0]
        self.notify(
            "\n".join(printable(line) for line in lines),
            severity="warning" if summary.problems else "information",
            markup=False,
            timeout=10 if summary.problems else 5,
        )
        self.app.post_message(CacheChanged())

    def on_load_progressed(self, message: LoadProgressed) -> None:
        summary = message.summary
        bar = self.query_one("#load-bar", ProgressBar)
        bar.update(total=max(message.total_files, 1), progress=summary.files)
        rate = summary.records / summary.seconds if summary.seconds else 0
        done = f"{summary.files:,}/{message.total_files:,} files, {summary.new:,} new events"
        if self.cancelling:
            text = f"Cancelling after the current batch ... ({done})"
        else:
            text = (
                f"Loading {printable(self.load_path or '')}: {done}, {rate:,.0f} records/s"
                "  (x: cancel)"
            )
        self.query_one("#load-text", Static).update(text)
        if time.monotonic() - self._last_grow >= GROW_INTERVAL:
            self._last_grow = time.monotonic()
            self._grow()

    def _grow(self) -> None:
        """Take in the events a load has committed so far: the list grows while it runs."""
        if self.index is not None:
            self.index = self.index.extended(self.cache)
            self.total = len(self.index)
            self.coverage = self._coverage()
        else:
            self.total = self.cache.count()
        self._refilter()

    def on_load_finished(self, message: LoadFinished) -> None:
        self.load_path = None
        self.cancelling = False
        self.query_one("#load-panel").display = False
        self.refresh_bindings()
        self._grow()
        summary = message.summary
        if message.error:
            self.notify(
                printable(f"Load of {message.path} failed: {message.error}"),
                severity="error",
                markup=False,
                timeout=10,
            )
            return
        verb = "Cancelled" if summary.interrupted else "Loaded"
        text = (
            f"{verb}: {summary.new:,} new events from {summary.files:,} files"
            f" ({summary.duplicates:,} duplicates, {summary.bad_inputs:,} bad inputs)"
        )
        problems = summary.problems[:5]
        lines = [text, *problems]
        self.notify(
            "\n".join(printable(line) for line in lines),
            severity="warning" if summary.bad_inputs else "information",
            markup=False,
            timeout=10 if problems else 5,
        )
        self.app.post_message(CacheChanged())

    def action_cancel_load(self) -> None:
        self.cancelling = True
        for worker in self.workers:
            if worker.group == "load":
                worker.cancel()
        self.query_one("#load-text", Static).update("Cancelling after the current batch ...")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False takes a binding out of the Footer (and of the keys' resolution), so that
        # e.g. the list's "Open" shows for Enter unless the filter box has the focus.
        if action == "cancel_load":
            return bool(self.load_path)
        in_filter = self.focused is self.query_one(FilterBox)
        if action in ("keep_filter", "clear_filter"):
            return in_filter
        if action == "focus_filter":
            return not in_filter
        return True

    # -- status ----------------------------------------------------------------------------

    def _update_status(self) -> None:
        """Counts and coverage, shortened to fit the line (see `status_line`)."""
        status = self.query_one("#status", Static)
        text = status_line(
            self.source_label,
            len(self.query_one(EventList).rows),
            self.total,
            width=max(1, self.app.size.width - status.styles.gutter.width),
            indexing=self.index is None and self.total > 0,
            coverage=self.coverage,
        )
        status.update(text)


class CacheChanged(Message):
    """Events were added to the cache (the app may leave its welcome screen)."""
