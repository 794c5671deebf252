"""Time expressions for search bounds: ISO dates and date-times, or a span back from now."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["is_bare_date", "parse_when"]

# Short: the CLI writes it after "rdstrail: bad filter: since: bad time '...': ", and the
# line should fit 80 columns. FILTER_HELP says the rest.
_HINT = "use 2024-01-15, 2024-01-15T10:30Z or an age (30m 6h 7d)"

# Lowercase units only: 'M' reads as months to many people, and months are not offered.
_RELATIVE = re.compile(r"(\d+)([smhdw])", re.ASCII)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

_DATE = r"(\d{4})-(\d{2})-(\d{2})"
_BARE_DATE = re.compile(_DATE, re.ASCII)
# A strict shape instead of datetime.fromisoformat, which also takes week dates, basic
# format and more, none of which we want to promise.
_ISO = re.compile(
    _DATE + r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)


def is_bare_date(text: str) -> bool:
    """True for a date with no time of day, which an upper bound reads as the whole day."""
    return _BARE_DATE.fullmatch(text.strip()) is not None


def parse_when(text: str, now: datetime) -> datetime:
    """Parse an ISO date or date-time (UTC unless it has an offset) or `<N><s|m|h|d|w>` before
    `now`, returning an aware UTC datetime. Raises ValueError with a message for the user."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    spec = text.strip()
    try:
        if match := _RELATIVE.fullmatch(spec):
            span = timedelta(**{_UNITS[match[2]]: int(match[1])})
            return (now - span).astimezone(timezone.utc)
        if match := _ISO.fullmatch(spec):
            return _from_iso(match)
    except OverflowError:
        raise ValueError(f"bad time {text!r}: out of range") from None
    except ValueError as exc:
        # datetime's own messages ("day is out of range for month") are already actionable.
        raise ValueError(f"bad time {text!r}: {exc}") from None
    raise ValueError(f"bad time {text!r}: {_HINT}")


def _from_iso(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    # Sub-microsecond digits (copied nanosecond stamps) are dropped rather than rejected.
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    moment = datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=_zone(zone),
    )
    return moment.astimezone(timezone.utc)


def _zone(zone: str | None) -> timezone:
    if zone is None or zone in ("Z", "z"):
        return timezone.utc
    hours, minutes = int(zone[1:3]), int(zone[3:].lstrip(":") or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {zone} out of range")
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if zone[0] == "-" else offset)
