"""The explorer's main screen: status line, filter box, event list and detail pane.

Layout follows the terminal: side by side when wide, stacked when tall, and at 80x24 the
detail takes the whole screen when opened and gives it back on Escape. Filtering and the
detail are parts of their own (filtering.py, detail.py); loads and syncs run in a JobRunner.
The Footer shows what the keys do where the focus is (tui/actions.py, `footer_bindings`).
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import Container, Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.rows import SqlRows
from rdstrail_tui.sources.request import SyncRequest
from rdstrail_tui.tui.actions import DETAIL, FILTER, footer_bindings, main_screen_bindings
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.jobs import JobRunner, LoadJob, SyncJob
from rdstrail_tui.tui.messages import IndexReady, JobFinished, JobProgressed

# Still importable from here, as tests/integration/test_sync_tui.py does.
from rdstrail_tui.tui.screens.detail import DetailHandling
from rdstrail_tui.tui.screens.exporting import ExportHandling
from rdstrail_tui.tui.screens.field_help import FieldHelpHandling
from rdstrail_tui.tui.screens.filtering import FilterHandling
from rdstrail_tui.tui.screens.resource_actions import ResourceHandling
from rdstrail_tui.tui.status_line import Coverage
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_card import EventCard
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.json_view import JsonView
from rdstrail_tui.tui.widgets.key_bar import KeyBar

if TYPE_CHECKING:  # the index and numpy load off the screen's thread, after the first paint
    from rdstrail_tui.query.measure import CachedContent
    from rdstrail_tui.query.memory import EventIndex

# The filter box's keys in the Footer in the order it declares them (Enter, Esc, ctrl+u,
# history), not in Input's.
FILTER_BOX_KEYS = tuple(binding.key for binding in Binding.make_bindings(FilterBox.BINDINGS))
WIDE_COLUMNS = 150  # list and detail side by side from here
TALL_LINES = 40  # stacked from here, when not wide
# While a load or a sync runs, the list takes in new events at most this often.
GROW_INTERVAL = 1.0
# How often the explorer asks whether another process has added events to the cache.
OUTSIDE_LOADS_EVERY = 2.0
# Seconds after opening on a persisted index that its files' CRCs are checked.
CHECK_INDEX_AFTER = 3.0
# Seconds without a key before the list's columns are measured (see _measure_when_idle).
MEASURE_AFTER_KEYS = 0.5


class MainScreen(
    ExportHandling, FilterHandling, DetailHandling, FieldHelpHandling, ResourceHandling
):
    # Made from the table of actions, which the command palette shares (tui/actions.py).
    BINDINGS: ClassVar[list[BindingType]] = main_screen_bindings()

    def __init__(self, cache: Cache, source_label: str, history: FilterHistory) -> None:
        super().__init__()
        self.cache = cache
        self.source_label = source_label
        self.history = history
        self.index = None
        # True from the mount until the persisted index is mapped, or found missing.
        self.opening_index = False
        # A later measure of the columns is waiting for a pause in the typing.
        self._measure_waiting = False
        self.total = cache.summary().events  # maintained by every insert: no scan
        self.coverage = None
        # SQLite's count of commits by other connections, last seen: another process's load.
        self._data_version = -1
        self.jobs = JobRunner(self, cache.path, grow=self._grow, grow_interval=GROW_INTERVAL)

    @property
    def load_path(self) -> str | None:
        """What the running load or sync is of; None while none runs."""
        return self.jobs.label

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # The layout's class before any child mounts: set after (in on_mount), it restyled
        # every widget a second time, an eighth of the time to the first screen (cProfile).
        self._set_layout_classes()
        yield Static("", id="status", markup=False)
        yield FilterBox(self.history, id="filter", typed=self._sync_filter)
        error_line = Static("", id="filter-error", markup=False)
        error_line.display = False  # hidden before it mounts: no second styling
        yield error_line
        with Container(id="body"):
            yield EventList(self.cache, id="events")
            with Vertical(id="detail"):
                # What happened, above the JSON or the diff of how.
                yield EventCard(id="card")
                yield Static("", id="detail-title", markup=False)
                yield JsonView(id="json")
                diff = DiffView(id="diff")
                diff.display = False
                yield diff
        yield from self.jobs.compose_panel()
        yield KeyBar()

    def on_mount(self) -> None:
        self._apply_layout()
        events = self.query_one(EventList)
        self.coverage = self._coverage()
        self._focus(events)
        # The first screen comes from SQLite (the count from the summary, the newest rows
        # from the time index); the index persisted by the last load is mapped right after
        # it is painted: importing numpy and the index's modules before would delay the
        # first paint by a third. Keys typed before it is in wait for it (_refilter).
        self._update_empty_message()
        events.show(SqlRows(self.cache, self.filter))
        self._update_status()
        if self.total:
            self.opening_index = True
            self.app.after_first_frame(self._open_index)  # type: ignore[attr-defined]
        else:
            self.build_index()  # of nothing, at once: the list grows from it as a load runs
        self._data_version = self.cache.data_version()
        self.set_interval(OUTSIDE_LOADS_EVERY, self._check_outside_loads)

    def on_resize(self) -> None:
        self._apply_layout()
        self._update_status()

    def _set_layout_classes(self) -> bool:
        """-wide, -tall or -compact by the terminal's size; whether it is compact."""
        width, height = self.app.size
        compact = width < WIDE_COLUMNS and height < TALL_LINES
        self.set_class(width >= WIDE_COLUMNS, "-wide")
        self.set_class(width < WIDE_COLUMNS and height >= TALL_LINES, "-tall")
        self.set_class(compact, "-compact")
        return compact

    def _apply_layout(self) -> None:
        was_compact = self.compact
        compact = self._set_layout_classes()
        if not compact:
            self.remove_class("-detail-open")
            if was_compact:
                self._detail_follows_cursor()  # both show now: the detail is the cursor's
        elif not was_compact and self.focus_zone == DETAIL:
            # The detail had the focus side by side (or stacked); at 80x24 the list is
            # what shows, and the focus must not stay on a widget that is not shown.
            self._focus(self.query_one(EventList))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_load":
            return bool(self.load_path)
        if action == "quit":
            return self.focus_zone != DETAIL  # there q goes back, as Escape does
        return super().check_action(action, parameters)

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        # What the Footer reads: only the keys that matter where the focus is, so that it
        # fits 80 columns (every key stays in the help).
        zone = self.focus_zone
        labels = {"toggle-diff": "Diff" if self.detail_mode == "json" else "JSON"}
        first = FILTER_BOX_KEYS if zone == FILTER else ()
        # The diff's own keys take the room of y there (it still copies the JSON).
        hidden = ("copy-json",) if self.detail_mode == "diff" else ()
        # Where the detail shows beside the list, the list's Footer has room for its keys.
        shown = ("toggle-diff", "copy-json") if not self.compact else ()
        return footer_bindings(super().active_bindings, zone, labels, first, hidden, shown)

    def action_quit(self) -> None:
        """q on the list; while a load or a sync runs it asks first."""
        running = self.load_path or self.export_label
        if not running:
            self.app.exit()
            return
        kept = (
            "What it has added to the cache so far stays there."
            if self.load_path
            else "The unfinished export file is removed."
        )
        question = f"Still running: {printable(running)}\n\nQuit anyway? {kept}"
        from rdstrail_tui.tui.screens.confirm import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(question, yes="Quit", no="Keep running"), self._quit_answered
        )

    def _quit_answered(self, yes: bool | None) -> None:
        if yes:
            self.app.exit()

    # -- the index -------------------------------------------------------------------------

    def _open_index(self) -> None:
        """The index persisted by the last load, mapped (at once whatever the cache's size);
        without one (an older cache, a load cut short of many rows) it is built, and the
        list reads SQLite meanwhile. On the screen's thread, after the first paint: in a
        worker the imports shared the interpreter with the screen's own work and took twice
        as long (0.45 s against 0.2 s here), and keys typed meanwhile wait for it either
        way."""
        # numpy imports numpy.ma at the first np.unique (the list's column widths, a dense
        # match's counts): a few tens of ms the first keystroke would otherwise pay.
        import numpy.ma  # noqa: F401

        from rdstrail_tui.query.index_store import opened_index, stored_content

        try:
            index = opened_index(self.cache)
            content = stored_content(self.cache, index) if index is not None else None
        except Exception:  # whatever is wrong with the files, they are rebuilt, never used
            index, content = None, None
        self.opening_index = False
        if index is None:
            self._refilter()  # the keys typed before, answered by SQLite until it is built
            self.build_index()
            return
        self._take_index(index, content)
        # The modules just imported and the index's objects, out of the collector's sight,
        # as run_explorer does for the start's: a full collection walking them all cost a
        # keystroke 35 ms.
        gc.freeze()
        # Its files' CRCs are read once the first keystrokes are answered: reading hundreds
        # of MB competes with them for the CPU and the disk.
        self.set_timer(CHECK_INDEX_AFTER, self.build_index)

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def build_index(self) -> None:
        """Off the screen's thread: with an index open, check its files' CRCs (a damaged one
        is rebuilt); without one, build it, and persist it so that the next start is
        instant."""
        from rdstrail_tui.query import index_store

        # Its own connection: SQLite connections stay in the thread that made them.
        with Cache.open(self.cache.path) as cache:
            current = self.index
            if current is not None and index_store.intact(list(current.segments)):
                return
            index = index_store.built_index(cache, rebuild=current is not None)
        if not get_current_worker().is_cancelled:
            self.post_message(IndexReady(index))

    def on_index_ready(self, message: IndexReady) -> None:
        self._take_index(message.index)

    def _take_index(self, index: EventIndex, content: CachedContent | None = None) -> None:
        """`content`: the column widths the last load measured for `index`, if it kept
        them; they serve until the rows cached since, if any, are measured too."""
        # The rows cached since the index was made (a load still running elsewhere).
        self.index = index.extended(self.cache)
        self.total = len(self.index)
        if content is not None:
            self.query_one(EventList).set_content(content)
        if content is None or self.index is not index:
            self._measure_when_idle()
        self._refilter()

    def _measure_when_idle(self) -> None:
        """Size the list's columns from the index. Before any key (the index just mapped,
        the first screen up) at once, on this thread: nothing waits for it yet, and in a
        worker it would share the interpreter with the first keystrokes. After keys (a load
        growing the list, a rebuilt index) in a worker, once no key has come for
        MEASURE_AFTER_KEYS seconds: at ten million events it takes a tenth of a second or
        more. The list keeps the widths it has until then."""
        last_key = self.app.last_key_at  # type: ignore[attr-defined]
        if self.index is None or self._measure_waiting:
            return  # a waiting measure takes the index as it is when it runs
        if not last_key:
            self.query_one(EventList).measure_columns(self.index)
            return
        quiet = time.monotonic() - last_key
        if quiet < MEASURE_AFTER_KEYS:
            # One wait however often the list grows meanwhile (a load takes in rows every
            # second): each would otherwise end in a measure of its own.
            self._measure_waiting = True
            self.set_timer(MEASURE_AFTER_KEYS - quiet, self._measure_after_wait)
            return
        self.measure_columns(self.index)

    def _measure_after_wait(self) -> None:
        self._measure_waiting = False
        self._measure_when_idle()

    # Not exclusive: a cancelled worker fails whoever waits for the workers; a measure of an
    # index that has since been replaced is dropped instead.
    @work(thread=True, group="measure", exit_on_error=False)
    def measure_columns(self, index: EventIndex) -> None:
        """Column widths from what the cache holds (and REGION only with two regions), off
        the screen's thread: its SQL reads the lengths of every distinct text shown, a
        quarter of a second at ten million events, which the first keystrokes would wait
        for. The list keeps the widths it has until then."""
        from rdstrail_tui.query.measure import measure

        # Its own connection: SQLite connections stay in the thread that made them.
        with Cache.open(self.cache.path) as cache:
            content = measure(index, cache)
        if not get_current_worker().is_cancelled and index is self.index:
            self.app.call_from_thread(self.query_one(EventList).set_content, content)

    def _coverage(self) -> Coverage | None:
        """What the cache covers, for the status line: regions, time span, sources, last
        sync, from the cache's maintained summary (no scan). Computed when the cache
        changes, not per keystroke."""
        summary = self.cache.summary()
        if not summary.events:
            return None
        regions = sorted(r for r in self.cache.texts_of(list(summary.regions)) if r)
        sources, last_sync = self.cache.last_sync()
        span = (
            (summary.first_time, summary.last_time)
            if summary.first_time is not None and summary.last_time is not None
            else None
        )
        return Coverage(
            regions=tuple(printable(region) for region in regions),
            span=span,
            sources=sources,
            last_sync=last_sync,
        )

    def _grow(self) -> None:
        """Take in the events a job has committed so far: the list grows while it runs."""
        self.coverage = self._coverage()
        if self.index is not None:
            self._take_index(self.index)
            return
        self.total = self.cache.summary().events
        self._refilter()

    def _check_outside_loads(self) -> None:
        """Another process (a `rdstrail load` or sync in another terminal) committed to the
        cache: take in its rows as a job's are taken in. SQLite's data_version changes
        with every commit of another connection; asking it costs no read."""
        version = self.cache.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        if self.load_path is None and self.cache.max_rowid() > (
            self.index.max_rowid if self.index is not None else 0
        ):
            self._grow()

    # -- loading and syncing ---------------------------------------------------------------

    def action_load(self) -> None:
        if self.load_path:
            self.notify("A load is already running (x cancels it)", severity="warning")
            return
        from rdstrail_tui.tui.screens.load import LoadScreen

        self.app.push_screen(LoadScreen(), self._load_chosen)

    def _load_chosen(self, path: str | None) -> None:
        if path:
            self.start_load(path)

    def start_load(self, path: str) -> None:
        self.jobs.start(LoadJob(path))

    def action_sync(self) -> None:
        # Lazy: the sync form's widgets and the reading of the sources file (TOML) load
        # only when a sync is asked for.
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
        self.app.push_screen(SyncScreen(saved), self._sync_chosen)

    def _sync_chosen(self, request: SyncRequest | None) -> None:
        if request is not None:
            self.jobs.start(SyncJob(request))

    def action_cancel_load(self) -> None:
        self.jobs.cancel()

    @on(JobProgressed)
    def _job_progressed(self, message: JobProgressed) -> None:
        self.jobs.progressed(message)

    @on(JobFinished)
    def _job_finished(self, message: JobFinished) -> None:
        self.jobs.finished(message)
