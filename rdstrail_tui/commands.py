"""What each `rdstrail` command does, given its parsed arguments."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import orjson

from rdstrail_tui.cache import Cache, Stats, default_cache_path, demo_cache_path
from rdstrail_tui.filters import parse_filter
from rdstrail_tui.ingest import LoadInterrupted, LoadSummary, Scope, load_paths
from rdstrail_tui.output import write_csv, write_json, write_jsonl, write_table
from rdstrail_tui.sanitize import printable
from rdstrail_tui.timefmt import format_time

EXIT_OK = 0
EXIT_BAD_INPUT = 1  # some inputs were bad, or the cache cannot be used
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
# A table on a terminal stops here unless --limit says otherwise: nobody reads further.
TABLE_TERMINAL_LIMIT = 1000


class UsageError(Exception):
    """A command line that cannot be carried out as written (exit 2)."""


def _err(message: str) -> None:
    print(f"rdstrail: {printable(message)}", file=sys.stderr)


def cache_path(args: argparse.Namespace) -> Path:
    if getattr(args, "demo", False):
        return ensure_demo_cache()
    path: Path | None = getattr(args, "cache", None)
    return path or default_cache_path()


def ensure_demo_cache() -> Path:
    """The demo's own cache, (re)built from the shipped trail when this version's demo is
    not what it holds. The user's cache is never touched."""
    from rdstrail_tui import __version__
    from rdstrail_tui.demo import SHIPPED_DEMO_EVENTS, SHIPPED_DEMO_SEED, shipped_trail_path

    path = demo_cache_path()
    stamp = f"{__version__}:{SHIPPED_DEMO_SEED}:{SHIPPED_DEMO_EVENTS}"
    with Cache.open(path) as cache:
        if cache.get_cursor("demo", "stamp") != stamp:
            cache.clear()
            load_paths(cache, [shipped_trail_path()], Scope())
            cache.set_cursor("demo", "stamp", stamp)
    return path


def open_explorer(args: argparse.Namespace) -> int:
    path = cache_path(args)
    with Cache.open(path):
        pass  # create or migrate before the UI starts, so errors are plain lines
    from rdstrail_tui.tui.app import run_explorer

    return run_explorer(path, demo=bool(getattr(args, "demo", False)))


def load(args: argparse.Namespace) -> int:
    if args.all_sources:
        scope = Scope(None)
    elif args.event_source:
        scope = Scope(frozenset(args.event_source))
    else:
        scope = Scope()
    path = cache_path(args)
    with Cache.open(path) as cache:
        try:
            if sys.stderr.isatty():
                from rich.console import Console

                from rdstrail_tui.progress import LoadProgress

                with LoadProgress(Console(stderr=True)) as progress:
                    summary = load_paths(cache, args.paths, scope, progress.update, args.workers)
            else:
                summary = load_paths(cache, args.paths, scope, workers=args.workers)
        except LoadInterrupted as stop:
            _report_problems(stop.summary)
            _err(
                f"interrupted: {stop.summary.new:,} new events from {stop.summary.files:,} "
                f"files were cached before it, and nothing half-written; run the same load "
                f"again to finish (cached events are skipped)"
            )
            return EXIT_INTERRUPTED
    _report_problems(summary)
    print(load_summary_line(summary, path), file=sys.stderr)
    if summary.bad_inputs:
        _err(
            f"{summary.bad_inputs:,} bad inputs were skipped (listed above); fix or remove "
            "them and load again: events already cached are kept"
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def _report_problems(summary: LoadSummary) -> None:
    for problem in summary.problems:
        _err(problem)


def load_summary_line(summary: LoadSummary, path: Path) -> str:
    parts = [f"{summary.files:,} files read"]
    if summary.ignored:
        parts.append(f"{summary.ignored:,} ignored (not *.json, *.jsonl, *.ndjson)")
    if summary.digests:
        parts.append(f"{summary.digests:,} digests skipped")
    counts = [
        f"{summary.new:,} events new",
        f"{summary.duplicates:,} duplicates",
        f"{summary.other_sources:,} of other services skipped",
        f"{summary.bad_inputs:,} bad inputs",
    ]
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    return printable(
        f"loaded into {path}: {', '.join(parts)}; {', '.join(counts)} "
        f"({summary.seconds:.1f} s, {rate:,.0f} records/s)"
    )


def query(args: argparse.Namespace) -> int:
    where = parse_filter(args.filter)
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
                    _err(f"showing the newest {written:,} of {total:,} events (--limit 0: all)")
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
    import os

    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


def stats(args: argparse.Namespace) -> int:
    where = parse_filter(args.filter)
    with Cache.open(cache_path(args), create=False) as cache:
        result = cache.stats(where, top=args.top)
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(_stats_json(result), option=orjson.OPT_INDENT_2))
        sys.stdout.write("\n")
        return EXIT_OK
    print(format_stats(result))
    return EXIT_OK


def _stats_json(result: Stats) -> dict[str, object]:
    return {
        "events": result.total,
        "first": format_time(result.first_time) if result.first_time is not None else None,
        "last": format_time(result.last_time) if result.last_time is not None else None,
        "by_event_name": dict(result.by_name),
        "by_principal": dict(result.by_principal),
        "by_source_ip": dict(result.by_source_ip),
        "by_error_code": dict(result.by_error),
    }


def format_stats(result: Stats) -> str:
    if result.total == 0:
        return "0 events match"
    lines = [
        f"{result.total:,} events, {format_time(result.first_time)} to "
        f"{format_time(result.last_time)} UTC"
    ]
    for title, rows in (
        ("EVENT NAME", result.by_name),
        ("PRINCIPAL", result.by_principal),
        ("SOURCE IP", result.by_source_ip),
        ("ERROR CODE", result.by_error),
    ):
        lines.append("")
        if not rows:
            lines.append(f"{title}: none")
            continue
        names = [printable(name) or "-" for name, _ in rows]
        width = max(len(title), *(len(name) for name in names))
        lines.append(f"{title:<{width}}  {'COUNT':>9}")
        lines.extend(
            f"{name:<{width}}  {count:>9,}" for name, (_, count) in zip(names, rows, strict=True)
        )
    return "\n".join(lines)


def cache_info(args: argparse.Namespace) -> int:
    path = cache_path(args)
    if not path.exists():
        print(f"path     {printable(str(path))}\nevents   0 (no cache yet: rdstrail load PATH)")
        return EXIT_OK
    with Cache.open(path) as cache:
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
            f"{label}{printable(source.source)}  ({source.events_added:,} events added, "
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
    with Cache.open(path) as cache:
        removed = cache.clear()
    print(printable(f"cleared {removed:,} events from {path}"))
    return EXIT_OK
