"""What the field help says about one key of a record: the RDS model's documentation of the
member it stands for, as plain lines (the explorer's `i` panel lays them out; the CLI could
print them).

A key is named by a `HelpTarget`: the call (eventName and eventSource), the section of the
record (`requestParameters`, `responseElements`, the call itself, or CloudTrail's own
fields) and the path of keys below it. `field_help_lines` answers with the member's
CloudTrail key, where it is, its type, "sensitive" when the model says so, and the first
sentences of its documentation:

    key   masterUserPassword
    in    ModifyDBInstance request
    type  string, sensitive (CloudTrail records a mask, never the value)

    The new password for the master user.
    ...

A key the model does not know (a new API, a misspelt or attacker-made key), a call of
another service, a missing botocore: one line that says so, never an exception.

Keys come from whoever made the call: every one reaches a line through `printable`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final, Union

from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.model.rds_api import Member, Operation, RdsModel, rds_model
from rdstrail_tui.present.diff.rows import DiffRow, Status
from rdstrail_tui.present.json_layout import ELLIPSIS, char_cell_width, line_text, wrap
from rdstrail_tui.present.sanitize import printable

__all__ = [
    "BRIEF_DOC_LINES",
    "OPERATION",
    "RECORD",
    "REQUEST",
    "RESPONSE",
    "WIDE_DOC_LINES",
    "HelpTarget",
    "PathKey",
    "diff_row_field",
    "field_help_lines",
    "record_field",
]

REQUEST: Final = "requestParameters"
RESPONSE: Final = "responseElements"
OPERATION: Final = ""  # the call itself: its eventName, or a line that is no key
RECORD: Final = "record"  # CloudTrail's own fields (eventTime, userIdentity, ...)

# Documentation lines at 80x24 (the panel must leave the record in view around it); wider,
# the whole first paragraph and more whole paragraphs up to WIDE_DOC_LINES.
BRIEF_DOC_LINES: Final = 6
WIDE_DOC_LINES: Final = 12
LABEL_WIDTH: Final = 6  # "type" and two spaces: the values line up
# A paragraph's lines after its first are indented this much, so paragraphs stand apart
# without blank lines between them.
PARAGRAPH_HANG: Final = 2
# Sentences end at `.`, `!` or `?` before a capital or a bracket (not inside `e.g. the`).
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")
_DOTTED_SEPARATOR: Final = "."


class _Unset(Enum):
    UNSET = "UNSET"


_UNSET: Final = _Unset.UNSET
PathKey = Union[str, int]


@dataclass(frozen=True)
class HelpTarget:
    """One key of one record, as the field help is asked about it."""

    event_name: str
    section: str  # REQUEST, RESPONSE, OPERATION or RECORD
    path: tuple[PathKey, ...] = ()  # the keys below the section; ints are list positions
    event_source: str = RDS_EVENT_SOURCE


# -- which key ------------------------------------------------------------------------------


def diff_row_field(row: DiffRow) -> tuple[str, tuple[PathKey, ...]]:
    """The section and path a diff row stands for: a key set by AWS is a (dotted) path of
    the response (`pendingModifiedValues.pendingCloudwatchLogsExports`), any other row a
    request parameter."""
    if row.status is Status.SET_BY_AWS:
        return RESPONSE, tuple(row.key.split(_DOTTED_SEPARATOR))
    return REQUEST, (row.key,)


def record_field(path: Sequence[PathKey]) -> tuple[str, tuple[PathKey, ...]]:
    """The section and path of a key of a whole CloudTrail record, from its JSON path:
    below requestParameters or responseElements a member; the record itself, its eventName
    and the two sections' own lines the call; anything else CloudTrail's own field."""
    if not path or (len(path) == 1 and path[0] in ("eventName", REQUEST, RESPONSE)):
        return OPERATION, ()
    head, rest = path[0], tuple(path[1:])
    if head in (REQUEST, RESPONSE):
        return str(head), rest
    return RECORD, tuple(path)


# -- the text -------------------------------------------------------------------------------


def field_help_lines(
    target: HelpTarget,
    width: int | None = None,
    *,
    wide: bool = False,
    model: RdsModel | _Unset | None = _UNSET,
) -> list[str]:
    """What the panel says about `target`, as lines no wider than `width` cells (None: one
    line per paragraph, unwrapped). `wide` shows the whole first paragraph of the
    documentation and more; else its first sentences, in at most BRIEF_DOC_LINES lines.
    `model` defaults to botocore's (`rds_model()`); None stands for a missing one."""
    found = rds_model() if isinstance(model, _Unset) else model
    if target.section == RECORD:
        return _wrapped(
            f"{_dotted(target.path)} is a field of the CloudTrail record, not of the RDS API:"
            " no RDS documentation",
            width,
        )
    subject = _subject(target)
    source = target.event_source
    if source and source != RDS_EVENT_SOURCE:
        return _wrapped(
            f"{subject} is a call to {printable(source)}, not to {RDS_EVENT_SOURCE}:"
            " the RDS model does not document it",
            width,
        )
    if found is None:
        return _wrapped(
            f"{subject}: botocore's RDS model is not installed: no documentation", width
        )
    operation = found.operation(target.event_name) if target.event_name else None
    budget = WIDE_DOC_LINES if wide else BRIEF_DOC_LINES
    if target.section == OPERATION:
        if operation is None:
            return _wrapped(_unknown(subject), width)
        return _operation_lines(operation, width, budget, wide)
    member = found.member_at(target.event_name, target.section, target.path)
    if member is None:
        return _wrapped(_unknown(subject), width)
    return _member_lines(found, target, member, width, budget, wide)


def _unknown(subject: str) -> str:
    return f"{subject} is not in the RDS model ({botocore_label()}): no documentation"


