"""`rdstrail` with no command: the explorer."""

from __future__ import annotations

import argparse
import os
import sys

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_BAD_INPUT, UsageError, cache_path, err, open_cache
from rdstrail_tui.model.resources import arn_of
from rdstrail_tui.present.sanitize import printable
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
    """The id of the one resource `name` names, or None after saying on stderr why not
    (nothing matches; several do, listed, with `rdstrail history` to tell them apart)."""
    # Lazy: a history reads the RDS model, which no other start of the explorer needs.
    from rdstrail_tui.present.history import resource_label
    from rdstrail_tui.query.history import find_resources

    found = find_resources(cache, name)
    shown = printable(name)
    if not found:
        err(
            f"no resource {shown} in {cache.path}: check the name (rdstrail resources "
            "lists them), or load or sync the events that name it"
        )
        return None
    if len(found) > 1:
        err(f"{shown} names {len(found)} resources; give its ARN to pick one:")
        for _, resource in found:
            err(f"  {resource_label(resource)}  {printable(arn_of(resource) or '')}")
        return None
    return found[0][0]


def missing_terminal() -> str | None:
    """Which of stdout and stdin is not a terminal, if one is not. Textual would write its
    escape codes into a pipe or file, and with stdin not a terminal it has no keys to read
    (not even q), so both must be one."""
    if not sys.stdout.isatty():
        return "stdout"
    if not sys.stdin.isatty():
        return "stdin"
    return None
