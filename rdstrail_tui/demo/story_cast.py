"""Who and what the RDS story is about: the applications its databases are named after, and
the names and tags its resources are given."""

from __future__ import annotations

import time

from rdstrail_tui.demo.story_calls import Json

APPS = (
    "reporting", "inventory", "search", "ledger", "analytics", "notifications", "identity",
    "pricing", "shipping", "fraud", "loyalty", "invoicing", "warehouse", "sessions",
    "recommendations", "metrics", "audit", "catalog-v2", "payouts", "support",
)  # fmt: skip


def day(t: int) -> str:
    """The UTC date of ``t``, as in the names of manual and final snapshots."""
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def resource_tags(app: str, env: str, owner: str) -> list[Json]:
    return [
        {"key": "app", "value": app},
        {"key": "environment", "value": env},
        {"key": "managed-by", "value": owner},
    ]
