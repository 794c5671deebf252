"""The request-vs-response diff of one record: a summary line, then one row per key.

A Line API widget like the JSON view: `present.diff.layout` lays the diff out as lines of
`(text, kind)` spans and `render_line` turns the visible ones into Strips. A line cursor
moves over the entries (rows, the error message, the fold line of the keys set by AWS);
Enter opens a row that was cut whole, in place, and Escape (or Enter again) closes it.
`help_target` names the key under the cursor for the field help (`i`, tui/actions.py).

Every key and value shown here was written by whoever made the AWS call. The spans have been
through `printable`, and Strips are built from Segments with explicit Styles: no markup is
ever parsed, so brackets show as brackets and control characters as `\\x1b`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rdstrail_tui.model.event import Event
from rdstrail_tui.present.diff import Diff, Status
from rdstrail_tui.present.diff.layout import DiffLayout, Kind, layout_diff, line_text
from rdstrail_tui.present.field_help import OPERATION, HelpTarget, PathKey, diff_row_field
from rdstrail_tui.tui.widgets.virtual_size import set_virtual_size

_COMPONENT: dict[Status, str] = {
    Status.APPLIED: "diffview--applied",
    Status.CHANGED: "diffview--changed",
    Status.PENDING: "diffview--pending",
    Status.MASKED: "diffview--masked",
    Status.REQUEST_ONLY: "diffview--request-only",
    Status.SET_BY_AWS: "diffview--set-by-aws",
}
# Spans of these kinds take the colour of their row's status.
_STATUS_KINDS: frozenset[Kind] = frozenset({"symbol", "key", "value", "fold"})
_KIND_COMPONENT: dict[Kind, str] = {
    "summary": "diffview--summary",
    "error": "diffview--error",
    "arrow": "diffview--arrow",
    "note": "diffview--note",
    "more": "diffview--note",
}
# The columns' whitespace and the indentation under a wrapped value. Invisible (metadata
# only), it keeps that whitespace a run of its own: merged into the value's run it is
# leading whitespace, which some SVG renderers (rsvg) drop from screenshots, and the key
# then touches its value.
_GUTTER = Style(meta={"diffview": "gutter"})


class DiffView(ScrollView, can_focus=True):
    """Shows a `Diff`: the summary, then `SYMBOL  key  value` per key, with a line cursor.

    Keys set by AWS are folded into one line until `a` is pressed. A row too long for
    `MAX_ROW_LINES` lines ends with an ellipsis; Enter on it shows it whole."""

    # Footer labels are short; the tooltips are what the help says.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_aws", "Set by AWS", tooltip="list or fold the keys set by AWS"),
        Binding(
            "enter",
            "toggle_value",
            "Open",
            tooltip="show a value cut with \u2026 whole, or cut it again",
        ),
        # Enter on the fold line is `a`: no label of its own (the fold line says `a: show`).
        Binding("enter", "toggle_fold", show=False),
        Binding(
            "escape",
            "close_value",
            "Close",
            key_display="Esc",
            tooltip="cut the opened value again (else: back to the list)",
        ),
        # q goes back like Escape in the detail, so it closes an opened value first too.
        Binding("q", "close_value", show=False),
        # `i` is the main screen's (the field help, tui/actions.py). While the diff's own
        # Enter and Escape fill the Footer (a value to open or close), this binding stands in
        # for it there without a label, so that 80 columns hold the rest, and hands the key
        # on to the screen's (SkipAction).
        Binding("i", "pass_field_help", show=False),
        Binding("up,k", "cursor_up", "Cursor up", show=False),
        Binding("down,j", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "cursor_page_up", "Page up", show=False),
        Binding("pagedown", "cursor_page_down", "Page down", show=False),
        Binding("home,g", "cursor_first", "First line", show=False),
        Binding("end,G", "cursor_last", "Last line", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *_COMPONENT.values(),
        *_KIND_COMPONENT.values(),
        "diffview--cursor",
    }

    # scrollbar-gutter: the wrap width must not depend on whether the scrollbar shows. The
    # cursor line is tinted and, focused, bold, as in the JSON view.
    DEFAULT_CSS = """
    DiffView {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        &:focus { background-tint: $foreground 5%; }
        & > .diffview--summary { text-style: bold; }
        & > .diffview--error { color: $text-error; text-style: bold; }
        & > .diffview--applied { color: $text-success; }
        & > .diffview--changed { color: $text-warning; text-style: bold; }
        & > .diffview--pending { color: $text-accent; }
        & > .diffview--masked { color: $text-secondary; }
        & > .diffview--request-only { color: $text-primary; }
        & > .diffview--set-by-aws { color: $text-muted; }
        & > .diffview--arrow { color: $text-muted; }
        & > .diffview--note { color: $text-muted; text-style: italic; }
        & > .diffview--cursor { background: $foreground 10%; }
        &:focus > .diffview--cursor { background: $accent 30%; text-style: bold; }
    }
    """

    show_aws: var[bool] = var(False)
    """Whether the keys set by AWS are listed (else folded into one line)."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._diff: Diff | None = None
        self._layout: DiffLayout | None = None
        self._cursor = 0  # an item of the layout
        self._expanded: int | None = None  # the item shown whole
        self._laid_width = -1
        self._offered = (False, False, False)  # _bindings_state when the Footer last asked
        self._strips: LRUCache[tuple[int, bool, bool], Strip] = LRUCache(256)

    # -- public API ----------------------------------------------------------------------

    @property
    def diff(self) -> Diff | None:
        return self._diff

    @property
    def plain_lines(self) -> list[str]:
        """The laid-out lines as text, wrapped to the current width."""
        layout = self._layout
        return [] if layout is None else [text.rstrip() for text in layout.text()]

    @property
    def cursor_item(self) -> int:
        """The entry under the cursor (0: the first below the summary)."""
        return self._cursor

    @property
    def cursor_lines(self) -> list[str]:
        """The text of the lines of the entry under the cursor."""
        layout = self._layout
        if layout is None or not layout.items:
            return []
        return [line_text(layout.lines[i]).rstrip() for i in layout.item_lines(self._cursor)]

    @property
    def cursor_field(self) -> tuple[str, tuple[PathKey, ...]] | None:
        """The section and path of the key under the cursor: a request parameter, or a
        (dotted) key set by AWS in the response; the call itself on the error line or the
        fold line. None while no diff is laid out."""
        layout = self._layout
        if layout is None or not layout.items:
            return None
        item = layout.items[self._cursor]
        if item.kind != "row" or item.row is None:
            return OPERATION, ()
        return diff_row_field(item.row)

    def help_target(self, event: Event | None) -> HelpTarget | None:
        """What the field help is asked about on the cursor's line, for the diff of `event`
        (None while there is nothing under the cursor)."""
        field = self.cursor_field
        if field is None:
            return None
        section, path = field
        if event is None:
            return HelpTarget("", section, path)
        return HelpTarget(event.event_name, section, path, event.event_source)

    @property
    def expanded(self) -> bool:
        """Whether an entry that was cut is shown whole."""
        return self._expanded is not None

    def show(self, diff: Diff) -> None:
        """Display `diff`, from the top. Whether AWS's keys show is kept between records."""
        self._diff = diff
        self._cursor = 0
        self._expanded = None
        self._relayout()
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False, force=True, immediate=True)

    def clear(self) -> None:
        self._diff = None
        self._cursor = 0
        self._expanded = None
        self._relayout()

    # -- layout --------------------------------------------------------------------------

    def _width(self) -> int:
        return self.scrollable_content_region.width

    def _relayout(self) -> None:
        self._strips.clear()
        width = self._laid_width = self._width()
        if not self.is_mounted or width <= 0 or self._diff is None:
            # Not laid out yet (on_resize comes back here), or nothing to show.
            self._layout = None
            self.virtual_size = Size(max(0, width), 0)
        else:
            self._layout = layout_diff(
                self._diff,
                width,
                show_aws=self.show_aws,
                expanded=self._expanded,
                char_width=get_character_cell_size,
            )
            last = len(self._layout.items) - 1
            self._cursor = max(0, min(self._cursor, last))
            set_virtual_size(self, Size(width, len(self._layout.lines)))
        self.refresh()
        self._refresh_bindings()

    def on_resize(self, event: events.Resize) -> None:
        if self._laid_width != self._width():
            self._relayout()
            self._scroll_to_cursor()

    def notify_style_update(self) -> None:
        # Theme or pseudo-class change: the styles baked into the cached strips are stale.
        super().notify_style_update()
        self._strips.clear()

    def watch_show_aws(self) -> None:
        if self._expanded is not None and self._layout is not None:
            item = self._layout.items[self._expanded]
            if item.status is Status.SET_BY_AWS:
                self._expanded = None
        self._relayout()
        self._scroll_to_cursor()

    # -- rendering -----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self._width()
        index = self.scroll_offset.y + y
        layout = self._layout
        if layout is None or index >= len(layout.lines):
            return Strip.blank(width, self.rich_style)
        on_cursor = layout.line_items[index] == self._cursor  # summary lines are -1
        key = (index, on_cursor, self.has_focus)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strip(layout, index, width, on_cursor)
            self._strips.set(key, strip)
        return strip

    def _strip(self, layout: DiffLayout, index: int, width: int, on_cursor: bool) -> Strip:
        base = self.rich_style
        item = layout.line_items[index]
        status = layout.items[item].status if item >= 0 else None
        by_status = base
        if status is not None:
            by_status = self.get_component_rich_style(_COMPONENT[status])
        overlay = Style()
        if on_cursor:
            cursor = self.get_component_rich_style("diffview--cursor")
            # Only the tint and text style: the statuses keep their colours on the cursor.
            overlay = Style(bgcolor=cursor.bgcolor, bold=cursor.bold, reverse=cursor.reverse)
        segments = [
            Segment(text, self._span_style(kind, by_status, base) + overlay)
            for text, kind in layout.lines[index]
        ]
        return Strip(segments).adjust_cell_length(width, base + overlay)

    def _span_style(self, kind: Kind, by_status: Style, base: Style) -> Style:
        if kind == "gap":
            return base + _GUTTER
        if kind in _STATUS_KINDS:
            return by_status
        component = _KIND_COMPONENT.get(kind)
        return base if component is None else self.get_component_rich_style(component)

    # -- cursor --------------------------------------------------------------------------

    def _move_to(self, item: int, *, from_below: bool = False) -> None:
        if item != self._cursor:
            self._cursor = item
            self.refresh()
            self._refresh_bindings()
        self._scroll_to_cursor(from_below=from_below)

    def _scroll_to_cursor(self, *, from_below: bool = False) -> None:
        layout = self._layout
        if layout is None or not layout.items:
            return
        lines = layout.item_lines(self._cursor)
        height = max(1, self.scrollable_content_region.height)
        if self._cursor == 0:
            # The first entry brings the summary with it.
            lines = range(0, lines.stop)
        if len(lines) > height:
            # Taller than the pane: its start, or its end when reached from below.
            top = lines.stop - height if from_below else lines.start
            self.scroll_to(y=top, animate=False, force=True, immediate=True)
            return
        region = Region(0, lines.start, layout.width, len(lines))
        self.scroll_to_region(region, animate=False, force=True, x_axis=False, immediate=True)

    def _viewport(self) -> range:
        top = round(self.scroll_y)
        return range(top, top + max(1, self.scrollable_content_region.height))

    def action_cursor_down(self) -> None:
        layout = self._layout
        if layout is None or not layout.items:
            return
        # Within an entry taller than the pane, a line at a time until its end shows.
        if layout.item_lines(self._cursor).stop > self._viewport().stop:
            self.scroll_to(y=self.scroll_y + 1, animate=False, force=True, immediate=True)
            return
        self._move_to(min(self._cursor + 1, len(layout.items) - 1))

    def action_cursor_up(self) -> None:
        layout = self._layout
        if layout is None or not layout.items:
            return
        start = 0 if self._cursor == 0 else layout.item_lines(self._cursor).start
        if start < self._viewport().start:
            self.scroll_to(y=self.scroll_y - 1, animate=False, force=True, immediate=True)
            return
        self._move_to(max(self._cursor - 1, 0), from_below=True)

    def _page(self, direction: int) -> None:
        layout = self._layout
        if layout is None or not layout.items:
            return
        page = max(1, self.scrollable_content_region.height - 1)
        line = layout.item_lines(self._cursor).start + direction * page
        self.scroll_to(
            y=self.scroll_y + direction * page, animate=False, force=True, immediate=True
        )
        target = layout.item_at(line)
        if target != self._cursor:
            self._cursor = target
            self.refresh()
            self._refresh_bindings()
        # Keep the cursor on screen without undoing the page's scroll.
        if not set(layout.item_lines(self._cursor)) & set(self._viewport()):
            self._scroll_to_cursor()

    def action_cursor_page_down(self) -> None:
        self._page(1)

    def action_cursor_page_up(self) -> None:
        self._page(-1)

    def action_cursor_first(self) -> None:
        if self._layout is not None and self._layout.items:
            self._move_to(0)
        self.scroll_to(y=0, animate=False, force=True, immediate=True)

    def action_cursor_last(self) -> None:
        if self._layout is not None and self._layout.items:
            self._move_to(len(self._layout.items) - 1)
        self.scroll_to(y=self.max_scroll_y, animate=False, force=True, immediate=True)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and self._layout is not None and self._layout.items:
            line = self.scroll_offset.y + offset.y
            if line < len(self._layout.lines):
                self._move_to(self._layout.item_at(line))

    # -- opening and folding -------------------------------------------------------------

    def _bindings_state(self) -> tuple[bool, bool, bool]:
        layout = self._layout
        if layout is None or not layout.items:
            return False, False, self._expanded is not None
        return layout.can_open(self._cursor), self._on_fold(layout), self._expanded is not None

    def _refresh_bindings(self) -> None:
        # Only when what the Footer offers changes: each refresh redraws the Footer, which a
        # held-down arrow key would otherwise do at every row.
        state = self._bindings_state()
        if state != self._offered:
            self._offered = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False takes a binding out of the Footer and passes the key on: Escape goes back to
        # the list unless a value is open, Enter does nothing on a row shown whole.
        can_open, on_fold, expanded = self._bindings_state()
        if action == "toggle_value":
            return can_open
        if action == "toggle_fold":
            return on_fold
        if action == "close_value":
            return expanded
        if action == "pass_field_help":
            return can_open or expanded
        return super().check_action(action, parameters)

    def _on_fold(self, layout: DiffLayout) -> bool:
        return layout.items[self._cursor].kind == "fold"

    def action_pass_field_help(self) -> None:
        raise SkipAction  # to the screen's `i` (see BINDINGS)

    def action_toggle_aws(self) -> None:
        self.show_aws = not self.show_aws

    def action_toggle_fold(self) -> None:
        self.action_toggle_aws()

    def action_toggle_value(self) -> None:
        """Show the entry under the cursor whole, or cut again if it is shown whole."""
        layout = self._layout
        if layout is None or not layout.items or not layout.can_open(self._cursor):
            raise SkipAction
        self._expanded = None if self._expanded == self._cursor else self._cursor
        self._relayout()
        self._scroll_to_cursor()

    def action_close_value(self) -> None:
        if self._expanded is None:
            raise SkipAction  # Escape then goes back, as everywhere else
        self._cursor = self._expanded
        self._expanded = None
        self._relayout()
        self._scroll_to_cursor()
