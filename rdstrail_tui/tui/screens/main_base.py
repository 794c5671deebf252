"""What the parts of the main screen share: its state, focus and the status line.

The main screen is put together from parts: `FilterHandling` (filtering.py),
`DetailHandling` (detail.py) and `MainScreen` itself (main.py), which sets the state
declared here. Each part is a Screen subclass, not a plain mixin, because Textual registers
`@on` handlers only on classes of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import actions
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.tui.actions import DETAIL, FILTER, LIST, Zone
from rdstrail_tui.tui.status_line import Coverage, status_line
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox

if TYPE_CHECKING:  # numpy loads with the index, after the first paint
    from rdstrail_tui.query.memory import EventIndex


class MainScreenBase(Screen[None]):
    cache: Cache
    source_label: str
    index: EventIndex | None  # None until the first build is ready
    opening_index: bool  # while the persisted index is being mapped, after the mount
    total: int  # events in the cache
    coverage: Coverage | None

    @property
    def compact(self) -> bool:
        """80x24 and the like: the list alone, an opened event in its place."""
        return self.has_class("-compact")

    @property
    def focus_zone(self) -> Zone:
        """Where the focus is: what Escape, q and the Footer mean there."""
        focused = self.focused
        if isinstance(focused, FilterBox):
            return FILTER
        if focused is not None and self.query_one("#detail") in focused.ancestors_with_self:
            return DETAIL
        return LIST

    def _focus(self, widget: Widget) -> None:
        """Focus now, not on the next idle (Widget.focus): keys that arrive in one burst (a
        paste, a slow SSH link delivering `/modify` in one packet) must reach the widget the
        key before them chose, or the `d` of "modify" would toggle the diff instead. Checks
        of focus use `self.focused`, which this sets at once (`has_focus` follows later).

        At 80x24 the detail takes the list's place: focus in it opens it, focus anywhere
        else closes it, so the focus is never on a widget that is not shown."""
        if self.compact:
            self.set_class(self.query_one("#detail") in widget.ancestors_with_self, "-detail-open")
        self.set_focus(widget)

    def _focused_widget_takes(self, key: str) -> bool:
        """The focused widget has a binding of its own for `key` that applies now (the diff's
        Escape closes an opened value first): a priority binding of the screen's for that
        key stands aside for it."""
        focused = self.focused
        if focused is None:
            return False
        for binding in Binding.make_bindings(getattr(type(focused), "BINDINGS", [])):
            if binding.key == key:
                _, name, parameters = actions.parse(binding.action)
                if focused.check_action(name, parameters):
                    return True
        return False

    def _sync_filter(self) -> None:
        """Apply the filter box's text if a message has yet to (FilterHandling)."""

    def _after_refilter(self) -> None:
        """Called after the list shows a new filter's result (or grew): the detail must not
        go on showing an event the filter dropped."""

    def _update_status(self) -> None:
        """Counts and coverage, shortened to fit the line (see `status_line`)."""
        status = self.query_one("#status", Static)
        text = status_line(
            self.source_label,
            len(self.query_one(EventList).rows),
            self.total,
            width=max(1, self.app.size.width - status.styles.gutter.width),
            indexing=self.index is None and self.total > 0 and not self.opening_index,
            coverage=self.coverage,
        )
        status.update(text, layout=False)  # one line, always: no layout pass per keystroke
