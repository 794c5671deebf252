"""The main screen's detail: the event under the cursor as JSON or as a diff, below its
card; stepping to the next or previous event from it, going back, and copying it.

The detail never shows an event that the filter dropped: after every refilter it either
stays on an event the list still holds or, at 80x24, gives the screen back to the list.
"""

from __future__ import annotations

from typing import Literal

import orjson
from textual.widgets import Static

from rdstrail_tui.model.event import Event
from rdstrail_tui.tui.actions import DETAIL
from rdstrail_tui.tui.messages import EventHighlighted, EventOpened
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_card import EventCard
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.json_view import JsonView

NO_EVENT = -1  # wanted: the list has no event to show


class DetailHandling(MainScreenBase):
    def __init__(self) -> None:
        super().__init__()
        self.detail_rowid: int | None = None  # the event the detail shows
        self.detail_mode: Literal["json", "diff"] = "json"
        self._detail_wanted: int | None = None  # a rowid or NO_EVENT, until it is shown
        # The record whose diff the diff view does not show yet: a diff is worked out only
        # when it is looked at (it reads botocore's RDS model, which the JSON never needs).
        self._diff_due: dict[str, object] | None = None

    def on_event_highlighted(self, message: EventHighlighted) -> None:
        if self.compact:
            return
        self._detail_follows_later(message.rowid)

    def _detail_follows_later(self, rowid: int | None) -> None:
        """Show `rowid`'s event (None: say there is none) after the list's own frame: the
        cursor moves at once, the detail follows, and a held-down key renders only the
        event it stops on. Two frames on: reading and drawing an event (20-30 ms, and a
        layout of the screen when the JSON's length changes) in the list's frame held the
        new list back by as much, and more (tmux at 160x48)."""
        if self._detail_wanted is None:
            self.call_after_refresh(self.call_after_refresh, self._show_wanted_detail)
        self._detail_wanted = rowid if rowid is not None else NO_EVENT

    def _show_wanted_detail(self) -> None:
        wanted, self._detail_wanted = self._detail_wanted, None
        if wanted is not None and wanted != self.detail_rowid:
            self._show_detail(None if wanted == NO_EVENT else wanted)

    def on_event_opened(self, message: EventOpened) -> None:
        self._open_detail(message.rowid)

    def _open_detail(self, rowid: int | None) -> None:
        self._show_detail(rowid)
        # At 80x24 focusing the detail opens it in the list's place (MainScreenBase._focus).
        self._focus(self._detail_view())

    def _detail_view(self) -> JsonView | DiffView:
        """The view of the detail's mode: the one shown, and focused when the detail is."""
        return self.query_one(JsonView) if self.detail_mode == "json" else self.query_one(DiffView)

    def _show_detail(self, rowid: int | None) -> None:
        self.detail_rowid = rowid
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        event, record = self._event_and_record(rowid)
        self.query_one(EventCard).show(event if record is not None else None, record)
        self._diff_due = record
        if record is None:
            json_view.show_message("No event selected")
            diff_view.clear()
        else:
            json_view.show(record)
            if self.detail_mode == "diff":
                self._show_due_diff()
        self._update_detail_title()

    def _show_due_diff(self) -> None:
        record, self._diff_due = self._diff_due, None
        if record is not None:
            # Lazy: the diff's modules (and the RDS model they read) wait for the first diff.
            from rdstrail_tui.present.diff import diff_record

            self.query_one(DiffView).show(diff_record(record))

    def _event_and_record(self, rowid: int | None) -> tuple[Event | None, dict[str, object] | None]:
        """The event and its parsed record (None where there is none, or it is not an
        object)."""
        if rowid is None:
            return None, None
        event = self.cache.events_by_rowid([rowid], with_raw=True).get(rowid)
        if event is None:
            return None, None
        record = orjson.loads(event.raw)
        return event, record if isinstance(record, dict) else None

    def _record(self, rowid: int | None) -> dict[str, object] | None:
        return self._event_and_record(rowid)[1]

    def _update_detail_title(self) -> None:
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        showing_json = self.detail_mode == "json"
        json_view.display = showing_json
        diff_view.display = not showing_json
        title = "JSON  [d: Diff]" if showing_json else "Diff: requested vs response  [d: JSON]"
        self.query_one("#detail-title", Static).update(title, layout=False)  # one line, always

    def action_toggle_diff(self) -> None:
        self.detail_mode = "diff" if self.detail_mode == "json" else "json"
        if self.detail_mode == "diff":
            self._show_due_diff()
        self._update_detail_title()
        self.refresh_bindings()  # the Footer's d says what it switches to
        if self.compact and not self.has_class("-detail-open"):
            self._open_detail(self.query_one(EventList).current_rowid)
            return
        if self.focus_zone == DETAIL:
            self._focus(self._detail_view())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            # The key it is bound to, as a parameter: a view's own use of it goes first.
            key = str(parameters[0]) if parameters else "escape"
            return self.focus_zone == DETAIL and not self._focused_widget_takes(key)
        if action == "step":
            return self.focus_zone == DETAIL
        return super().check_action(action, parameters)

    def action_back(self, key: str = "escape") -> None:
        """Escape (or q) in the detail: back to the list, on the event that was read."""
        self._focus(self.query_one(EventList))

    def action_step(self, delta: int) -> None:
        """K / J in the detail: the previous / next event of the list, in the same mode;
        the list's cursor follows."""
        events = self.query_one(EventList)
        before = events.cursor
        if delta < 0:
            events.action_cursor_up()
        else:
            events.action_cursor_down()
        if events.cursor == before:
            self.app.bell()  # the first or the last event
            return
        self._show_detail(events.current_rowid)

    def _detail_follows_cursor(self) -> None:
        """Show the list cursor's event, as side by side and stacked layouts do (at 80x24 the
        detail is not kept up to date while it is closed)."""
        rowid = self.query_one(EventList).current_rowid
        if rowid != self.detail_rowid:
            self._detail_wanted = None
            self._show_detail(rowid)

    def _after_refilter(self) -> None:
        super()._after_refilter()
        rowid = self.detail_rowid
        if rowid is None:
            return
        if self.compact and not self.has_class("-detail-open"):
            # Closed at 80x24: nothing shows it. Enter or d opens the cursor's event, and a
            # wider terminal shows it too (`_detail_follows_cursor`).
            return
        events = self.query_one(EventList)
        if rowid == events.current_rowid or events.rows.position_of(rowid) is not None:
            return  # the event still matches: the detail stays on it
        if self.compact:
            # Dropped by the filter: the list comes back, and with it the focus (when the
            # focus was in the detail; the filter box keeps it while typing).
            if self.focus_zone == DETAIL:
                self._focus(events)
            self.remove_class("-detail-open")
            self.detail_rowid = None
        else:
            # Side by side or stacked the detail follows the list's cursor (or says there
            # is no event), after the new list is drawn: drawn with it, the first key typed
            # at a million events took 60-120 ms instead of 40-50.
            self._detail_follows_later(events.current_rowid)
