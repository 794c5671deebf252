"""`rdstrail query`: the matching events as a table, JSON Lines, JSON or CSV."""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_OK, cache_path, err
from rdstrail_tui.present.writers import write_csv, write_json, write_jsonl, write_table
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.sql import where_of

# A table on a terminal stops here unless --limit says otherwise: nobody reads further.
TABLE_TERMINAL_LIMIT = 1000


def query(args: argparse.Namespace) -> int:
    where = where_of(parse_filter(args.filter))
    terminal = sys.stdout.isatty()
    limit: int | None = args.limit
    if limit == 0:
        limit = None
    elif limit is None and args.format == "table" and terminal:
        limit = TABLE_TERMINAL_LIMIT
    with Cache.open(cache_path(args), create=False) as cache:
        events = cache.events(where, limit=limit, with_raw=args.format in ("json", "jsonl"))
        if args.format == "table":
            width = shutil.get_terminal_size().columns if terminal else _columns_from_env()
            ellipsis = "…" if (sys.stdout.encoding or "").lower().startswith("utf") else "~"
            written = write_table(events, sys.stdout, width, ellipsis)
            if terminal and limit is not None and written == limit:
                total = cache.count(where)
                if total > written:
                    err(f"showing the newest {written:,} of {total:,} events (--limit 0: all)")
        elif args.format == "csv":
            write_csv(events, sys.stdout)
        elif args.format == "json":
            sys.stdout.flush()
            write_json(events, sys.stdout.buffer, terminal)
        else:
            sys.stdout.flush()
            write_jsonl(events, sys.stdout.buffer, terminal)
    sys.stdout.flush()
    return EXIT_OK


def _columns_from_env() -> int | None:
    """Piped output is not cut to a width unless $COLUMNS asks for one."""
    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None
