"""How event ids are stored: the cache's encoding of CloudTrail's eventID."""

from __future__ import annotations

import uuid


def encode_event_id(event_id: str) -> str | bytes:
    """CloudTrail eventIDs are UUIDs: stored as their 16 bytes they take less than half the
    room in the table and in its unique index. Anything else is kept as written."""
    if len(event_id) == 36:
        # The common case, without the uuid module (a fifth of storing a record): the
        # canonical form is lowercase hex with dashes at 8, 13, 18 and 23, and nothing else
        # round-trips.
        if (
            event_id[8] == event_id[13] == event_id[18] == event_id[23] == "-"
            and event_id == event_id.lower()
        ):
            digits = event_id.replace("-", "")
            # isalnum and isascii: fromhex alone would skip spaces and take other digits.
            if len(digits) == 32 and digits.isascii() and digits.isalnum():
                try:
                    return bytes.fromhex(digits)
                except ValueError:
                    pass
        try:
            parsed = uuid.UUID(event_id)
        except ValueError:
            return event_id
        if str(parsed) == event_id:  # only the canonical lowercase form round-trips exactly
            return parsed.bytes
    return event_id


def decode_event_id(stored: str | bytes) -> str:
    return str(uuid.UUID(bytes=stored)) if isinstance(stored, bytes) else stored
