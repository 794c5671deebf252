"""The filter box: the filter language typed live, with a history walked by up and down."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.validation import ValidationResult, Validator
from textual.widget import Widget

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import FilterError, parse_filter
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.widgets.in_order_input import InOrderInput


class FilterSyntax(Validator):
    """The filter language as the Input's validator, so Textual keeps the box's -invalid
    class right on every change and on blur."""

    def validate(self, value: str) -> ValidationResult:
        try:
            parse_filter(value)
        except FilterError as error:
            return self.failure(error.message)
        return self.success()


class FilterBox(InOrderInput):
    """Enter keeps the filter, Escape cancels the edit (both return to the list: the
    screen's actions), ctrl+u empties the box, up and down walk the history.

    Enter and Escape are priority bindings: Textual checks those when it takes a key in,
    before it routes the next key of a burst to the widget focused then, so the keys after
    them reach the list they return to. They exist only while the box has the focus (a
    widget's bindings are in force only then), and so does their Footer entry."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "screen.keep_filter",
            "Keep",
            key_display="Enter",
            priority=True,
            tooltip="keep the filter and return to the list",
        ),
        Binding(
            "escape",
            "screen.cancel_filter",
            "Cancel",
            key_display="Esc",
            priority=True,
            tooltip="cancel the edit (the filter as it was) and return to the list",
        ),
        # Input's own ctrl+u deletes only what is left of the cursor.
        Binding("ctrl+u", "empty", "Empty", tooltip="empty the box"),
        # One Footer entry for both: "↑↓ History".
        Binding(
            "up",
            "older",
            "History",
            key_display="↑↓",
            tooltip="older / newer filters from the history",
        ),
        Binding("down", "newer", show=False),
    ]
    DEFAULT_CSS = """
    FilterBox { border: none; height: 1; padding: 0 1; background: $boost; }
    FilterBox:focus { border: none; background: $accent 20%; }
    /* Input's own -invalid rules draw a tall red border, which would hide a one-line box. */
    FilterBox.-invalid, FilterBox.-invalid:focus { border: none; color: $error; }
    """

    def __init__(
        self,
        history: FilterHistory,
        *,
        id: str | None = None,
        typed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(
            placeholder="/ to filter: modify,delete -is:error res:=orders-prod  (? for help)",
            id=id,
            select_on_focus=False,
            validators=[FilterSyntax()],
        )
        self.history = history
        self._walk: int | None = None  # position in history while walking, None when typing
        self._draft = ""
        # What the box held when it was focused: Escape puts it back.
        self.value_at_focus = ""
        self._typed = typed

    def _watch_value(self, value: str) -> None:
        # Input sets its virtual size to the text's width at each change of the text, and
        # Textual lays the whole screen out again for a new virtual size: each key typed
        # paid a layout of every widget (35-70 ms of the first key at 160x48 in tmux). The
        # box has no scrollbar and its scrolling reads the size as it is, so the size is
        # set quietly; Input's watcher then finds it unchanged.
        self.set_reactive(Widget.virtual_size, Size(self.content_width, 1))
        super()._watch_value(value)

    async def _on_key(self, event: events.Key) -> None:
        """A key that changes the text, with nothing queued behind it, is applied at once
        (`typed`), not when its Input.Changed arrives: in between, Textual draws the box's
        echo in a frame of its own, and the list and count came a frame (25-50 ms) later.
        A key of a burst leaves it to Input.Changed, which filters once, for the last text."""
        alone = _nothing_queued(self)
        before = self.value
        await super()._on_key(event)
        if alone and self._typed is not None and self.value != before:
            self._typed()

    def on_focus(self, event: events.Focus) -> None:
        # Not when the terminal window regains focus: that is no new edit.
        if not event.from_app_focus:
            self.value_at_focus = self.value
            self._walk = None

    def cancel_edit(self) -> None:
        """Put back the filter the box held when it was focused."""
        self._walk = None
        self._show(self.value_at_focus)

    def action_empty(self) -> None:
        self._walk = None
        self._show("")

    def validate_value(self, value: str) -> str:
        """Textual calls this for every new value: whatever reaches the box (a paste, an old
        history entry) is shown with control and bidi characters as visible escapes, never
        painted raw. Quick filters arrive already quoted and escaped (filters.quote_value),
        which the filter language reads back as the exact characters."""
        return printable(value)

    def remember(self) -> None:
        """Save the filter to the history, unless it does not parse."""
        self._walk = None
        result = self.validate(self.value)
        if result is None or result.is_valid:
            self.history.add(self.value)

    def action_older(self) -> None:
        entries = self.history.entries
        if not entries:
            return
        if self._walk is None:
            self._draft = self.value
            self._walk = len(entries)
        self._walk = max(self._walk - 1, 0)
        self._show(entries[self._walk])

    def action_newer(self) -> None:
        if self._walk is None:
            return
        self._walk += 1
        if self._walk >= len(self.history.entries):
            self._walk = None
            self._show(self._draft)
        else:
            self._show(self.history.entries[self._walk])

    def _show(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)


def _nothing_queued(widget: Widget) -> bool:
    """No message waits for `widget` (the keys of a burst are queued to it one by one).
    Textual keeps a widget's messages in a queue of its own (an asyncio.Queue in older
    releases) with `empty()`; without one, say something is queued."""
    empty = getattr(getattr(widget, "_message_queue", None), "empty", None)
    return callable(empty) and empty() is True
