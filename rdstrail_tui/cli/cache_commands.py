"""`rdstrail cache info` and `rdstrail cache clear`."""

from __future__ import annotations

import argparse
import sys

from rdstrail_tui.cli.common import EXIT_OK, UsageError, cache_path, open_cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.sources.sync import counted


def cache_info(args: argparse.Namespace) -> int:
    path = cache_path(args)
    if not path.exists():
        print(f"path     {printable(str(path))}\nevents   0 (no cache yet: rdstrail load PATH)")
        return EXIT_OK
    with open_cache(path) as cache:
        info = cache.info()
    span = (
        f"{format_time(info.first_time)} to {format_time(info.last_time)} UTC"
        if info.events
        else "-"
    )
    lines = [
        f"path     {printable(str(info.path))}",
        f"size     {_human_size(info.size_bytes)}",
        f"events   {info.events:,}",
        f"span     {span}",
    ]
    if not info.sources:
        lines.append("sources  none")
    for index, source in enumerate(info.sources):
        label = "sources  " if index == 0 else "         "
        lines.append(
            f"{label}{printable(source.source)}  ({counted(source.events_added, 'event')} added, "
            f"last {format_time(source.last_loaded)} UTC)"
        )
    print("\n".join(lines))
    return EXIT_OK


def _human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def cache_clear(args: argparse.Namespace) -> int:
    path = cache_path(args)
    if not path.exists():
        print(printable(f"nothing to clear: no cache at {path}"))
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"cache clear: add --yes to clear {path} without a prompt")
        answer = input(printable(f"Remove every event cached in {path}? [y/N] "))
        if answer.strip().lower() not in ("y", "yes"):
            print("kept the cache as it was")
            return EXIT_OK
    with open_cache(path) as cache:
        removed = cache.clear()
    # The explorer's index of those events, beside the cache (lazy: numpy).
    from rdstrail_tui.query.index_store import remove

    remove(path)
    print(printable(f"cleared {counted(removed, 'event')} from {path}"))
    return EXIT_OK
