"""A list of one-line rows that draws only the rows on screen: the history view's timeline
and configuration, the resources screen's table.

Textual's OptionList and DataTable build an object per row and lay every row out when the
list changes: a second or more for ten thousand resources or a busy database's timeline.
Here a row is asked for (`line_of(index)`) only when it is drawn, so filling the list costs
nothing whatever its length, and a row's text is never wrapped: it is cut at the width.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

LineOf = Callable[[int], Text]


def _no_rows(index: int) -> Text:
    return Text("")


class RowList(ScrollView, can_focus=True):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Open", show=False),
    ]
    DEFAULT_CSS = """
    RowList { height: 1fr; background: $surface; scrollbar-size-vertical: 1; overflow-x: hidden; }
    RowList > .row-list--cursor { background: $accent 40%; }
    RowList:focus > .row-list--cursor { background: $accent; color: $text; text-style: bold; }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {"row-list--cursor"}

    cursor: reactive[int] = reactive(0, init=False)

    class Highlighted(Message):
        def __init__(self, row_list: RowList, index: int) -> None:
            super().__init__()
            self.row_list = row_list
            self.index = index

        @property
        def control(self) -> RowList:
            return self.row_list

    class Selected(Highlighted):
        pass

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.count = 0
        self.line_of: LineOf = _no_rows
        self._lines: dict[int, Text] = {}

    def set_rows(self, count: int, line_of: LineOf, cursor: int | None = None) -> None:
        """Show `count` rows, row i being `line_of(i)` (asked when drawn, then kept until
        the rows are set again), with the cursor on `cursor` (default: the first row)."""
        self.count = count
        self.line_of = line_of
        self._lines = {}
        self.virtual_size = Size(self.size.width, count)
        self.set_reactive(RowList.cursor, min(max(cursor or 0, 0), max(count - 1, 0)))
        self._scroll_to_cursor()
        self.refresh()
        if count:
            self.post_message(self.Highlighted(self, self.cursor))

    def clear_rows(self) -> None:
        self.set_rows(0, _no_rows)

    def refresh_rows(self) -> None:
        """Draw the rows again (their text changed: a mark)."""
        self._lines = {}
        self.refresh()

    def _line(self, index: int) -> Text:
        line = self._lines.get(index)
        if line is None:
            line = self._lines[index] = self.line_of(index)
        return line

    def _fitted(self, index: int, width: int) -> Text:
        """The row cut to `width` cells with an ellipsis where it is longer."""
        line = self._line(index)
        if line.cell_len <= width:
            return line
        cut = line.copy()
        cut.truncate(width, overflow="ellipsis")
        return cut

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if not 0 <= index < self.count:
            return Strip.blank(width, base)
        text = self._fitted(index, width) if scroll_x == 0 else self._line(index)
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("row-list--cursor")
        segments = [
            Segment(segment.text, style + segment.style if segment.style else style)
            for segment in text.render(self.app.console)
            if "\n" not in segment.text
        ]
        strip = Strip(segments).crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, style).crop(0, width)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)

    # -- the cursor ------------------------------------------------------------------------

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_to_cursor()
        self.refresh()
        self.post_message(self.Highlighted(self, new))

    def _scroll_to_cursor(self) -> None:
        height = max(self.size.height, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _move(self, to: int) -> None:
        if self.count:
            self.cursor = min(max(to, 0), self.count - 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor - max(self.size.height - 1, 1))

    def action_page_down(self) -> None:
        self._move(self.cursor + max(self.size.height - 1, 1))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.count - 1)

    def action_select(self) -> None:
        if self.count:
            self.post_message(self.Selected(self, self.cursor))

    def line_text(self, index: int) -> str:
        """Row `index` as plain text (tests and the screens read it)."""
        return self._line(index).plain if 0 <= index < self.count else ""
