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
    def code(self) -> str:
        """The status as one word for JSON and scripts: request-only, set-by-aws, ..."""
        return str(self.value).lower().replace(" ", "-")

    @property
    def symbol(self) -> str:
        """One ASCII character, distinct per status, so the status reads without colour."""
        return _SYMBOLS[self]


# None of these is a mark of the event list (`!` failed, `*` write, `?` unknown), so a
# symbol in the detail never reads as one of the list's. `~` and `+` are what `terraform
# plan` uses for "changed" and "added"; `>` points on to a later state; `#` is the usual
# stand-in for hidden text; `.` is a point with nothing after it.
_SYMBOLS: Final[dict[Status, str]] = {
    Status.APPLIED: "=",
    Status.CHANGED: "~",
    Status.PENDING: ">",
    Status.MASKED: "#",
    Status.REQUEST_ONLY: ".",
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
    """Why: "pending; now 20", "via vpcSecurityGroups[].vpcSecurityGroupId", ..."""
    pending: object = MISSING
    """The value waiting under pendingModifiedValues for this key, or MISSING."""


Kind = Literal["compared", "failed", "read_only", "no_request"]

_ORDER: Final = tuple(Status)
# Between the groups of a summary line: wider than the one space inside a group.
SUMMARY_GAP: Final = "  "


@dataclass(frozen=True)
class Diff:
    kind: Kind
    rows: tuple[DiffRow, ...]
    """Requested keys first in request order, then the keys set by AWS, sorted."""
    error_code: str | None = None
    error_message: str | None = None
    note: str = ""
    """How the comparison was made when the RDS model could not drive it: "ModifyFoo is
    not in the RDS model: compared by key name"; empty otherwise."""

    def counts(self) -> dict[Status, int]:
        """Rows per status, every status present (zero included), in display order."""
        counts = dict.fromkeys(_ORDER, 0)
        for row in self.rows:
            counts[row.status] += 1
        return counts

    def summary_parts(self) -> tuple[str, tuple[str, ...]]:
        """What kind of diff this is ("" for a plain comparison), and one group per status
        present, symbol then count then name: ("failed: AccessDenied", (". 2 request only",)).
        """
        groups = tuple(f"{s.symbol} {n} {s.label}" for s, n in self.counts().items() if n)
        if self.kind == "failed":
            return f"failed: {self.error_code}", groups
        if self.kind == "read_only":
            if any(row.status is Status.SET_BY_AWS for row in self.rows):
                return "read-only call: the response is not compared", groups
            return "read-only call: no response is recorded", groups
        if self.kind == "no_request":
            return "no request parameters recorded", groups
        return ("" if groups else "nothing to compare"), groups

    def summary(self) -> str:
        """One line that maps every symbol shown to its word:
        `= 5 applied  > 1 pending  # 1 masked  + 26 set by AWS`."""
        prefix, groups = self.summary_parts()
        return SUMMARY_GAP.join(part for part in (prefix, *groups, self.note) if part)
