"""When things happen: the story span, working hours, and the delivery-window size."""

from __future__ import annotations

import bisect
import calendar
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: The demo story ends here (exclusive); every generated event is earlier.
STORY_END = datetime(2026, 11, 20, 18, 0, 0, tzinfo=timezone.utc)

MIN_SPAN_DAYS = 14
MAX_SPAN_DAYS = 60
_SMALL, _LARGE = 3_000, 1_000_000

#: Relative activity of people by UTC hour: European mornings, then US office hours.
_HOUR_WEIGHTS = (
    0.08, 0.05, 0.03, 0.03, 0.03, 0.04, 0.1, 0.35, 0.6, 0.7, 0.7, 0.6,
    0.7, 0.9, 1.0, 1.0, 0.95, 0.9, 0.85, 0.9, 0.85, 0.6, 0.35, 0.15,
)  # fmt: skip
_WEEKEND = 0.12
_WINDOW_CHOICES = (15, 20, 30, 60)
_SPARSE_EVENTS = 20_000
_SPARSE_WINDOW = 30
_TARGET_PER_FILE = 125


def epoch(dt: datetime) -> int:
    return calendar.timegm(dt.utctimetuple())


def span_days_for(events: int) -> int:
    """14 days for the small demo, growing logarithmically to 60 days at a million events."""
    if events <= _SMALL:
        return MIN_SPAN_DAYS
    frac = math.log(events / _SMALL) / math.log(_LARGE / _SMALL)
    return min(MAX_SPAN_DAYS, round(MIN_SPAN_DAYS + (MAX_SPAN_DAYS - MIN_SPAN_DAYS) * frac))


def window_minutes_for(events: int, span_days: float, streams: int) -> int:
    """Delivery window in minutes.

    Sparse trails use 30 minutes (their files follow the bursts of activity, so the shipped
    demo stays at a few hundred files; real CloudTrail delivers about every 5 minutes).
    Dense trails use the shortest window in which an average stream window holds
    ``_TARGET_PER_FILE`` records, capped at an hour: a million events over 60 days then make
    ~5,900 files of ~170 records.
    """
    if events <= _SPARSE_EVENTS:
        return _SPARSE_WINDOW
    stream_minutes = streams * span_days * 1440
    for minutes in _WINDOW_CHOICES:
        if events * minutes / stream_minutes >= _TARGET_PER_FILE:
            return minutes
    return _WINDOW_CHOICES[-1]


@dataclass
class Timeline:
    start: int
    end: int
    _hours: list[int] = field(default_factory=list)
    _cum: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        total = 0.0
        for hour_start in range(self.start - self.start % 3600, self.end, 3600):
            dt = datetime.fromtimestamp(hour_start, timezone.utc)
            weight = _HOUR_WEIGHTS[dt.hour] * (_WEEKEND if dt.weekday() >= 5 else 1.0)
            total += weight
            self._hours.append(hour_start)
            self._cum.append(total)

    @property
    def span(self) -> int:
        return self.end - self.start

    def human(self, rng: random.Random) -> int:
        """A moment weighted by office hours and weekdays."""
        i = bisect.bisect(self._cum, rng.random() * self._cum[-1])
        t = self._hours[min(i, len(self._hours) - 1)] + rng.randrange(3600)
        return min(max(t, self.start), self.end - 1)

    def uniform(self, rng: random.Random) -> int:
        return self.start + rng.randrange(self.span)

    def working_after(self, rng: random.Random, t: int, lo: float, hi: float) -> int | None:
        """A working-hours moment ``lo``..``hi`` seconds after ``t``; None past the end."""
        cand = t + int(rng.uniform(lo, hi))
        hour = (cand // 3600) % 24
        if not 8 <= hour < 21:
            day = cand - cand % 86400 + (86400 if hour >= 21 else 0)
            cand = max(day + 8 * 3600 + rng.randrange(11 * 3600), t + int(lo))
        if cand >= self.end - 900:
            return None
        return cand
