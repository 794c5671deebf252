"""The event list: a virtual list that draws only the rows on screen.

A million events cost nothing until they are looked at: `render_line` asks the row source
for the rowids of the visible window, fetches those events from the cache in one query, and
keeps the drawn lines in a small cache. Moving the cursor repaints just the two lines it
moved between.

Its columns are sized from what the cache holds (`measure_columns`, present/columns.py says
how), and those that do not fit are one Right away: TIME stays, the others shift by one.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.columns import (
    ERROR,
    REGION,
    TABLE_COLUMNS,
    Column,
    Layout,
    cell,
    errors_first,
)
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import pad, shorten
from rdstrail_tui.query.language import Filter
from rdstrail_tui.query.rows import RowSource
from rdstrail_tui.tui.messages import EventHighlighted, EventOpened
from rdstrail_tui.tui.widgets.virtual_size import set_virtual_size

if TYPE_CHECKING:  # numpy: loaded with the index, after the first paint
    from rdstrail_tui.query.measure import CachedContent
    from rdstrail_tui.query.memory import EventIndex

# One character before the time says what kind of call a row is, so it reads without colour.
# One mark per row, by precedence: failed > risky > write > inferred write > read > unknown.
MARK_ERROR = "!"
MARK_RISKY = "^"
MARK_WRITE = "*"
MARK_INFERRED_WRITE = ":"  # an old record without readOnly, a write by its operation's name
MARK_READ = " "
MARK_UNKNOWN = "?"
# The mark and the space after it, before the first column.
_MARK_CELLS = 2
# In the header, single angle quotes: columns hidden to the right, and scrolled off after TIME.
MORE_RIGHT = "\u203a"
MORE_LEFT = "\u2039"
_COLUMNS_KEYS = Binding.Group("Columns", compact=True)
_EVENTS_CACHED = 4096
_STRIPS_CACHED = 1024


class EmptyRows:
    def __len__(self) -> int:
        return 0

    def rowids(self, start: int, stop: int) -> list[int]:
        return []

    def position_of(self, rowid: int) -> int | None:
        return None


def wants_errors_first(flt: Filter) -> bool:
    """The filter keeps failed calls only (is:error): the list gives ERROR room first."""
    return any(t.key == "is" and t.value.lower() == "error" and not t.negated for t in flt.terms)


@dataclass(frozen=True)
class ColumnView:
    """The columns on screen at one width and column scroll: TIME, then `columns`."""

    columns: tuple[Column, ...]  # TIME first
    widths: list[int]
    gap: int
    hidden_left: bool  # columns scrolled off between TIME and the first shown
    hidden_right: bool  # columns that did not fit


def mark_of(event: Event) -> str:
    if event.error_code is not None:
        return MARK_ERROR
    if event.risky:
        return MARK_RISKY
    if event.read_only is None:
        return MARK_UNKNOWN
    if event.read_only:
        return MARK_READ
    return MARK_INFERRED_WRITE if event.read_only_inferred else MARK_WRITE


_MARK_STYLES = {
    MARK_ERROR: "error",
    MARK_RISKY: "risky",
    MARK_WRITE: "write",
    MARK_INFERRED_WRITE: "write",
}


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
        # Shown (as one "←→ Columns") only while some column is hidden: see check_action.
        Binding(
            "left",
            "scroll_columns(-1)",
            "Columns",
            group=_COLUMNS_KEYS,
            id="columns-left",
            tooltip="Columns: back one to the left (TIME stays)",
        ),
        Binding(
            "right",
            "scroll_columns(1)",
            "Columns",
            group=_COLUMNS_KEYS,
            id="columns-right",
            tooltip="Columns: the next that did not fit comes in (TIME stays)",
        ),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "eventlist--header",
        "eventlist--cursor",
        "eventlist--error",
        "eventlist--risky",
        "eventlist--write",
        "eventlist--read",
        "eventlist--empty",
    }
    # Rows read by their mark alone as well (! failed, * write): colour is a second cue, and
    # each terminal gets one it can show:
    # - full colour: failures red and bold, writes the theme's warning, reads plain text;
    # - 16 colours (TERM=xterm, class -ansi16, see on_mount): the theme's red and orange
    #   both come out as bright red, so failures and writes take colours that are exactly
    #   two of the sixteen (bright red and yellow on a dark theme, red and brown on a light
    #   one). ANSI colour names would not do: Textual turns them into the theme's RGB and
    #   back into whatever of the sixteen is nearest (bright red became magenta);
    # - NO_COLOR (:nocolor): Textual turns every colour grey, where red is the dimmest: a
    #   failure is bold at full brightness, a read a shade muted, and the cursor reversed
    #   (with an ANSI theme Textual drops colours altogether, backgrounds included).
    # The scrollbar's gutter is always kept, so that the columns do not move by one cell
    # when a filter's rows start or stop fitting on one screen.
    DEFAULT_CSS = """
    EventList { height: 1fr; scrollbar-size-vertical: 1; scrollbar-gutter: stable; }
    EventList > .eventlist--header { text-style: bold; color: $text-muted; }
    EventList > .eventlist--cursor { background: $surface-lighten-2; text-style: bold; }
    EventList:focus > .eventlist--cursor { background: $accent 40%; }
    EventList > .eventlist--error { color: $error; text-style: bold; }
    EventList > .eventlist--risky { color: $secondary; text-style: bold; }
    EventList > .eventlist--write { color: $warning; }
    EventList > .eventlist--read { color: $text; }
    EventList > .eventlist--empty { color: $text-muted; text-style: italic; }
    EventList.-ansi16 > .eventlist--error { color: #ff5555; }
    EventList.-ansi16 > .eventlist--risky { color: #ff55ff; }
    EventList.-ansi16 > .eventlist--write { color: #ffff55; }
    EventList.-ansi16:light > .eventlist--error { color: #aa0000; }
    EventList.-ansi16:light > .eventlist--risky { color: #aa00aa; }
    EventList.-ansi16:light > .eventlist--write { color: #aa5500; }
    EventList:nocolor > .eventlist--error { color: $text; }
    EventList:nocolor > .eventlist--risky { color: $text; }
    EventList:nocolor > .eventlist--write { color: $text; }
    EventList:nocolor > .eventlist--read { color: $text-muted; }
    EventList:nocolor > .eventlist--cursor { text-style: bold reverse; }
    """

    cursor: reactive[int] = reactive(0, repaint=False, init=False)

    def __init__(self, cache: Cache, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cache = cache
        self._rows: RowSource = EmptyRows()
        self._events: OrderedDict[int, Event] = OrderedDict()
        # (rowid, width, is cursor row, list focused) -> the drawn line; cleared whenever
        # the columns change.
        self._strips: OrderedDict[tuple[int, int, bool, bool], Strip] = OrderedDict()
        self._window_start = 0
        self._window: list[int] = []
        # What the columns are laid out from: the cache's content (None until measured:
        # then each column's natural width, and no REGION), the filter, the column scroll.
        self._content: CachedContent | None = None
        self._errors_first = False
        self._column_offset = 0
        self._views: dict[tuple[int, int], ColumnView] = {}  # (width, offset) -> view
        self.empty_message = "No events"

    def on_mount(self) -> None:
        # Textual's CSS has :nocolor, but nothing for a terminal of 16 colours.
        sixteen = self.app.console.color_system in ("standard", "windows")
        self.set_class(sixteen and not self.app.no_color, "-ansi16")

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
        self._set_virtual_height(len(rows) + 1)
        self.set_reactive(EventList.cursor, min(position or 0, max(len(rows) - 1, 0)))
        self._scroll_cursor_into_view(center=position is not None)
        self.refresh()
        self.post_message(EventHighlighted(self.current_rowid))

    def _set_virtual_height(self, height: int) -> None:
        """The list's virtual size, without the layout pass that setting it asks for when
        nothing else moves: a filter's new row count changes only the scrollbar's thumb (the
        gutter is kept, so no column moves), and a layout of the whole screen (reflowing
        every widget, drawing the Footer and the detail again) cost each keystroke 30-60 ms
        at 160x48."""
        set_virtual_size(self, Size(self._width, height))

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

    # -- the columns -----------------------------------------------------------------------

    def measure_columns(self, index: EventIndex) -> None:
        """Size the columns from what the cache holds (the index of all its events): call
        when the index is built or extended. REGION comes with a second region, ERROR with
        the first failure. Milliseconds at a million events."""
        from rdstrail_tui.query.measure import measure  # numpy: loaded with the index

        self.set_content(measure(index, self._cache))

    def set_content(self, content: CachedContent) -> None:
        if content != self._content:
            self._content = content
            self._columns_changed()

    def set_context(self, *, errors_first: bool) -> None:
        """What the filter asks of the columns: `errors_first` when it keeps failed calls
        only (wants_errors_first), so that the why of each is readable at 80 columns."""
        if errors_first != self._errors_first:
            self._errors_first = errors_first
            self._columns_changed()

    @property
    def column_view(self) -> ColumnView:
        """The columns shown now, with their widths."""
        return self._view(self._row_width, self._column_offset)

    def _columns(self) -> tuple[Column, ...]:
        content = self._content
        shown: list[Column] = []
        for column in TABLE_COLUMNS:
            if column is REGION and (content is None or content.regions <= 1):
                continue
            if column is ERROR:
                if content is not None and content.failures == 0:
                    continue
                if self._errors_first:
                    column = errors_first(column)
            shown.append(column)
        return tuple(shown)

    def _natural(self, columns: Sequence[Column]) -> list[int]:
        measured = self._content.widths if self._content is not None else {}
        return [measured.get(column.field, column.natural) for column in columns]

    def _view(self, width: int, offset: int) -> ColumnView:
        """TIME, then as many of the other columns as fit, `offset` of them scrolled off
        after TIME. Scrolled, the first column that the view one step to the left did not
        show is always kept, so that each Right brings in a hidden column (and Left undoes
        it exactly)."""
        key = (width, offset)
        view = self._views.get(key)
        if view is not None:
            return view
        columns = self._columns()
        rest = columns[1 + offset :]
        keep = 0
        if offset:
            before = self._view(width, offset - 1)
            # Index in `columns` of the first column the view to the left did not show...
            first_hidden = offset - 1 + len(before.widths)
            # ...and how many columns of this view (TIME included) must be kept for it.
            keep = first_hidden - offset + 1
        shown = (columns[0], *rest)
        layout = Layout.best(shown, self._natural(shown), width, keep=keep)
        count = len(layout.widths)
        view = ColumnView(
            columns=shown[:count],
            widths=layout.widths,
            gap=layout.gap,
            hidden_left=offset > 0,
            hidden_right=count < len(shown),
        )
        self._views[key] = view
        return view

    @property
    def _row_width(self) -> int:
        return max(self._width - _MARK_CELLS, 0)

    def _columns_changed(self) -> None:
        self._views.clear()
        self._strips.clear()
        self._column_offset = self._clamped_offset(self._column_offset)
        self.refresh()
        self.refresh_bindings()

    def _clamped_offset(self, offset: int) -> int:
        """Scrolling stops where the last column is in view (and a wider terminal may need
        less of it)."""
        width = self._row_width
        offset = max(0, min(offset, len(self._columns()) - 2))
        while offset > 0 and not self._view(width, offset - 1).hidden_right:
            offset -= 1
        return offset

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "scroll_columns":
            # Only where it applies: in the Footer while some column is hidden.
            view = self.column_view
            return view.hidden_left or view.hidden_right
        return super().check_action(action, parameters)

    def action_scroll_columns(self, step: int) -> None:
        view = self.column_view
        if (step > 0 and not view.hidden_right) or (step < 0 and not view.hidden_left):
            return
        self._column_offset = max(self._column_offset + step, 0)
        self._strips.clear()
        self.refresh()
        self.refresh_bindings()

    # -- drawing ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        # Focus and theme change how lines look: drawn lines must be drawn again.
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        self.virtual_size = Size(self._width, len(self._rows) + 1)
        self._strips.clear()
        self._views.clear()
        self._column_offset = self._clamped_offset(self._column_offset)
        self.refresh_bindings()
        self._scroll_cursor_into_view()

    @property
    def _width(self) -> int:
        """Cells a row may use: the widget less its scrollbar's gutter (kept even while
        every row fits, see DEFAULT_CSS)."""
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
                return line.crop(0, width).extend_cell_length(width, self.rich_style)
            return Strip.blank(width, self.rich_style)
        rowid = self._rowid_at(index)
        if rowid is None:
            return Strip.blank(width, self.rich_style)
        key = (rowid, width, index == self.cursor, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            if rowid not in self._events:  # once a frame: the first unread row reads them all
                self._fetch_shown(rowid)
            event = self._events.get(rowid)
            strip = self._row_strip(event, width, index == self.cursor)
            self._strips[key] = strip
            if len(self._strips) > _STRIPS_CACHED:
                self._strips.popitem(last=False)
        return strip

    def _header(self, width: int) -> Strip:
        view = self.column_view
        titles = [
            pad(shorten(column.header, w, "start"), w)
            for column, w in zip(view.columns, view.widths)
        ]
        if view.hidden_left:  # in TIME's last cell, which "TIME (UTC)" never reaches
            titles[0] = titles[0][:-1] + MORE_LEFT
        text = " " * _MARK_CELLS + (" " * view.gap).join(titles)
        if view.hidden_right:  # at the right edge, however wide the columns came out
            text = pad(text, width - 1)[: width - 1] + MORE_RIGHT
        style = self.get_component_rich_style("eventlist--header")
        return Strip([Segment(text, style)]).crop(0, width).extend_cell_length(width, style)

    def _row_strip(self, event: Event | None, width: int, is_cursor: bool) -> Strip:
        if event is None:  # gone from the cache since it was listed (cleared meanwhile)
            return Strip.blank(width, self.rich_style)
        view = self.column_view
        # Event text is attacker-controlled: escaped, and drawn as plain Segments.
        cells = [
            cell(printable(column.value(event)), w, keep=column.keep)
            for column, w in zip(view.columns, view.widths)
        ]
        mark = mark_of(event)
        kind = _MARK_STYLES.get(mark, "read")
        style: Style = self.get_component_rich_style(f"eventlist--{kind}")
        if is_cursor:
            style = style + self.get_component_rich_style("eventlist--cursor")
        text = f"{mark} " + (" " * view.gap).join(cells)
        return Strip([Segment(text, style)]).crop(0, width).extend_cell_length(width, style)

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

    def _fetch_shown(self, drawn: int) -> None:
        """Fetch the events of every row on screen (and `drawn`'s) in one query. Only those:
        the window of rowids spans three screens, and each row not yet read costs a random
        read of the cache (cold at ten million events), which the keystroke that changed
        the list, or End, would wait for. The rows a scroll brings in are fetched when they
        are drawn."""
        top = self.scroll_offset.y
        bottom = min(top + max(self.size.height - 1, 1), len(self._rows))
        # Every shown row lies within the window that the first of them placed.
        shown = [self._rowid_at(index) for index in range(top, bottom)]
        self._fetch([drawn, *(rowid for rowid in shown if rowid is not None)])

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
            self._scroll_to_row(max(self.cursor - rows_shown // 2, 0))
        elif self.cursor < top:
            self._scroll_to_row(self.cursor)
        elif self.cursor >= top + rows_shown:
            self._scroll_to_row(self.cursor - rows_shown + 1)

    def _scroll_to_row(self, index: int) -> None:
        # Forced: a list that has just grown from a screenful (a filter cleared) has no
        # scrollbar yet, and Textual does not scroll a widget without one. The offset is
        # still kept within the rows (max_scroll_y follows virtual_size at once).
        self.scroll_to(y=index, animate=False, force=True)

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
