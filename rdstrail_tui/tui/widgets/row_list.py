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
from rich.style import Style
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
        self._rendered: dict[int, list[tuple[str, Style | None]]] = {}
        self._pieces_width = 0
        self._style_cache: tuple[bool, Style, Style] | None = None

    def set_rows(self, count: int, line_of: LineOf, cursor: int | None = None) -> None:
        """Show `count` rows, row i being `line_of(i)` (asked when drawn, then kept until
        the rows are set again), with the cursor on `cursor` (default: the first row)."""
        self.count = count
        self.line_of = line_of
        self._lines, self._rendered = {}, {}
        self.virtual_size = Size(self.size.width, count)
        self.set_reactive(RowList.cursor, min(max(cursor or 0, 0), max(count - 1, 0)))
        self._scroll_to_cursor()
        self.refresh()
        if count:
            self.post_message(self.Highlighted(self, self.cursor))

    def clear_rows(self) -> None:
        self.set_rows(0, _no_rows)

    def _line(self, index: int) -> Text:
        line = self._lines.get(index)
        if line is None:
            line = self._lines[index] = self.line_of(index)
        return line

    def _pieces(self, index: int, width: int) -> list[tuple[str, Style | None]]:
        """The row cut to `width` cells (an ellipsis where it is longer) as text and style
        pieces, worked out once per row and width: a row is drawn again at every cursor
        move and scroll, and only its background changes then."""
        if width != self._pieces_width:
            self._rendered, self._pieces_width = {}, width
        pieces = self._rendered.get(index)
        if pieces is None:
            line = self._line(index)
            if line.cell_len > width:
                line = line.copy()
                line.truncate(width, overflow="ellipsis")
            pieces = self._rendered[index] = [
                (segment.text, segment.style)
                for segment in line.render(self.app.console)
                if "\n" not in segment.text
            ]
        return pieces

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        # The width rows are cut to, so an ellipsis never hides under the scrollbar.
        width = self.scrollable_content_region.width or self.size.width
        base, cursor = self._styles()
        if not 0 <= index < self.count:
            return Strip.blank(width, base)
        style = cursor if index == self.cursor else base
        segments = [
            Segment(text, style + own if own else style) for text, own in self._pieces(index, width)
        ]
        # One Strip per line (each builds caches of its own): cut or padded to the width.
        return Strip(Segment.adjust_line_length(segments, width, style=style), width)

    def _styles(self) -> tuple[Style, Style]:
        """The row style and the cursor's, worked out once per style change, not per line
        (each asks Textual for the theme: a tenth of a second over a screen of rows)."""
        key = self.has_focus
        if self._style_cache is None or self._style_cache[0] != key:
            base = self.rich_style
            cursor = base + self.get_component_rich_style("row-list--cursor")
            self._style_cache = (key, base, cursor)
        return self._style_cache[1], self._style_cache[2]

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style_cache = None

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)

    # -- the cursor ------------------------------------------------------------------------

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

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
