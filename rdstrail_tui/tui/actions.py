"""The explorer's app-level actions, each listed once in `ACTIONS`.

The main screen's key bindings are made from this table, and so, through them, are the
Footer and the help's "Anywhere" section; the command palette's entries are made from it
too. A key, a Footer label or a palette entry is changed here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class ExplorerState:
    """What decides whether a palette entry is offered."""

    demo: bool  # the bundled demo trail is open
    job_running: bool  # a load or a sync runs


def always(state: ExplorerState) -> bool:
    return True


@dataclass(frozen=True)
class PaletteEntry:
    """An action's entry in the command palette."""

    title: str
    text: str  # what it does; the palette adds the key, "Focus the filter box (/)"
    # The palette's order, which is not the bindings': it lists equally good matches of
    # what is typed in this order.
    order: int
    applies: Callable[[ExplorerState], bool] = always

    def help_line(self, key_display: str | None) -> str:
        """What the action does, and the key that does it if it has one."""
        return f"{self.text} ({key_display})" if key_display else self.text


@dataclass(frozen=True)
class ExplorerAction:
    # As a Binding names it: an action of the main screen's, or "app.NAME" for the app's.
    action: str
    key: str = ""  # Textual's key name; none: the palette is the way to it
    label: str = ""  # in the Footer and the help; none: in neither
    id: str | None = None
    show: bool = True  # in the Footer (the help lists every labelled one)
    priority: bool = False
    palette: PaletteEntry | None = None

    @property
    def on_app(self) -> bool:
        return self.action.startswith("app.")

    @property
    def method(self) -> str:
        """The name of the method the action calls, on the app or the main screen."""
        return "action_" + self.action.rpartition(".")[2]

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.label,
            show=self.show,
            priority=self.priority,
            id=self.id,
        )


# In the order of the bindings, which is the order of the Footer and of the help.
ACTIONS: tuple[ExplorerAction, ...] = (
    # Priority: Textual routes each key to the widget focused when the key is dequeued, so
    # keys that move focus must act at once or the rest of a burst (a paste, or `/modify`
    # arriving in one packet over SSH) goes to the widget they left. Each of these stands
    # aside (SkipAction) where it does not apply.
    ExplorerAction(
        "focus_filter",
        "slash",
        "Filter",
        id="filter",
        priority=True,
        palette=PaletteEntry("Filter", "Focus the filter box", order=1),
    ),
    # No labels: the help lists the filter box's keys on their own.
    ExplorerAction("keep_filter", "enter", show=False, priority=True),
    ExplorerAction("clear_filter", "escape", show=False, priority=True),
    ExplorerAction("back", "escape", "Back", show=False),
    ExplorerAction("quick('name')", "n", "+Name", id="quick-name", show=False),
    ExplorerAction("quick('user')", "u", "+User", id="quick-user", show=False),
    ExplorerAction("quick('res')", "r", "+Resource", id="quick-resource", show=False),
    ExplorerAction(
        "toggle_errors",
        "e",
        "Errors only",
        id="quick-errors",
        show=False,
        palette=PaletteEntry("Show only errors", "Toggle is:error in the filter", order=7),
    ),
    ExplorerAction(
        "toggle_diff",
        "d",
        "JSON/Diff",
        id="toggle-diff",
        palette=PaletteEntry("JSON / Diff", "Switch the detail between JSON and Diff", order=5),
    ),
    ExplorerAction(
        "copy_json",
        "y",
        "Copy",
        id="copy-json",
        palette=PaletteEntry("Copy event JSON", "Copy the event to the clipboard", order=6),
    ),
    # Out of the Footer: the help, the palette and (for L) the welcome screen name them.
    ExplorerAction(
        "load",
        "L",
        "Load",
        id="load",
        show=False,
        palette=PaletteEntry("Load events", "Load a file or directory into the cache", order=2),
    ),
    ExplorerAction(
        "sync",
        "S",
        "Sync from AWS",
        id="sync",
        show=False,
        palette=PaletteEntry(
            "Sync from AWS", "LookupEvents or an S3 trail into the cache", order=3
        ),
    ),
    ExplorerAction(
        "cancel_load",
        "x",
        "Cancel load",
        id="cancel-load",
        palette=PaletteEntry(
            "Cancel load",
            "Stop the running load",
            order=4,
            applies=lambda state: state.job_running,
        ),
    ),
    ExplorerAction(
        "app.help",
        "question_mark",
        "Help",
        id="help",
        palette=PaletteEntry("Help", "Every key and the filter language", order=8),
    ),
    # The palette has Textual's own Quit.
    ExplorerAction("app.quit", "q", "Quit", id="quit"),
    ExplorerAction(
        "app.open_demo",
        palette=PaletteEntry(
            "Open the demo trail",
            "Explore the bundled demo instead",
            order=9,
            applies=lambda state: not state.demo,
        ),
    ),
)


def main_screen_bindings() -> list[BindingType]:
    return [action.binding() for action in ACTIONS if action.key]


def palette_actions(state: ExplorerState) -> list[tuple[ExplorerAction, PaletteEntry]]:
    """The actions the palette offers in `state`, in the palette's order."""
    offered = [
        (action, action.palette)
        for action in ACTIONS
        if action.palette is not None and action.palette.applies(state)
    ]
    return sorted(offered, key=lambda pair: pair[1].order)
