"""The main screen's filtering: the filter box typed live, its keys, the quick filters."""

from __future__ import annotations

from textual import on
from textual.actions import SkipAction
from textual.widgets import Input, Static

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import Filter, FilterError, parse_filter, with_term
from rdstrail_tui.query.rows import IndexedRows, SqlRows
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox


class FilterHandling(MainScreenBase):
    def __init__(self) -> None:
        super().__init__()
        self.filter: Filter = parse_filter("")

    def _refilter(self) -> None:
        events = self.query_one(EventList)
        rows = (
            IndexedRows(self.index.select(self.filter, self.cache))
            if self.index is not None
            else SqlRows(self.cache, self.filter)
        )
        events.show(rows, keep_rowid=events.current_rowid)
        self._update_status()

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
        error_line.display = False
        self._refilter()
        return True

    @on(Input.Changed, "#filter")
    def _filter_typed(self, event: Input.Changed) -> None:
        self._set_filter(event.value)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False takes a binding out of the Footer (and of the keys' resolution), so that
        # e.g. the list's "Open" shows for Enter unless the filter box has the focus.
        in_filter = self.focused is self.query_one(FilterBox)
        if action in ("keep_filter", "clear_filter"):
            return in_filter
        if action == "focus_filter":
            return not in_filter
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

    def action_clear_filter(self) -> None:
        box = self.query_one(FilterBox)
        if self.focused is not box:
            raise SkipAction  # Escape elsewhere is action_back
        self._focus(self.query_one(EventList))
        box.call_later(box.clear)  # Input.Changed then re-applies the empty filter

    def _add_term(self, term: str) -> None:
        box = self.query_one(FilterBox)
        box.value = with_term(box.value, term)
        box.remember()

    def action_quick(self, key: str) -> None:
        event = self.query_one(EventList).current_event
        if event is None:
            return
        value = {"name": event.event_name, "user": event.principal, "res": event.resource}[key]
        if not value:
            self.notify(f"This event has no {key} to filter by", severity="warning")
            return
        self._add_term(f"{key}:{value}")

    def action_toggle_errors(self) -> None:
        box = self.query_one(FilterBox)
        try:
            terms = parse_filter(box.value).terms
        except FilterError:
            terms = ()
        errors = [t for t in terms if t.key == "is" and t.value.lower() == "error"]
        if not errors:
            self._add_term("is:error")
            return
        text = box.value
        for term in sorted(errors, key=lambda t: t.position, reverse=True):
            text = text[: term.position] + text[term.position + term.length :]
        box.value = " ".join(text.split())
