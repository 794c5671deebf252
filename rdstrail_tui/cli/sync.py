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
    keep_index,
    open_cache,
    prepare_index_upkeep,
)
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.timespec import parse_when
from rdstrail_tui.sources.config import SavedSource, load_sources
from rdstrail_tui.sources.request import RequestError, SyncRequest, run_sync
from rdstrail_tui.sources.sync import SyncError, summary_line

# The options of the pushed-down sources, absent from a Namespace built for lookup or s3.
_PUSHED_OPTIONS = (
    "filter",
    "table",
    "workgroup",
    "output_location",
    "event_data_store",
    "max_scan",
    "reuse_results",
    "s3_endpoint_url",
)


def request_from_args(args: argparse.Namespace) -> SyncRequest:
    now = datetime.now(timezone.utc)
    for name in _PUSHED_OPTIONS:
        if not hasattr(args, name):
            setattr(args, name, "" if name == "filter" else None)

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
    if target not in TARGETS:
        sources = load_sources()
        if target not in sources:
            # The config file and its format are in `rdstrail sync --help`.
            known = f"saved: {', '.join(sorted(sources))}" if sources else "none saved"
            raise UsageError(f"sync: {target!r} is not lookup, s3, athena, lake or saved ({known})")
        saved = sources[target]
        if args.url:
            raise UsageError(f"sync: {target} is a saved source; it takes no URL")
    kind = saved.kind if saved else target
    url = saved.url if saved else _place(kind, args)
    _check(kind, url, args)
    filter_text = " ".join(part for part in (saved.filter if saved else "", args.filter) if part)
    return SyncRequest(
        kind=kind,
        url=url,
        regions=tuple(args.region or (saved.regions if saved else ())),
        accounts=tuple(args.account or (saved.accounts if saved else ())),
        since=when(args.since or (saved.since if saved else None), "--since"),
        until=when(args.until, "--until"),
        profile=args.profile or (saved.profile if saved else None),
        endpoint_url=args.endpoint_url or (saved.endpoint_url if saved else None),
        filter_text=filter_text,
        workgroup=args.workgroup or (saved.workgroup if saved else None),
        output_location=args.output_location or (saved.output_location if saved else None),
        s3_endpoint_url=args.s3_endpoint_url or (saved.s3_endpoint_url if saved else None),
        max_scan=_size(args.max_scan or (saved.max_scan if saved else None)),
        reuse_minutes=args.reuse_results,
    )


TARGETS = ("lookup", "s3", "athena", "lake")


def _place(kind: str, args: argparse.Namespace) -> str:
    """What the sync reads, from the command line: the S3 URL, the table or the store."""
    if kind == "athena":
        return str(args.table or "")
    if kind == "lake":
        return str(args.event_data_store or "")
    return str(args.url or "")


def _check(kind: str, url: str, args: argparse.Namespace) -> None:
    """The options that do not go with this kind of source, each said in one line."""
    if kind == "s3" and not url:
        raise UsageError("sync s3: name the trail: rdstrail sync s3 s3://BUCKET[/PREFIX]")
    if kind == "lookup" and url:
        raise UsageError("sync lookup: takes no URL (it reads the account's Event history)")
    if kind == "lookup" and args.account:
        raise UsageError("sync lookup: --account applies to S3 trails, Athena and Lake only")
    if kind == "athena" and not url:
        raise UsageError("sync athena: name the table: --table DATABASE.TABLE")
    if kind == "lake" and not url:
        raise UsageError("sync lake: name the event data store: --event-data-store ARN")
    if kind in ("athena", "lake") and args.url:
        raise UsageError(f"sync {kind}: takes no URL (did you mean a filter term?)")
    pushed_only = {
        "--table": args.table,
        "--workgroup": args.workgroup,
        "--output-location": args.output_location,
        "--event-data-store": args.event_data_store,
        "--max-scan": args.max_scan,
        "--reuse-results": args.reuse_results,
        "--s3-endpoint-url": args.s3_endpoint_url,
    }
    given = [option for option, value in pushed_only.items() if value]
    if kind in ("lookup", "s3") and (given or args.filter):
        what = given[0] if given else "a filter"
        raise UsageError(f"sync {kind}: {what} applies to athena and lake only")
    if kind == "lake" and any(o in given for o in ("--table", "--workgroup", "--output-location")):
        raise UsageError("sync lake: --table, --workgroup and --output-location are Athena's")
    if kind == "athena" and "--event-data-store" in given:
        raise UsageError("sync athena: --event-data-store is Lake's")


def _size(text: str | None) -> int | None:
    if text is None:
        return None
    # Lazy: the Athena runner (and boto3) load only for a sync that runs.
    from rdstrail_tui.sources.athena.queries import parse_size

    try:
        return parse_size(text)
    except ValueError as error:
        raise UsageError(f"sync: --max-scan: {error}") from None


def sync(args: argparse.Namespace) -> int:
    request = request_from_args(args)
    stop = threading.Event()
    prepare_index_upkeep()
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
        if not summary.interrupted:
            keep_index(cache)
    for problem in summary.problems:
        print(f"rdstrail: {printable(problem)}", file=sys.stderr)
    print(printable(summary_line(summary)), file=sys.stderr)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_BAD_INPUT if summary.problems else EXIT_OK
