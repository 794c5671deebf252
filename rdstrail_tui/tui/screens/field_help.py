"""The field help: `i` in the detail shows the RDS model's documentation of the key under
the cursor, in a panel over the detail (Escape or `i` closes it).

What the panel says is `present.field_help`'s (plain lines, for the panel's width); this
module only lays it out: a bordered box in the middle of the screen, as wide as the
terminal allows up to PANEL_WIDTH, as tall as its lines, scrolling when they are more than
the screen holds. At 80x24 the documentation is cut to its first sentences; wider or
taller (where the explorer shows the list and the detail together) the whole first
paragraph shows, and more.

`FieldHelpHandling` is the main screen's part that answers the key (see screens/main.py):
the view in focus names the key (`JsonView.help_target`, `DiffView.help_target`), the card
names the event.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.present.field_help import HelpTarget, field_help_lines
from rdstrail_tui.tui.actions import DETAIL
from rdstrail_tui.tui.screens.main_base import MainScreenBase
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_card import EventCard
from rdstrail_tui.tui.widgets.json_view import JsonView
from rdstrail_tui.tui.widgets.key_bar import KeyBar

# The panel's width at most (text lines of 88 cells read well); narrower terminals get
# their width less a margin of MARGIN cells each side.
PANEL_WIDTH = 92
MARGIN = 2
# Border and padding, each side.
_FRAME = 2
# From these sizes the explorer shows the list and the detail together (screens/main.py,
# WIDE_COLUMNS and TALL_LINES); there the panel has room for the whole first paragraph.
WIDE_COLUMNS = 150
TALL_LINES = 40


class FieldHelpScreen(ModalScreen[None]):
    """The documentation of one key; dismissed by Escape, `i` or `q`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the key after an Escape in the same burst goes to the screen below.
        Binding("escape", "dismiss", "Close", key_display="Esc", priority=True),
        Binding("i,q", "dismiss", show=False),
    ]
    DEFAULT_CSS = """
    FieldHelpScreen { align: center middle; }
    FieldHelpScreen > VerticalScroll {
        height: auto; padding: 0 1;
        border: round $accent; background: $surface;
    }
    """

    def __init__(self, target: HelpTarget) -> None:
        super().__init__()
        self.target = target
        self._lines: list[str] = []
        self._laid_out_for: tuple[int, int] | None = None

    @property
    def lines(self) -> list[str]:
        """The panel's text as shown, line by line (for tests and copying)."""
        return list(self._lines)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("", id="field-help-text", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self._relayout()
        self.query_one(VerticalScroll).focus()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _relayout(self) -> None:
        width, height = self.app.size
        if (width, height) == self._laid_out_for:
            return
        self._laid_out_for = (width, height)
        panel = self.query_one(VerticalScroll)
        panel_width = max(_FRAME * 2 + 1, min(PANEL_WIDTH, width - 2 * MARGIN))
        panel.styles.width = panel_width
        # The Footer's line stays in view below the panel.
        panel.styles.max_height = max(3, height - 1 - MARGIN)
        wide = width >= WIDE_COLUMNS or height >= TALL_LINES
        self._lines = field_help_lines(self.target, panel_width - 2 * _FRAME, wide=wide)
        # Plain text: keys and values in it came from the record.
        text = Text("\n".join(self._lines), no_wrap=True, overflow="crop", end="")
        self.query_one("#field-help-text", Static).update(text)


class FieldHelpHandling(MainScreenBase):
    """The main screen's part for `i`: the documentation of the key under the detail's
    cursor, in a FieldHelpScreen."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "field_help":
            # Only where a view has a cursor on a key (the Footer shows it there only).
            return self.focus_zone == DETAIL and isinstance(self.focused, (JsonView, DiffView))
        return super().check_action(action, parameters)

    def action_field_help(self) -> None:
        view = self.focused
        if not isinstance(view, (JsonView, DiffView)):
            return
        target = view.help_target(self.query_one(EventCard).event)
        if target is None:
            self.app.bell()  # nothing shown, nothing to explain
            return
        self.app.push_screen(FieldHelpScreen(target))
