"""`rdstrail sync`: fetch events from AWS into the cache, from LookupEvents, an S3 trail, or a
saved source, with live progress per account-region on stderr."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import datetime, timezone

from rdstrail_tui.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    cache_path,
    open_cache,
)
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.timespec import parse_when
from rdstrail_tui.sources.config import SavedSource, load_sources
from rdstrail_tui.sources.request import RequestError, SyncRequest, run_sync
from rdstrail_tui.sources.sync import SyncError, summary_line


def request_from_args(args: argparse.Namespace) -> SyncRequest:
    now = datetime.now(timezone.utc)

    def when(text: str | None, option: str) -> datetime | None:
        if text is None:
            return None
        try:
            return parse_when(text, now)
        except ValueError:
            # The other forms (a date-time, 30m, 6h) are in --help.
            raise UsageError(
                f"sync: {option} {text!r} is not a time: try 2026-11-01 or 7d"
            ) from None

    saved: SavedSource | None = None
    target = args.target
    if target not in ("lookup", "s3"):
        sources = load_sources()
        if target not in sources:
            # The config file and its format are in `rdstrail sync --help`.
            known = f"saved: {', '.join(sorted(sources))}" if sources else "none saved yet"
            raise UsageError(f"sync: {target!r} is not lookup, s3 or a saved source ({known})")
        saved = sources[target]
        if args.url:
            raise UsageError(f"sync: {target} is a saved source; it takes no URL")
    kind = saved.kind if saved else target
    url = saved.url if saved else (args.url or "")
    if kind == "s3" and not url:
        raise UsageError("sync s3: name the trail: rdstrail sync s3 s3://BUCKET[/PREFIX]")
    if kind == "lookup" and url:
        raise UsageError("sync lookup: takes no URL (it reads the account's Event history)")
    if kind == "lookup" and args.account:
        raise UsageError("sync lookup: --account applies to S3 trails only")
    return SyncRequest(
        kind=kind,
        url=url,
        regions=tuple(args.region or (saved.regions if saved else ())),
        accounts=tuple(args.account or (saved.accounts if saved else ())),
        since=when(args.since or (saved.since if saved else None), "--since"),
        until=when(args.until, "--until"),
        profile=args.profile or (saved.profile if saved else None),
        endpoint_url=args.endpoint_url or (saved.endpoint_url if saved else None),
    )


def sync(args: argparse.Namespace) -> int:
    request = request_from_args(args)
    stop = threading.Event()
    with open_cache(cache_path(args)) as cache:
        try:
            if sys.stderr.isatty():
                # Lazy: rich is needed only for live progress on a terminal.
                from rich.console import Console

                from rdstrail_tui.cli.sync_progress import SyncProgress

                with SyncProgress(Console(stderr=True)) as progress:
                    summary = run_sync(cache, request, progress.update, stop.is_set)
            else:
                summary = run_sync(cache, request, None, stop.is_set)
        except RequestError as error:
            raise UsageError(str(error)) from None
        except SyncError as error:
            print(f"rdstrail: {printable(str(error))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except KeyboardInterrupt:
            stop.set()
            print(
                "rdstrail: sync interrupted: what came before is cached; run it again to finish",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
    for problem in summary.problems:
        print(f"rdstrail: {printable(problem)}", file=sys.stderr)
    print(printable(summary_line(summary)), file=sys.stderr)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_BAD_INPUT if summary.problems else EXIT_OK
