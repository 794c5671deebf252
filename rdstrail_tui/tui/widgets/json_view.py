"""The detail pane: one CloudTrail record, pretty-printed, highlighted and foldable.

A Line API widget: `present.json_layout` lays the record out as display lines (wrapped to
the pane, so there is never horizontal scrolling) and `render_line` turns only the visible
ones into Strips. The layout is rebuilt only when the record, the folds or the width change,
and each wrapped row is cached per width, so a 256 KB record scrolls as fast as a small one.

`help_target` names the key under the cursor line for the field help (`i`, tui/actions.py):
the JSON path of the cursor's row, read as a key of the record's requestParameters or
responseElements.

The record is attacker-controlled. Strips are built from Segments with explicit Styles (no
markup is ever parsed) and every key and string has been made printable by `jsonlines`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.field_help import HelpTarget, PathKey, record_field
from rdstrail_tui.present.json_layout import JsonDocument, Kind, Layout, Line, message_layout
from rdstrail_tui.tui.widgets.virtual_size import set_virtual_size

_KINDS: tuple[Kind, ...] = (
    "key",
    "string",
    "number",
    "boolean",
    "null",
    "punctuation",
    "masked",
    "folded",
)


class JsonView(ScrollView, can_focus=True):
    """A JSON value with a line cursor; containers fold and unfold from the keyboard."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,space", "toggle_fold", "Fold"),
        # The explorer's Footer leaves these two out (tui/actions.py, FOOTER_HIDDEN).
        Binding("minus", "fold_all", "Fold all", key_display="-", id="fold-all"),
        Binding("plus,equals_sign", "unfold_all", "Unfold all", key_display="+", id="unfold-all"),
        Binding("left", "fold_parent", "Fold enclosing", show=False),
        Binding("right", "unfold", "Unfold / step in", show=False),
        Binding("up,k", "cursor_up", "Cursor up", show=False),
        Binding("down,j", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First line", show=False),
        Binding("end,G", "cursor_last", "Last line", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"jsonview--{kind}" for kind in _KINDS),
        "jsonview--cursor",
        "jsonview--message",
    }

    # The styles keep working without colour: nulls, folds and notes are italic, masked
    # values bold, and the focused cursor line bold as well as tinted.
    DEFAULT_CSS = """
    JsonView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: auto;
        /* The width never changes when a scrollbar comes or goes, so neither does the
           wrapping. */
        scrollbar-gutter: stable;
        & > .jsonview--key { color: $text-accent; }
        & > .jsonview--string { color: $text-success; }
        & > .jsonview--number { color: $text-warning; }
        & > .jsonview--boolean { color: $text-primary; }
        & > .jsonview--null { color: $text-muted; text-style: italic; }
        & > .jsonview--punctuation { color: $text-muted; }
        & > .jsonview--masked { color: $text-error; text-style: bold; }
        & > .jsonview--folded { color: $text-muted; text-style: italic; }
        & > .jsonview--message { color: $text-muted; text-style: italic; }
        & > .jsonview--cursor { background: $foreground 10%; }
        &:focus > .jsonview--cursor { background: $accent 30%; text-style: bold; }
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._document: JsonDocument | None = None
        self._message = ""
        self._folded: frozenset[int] = frozenset()
        self._cursor = 0  # a row of the document (not a display line)
        self._layout: Layout | None = None
        self._strips: LRUCache[tuple[int, bool, bool], Strip] = LRUCache(256)

    # -- public API ----------------------------------------------------------------------

    @property
    def value(self) -> object | None:
        """The value shown, or None while a message is shown instead."""
        return None if self._document is None else self._document.value

    @property
    def cursor_row(self) -> int:
        """The document row under the cursor (0 is the first line of the value)."""
        return self._cursor

    @property
    def cursor_line(self) -> int:
        """The first display line of the cursor row, or -1 when there is none."""
        layout = self._layout
        if layout is None or self._document is None or self._cursor not in layout.position:
            return -1
        return layout.row_lines(self._cursor).start

    @property
    def cursor_path(self) -> tuple[PathKey, ...] | None:
        """The JSON path of the cursor's row: `("requestParameters", "engine")`; a closing
        bracket stands for its container. None while a message is shown."""
        if self._document is None:
            return None
        return self._document.path(self._cursor)

    def help_target(self, event: Event | None) -> HelpTarget | None:
        """What the field help is asked about on the cursor's line, when the value shown is
        the record of `event` (None: its eventName and eventSource are read from the value
        itself). None while a message is shown."""
        path = self.cursor_path
        if path is None:
            return None
        section, below = record_field(path)
        if event is not None:
            return HelpTarget(event.event_name, section, below, event.event_source)
        record = self.value if isinstance(self.value, dict) else {}
        name, source = record.get("eventName"), record.get("eventSource")
        return HelpTarget(
            name if isinstance(name, str) else "",
            section,
            below,
            source if isinstance(source, str) else "",
        )

    def show(self, value: object) -> None:
        """Show `value` (parsed JSON) all unfolded, cursor and scroll at the top."""
        self._document = JsonDocument(value, char_width=get_character_cell_size)
        self._message = ""
        self._folded = frozenset()
        self._cursor = 0
        self._relayout()
        self._scroll_home()

    def show_message(self, text: str) -> None:
        """Show a line of text (e.g. "No event selected") instead of a value."""
        self._document = None
        self._message = text
        self._folded = frozenset()
        self._cursor = 0
        self._relayout()
        self._scroll_home()

    def _scroll_home(self) -> None:
        # Before mounting there is no app to scroll with, and the offset is 0 anyway.
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False, force=True, immediate=True)

    def line_texts(self) -> list[str]:
        """The plain text of every display line: for tests and copying."""
        return [] if self._layout is None else self._layout.text()

    # -- layout --------------------------------------------------------------------------

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def _relayout(self) -> None:
        """Rebuild the display lines for the current record, folds and width."""
        width = self._width()
        self._strips.clear()
        if width <= 0:  # not laid out yet: on_resize comes back here
            self._layout = None
            self.virtual_size = Size(0, 0)
            return
        if self._document is None:
            self._layout = message_layout(self._message, width, get_character_cell_size)
        else:
            self._layout = self._document.layout(width, self._folded)
        # Quietly: a new record in the detail, taken in a frame after the list's, would
        # otherwise lay out the whole screen in the frame of the next keystroke.
        set_virtual_size(self, Size(width, len(self._layout.lines)))
        self.refresh()

    def _on_resize(self, event: events.Resize) -> None:
        if self._layout is None or self._layout.width != self._width():
            self._relayout()
            self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        # Theme or pseudo-class changes alter the component styles baked into cached strips.
        super().notify_style_update()
        self._strips.clear()

    def _set_folded(self, folded: frozenset[int]) -> None:
        if folded == self._folded or self._document is None:
            return
        self._folded = folded
        self._cursor = self._document.visible_row(self._cursor, folded)
        self._relayout()
        self._scroll_to_cursor()

    # -- rendering -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._width()
        index = self.scroll_offset.y + y
        layout = self._layout
        if layout is None or index >= len(layout.lines):
            return Strip.blank(width, self.rich_style)
        on_cursor = self._document is not None and layout.line_rows[index] == self._cursor
        key = (index, on_cursor, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strip(layout.lines[index], width, on_cursor)
            self._strips.set(key, strip)
        return strip

    def _strip(self, line: Line, width: int, on_cursor: bool) -> Strip:
        base = self.rich_style
        if self._document is None:
            styles = {"plain": self.get_component_rich_style("jsonview--message")}
        else:
            styles = {kind: self.get_component_rich_style(f"jsonview--{kind}") for kind in _KINDS}
        overlay = Style()
        if on_cursor:
            cursor = self.get_component_rich_style("jsonview--cursor")
            # Only the tint and text style: the kinds keep their colours on the cursor line.
            overlay = Style(bgcolor=cursor.bgcolor, bold=cursor.bold, reverse=cursor.reverse)
        segments = [Segment(text, styles.get(kind, base) + overlay) for text, kind in line]
        return Strip(segments).adjust_cell_length(width, base + overlay)

    # -- cursor --------------------------------------------------------------------------

    def _move_to(self, row: int) -> None:
        if row != self._cursor:
            self._cursor = row
            self.refresh()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        layout = self._layout
        if layout is None or self._document is None or self._cursor not in layout.position:
            return
        lines = layout.row_lines(self._cursor)
        # A row taller than the pane: show its first line.
        height = max(1, min(len(lines), self.scrollable_content_region.height))
        region = Region(0, lines.start, layout.width, height)
        self.scroll_to_region(region, animate=False, force=True, x_axis=False, immediate=True)

    def _step(self, delta: int) -> None:
        layout = self._layout
        if layout is None or self._document is None or not layout.rows:
            return
        position = layout.position.get(self._cursor, 0) + delta
        self._move_to(layout.rows[max(0, min(position, len(layout.rows) - 1))])

    def _page(self, direction: int) -> None:
        layout = self._layout
        if layout is None:
            return
        if self._document is None or self._cursor not in layout.position:
            self.scroll_page_down() if direction > 0 else self.scroll_page_up()
            return
        page = max(1, self.scrollable_content_region.height - 1)
        line = layout.row_lines(self._cursor).start + direction * page
        self.scroll_to(
            y=self.scroll_y + direction * page, animate=False, force=True, immediate=True
        )
        self._move_to(layout.row_at(line))

    def action_cursor_up(self) -> None:
        self._step(-1)

    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_page_up(self) -> None:
        self._page(-1)

    def action_cursor_page_down(self) -> None:
        self._page(1)

    def action_cursor_first(self) -> None:
        if self._layout is not None and self._layout.rows:
            self._move_to(self._layout.rows[0])
        self.scroll_to(y=0, animate=False, force=True, immediate=True)

    def action_cursor_last(self) -> None:
        if self._layout is not None and self._layout.rows:
            self._move_to(self._layout.rows[-1])
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True, immediate=True)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self._layout is not None and self._document is not None:
            line = self.scroll_offset.y + offset.y
            if line < len(self._layout.lines):
                self._move_to(self._layout.row_at(line))

    # -- folding -------------------------------------------------------------------------

    def action_toggle_fold(self) -> None:
        """Fold or unfold the container on (or around) the cursor line."""
        if self._document is None:
            return
        target = self._document.container_of(self._cursor)
        if target is not None:
            self._cursor = target
            self._set_folded(self._folded ^ {target})
            self._scroll_to_cursor()

    def action_fold_parent(self) -> None:
        """Fold the open container on the cursor line, else the one around it."""
        document = self._document
        if document is None:
            return
        row = document.rows[self._cursor]
        target: int | None = self._cursor
        if not row.opens or self._cursor in self._folded:
            target = document.enclosing(self._cursor)
        if target is not None:
            self._cursor = target
            self._set_folded(self._folded | {target})
            self._move_to(target)

    def action_unfold(self) -> None:
        """Unfold the container on the cursor line; on an open one, step into it."""
        document = self._document
        if document is None or not document.rows[self._cursor].opens:
            return
        if self._cursor in self._folded:
            self._set_folded(self._folded - {self._cursor})
        else:
            self._step(1)

    def action_fold_all(self) -> None:
        """Fold every container below the top level."""
        if self._document is not None:
            self._set_folded(self._document.below_top())

    def action_unfold_all(self) -> None:
        self._set_folded(frozenset())
