"""`rdstrail query`: the matching events as a table, JSON Lines, JSON or CSV.

No match is said on stderr (`no events match: FILTER`), exit 0. Stdout then stays empty for
a table and JSON Lines, and holds what keeps the format valid for the others: `[]` for JSON,
the header row for CSV (so a script's `> out.csv` still has its columns).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Iterable, Iterator
from itertools import chain

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_OK, UsageError, cache_path, err, open_cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.writers import write_csv_bytes, write_json, write_jsonl, write_table
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of

# A table on a terminal stops here unless --limit says otherwise: nobody reads further.
TABLE_TERMINAL_LIMIT = 1000
# Formats whose writers read the original record (CSV: requestParameters and friends).
_WITH_RAW = ("json", "jsonl", "csv")


def query(args: argparse.Namespace) -> int:
    if args.bom and args.format != "csv":
        raise UsageError("query: --bom applies to --format csv only")
    where = where_of(parse_filter(args.filter))
    terminal = sys.stdout.isatty()
    limit: int | None = args.limit
    if limit == 0:
        limit = None
    elif limit is None and args.format == "table" and terminal:
        limit = TABLE_TERMINAL_LIMIT
    with open_cache(cache_path(args), create=False) as cache:
        events = _peeked(cache.events(where, limit=limit, with_raw=args.format in _WITH_RAW))
        if events is None:
            _say_no_match(args, cache)
        if args.format == "table":
            if events is not None:
                written = _write_table(events, terminal)
                if terminal and limit is not None and written == limit:
                    total = cache.count(where)
                    if total > written:
                        err(f"showing the newest {written:,} of {total:,} events (--limit 0: all)")
        elif args.format == "csv":
            _write_csv(events or (), bom=args.bom)
        elif args.format == "json":
            sys.stdout.flush()
            write_json(events or (), sys.stdout.buffer, terminal)
        elif events is not None:
            sys.stdout.flush()
            write_jsonl(events, sys.stdout.buffer, terminal)
    sys.stdout.flush()
    return EXIT_OK


def _peeked(events: Iterable[Event]) -> Iterator[Event] | None:
    """The events again, or None when there are none (known before anything is written)."""
    iterator = iter(events)
    first = next(iterator, None)
    return None if first is None else chain((first,), iterator)


def _say_no_match(args: argparse.Namespace, cache: Cache) -> None:
    if not cache.count():
        err(f"no events match: the cache {cache.path} is empty (rdstrail load PATH)")
    elif args.filter:
        err(f"no events match: {args.filter}")  # err() makes the filter printable
    else:
        err("no events match")


def _write_table(events: Iterator[Event], terminal: bool) -> int:
    width = shutil.get_terminal_size().columns if terminal else _columns_from_env()
    ellipsis = "…" if (sys.stdout.encoding or "").lower().startswith("utf") else "~"
    return write_table(events, sys.stdout, width, ellipsis)


def _write_csv(events: Iterable[Event], *, bom: bool) -> None:
    sys.stdout.flush()
    write_csv_bytes(events, sys.stdout.buffer, bom=bom)


def _columns_from_env() -> int | None:
    """Piped output is not cut to a width unless $COLUMNS asks for one."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None
