"""What every AWS sync reports: progress per account-region, a summary, one-line errors.

Shared by the LookupEvents and S3 sources, the `rdstrail sync` command and the explorer's
sync screen, so all of them speak of progress the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


class SyncError(Exception):
    """A sync cannot run at all (no credentials, no such bucket...). The message is one line
    that names the input and says what to do."""


@dataclass
class RegionProgress:
    """One account-region (LookupEvents) or one account-region of a trail (S3)."""

    region: str
    account: str = ""
    pages: int = 0  # LookupEvents pages received
    objects: int = 0  # S3 objects downloaded
    objects_skipped: int = 0  # S3 objects already ingested by an earlier sync
    events_seen: int = 0
    events_new: int = 0
    requests: int = 0
    throttles: int = 0
    done: bool = False
    error: str | None = None


@dataclass
class SyncSummary:
    source: str  # "lookup" or "s3://bucket/prefix"
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    regions: dict[str, RegionProgress] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # one line each; the sync went on
    interrupted: bool = False
    # Pushed-down sources (Athena, Lake): the queries run and the bytes they scanned (what
    # they cost), and the bytes of the trail objects fetched to bring the records back.
    queries: int = 0
    bytes_scanned: int = 0
    bytes_fetched: int = 0
    # Throttled API calls that belong to no account-region (Athena's, Lake's).
    api_throttles: int = 0
    # What a pushed-down sync is doing now, for the progress: "query 1 of 2: RUNNING".
    stage: str = ""

    def region(self, region: str, account: str = "") -> RegionProgress:
        key = f"{account}/{region}" if account else region
        if key not in self.regions:
            self.regions[key] = RegionProgress(region=region, account=account)
        return self.regions[key]

    @property
    def seconds(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def events_new(self) -> int:
        return sum(r.events_new for r in self.regions.values())

    @property
    def events_seen(self) -> int:
        return sum(r.events_seen for r in self.regions.values())

    @property
    def requests(self) -> int:
        return sum(r.requests for r in self.regions.values())

    @property
    def throttles(self) -> int:
        return self.api_throttles + sum(r.throttles for r in self.regions.values())

    @property
    def objects(self) -> int:
        return sum(r.objects for r in self.regions.values())


ProgressCallback = Callable[[SyncSummary], None]
StopCheck = Callable[[], bool]


def counted(count: int, one: str, many: str | None = None) -> str:
    """`1 event`, `2 events`, `1,234 bad inputs`: a count and its noun, in agreement. Every
    summary either front end shows counts through this, so none says `1 bad inputs`."""
    noun = one if count == 1 else (many if many is not None else one + "s")
    return f"{count:,} {noun}"


# Athena's price, and CloudTrail Lake's for a query: $5 per TB (10**12 bytes) scanned.
DOLLARS_PER_TB = 5.0
_UNITS = (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3))


def size_text(size: int) -> str:
    """`51.2 GB`, `50 GB`, `800 B`: decimal units, as AWS's consoles and bills count."""
    for unit, scale in _UNITS:
        if size >= scale:
            text = f"{size / scale:.1f}"
            return f"{text[:-2] if text.endswith('.0') else text} {unit}"
    return f"{size} B"


def price(size: int) -> float:
    """What scanning `size` bytes costs at DOLLARS_PER_TB. Athena rounds each query up to
    the next megabyte with a minimum of 10 MB (DDL and failed queries are free), so a tiny
    query is billed a little more than this says."""
    return size / 10**12 * DOLLARS_PER_TB


def price_text(size: int) -> str:
    """`$0.26`; `<$0.01` for a scan that costs something but rounds to nothing."""
    dollars = price(size)
    return "<$0.01" if size and round(dollars, 2) == 0 else f"${dollars:,.2f}"


def scan_text(size: int) -> str:
    """`1.2 GB ($0.01)`: what a query scanned and what that costs."""
    return f"{size_text(size)} ({price_text(size)})"


def scanned(summary: SyncSummary) -> str:
    return f"scanned {scan_text(summary.bytes_scanned)}"


def progress_note(summary: SyncSummary) -> str:
    """A pushed-down sync's stage and cost so far, for a progress display ("" for others)."""
    if not summary.queries:
        return ""
    cost = f"{scanned(summary)} so far"
    return f"{summary.stage} · {cost}" if summary.stage else cost


def summary_line(summary: SyncSummary) -> str:
    """One line that says what a sync did (raw text: callers make it printable). Counts that
    are zero and say nothing (no objects, no throttling, no problems) are left out, so the
    line of a LookupEvents sync fits 80 columns."""
    parts = [
        f"synced {summary.source}: {counted(summary.events_new, 'new event')} "
        f"of {summary.events_seen:,} received"
    ]
    if summary.queries:
        # Athena, Lake: what it cost, and what was fetched to bring the records back.
        queries = f" in {summary.queries:,} queries" if summary.queries > 1 else ""
        parts.append(f"{scanned(summary)}{queries}")
        if summary.objects:
            parts.append(f"{counted(summary.objects, 'object')} fetched")
    else:
        if summary.objects:
            parts.append(f"{counted(summary.objects, 'object')} downloaded")
        parts.append(counted(summary.requests, "request"))
    if summary.throttles:
        parts.append(f"{summary.throttles:,} throttled")
    if summary.problems:
        # No "listed above": the CLI prints problems before this line, the explorer after.
        parts.append(counted(len(summary.problems), "problem"))
    return ", ".join(parts) + f" ({summary.seconds:.1f} s)"
