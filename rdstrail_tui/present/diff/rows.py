"""The diff's result: one row per key, its status and the symbol that shows it without colour."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal


class Status(Enum):
    """How one key of the request compares with the response."""

    APPLIED = "applied"
    CHANGED = "changed"
    PENDING = "pending"
    MASKED = "masked"
    REQUEST_ONLY = "request only"
    SET_BY_AWS = "set by AWS"

    @property
    def label(self) -> str:
        return str(self.value)

    @property
    def symbol(self) -> str:
        """One ASCII character, distinct per status, so the status reads without colour."""
        return _SYMBOLS[self]


_SYMBOLS: Final[dict[Status, str]] = {
    Status.APPLIED: "=",
    Status.CHANGED: "!",
    Status.PENDING: ">",
    Status.MASKED: "*",
    Status.REQUEST_ONLY: "?",
    Status.SET_BY_AWS: "+",
}


class _Missing(Enum):
    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing.MISSING
"""Stands for "absent" in a DiffRow, where None would be JSON null."""


@dataclass(frozen=True)
class DiffRow:
    key: str
    status: Status
    requested: object
    """The requested JSON value, or MISSING for a key set by AWS."""
    response: object
    """The JSON value in effect in the response; for a pending change with nothing in effect,
    the pending value; MISSING when the response has no counterpart."""
    detail: str
    """Why: "pending: 100 (now 20)", "via vpcSecurityGroups[].vpcSecurityGroupId", ..."""


Kind = Literal["compared", "failed", "read_only", "no_request"]

_ORDER: Final = tuple(Status)


@dataclass(frozen=True)
class Diff:
    kind: Kind
    rows: tuple[DiffRow, ...]
    """Requested keys first in request order, then the keys set by AWS, sorted."""
    error_code: str | None = None
    error_message: str | None = None

    def counts(self) -> dict[Status, int]:
        """Rows per status, every status present (zero included), in display order."""
        counts = dict.fromkeys(_ORDER, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    def summary(self) -> str:
        if self.kind == "failed":
            return f"failed: {self.error_code}"
        if self.kind == "read_only":
            if any(row.status is Status.SET_BY_AWS for row in self.rows):
                return "read-only call: the response is not compared"
            return "read-only call: no response is recorded"
        counted = ", ".join(f"{n} {s.label}" for s, n in self.counts().items() if n)
        if self.kind == "no_request":
            return "no request parameters recorded" + (f"; {counted}" if counted else "")
        return counted or "nothing to compare"
