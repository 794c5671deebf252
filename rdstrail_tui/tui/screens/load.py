"""Asks for a path to load into the cache."""

from __future__ import annotations

from typing import ClassVar, Optional

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from rdstrail_tui.tui.widgets.in_order_input import InOrderInput
from rdstrail_tui.tui.widgets.key_bar import KeyBar


# Optional, not "| None": a base class is evaluated at run time, and Python 3.9 has no
# "|" between types.
class LoadScreen(ModalScreen[Optional[str]]):
    """Its path box takes every printable key (q too); Escape closes it."""

    # Priority: Enter and Escape act before the path box sees them, and the key after an
    # Escape in the same burst goes to the screen below.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "load", "Load", key_display="Enter", priority=True),
        Binding("escape", "dismiss_empty", "Cancel", key_display="Esc", priority=True),
    ]
    DEFAULT_CSS = """
    LoadScreen { align: center middle; }
    LoadScreen > Vertical {
        width: 76; max-width: 100%; height: auto; padding: 1 2;
        border: round $accent; background: $surface;
    }
    LoadScreen Input { margin: 1 0 0 0; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Load CloudTrail events from a file or directory: trail trees\n"
                "(gzip or not), LookupEvents output, JSON Lines.\n"
                "Enter loads, Escape cancels.",
                markup=False,
            )
            yield InOrderInput(placeholder="~/trail/AWSLogs", id="path")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_load(self) -> None:
        self.dismiss(self.query_one(Input).value.strip() or None)

    def action_dismiss_empty(self) -> None:
        self.dismiss(None)
