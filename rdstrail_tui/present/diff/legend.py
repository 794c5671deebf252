"""What the diff's symbols mean, for the help screen and the README."""

from __future__ import annotations

from typing import Final

from rdstrail_tui.present.diff.rows import Status

_MEANINGS: Final[dict[Status, str]] = {
    Status.APPLIED: "the response holds the requested value",
    Status.CHANGED: "the response holds another value: asked -> got",
    Status.PENDING: "accepted, not in effect yet (pendingModifiedValues)",
    Status.MASKED: "CloudTrail hid the value (****), so it is not compared",
    Status.REQUEST_ONLY: "nothing in the response to compare (applyImmediately)",
    Status.SET_BY_AWS: "only in the response: defaults and derived values",
}

DIFF_LEGEND: Final[tuple[tuple[str, str, str], ...]] = tuple(
    (status.symbol, status.label, _MEANINGS[status]) for status in Status
)
"""(symbol, name, one-line meaning) of every diff status, in the summary line's order."""

DIFF_LEGEND_TITLE: Final = "Symbols in the diff (they read without colour)"

_INDENT: Final = 2


def diff_legend_text(width: int) -> str:
    """The legend as lines of at most `width` cells, two spaces in, without a title:
    `  =  applied       the response holds ...`. From 76 cells (the help's text at 80
    columns) each entry is one line; a meaning too long for the width goes on under its
    own column, broken between words."""
    name_width = max(len(name) for _, name, _ in DIFF_LEGEND)
    column = _INDENT + 1 + 2 + name_width + 2
    room = max(12, width - column)
    lines: list[str] = []
    for symbol, name, meaning in DIFF_LEGEND:
        head = f"{' ' * _INDENT}{symbol}  {name:<{name_width}}  "
        for part in _words(meaning, room):
            lines.append((head + part).rstrip())
            head = " " * column
    return "\n".join(lines)


def _words(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` characters, broken at spaces (ASCII text)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > room:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines
