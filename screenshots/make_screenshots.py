"""Regenerate the README's SVG screenshots from the bundled demo trail.

    python screenshots/make_screenshots.py

The explorer runs headless (App.run_test) at a fixed terminal size, keys are sent as a user
would type them, and each view is written next to this file. The demo cache and the filter
history live in a temporary directory: the user's cache, history and settings are never
touched.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WIDE = (160, 48)
COMPACT = (80, 24)
MODIFY = ["slash", *"modify", "enter"]
OPEN_SECOND = ["down", "enter"]
# The risky calls, and the one that made a snapshot public (the 12th newest of them).
RISKY = ["slash", *"is:risky", "enter"]
OPEN_PUBLIC = [*["down"] * 11, "enter", "d"]


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    keys: tuple[str, ...] = ()


SHOTS = [
    Shot("list.svg", WIDE),
    Shot("filtered.svg", WIDE, (*MODIFY,)),
    Shot("json-detail.svg", WIDE, (*MODIFY, *OPEN_SECOND)),
    Shot("diff.svg", WIDE, (*MODIFY, *OPEN_SECOND, "d")),
    Shot("help.svg", WIDE, ("question_mark",)),
    Shot("compact-80x24.svg", COMPACT),
    Shot("compact-detail-80x24.svg", COMPACT, (*MODIFY, *OPEN_SECOND, "d")),
    Shot("risky.svg", WIDE, (*RISKY, *OPEN_PUBLIC)),
    Shot("field-help-80x24.svg", COMPACT, (*RISKY, *OPEN_PUBLIC, "down", "down", "i")),
    Shot("resources.svg", WIDE, ("R",)),
    Shot("history.svg", WIDE, ("R", "down", "down", "down", "enter")),
    Shot("history-80x24.svg", COMPACT, ("R", "down", "down", "down", "enter")),
]


def isolate(tmp: Path) -> None:
    """Point every place rdstrail reads or writes at `tmp`; before rdstrail is imported."""
    for name in ("cache", "data", "config"):
        (tmp / name).mkdir()
    os.environ["RDSTRAIL_CACHE"] = str(tmp / "cache" / "events.db")
    os.environ["RDSTRAIL_HISTORY"] = str(tmp / "data" / "filter-history")
    os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")
    os.environ["XDG_DATA_HOME"] = str(tmp / "data")
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    os.environ.pop("TEXTUAL_ANIMATIONS", None)


async def shoot(shot: Shot, tmp: Path) -> str:
    from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
    from rdstrail_tui.tui.app import RdstrailApp
    from rdstrail_tui.tui.filter_history import FilterHistory
    from rdstrail_tui.tui.widgets.filter_box import FilterBox

    history = FilterHistory(tmp / "data" / f"history-{shot.name}")
    app = RdstrailApp(ensure_demo_cache(), demo=True, history=history)
    async with app.run_test(size=shot.size) as pilot:
        # The index is built by a worker after mount; the shot shows the app once it is in.
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.main_screen.query_one(FilterBox).cursor_blink = False
        await pilot.press(*shot.keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()
        return app.export_screenshot(simplify=True)


async def shoot_all(tmp: Path) -> None:
    for shot in SHOTS:
        svg = await shoot(shot, tmp)
        (HERE / shot.name).write_text(svg, encoding="utf-8")
        print(f"wrote {(HERE / shot.name).relative_to(REPO)}")


def main() -> int:
    sys.path.insert(0, str(REPO))  # run from a clone without installing
    with tempfile.TemporaryDirectory(prefix="rdstrail-screenshots-") as tmp:
        isolate(Path(tmp))
        asyncio.run(shoot_all(Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
