"""The main screen's filtering: the filter box typed live, its keys, the quick filters."""

from __future__ import annotations

from textual import events, on
from textual.actions import SkipAction
from textual.widgets import Input, Static

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import (
    Filter,
    FilterError,
    parse_filter,
    toggled_errors,
    with_exact_term,
)
from rdstrail_tui.query.rows import IndexedRows, SqlRows
from rdstrail_tui.tui.actions import FILTER, LIST
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.status_line import cut_right
from rdstrail_tui.tui.widgets.event_list import EventList, wants_errors_first
from rdstrail_tui.tui.widgets.filter_box import FilterBox

EMPTY_CACHE = "The cache is empty: L loads a trail, D opens the demo"
# The filter quoted in "No events match ..." is cut to this many cells.
QUOTED_FILTER_CELLS = 40


class FilterHandling(MainScreenBase):
    def __init__(self) -> None:
        super().__init__()
        self.filter: Filter = parse_filter("")
        self._box_has_text = False

    def _refilter(self) -> None:
        if self.opening_index:
            # The persisted index is being mapped (a few tenths after the mount): it answers
            # this filter when it is in, where SQLite could take seconds at ten million.
            return
        events = self.query_one(EventList)
        rows = (
            IndexedRows(self.index.selection(self.filter, self.cache))
            if self.index is not None
            else SqlRows(self.cache, self.filter)
        )
        self._update_empty_message()
        # With is:error every row failed: the ERROR column gets the room to be read.
        events.set_context(errors_first=wants_errors_first(self.filter))
        events.show(rows, keep_rowid=events.current_rowid)
        self._update_status()
        self._after_refilter()

    def _update_empty_message(self) -> None:
        """What an empty list says: that the cache is empty, or that the filter matches
        nothing (and, on the list, that Escape clears it)."""
        events = self.query_one(EventList)
        if self.total == 0:
            message = EMPTY_CACHE
        else:
            quoted = cut_right(printable(self.filter.text.strip()), QUOTED_FILTER_CELLS)
            message = f"No events match {quoted}"
            if self.focus_zone != FILTER:
                message += " (Esc clears it)"
        if message != events.empty_message:
            events.empty_message = message
            events.refresh()

    def on_descendant_focus(self, _: events.DescendantFocus) -> None:
        self._update_empty_message()

    def _set_filter(self, text: str) -> bool:
        """Apply filter text; a bad term is shown inline and the last good result stays."""
        error_line = self.query_one("#filter-error", Static)
        try:
            self.filter = parse_filter(text)
        except FilterError as error:
            # The box itself turns red: FilterSyntax is its validator.
            pointer = error.pointer(text).splitlines()[-1]
            error_line.update(f"{pointer}  {printable(error.message)}")
            error_line.display = True
            return False
        if error_line.display:  # setting it, even unchanged, costs a layout pass
            error_line.display = False
        self._refilter()
        return True

    def _sync_filter(self) -> None:
        """Apply the box's text now rather than when its Input.Changed arrives: a key that
        comes in the same burst as a quick filter (`e` then `w` over SSH) must act on the
        filter the quick filter set, not on the one before it; and a key typed alone into
        the box (FilterBox `typed`) is drawn in one frame with its list and count."""
        box = self.query_one(FilterBox)
        if box.value != self.filter.text:
            self._set_filter(box.value)

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        # Not again when _sync_filter has applied it (unless an error shows: after a bad
        # term, the text may be back to the last good filter, and the error must go).
        applied = event.value == self.filter.text
        # The box already holds a newer text, whose own Changed is queued behind this one:
        # a burst (a paste, a quick typist over a slow link) is filtered once, for its last
        # text, not once per character (a res: prefix costs a few tenths at ten million).
        superseded = event.value != self.query_one(FilterBox).value
        if not superseded and (not applied or self.query_one("#filter-error", Static).display):
            self._set_filter(event.value)
        has_text = bool(event.value.strip())
        if has_text != self._box_has_text:
            self._box_has_text = has_text
            # The list's "Esc Clear filter" comes or goes. Not while typing in the box, whose
            # keys do not depend on its text (and leaving it refreshes the Footer anyway):
            # the Footer is rebuilt at each refresh, which the first keystroke paid.
            if self.focus_zone != FILTER:
                self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False takes a binding out of the Footer (and of the keys' resolution), so that
        # e.g. the list's "Open" shows for Enter unless the filter box has the focus.
        zone = self.focus_zone
        if action in ("keep_filter", "cancel_filter"):
            return zone == FILTER
        if action == "focus_filter":
            return zone != FILTER
        if action == "clear_filter":
            # Escape on a list without a filter does nothing (and the Footer says nothing).
            return zone == LIST and bool(self.query_one(FilterBox).value.strip())
        return super().check_action(action, parameters)

    def action_focus_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is box:
            raise SkipAction  # a "/" typed into a filter (user:role/admin)
        self._focus(box)

    # Keys of a burst that were routed to the box before Enter or Escape still wait in its
    # queue: focus moves at once (it decides where later keys go), but what is done with the
    # box's text waits for them (call_later runs after the messages already queued).

    def action_keep_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is not box:
            raise SkipAction  # Enter elsewhere opens an event or folds JSON
        self._focus(self.query_one(EventList))
        box.call_later(box.remember)

    def action_cancel_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is not box:
            raise SkipAction  # Escape elsewhere goes back or clears the filter
        self._focus(self.query_one(EventList))
        # Input.Changed then re-applies the filter as it was, and the list follows.
        box.call_later(box.cancel_edit)

    def action_clear_filter(self) -> None:
        """Escape on the list: the filter goes (Input.Changed re-applies the empty one)."""
        box = self.query_one(FilterBox)
        box.action_empty()

    def action_quick(self, key: str) -> None:
        event = self.query_one(EventList).current_event
        if event is None:
            return
        value = {"name": event.event_name, "user": event.principal, "res": event.resource}[key]
        if not value:
            self.notify(f"This event has no {key} to filter by", severity="warning")
            return
        # Exact, in place of any other positive term of the key: `r` on reporting-pg is
        # that database, not also reporting-pg-replica, and not AND-ed onto another one.
        box = self.query_one(FilterBox)
        box.value = with_exact_term(box.value, key, value)
        box.remember()
        self._sync_filter()

    def action_toggle_errors(self) -> None:
        """Only errors <-> no error filter, whatever the filter held (`-is:error` too)."""
        box = self.query_one(FilterBox)
        box.value = toggled_errors(box.value)
        box.remember()
        self._sync_filter()
