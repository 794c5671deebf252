"""How fast LookupEvents is asked: at most `rate` requests per second per account and region,
within one process and from one process to the next.

The API allows 2 requests per second per account and region. Every request of a region's
worker passes that region's `RateLimiter`, which spaces them 1/rate seconds apart (plus
RATE_MARGIN_SECONDS for network jitter), so a normal sync meets no throttling.

The limiters live for the whole process, one per endpoint, account (or credentials) and
region (`limiter_key`), so a sync started right after another in the same process (the
explorer's sync key pressed twice) keeps the pace. A new process (`rdstrail sync lookup` run
twice in a row) starts with new limiters, so the pace also goes through the cache: `Pace`
stores the wall-clock time of the last request each limiter let through (cursor source
PACE_SOURCE, key `limiter_key`), and the next sync's first request waits until one interval
after it. Wall-clock because monotonic clocks do not survive the process; so a stored time
more than CLOCK_SKEW_SECONDS in the future (a clock set back, a cache copied from another
machine) is ignored, and the wait a stored time imposes is never more than one interval.

Limiters are shared with the worker threads; `Pace` touches the Cache, so it is used on the
calling thread only.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.sources.lookup.cursor import cursor_key

# Added to 1/rate between two requests of a region: the server sees arrival times, which
# differ from our send times by the network's jitter.
RATE_MARGIN_SECONDS = 0.03
# The sync_cursors source of the stored pace. Not CURSOR_SOURCE: these rows say nothing
# about what was fetched.
PACE_SOURCE = "lookup-pace"
# A stored time this far ahead of our clock is not believed (within it: waited for, capped).
CLOCK_SKEW_SECONDS = 5.0


class RateLimiter:
    """At most `rate` requests per second for one account-region: consecutive requests start
    at least 1/rate (+ RATE_MARGIN_SECONDS) apart on the monotonic clock. Each caller
    reserves its slot under a lock, then waits for it on `stop`, so the wait ends early when
    the sync is stopped."""

    def __init__(self, rate: float) -> None:
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._last_sent: float | None = None
        self.interval = 0.0
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        if not rate > 0:
            raise ValueError("rate_per_second must be positive")
        self.interval = 1.0 / rate + RATE_MARGIN_SECONDS

    def not_before(self, moment: float) -> None:
        """No slot before `moment` (monotonic): the pace an earlier process left."""
        with self._lock:
            self._next = max(self._next, moment)

    @property
    def last_sent(self) -> float | None:
        """The wall-clock time (time.time()) of the last request let through, if any."""
        with self._lock:
            return self._last_sent

    def wait(self, stop: threading.Event) -> bool:
        """Block until the next request may go; False if `stop` is set first."""
        if stop.is_set():
            return False
        with self._lock:
            slot = max(time.monotonic(), self._next)
            self._next = slot + self.interval
        while (delay := slot - time.monotonic()) > 0:
            if stop.wait(delay):
                return False
        # Decided under the lock: once the sync has set `stop` and read `last_sent`, no
        # request can still go that `last_sent` does not count.
        with self._lock:
            if stop.is_set():
                return False
            self._last_sent = time.time()
        return True


# One limiter per limiter_key for the whole process.
_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_key(
    region: str, *, account: str | None, profile: str | None, endpoint_url: str | None
) -> str:
    """What shares one request budget: endpoint, account (or credentials) and region. Not the
    event source: a sync of another source spends the same budget."""
    place = cursor_key(region, account=account, profile=profile, endpoint_url=endpoint_url)
    return f"{endpoint_url or 'aws'} {place}"


def shared_limiter(key: str, rate: float) -> RateLimiter:
    """This process's limiter for `key`, now at `rate`."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None:
            limiter = _LIMITERS[key] = RateLimiter(rate)
        else:
            limiter.set_rate(rate)
        return limiter


def first_slot(
    last_sent: float, interval: float, *, now: float, now_monotonic: float
) -> float | None:
    """The monotonic time before which no request may go, given the wall-clock time
    `last_sent` of the last one an earlier process sent; None when there is no need to wait.
    `now` and `now_monotonic` are the two clocks read together."""
    ago = now - last_sent
    if not math.isfinite(ago) or ago < -CLOCK_SKEW_SECONDS:
        return None
    wait = min(interval, interval - ago)
    return now_monotonic + wait if wait > 0 else None


class Pace:
    """One limiter's pace kept in the cache, from one sync (and process) to the next."""

    def __init__(self, cache: Cache, key: str, limiter: RateLimiter) -> None:
        self.cache = cache
        self.key = key
        self.limiter = limiter
        self._saved: float | None = None

    def resume(self) -> None:
        """Hold the limiter's first slot until one interval after the stored last request."""
        stored = _parse(self.cache.get_cursor(PACE_SOURCE, self.key))
        if stored is None:
            return
        slot = first_slot(
            stored, self.limiter.interval, now=time.time(), now_monotonic=time.monotonic()
        )
        if slot is not None:
            self.limiter.not_before(slot)

    def save(self) -> None:
        """Store when the limiter's last request went, if that moved since the last save.

        Called once the worker has its last answer (or the sync has stopped them), so the
        time stored is now rather than when the request was let through: AWS counts a
        request when it arrives, which can be well after it was let go on a loaded machine,
        and the next process must count its interval from that arrival at the latest."""
        sent = self.limiter.last_sent
        if sent is None or sent == self._saved:
            return
        stamp = max(sent, time.time())
        try:
            self.cache.set_cursor(PACE_SOURCE, self.key, json.dumps({"last_request": stamp}))
        except sqlite3.Error:
            # The pace only spares the next process a throttle (which it would retry): not
            # worth failing a sync for, or hiding the reason it is ending.
            return
        self._saved = sent


def _parse(text: str | None) -> float | None:
    """The stored time; None for a missing or unreadable value (no wait)."""
    if not text:
        return None
    try:
        value = json.loads(text)["last_request"]
    except (ValueError, TypeError, KeyError):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
