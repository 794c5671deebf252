"""A day prefix of a trail: its listing, which of its objects are cached, and its cursor.

Cursor. Source `s3://bucket/prefix` (the URL, normalised), one key per day prefix. CloudTrail
names a file `<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz`, so within a
day prefix keys sort by the minute in their name. The cursor holds the last key up to which
every object is cached, and listing resumes after it (StartAfter). It moves only over objects
whose events are committed, or which can never be read (a corrupt file, a key deleted
meanwhile); an object that failed for a reason that may pass (access denied, network) holds
the cursor before it, and is fetched again next time with what follows it (the cache ignores
the duplicates).

Late files. A file lands in the bucket a little after the minute in its name, so one named
with the cursor's minute, or a few minutes before, can land after a sync listed the prefix
and sort before its cursor: listing after the cursor alone would never see it. So while a
cursor is younger than LANDING_DELAY (by the listing's clock), it also records the keys read
in the LANDING_DELAY before it, and the next listing starts LANDING_DELAY before the cursor:
what is new among those keys is read, the rest is known. Once every file named up to the
cursor must have landed, the cursor is the bare key again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import orjson

from rdstrail_tui.sources.files import is_event_file_name
from rdstrail_tui.sources.s3.layout import Place

# How long after the minute in its name a file may land in the bucket. CloudTrail writes a
# file and puts it at once; this leaves room for slow puts and a local clock a little off.
LANDING_DELAY = timedelta(minutes=15)

_NAME_TIME = re.compile(r"_(\d{8}T\d{4})Z_[^/]*$")


def name_time(key: str) -> datetime | None:
    """The minute in a CloudTrail file's name (UTC), None for another name."""
    match = _NAME_TIME.search(key)
    if match is None:
        return None
    try:
        return datetime.strptime(match[1], "%Y%m%dT%H%M").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass(frozen=True)
class DayCursor:
    """What a day prefix's cursor says: every object up to `last` is cached. Unless
    `settled`, files may still land before `last`: the keys in `recent`, those read in the
    LANDING_DELAY before `last`, are then listed again with it."""

    prefix: str
    last: str | None = None
    recent: frozenset[str] = frozenset()
    settled: bool = True

    @classmethod
    def load(cls, prefix: str, value: str | None) -> DayCursor:
        """The cursor as stored: a bare key, or JSON {"last": key, "recent": [names]}.
        Anything else (another version, a damaged value) starts the day over."""
        if not value:
            return cls(prefix)
        if value.startswith("{"):
            try:
                data = orjson.loads(value)
                last = prefix + data["last"]
                recent = frozenset(prefix + name for name in data["recent"])
            except (orjson.JSONDecodeError, KeyError, TypeError):
                return cls(prefix)
            return cls(prefix, last, recent, settled=False)
        return cls(prefix, value) if value.startswith(prefix) else cls(prefix)

    def start_after(self) -> str | None:
        """Where the listing starts: after the cursor, or LANDING_DELAY before it."""
        if self.last is None or self.settled:
            return self.last
        minute = name_time(self.last)
        if minute is None:
            return self.last
        match = _NAME_TIME.search(self.last)
        assert match is not None
        earlier = (minute - LANDING_DELAY).strftime("%Y%m%dT%H%M")
        # The same name up to its minute, at an earlier minute: sorts before every file
        # named from that minute on (a shorter prefix of a key sorts before it).
        return self.last[: match.start(1)] + earlier

    def known(self, key: str) -> bool:
        """Whether `key`, listed again, was already read."""
        return self.last is not None and (key in self.recent or key == self.last)


def cursor_value(prefix: str, keys: list[str], count: int, listed_at: datetime) -> str:
    """The cursor for `keys[:count]` all cached, keys sorted and listed at `listed_at`."""
    last = keys[count - 1]
    minute = name_time(last)
    if minute is None or minute < listed_at - LANDING_DELAY:
        return last  # every file named up to it had landed when the prefix was listed
    since = minute - LANDING_DELAY
    recent = []
    for key in reversed(keys[: count - 1]):
        when = name_time(key)
        if when is None or when < since:
            break
        recent.append(key[len(prefix) :])
    return orjson.dumps({"last": last[len(prefix) :], "recent": recent[::-1]}).decode()


@dataclass
class Listing:
    """A day prefix's keys and sizes in key order, or the error that stopped its listing."""

    keys: list[tuple[str, int]] = field(default_factory=list)
    requests: int = 0
    error: BaseException | None = None


@dataclass(eq=False)
class Day:
    """A listed day prefix: which of its keys are done (cached, or never readable), and
    the cursor that says so."""

    place: Place
    prefix: str
    cursor: DayCursor
    listed_at: datetime
    keys: list[str] = field(default_factory=list)
    next: int = 0  # keys before this are done and behind the cursor
    done: set[int] = field(default_factory=set)  # done, not yet contiguous with `next`
    resolved: int = 0  # done or failed
    finished: bool = False

    def accept(self, listing: Listing) -> list[tuple[int, int]]:
        """Take the listing; returns (index, size) of each object to read."""
        to_read = []
        for index, (key, size) in enumerate(listing.keys):
            self.keys.append(key)
            skip = key.endswith("/") or not is_event_file_name(key.rsplit("/", 1)[-1])
            if skip or self.cursor.known(key):
                self.done.add(index)  # a folder marker, not a log file, or read before
                self.resolved += 1
            else:
                to_read.append((index, size))
        return to_read

    def mark_done(self, index: int) -> None:
        self.done.add(index)
        self.resolved += 1

    def mark_failed(self) -> None:
        """An object that may be readable next time: it holds the cursor before it."""
        self.resolved += 1

    def advance(self) -> str | None:
        """Move `next` over the done keys; the new cursor value to store, if it moved past
        the stored one."""
        start = self.next
        while self.next in self.done:
            self.done.discard(self.next)
            self.next += 1
        if self.next == start:
            return None
        last = self.keys[self.next - 1]
        stored = self.cursor.last
        if stored is not None and last < stored:
            return None  # keys listed again, read before: the stored cursor already says so
        value = cursor_value(self.prefix, self.keys, self.next, self.listed_at)
        if last == stored and DayCursor.load(self.prefix, value) == self.cursor:
            return None  # nothing new past the cursor, no late file among its recent keys
        return value

    def finish(self) -> bool:
        """Mark the day finished once every key is resolved (done or failed); True the
        first time only."""
        if self.finished or self.resolved < len(self.keys):
            return False
        self.finished = True
        return True
