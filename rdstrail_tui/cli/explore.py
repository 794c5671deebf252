"""`rdstrail` with no command: the explorer."""

from __future__ import annotations

import argparse
import os
import sys

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_BAD_INPUT, UsageError, cache_path, open_cache
from rdstrail_tui.sources.config import load_explorer_settings


def open_explorer(args: argparse.Namespace) -> int:
    # Before the cache is touched: a refusal leaves nothing behind.
    missing = missing_terminal()
    if missing:
        raise UsageError(
            f"the explorer needs a terminal; {missing} is not one (try rdstrail query)"
        )
    # --mouse / --no-mouse, else the config file's [explorer] mouse, else off.
    mouse: bool | None = args.mouse
    if mouse is None:
        mouse = load_explorer_settings().mouse
    path = cache_path(args)
    resource_id: int | None = None
    with open_cache(path) as cache:
        # Create or migrate before the UI starts, so errors are plain lines; and find the
        # resource --resource names, or say why not, before any screen is drawn.
        if getattr(args, "resource", None):
            found = resolve_resource(cache, args.resource)
            if found is None:
                return EXIT_BAD_INPUT
            resource_id = found
    # Textual falls back to 24-bit colour when it detects no colour system, which a dumb
    # terminal would print as garbage: 16 colours there, unless the user chose otherwise.
    if os.environ.get("TERM", "") in ("", "dumb", "unknown"):
        os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", "standard")
    # Lazy: only the explorer loads textual; every other command starts without it.
    from rdstrail_tui.tui.app import run_explorer

    return run_explorer(
        path, demo=bool(getattr(args, "demo", False)), mouse=mouse, resource_id=resource_id
    )


def resolve_resource(cache: Cache, name: str) -> int | None:
    """The id of the one resource `name` names, or None after saying on stderr why not;
    several are listed by their ARNs, which --resource takes."""
    # Lazy: a history reads the RDS model, which no other start of the explorer needs.
    from rdstrail_tui.cli.history import one_resource, picked_by_arn

    return one_resource(cache, name, pick=picked_by_arn)


def missing_terminal() -> str | None:
    """Which of stdout and stdin is not a terminal, if one is not. Textual would write its
    escape codes into a pipe or file, and with stdin not a terminal it has no keys to read
    (not even q), so both must be one."""
    if not sys.stdout.isatty():
        return "stdout"
    if not sys.stdin.isatty():
        return "stdin"
    return None
