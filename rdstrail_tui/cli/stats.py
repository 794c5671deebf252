"""`rdstrail stats`: counts by eventName, principal, source IP, errorCode and risk flag."""

from __future__ import annotations

import argparse
import sys

import orjson

from rdstrail_tui.cache.reports import Stats
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_OK, cache_path, open_cache
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.query.language import Filter, parse_filter
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.sync import counted


def stats(args: argparse.Namespace) -> int:
    flt = parse_filter(args.filter)
    with open_cache(cache_path(args), create=False) as cache:
        result = _indexed_stats(cache, flt, args.top) or cache.stats(where_of(flt), top=args.top)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(_stats_json(result), option=orjson.OPT_INDENT_2))
        sys.stdout.write("\n")
        return EXIT_OK
    print(format_stats(result))
    return EXIT_OK


def _indexed_stats(cache: Cache, flt: Filter, top: int) -> Stats | None:
    """The stats from the explorer's index beside the cache, where a load left one up to
    date (a fraction of a second at ten million events, against 10-15 s of SQL scans);
    None where there is none."""
    # Lazy: numpy and the index, which a cache without one never needs.
    from rdstrail_tui.query.index_stats import index_stats
    from rdstrail_tui.query.index_store import opened_index

    index = opened_index(cache)
    if index is None:
        return None
    return index_stats(index.extended(cache), flt, cache, top)


def _stats_json(result: Stats) -> dict[str, object]:
    return {
        "events": result.total,
        "first": format_time(result.first_time) if result.first_time is not None else None,
        "last": format_time(result.last_time) if result.last_time is not None else None,
        "by_event_name": dict(result.by_name),
        "by_principal": dict(result.by_principal),
        "by_source_ip": dict(result.by_source_ip),
        "by_error_code": dict(result.by_error),
        "by_risk_flag": dict(result.by_flag),
    }


def format_stats(result: Stats) -> str:
    if result.total == 0:
        return "0 events match"
    lines = [
        f"{counted(result.total, 'event')}, {format_time(result.first_time)} to "
        f"{format_time(result.last_time)} UTC"
    ]
    for title, rows in (
        ("EVENT NAME", result.by_name),
        ("PRINCIPAL", result.by_principal),
        ("SOURCE IP", result.by_source_ip),
        ("ERROR CODE", result.by_error),
        ("RISK FLAG", result.by_flag),
    ):
        lines.append("")
        if not rows:
            lines.append(f"{title}: none")
            continue
        names = [printable(name) or "-" for name, _ in rows]
        width = max(len(title), *(len(name) for name in names))
        lines.append(f"{title:<{width}}  {'COUNT':>9}")
        lines.extend(f"{name:<{width}}  {count:>9,}" for name, (_, count) in zip(names, rows))
    return "\n".join(lines)
