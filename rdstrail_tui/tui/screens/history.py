"""The history view: one resource's timeline, oldest first, the resources related to it and
its configuration as of the selected event.

What it shows is `present.history`'s (the lines, the changes, the configuration rows) over
`query.history`'s History; this module lays it out and answers the keys:

- up/down (j/k), PageUp/PageDown, Home/End in the focused list; Tab between the lists;
- Enter: an event's card and diff (on a folded run of reads, unfolds them); on a related
  resource, its own history (Escape comes back);
- `r` folds or unfolds the reads; `<` / `>` the previous / next life of a reused name;
- `m` marks the event under the cursor, `c` compares the configuration there with the one
  at the marked event.

At 80x24 the timeline sits above the configuration; from 150 columns they are side by side.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import ClassVar

import orjson
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.history import History
from rdstrail_tui.model.resources import RESOURCE_SHAPES
from rdstrail_tui.present.history import (
    PENDING_MARKS,
    ConfigRow,
    TimelineItem,
    change_summary,
    config_rows,
    flag_names,
    item_state,
    outcome,
    pending_log,
    reads_text,
    related_label,
    resource_label,
    timeline_items,
)
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import shorten
from rdstrail_tui.present.show import show_lines
from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.query.history import history_of
from rdstrail_tui.tui.screens.compare import ConfigurationCompareScreen
from rdstrail_tui.tui.widgets.key_bar import KeyBar
from rdstrail_tui.tui.widgets.row_list import RowList

WIDE_COLUMNS = 150  # timeline and configuration side by side from here
# Configuration keys are padded to the longest up to this, so most values line up.
_KEY_WIDTH = 22
# The marks of a configuration row, one cell each.
_CONFIG_MARKS = {**PENDING_MARKS, "changed": "*", "": " "}
_CONFIG_STYLES = {
    "changed": "bold",
    "pending": "yellow",
    "still pending": "yellow",
    "applied": "green",
    "superseded": "dim",
    "": "",
}


def _line(text: str) -> Text:
    return Text(text, no_wrap=True, overflow="ellipsis")


class EventTextScreen(ModalScreen[None]):
    """One event as `rdstrail show` prints it (card, risk flags, diff), over the history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Back", key_display="Esc", priority=True),
        Binding("q,enter", "dismiss", show=False),
    ]
    DEFAULT_CSS = """
    EventTextScreen > VerticalScroll { background: $surface; }
    """

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("\n".join(self.lines)), markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()


class HistoryScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", key_display="Esc", priority=True),
        Binding("q", "back", show=False),
        Binding("tab", "next_pane", "Pane", show=False),
        Binding("r", "toggle_reads", "Reads"),
        Binding("m", "mark", "Mark"),
        Binding("c", "compare", "Compare"),
        Binding("less_than_sign", "life(-1)", "Life", key_display="<>"),
        Binding("greater_than_sign", "life(1)", show=False),
    ]

    DEFAULT_CSS = """
    HistoryScreen #history-title { height: 1; padding: 0 1; background: $boost; }
    HistoryScreen #history-title, HistoryScreen #related-title, HistoryScreen #config-title {
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen #timeline { height: 1fr; }
    HistoryScreen #history-side { height: 1fr; border-top: solid $primary 50%; }
    HistoryScreen #related-title, HistoryScreen #config-title {
        height: 1; padding: 0 1; color: $text-muted;
    }
    HistoryScreen #related { height: auto; max-height: 4; }
    HistoryScreen #config { height: 1fr; }
    HistoryScreen.-wide #history-body { layout: horizontal; }
    HistoryScreen.-wide #timeline { width: 11fr; }
    HistoryScreen.-wide #history-side {
        width: 9fr; border-top: none; border-left: solid $primary 50%;
    }
    HistoryScreen.-wide #related { max-height: 10; }
    """

    def __init__(self, cache: Cache, history: History) -> None:
        super().__init__()
        self.cache = cache
        self.history = history
        # False while `loading` reads the history in a thread (for_resource).
        self.loaded = True
        self.items: list[TimelineItem] = []
        self.marked: int | None = None  # index into history.events
        self._config_shown: int | None = None  # the timeline line the config pane is of

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="history-title", markup=False)
        with Container(id="history-body"):
            yield RowList(id="timeline")
            with Vertical(id="history-side"):
                yield Static("", id="related-title", markup=False)
                yield RowList(id="related")
                yield Static("", id="config-title", markup=False)
                yield RowList(id="config")
        yield KeyBar()

    @classmethod
    def for_resource(cls, cache: Cache, resource_id: int) -> HistoryScreen | None:
        """The history view of a resource, shown at once and filled when its history has
        been read in a thread: the screen's own setting up and the reading (a busy
        database's hundred thousand events) overlap. None for no such resource."""
        resource = cache.resource(resource_id)
        if resource is None:
            return None
        screen = cls(cache, History(resource_id, resource, (resource.identifier,), (), 1, (), ()))
        screen.loaded = False
        return screen

    def on_mount(self) -> None:
        self._apply_layout()
        if self.loaded:
            self._show_history()
        else:
            self.query_one("#history-title", Static).update(
                _line(f"{resource_label(self.history.resource)} · reading its history…")
            )
            self._load(self.cache.path, self.history.id)

    @work(thread=True, exclusive=True)
    def _load(self, path: Path, resource_id: int) -> None:
        # Its own connection: SQLite connections stay in the thread that made them.
        try:
            with Cache.open(path) as cache:
                found = history_of(cache, resource_id)
        except (CacheError, sqlite3.Error) as error:
            message = printable(f"cannot read the history: {error}")
            self.app.call_from_thread(self.notify, message, severity="error")
            return
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._loaded, found)

    def _loaded(self, found: History | None) -> None:
        if not self.is_attached:
            return  # left (Escape) while it was being read
        if found is None:
            self.notify("no events of that resource in the cache", severity="warning")
            self.dismiss()
            return
        self.history = found
        self.loaded = True
        self._show_history()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Until its history is read, a view can only be left.
        return True if self.loaded or action == "back" else None

    def on_resize(self) -> None:
        self._apply_layout()

    def _apply_layout(self) -> None:
        self.set_class(self.app.size.width >= WIDE_COLUMNS, "-wide")

    def _show_history(self) -> None:
        h = self.history
        lives = f" · life {h.life} of {len(h.lives)} (< >)" if len(h.lives) > 1 else ""
        names = (
            " · was " + ", ".join(printable(n) for n in h.names[:-1]) if len(h.names) > 1 else ""
        )
        writes = sum(1 for e in h.events if e.is_write)
        total = len(h.events) + sum(run.count for run in h.runs)
        self.query_one("#history-title", Static).update(
            _line(
                f"{resource_label(h.resource)}{names}{lives} · {total:,} events, {writes:,} writes"
            )
        )
        related = self.query_one("#related", RowList)
        related.set_rows(
            len(h.related),
            lambda n: _line(
                f" {related_label(h.related[n])}  {format_time(h.related[n].time)[:10]}"
            ),
        )
        self.query_one("#related-title", Static).update(
            _line(f"related ({len(h.related)}): Enter opens one" if h.related else "")
        )
        related.display = bool(h.related)
        self.query_one("#related-title").display = bool(h.related)
        self._fill_timeline()
        self.query_one("#timeline", RowList).focus()

    def _timeline_text(self, item: TimelineItem) -> Text:
        mark = "◆" if item.kind == "event" and item.index == self.marked else " "
        if item.run is not None:
            return _line(f"{mark}{format_time(item.run.first)[:16]}  {reads_text(item)}")
        event = self.history.events[item.index]
        when = format_time(event.row.time)[:16]
        name = printable(event.row.event_name)
        who = shorten(printable(event.row.principal), 20, "principal")
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{mark}{when}  ")
        text.append(name, style="bold" if event.is_write else "")
        text.append(f"  {who}  ")
        result = outcome(event)
        text.append(result, style="red" if result != "ok" else "green")
        flags = flag_names(event)
        if flags:
            text.append(f"  !{flags}", style="bold red")
        summary = change_summary(event)
        if summary:
            text.append(f"  {summary}", style="cyan")
        return text

    def _fill_timeline(self, *, keep: tuple[int, int] | None = None) -> None:
        """The timeline's lines, the cursor on the line at `keep` (time, rowid) or the
        first after it (where that event is folded away), else on the newest."""
        timeline = self.query_one("#timeline", RowList)
        self.items = timeline_items(self.history)
        target = len(self.items) - 1
        if keep is not None:
            target = next(
                (n for n, item in enumerate(self.items) if self._order_of(item) >= keep), target
            )
        timeline.set_rows(len(self.items), lambda n: self._timeline_text(self.items[n]), target)
        self._show_config(target if self.items else None)

    def _order_of(self, item: TimelineItem) -> tuple[int, int]:
        """Where an item sits in time (time, then rowid; a run: its first read's time)."""
        if item.run is not None:
            return (item.run.first, -1)
        row = self.history.events[item.index].row
        return (row.time, row.rowid)

    def _config_text(self, row: ConfigRow, key_width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{_CONFIG_MARKS[row.mark]} ", style=_CONFIG_STYLES[row.mark])
        text.append(f"{row.key.ljust(key_width)}  ", style="bold" if row.mark else "")
        text.append(row.value, style=_CONFIG_STYLES[row.mark])
        if row.mark not in ("", "changed"):
            text.append(f"  {row.mark}", style=_CONFIG_STYLES[row.mark] or "")
            text.append(f", {row.note}", style="dim")
        return text

    def _show_config(self, position: int | None) -> None:
        self._config_shown = position
        config = self.query_one("#config", RowList)
        title = self.query_one("#config-title", Static)
        if position is None or position >= len(self.items):
            config.clear_rows()
            title.update(_line("configuration: no write of this resource in the cache"))
            return
        state = item_state(self.history, self.items[position])
        if state is None:
            config.clear_rows()
            title.update(_line("configuration: no write response before this event"))
            return
        when = format_time(state.time)
        # Within 78 cells: the minute is enough to find the event in the timeline.
        title.update(
            _line(f"config after {when[:16]} · * changed > pending = applied x superseded")
        )
        rows = config_rows(state, self.history.resource.type, pending_log(self.history, state))
        key_width = min(max((len(row.key) for row in rows), default=0), _KEY_WIDTH)
        config.set_rows(len(rows), lambda n: self._config_text(rows[n], key_width))

    # -- events ----------------------------------------------------------------------------

    def on_row_list_highlighted(self, message: RowList.Highlighted) -> None:
        if message.row_list.id == "timeline" and message.index != self._config_shown:
            self._show_config(message.index)

    def on_row_list_selected(self, message: RowList.Selected) -> None:
        if message.row_list.id == "timeline":
            self._open_item(message.index)
        elif message.row_list.id == "related":
            self._open_related(message.index)

    def _open_item(self, position: int) -> None:
        item = self.items[position]
        if item.run is not None:
            self.action_toggle_reads()
            return
        event = self.history.events[item.index]
        found = self.cache.events_by_rowid([event.row.rowid], with_raw=True).get(event.row.rowid)
        if found is None:
            return
        try:
            record = orjson.loads(found.raw)
        except orjson.JSONDecodeError:
            record = {}
        width = max(self.app.size.width - 2, 40)
        self.app.push_screen(EventTextScreen(show_lines(found, record, width)))

    def _open_related(self, position: int) -> None:
        related = self.history.related[position]
        screen = HistoryScreen.for_resource(self.cache, related.id)
        if screen is not None:
            self.app.push_screen(screen)

    # -- actions ---------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_next_pane(self) -> None:
        panes = [
            pane
            for pane in (
                self.query_one("#timeline", RowList),
                self.query_one("#related", RowList),
                self.query_one("#config", RowList),
            )
            if pane.display
        ]
        focused = self.focused
        position = panes.index(focused) if focused in panes else -1
        panes[(position + 1) % len(panes)].focus()

    def _cursor_item(self) -> TimelineItem | None:
        position = self.query_one("#timeline", RowList).cursor
        if not 0 <= position < len(self.items):
            return None
        return self.items[position]

    def _cursor_index(self) -> int | None:
        """The index in History.events of the event under the cursor (a run of reads:
        the event before it)."""
        item = self._cursor_item()
        if item is None:
            return None
        index = item.index if item.run is None else item.index - 1
        return index if index >= 0 else None

    def action_toggle_reads(self) -> None:
        item = self._cursor_item()
        keep = self._order_of(item) if item is not None else None
        marked = self.history.events[self.marked].row.rowid if self.marked is not None else None
        found = history_of(
            self.cache, self.history.id, self.history.life, fold_reads=not self.history.folded
        )
        if found is None:
            return
        self.history = found
        self.marked = next((n for n, e in enumerate(found.events) if e.row.rowid == marked), None)
        self._fill_timeline(keep=keep)
        self.notify("reads folded into counts" if found.folded else "every read listed")

    def action_mark(self) -> None:
        item = self._cursor_item()
        if item is None or item.run is not None:
            self.notify("m marks an event, not a run of reads", severity="warning")
            return
        self.marked = None if self.marked == item.index else item.index
        self._fill_timeline(keep=self._order_of(item))
        if self.marked is not None:
            self.notify("marked: c compares the configuration here with the cursor's")

    def action_compare(self) -> None:
        index = self._cursor_index()
        if self.marked is None or index is None:
            self.notify("mark an event first (m), then move and press c", severity="warning")
            return
        left = self.history.state_at(min(self.marked, index))
        right = self.history.state_at(max(self.marked, index))
        if left is None or right is None:
            self.notify("no configuration before one of the two events", severity="warning")
            return
        self.app.push_screen(
            ConfigurationCompareScreen(
                left,
                right,
                left_title=f"after {format_time(left.time)}",
                right_title=f"after {format_time(right.time)}",
                shape=RESOURCE_SHAPES.get(self.history.resource.type),
            )
        )

    def action_life(self, delta: int) -> None:
        wanted = self.history.life + delta
        if not 1 <= wanted <= len(self.history.lives):
            self.app.bell()
            return
        found = history_of(self.cache, self.history.id, wanted)
        if found is not None:
            self.history = found
            self.marked = None
            self._show_history()
