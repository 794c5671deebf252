"""The request-vs-response diff of one record, one line per key.

Every key and value shown here was written by whoever made the AWS call. The display is
built from `rich.text.Text` with explicit styles (never markup) and all event text goes
through `printable`, so brackets show as brackets and control characters as `\\x1b`.
"""

from __future__ import annotations

from typing import ClassVar

import orjson
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from rdstrail_tui.present.diff import MISSING, Diff, DiffRow, Status
from rdstrail_tui.present.sanitize import printable

# A value longer than this is cut: the JSON view shows it whole.
MAX_VALUE = 160
# Keys longer than this do not widen the key column for every other row.
MAX_KEY_COLUMN = 32
# Below this the lines are cut rather than wrapped into a column of single characters.
MIN_WRAP_WIDTH = 20
# Nesting deeper than this is shown as "..." (attacker-made records can nest far).
MAX_DEPTH = 16

_COMPONENT: dict[Status, str] = {
    Status.APPLIED: "diffview--applied",
    Status.CHANGED: "diffview--changed",
    Status.PENDING: "diffview--pending",
    Status.MASKED: "diffview--masked",
    Status.REQUEST_ONLY: "diffview--request-only",
    Status.SET_BY_AWS: "diffview--set-by-aws",
}
# For these the detail says all there is about the response side ("pending: 100 (now 20)").
_DETAIL_ONLY = frozenset({Status.PENDING, Status.MASKED, Status.REQUEST_ONLY})
# The symbol and key columns, the two spaces after each and their blank lines under a wrapped
# value. Invisible (metadata only), it keeps that whitespace a run of its own: merged into
# the value's run ("  14 -> ") it is leading whitespace, which some SVG renderers (rsvg)
# drop from screenshots, and the key then touches its value.
_GUTTER = Style(meta={"diffview": "gutter"})


def _string(text: str) -> str:
    # JSON-style quoting first, so a literal backslash cannot pass for an escape.
    return '"' + printable(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def render_value(value: object, depth: int = 0) -> str:
    """Compact JSON of an event value, every string made printable."""
    if isinstance(value, str):
        return _string(value)
    if depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, list):
        return "[" + ",".join(render_value(item, depth + 1) for item in value) + "]"
    if isinstance(value, dict):
        items = (f"{_string(str(k))}:{render_value(v, depth + 1)}" for k, v in value.items())
        return "{" + ",".join(items) + "}"
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # not JSON (ints beyond 64 bits, odd objects): still shown, escaped
        return printable(repr(value))


def _cut(text: str, limit: int = MAX_VALUE) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


