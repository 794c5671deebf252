"""`sync_lookup`: the events of the last 90 days from CloudTrail LookupEvents (the account's
Event history), per account and region, synced incrementally into the cache.

Threads. Each region gets its own worker thread (worker.py), client and rate limiter
(limiter.py). Workers only talk to AWS and parse pages; they hand each page to the calling
thread through a queue, and the calling thread does everything else: it inserts the page (one
transaction per page), advances the region's cursor (cursor.py), updates the SyncSummary,
calls `on_progress` and `should_stop`, and stores the limiters' pace. So the Cache (not
thread-safe) is used by the calling thread only, callbacks never run on a worker thread, and
Ctrl-C (which Python delivers to the main thread) is handled in one place.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.exceptions
from botocore.config import Config
from botocore.parsers import ResponseParserError

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import RDS_EVENT_SOURCE
from rdstrail_tui.sources.aws import describe_aws_error, error_code, make_client, make_session
from rdstrail_tui.sources.lookup.cursor import CURSOR_SOURCE, Cursor, cursor_key
from rdstrail_tui.sources.lookup.limiter import Pace, limiter_key, shared_limiter
from rdstrail_tui.sources.lookup.plan import plan_windows
from rdstrail_tui.sources.lookup.worker import Done, Message, Page, Worker
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    RegionProgress,
    StopCheck,
    SyncError,
    SyncSummary,
)

# After Ctrl-C, how long the calling thread waits for pages already on their way.
DRAIN_SECONDS = 5.0


@dataclass
class _Region:
    name: str
    key: str
    cursor: Cursor
    progress: RegionProgress
    worker: Worker
    thread: threading.Thread
    pace: Pace
    finished: bool = False
    error: BaseException | None = None


def _describe(error: BaseException, *, what: str, profile: str | None) -> str:
    """describe_aws_error, kept to one line whatever the error's text holds."""
    if isinstance(error, ResponseParserError):
        return (
            f"{what}: the endpoint's answer is not CloudTrail's: check --endpoint-url and --region"
        )
    return " ".join(describe_aws_error(error, what=what, profile=profile).split())


def _caller_account(session: Any, region: str, endpoint_url: str | None) -> str | None:
    """The account the credentials belong to, or None when STS cannot say. Never raises
    (an endpoint that is no STS may answer anything): a credential problem surfaces from
    LookupEvents with its own message."""
    config = Config(
        retries={"mode": "standard", "max_attempts": 1},  # one retry
        connect_timeout=5,
        read_timeout=10,
        user_agent_extra="rdstrail",
    )
    try:
        client = session.client("sts", region_name=region, endpoint_url=endpoint_url, config=config)
        account = client.get_caller_identity().get("Account")
    except Exception:
        return None
    return account if isinstance(account, str) and account else None


