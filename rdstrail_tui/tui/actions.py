"""The explorer's app-level actions, each listed once in `ACTIONS`.

The main screen's key bindings are made from this table, and so, through them, are the
Footer and the help's "Anywhere" section; the command palette's entries are made from it
too. A key, a Footer label or a palette entry is changed here and nowhere else.

The Footer shows, of the keys that work where the focus is, those that matter there: each
action names the focus zones it is shown in (`zones`), and `footer_bindings` applies that
to what Textual offers the Footer. At 80 columns every zone's labels fit in one line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from textual.binding import ActiveBinding, Binding, BindingType

# Where the focus is on the main screen: the event list, the filter box, or the detail
# (JSON or diff).
Zone = Literal["list", "filter", "detail"]
LIST: Zone = "list"
FILTER: Zone = "filter"
DETAIL: Zone = "detail"
ALL_ZONES: tuple[Zone, ...] = (LIST, FILTER, DETAIL)


@dataclass(frozen=True)
class ExplorerState:
    """What decides whether a palette entry is offered."""

    demo: bool  # the bundled demo trail is open
    job_running: bool  # a load or a sync runs
    export_running: bool = False


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
    zones: tuple[Zone, ...] = ALL_ZONES  # where the Footer shows it (when it is enabled)
    key_display: str | None = None  # the key as the Footer and the help show it
    help: str = ""  # the help's line for it, when the label is too short to say it

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
            key_display=self.key_display,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


# In the order of the bindings, which is the order of the Footer and of the help.
ACTIONS: tuple[ExplorerAction, ...] = (
    # Priority: Textual routes each key to the widget focused when the key is dequeued, so
    # keys that move focus must act at once or the rest of a burst (a paste, or `/modify`
    # arriving in one packet over SSH) goes to the widget they left. Each of these stands
    # aside (SkipAction, or check_action) where it does not apply.
    ExplorerAction(
        "focus_filter",
        "slash",
        "Filter",
        id="filter",
        priority=True,
        zones=(LIST,),
        help="focus the filter box (from the list or the detail)",
        palette=PaletteEntry("Filter", "Focus the filter box", order=1),
    ),
    # Escape goes back one level, and the Footer says what that is where the focus is: the
    # detail goes back to the list, the list drops its filter (and Escape does nothing on a
    # list without one). The filter box's own Escape (cancel the edit) is in FilterBox.
    # (The key as a parameter: where the focused view uses the key itself, e.g. the diff's
    # Escape closing an opened value, back stands aside.)
    ExplorerAction(
        "back('escape')",
        "escape",
        "Back",
        id="back",
        key_display="Esc",
        priority=True,
        zones=(DETAIL,),
        help="from the detail, back to the list",
    ),
    ExplorerAction(
        "clear_filter",
        "escape",
        "Clear filter",
        id="clear-filter",
        key_display="Esc",
        priority=True,
        zones=(LIST,),
        help="on the list, clear the filter",
    ),
    # Shift: `[` and `]` would read as the start of an escape sequence after an Escape.
    # Priority, as they act only in the detail: a J before an Escape in the same burst
    # steps before the Escape leaves the detail.
    ExplorerAction(
        "step(-1)",
        "K",
        "Prev/Next",
        id="previous-event",
        key_display="K/J",
        priority=True,
        zones=(DETAIL,),
        help="in the detail, the previous / next event of the list",
    ),
    ExplorerAction("step(1)", "J", id="next-event", show=False, priority=True),
    ExplorerAction(
        "quick('name')",
        "n",
        "+Name",
        id="quick-name",
        show=False,
        help="filter by the row's exact eventName (name:=)",
    ),
    ExplorerAction(
        "quick('user')",
        "u",
        "+User",
        id="quick-user",
        show=False,
        help="filter by the row's exact principal (user:=)",
    ),
    ExplorerAction(
        "quick('res')",
        "r",
        "+Resource",
        id="quick-resource",
        show=False,
        help="filter by the row's exact resource (res:=), in place of another res:",
    ),
    ExplorerAction(
        "toggle_errors",
        "e",
        "Errors only",
        id="quick-errors",
        show=False,
        help="only failed calls, or back to no error filter (is:error)",
        palette=PaletteEntry("Show only errors", "Toggle is:error in the filter", order=7),
    ),
    # In the detail's Footer as "Diff" or "JSON", what d switches to (MainScreen).
    ExplorerAction(
        "toggle_diff",
        "d",
        "JSON/Diff",
        id="toggle-diff",
        zones=(DETAIL,),
        palette=PaletteEntry("JSON / Diff", "Switch the detail between JSON and Diff", order=5),
    ),
    ExplorerAction(
        "copy_json",
        "y",
        "Copy",
        id="copy-json",
        zones=(DETAIL,),
        palette=PaletteEntry(
            "Copy event JSON",
            "Send the event's JSON to the clipboard (OSC 52), or write it to a file",
            order=6,
        ),
    ),
    # The RDS model's documentation of the key under the detail's cursor, in a panel
    # (screens/field_help.py, FieldHelpHandling); `?` stays the app's help.
    ExplorerAction(
        "field_help",
        "i",
        "Info",
        id="field-help",
        zones=(DETAIL,),
        help="in the diff or the JSON, the RDS API's documentation of the key under the cursor",
    ),
    # The resource history (screens/history.py) and the resources screen: out of the
    # Footer at 80 columns, in the help and the palette.
    ExplorerAction(
        "history",
        "h",
        "History",
        id="history",
        show=False,
        help="the history of the resource the event is about: timeline and configuration",
        palette=PaletteEntry(
            "Resource history",
            "Timeline and configuration over time of the event's resource",
            order=2,
        ),
    ),
    ExplorerAction(
        "resources",
        "R",
        "Resources",
        id="resources",
        show=False,
        help="every RDS resource in the cache; Enter opens one's history",
        palette=PaletteEntry("Resources", "Every RDS resource in the cache", order=2),
    ),
    ExplorerAction(
        "mark",
        "m",
        "Mark",
        id="mark",
        show=False,
        help="mark the event under the cursor, to compare another with it (c)",
        palette=PaletteEntry("Mark event", "Mark this event to compare another with it", order=5),
    ),
    ExplorerAction(
        "compare",
        "c",
        "Compare",
        id="compare",
        show=False,
        help="compare the marked event with the one under the cursor, key by key",
        palette=PaletteEntry(
            "Compare with the marked event",
            "Request and response of two events side by side",
            order=5,
        ),
    ),
    # Out of the Footer at 80 columns (it would cut the list's): the help and the palette
    # name it.
    ExplorerAction(
        "export",
        "w",
        "Export",
        id="export",
        show=False,
        help="write the events the filter keeps to a file (CSV, JSON Lines, JSON)",
        palette=PaletteEntry(
            "Export events", "Write the filter's events to a CSV, JSON Lines or JSON file", order=6
        ),
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
            "Sync from AWS", "LookupEvents, an S3 trail, Athena or Lake into the cache", order=3
        ),
    ),
    # Out of the Footer too: while a job runs its panel says "(x: cancel)".
    ExplorerAction(
        "cancel_load",
        "x",
        "Cancel load",
        id="cancel-load",
        show=False,
        palette=PaletteEntry(
            "Cancel load",
            "Stop the running load",
            order=4,
            applies=lambda state: state.job_running,
        ),
    ),
    # x again: check_action enables it only while an export runs (after cancel_load, so
    # with a load and an export running x stops the load first).
    ExplorerAction(
        "cancel_export",
        "x",
        "Cancel export",
        id="cancel-export",
        show=False,
        palette=PaletteEntry(
            "Cancel export",
            "Stop the running export (its file is removed)",
            order=4,
            applies=lambda state: state.export_running,
        ),
    ),
    ExplorerAction(
        "app.help",
        "question_mark",
        "Help",
        id="help",
        palette=PaletteEntry("Help", "Every key and the filter language", order=8),
    ),
    # The palette has Textual's own Quit. Asks first while a load or a sync runs.
    ExplorerAction("quit", "q", "Quit", id="quit", zones=(LIST,), help="on the list, quit"),
    # q in the detail goes back as Escape does: only q on the list quits. Priority as
    # Escape's (the key after it in a burst goes to the list).
    ExplorerAction(
        "back('q')",
        "q",
        "Back",
        id="back-q",
        show=False,
        priority=True,
        help="in the detail, back to the list as Escape does",
    ),
    # D only over an empty cache (as the empty list says): a stray D must not swap the
    # user's cache for the demo.
    ExplorerAction(
        "app.open_demo",
        "D",
        "Demo",
        id="open-demo",
        show=False,
        help="over an empty cache, open the bundled demo trail",
        palette=PaletteEntry(
            "Open the demo trail",
            "Explore the bundled demo instead",
            order=9,
            applies=lambda state: not state.demo,
        ),
    ),
)

# Widgets' keys (by binding id) that the main screen's Footer has no room for at 80
# columns; the help lists them.
FOOTER_HIDDEN = frozenset({"fold-all", "unfold-all"})

_FOOTER_ZONES: dict[str, tuple[Zone, ...]] = {
    action.id: action.zones for action in ACTIONS if action.id is not None
}


def footer_bindings(
    active: Mapping[str, ActiveBinding],
    zone: Zone,
    labels: Mapping[str, str],
    first: Sequence[str] = (),
    hidden: Collection[str] = (),
    shown: Collection[str] = (),
) -> dict[str, ActiveBinding]:
    """What the Footer shows of `active` (Screen.active_bindings) when the focus is in
    `zone`: the actions of this table outside their zones are hidden (and the widgets' keys
    of FOOTER_HIDDEN everywhere), `labels` (by binding
    id) replaces a label that depends on the state (e.g. what `d` switches to), and the
    keys in `first` lead, in that order (Textual orders a widget's keys by its base
    classes'), the ids in `hidden` are left out as well and those in `shown` are shown in
    any zone. Only the display changes: which key does what is the bindings' business."""
    ordered = [key for key in first if key in active]
    ordered += [key for key in active if key not in ordered]
    footer: dict[str, ActiveBinding] = {}
    for key in ordered:
        entry = active[key]
        binding = entry.binding
        zones = _FOOTER_ZONES.get(binding.id or "")
        out_of_zone = zones is not None and zone not in zones and binding.id not in shown
        if out_of_zone or binding.id in FOOTER_HIDDEN or binding.id in hidden:
            binding = replace(binding, show=False)
        label = labels.get(binding.id or "")
        if label is not None:
            binding = replace(binding, description=label)
        footer[key] = entry._replace(binding=binding)
    return footer


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
