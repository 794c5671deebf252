"""What a LookupEvents sync remembers per account-region, and the arithmetic of its gaps.

Source CURSOR_SOURCE ("lookup"), key "<account>/<region>" with the account from
sts:GetCallerIdentity (one request per sync, which needs no permission). When STS cannot be
reached (a private bastion with no STS endpoint, an endpoint that only speaks CloudTrail),
the key falls back to "profile:<name or default>[@<endpoint-url>]/<region>". A non-RDS
event source appends "#<source>". The value is JSON:

    {"newest_event": T, "synced_to": T, "gaps": [[start, end], ...], "account": "..."}

newest_event is the newest eventTime cached by this cursor (AWS's clock), synced_to the end of
the newest window fetched (local clock), gaps the inclusive time ranges a pass started but did
not finish. Pages come newest first, so a pass over [start, end] that stops after a page
whose oldest event is at r has fetched (r, end] and leaves the gap [start, r] (r itself is
fetched again: events of the same second may continue on the next page). The sync rewrites
the cursor after each page's insert, so whether it ends by should_stop, Ctrl-C, a network
error or a killed process, the cache and cursor agree (at worst the last page is fetched
twice; the cache dedupes by eventID).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rdstrail_tui.model.event import RDS_EVENT_SOURCE

CURSOR_SOURCE = "lookup"


@dataclass
class Cursor:
    """What one account-region's earlier syncs fetched (see the module docstring)."""

    newest_event: int | None = None
    synced_to: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)
    account: str = ""

    @classmethod
    def parse(cls, text: str | None) -> Cursor:
        """A missing or unreadable value is no cursor: the sync starts over (and dedupes)."""
        if not text:
            return cls()
        try:
            data = json.loads(text)
            newest = data.get("newest_event")
            synced = data.get("synced_to")
            gaps = [(int(a), int(b)) for a, b in data.get("gaps") or [] if int(a) <= int(b)]
            return cls(
                newest_event=None if newest is None else int(newest),
                synced_to=None if synced is None else int(synced),
                gaps=_merge(gaps),
                account=str(data.get("account") or ""),
            )
        except (ValueError, TypeError, AttributeError):
            return cls()

    def dump(self) -> str:
        return json.dumps(
            {
                "newest_event": self.newest_event,
                "synced_to": self.synced_to,
                "gaps": [list(gap) for gap in self.gaps],
                "account": self.account,
            },
            separators=(",", ":"),
        )

    def expire(self, floor: int) -> None:
        """Forget the gaps, or their parts, older than Event history keeps."""
        self.gaps = [(max(a, floor), b) for a, b in self.gaps if b >= floor]

    def anchor(self) -> int | None:
        """Where the next incremental pass starts (before the overlap)."""
        known = [t for t in (self.newest_event, self.synced_to) if t is not None]
        return min(known) if known else None

    def page_done(
        self, window: tuple[int, int], *, complete: bool, reached: int | None, newest: int | None
    ) -> None:
        """A page of the pass over `window` is cached. `complete`: it was the last page;
        else `reached` is the oldest eventTime on it (None: an empty page, which proves
        nothing)."""
        start, end = window
        if not complete and reached is None:
            return
        gaps = _subtract(self.gaps, start, end)
        if not complete and reached is not None:
            gaps.append((start, max(start, min(reached, end))))
        self.gaps = _merge(gaps)
        self.synced_to = end if self.synced_to is None else max(self.synced_to, end)
        if newest is not None:
            self.newest_event = (
                newest if self.newest_event is None else max(self.newest_event, newest)
            )


def _subtract(gaps: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """`gaps` less the inclusive range [start, end]."""
    kept: list[tuple[int, int]] = []
    for a, b in gaps:
        if b < start or a > end:
            kept.append((a, b))
            continue
        if a < start:
            kept.append((a, start - 1))
        if b > end:
            kept.append((end + 1, b))
    return kept


def _merge(gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, with overlapping or adjacent (whole seconds) ranges joined."""
    merged: list[tuple[int, int]] = []
    for a, b in sorted(gaps):
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def cursor_key(
    region: str,
    *,
    account: str | None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    event_source: str = RDS_EVENT_SOURCE,
) -> str:
    """The sync_cursors key (source CURSOR_SOURCE) of one account-region."""
    if account:
        key = f"{account}/{region}"
    else:
        where = f"@{endpoint_url}" if endpoint_url else ""
        key = f"profile:{profile or 'default'}{where}/{region}"
    if event_source != RDS_EVENT_SOURCE:
        key += f"#{event_source}"
    return key