def sync_lookup(
    cache: Cache,
    *,
    regions: list[str],
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    event_source: str = RDS_EVENT_SOURCE,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    rate_per_second: float = 2.0,
) -> SyncSummary:
    """Fetch the events of `event_source` from LookupEvents in each region (concurrently,
    each within `rate_per_second`) into the cache.

    Returns the summary; a region that failed has its `error` set and a line in `problems`,
    and the others go on. Raises SyncError (one line) when no region could fetch anything
    because of the same kind of failure (credentials, access, endpoint). `should_stop` and
    `on_progress` are called on the calling thread only; should_stop() ends the sync with
    `interrupted` set, KeyboardInterrupt is re-raised once the pages already received are
    cached. Either way the next sync fetches what is missing.
    """
    if not regions:
        raise SyncError("LookupEvents: no region given: pass --region")
    if not rate_per_second > 0:
        raise ValueError("rate_per_second must be positive")
    names = list(dict.fromkeys(regions))
    summary = SyncSummary(source=CURSOR_SOURCE)
    session = make_session(profile)
    account = _caller_account(session, names[0], endpoint_url)
    now = int(time.time())
    stop = threading.Event()
    out: queue.Queue[Message] = queue.Queue()

    states: dict[str, _Region] = {}
    notes: dict[str, None] = {}  # the same note for every region: said once
    for name in names:
        key = cursor_key(
            name,
            account=account,
            profile=profile,
            endpoint_url=endpoint_url,
            event_source=event_source,
        )
        cursor = Cursor.parse(cache.get_cursor(CURSOR_SOURCE, key))
        windows, region_notes = plan_windows(cursor, now, since, until)
        notes.update(dict.fromkeys(region_notes))
        try:
            client = make_client(
                session, "cloudtrail", name, endpoint_url, max_attempts=0, pool_size=2
            )
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise SyncError(
                f"LookupEvents in {name}: {error}: check --endpoint-url and --region"
            ) from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(
                _describe(error, what=f"LookupEvents in {name}", profile=profile)
            ) from None
        place = limiter_key(name, account=account, profile=profile, endpoint_url=endpoint_url)
        limiter = shared_limiter(place, rate_per_second)
        # A new process's limiter knows nothing of the requests the last one sent.
        pace = Pace(cache, place, limiter)
        pace.resume()
        worker = Worker(name, client, windows, event_source, limiter, out, stop)
        thread = threading.Thread(target=worker.run, name=f"rdstrail-lookup-{name}", daemon=True)
        states[name] = _Region(
            name=name,
            key=key,
            cursor=cursor,
            progress=summary.region(name, account or ""),
            worker=worker,
            thread=thread,
            pace=pace,
        )
    summary.problems.extend(notes)

    def report() -> None:
        if on_progress is not None:
            on_progress(summary)

    # Regions whose page was being cached when Ctrl-C came: that page may be lost, so their
    # later pages are dropped too, or the cursor would claim what the cache lacks.
    broken: set[str] = set()
    in_hand: list[Message] = []

    def handle(message: Message) -> None:
        state = states[message.region]
        progress = state.progress
        progress.requests = message.requests
        progress.throttles = message.throttles
        if isinstance(message, Page) and message.region in broken:
            pass
        elif isinstance(message, Page):
            new = cache.insert(message.events)
            newest = max((e.event_time for e in message.events), default=None)
            state.cursor.page_done(
                message.window, complete=message.last, reached=message.oldest, newest=newest
            )
            if not state.cursor.account and message.events:
                state.cursor.account = message.events[0].account
            cache.set_cursor(CURSOR_SOURCE, state.key, state.cursor.dump())
            progress.pages += 1
            progress.events_seen += message.seen
            progress.events_new += new
            if not progress.account and message.events:
                progress.account = message.events[0].account
            summary.problems.extend(message.problems)
        elif isinstance(message, Done):
            state.finished = True
            state.pace.save()
            if message.error is not None:
                state.error = message.error
                line = _describe(
                    message.error, what=f"LookupEvents in {state.name}", profile=profile
                )
                progress.error = line
                summary.problems.append(line)
            elif not message.stopped:
                progress.done = True
        report()

    def receive() -> None:
        try:
            message = out.get(timeout=0.1)
        except queue.Empty:
            return
        in_hand[:] = [message]
        handle(message)
        in_hand.clear()

    def pending() -> bool:
        return any(not state.finished for state in states.values())

    report()
    for state in states.values():
        state.thread.start()
    try:
        while pending():
            receive()
            if should_stop is not None and not stop.is_set() and should_stop():
                summary.interrupted = True
                stop.set()  # workers end after the request in flight; its page is kept
    except KeyboardInterrupt:
        summary.interrupted = True
        stop.set()
        broken.update(message.region for message in in_hand if isinstance(message, Page))
        deadline = time.monotonic() + DRAIN_SECONDS
        while pending() and time.monotonic() < deadline:
            receive()
        raise
    finally:
        stop.set()
        # After stop.set() no limiter lets another request go: this is the last one sent.
        for state in states.values():
            state.pace.save()
        summary.finished = time.monotonic()
        failed = [state for state in states.values() if state.error is not None]
        fetched = any(state.progress.pages for state in states.values())
        if fetched or len(failed) < len(states):
            cache.record_source(f"lookup:{','.join(names)}", "lookup", summary.events_new)

    for state in states.values():
        state.thread.join(timeout=1.0)
    if failed and len(failed) == len(states) and not fetched:
        raise SyncError(_all_failed(failed, profile))
    return summary


def _all_failed(failed: list[_Region], profile: str | None) -> str:
    """One line for every region failing before any page: the regions named together when
    they failed the same way, else the first region's failure."""
    first = failed[0].error
    assert first is not None
    kinds = {(type(s.error), error_code(s.error)) for s in failed if s.error is not None}
    if len(kinds) == 1:
        what = f"LookupEvents in {', '.join(s.name for s in failed)}"
        return _describe(first, what=what, profile=profile)
    line = _describe(first, what=f"LookupEvents in {failed[0].name}", profile=profile)
    return f"{line} (the {len(failed) - 1} other regions failed too)"
