"""The event list: a virtual list that draws only the rows on screen.

A million events cost nothing until they are looked at: `render_line` asks the row source
for the rowids of the visible window, fetches those events from the cache in one query, and
keeps the drawn lines in a small cache. Moving the cursor repaints just the two lines it
moved between.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.columns import TABLE_COLUMNS, fit_columns
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.rows import RowSource
from rdstrail_tui.tui.messages import EventHighlighted, EventOpened

# What a column would like on screen; fit_columns drops columns from the right, then squeezes.
_NATURAL_WIDTHS = [column.natural for column in TABLE_COLUMNS]
# One character before the time says what kind of call a row is, so it reads without colour.
MARK_ERROR = "!"
MARK_WRITE = "*"
MARK_READ = " "
MARK_UNKNOWN = "?"
_GAP = "  "
_EVENTS_CACHED = 4096
_STRIPS_CACHED = 1024


class EmptyRows:
    def __len__(self) -> int:
        return 0

    def rowids(self, start: int, stop: int) -> list[int]:
        return []

    def position_of(self, rowid: int) -> int | None:
        return None


def mark_of(event: Event) -> str:
    if event.error_code is not None:
        return MARK_ERROR
    if event.read_only is None:
        return MARK_UNKNOWN
    return MARK_READ if event.read_only else MARK_WRITE


class EventList(ScrollView, can_focus=True):
    """Newest first; Enter opens the selected event. Posts EventHighlighted as the cursor
    moves and EventOpened on Enter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "open", "Open", id="open-event"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "eventlist--header",
        "eventlist--cursor",
        "eventlist--error",
        "eventlist--write",
        "eventlist--read",
        "eventlist--empty",
    }
    DEFAULT_CSS = """
    EventList { height: 1fr; scrollbar-size-vertical: 1; }
    EventList > .eventlist--header { text-style: bold; color: $text-muted; }
    EventList > .eventlist--cursor { background: $surface-lighten-2; text-style: bold; }
    EventList:focus > .eventlist--cursor { background: $accent 40%; }
    EventList > .eventlist--error { color: $error; }
    EventList > .eventlist--write { color: $warning; }
    EventList > .eventlist--read { color: $text; }
    EventList > .eventlist--empty { color: $text-muted; text-style: italic; }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)

    def __init__(self, cache: Cache, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cache = cache
        self._rows: RowSource = EmptyRows()
        self._events: OrderedDict[int, Event] = OrderedDict()
        # (rowid, width, is cursor row, list focused) -> the drawn line
        self._strips: OrderedDict[tuple[int, int, bool, bool], Strip] = OrderedDict()
        self._window_start = 0
        self._window: list[int] = []
        self._layout_width = -1
        self._layout: list[int] = []
        self.empty_message = "No events"

    # -- what is shown ---------------------------------------------------------------------

    @property
    def rows(self) -> RowSource:
        return self._rows

    def show(self, rows: RowSource, keep_rowid: int | None = None) -> None:
        """Show another row source (a new filter, or more events); the cursor stays on
        `keep_rowid` when that event is still listed, else goes to the top."""
        self._rows = rows
        self._window_start, self._window = 0, []
        self._strips.clear()
        position = rows.position_of(keep_rowid) if keep_rowid is not None else None
        # +1: the column header is line 0 of the virtual space.
        self.virtual_size = Size(self._width, len(rows) + 1)
        self.set_reactive(EventList.cursor, min(position or 0, max(len(rows) - 1, 0)))
        self._scroll_cursor_into_view(center=position is not None)
        self.refresh()
        self.post_message(EventHighlighted(self.current_rowid))

    def forget_events(self) -> None:
        """Drop fetched events, e.g. after the cache was cleared."""
        self._events.clear()
        self._strips.clear()
        self.refresh()

    @property
    def current_rowid(self) -> int | None:
        return self._rowid_at(self.cursor) if len(self._rows) else None

    @property
    def current_event(self) -> Event | None:
        rowid = self.current_rowid
        if rowid is None:
            return None
        self._fetch([rowid])
        return self._events.get(rowid)

    # -- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        # Focus and theme change how lines look: drawn lines must be drawn again.
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        self.virtual_size = Size(self._width, len(self._rows) + 1)
        self._strips.clear()
        self._scroll_cursor_into_view()

    def _widths(self) -> list[int]:
        # Asked for every line drawn, and the layout depends on the width alone: computed
        # once per width. Less the mark column and its gap.
        width = self._width
        if self._layout_width != width:
            self._layout = fit_columns([], width - 2, TABLE_COLUMNS, natural=_NATURAL_WIDTHS)
            self._layout_width = width
        return self._layout

    @property
    def _width(self) -> int:
        """Cells a row may use: the widget less its scrollbar."""
        return self.scrollable_content_region.width

    def render_line(self, y: int) -> Strip:
        width = self._width
        if y == 0:
            return self._header(width)
        index = self.scroll_offset.y + y - 1
        if index >= len(self._rows):
            if index == 0:
                style = self.get_component_rich_style("eventlist--empty")
                line = Strip([Segment(f"  {self.empty_message}", style)])
                return line.extend_cell_length(width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        rowid = self._rowid_at(index)
        if rowid is None:
            return Strip.blank(width, self.rich_style)
        key = (rowid, width, index == self.cursor, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            self._fetch_window()
            event = self._events.get(rowid)
            strip = self._row_strip(event, width, index == self.cursor)
            self._strips[key] = strip
            if len(self._strips) > _STRIPS_CACHED:
                self._strips.popitem(last=False)
        return strip

    def _header(self, width: int) -> Strip:
        widths = self._widths()
        titles = [column.header for column in TABLE_COLUMNS[: len(widths)]]
        text = "  " + _GAP.join(t.ljust(w)[:w] for t, w in zip(titles, widths))
        style = self.get_component_rich_style("eventlist--header")
        return Strip([Segment(text[:width], style)]).extend_cell_length(width, style)

    def _row_strip(self, event: Event | None, width: int, is_cursor: bool) -> Strip:
        if event is None:  # gone from the cache since it was listed (cleared meanwhile)
            return Strip.blank(width, self.rich_style)
        widths = self._widths()
        cells = []
        for column, cell_width in zip(TABLE_COLUMNS, widths):
            # Event text is attacker-controlled: escaped, and drawn as plain Segments.
            value = printable(column.value(event))
            if len(value) > cell_width:
                value = value[: max(cell_width - 1, 0)] + "~"
            cells.append(value.ljust(cell_width))
        mark = mark_of(event)
        kind = {MARK_ERROR: "error", MARK_WRITE: "write"}.get(mark, "read")
        style: Style = self.get_component_rich_style(f"eventlist--{kind}")
        if is_cursor:
            style = style + self.get_component_rich_style("eventlist--cursor")
        text = f"{mark} " + _GAP.join(cells)
        return Strip([Segment(text[:width], style)]).extend_cell_length(width, style)

    def _rowid_at(self, index: int) -> int | None:
        """The rowid at a list position, from a window of rowids around the visible rows
        (one row-source call per window, not one per line)."""
        offset = index - self._window_start
        if not 0 <= offset < len(self._window):
            height = max(self.size.height, 1)
            self._window_start = max(index - height, 0)
            self._window = self._rows.rowids(self._window_start, index + 2 * height)
            offset = index - self._window_start
        return self._window[offset] if 0 <= offset < len(self._window) else None

    def _fetch_window(self) -> None:
        """Fetch the events of the whole rowid window in one query."""
        self._fetch(self._window)

    def _fetch(self, rowids: list[int]) -> None:
        missing = [rowid for rowid in rowids if rowid not in self._events]
        if missing:
            self._events.update(self._cache.events_by_rowid(missing))
            while len(self._events) > _EVENTS_CACHED:
                self._events.popitem(last=False)

    # -- moving ----------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        # Row i is drawn on virtual line i + 1 (line 0 is the column header).
        self.refresh_line(old + 1)
        self.refresh_line(new + 1)
        self._scroll_cursor_into_view()
        self.post_message(EventHighlighted(self.current_rowid))

    def _scroll_cursor_into_view(self, center: bool = False) -> None:
        rows_shown = self.size.height - 1  # below the header
        if rows_shown <= 0:
            return
        top = self.scroll_offset.y  # index of the first row shown
        if center:
            self.scroll_to(y=max(self.cursor - rows_shown // 2, 0), animate=False)
        elif self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + rows_shown:
            self.scroll_to(y=self.cursor - rows_shown + 1, animate=False)

    def _move_to(self, index: int) -> None:
        if len(self._rows):
            self.cursor = max(0, min(index, len(self._rows) - 1))

    def action_cursor_up(self) -> None:
        self._move_to(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move_to(self.cursor + 1)

    def action_page_up(self) -> None:
        self._move_to(self.cursor - max(self.size.height - 2, 1))

    def action_page_down(self) -> None:
        self._move_to(self.cursor + max(self.size.height - 2, 1))

    def action_first(self) -> None:
        self._move_to(0)

    def action_last(self) -> None:
        self._move_to(len(self._rows) - 1)

    def action_open(self) -> None:
        rowid = self.current_rowid
        if rowid is not None:
            self.post_message(EventOpened(rowid))
