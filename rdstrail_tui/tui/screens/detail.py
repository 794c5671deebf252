"""The main screen's detail: the event under the cursor as JSON or as a diff, and copying it."""

from __future__ import annotations

from typing import Literal

import orjson
from textual.widgets import Static

from rdstrail_tui.present.diff import diff_record
from rdstrail_tui.tui.messages import EventHighlighted, EventOpened
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.json_view import JsonView

NO_EVENT = -1  # wanted: the list has no event to show


class DetailHandling(MainScreenBase):
    def __init__(self) -> None:
        super().__init__()
        self.detail_rowid: int | None = None  # the event the detail shows
        self.detail_mode: Literal["json", "diff"] = "json"
        self._detail_wanted: int | None = None  # a rowid or NO_EVENT, until it is shown

    def on_event_highlighted(self, message: EventHighlighted) -> None:
        if self.compact:
            return
        # After the list's own frame: the cursor moves at once, the detail follows, and a
        # held-down key renders only the event it stops on.
        if self._detail_wanted is None:
            self.call_after_refresh(self._show_wanted_detail)
        self._detail_wanted = message.rowid if message.rowid is not None else NO_EVENT

    def _show_wanted_detail(self) -> None:
        wanted, self._detail_wanted = self._detail_wanted, None
        if wanted is not None and wanted != self.detail_rowid:
            self._show_detail(None if wanted == NO_EVENT else wanted)

    def on_event_opened(self, message: EventOpened) -> None:
        self._open_detail(message.rowid)

    def _open_detail(self, rowid: int | None) -> None:
        self._show_detail(rowid)
        if self.compact:
            self.add_class("-detail-open")
        self._focus(self.query_one(JsonView if self.detail_mode == "json" else DiffView))

    def _show_detail(self, rowid: int | None) -> None:
        self.detail_rowid = rowid
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        record = self._record(rowid)
        if record is None:
            json_view.show_message("No event selected")
        else:
            json_view.show(record)
            diff_view.show(diff_record(record))
        self._update_detail_title()

    def _record(self, rowid: int | None) -> dict[str, object] | None:
        if rowid is None:
            return None
        event = self.cache.events_by_rowid([rowid], with_raw=True).get(rowid)
        if event is None:
            return None
        record = orjson.loads(event.raw)
        return record if isinstance(record, dict) else None

    def _update_detail_title(self) -> None:
        json_view = self.query_one(JsonView)
        diff_view = self.query_one(DiffView)
        showing_json = self.detail_mode == "json"
        json_view.display = showing_json
        diff_view.display = not showing_json
        title = "JSON  [d: Diff]" if showing_json else "Diff: requested vs response  [d: JSON]"
        self.query_one("#detail-title", Static).update(title)

    def action_toggle_diff(self) -> None:
        self.detail_mode = "diff" if self.detail_mode == "json" else "json"
        self._update_detail_title()
        if self.compact and not self.has_class("-detail-open"):
            self._open_detail(self.query_one(EventList).current_rowid)
            return
        target = self.query_one(JsonView if self.detail_mode == "json" else DiffView)
        if self.query_one("#detail").has_focus_within:
            self._focus(target)

    def action_copy_json(self) -> None:
        # The event being read: the detail's while focus is in it, else the list's cursor.
        in_detail = self.query_one("#detail").has_focus_within
        rowid = self.detail_rowid if in_detail else self.query_one(EventList).current_rowid
        record = self._record(rowid)
        if record is None:
            self.notify("No event to copy", severity="warning")
            return
        # OSC 52: the terminal puts it on the clipboard of the machine the user sits at,
        # which over SSH is the only clipboard that matters.
        self.app.copy_to_clipboard(orjson.dumps(record, option=orjson.OPT_INDENT_2).decode())
        self.notify("Event JSON copied to the clipboard (OSC 52)", markup=False)

    def action_back(self) -> None:
        if self.has_class("-detail-open"):
            self.remove_class("-detail-open")
        self._focus(self.query_one(EventList))
