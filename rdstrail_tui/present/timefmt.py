"""How times are written for people: UTC, to the second, the same everywhere."""

from __future__ import annotations

from datetime import datetime, timezone

# `YYYY-MM-DD` of each UTC day written, by its number since the epoch: the times a list or a
# table shows fall on few days, and strftime for each was most of writing 35,000 of them.
_DAYS: dict[int, str] = {}
_DAYS_KEPT = 4096


def format_time(epoch: int | None) -> str:
    if epoch is None:
        return "-"
    day, seconds = divmod(int(epoch), 86400)
    date = _DAYS.get(day)
    if date is None:
        date = format_day(day * 86400)
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()
        _DAYS[day] = date
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{date} {hours:02d}:{minutes:02d}:{seconds:02d}"


def format_day(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d")
