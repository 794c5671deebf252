"""The explorer app: opens the cache, shows the main screen (or the welcome screen over an
empty cache), and holds what is app-wide: help, the command palette, switching to the demo."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.tui.actions import ExplorerState, palette_actions
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.messages import CacheChanged
from rdstrail_tui.tui.screens.help import HelpScreen, help_text
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.welcome import WelcomeScreen
from rdstrail_tui.tui.widgets.diff_view import DiffView
from rdstrail_tui.tui.widgets.event_list import EventList
from rdstrail_tui.tui.widgets.json_view import JsonView


class RdstrailApp(App[int]):
    TITLE = "rdstrail"
    CSS_PATH = "app.tcss"

    def __init__(
        self, cache_path: Path, *, demo: bool = False, history: FilterHistory | None = None
    ) -> None:
        super().__init__()
        self.cache_path = cache_path
        self.demo = demo
        self.history = history or FilterHistory()
        self.cache: Cache | None = None
        # Over SSH every animation frame costs bandwidth: none unless the user asks.
        if "TEXTUAL_ANIMATIONS" not in os.environ:
            self.animation_level = "none"

    @property
    def source_label(self) -> str:
        return "demo trail" if self.demo else printable(str(self.cache_path))

    def on_mount(self) -> None:
        self._open(self.cache_path)

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

    def action_help(self) -> None:
        sections = [
            ("Anywhere", MainScreen.BINDINGS),
            ("Event list", EventList.BINDINGS),
            ("JSON detail", JsonView.BINDINGS),
            ("Diff", DiffView.BINDINGS),
        ]
        self.push_screen(HelpScreen(help_text(sections, self)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main_screen
        state = ExplorerState(demo=self.demo, job_running=bool(main.load_path))
        for action, entry in palette_actions(state):
            # The key as the Footer and the help show it.
            key = self.get_key_display(action.binding()) if action.key else None
            target: object = self if action.on_app else main
            yield SystemCommand(entry.title, entry.help_line(key), getattr(target, action.method))

    def on_unmount(self) -> None:
        if self.cache is not None:
            self.cache.close()


def run_explorer(cache_path: Path, demo: bool = False) -> int:
    app = RdstrailApp(cache_path, demo=demo)
    app.run()
    return app.return_code or 0
