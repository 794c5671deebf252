"""Two events, or two points of a resource's configuration, side by side: LEFT | RIGHT.

What the screen shows is `present.compare_layout`'s (the lines `rdstrail compare` prints),
laid out again for the screen's width whenever it changes; this module only styles the
spans and scrolls them. Rows of the same value are counted in each section's line and
hidden until `s` shows them; arrows, PageUp/PageDown, Home/End scroll; Escape or `q`
closes. At 80x24 the header and the first rows fit on the first screen.

`CompareScreen(left, right)` compares two events; `ConfigurationCompareScreen(left, right,
left_title=..., right_title=...)` two `model.configuration.State`s of one resource (the
history view's `m` and `c`). Every key and value came from a record: the spans are plain
text in `rich.text.Text`, never markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.model.configuration import State
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.compare import Comparison, compare_configurations, compare_events
from rdstrail_tui.present.compare_layout import Line, SpanKind, compare_layout, line_text
from rdstrail_tui.tui.widgets.key_bar import KeyBar

# The section lines' hint for the hidden rows of the same value.
SAME_HINT = "s shows them"
EVENTS_TITLE = "Compare two events"
CONFIGURATIONS_TITLE = "Compare two points of the configuration"


class ComparisonText(Static):
    """The laid-out comparison, styled by span kind, re-laid out at each new width."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "compare--heading",
        "compare--summary",
        "compare--label",
        "compare--note",
        "compare--divider",
        "compare--absent",
        "compare--more",
        "compare--changed",
        "compare--only-left",
        "compare--only-right",
        "compare--masked",
        "compare--same",
    }
    DEFAULT_CSS = """
    ComparisonText {
        width: 1fr;
        height: auto;
        & > .compare--heading { text-style: bold; }
        & > .compare--summary { text-style: bold; }
        & > .compare--label { color: $text-muted; }
        & > .compare--note { color: $text-muted; text-style: italic; }
        & > .compare--divider { color: $text-muted; }
        & > .compare--absent { color: $text-muted; }
        & > .compare--more { color: $text-muted; }
        & > .compare--changed { color: $text-warning; text-style: bold; }
        & > .compare--only-left { color: $text-error; text-style: bold; }
        & > .compare--only-right { color: $text-success; text-style: bold; }
        & > .compare--masked { color: $text-muted; text-style: bold; }
        & > .compare--same { color: $text-muted; }
    }
    """

    def __init__(self, comparison: Comparison) -> None:
        super().__init__("", markup=False)
        self.comparison = comparison
        self.show_same = False
        self.layout_lines: list[Line] = []
        self._laid_out: tuple[int, bool] | None = None

    def on_resize(self, event: events.Resize) -> None:
        self.relayout()

    def notify_style_update(self) -> None:
        # A theme change: the styles baked into the text are stale.
        super().notify_style_update()
        self._laid_out = None
        if self.is_mounted:
            self.call_after_refresh(self.relayout)

    def toggle_same(self) -> None:
        self.show_same = not self.show_same
        self.relayout()

    def relayout(self) -> None:
        if not self.is_attached:
            return  # a style update that arrives after the screen closed: nothing to lay out
        width = self.content_region.width or self.app.size.width
        if (width, self.show_same) == self._laid_out:
            return
        self._laid_out = (width, self.show_same)
        self.layout_lines = compare_layout(
            self.comparison, width, show_same=self.show_same, same_hint=SAME_HINT
        )
        text = Text(no_wrap=True, overflow="crop", end="")
        styles: dict[SpanKind, Style] = {}
        for index, line in enumerate(self.layout_lines):
            if index:
                text.append("\n")
            for part, kind in line:
                style = styles.get(kind)
                if style is None:
                    style = styles[kind] = self._style(kind)
                text.append(part, style)
        self.update(text)

    def _style(self, kind: SpanKind) -> Style:
        component = f"compare--{kind}"
        if component in self.COMPONENT_CLASSES:
            return self.get_component_rich_style(component, partial=True)
        return Style()


class ComparisonScreen(ModalScreen[None]):
    """A comparison over the whole screen; dismissed by Escape or `q`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the key after an Escape in the same burst goes to the screen below.
        Binding("escape", "dismiss", "Close", key_display="Esc", priority=True),
        Binding("q", "dismiss", show=False),
        Binding("s", "toggle_same", "Same rows", tooltip="Show or hide the rows of one value"),
    ]
    DEFAULT_CSS = """
    ComparisonScreen { background: $surface; }
    ComparisonScreen > #compare-title {
        height: 1; padding: 0 1; background: $primary 30%; text-style: bold;
    }
    ComparisonScreen > VerticalScroll { height: 1fr; padding: 0 0 0 1; }
    """

    def __init__(self, comparison: Comparison, title: str = EVENTS_TITLE) -> None:
        super().__init__()
        self.comparison = comparison
        self.heading = title

    @property
    def lines(self) -> list[str]:
        """The comparison as shown, line by line (for tests and copying); none until the
        screen has been laid out."""
        views = self.query(ComparisonText)
        return [line_text(line) for line in views.first().layout_lines] if views else []

    @property
    def show_same(self) -> bool:
        return self.query_one(ComparisonText).show_same

    def compose(self) -> ComposeResult:
        # Plain text: a configuration's title may hold a principal from a record.
        yield Static(Text(self.heading, no_wrap=True, overflow="ellipsis"), id="compare-title")
        with VerticalScroll():
            yield ComparisonText(self.comparison)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_toggle_same(self) -> None:
        self.query_one(ComparisonText).toggle_same()


class CompareScreen(ComparisonScreen):
    """Two events: their request parameters, then their responses."""

    def __init__(self, left: Event, right: Event) -> None:
        super().__init__(compare_events(left, right), EVENTS_TITLE)


class ConfigurationCompareScreen(ComparisonScreen):
    """Two points of one resource's history: its attributes, then its pending values.
    `shape` is the resource's shape in the RDS model (DBInstance, DBCluster, ...)."""

    def __init__(
        self,
        left: State,
        right: State,
        *,
        left_title: str = "",
        right_title: str = "",
        shape: str | None = None,
    ) -> None:
        comparison = compare_configurations(
            left, right, left_title=left_title, right_title=right_title, shape=shape
        )
        super().__init__(comparison, CONFIGURATIONS_TITLE)
