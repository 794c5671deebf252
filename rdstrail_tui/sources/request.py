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

    kind: str  # "lookup" or "s3"
    url: str = ""
    regions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    profile: str | None = None
    endpoint_url: str | None = None


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


def _default_region(profile: str | None) -> str:
    # Lazy: boto3 is loaded only once a sync actually runs.
    from rdstrail_tui.sources.aws import make_session

    region = make_session(profile).region_name
    if not region:
        raise RequestError("sync lookup: no region: pass --region, or set one for the profile")
    return str(region)
