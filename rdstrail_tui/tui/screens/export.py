"""Asks where and how to export the events the filter keeps: the format, a UTF-8 BOM for
CSV, the file name; shows the same export as a shell command, which can be copied. Returns
an ExportRequest with the file already created (owner-only), so that a name that cannot be
written is said here, where it can be changed; the main screen runs the export."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar, Optional

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.export import (
    EXPORT_FORMATS,
    FORMAT_NAMES,
    ExportError,
    ExportFile,
    ExportFileExists,
    absolute,
    command_line,
    default_file_name,
    query_arguments,
    with_extension,
)
from rdstrail_tui.query.language import Filter
from rdstrail_tui.tui.widgets.in_order_input import InOrderInput


@dataclass(frozen=True)
class ExportRequest:
    file: ExportFile  # created, owner-only, not yet written
    fmt: str  # one of EXPORT_FORMATS
    bom: bool
    count: int  # the events the list showed when the dialog opened


class _Checkbox(Checkbox):
    """A checkbox that reads without colour (NO_COLOR, vt100): X when on, blank when off."""

    def on_mount(self) -> None:
        self._show_value()

    def watch_value(self) -> None:
        super().watch_value()
        self._show_value()

    def _show_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        self.refresh()


class _RadioButton(RadioButton):
    """Likewise a radio button: a dot on the chosen one only."""

    def on_mount(self) -> None:
        self._show_value()

    def watch_value(self) -> None:
        super().watch_value()
        self._show_value()

    def _show_value(self) -> None:
        self.BUTTON_INNER = "\u25cf" if self.value else " "
        self.refresh()


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


# Optional, not "| None": a base class is evaluated at run time, and Python 3.9 has no
# "|" between types.
class ExportScreen(ModalScreen[Optional[ExportRequest]]):
    # Escape only: `q` and every other letter are text in the file name.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]
    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $accent; background: $surface;
    }
    ExportScreen Horizontal { height: auto; }
    ExportScreen Label { width: 8; }
    ExportScreen RadioSet { border: none; layout: horizontal; height: 1; width: 1fr; }
    ExportScreen RadioSet > RadioButton { width: auto; margin-right: 3; }
    ExportScreen Checkbox { margin-left: 8; }
    ExportScreen Input { width: 1fr; }
    ExportScreen #export-command { color: $text-muted; }
    ExportScreen #export-note { height: auto; }
    ExportScreen #export-note.-error { color: $error; }
    ExportScreen Button { margin-right: 2; }
    ExportScreen #export-keys { color: $text-muted; }
    """

    def __init__(
        self,
        flt: Filter,
        count: int,
        *,
        cache_path: Path | None = None,
        demo: bool = False,
        now: datetime | None = None,
    ) -> None:
        super().__init__()
        self.filter = flt
        self.count = count
        self.cache_path = cache_path  # None: the default cache (the command needs no --cache)
        self.demo = demo
        self.fmt = "csv"
        self._initial_name = default_file_name(self.fmt, now)
        self._replace: Path | None = None  # the existing file Enter may now replace

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = f"Export {plural(self.count, 'event')}"
            if self.filter.is_empty():
                what = "No filter: every event in the cache, newest first."
            else:
                what = f"The events the filter keeps, newest first: {printable(self.filter.text)}"
            yield Static(what, id="export-what", markup=False)
            with Horizontal():
                yield Label("Format")
                with RadioSet(id="export-format", compact=True):
                    for fmt in EXPORT_FORMATS:
                        yield _RadioButton(FORMAT_NAMES[fmt], value=fmt == self.fmt, name=fmt)
            yield _Checkbox("UTF-8 BOM, for Excel (CSV only)", id="export-bom", compact=True)
            with Horizontal():
                yield Label("File")
                yield InOrderInput(self._initial_name, id="export-file", compact=True)
            yield Static("", id="export-where", markup=False)
            yield Static("Same from a shell:", markup=False)
            yield Static("", id="export-command", markup=False)
            yield Static("", id="export-note", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export", id="export-start", variant="primary", compact=True)
                yield Button("Copy command", id="export-copy", compact=True)
            yield Static(
                "Enter in File exports, Tab moves, Space picks, Esc closes", id="export-keys"
            )

    def on_mount(self) -> None:
        self.query_one("#export-file", Input).focus()
        self._update()

    # -- what the dialog holds -------------------------------------------------------------

    @property
    def file_name(self) -> str:
        return self.query_one("#export-file", Input).value.strip()

    @property
    def bom(self) -> bool:
        return self.fmt == "csv" and self.query_one("#export-bom", Checkbox).value

    @property
    def command(self) -> str:
        """The shell command that writes the same file."""
        arguments = query_arguments(
            self.filter, self.fmt, bom=self.bom, cache_path=self.cache_path, demo=self.demo
        )
        return command_line(arguments, self.file_name or self._initial_name)

    def _update(self) -> None:
        self.query_one("#export-bom", Checkbox).disabled = self.fmt != "csv"
        target = absolute(Path(self.file_name)) if self.file_name else None
        where = f"Written owner-only to {printable(str(target))}" if target else ""
        self.query_one("#export-where", Static).update(where)
        self.query_one("#export-command", Static).update(self.command)

    def _note(self, text: str, *, error: bool = False) -> None:
        note = self.query_one("#export-note", Static)
        note.update(text)
        note.set_class(error, "-error")

    @on(RadioSet.Changed, "#export-format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        self.fmt = event.pressed.name or "csv"
        box = self.query_one("#export-file", Input)
        box.value = with_extension(box.value, self.fmt)  # Input.Changed updates the rest
        self._update()

    @on(Checkbox.Changed, "#export-bom")
    def _bom_changed(self) -> None:
        self._update()

    @on(Input.Changed, "#export-file")
    def _name_changed(self) -> None:
        if self._replace is not None:
            self._replace = None
            self._note("")
        self._update()

    # -- doing it --------------------------------------------------------------------------

    @on(Input.Submitted, "#export-file")
    @on(Button.Pressed, "#export-start")
    def action_export(self) -> None:
        if not self.file_name:
            self._note("Give a file name to export to", error=True)
            return
        target = absolute(Path(self.file_name))
        try:
            file = ExportFile.create(target, replace=self._replace == target)
        except ExportFileExists:
            self._replace = target
            self._note(
                f"{printable(self.file_name)} exists: Enter again replaces it, or change the name",
                error=True,
            )
            return
        except ExportError as error:
            self._note(str(error), error=True)
            return
        self.dismiss(ExportRequest(file, self.fmt, self.bom, self.count))

    @on(Button.Pressed, "#export-copy")
    def action_copy_command(self) -> None:
        # OSC 52, which the terminal may refuse: say so. The command is on screen too, for
        # the terminal's own selection (the mouse is off unless asked for).
        self.app.copy_to_clipboard(self.command)
        self._note("Command sent to the terminal's clipboard (OSC 52; it may refuse it)")

    def action_close(self) -> None:
        self.dismiss(None)
