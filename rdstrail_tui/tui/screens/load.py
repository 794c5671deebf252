"""Asks for a path to load into the cache."""

from __future__ import annotations

from typing import ClassVar, Optional

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


# Optional, not "| None": a base class is evaluated at run time, and Python 3.9 has no
# "|" between types.
class LoadScreen(ModalScreen[Optional[str]]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss_empty", "Cancel")]
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
            yield Input(placeholder="~/trail/AWSLogs", id="path")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_dismiss_empty(self) -> None:
        self.dismiss(None)
