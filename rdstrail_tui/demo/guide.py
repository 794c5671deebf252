"""The CreateDBInstance example of the Amazon RDS User Guide, shipped as package data."""

from __future__ import annotations

import calendar
import time
from importlib.resources import files
from typing import Any

import orjson

GUIDE_FILE = "rds-user-guide-createdbinstance.json"


def guide_bytes() -> bytes:
    return (files("rdstrail_tui.demo") / "data" / GUIDE_FILE).read_bytes()


def guide_record() -> dict[str, Any]:
    """The single record of the User Guide example, parsed (key order preserved)."""
    record: dict[str, Any] = orjson.loads(guide_bytes())["Records"][0]
    return record


def event_epoch(record: dict[str, Any]) -> int:
    return calendar.timegm(time.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ"))