class DiffView(ScrollView, can_focus=True):
    """Shows a `Diff`: the summary, then `SYMBOL  key  requested -> response` per key.

    Keys set by AWS are folded into one line until `a` is pressed.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "toggle_aws", "AWS defaults"),
        Binding("j", "scroll_down", "Down", show=False),
        Binding("k", "scroll_up", "Up", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *_COMPONENT.values(),
        "diffview--summary",
        "diffview--error",
    }

    # scrollbar-gutter: the wrap width must not depend on whether the scrollbar shows.
    DEFAULT_CSS = """
    DiffView {
        background: $surface;
        color: $text;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-gutter: stable;
        &:focus { background-tint: $foreground 5%; }
        & > .diffview--summary { text-style: bold; }
        & > .diffview--error { color: $text-error; text-style: bold; }
        & > .diffview--applied { color: $text-success; }
        & > .diffview--changed { color: $text-warning; text-style: bold; }
        & > .diffview--pending { color: $text-accent; }
        & > .diffview--masked { color: $text-secondary; }
        & > .diffview--request-only { color: $text-primary; }
        & > .diffview--set-by-aws { color: $text-muted; }
    }
    """

    show_aws: var[bool] = var(False)
    """Whether the keys set by AWS are listed (else folded into one line)."""

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._diff: Diff | None = None
        self._strips: list[Strip] = []

    @property
    def diff(self) -> Diff | None:
        return self._diff

    @property
    def plain_lines(self) -> list[str]:
        """The rendered lines as text, wrapped to the current width."""
        return [strip.text.rstrip() for strip in self._strips]

    def show(self, diff: Diff) -> None:
        """Display `diff`, from the top. Whether AWS's keys show is kept between records."""
        self._diff = diff
        self._rebuild()
        self.scroll_home(animate=False, immediate=True)

    def clear(self) -> None:
        self._diff = None
        self._rebuild()

    def action_toggle_aws(self) -> None:
        self.show_aws = not self.show_aws

    def watch_show_aws(self) -> None:
        self._rebuild()

    def on_resize(self, event: events.Resize) -> None:
        self._rebuild()

    def notify_style_update(self) -> None:
        # Theme or pseudo-class change: the styles baked into the strips are stale.
        super().notify_style_update()
        self._rebuild()

    # -- building the lines --------------------------------------------------------------

    def _style(self, component: str) -> Style:
        return self.get_component_rich_style(component)

    def _lines(self, diff: Diff, width: int) -> list[Text | Table]:
        lines: list[Text | Table] = [
            Text(printable(diff.summary()), style=self._style("diffview--summary"))
        ]
        if diff.kind == "failed":
            error = diff.error_code or ""
            if diff.error_message:
                error = f"{error}: {diff.error_message}"
            lines.append(Text(printable(error), style=self._style("diffview--error")))
        asked = [row for row in diff.rows if row.status is not Status.SET_BY_AWS]
        by_aws = [row for row in diff.rows if row.status is Status.SET_BY_AWS]
        shown = asked + by_aws if self.show_aws else asked
        longest = max((cell_len(printable(row.key)) for row in shown), default=1)
        # A narrow view gives the key at most two fifths of the width, the value the rest.
        key_width = max(1, min(longest, MAX_KEY_COLUMN, width * 2 // 5))
        lines.extend(self._row(row, key_width) for row in asked)
        if by_aws:
            verb = "hide" if self.show_aws else "show"
            fold = f"{Status.SET_BY_AWS.symbol} {len(by_aws)} set by AWS (press a to {verb})"
            lines.append(Text(fold, style=self._style(_COMPONENT[Status.SET_BY_AWS])))
            if self.show_aws:
                lines.extend(self._row(row, key_width) for row in by_aws)
        return lines

    def _row(self, row: DiffRow, key_width: int) -> Table:
        # A grid per row, so a long value wraps under the value column, not under the key.
        style = self._style(_COMPONENT[row.status])
        # Two spaces after the symbol and after the key, whatever the key's length.
        grid = Table.grid(padding=(0, 2))
        grid.add_column(width=1, style=_GUTTER)
        grid.add_column(width=key_width, overflow="fold", style=_GUTTER)
        grid.add_column(ratio=1, overflow="fold")
        value = Text()
        if row.requested is not MISSING:
            value.append(_cut(render_value(row.requested)))
            value.append(" ")
        value.append("-> ")
        if row.status in _DETAIL_ONLY and row.detail:
            value.append(_cut(printable(row.detail)), style)
        else:
            shown = "-" if row.response is MISSING else _cut(render_value(row.response))
            value.append(shown, style)
            if row.detail:
                value.append("  " + _cut(printable(row.detail)), style)
        grid.add_row(Text(row.status.symbol, style), Text(printable(row.key), style), value)
        return grid

    def _rebuild(self) -> None:
        if not self.is_mounted:
            return
        width = self.scrollable_content_region.width
        if width <= 0:
            return  # on_resize builds once the size is known
        strips: list[Strip] = []
        if self._diff is not None:
            console = self.app.console
            options = console.options.update(
                width=max(width, MIN_WRAP_WIDTH), height=None, no_wrap=False, overflow="fold"
            )
            for line in self._lines(self._diff, options.max_width):
                segments = console.render(line, options)
                strips.extend(Strip(list(part)) for part in Segment.split_lines(segments))
        self._strips = strips
        self.virtual_size = Size(width, len(strips))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        index = scroll_y + y
        base = self.rich_style
        if index >= len(self._strips):
            return Strip.blank(width, base)
        return self._strips[index].crop_extend(scroll_x, scroll_x + width, base).apply_style(base)
