"""The `rdstrail` command: dispatch to one module per command, and turning failures into
one-line errors.

Exit status: 0 success; 1 when some inputs were bad or the cache cannot be used; 2 for usage
errors; 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
)
from rdstrail_tui.cli.parser import build_parser, command_first, filter_text, split_filter_arguments
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.language import FilterError
from rdstrail_tui.sources.config import ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        return _main(arguments)
    except KeyboardInterrupt:
        print("rdstrail: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (head, less) has gone; nothing more to say. Point stdout at devnull so
        # the interpreter's own flush at exit does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except Exception as error:  # the last line of defence: one line, never a traceback
        if os.environ.get("RDSTRAIL_DEBUG"):
            raise
        message = printable(f"{type(error).__name__}: {error}")
        print(
            f"rdstrail: unexpected error: {message} (set RDSTRAIL_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT


def _explore(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import explore

    return explore.open_explorer(args)


def _load(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import load

    return load.load(args)


def _query(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import query

    return query.query(args)


def _stats(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import stats

    return stats.stats(args)


def _show(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import show

    return show.show(args)


def _compare(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import compare

    return compare.compare(args)


def _history(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import history

    return history.history(args)


def _resources(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import history

    return history.resources(args)


def _athena(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import athena

    return athena.run(args)


def _sync(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import sync

    return sync.sync(args)


def _cache(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import cache_commands

    if args.cache_command == "info":
        return cache_commands.cache_info(args)
    return cache_commands.cache_clear(args)


# Each command's module is imported only when that command runs: every start (the
# explorer's first paint, `rdstrail --version`) waits for whatever is imported before it,
# and one command's modules (the loader's workers, the diff, the RDS model, the AWS
# sources) are nothing to the others.
_COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: _explore,
    "load": _load,
    "query": _query,
    "stats": _stats,
    "show": _show,
    "compare": _compare,
    "history": _history,
    "resources": _resources,
    "athena": _athena,
    "sync": _sync,
    "cache": _cache,
}


def _main(argv: list[str]) -> int:
    options, terms = split_filter_arguments(command_first(argv))
    parser = build_parser()
    args = parser.parse_args(options)
    args.filter = filter_text(terms)
    try:
        return _COMMANDS[args.command](args)
    except FilterError as error:
        print(f"rdstrail: bad filter: {printable(str(error))}", file=sys.stderr)
        for line in error.pointer(args.filter).splitlines():
            print(printable(line), file=sys.stderr)
        return EXIT_USAGE
    except UsageError as error:
        print(f"rdstrail: {printable(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    except (CacheError, ConfigError) as error:
        print(f"rdstrail: {printable(str(error))}", file=sys.stderr)
        return EXIT_BAD_INPUT
