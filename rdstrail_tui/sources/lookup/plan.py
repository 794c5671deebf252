"""Which time windows one region's LookupEvents sync fetches, from its cursor and the options.

A sync with no since/until first completes the cursor's gaps, oldest first, then fetches from
min(newest_event, synced_to) minus OVERLAP_SECONDS (events show up in Event history minutes
late) up to now; with no cursor, from 90 days back. An explicit since and/or until fetches
exactly [since or 90 days back, until or now] instead, and also clears any gap it covers.
"""

from __future__ import annotations

from datetime import datetime, timezone

from rdstrail_tui.sources.lookup.cursor import Cursor
from rdstrail_tui.sources.sync import SyncError

RETENTION_SECONDS = 90 * 86400  # Event history keeps 90 days
# Stay a minute inside the 90 days: a StartTime outside "the range of possible values" is an
# InvalidTimeRangeException, and the local clock may be a little behind AWS's.
RETENTION_MARGIN_SECONDS = 60
# Events reach Event history minutes after the call: each sync re-reads this much.
OVERLAP_SECONDS = 600


def _utc_epoch(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return int(value.timestamp())


def plan_windows(
    cursor: Cursor, now: int, since: datetime | None, until: datetime | None
) -> tuple[list[tuple[int, int]], list[str]]:
    """The windows of one region's sync, in the order they are fetched, and notes. Expires
    the cursor's gaps older than Event history keeps."""
    floor = now - RETENTION_SECONDS + RETENTION_MARGIN_SECONDS
    notes: list[str] = []
    cursor.expire(floor)
    if since is None and until is None:
        windows = list(cursor.gaps)
        anchor = cursor.anchor()
        start = floor if anchor is None else max(floor, min(now, anchor - OVERLAP_SECONDS))
        windows.append((start, now))
        return windows, notes
    start = floor if since is None else _utc_epoch(since)
    end = now if until is None else _utc_epoch(until)
    if start > end:
        raise SyncError("LookupEvents: --since is after --until: swap them")
    if end < floor:
        notes.append(
            "LookupEvents keeps 90 days: nothing before "
            f"{datetime.fromtimestamp(floor, timezone.utc):%Y-%m-%d %H:%M}Z can be fetched "
            "(sync the S3 trail for older events)"
        )
        return [], notes
    if start < floor:
        notes.append(
            "LookupEvents keeps 90 days: fetching from "
            f"{datetime.fromtimestamp(floor, timezone.utc):%Y-%m-%d %H:%M}Z (sync the S3 trail "
            "for older events)"
        )
        start = floor
    return [(start, end)], notes
