"""One sync, as both front ends ask for it, and the runner that carries it out: the CLI's
`rdstrail sync` and the explorer's sync screen build a `SyncRequest` and call `run_sync`,
so they cannot disagree on what a sync does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.sources.sync import ProgressCallback, StopCheck, SyncError, SyncSummary


class RequestError(SyncError):
    """The request cannot be carried out as written (at the command line: a usage error)."""


@dataclass(frozen=True)
class SyncRequest:
    """One sync, whether from the command line, a saved source or the sync screen."""

    kind: str  # "lookup", "s3", "athena" or "lake"
    url: str = ""  # s3: the trail; athena: the table (db.table); lake: the event data store
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    # Athena and Lake: the filter they run, and their own settings.
    filter_text: str = ""
    workgroup: str | None = None
    output_location: str | None = None
    s3_endpoint_url: str | None = None
    max_scan: int | None = None
    reuse_minutes: int | None = None


def run_sync(
    cache: Cache,
    request: SyncRequest,
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
) -> SyncSummary:
    """Run one sync into `cache`."""
    # Lazy: each source pulls in boto3 and its own machinery, which a run of the other (or
    # an explorer that never syncs) should not pay for.
    from rdstrail_tui.sources.lookup import sync_lookup
    from rdstrail_tui.sources.s3 import sync_s3

    if request.kind in ("athena", "lake"):
        return _run_pushed_down(cache, request, on_progress, should_stop)
    if request.kind == "lookup":
        return sync_lookup(
            cache,
            regions=list(request.regions) or [_default_region(request.profile)],
            since=request.since,
            until=request.until,
            profile=request.profile,
            endpoint_url=request.endpoint_url,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    return sync_s3(
        cache,
        request.url,
        accounts=list(request.accounts) or None,
        regions=list(request.regions) or None,
        since=request.since,
        until=request.until,
        profile=request.profile,
        endpoint_url=request.endpoint_url,
        on_progress=on_progress,
        should_stop=should_stop,
    )


def _run_pushed_down(
    cache: Cache,
    request: SyncRequest,
    on_progress: ProgressCallback | None,
    should_stop: StopCheck | None,
) -> SyncSummary:
    # Lazy, as above.
    if request.kind == "lake":
        from rdstrail_tui.sources.lake.sync import sync_lake

        return sync_lake(
            cache,
            request.url,
            filter_text=request.filter_text,
            accounts=request.accounts,
            regions=request.regions,
            since=request.since,
            until=request.until,
            profile=request.profile,
            endpoint_url=request.endpoint_url,
            max_scan=request.max_scan,
            on_progress=on_progress,
            should_stop=should_stop,
        )
    from rdstrail_tui.sources.athena.sync import AthenaTarget, sync_athena

    target = AthenaTarget(
        table=request.url,
        workgroup=request.workgroup,
        output_location=request.output_location,
        accounts=request.accounts,
        regions=request.regions,
        max_scan=request.max_scan,
        reuse_minutes=request.reuse_minutes,
    )
    return sync_athena(
        cache,
        target,
        filter_text=request.filter_text,
        since=request.since,
        until=request.until,
        profile=request.profile,
        endpoint_url=request.endpoint_url,
        s3_endpoint_url=request.s3_endpoint_url,
        on_progress=on_progress,
        should_stop=should_stop,
    )


def _default_region(profile: str | None) -> str:
    # Lazy: boto3 is loaded only once a sync actually runs.
    from rdstrail_tui.sources.aws import make_session

    region = make_session(profile).region_name
    if not region:
        raise RequestError("sync lookup: no region: pass --region, or set one for the profile")
    return str(region)
