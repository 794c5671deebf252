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
from rdstrail_tui.cli import cache_commands, explore, load, query, stats
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


def _show(args: argparse.Namespace) -> int:
    # Lazy: the diff and the card it renders are not worth loading for every other
    # command (rdstrail --version among them).
    from rdstrail_tui.cli import show

    return show.show(args)


def _compare(args: argparse.Namespace) -> int:
    # Lazy, as show: the comparison reads the RDS model and the diff's helpers.
    from rdstrail_tui.cli import compare

    return compare.compare(args)


def _history(args: argparse.Namespace) -> int:
    # Lazy, as show: a history reads the RDS model for the configuration over time.
    from rdstrail_tui.cli import history

    return history.history(args)


def _athena(args: argparse.Namespace) -> int:
    # Lazy: the DDL's text is small, but --create pulls in boto3.
    from rdstrail_tui.cli import athena

    return athena.run(args)


def _resources(args: argparse.Namespace) -> int:
    from rdstrail_tui.cli import history

    return history.resources(args)


# Commands whose module is imported only when the command runs.
_LAZY_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "show": _show,
    "compare": _compare,
    "history": _history,
    "resources": _resources,
    "athena": _athena,
}


def _main(argv: list[str]) -> int:
    options, terms = split_filter_arguments(command_first(argv))
    parser = build_parser()
    args = parser.parse_args(options)
    args.filter = filter_text(terms)
    try:
        if args.command is None:
            return explore.open_explorer(args)
        if args.command == "load":
            return load.load(args)
        if args.command == "query":
            return query.query(args)
        if args.command == "stats":
            return stats.stats(args)
        lazy = _LAZY_COMMANDS.get(args.command)
        if lazy is not None:
            return lazy(args)
        if args.command == "sync":
            # Lazy: the sync command reads saved sources and pulls in the AWS sources.
            from rdstrail_tui.cli import sync

            return sync.sync(args)
        if args.cache_command == "info":
            return cache_commands.cache_info(args)
        return cache_commands.cache_clear(args)
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
