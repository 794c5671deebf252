"""The card that starts an opened event: what happened, on what, by whom, from where.

Six lines (more when a failed call has more to say than `FAILED <errorCode>`, or the call
carries risk flags), each fitted to the width given:

    2026-11-20 18:04:00 UTC  ModifyDBInstance  OK
    what      write: Modifies settings for a DB instance.
    resource  payments-aurora-instance-2
    who       AssumedRole AdministratorAccess (SSO) / jane@example.com, via console
    from      198.51.100.88  console
    where     eu-west-1  account 111122223333

`what` says whether the call reads or writes (`write (inferred from the name)` for an old
record without readOnly) and the operation's one-line description from the RDS model
(none for a call the model does not know, or of another service). A call with risk flags
(model.risk) has a `risk` line below it: the flags' names and the first one's reason,
`risk      snapshot-public, snapshot-shared: snapshot made public: any AWS account…`,
and for a failed call `(attempted; the call failed)` after the names (`(attempted)` where
the long note would cut the reason).

A failed call says `FAILED <errorCode>` on the first line and its errorMessage on the
second (`error     ...`); when the errorCode does not fit whole beside FAILED it starts the
second line instead (`error     InvalidParameterCombination: ...`).

Every value is attacker-controlled and is made printable before it is measured. A value
that does not fit is cut with one "…" where the part that tells values apart survives: a
principal keeps its end (`…(SSO) / jane@example.com, via console`), so does a resource;
an error message keeps its start, and prose is cut at a word's edge when one is near.

Plain text for the CLI and tests (`card_lines`); spans with a role each (`card_spans`)
for the explorer, which styles the roles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from rdstrail_tui.model.event import RDS_EVENT_SOURCE, Event
from rdstrail_tui.model.rds_api import RdsModel, rds_model
from rdstrail_tui.model.risk import flags_in
from rdstrail_tui.present.caller import CONSOLE, caller_kind, console_session
from rdstrail_tui.present.json_layout import char_cell_width
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.shorten import ELLIPSIS, head, tail
from rdstrail_tui.present.timefmt import format_time

Role = Literal["label", "time", "name", "ok", "failed", "value", "risk"]
# Every label padded to the longest ("resource") and two spaces, so values line up.
LABEL_WIDTH = 10
OK = "OK"
FAILED = "FAILED"
READ = "read"
WRITE = "write"
INFERRED = "(inferred from the name)"
ATTEMPTED = "(attempted; the call failed)"
# Where the long note would cut the reason (the first line already says FAILED).
ATTEMPTED_SHORT = "(attempted)"
# AWS IAM Identity Center names the roles it makes `AWSReservedSSO_<permission set>_<id>`
# and keeps them under this path.
_SSO_ROLE = re.compile(r"^AWSReservedSSO_(.+)_[0-9A-Fa-f]+$")
_SSO_PATH = "/aws-reserved/sso.amazonaws.com/"
# A cut moves to a word's edge no more than this many characters away.
_WORD_EDGE = 8
# Where a user agent says nothing known, this much of its first word is shown instead.
_AGENT_WORD = 32


@dataclass(frozen=True)
class Span:
    text: str
    role: Role


CardLine = tuple[Span, ...]


class _Unset(Enum):
    UNSET = "UNSET"


_UNSET: Final = _Unset.UNSET
# "gap": the two spaces between values, which become one before any value is cut.
_Keep = Literal["all", "start", "end", "gap"]


@dataclass
class _Part:
    """A piece of a line; `keep` says which end survives a cut, `floor` how narrow (in
    cells, with the ellipsis) a cut may make it."""

    text: str
    role: Role
    keep: _Keep = "all"
    floor: int = 1
    words: bool = False  # prose: a cut moves to a nearby space


def card_lines(
    event: Event,
    record: Mapping[str, object],
    width: int,
    *,
    model: RdsModel | _Unset | None = _UNSET,
) -> list[str]:
    """The card as plain lines, none wider than `width` cells (meant for 40 and more)."""
    spans = card_spans(event, record, width, model=model)
    return ["".join(span.text for span in line) for line in spans]


def card_spans(
    event: Event,
    record: Mapping[str, object],
    width: int,
    *,
    model: RdsModel | _Unset | None = _UNSET,
) -> list[CardLine]:
    """The card's lines as styled spans; `record` is the event's parsed record ({} when
    the raw record was not fetched: the principal's type and the console are then unknown).
    `model` gives the operation's description: botocore's RDS model unless told (None: no
    description)."""
    found = record.get("userIdentity")
    identity = found if isinstance(found, Mapping) else None
    from_console = console_session(record)
    kind = caller_kind(event.user_agent, identity, console_session=from_console)
    code = printable(event.error_code or "")
    headline = _headline(event, code, width)
    code_shown = bool(code) and headline[-1].text.endswith(code)
    lines = [headline]
    if _failed(event) and (event.error_message or not code_shown):
        # The errorCode goes with the message when it did not fit whole beside FAILED.
        why = printable(event.error_message or "")
        why = why if code_shown else ": ".join(part for part in (code, why) if part)
        lines.append(_labelled("error", [_Part(why, "value", "start", words=True)], width))
    what = _what(event, rds_model() if isinstance(model, _Unset) else model)
    if what:
        lines.append(_labelled("what", what, width))
    risk = _risk(event, ATTEMPTED)
    if risk and _failed(event) and _cells(risk) > width - LABEL_WIDTH:
        risk = _risk(event, ATTEMPTED_SHORT)
    if risk:
        lines.append(_labelled("risk", risk, width))
    resource = _Part(printable(event.resource) or "-", "value", "end")
    lines.append(_labelled("resource", [resource], width))
    who = who_text(event, identity, via_console=from_console or kind == CONSOLE)
    lines.append(_labelled("who", [_Part(who, "value", "end", words=True)], width))
    lines.append(_labelled("from", _origin(event, kind), width))
    lines.append(_labelled("where", _place(event), width))
    return lines


def who_text(event: Event, identity: Mapping[str, object] | None, *, via_console: bool) -> str:
    """`AssumedRole AdministratorAccess (SSO) / jane@example.com, via console`: the
    identity type, then the name (a role's session after the role), printable."""
    kind = _text(identity.get("type")) if identity is not None else ""
    if identity is not None and kind == "AssumedRole":
        role, session = _role_and_session(identity)
        name = " / ".join(part for part in (_role_label(role, identity), session) if part)
        name = name or event.principal
    elif kind == "Root":
        name = ""  # the account is on the card's last line
    else:
        name = _without_kind_prefix(event.principal)
    text = " ".join(part for part in (kind, name) if part) or "-"
    if via_console:
        text += ", via console"
    return printable(text)


# -- the lines ---------------------------------------------------------------------------


def _failed(event: Event) -> bool:
    return bool(event.error_code or event.error_message)


def _headline(event: Event, code: str, width: int) -> CardLine:
    """`<time> UTC  <eventName>  OK`, or `FAILED <errorCode>` when the code fits whole
    (else `FAILED` alone). " UTC" and then the double spaces go first when room is short
    (the list's header says UTC as well); then the eventName is cut."""
    name = _Part(printable(event.event_name) or "-", "name", "start", floor=8)
    time = format_time(event.event_time)
    outcomes = [f"{FAILED} {code}", FAILED] if code else [FAILED] if _failed(event) else [OK]
    for outcome in outcomes:
        for stamp, gap in ((time + " UTC", "  "), (time, "  "), (time, " ")):
            parts = [
                _Part(stamp, "time"),
                _Part(gap, "value", "gap"),
                name,
                _Part(gap, "value", "gap"),
                _Part(outcome, "ok" if outcome == OK else "failed"),
            ]
            if _cells(parts) <= width:
                return _fit(parts, width, cut_first=())
    return _fit(parts, width, cut_first=(name,))


def _what(event: Event, model: RdsModel | None) -> list[_Part]:
    """`write: Modifies settings for a DB instance.`: read or write (and whether that was
    inferred), then the model's description of the operation; [] when neither is known."""
    access = "" if event.read_only is None else READ if event.read_only else WRITE
    if access and event.read_only_inferred:
        access = f"{access} {INFERRED}"
    summary = ""
    if model is not None and event.event_source in ("", RDS_EVENT_SOURCE) and event.event_name:
        # Only RDS's own calls: Performance Insights and the Data API share some names
        # (ListTagsForResource) with RDS, not their meaning.
        operation = model.operation(event.event_name)
        summary = printable(operation.summary) if operation is not None else ""
    if not summary:
        return [_Part(access, "value")] if access else []
    if not access:
        return [_Part(summary, "value", "start", words=True)]
    return [_Part(f"{access}: ", "value"), _Part(summary, "value", "start", words=True)]


def _risk(event: Event, attempted: str) -> list[_Part]:
    """`snapshot-public, snapshot-shared: <the first flag's reason>`; a failed call says it
    was only `attempted`. [] without risk flags."""
    flags = flags_in(event.flags)
    if not flags:
        return []
    parts = [_Part(", ".join(flag.name for flag in flags), "risk")]
    if _failed(event):
        parts.append(_Part(f" {attempted}", "value"))
    parts += [_Part(": ", "value"), _Part(flags[0].reason, "value", "start", words=True)]
    return parts


def _origin(event: Event, kind: str) -> list[_Part]:
    ip = printable(event.source_ip) or "-"
    if not kind and event.user_agent.strip():
        # Nothing known: the agent's own first word (`python-requests/2.28.0`) says more
        # than a blank.
        kind = _cut(printable(event.user_agent.split()[0]), _AGENT_WORD, keep_end=False)
    kind = printable(kind)
    parts = [_Part(ip, "value", "start", floor=min(len(ip), 15))]
    if kind and kind != ip:
        parts += [_gap(), _Part(kind, "value", "start", floor=min(len(kind), 6))]
    return parts


def _place(event: Event) -> list[_Part]:
    parts = [_Part(printable(event.region) or "-", "value", "start")]
    if event.account:
        parts += [_gap(), _Part("account " + printable(event.account), "value", "start")]
    return parts


def _labelled(label: str, parts: list[_Part], width: int) -> CardLine:
    head = _Part(label.ljust(LABEL_WIDTH), "label")
    # The last value part gives way first (the caller kind before the address).
    return _fit([head, *parts], width, cut_first=tuple(reversed(parts)))


def _gap() -> _Part:
    return _Part("  ", "value", "gap")


# -- the principal -----------------------------------------------------------------------


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _role_and_session(identity: Mapping[str, object]) -> tuple[str, str]:
    """From `arn:aws:sts::1:assumed-role/<role>/<session>` (role names and session names
    hold no slash), else from the session issuer and the principal ID."""
    arn = _text(identity.get("arn"))
    resource = arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
    if resource.startswith("assumed-role/"):
        _, role, session = [*resource.split("/", 2), "", ""][:3]
        if role:
            return role, session
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, Mapping) else None
    role = _text(issuer.get("userName")) if isinstance(issuer, Mapping) else ""
    session = _text(identity.get("principalId")).partition(":")[2]
    return role, session


def _role_label(role: str, identity: Mapping[str, object]) -> str:
    """`AWSReservedSSO_AdministratorAccess_abc123` -> `AdministratorAccess (SSO)`."""
    match = _SSO_ROLE.match(role)
    if match is not None:
        return f"{match.group(1)} (SSO)"
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, Mapping) else None
    issuer_arn = _text(issuer.get("arn")) if isinstance(issuer, Mapping) else ""
    if role and _SSO_PATH in issuer_arn:
        return f"{role} (SSO)"
    return role