def botocore_label() -> str:
    """`botocore 1.44.8`, the model's version as a reader can look it up."""
    # Lazy: importlib.metadata is slow to import, and only this one message needs it.
    import importlib.metadata

    try:
        return f"botocore {importlib.metadata.version('botocore')}"
    except importlib.metadata.PackageNotFoundError:
        return "botocore"


def _subject(target: HelpTarget) -> str:
    """How the one-line answers name the key: `ModifyFooBar.someKey`, `ModifyFooBar
    response pendingModifiedValues.x`, or the call alone."""
    name = printable(target.event_name) or "(no eventName)"
    if target.section == OPERATION or not target.path:
        return name
    if target.section == RESPONSE:
        return f"{name} response {_dotted(target.path)}"
    return f"{name}.{_dotted(target.path)}"


def _dotted(path: Iterable[PathKey], last: str | None = None) -> str:
    """`vpcSecurityGroups[].status`: list positions as `[]`, trailing ones dropped; `last`
    replaces the final key (the model's spelling)."""
    keys = list(path)
    while keys and isinstance(keys[-1], int):
        keys.pop()
    parts: list[str] = []
    for index, key in enumerate(keys):
        if isinstance(key, int):
            if parts and not parts[-1].endswith("[]"):
                parts[-1] += "[]"
            continue
        text = last if last is not None and index == len(keys) - 1 else key
        parts.append(printable(text))
    return _DOTTED_SEPARATOR.join(parts)


def _member_lines(
    model: RdsModel,
    target: HelpTarget,
    member: Member,
    width: int | None,
    budget: int,
    wide: bool,
) -> list[str]:
    where = "request" if target.section == REQUEST else "response"
    kind = _type_of(model, member)
    if member.sensitive:
        kind += ", sensitive (CloudTrail records a mask, never the value)"
    lines = [
        *_labelled("key", _dotted(target.path, last=member.key), width),
        *_labelled("in", f"{printable(target.event_name)} {where}", width),
        *_labelled("type", kind, width),
        "",
    ]
    if not member.documentation:
        return [*lines, *_wrapped("(the model has no documentation for this member)", width)]
    return [*lines, *_documentation(member.documentation, width, budget, wide)]


def _operation_lines(operation: Operation, width: int | None, budget: int, wide: bool) -> list[str]:
    does = "reads" if operation.reads else "writes"
    lines = [*_labelled("call", f"{printable(operation.name)} ({does})", width), ""]
    if not operation.documentation:
        return [*lines, *_wrapped("(the model has no documentation for this call)", width)]
    return [*lines, *_documentation(operation.documentation, width, budget, wide)]


def _type_of(model: RdsModel, member: Member) -> str:
    """`string`, `list of string`, `list of VpcSecurityGroupMembership`, `structure
    PendingCloudwatchLogsExports`: what a value of the member holds."""
    if member.type == "list":
        item = model.list_item(member.shape)
        if item is None:
            return "list"
        item_type = model.shape_type(item)
        return f"list of {item if item_type == 'structure' else item_type or item}"
    if member.type == "structure":
        return f"structure {member.shape}"
    return member.type or "(no type in the model)"


# -- laying out -----------------------------------------------------------------------------


def _wrapped(text: str, width: int | None, hang: int = 0) -> list[str]:
    if width is None:
        return [text]
    lines = wrap(((text, "plain"),), max(1, width), hang=hang, char_width=char_cell_width)
    return [line_text(line).rstrip() for line in lines]


def _labelled(label: str, value: str, width: int | None) -> list[str]:
    return _wrapped(label.ljust(LABEL_WIDTH) + value, width, hang=LABEL_WIDTH)


def _documentation(text: str, width: int | None, budget: int, wide: bool) -> list[str]:
    """The documentation's first sentences, whole, in at most `budget` lines (`wide`: at
    least its whole first paragraph); a first sentence longer than that is cut with an
    ellipsis. Paragraphs stay lines of their own; what is left out ends with `…`."""
    paragraphs = [printable(paragraph) for paragraph in text.split("\n") if paragraph.strip()]

    def laid(paragraph: str) -> list[str]:
        return _wrapped(paragraph, width, hang=PARAGRAPH_HANG)

    if wide and paragraphs:
        budget = max(budget, len(laid(paragraphs[0])))
    kept: list[str] = []  # whole paragraphs taken so far
    used = 0
    left_out = False
    for paragraph in paragraphs:
        taken = ""
        for sentence in _SENTENCE_END.split(paragraph):
            candidate = f"{taken} {sentence}" if taken else sentence
            if used + len(laid(candidate)) > budget:
                left_out = True
                break
            taken = candidate
        if taken:
            kept.append(taken)
            used += len(laid(taken))
        if left_out:
            break
    if not kept and paragraphs:
        # Not even the first sentence fits: as much of it as the budget holds.
        lines = laid(paragraphs[0])[:budget]
        return [*lines[:-1], _with_ellipsis(lines[-1], width)]
    while left_out and len(kept) > 1 and kept[-1].endswith(":"):
        # A heading ("Constraints:") whose items were left out says nothing on its own.
        kept.pop()
    lines = [line for paragraph in kept for line in laid(paragraph)]
    if left_out and lines:
        lines[-1] = _with_ellipsis(lines[-1], width)
    return lines


def _with_ellipsis(line: str, width: int | None) -> str:
    """`line` and ` …`, dropping its end where the width has no room for them."""
    room = None if width is None else width - 2
    if room is not None and sum(char_cell_width(char) for char in line) > room:
        while line and sum(char_cell_width(char) for char in line) > room:
            line = line[:-1]
        line = line.rstrip()
    return f"{line} {ELLIPSIS}"
