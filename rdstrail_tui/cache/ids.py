"""How event ids are stored: the cache's encoding of CloudTrail's eventID."""

from __future__ import annotations

import uuid


def encode_event_id(event_id: str) -> str | bytes:
    """CloudTrail eventIDs are UUIDs: stored as their 16 bytes they take less than half the
    room in the table and in its unique index. Anything else is kept as written."""
    if len(event_id) == 36:
        try:
            parsed = uuid.UUID(event_id)
        except ValueError:
            return event_id
        if str(parsed) == event_id:  # only the canonical lowercase form round-trips exactly
            return parsed.bytes
    return event_id


def decode_event_id(stored: str | bytes) -> str:
    return str(uuid.UUID(bytes=stored)) if isinstance(stored, bytes) else stored
