"""`rdstrail` with no command: the explorer."""

from __future__ import annotations

import argparse

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import cache_path


def open_explorer(args: argparse.Namespace) -> int:
    path = cache_path(args)
    with Cache.open(path):
        pass  # create or migrate before the UI starts, so errors are plain lines
    # Lazy: only the explorer loads textual; every other command starts without it.
    from rdstrail_tui.tui.app import run_explorer

    return run_explorer(path, demo=bool(getattr(args, "demo", False)))