def _without_kind_prefix(principal: str) -> str:
    # The model's principal names some types by a prefix the card's type word repeats.
    for prefix in ("identity-center/", "account/"):
        if principal.startswith(prefix):
            return principal[len(prefix) :]
    return principal


# -- fitting -----------------------------------------------------------------------------


def _width(text: str) -> int:
    return len(text) if text.isascii() else sum(char_cell_width(char) for char in text)


def _cells(parts: list[_Part]) -> int:
    return sum(_width(part.text) for part in parts)


def _fit(parts: list[_Part], width: int, cut_first: tuple[_Part, ...]) -> CardLine:
    """`parts` in `width` cells: the parts in `cut_first` are cut in that order, each no
    narrower than its floor; if that is not enough the line is cropped on the right. Gaps
    between values narrow to one space before anything is cut."""
    if _cells(parts) > width:
        for part in parts:
            if part.keep == "gap":
                part.text = " "
    for part in cut_first:
        over = _cells(parts) - width
        if over <= 0:
            break
        current = _width(part.text)
        target = max(current - over, min(part.floor, current))
        if part.keep in ("start", "end") and target < current:
            part.text = _cut(part.text, target, keep_end=part.keep == "end", words=part.words)
    spans: list[Span] = []
    room = width
    for part in parts:
        text = part.text
        if _width(text) > room:
            text = _cut(text, room, keep_end=False) if room > 0 else ""
        if text:
            spans.append(Span(text, part.role))
        room -= _width(text)
    return tuple(spans)


def _cut(text: str, cells: int, *, keep_end: bool, words: bool = False) -> str:
    """`text` in at most `cells` cells, the ellipsis standing for what was dropped; with
    `words`, at a word's edge when one is near (`…(SSO) / jane`, not `…s (SSO) / jane`)."""
    if _width(text) <= cells:
        return text
    if cells <= 0:
        return ""
    room = cells - _width(ELLIPSIS)
    if keep_end:
        kept = tail(text, room)
        edge = kept.find(" ", 0, _WORD_EDGE) if words else -1
        return ELLIPSIS + (kept[edge + 1 :] if edge >= 0 else kept).lstrip()
    kept = head(text, room)
    edge = kept.rfind(" ", max(len(kept) - _WORD_EDGE, 0)) if words else -1
    return (kept[:edge] if edge > 0 else kept).rstrip() + ELLIPSIS
