"""After `y`: says the event's JSON was *sent* to the clipboard by OSC 52, which the terminal
may have refused without a word, and offers the fallback that always works: `w` writes it to
an owner-only file in the current directory and shows the path."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.export import ExportError, event_file_stem, write_event_file

CLOSES = "Esc closes"


class CopyScreen(ModalScreen[None]):
    # No text fields here: q and Enter close it as Escape does.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close"),
        Binding("w", "write", "Write to a file"),
    ]
    DEFAULT_CSS = """
    CopyScreen { align: center middle; }
    CopyScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $accent; background: $surface;
    }
    CopyScreen #copy-result { margin-top: 1; height: auto; }
    CopyScreen #copy-result.-error { color: $error; }
    CopyScreen #copy-keys { margin-top: 1; color: $text-muted; }
    """

    def __init__(self, event_name: str, event_id: str, text: str) -> None:
        super().__init__()
        self.event_name = event_name
        self.event_id = event_id
        self.text = text  # the JSON that was sent
        self.written: Path | None = None

    @property
    def file_name(self) -> str:
        return f"{event_file_stem(self.event_id)}.json"

    def compose(self) -> ComposeResult:
        size = len(self.text.encode())
        with Vertical() as dialog:
            dialog.border_title = "Copy event JSON"
            yield Static(
                f"Sent the JSON of this {printable(self.event_name)} event ({size:,} bytes) "
                "to the terminal's clipboard by OSC 52. Terminals, tmux and screen may refuse "
                "it without a word: paste to check.",
                markup=False,
            )
            yield Static(
                f"w  write it to ./{printable(self.file_name)} instead",
                id="copy-result",
                markup=False,
            )
            yield Static(CLOSES, id="copy-keys", markup=False)

    def action_write(self) -> None:
        if self.written is not None:
            return  # once: a second w would only make a copy of the copy
        result = self.query_one("#copy-result", Static)
        try:
            self.written = write_event_file(Path.cwd(), self.event_id, self.text.encode() + b"\n")
        except ExportError as error:
            result.update(str(error))
            result.add_class("-error")
            return
        result.remove_class("-error")
        result.update(f"Wrote {printable(str(self.written))} (owner-only)")

    def action_close(self) -> None:
        self.dismiss(None)
