"""A yes/no question, e.g. whether to quit while a load runs."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.tui.widgets.key_bar import KeyBar


class ConfirmScreen(ModalScreen[bool]):
    """Dismissed with True for y, False for n or Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        # Priority: the key after an Escape in the same burst goes to the screen below.
        Binding("escape", "answer(False)", "No", key_display="Esc", show=False, priority=True),
    ]
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 60; max-width: 100%; height: auto; padding: 1 2;
        border: round $warning; background: $surface;
    }
    """

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            # The question may name a path: plain text, never markup.
            yield Static(
                f"{self.question}\n\ny: {self.yes.lower()}    n or Escape: {self.no.lower()}",
                markup=False,
            )
        yield KeyBar()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
