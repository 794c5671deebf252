"""Dates inside CloudTrail's request and response bodies, which are not always ISO.

`eventTime` is ISO 8601, but the values RDS echoes are written by whichever SDK serialised
them: `2024-10-10T15:18:55Z`, `Oct 10, 2024 3:18:55 PM` (the Java SDK's default), `Tue Jun
29 12:21:35 UTC 2021` (java.util.Date's toString), or epoch seconds or milliseconds. A value
that reads as none of these is not a date, and comparing it stays textual.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

__all__ = ["parse_loose_time"]

_FORMATS = (
    "%b %d, %Y %I:%M:%S %p",  # Oct 10, 2024 3:18:55 PM
    "%b %d, %Y, %I:%M:%S %p",  # Oct 10, 2024, 3:18:55 PM (newer JDKs)
    "%a %b %d %H:%M:%S %Z %Y",  # Tue Jun 29 12:21:35 UTC 2021
    "%Y-%m-%d %H:%M:%S",
)
_ZULU = re.compile(r"[Zz]$")
_FRACTION = re.compile(r"\.(\d+)(?=$|[+-])")
# Epoch numbers beyond this are milliseconds (1e11 s is the year 5138).
_MILLISECONDS = 10**11


def parse_loose_time(value: object) -> float | None:
    """The instant a date value stands for, as epoch seconds (UTC when no zone is given),
    or None when it is not a date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value / 1000 if abs(value) >= _MILLISECONDS else float(value)
    if not isinstance(value, str) or not 8 <= len(value) <= 64:
        return None
    text = " ".join(value.split())
    if text[:1].isdigit() and "-" in text[:5]:
        iso = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), _ZULU.sub("+00:00", text))
        try:
            return _epoch(datetime.fromisoformat(iso))
        except ValueError:
            pass
    for layout in _FORMATS:
        try:
            return _epoch(datetime.strptime(text, layout))
        except ValueError:
            continue
    return None


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
