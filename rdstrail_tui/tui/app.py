"""The explorer app. For now a placeholder screen over the cache: the explorer proper (event
list, filter box, JSON detail, diff) is the next piece of work."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Header, Static

from rdstrail_tui.cache import Cache
from rdstrail_tui.sanitize import printable


def summary_text(path: Path) -> str:
    with Cache.open(path) as cache:
        total = cache.count()
    return (
        f"{total:,} events in {printable(str(path))}\n\n"
        "The explorer (event list, filter, JSON detail, diff) is not built yet.\n"
        "Meanwhile, from a shell:\n"
        "  rdstrail query modify -is:error\n"
        "  rdstrail stats since:7d\n"
        "  rdstrail cache info\n\n"
        "Press q to quit."
    )


class RdstrailApp(App[int]):
    TITLE = "rdstrail"
    CSS = "Static#summary { padding: 1 2; }"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("q", "quit", "Quit")]
    # Over SSH every animation frame costs bandwidth.
    ANIMATION_LEVEL = "none"

    def __init__(self, cache_path: Path, demo: bool = False) -> None:
        super().__init__()
        self.cache_path = cache_path
        self.sub_title = "demo trail" if demo else str(cache_path)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            # markup=False: the path (and later event text) is shown as written.
            yield Static(summary_text(self.cache_path), id="summary", markup=False)
        yield Footer()


def run_explorer(cache_path: Path, demo: bool = False) -> int:
    app = RdstrailApp(cache_path, demo=demo)
    app.run()
    return app.return_code or 0
