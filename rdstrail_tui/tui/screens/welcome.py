"""Shown over an empty cache: how to get events in, or the demo."""

from __future__ import annotations

from typing import ClassVar, Optional

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.tui.widgets.key_bar import KeyBar

WELCOME = """\
The cache is empty: no CloudTrail events are loaded yet.

From a shell:
  rdstrail load ~/trail/AWSLogs   a trail tree synced from S3
  rdstrail load events.json       LookupEvents output, a console
                                  download, JSON Lines ...
Here:
  L   load a file or directory now
  D   open the bundled demo trail instead
      (your cache stays as it is)
  q   quit"""


# Optional, not "| None": a base class is evaluated at run time, and Python 3.9 has no
# "|" between types.
class WelcomeScreen(ModalScreen[Optional[str]]):
    """Dismissed with "load" or "demo"; q quits. Escape does nothing: there is no level
    to go back to, and an Escape (often pressed just in case) must not end the program."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("L,l", "dismiss('load')", "Load"),
        Binding("D,d", "dismiss('demo')", "Demo"),
        Binding("q", "app.quit", "Quit"),
    ]
    DEFAULT_CSS = """
    WelcomeScreen { align: center middle; }
    WelcomeScreen > Vertical {
        width: 80; max-width: 100%; height: auto; padding: 1 2;
        border: round $accent; background: $surface;
    }
    """

    def __init__(self, cache_label: str) -> None:
        super().__init__()
        self.cache_label = cache_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"rdstrail · {self.cache_label}\n\n{WELCOME}", markup=False)
        yield KeyBar()
