"""The ways CloudTrail records stand in for a secret's value.

CloudTrail never records a password: it writes `****` (older records, and most services), a
longer run of asterisks (the RDS Data API writes ten), `HIDDEN_DUE_TO_SECURITY_REASONS`
(current records of RDS calls, in the request and in `pendingModifiedValues`), and exports
and vendors that sanitise logs write their own (`...`, `REDACTED`). A member the RDS model
marks `sensitive` is masked whatever its value reads; these forms also catch the masked
values of members the model does not mark, and of calls it does not know.
"""

from __future__ import annotations

from typing import Final

__all__ = ["MIN_ASTERISKS", "is_mask"]

# "*" alone is an ordinary IAM wildcard, and "**" a glob: a mask is longer.
MIN_ASTERISKS: Final = 3
_WORDS: Final = frozenset(
    {
        "hidden_due_to_security_reasons",
        "...",
        "\u2026",
        "redacted",
        "[redacted]",
        "<redacted>",
        "***redacted***",
        "<sensitive>",
    }
)


def is_mask(value: object) -> bool:
    """Whether a JSON value is one of the stand-ins above."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if len(text) >= MIN_ASTERISKS and text.strip("*") == "":
        return True
    return text.lower() in _WORDS
