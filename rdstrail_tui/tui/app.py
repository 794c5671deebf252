"""The explorer app: opens the cache, shows the main screen (or the welcome screen over an
empty cache), and holds what is app-wide: help, the command palette, switching to the demo,
and reading an Escape that arrived glued to the next key."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.tui.actions import ExplorerState, palette_actions
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.messages import CacheChanged
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.welcome import WelcomeScreen
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.filter_box import FilterBox
from rdstrail_tui.tui.widgets.json_view import JsonView

ALT = "alt+"


def split_escape(event: events.Key) -> tuple[events.Key, events.Key] | None:
    """An `alt+KEY` as the Escape and the KEY it stands for, or None for any other key.

    Textual's input parser reads ESC followed by a letter or digit *in the same read* as
    `alt+` that key (the terminal's Meta prefix). A slow SSH link often delivers an Escape
    and the key typed after it in one packet, so `Escape j` arrives as `alt+j`. The
    explorer binds no Alt key, so an `alt+KEY` is taken as what it most likely was."""
    if not event.key.startswith(ALT):
        return None
    key = event.key[len(ALT) :]
    character = event.character
    # "alt+shift+k": the parser's name for ESC K; the key itself is named "K".
    if key.startswith("shift+") and len(key) == len("shift+") + 1:
        key = key[-1].upper()
    if character is None and len(key) == 1:
        character = key
    return events.Key("escape", "\x1b"), events.Key(key, character)


class RdstrailApp(App[int]):
    TITLE = "rdstrail"
    CSS_PATH = "app.tcss"

    def __init__(
        self,
        cache_path: Path,
        *,
        demo: bool = False,
        history: FilterHistory | None = None,
        resource_id: int | None = None,
    ) -> None:
        super().__init__()
        self.cache_path = cache_path
        self.demo = demo
        # `rdstrail --resource NAME`: the history to open over the list at start.
        self.resource_id = resource_id
        self.history = history or FilterHistory()
        self.cache: Cache | None = None
        # When the last key came (time.monotonic()): background work waits for a pause.
        self.last_key_at = 0.0
        # Work for once the first frame is on the terminal (see after_first_frame).
        self._first_frame_shown = False
        self._after_first_frame: list[Callable[[], None]] = []
        # Over SSH every animation frame costs bandwidth: none unless the user asks.
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"

    @property
    def source_label(self) -> str:
        return "demo trail" if self.demo else printable(str(self.cache_path))

    def on_mount(self) -> None:
        self._open(self.cache_path)

    def after_first_frame(self, callback: Callable[[], None]) -> None:
        """Run `callback` once the first frame has been written. The start (compose, mount,
        the first screen's layout) runs inside Textual's startup batch, where frames are
        not written; a callback asked for after that refresh ran before any frame reached
        the terminal, and the opening of the index (0.1-0.2 s) held the first screen back
        by as much. Textual posts Ready when the batch is over."""
        if self._first_frame_shown:
            self.call_after_refresh(callback)
        else:
            self._after_first_frame.append(callback)

    def on_ready(self) -> None:
        self._first_frame_shown = True
        waiting, self._after_first_frame = self._after_first_frame, []
        for callback in waiting:
            self.call_after_refresh(callback)

    async def on_event(self, event: events.Event) -> None:
        # Here, before Textual looks up the key's bindings and routes it to the focused
        # widget: the Escape must act first (its bindings move the focus at once), then the
        # key goes where the Escape left the focus. An alt key some binding uses is left as
        # it is (the explorer binds none; Textual's Input binds alt+backspace).
        if isinstance(event, events.Key) and not event.is_forwarded:
            self.last_key_at = time.monotonic()
            split = split_escape(event)
            if split is not None and event.key not in self.screen.active_bindings:
                for key in split:
                    key.set_sender(self)  # as the driver sends keys
                    await super().on_event(key)
                return
        await super().on_event(event)

    def _open(self, path: Path) -> None:
        if self.cache is not None:
            self.cache.close()
        self.cache = Cache.open(path)
        screen = MainScreen(self.cache, self.source_label, self.history)
        if self.screen_stack and isinstance(self.screen, MainScreen):
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        if screen.total == 0:
            self.push_screen(WelcomeScreen(self.source_label), self._welcome_done)
        elif self.resource_id is not None:
            screen.open_history_of(self.resource_id)
            self.resource_id = None

    def _welcome_done(self, choice: str | None) -> None:
        if choice == "load":
            self.main_screen.action_load()
        elif choice == "demo":
            self.action_open_demo()

    @property
    def main_screen(self) -> MainScreen:
        for screen in reversed(self.screen_stack):
            if isinstance(screen, MainScreen):
                return screen
        raise LookupError("no main screen")

    def on_cache_changed(self, _: CacheChanged) -> None:
        if isinstance(self.screen, WelcomeScreen) and self.main_screen.total > 0:
            self.screen.dismiss(None)

    def action_open_demo(self) -> None:
        # Lazy: the demo package loads only when the demo is asked for.
        from rdstrail_tui.demo.shipped_cache import ensure_demo_cache

        self.demo = True
        self.cache_path = ensure_demo_cache()
        while isinstance(self.screen, WelcomeScreen):
            self.pop_screen()
        self._open(self.cache_path)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_demo" and self.screen_stack:
            # The key D (the palette asks nothing): only over an empty cache, as the
            # empty list says, so that a stray D never swaps the user's cache for the demo.
            try:
                return not self.demo and self.main_screen.total == 0
            except LookupError:
                return False
        return super().check_action(action, parameters)

    def action_help(self) -> None:
        # Lazy, as the screens opened from the list: the first paint waits for every module
        # imported before it (the help reads the diff's legend and the filter language).
        from rdstrail_tui.tui.screens.help import HelpScreen, help_text
        from rdstrail_tui.tui.screens.history import HistoryScreen
        from rdstrail_tui.tui.screens.resources import ResourcesScreen

        sections = [
            ("Anywhere", MainScreen.BINDINGS),
            ("Event list", EventList.BINDINGS),
            ("Filter box (typing filters the list as you type)", FilterBox.BINDINGS),
            ("JSON detail", JsonView.BINDINGS),
            ("Diff", DiffView.BINDINGS),
            ("Resource history (h)", HistoryScreen.BINDINGS),
            ("Resources (R)", ResourcesScreen.BINDINGS),
        ]
        self.push_screen(HelpScreen(help_text(sections, self)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        state = ExplorerState(
            demo=self.demo,
            job_running=bool(main.load_path),
            export_running=main.export_running,
        )
        for action, entry in palette_actions(state):
            # The key as the Footer and the help show it.
            key = self.get_key_display(action.binding()) if action.key else None
            target: object = self if action.on_app else main
            yield SystemCommand(entry.title, entry.help_line(key), getattr(target, action.method))

    # Screenshots are owner-only files in the current directory, and the notification says
    # where (Textual's own go to ~/Downloads with the umask's permissions).
    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        from rdstrail_tui.tui import screenshot  # lazy, as the help

        screenshot.deliver_screenshot(self, filename, path)
        return None  # nothing is delivered through the driver: no delivery key

    def save_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str:
        from rdstrail_tui.tui import screenshot  # lazy, as the help

        return str(screenshot.save_screenshot(self, filename, path))

    def on_unmount(self) -> None:
        if self.cache is not None:
            self.cache.close()


def run_explorer(
    cache_path: Path, demo: bool = False, mouse: bool = False, resource_id: int | None = None
) -> int:
    """Run the explorer until it quits; its exit code.

    The mouse is off unless asked for (`--mouse`): with it on, Textual's driver turns on
    the terminal's any-motion mouse tracking together with clicks (modes 1000 and 1003), so
    the terminal's own selection needs Shift, and every mouse move over the window sends
    bytes, which a slow SSH link feels. With `mouse=False` the driver sends none of the
    mouse-tracking sequences at all (LinuxDriver._enable_mouse_support returns early)."""
    app = RdstrailApp(cache_path, demo=demo, resource_id=resource_id)
    # Everything imported so far (Textual, the modules, their tables) lives as long as the
    # process: out of the collector's sight, a full collection during the first screens
    # has only the app's own objects to walk. Measured in tmux at 160x48, a collection that
    # walked them all cost the first card 40 ms in one start of two (bench/startup.py).
    gc.freeze()
    app.run(mouse=mouse)
    return app.return_code or 0
