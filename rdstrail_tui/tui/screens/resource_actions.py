"""The main screen's part for resources and comparisons: `h` opens the history of the
resource the event under the cursor is about, `R` the resources screen, `m` marks the
event under the cursor and `c` compares the marked event with the one under the cursor.
"""

from __future__ import annotations

import orjson

from rdstrail_tui.model.event import Event
from rdstrail_tui.model.resources import ResourceId, resources_of
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.event_list import EventList


def primary_resource(event: Event) -> ResourceId | None:
    """The resource an event is about, by identity: of the resources its record touches,
    the one its `resource` column names, else the first its request names."""
    try:
        record = orjson.loads(event.raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    touched = resources_of(record, event.account, event.region)
    if not touched:
        return None
    wanted = event.resource.lower()
    for found in touched:
        if found.resource.identifier == wanted or found.name == event.resource:
            return found.resource
    return touched[0].resource


class ResourceHandling(MainScreenBase):
    history: FilterHistory
    marked_rowid: int | None = None

    def _event_with_record(self, rowid: int | None) -> Event | None:
        if rowid is None:
            return None
        return self.cache.events_by_rowid([rowid], with_raw=True).get(rowid)

    def open_history_of(self, resource_id: int) -> bool:
        from rdstrail_tui.tui.screens.history import HistoryScreen  # lazy: see action_resources

        screen = HistoryScreen.for_resource(self.cache, resource_id)
        if screen is None:
            return False
        self.app.push_screen(screen)
        return True

    def action_history(self) -> None:
        event = self._event_with_record(self.query_one(EventList).current_rowid)
        if event is None:
            return
        resource = primary_resource(event)
        ids = (
            [rid for rid, r in self.cache.resources_named(resource.identifier) if r == resource]
            if resource is not None
            else []
        )
        if not ids or not self.open_history_of(ids[0]):
            self.notify("This event names no RDS resource", severity="warning")

    def action_resources(self) -> None:
        # Lazy, as the other screens opened from here: the explorer's first paint waits
        # for every module imported before it, and these are not on it.
        from rdstrail_tui.tui.screens.resources import ResourcesScreen

        self.app.push_screen(ResourcesScreen(self.cache, self.history))

    def action_mark(self) -> None:
        rowid = self.query_one(EventList).current_rowid
        if rowid is None:
            return
        if self.marked_rowid == rowid:
            self.marked_rowid = None
            self.notify("mark cleared")
            return
        self.marked_rowid = rowid
        event = self.query_one(EventList).current_event
        name = printable(event.event_name) if event is not None else "event"
        self.notify(f"marked {name}: move to another event and press c to compare")

    def action_compare(self) -> None:
        rowid = self.query_one(EventList).current_rowid
        marked = self._event_with_record(self.marked_rowid)
        current = self._event_with_record(rowid)
        if marked is None or current is None:
            self.notify("mark an event first (m), then move to another and press c")
            return
        # The older on the left: the rows read as what the newer changed.
        left, right = sorted((marked, current), key=lambda e: (e.event_time, e.event_id))
        from rdstrail_tui.tui.screens.compare import CompareScreen  # lazy: see action_resources

        self.app.push_screen(CompareScreen(left, right))
