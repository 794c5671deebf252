"""What every command shares: exit statuses, usage errors, one-line messages, the cache."""

from __future__ import annotations

import argparse
import importlib
import sys
import threading
from pathlib import Path

from rdstrail_tui.cache.paths import default_cache_path
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.present.sanitize import printable

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # some inputs were bad, or the cache cannot be used
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit 2)."""


def err(message: str) -> None:
    print(f"rdstrail: {printable(message)}", file=sys.stderr)


def cache_path(args: argparse.Namespace) -> Path:
    if getattr(args, "demo", False):
        # Lazy: the demo's loader (the trail reader, its workers) is not on every start.
        from rdstrail_tui.demo.shipped_cache import ensure_demo_cache

        return ensure_demo_cache()
    path: Path | None = getattr(args, "cache", None)
    return path or default_cache_path()


def open_cache(path: Path, *, create: bool = True) -> Cache:
    """Cache.open, saying on stderr how an upgrade of an older cache goes (computing the
    new per-event fields of a large cache takes a while, once)."""
    return Cache.open(path, create=create, progress=_MigrationProgress(path))


def prepare_index_upkeep() -> None:
    """Import what keep_index needs (numpy, the index) in a thread while a load or a sync
    runs, so that its end costs only the index's own work (the import is a tenth of a
    second, a twentieth of loading a 400,000-event trail)."""
    threading.Thread(
        target=importlib.import_module,
        args=("rdstrail_tui.query.index_store",),
        name="rdstrail-index-import",
        # Not a daemon: an early exit waits the tenth of a second for it rather than
        # tearing an import down mid-way.
        daemon=False,
    ).start()


def keep_index(cache: Cache) -> None:
    """After a load or a sync: the explorer's index beside the cache brought up to date, so
    that its next start reads no rows; a failure to write it is a warning."""
    # Lazy: numpy, which only this and the explorer need (a query loads none).
    from rdstrail_tui.query.index_store import kept_up

    reason = kept_up(cache)
    if reason is not None:
        print(
            printable(
                f"rdstrail: the explorer's index beside {cache.path} was not updated "
                f"({reason}): the explorer will build it when it opens"
            ),
            file=sys.stderr,
        )


class _MigrationProgress:
    """One line on stderr: rewritten in place on a terminal, written once when done
    otherwise (a log gets no carriage returns)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._live = sys.stderr.isatty()

    def __call__(self, what: str, done: int, total: int) -> None:
        line = f"rdstrail: upgrading {printable(str(self._path))}: {what}, {done:,} of {total:,}"
        if self._live:
            print(f"\r{line}", end="\n" if done >= total else "", file=sys.stderr, flush=True)
        elif done >= total:
            print(line, file=sys.stderr)
