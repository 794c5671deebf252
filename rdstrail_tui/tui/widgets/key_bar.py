"""The keys of the screen in front, on the bottom line: what Textual's Footer shows, drawn
by one widget.

Textual's Footer is a container of one widget per key (a dozen on the main screen), each
styled and laid out, and rebuilt whenever the keys change (every move of the focus). At
the explorer's start that was a fifth of the time to the first screen, and `/` paid a
rebuild. This bar draws the same line (the same colours, the same spacing, the palette's
key kept at the right) from `Screen.active_bindings` each time it is drawn, so a change of
the keys is a repaint of one line.

Left out of Footer's features: tooltips (the explorer runs without a mouse by default;
with --mouse a click on a key still presses it).
"""

from __future__ import annotations

from itertools import groupby
from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget


class KeyEntry(NamedTuple):
    """One key as drawn: its key and label, where it starts and how many cells it takes
    (`shown` fewer than `cells` when the bar is too narrow for all of it)."""

    key: str
    text: str
    x: int
    cells: int
    shown: int
    palette: bool
    enabled: bool = True


class KeyBar(Widget, can_focus=False):
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "key-bar--item",
        "key-bar--key",
        "key-bar--description",
        "key-bar--palette-edge",
    }
    # As Footer's and FooterKey's DEFAULT_CSS, so that the line looks the same.
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyBar > .key-bar--item {
        background: $footer-item-background;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyBar > .key-bar--palette-edge {
        color: $foreground 20%;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[KeyEntry] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._keys_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _keys_changed(self, screen: Screen[object]) -> None:
        if screen is self.screen:
            self.refresh()

    def _shown_bindings(self) -> tuple[list[tuple[Binding, bool]], tuple[Binding, bool] | None]:
        """The keys to show, one per action in the screen's order (as Footer: the first
        key bound to it), each with whether it applies now; and the palette's key."""
        active = self.screen.active_bindings
        by_action: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if binding.show and binding.action not in by_action:
                by_action[binding.action] = (binding, enabled)
        palette = None
        if self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                palette = (entry.binding, entry.enabled)
        return list(by_action.values()), palette

    def _entry_text(self, binding: Binding, enabled: bool, *, padded: bool = True) -> Text:
        """` key description ` in Footer's styles (the key's padding one cell each side,
        the description's one cell after it), dim when the key does not apply now;
        unpadded `key description`, as Footer draws its palette's key."""
        key = self.app.get_key_display(binding)
        if padded:
            key = f" {key} "
        description = binding.description
        if description:
            description = f"{description} " if padded else f" {description}"
        text = Text.assemble(
            (key, self.get_component_rich_style("key-bar--key")),
            (description, self.get_component_rich_style("key-bar--description")),
            end="",
        )
        text.stylize_before(self._item_style(enabled))
        return text

    def _item_style(self, enabled: bool) -> Style:
        item = self.rich_style + self.get_component_rich_style("key-bar--item")
        return item if enabled else item + Style(dim=True)

    def _key_only(self, binding: Binding, enabled: bool) -> Text:
        """A key of a group, without its label (the group's label follows the keys)."""
        key_style = self.get_component_rich_style("key-bar--key")
        text = Text.assemble((self.app.get_key_display(binding), key_style), end="")
        text.stylize_before(self._item_style(enabled))
        return text

    def _keys_line(
        self, keys: list[tuple[Binding, bool]], room: int
    ) -> tuple[Text, list[KeyEntry]]:
        """The keys left to right, as Footer lays them out: a key and its label each, or
        the keys of a group side by side and then the group's label."""
        line = Text(end="", no_wrap=True, overflow="crop")
        entries: list[KeyEntry] = []

        def add(binding: Binding, enabled: bool, text: Text) -> None:
            x = line.cell_len
            shown = max(0, min(text.cell_len, room - x))
            plain = text.plain.strip()
            entries.append(KeyEntry(binding.key, plain, x, text.cell_len, shown, False, enabled))
            line.append_text(text)

        for group, grouped in groupby(keys, lambda key: key[0].group):
            members = list(grouped)
            if group is None or len(members) == 1:
                for binding, enabled in members:
                    add(binding, enabled, self._entry_text(binding, enabled))
                continue
            # A compact group: a cell before the keys, none between them, one after; else
            # a cell each side of each key.
            if group.compact:
                line.append(" ")
            for binding, enabled in members:
                if not group.compact:
                    line.append(" ")
                add(binding, enabled, self._key_only(binding, enabled))
                if not group.compact:
                    line.append(" ")
            if group.compact:
                line.append(" ")
            label = self.get_component_rich_style("key-bar--description")
            line.append(group.description, self.rich_style + label)
            line.append(" ")
        line.truncate(room, pad=True)
        return line, entries

    def render(self) -> Text:
        width = self.size.width
        keys, palette = self._shown_bindings()
        palette_text = Text(end="")
        if palette is not None:
            # Footer docks the palette's key right, after a thin rule and before a cell of
            # padding; the other keys are drawn under it where the line is too short.
            item = self._item_style(palette[1])
            edge = item + self.get_component_rich_style("key-bar--palette-edge")
            palette_text = Text.assemble(("▏", edge), end="")
            palette_text.append_text(self._entry_text(*palette, padded=False))
            palette_text.append(" ", item)
        line, entries = self._keys_line(keys, max(0, width - palette_text.cell_len))
        if palette is not None:
            plain = palette_text.plain[1:].strip()
            cells = cell_len(palette_text.plain)
            key, enabled = palette[0].key, palette[1]
            entries.append(KeyEntry(key, plain, width - cells, cells, cells, True, enabled))
            line.append_text(palette_text)
        self.entries = entries
        return line

    def on_click(self, event: events.Click) -> None:
        """With --mouse, a click on a key presses it (one that does not apply now rings
        the bell), as on Footer."""
        for entry in self.entries:
            if entry.x <= event.x < entry.x + entry.shown:
                if entry.enabled:
                    self.app.simulate_key(entry.key)
                else:
                    self.app.bell()
                return
