"""CloudTrail LookupEvents (the account's Event history) as a source: the RDS events of the
last 90 days, per account and region, synced incrementally into the cache.

- sync.py: `sync_lookup`, run on the calling thread, which alone touches the cache;
- worker.py: one thread per region sending the requests, retrying throttles and failures;
- limiter.py: the 2 requests per second per account and region, kept across processes;
- cursor.py: what each account-region's earlier syncs fetched, and the gaps they left;
- plan.py: which time windows a sync fetches.

The names below are the public ones. The constants are re-exported to be read: a test that
patches one must patch the module that uses it (e.g. `lookup.worker.THROTTLE_BACKOFF_BASE`).
"""

from rdstrail_tui.sources.lookup.cursor import CURSOR_SOURCE, Cursor, cursor_key
from rdstrail_tui.sources.lookup.limiter import RATE_MARGIN_SECONDS, RateLimiter
from rdstrail_tui.sources.lookup.plan import OVERLAP_SECONDS
from rdstrail_tui.sources.lookup.sync import sync_lookup
from rdstrail_tui.sources.lookup.worker import PAGE_SIZE, TRANSIENT_RETRIES

__all__ = [
    "CURSOR_SOURCE",
    "OVERLAP_SECONDS",
    "PAGE_SIZE",
    "RATE_MARGIN_SECONDS",
    "TRANSIENT_RETRIES",
    "Cursor",
    "RateLimiter",
    "cursor_key",
    "sync_lookup",
]
