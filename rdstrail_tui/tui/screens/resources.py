"""The resources screen (`R`): every RDS resource in the cache, filtered with the filter box
and sorted, Enter opening a resource's history.

The rows are the cache's per-resource summaries (no scan of the events, whatever the size
of the cache); the filter is the event list's language read for resources
(`query.resources`); the columns and how each is cut are `present.resources`'.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.resources import fit_columns, resource_values
from rdstrail_tui.present.shorten import pad, shorten
from rdstrail_tui.query.language import FilterError, parse_filter
from rdstrail_tui.query.resources import SORT_KEYS, ResourceRow, select_resources
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.history import HistoryScreen
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.key_bar import KeyBar
from rdstrail_tui.tui.widgets.row_list import RowList

_SORTS = tuple(SORT_KEYS)
_SORT_NAMES = {
    "last": "last seen",
    "first": "first seen",
    "writes": "writes",
    "events": "events",
    "name": "name",
    "type": "type",
}


class ResourcesScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Not priority: in the filter box, Escape is the box's (cancel the edit).
        Binding("escape", "back", "Back", key_display="Esc"),
        Binding("q", "back", show=False),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("s", "sort", "Sort"),
    ]

    DEFAULT_CSS = """
    ResourcesScreen #resources-title { height: 1; padding: 0 1; background: $boost; }
    ResourcesScreen #resources-error { height: auto; padding: 0 1; color: $error; }
    ResourcesScreen #resources-header { height: 1; padding: 0 0; text-style: bold; }
    """

    def __init__(self, cache: Cache, history: FilterHistory) -> None:
        super().__init__()
        self.cache = cache
        self.filter_history = history
        self.sort = "last"
        self.filter_text = ""
        self.rows: list[ResourceRow] = []
        # Read once: each keystroke of the filter selects from these, not from the cache.
        self.summaries = cache.resource_summaries()

    def compose(self) -> ComposeResult:
        yield Static("", id="resources-title", markup=False)
        yield FilterBox(self.filter_history, id="resources-filter")
        yield Static("", id="resources-error", markup=False)
        yield Static("", id="resources-header", markup=False)
        yield RowList(id="resources")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#resources-error").display = False
        self._refresh_rows()
        self.query_one(RowList).focus()

    def on_resize(self) -> None:
        self._fill_table()

    # -- rows ------------------------------------------------------------------------------

    def _refresh_rows(self) -> None:
        error = self.query_one("#resources-error", Static)
        try:
            self.rows = select_resources(self.summaries, parse_filter(self.filter_text), self.sort)
        except FilterError as problem:
            error.update(f"bad filter: {problem.message}")
            error.display = True
            return
        error.display = False
        self._fill_table()

    def _fill_table(self) -> None:
        values = [resource_values(row.summary) for row in self.rows]
        width = max((self.size.width or self.app.size.width) - 1, 40)  # less the scrollbar
        layout = fit_columns(values, width)

        def line(n: int) -> Text:
            row = values[n]
            cells = (pad(shorten(row[c.key], w, c.keep), w) for c, w in layout)
            return Text("  ".join(cells), no_wrap=True)

        self.query_one("#resources-header", Static).update(
            "  ".join(pad(c.title, w) for c, w in layout)
        )
        self.query_one(RowList).set_rows(len(values), line)
        total = len(self.summaries)
        shown = f"{len(self.rows):,} of {total:,}" if self.filter_text else f"{total:,}"
        self.query_one("#resources-title", Static).update(
            f"RDS resources: {shown} · sorted by {_SORT_NAMES[self.sort]} (s) · Enter: history"
        )

    # -- keys ------------------------------------------------------------------------------

    def on_row_list_selected(self, message: RowList.Selected) -> None:
        position = message.index
        if not 0 <= position < len(self.rows):
            return
        screen = HistoryScreen.for_resource(self.cache, self.rows[position].summary.id)
        if screen is not None:
            self.app.push_screen(screen)

    def action_back(self) -> None:
        self.dismiss()

    def action_focus_filter(self) -> None:
        self.query_one(FilterBox).focus()

    def action_sort(self) -> None:
        self.sort = _SORTS[(_SORTS.index(self.sort) + 1) % len(_SORTS)]
        self._refresh_rows()

    def on_input_changed(self, message: FilterBox.Changed) -> None:
        self.filter_text = message.value
        self._refresh_rows()

    # The filter box's Enter and Escape (FilterBox.BINDINGS name them on the screen).
    def action_keep_filter(self) -> None:
        box = self.query_one(FilterBox)
        box.remember()
        self.query_one(RowList).focus()

    def action_cancel_filter(self) -> None:
        box = self.query_one(FilterBox)
        box.cancel_edit()
        self.query_one(RowList).focus()
