"""Whether an RDS operation reads or writes, from its name alone.

The RDS API model has no read-only trait (every call is a POST), but its operation names
say it: Describe*, List* and Download* read, everything else writes. Records before
eventVersion 1.03 carry no `readOnly`; ingest answers for them with this rule (marked as
inferred). Kept apart from `rds_api` so that ingest, which needs only this, never loads
the model's machinery.
"""

from __future__ import annotations

__all__ = ["READ_ONLY_EXCEPTIONS", "READ_PREFIXES", "infer_read_only"]

# Operations whose names read: RDS's API has no read-only trait (every call is a POST), but
# its names say it. `Get` reads in the other services a scope may hold (RDS has none).
READ_PREFIXES: tuple[str, ...] = ("Describe", "List", "Download", "Get")
# Operations the name rule would get wrong, with what CloudTrail records for them. None so
# far: every real record with readOnly agrees with the rule (tests/unit/test_real_records.py).
READ_ONLY_EXCEPTIONS: dict[str, bool] = {}


def infer_read_only(event_name: str) -> bool | None:
    """Whether an operation only reads, from its name (None for an empty name)."""
    if not event_name:
        return None
    if event_name in READ_ONLY_EXCEPTIONS:
        return READ_ONLY_EXCEPTIONS[event_name]
    return event_name.startswith(READ_PREFIXES)
