"""`rdstrail load`: files and directories into the cache, with progress on a terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    cache_path,
    err,
    keep_index,
    open_cache,
    prepare_index_upkeep,
)
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.ingest.workers import WorkerPool
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.sources.load import (
    EventSourceError,
    Inputs,
    LoadInterrupted,
    LoadPlan,
    LoadSummary,
    event_source,
    find_inputs,
    load_paths,
    plan_load,
)
from rdstrail_tui.sources.sync import counted


def load(args: argparse.Namespace) -> int:
    scope = scope_of(args)
    # The paths are walked before the cache is opened: a load with nothing to read (a
    # mistyped path, an empty directory) says so and leaves no cache behind.
    inputs = find_inputs(args.paths)
    if not inputs.file_count:
        for problem in inputs.problems:
            err(problem)
        return EXIT_BAD_INPUT
    path = cache_path(args).expanduser()
    plan = plan_load(inputs, scope, workers=args.workers)
    # The workers start now, and the cache is opened while they do (see WorkerPool).
    pool = WorkerPool(path, plan.processes) if plan.processes else None
    try:
        return _load(args, path, inputs, scope, plan, pool)
    finally:
        if pool is not None:  # the load closes it; this is for a cache that would not open
            pool.terminate()


def _load(
    args: argparse.Namespace,
    path: Path,
    inputs: Inputs,
    scope: Scope,
    plan: LoadPlan,
    pool: WorkerPool | None,
) -> int:
    prepare_index_upkeep()
    with open_cache(path) as cache:
        try:
            summary = _run(cache, inputs, scope, plan, pool)
        except LoadInterrupted as stop:
            _report_problems(stop.summary)
            # Chunks commit whole: nothing is half-written, and cached events are skipped.
            new = counted(stop.summary.new, "new event")
            err(f"interrupted: {new} cached; run the same load again to finish")
            return EXIT_INTERRUPTED
        keep_index(cache)
    _report_problems(summary)
    for line in load_summary_lines(summary, path):
        print(line, file=sys.stderr)
    if summary.bad_inputs:
        err(
            f"{counted(summary.bad_inputs, 'bad input')} skipped (listed above): fix or "
            "remove, then load again"
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def scope_of(args: argparse.Namespace) -> Scope:
    if args.all_sources:
        return Scope(None)
    if not args.event_source:
        return Scope()
    try:
        return Scope(frozenset(event_source(text) for text in args.event_source))
    except EventSourceError as error:
        raise UsageError(str(error)) from None


def _run(
    cache: Cache, inputs: Inputs, scope: Scope, plan: LoadPlan, pool: WorkerPool | None
) -> LoadSummary:
    if not sys.stderr.isatty():
        return load_paths(cache, inputs, scope, plan=plan, pool=pool)
    # Lazy: rich is needed only for a live bar on a terminal.
    from rich.console import Console

    from rdstrail_tui.cli.load_progress import LoadProgress

    with LoadProgress(Console(stderr=True)) as progress:
        return load_paths(cache, inputs, scope, progress.update, plan=plan, pool=pool)


def _report_problems(summary: LoadSummary) -> None:
    for problem in summary.problems:
        err(problem)


def load_summary_lines(summary: LoadSummary, path: Path) -> list[str]:
    """What a load did, in lines that fit 80 columns (but for a long cache path): files,
    then events, then where they went. Bad inputs are said after, with what to do."""
    files = [f"{counted(summary.files, 'file')} read"]
    if summary.digests:
        files.append(f"{counted(summary.digests, 'digest')} skipped")
    lines = [", ".join(files)]
    if summary.ignored:
        ignored = counted(summary.ignored, "file")
        lines.append(f"{ignored} ignored: names not *.json, *.jsonl or *.ndjson (.gz)")
    events = [
        f"{counted(summary.new, 'event')} new",
        counted(summary.duplicates, "duplicate"),
        f"{summary.other_sources:,} of other services skipped",
    ]
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    return [
        *lines,
        ", ".join(events),
        printable(f"cached in {path} ({summary.seconds:.1f} s, {rate:,.0f} records/s)"),
    ]
