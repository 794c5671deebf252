"""Every key and the filter language, on one scrollable page."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from rdstrail_tui.present.diff import DIFF_LEGEND_TITLE, diff_legend_text
from rdstrail_tui.query.language import FILTER_HELP
from rdstrail_tui.tui.widgets.event_list import (
    MARK_ERROR,
    MARK_INFERRED_WRITE,
    MARK_RISKY,
    MARK_UNKNOWN,
    MARK_WRITE,
)
from rdstrail_tui.tui.widgets.key_bar import KeyBar


def describe(bindings: list[BindingType], app: App[Any]) -> list[str]:
    """One line per action: its keys (as `app` shows keys) and what it does (the binding's
    tooltip when it has one: Footer labels are kept short, the help can say more)."""
    lines: dict[str, tuple[list[str], str]] = {}
    for binding in Binding.make_bindings(bindings):
        if not binding.description:
            continue
        keys, _ = lines.setdefault(binding.action, ([], binding.tooltip or binding.description))
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return [f"  {' / '.join(keys):<18} {text}" for keys, text in lines.values()]


MARKS_TITLE = "Marks in the first column (they read without colour)"
MARKS_LEGEND = "\n".join(
    (
        f"  {MARK_ERROR}  failed call (errorCode)    "
        f"{MARK_RISKY}  risky (is:risky; the card says why)",
        f"  {MARK_WRITE}  write    "
        f"{MARK_INFERRED_WRITE}  write by its name (old record, no readOnly)",
        f"  blank  read    {MARK_UNKNOWN}  read or write unknown",
        "  One mark per row: failed before risky before write before read.",
    )
)
# Each legend follows the keys of the view it explains, so it is found where it is needed.
LEGENDS = {
    "Event list": (MARKS_TITLE, MARKS_LEGEND),
    "Diff": (DIFF_LEGEND_TITLE, diff_legend_text(76)),  # the help's text width at 80 columns
}


def help_text(sections: list[tuple[str, list[BindingType]]], app: App[Any]) -> str:
    parts: list[str] = []
    for title, bindings in sections:
        parts.append(title)
        parts.extend(describe(bindings, app))
        parts.append("")
        if title in LEGENDS:
            parts.extend(LEGENDS[title])
            parts.append("")
    parts.append("Filter language")
    parts.extend(f"  {line}" for line in FILTER_HELP.rstrip().splitlines())
    return "\n".join(parts)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # Priority: the key after an Escape in the same burst goes to the screen below.
        Binding("escape", "dismiss", "Close", key_display="Esc", priority=True),
        Binding("q,question_mark", "dismiss", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: 90%; padding: 0 1;
        border: round $accent; background: $surface;
    }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()
