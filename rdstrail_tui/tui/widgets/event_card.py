"""The card above an opened event's JSON or diff: time, outcome, what the call does, its
risk flags, resource, principal, source and place, in a few lines laid out by
`present.card` for the card's own width.

The text is attacker-controlled: `present.card` makes it printable, and it is shown as
`rich.text.Text` with styles from the component classes, never parsed as markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events
from textual.widgets import Static

from rdstrail_tui.model.event import Event
from rdstrail_tui.model.rds_api import rds_model, rds_model_if_read
from rdstrail_tui.present.card import Role, card_spans

# Until the card has a size (before the first layout) it is laid out for this width.
_FALLBACK_WIDTH = 80
# present.card fits its lines to 40 columns and more; a narrower card crops them.
_MIN_WIDTH = 40


class EventCard(Static):
    """Hidden until `show` is given an event; as tall as its lines."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "eventcard--label",
        "eventcard--time",
        "eventcard--name",
        "eventcard--ok",
        "eventcard--failed",
        "eventcard--risk",
    }

    # Readable without colour: the outcome is bold (a failure also in the error colour,
    # and it says FAILED), so are the risk flags' names (on a line labelled `risk`), labels
    # are only dimmed.
    DEFAULT_CSS = """
    EventCard {
        height: auto;
        & > .eventcard--label { color: $text-muted; }
        & > .eventcard--name { text-style: bold; }
        & > .eventcard--ok { text-style: bold; }
        & > .eventcard--failed { text-style: bold; color: $text-error; }
        & > .eventcard--risk { text-style: bold; color: $text-warning; }
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__("", markup=False, name=name, id=id, classes=classes, disabled=disabled)
        self.display = False
        self._event: Event | None = None
        self._record: Mapping[str, object] = {}
        # The width and whether styles were at hand when the lines were last laid out.
        self._laid_out_for: tuple[int, bool] | None = None
        self._lines: list[str] = []
        self._model_asked = False  # the model's reading has been started

    @property
    def event(self) -> Event | None:
        """The event the card shows (None: no card)."""
        return self._event

    @property
    def lines(self) -> list[str]:
        """The card's lines as plain text, as shown (for tests and copying)."""
        return list(self._lines)

    def show(self, event: Event | None, record: Mapping[str, object] | None) -> None:
        """Show the card of `event` (its parsed record, or None when the raw record was not
        fetched), or nothing for None."""
        self._event = event
        self._record = record or {}
        self._laid_out_for = None
        # No event, no card: an empty Static would still take a line.
        self.display = event is not None
        self._relayout()
        if event is not None and not self._model_asked and not rds_model_if_read()[0]:
            # The operation's description comes from botocore's RDS model, which takes
            # tens of milliseconds to read: read in a thread once this first card is on
            # screen, so neither the first screen nor the card waits for it; the `what`
            # line gains its description when it is in, without changing the card's height.
            self._model_asked = True
            self.call_after_refresh(
                self.run_worker, self._read_model, thread=True, exclusive=True, group="rds-model"
            )

    def on_mount(self) -> None:
        self._relayout()

    def _read_model(self) -> None:
        rds_model()
        self.app.call_from_thread(self._model_read)

    def _model_read(self) -> None:
        self._laid_out_for = None
        self._relayout()

    def on_resize(self, event: events.Resize) -> None:
        self._relayout()

    def _width(self) -> int:
        width = self.content_size.width
        return max(width if width > 0 else _FALLBACK_WIDTH, _MIN_WIDTH)

    def _relayout(self) -> None:
        width = self._width()
        key = (width, self.is_mounted)
        if key == self._laid_out_for:
            return
        self._laid_out_for = key
        if self._event is None:
            self._lines = []
            self.update(Text(""))
            return
        read, model = rds_model_if_read()
        spans = card_spans(self._event, self._record, width, model=model if read else None)
        # A layout of the whole screen costs tens of milliseconds at a million events: only
        # when the card's height changes (K/J and a cursor that the detail follows come
        # through here once per event).
        same_height = len(spans) == len(self._lines)
        self._lines = ["".join(span.text for span in line) for line in spans]
        text = Text(no_wrap=True, overflow="crop", end="")
        for index, line in enumerate(spans):
            if index:
                text.append("\n")
            for span in line:
                text.append(span.text, self._style(span.role))
        self.update(text, layout=not same_height)

    def _style(self, role: Role) -> Style | None:
        if role == "value":
            return None
        # Component styles need the app's stylesheet: none before the card is mounted,
        # and it is laid out again once mounted.
        if not self.is_mounted:
            return None
        return self.get_component_rich_style(f"eventcard--{role}", partial=True)
