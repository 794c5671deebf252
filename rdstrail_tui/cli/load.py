"""`rdstrail load`: files and directories into the cache, with progress on a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, cache_path, err
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.sources.load import LoadInterrupted, LoadSummary, load_paths


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
                # Lazy: rich is needed only for a live bar on a terminal.
                from rich.console import Console

                from rdstrail_tui.cli.load_progress import LoadProgress

                with LoadProgress(Console(stderr=True)) as progress:
                    summary = load_paths(cache, args.paths, scope, progress.update, args.workers)
            else:
                summary = load_paths(cache, args.paths, scope, workers=args.workers)
        except LoadInterrupted as stop:
            _report_problems(stop.summary)
            err(
                f"interrupted: {stop.summary.new:,} new events from {stop.summary.files:,} "
                f"files were cached before it, and nothing half-written; run the same load "
                f"again to finish (cached events are skipped)"
            )
            return EXIT_INTERRUPTED
    _report_problems(summary)
    print(load_summary_line(summary, path), file=sys.stderr)
    if summary.bad_inputs:
        err(
            f"{summary.bad_inputs:,} bad inputs were skipped (listed above); fix or remove "
            "them and load again: events already cached are kept"
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def _report_problems(summary: LoadSummary) -> None:
    for problem in summary.problems:
        err(problem)


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
