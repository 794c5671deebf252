"""The terminal benchmark's two bare Textual apps: what any Textual app costs on this machine,
this Python and this Textual, so that rdstrail's figures can be read as ratios.

They are written as scripts to a temporary directory and run with the Python of the rdstrail
under test (its own Textual), never imported here: the benchmark itself needs no Textual.
"""

from __future__ import annotations

from pathlib import Path

ROWS = 40
ONE_LINE_TEXT = "bare textual: one line"
INPUT_PLACEHOLDER = "bare textual: type here"

ONE_LINE_APP = f"""
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Static


class OneLine(App[None]):
    def compose(self) -> ComposeResult:
        yield Static(Text({ONE_LINE_TEXT!r}))


OneLine().run()
"""

INPUT_APP = f'''
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

ROWS = {ROWS}


def rows(value: str) -> Text:
    """Every row holds the typed text, padded to the width of a list row."""
    return Text("\\n".join(row_text(number, value) for number in range(1, ROWS + 1)))


def row_text(number: int, value: str) -> str:
    line = f"row {{number:02d}} [{{value}}] "
    return line + "." * max(0, 150 - len(line))


class Rewrite(App[None]):
    CSS = "Input {{ border: none; height: 1; padding: 0 1; }}  #rows {{ height: {ROWS}; }}"

    def compose(self) -> ComposeResult:
        yield Input(placeholder={INPUT_PLACEHOLDER!r})
        yield Static(rows(""), id="rows")

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#rows", Static).update(rows(event.value))


Rewrite().run()
'''


def write_apps(directory: Path) -> tuple[Path, Path]:
    """The one-line app's script and the Input app's, written into `directory`."""
    one_line, rewrite = directory / "bare_one_line.py", directory / "bare_input.py"
    one_line.write_text(ONE_LINE_APP)
    rewrite.write_text(INPUT_APP)
    return one_line, rewrite


def one_line_shown(screen: str) -> bool:
    return ONE_LINE_TEXT in screen


def input_app_shown(screen: str) -> bool:
    return INPUT_PLACEHOLDER in screen and f"row {ROWS:02d} [] " in screen


def input_app_echoes(screen: str, typed: str) -> bool:
    """The box shows `typed` and so does the last of the rows: all of them were rewritten."""
    box = any(line.strip() == typed for line in screen.splitlines())
    return box and f"row {ROWS:02d} [{typed}] " in screen
