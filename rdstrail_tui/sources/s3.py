"""A CloudTrail trail's S3 bucket as a source: the log files of a time window, read straight
from the bucket into the cache, incrementally.

Layout. CloudTrail writes `[PREFIX/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`,
and an organization trail `[PREFIX/]AWSLogs/<o-org>/<account>/CloudTrail/...`. The URL may
point at the bucket root, at a prefix holding AWSLogs/, at AWSLogs/, at an organization, an
account or a region folder. Accounts, organizations and regions are found by listing with a
delimiter (a few requests, not a walk of the bucket). `CloudTrail-Digest/` and
`CloudTrail-Insight/` are siblings of `CloudTrail/` and are never listed.

Window. Only the day folders of [since, until] are listed (default: the 7 days up to now,
UTC), plus the day after `until` when a file delivered late can land there. Day prefixes are
generated from the window; for a window longer than two months the years and months that
exist are listed first, so a wide --since costs little on a young trail. The newest day is
read first, so an interrupted sync has already cached the most recent events.

Cursor. Source `s3://bucket/prefix` (the URL, normalised), one key per day prefix, whose
value is the last key of that prefix up to which every object is cached. Listing resumes
with StartAfter=<that key>: within a day prefix CloudTrail's key names sort by their
delivery time, so objects delivered later list after it. The cursor moves only over
objects whose events are committed (or which can never be read: a corrupt file, a deleted
key); an object that failed for a reason that may pass (access denied, a network error)
holds the cursor before it, and is fetched again next time with what follows it (the
cache ignores the duplicates).

Pipeline. The calling thread lists (through a small pool of lister threads, a few day
prefixes ahead), submits downloads to a pool of `threads` threads, inserts decoded events
in batches and moves the cursors; the Cache, on_progress and should_stop are only ever used
from the calling thread. At most `threads * 2` objects are in flight, downloading, waiting
or being decoded, so memory is bounded whatever the size of the bucket. Small syncs decode
in the download threads; once more than a few megabytes are due, decoding moves to worker
processes (one per core, as `rdstrail load` does) so the network, the decoders and the
inserts run side by side instead of taking turns on the GIL.

Requests. Listings and every request that fails go through boto3 (retries, region
redirects, error parsing). An object's GET first takes a fast path: one SigV4-signed GET
over boto3's own connection pool, to the endpoint and signing region that boto3 itself used
for the bucket's listing; anything but a complete 200 falls back to boto3's get_object. The
fast path costs a third of get_object's CPU, which on a million-event trail is the
difference between keeping up with the decoders or not.
"""

from __future__ import annotations

import hashlib
import hmac
import multiprocessing
import multiprocessing.pool
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import botocore.exceptions
from botocore.awsrequest import AWSPreparedRequest
from botocore.config import Config

from rdstrail_tui.cache import Cache
from rdstrail_tui.formats import InputError, Kind, decode_bytes
from rdstrail_tui.ingest import (
    PARALLEL_MIN_BYTES,
    ChunkResult,
    Scope,
    _stderr_with_a_descriptor,
    events_of,
    worker_count,
)
from rdstrail_tui.model import Event
from rdstrail_tui.sources.aws import describe_aws_error, error_code, make_session
from rdstrail_tui.sources.files import is_event_file_name
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    RegionProgress,
    StopCheck,
    SyncError,
    SyncSummary,
)

DEFAULT_DAYS = 7
# A file is delivered minutes after its events: one of the last hour may sit in the next
# day's folder.
LATE_DELIVERY = timedelta(hours=1)
# Above this many days, list which years and months exist instead of trying every day.
PRUNE_AFTER_DAYS = 62
LOGS_FOLDER = "AWSLogs"
TRAIL_FOLDER = "CloudTrail"
LIST_THREADS = 4
LIST_AHEAD = 8  # day prefixes listed ahead of the downloads
# An insert batch: one transaction per account-region in it.
FLUSH_EVENTS = 10_000
FLUSH_OBJECTS = 256
FLUSH_SECONDS = 1.0
PROGRESS_SECONDS = 0.1
MAX_PROBLEMS = 200
# Refusals of the fast path (a signature S3 does not like) before it is given up for good.
FAST_PATH_REFUSALS = 3

_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")
_ACCOUNT = re.compile(r"\d{12}")
_ORG = re.compile(r"o-[a-z0-9]{10,32}")
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{2}")
_SIGV4_SCOPE = re.compile(r"AWS4-HMAC-SHA256 Credential=[^/,]+/\d{8}/([^/,]+)/s3/aws4_request")

# Failures after which nothing else in the bucket can be read either.
_FATAL_CODES = frozenset(
    {
        "NoSuchBucket",
        "InvalidBucketName",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "RequestTimeTooSkewed",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "InvalidToken",
        "TokenRefreshRequired",
        "AccountProblem",
        "AllAccessDisabled",
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
        "IllegalLocationConstraintException",
    }
)
_FATAL_ERRORS: tuple[type[BaseException], ...] = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOError,
    botocore.exceptions.EndpointConnectionError,
    botocore.exceptions.ProxyConnectionError,
    botocore.exceptions.SSLError,
)
_WRONG_REGION = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix), the prefix '' or ending in '/'."""
    text = url.strip()
    if not text.lower().startswith("s3://"):
        raise SyncError(f"{url!r} is not an S3 URL: write s3://BUCKET or s3://BUCKET/PREFIX")
    bucket, _, prefix = text[5:].partition("/")
    if not bucket:
        raise SyncError(f"{url!r} names no bucket: write s3://BUCKET or s3://BUCKET/PREFIX")
    if not _BUCKET.fullmatch(bucket):
        raise SyncError(
            f"{url!r}: {bucket!r} is not a bucket name (letters, digits, '.', '-', 3 to 63 "
            "characters): write s3://BUCKET or s3://BUCKET/PREFIX"
        )
    prefix = prefix.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


def sync_s3(
    cache: Cache,
    url: str,
    *,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    profile: str | None = None,
    endpoint_url: str | None = None,
    scope: Scope = Scope(),  # noqa: B008 - frozen, shared safely
    on_progress: ProgressCallback | None = None,
    should_stop: StopCheck | None = None,
    threads: int = 8,
) -> SyncSummary:
    """Read the trail's log files of [since, until] (default: the last 7 days) under `url`
    into the cache, skipping the objects an earlier sync already read.

    Returns the summary: one RegionProgress per account-region found, and a line in
    `problems` for each prefix or object that could not be read (the rest was). Raises
    SyncError (one line) when nothing can be read: no credentials, refused credentials, no
    such bucket, another region, no trail under the URL. `on_progress` and `should_stop`
    are called on the calling thread only; should_stop() ends the sync with `interrupted`
    set, and KeyboardInterrupt is re-raised once the events already decoded are cached.
    Either way every committed object's cursor is saved and the next sync goes on from there.
    Naive datetimes are taken as UTC.
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
    bucket, prefix = parse_s3_url(url)
    until_utc = _utc(until) if until is not None else datetime.now(UTC)
    since_utc = _utc(since) if since is not None else until_utc - timedelta(days=DEFAULT_DAYS)
    if since_utc > until_utc:
        raise SyncError(
            f"s3://{bucket}/{prefix}: the window starts after it ends "
            f"({since_utc:%Y-%m-%d %H:%M} > {until_utc:%Y-%m-%d %H:%M} UTC)"
        )
    sync = _S3Sync(
        cache,
        bucket,
        prefix,
        accounts=accounts,
        regions=regions,
        first_day=since_utc.date(),
        last_day=(until_utc + LATE_DELIVERY).date(),
        profile=profile,
        endpoint_url=endpoint_url,
        scope=scope,
        on_progress=on_progress,
        should_stop=should_stop,
        threads=threads,
    )
    return sync.run()


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# -- decoding (in a download thread, or in a worker process) -------------------------------


@dataclass
class _Decoded:
    events: list[Event]
    result: ChunkResult
    error: str | None = None  # the whole object could not be read


def _decode(name: str, data: bytes, scope: Scope) -> _Decoded:
    """The in-scope events of one object; a worker process runs this, so it must not touch
    anything but its arguments."""
    result = ChunkResult(files=1)
    try:
        document = decode_bytes(data)
        if document.kind is Kind.DIGEST:
            result.digests += 1
            return _Decoded([], result)
        events = list(events_of(document, name, scope, result))
    except InputError as error:
        result.bad_files += 1
        return _Decoded([], result, f"{name}: {error}")
    except Exception as error:  # msgspec/orjson on something very odd: one line, not a trace
        result.bad_files += 1
        return _Decoded([], result, f"{name}: cannot decode ({type(error).__name__}: {error})")
    return _Decoded(events, result)


def _start_decoder() -> None:
    # The parent alone handles Ctrl-C; it then terminates the decoders.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- the fast GET ------------------------------------------------------------------------


class _FastGet:
    """GET of one object by a single SigV4-signed request (UNSIGNED-PAYLOAD, as S3 allows
    for a GET) over the client's own connection pool (its proxies, CA bundle, timeouts).
    It learns the URL and signing region from boto3's own ListObjectsV2 of the bucket, so
    endpoint resolution and region redirects stay boto3's. Returns None whenever it cannot
    vouch for the answer: the caller then asks boto3."""

    def __init__(self, client: Any, session: boto3.Session) -> None:
        self._credentials = session.get_credentials()
        endpoint = getattr(client, "_endpoint", None)
        self._http = getattr(endpoint, "http_session", None)
        self._seen = threading.local()
        self._lock = threading.Lock()
        self._origin = ""
        self._host = ""
        self._path = ""
        self._region = ""
        self._keys: dict[tuple[str, str], bytes] = {}
        self._refusals = 0
        self.enabled = False
        client.meta.events.register("before-send.s3.ListObjectsV2", self._capture)

    def _capture(self, request: Any, **_: Any) -> None:
        self._seen.request = (request.url, request.headers.get("Authorization"))

    def adopt(self) -> None:
        """Called after a listing succeeded on this thread: GET where it went."""
        seen = getattr(self._seen, "request", None)
        if seen is None or self._credentials is None or self._http is None:
            return
        url, authorization = seen
        if isinstance(authorization, bytes):
            authorization = authorization.decode("ascii", "replace")
        match = _SIGV4_SCOPE.match(authorization or "")
        parts = urlsplit(url)
        if match is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return
        with self._lock:
            self._origin = f"{parts.scheme}://{parts.netloc}"
            self._host = parts.netloc
            self._path = parts.path.rstrip("/")
            self._region = match[1]
            self.enabled = self._refusals < FAST_PATH_REFUSALS

    def get(self, key: str) -> tuple[bytes | None, bool, bool]:
        """(the object's bytes or None, whether a request was sent, whether S3 asked to
        slow down)."""
        if not self.enabled or self._credentials is None or self._http is None:
            return None, False, False
        credentials = self._credentials.get_frozen_credentials()
        path = f"{self._path}/{quote(key, safe='/~')}"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        headers = {
            "host": self._host,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            "x-amz-date": stamp,
        }
        if credentials.token:
            headers["x-amz-security-token"] = credentials.token
        names = sorted(headers)
        signed = ";".join(names)
        lines = ["GET", path, "", *(f"{n}:{headers[n]}" for n in names), "", signed]
        canonical = "\n".join([*lines, "UNSIGNED-PAYLOAD"])
        scope = f"{day}/{self._region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signature = hmac.new(
            self._signing_key(credentials.secret_key, day), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}"
        )
        request = AWSPreparedRequest("GET", self._origin + path, headers, None, False)
        try:
            response = self._http.send(request)
        except Exception:  # any transport trouble: boto3 retries and reports it
            return None, True, False
        status = response.status_code
        if status == 200:
            content = response.content
            length = response.headers.get("content-length")
            if length is not None and length.isdigit() and int(length) != len(content):
                return None, True, False  # cut short: boto3 checks lengths and retries
            return bytes(content), True, False
        if status in (301, 307, 400, 403):
            with self._lock:
                self._refusals += 1
                if self._refusals >= FAST_PATH_REFUSALS:
                    self.enabled = False
        return None, True, status == 503

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._keys.get((secret, day))
        if cached is not None:
            return cached
        key = f"AWS4{secret}".encode()
        for part in (day, self._region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        if len(self._keys) > 8:
            self._keys.clear()
        self._keys[(secret, day)] = key
        return key


# -- the sync ----------------------------------------------------------------------------


@dataclass(eq=False)
class _Place:
    """One account-region of the trail."""

    account: str
    region: str
    base: str  # ".../AWSLogs/[o-org/]<account>/CloudTrail/<region>/"
    progress: RegionProgress
    months: set[tuple[int, int]] | None = None  # those that exist, when pruned
    days_total: int = 0
    days_finished: int = 0
    failed: bool = False


@dataclass(eq=False)
class _Day:
    place: _Place
    prefix: str
    keys: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    next: int = 0  # keys before this are done and behind the cursor
    done: set[int] = field(default_factory=set)  # done, not yet contiguous with `next`
    resolved: int = 0  # done or failed
    finished: bool = False


@dataclass(eq=False)
class _Object:
    day: _Day
    index: int
    decoding: bool = False  # the download is over; a worker process decodes it


@dataclass
class _Listing:
    keys: list[tuple[str, int]] = field(default_factory=list)
    requests: int = 0
    error: BaseException | None = None


@dataclass
class _Fetched:
    data: bytes | None = None  # to decode in a worker process
    decoded: _Decoded | None = None  # decoded in the download thread
    error: BaseException | None = None
    requests: int = 0
    throttles: int = 0


class _Fatal(Exception):
    """Nothing else in the bucket can be read; the message is the SyncError's."""


class _S3Sync:
    def __init__(
        self,
        cache: Cache,
        bucket: str,
        prefix: str,
        *,
        accounts: list[str] | None,
        regions: list[str] | None,
        first_day: date,
        last_day: date,
        profile: str | None,
        endpoint_url: str | None,
        scope: Scope,
        on_progress: ProgressCallback | None,
        should_stop: StopCheck | None,
        threads: int,
    ) -> None:
        self.cache = cache
        self.bucket = bucket
        self.prefix = prefix
        self.source = f"s3://{bucket}/{prefix}"
        self.accounts = list(dict.fromkeys(accounts)) if accounts else None
        self.regions = list(dict.fromkeys(regions)) if regions else None
        self.first_day = first_day
        self.last_day = last_day
        self.profile = profile
        self.endpoint_url = endpoint_url
        self.scope = scope
        self.on_progress = on_progress
        self.should_stop = should_stop
        self.threads = threads
        self.limit = threads * 2
        self.summary = SyncSummary(source=self.source)
        self.places: list[_Place] = []
        self.inflight: dict[Future[Any], _Object] = {}
        self.batch: list[tuple[_Object, list[Event]]] = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        self.last_report = 0.0
        self.scheduled_bytes = 0
        self.stopping = False
        self.dropped_problems = 0
        self.decoders: multiprocessing.pool.Pool | None = None
        self.client: Any = None
        self.fast: _FastGet | None = None

    # -- running ---------------------------------------------------------------------

    def run(self) -> SyncSummary:
        session = make_session(self.profile)
        try:
            self.client = session.client(
                "s3",
                region_name=session.region_name,
                endpoint_url=self.endpoint_url,
                config=Config(
                    retries={"mode": "standard", "max_attempts": 5},
                    max_pool_connections=self.threads + LIST_THREADS + 2,
                    user_agent_extra="rdstrail",
                    # S3-compatible servers (MinIO, SeaweedFS...) want the bucket in the path.
                    s3={"addressing_style": "path"} if self.endpoint_url else None,
                ),
            )
        except ValueError as error:  # botocore: "Invalid endpoint: ..."
            raise SyncError(f"{self.source}: {error}: check --endpoint-url") from None
        except botocore.exceptions.BotoCoreError as error:
            raise SyncError(self._describe(error, self.source)) from None
        self.fast = _FastGet(self.client, session)
        listers = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="rdstrail-s3-list")
        downloads = ThreadPoolExecutor(self.threads, thread_name_prefix="rdstrail-s3-get")
        clean = False
        try:
            self._discover(listers)
            self._report(force=True)
            self._sync_days(listers, downloads)
            clean = True
        except _Fatal as fatal:
            self._wind_down()
            raise SyncError(str(fatal)) from None
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._cancel_queued()
            self._flush()
            raise
        finally:
            listers.shutdown(wait=clean, cancel_futures=True)
            downloads.shutdown(wait=clean, cancel_futures=True)
            if self.decoders is not None:
                if clean:
                    self.decoders.close()
                else:
                    self.decoders.terminate()
                self.decoders.join()
            self.summary.finished = time.monotonic()
            if self.dropped_problems:
                self.summary.problems.append(f"... and {self.dropped_problems} more problems")
            if self.places:
                self.cache.record_source(self.source, "s3", self.summary.events_new)
        self._report(force=True)
        return self.summary

    def _wind_down(self) -> None:
        """After a fatal error: keep what is decoded, cursors included, start nothing."""
        self.stopping = True
        self._cancel_queued()
        while self.inflight:
            try:
                self._pump()
            except _Fatal:
                continue
        self._flush()

    # -- discovery -------------------------------------------------------------------

    def _discover(self, listers: ThreadPoolExecutor) -> None:
        """The account-regions under the URL, and which months exist when the window is
        long. Any failure of the first listing is fatal: nothing else could be read."""
        try:
            folders = self._folders(self.prefix)
        except botocore.exceptions.ClientError as error:
            raise _Fatal(self._describe(error, self.source)) from None
        except botocore.exceptions.BotoCoreError as error:
            raise _Fatal(self._describe(error, self.source)) from None
        assert self.fast is not None
        self.fast.adopt()
        parts = self.prefix.split("/")[:-1]
        if LOGS_FOLDER in parts:
            at = len(parts) - 1 - parts[::-1].index(LOGS_FOLDER)
            logs = "/".join(parts[: at + 1]) + "/"
            below = parts[at + 1 :]
        elif LOGS_FOLDER in folders:
            logs = f"{self.prefix}{LOGS_FOLDER}/"
            below = []
        else:
            raise _Fatal(
                f"{self.source}: no CloudTrail logs here: expected {LOGS_FOLDER}/ under it "
                f"(s3://BUCKET/[PREFIX/]{LOGS_FOLDER}/<account>/{TRAIL_FOLDER}/<region>/...)"
            )
        accounts = self._accounts(logs, below, folders)
        if self.accounts is not None:
            found_accounts = {account for _, account in accounts}
            missing = [a for a in self.accounts if a not in found_accounts]
            accounts = [pair for pair in accounts if pair[1] in set(self.accounts)]
            if missing:
                self._problem(f"{self.source}: no logs of account {', '.join(missing)} here")
        trail_at = below.index(TRAIL_FOLDER) if TRAIL_FOLDER in below else -1
        only_region = below[trail_at + 1] if 0 <= trail_at < len(below) - 1 else None
        futures = [
            (account, base, listers.submit(self._folders_counted, f"{base}{TRAIL_FOLDER}/"))
            for base, account in accounts
        ]
        found_regions: set[str] = set()
        for account, base, future in futures:
            names, requests, failure = future.result()
            if failure is not None:
                where = f"s3://{self.bucket}/{base}{TRAIL_FOLDER}/"
                self._check_fatal(failure, where)
                progress = self.summary.region("*", account)
                progress.requests += requests
                progress.error = self._describe(failure, where)
                self._problem(progress.error)
                continue
            found = [
                _Place(
                    account,
                    region,
                    f"{base}{TRAIL_FOLDER}/{region}/",
                    self.summary.region(region, account),
                )
                for region in names
                if (only_region is None or region == only_region)
                and (self.regions is None or region in self.regions)
            ]
            found_regions.update(names)
            if found:
                found[0].progress.requests += requests  # the listing of the account's regions
            self.places.extend(found)
        if self.regions is not None:
            missing = [r for r in self.regions if r not in found_regions]
            if missing:
                self._problem(f"{self.source}: no logs of region {', '.join(missing)} here")
        if not self.places:
            self._problem(f"{self.source}: no account-region with CloudTrail logs found here")
        if (self.last_day - self.first_day).days > PRUNE_AFTER_DAYS:
            self._prune_months(listers)
        days = self._days()
        for place in self.places:
            place.days_total = sum(1 for day in days if self._has_month(place, day))
            place.progress.done = place.days_total == 0

    def _accounts(self, logs: str, below: list[str], folders: list[str]) -> list[tuple[str, str]]:
        """(account folder, account id) pairs under AWSLogs/, as the URL narrows them."""
        if below and _ORG.fullmatch(below[0]):
            org, rest = [below[0]], below[1:]
        else:
            org, rest = [], below
        if rest:
            if not _ACCOUNT.fullmatch(rest[0]) or (len(rest) > 1 and rest[1] != TRAIL_FOLDER):
                raise _Fatal(
                    f"{self.source}: not a folder of a trail: point the URL at the bucket, "
                    f"{LOGS_FOLDER}/, an organization, an account or a region folder "
                    "(use --since/--until for dates)"
                )
            if len(rest) > 3:
                raise _Fatal(
                    f"{self.source}: point the URL at a region folder at most "
                    "(use --since/--until for dates)"
                )
            return [(logs + "/".join([*org, rest[0]]) + "/", rest[0])]
        if org:
            base = f"{logs}{org[0]}/"
            names = folders if base == self.prefix else self._listed(base)
            return [(f"{base}{name}/", name) for name in names if _ACCOUNT.fullmatch(name)]
        top = folders if logs == self.prefix else self._listed(logs)
        found = [(f"{logs}{name}/", name) for name in top if _ACCOUNT.fullmatch(name)]
        for name in top:
            if _ORG.fullmatch(name):
                found.extend(
                    (f"{logs}{name}/{account}/", account)
                    for account in self._listed(f"{logs}{name}/")
                    if _ACCOUNT.fullmatch(account)
                )
        return found

    def _listed(self, prefix: str) -> list[str]:
        try:
            return self._folders(prefix)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
            raise _Fatal(self._describe(error, f"s3://{self.bucket}/{prefix}")) from None

    def _folders(self, prefix: str) -> list[str]:
        """The names of the folders right under `prefix`."""
        names: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for entry in page.get("CommonPrefixes") or []:
                name = str(entry.get("Prefix", ""))[len(prefix) :].rstrip("/")
                if name:
                    names.append(name)
        return names

    def _folders_counted(self, prefix: str) -> tuple[list[str], int, BaseException | None]:
        """_folders on a lister thread: (names, requests, error) instead of raising."""
        requests = 0

        def count(**_: Any) -> None:
            nonlocal requests
            requests += 1

        names: list[str] = []
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                count()
                for entry in page.get("CommonPrefixes") or []:
                    name = str(entry.get("Prefix", ""))[len(prefix) :].rstrip("/")
                    if name:
                        names.append(name)
        except Exception as error:
            return names, max(requests, 1), error
        return names, requests, None

    def _prune_months(self, listers: ThreadPoolExecutor) -> None:
        """For a long window: the months each account-region has logs for (a listing of its
        years, then of the months of each year in the window)."""
        first, last = self.first_day, self.last_day

        def months(place: _Place) -> tuple[_Place, set[tuple[int, int]], int, BaseException | None]:
            found: set[tuple[int, int]] = set()
            years, requests, error = self._folders_counted(place.base)
            for year in years:
                if error is not None or not _YEAR.fullmatch(year):
                    continue
                if not first.year <= int(year) <= last.year:
                    continue
                names, more, error = self._folders_counted(f"{place.base}{year}/")
                requests += more
                found.update((int(year), int(m)) for m in names if _MONTH.fullmatch(m))
            return place, found, requests, error

        for place, found, requests, error in listers.map(months, self.places):
            place.progress.requests += requests
            if error is not None:
                self._check_fatal(error, f"s3://{self.bucket}/{place.base}")
                # Unknown: try every day of the window rather than miss one.
                continue
            place.months = found

    def _days(self) -> list[date]:
        """The days of the window, newest first."""
        count = (self.last_day - self.first_day).days + 1
        return [self.last_day - timedelta(days=offset) for offset in range(count)]

    @staticmethod
    def _has_month(place: _Place, day: date) -> bool:
        return place.months is None or (day.year, day.month) in place.months

    # -- the days --------------------------------------------------------------------

    def _units(self) -> Iterator[tuple[_Place, str]]:
        for day in self._days():
            for place in self.places:
                if self._has_month(place, day):
                    yield place, f"{place.base}{day:%Y/%m/%d}/"

    def _sync_days(self, listers: ThreadPoolExecutor, downloads: ThreadPoolExecutor) -> None:
        units = self._units()
        listings: deque[tuple[_Place, str, Future[_Listing]]] = deque()
        try:
            while not self.stopping:
                while len(listings) < LIST_AHEAD:
                    unit = next(units, None)
                    if unit is None:
                        break
                    place, prefix = unit
                    after = self.cache.get_cursor(self.source, prefix)
                    if after is not None and not after.startswith(prefix):
                        after = None
                    listings.append((place, prefix, listers.submit(self._list, prefix, after)))
                if not listings:
                    break
                place, prefix, listing = listings.popleft()
                self._pump_until(listing)
                if self.stopping:
                    break
                day = self._accept(place, prefix, listing.result())
                if day is not None:
                    for index in range(day.next, len(day.keys)):
                        if index not in day.done:
                            self._submit(downloads, day, index)
                        if self.stopping:
                            break
            while self.inflight:
                self._pump()
        finally:
            for _, _, listing in listings:
                listing.cancel()
        self._flush()
        if not self.stopping:
            for place in self.places:
                place.progress.done = not place.failed

    def _list(self, prefix: str, after: str | None) -> _Listing:
        """Every key of a day prefix after `after`, in key order (on a lister thread)."""
        listing = _Listing()
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        if after:
            arguments["StartAfter"] = after
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(**arguments):
                listing.requests += 1
                for entry in page.get("Contents") or []:
                    listing.keys.append((str(entry["Key"]), int(entry.get("Size", 0))))
        except Exception as error:
            listing.requests = max(listing.requests, 1)
            listing.error = error
        return listing

    def _accept(self, place: _Place, prefix: str, listing: _Listing) -> _Day | None:
        place.progress.requests += listing.requests
        if listing.error is not None:
            where = f"s3://{self.bucket}/{prefix}"
            self._check_fatal(listing.error, where)
            place.failed = True
            place.progress.error = self._describe(listing.error, where)
            self._problem(place.progress.error)
            self._day_finished(place)
            return None
        day = _Day(place, prefix)
        for index, (key, size) in enumerate(sorted(listing.keys)):
            day.keys.append(key)
            day.sizes.append(size)
            name = key.rsplit("/", 1)[-1]
            if key.endswith("/") or not is_event_file_name(name):
                day.done.add(index)  # a folder marker or not a log file: nothing to read
                day.resolved += 1
        self._advance(day)
        self._check_day(day)
        return day

    # -- objects ---------------------------------------------------------------------

    def _submit(self, downloads: ThreadPoolExecutor, day: _Day, index: int) -> None:
        while len(self.inflight) >= self.limit and not self.stopping:
            self._pump()
        if self.stopping:
            return
        self.scheduled_bytes += day.sizes[index]
        inline = not self._use_decoders()
        future = downloads.submit(self._fetch, day.keys[index], inline)
        self.inflight[future] = _Object(day, index)

    def _use_decoders(self) -> bool:
        if self.decoders is not None:
            return True
        if self.scheduled_bytes < PARALLEL_MIN_BYTES or worker_count() < 2:
            return False
        # spawn, not fork: this process runs threads, and forking them can deadlock.
        context = multiprocessing.get_context("spawn")
        with _stderr_with_a_descriptor():
            self.decoders = context.Pool(worker_count(), _start_decoder)
        return True

    def _fetch(self, key: str, inline: bool) -> _Fetched:
        """Download one object, and decode it when `inline` (on a download thread)."""
        assert self.fast is not None
        fetched = _Fetched()
        try:
            data, tried, throttled = self.fast.get(key)
            fetched.requests += tried
            fetched.throttles += throttled
            if data is None:
                fetched.requests += 1
                response = self.client.get_object(Bucket=self.bucket, Key=key)
                data = response["Body"].read()
        except Exception as error:
            fetched.error = error
            return fetched
        if inline:
            fetched.decoded = _decode(self._url(key), data, self.scope)
        else:
            fetched.data = data
        return fetched

    def _pump(self) -> None:
        """Handle what finished (waiting for at least one), then flush and report."""
        done, _ = wait(self.inflight, return_when=FIRST_COMPLETED)
        self._handle(done)

    def _pump_until(self, listing: Future[_Listing]) -> None:
        while not listing.done():
            done, _ = wait([*self.inflight, listing], return_when=FIRST_COMPLETED)
            self._handle(done - {listing})

    def _handle(self, done: set[Future[Any]]) -> None:
        for future in done:
            obj = self.inflight.pop(future, None)
            if obj is None or future.cancelled():
                continue
            self._complete(future, obj)
        if self.batch and (
            self.batch_events >= FLUSH_EVENTS
            or len(self.batch) >= FLUSH_OBJECTS
            or time.monotonic() - self.last_flush >= FLUSH_SECONDS
        ):
            self._flush()
        self._report()
        if not self.stopping and self.should_stop is not None and self.should_stop():
            self.summary.interrupted = True
            self.stopping = True
            self._cancel_queued()

    def _complete(self, future: Future[Any], obj: _Object) -> None:
        day, key = obj.day, obj.day.keys[obj.index]
        progress = day.place.progress
        if obj.decoding:
            try:
                decoded: _Decoded = future.result()
            except Exception as error:  # a decoder process died
                self._failed(obj, f"{self._url(key)}: cannot decode ({type(error).__name__})")
                return
            self._decoded(obj, decoded)
            return
        fetched: _Fetched = future.result()
        progress.requests += fetched.requests
        progress.throttles += fetched.throttles
        if fetched.error is not None:
            self._fetch_failed(obj, fetched.error)
            return
        progress.objects += 1
        if fetched.decoded is not None:
            self._decoded(obj, fetched.decoded)
        elif fetched.data is not None and not self.stopping and self.decoders is not None:
            obj.decoding = True
            decoding: Future[_Decoded] = Future()
            decoding.set_running_or_notify_cancel()
            self.decoders.apply_async(
                _decode,
                (self._url(key), fetched.data, self.scope),
                callback=decoding.set_result,
                error_callback=decoding.set_exception,
            )
            self.inflight[decoding] = obj
        # else: stopping with an object not decoded yet; it is read again next time.

    def _fetch_failed(self, obj: _Object, error: BaseException) -> None:
        where = self._url(obj.day.keys[obj.index])
        self._check_fatal(error, where)
        if error_code(error) == "NoSuchKey":
            # Deleted since the listing (a lifecycle rule): nothing left to read.
            self._problem(f"{where}: deleted before it could be read")
            self.batch.append((obj, []))
            return
        self._failed(obj, self._describe(error, where))

    def _failed(self, obj: _Object, line: str) -> None:
        """An object that may be readable next time: it holds its prefix's cursor."""
        obj.day.place.progress.error = line
        self._problem(line)
        obj.day.resolved += 1
        self._check_day(obj.day)

    def _decoded(self, obj: _Object, decoded: _Decoded) -> None:
        result = decoded.result
        obj.day.place.progress.events_seen += result.kept
        for line in result.problems:
            self._problem(line)
        if decoded.error is not None:
            self._problem(decoded.error)
        self.batch.append((obj, decoded.events))
        self.batch_events += len(decoded.events)

    def _flush(self) -> None:
        """Insert the batch (a transaction per account-region), then move the cursors over
        the objects it holds."""
        if not self.batch:
            return
        groups: dict[int, tuple[_Place, list[Event]]] = {}
        for obj, events in self.batch:
            if events:
                groups.setdefault(id(obj.day.place), (obj.day.place, []))[1].extend(events)
        for place, events in groups.values():
            place.progress.events_new += self.cache.insert(events)
        days: dict[int, _Day] = {}
        for obj, _ in self.batch:
            obj.day.done.add(obj.index)
            obj.day.resolved += 1
            days[id(obj.day)] = obj.day
        self.batch = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        for day in days.values():
            self._advance(day)
            self._check_day(day)

    def _advance(self, day: _Day) -> None:
        start = day.next
        while day.next in day.done:
            day.done.discard(day.next)
            day.next += 1
        if day.next > start:
            self.cache.set_cursor(self.source, day.prefix, day.keys[day.next - 1])

    def _check_day(self, day: _Day) -> None:
        if not day.finished and day.resolved >= len(day.keys):
            day.finished = True
            self._day_finished(day.place)

    def _day_finished(self, place: _Place) -> None:
        place.days_finished += 1
        if place.days_finished >= place.days_total and not place.failed:
            place.progress.done = True

    def _cancel_queued(self) -> None:
        self.stopping = True
        for future in list(self.inflight):
            if future.cancel():
                del self.inflight[future]

    # -- reporting -------------------------------------------------------------------

    def _url(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def _problem(self, line: str) -> None:
        if len(self.summary.problems) < MAX_PROBLEMS:
            self.summary.problems.append(line)
        else:
            self.dropped_problems += 1

    def _report(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self.last_report >= PROGRESS_SECONDS:
            self.last_report = now
            self.on_progress(self.summary)

    def _check_fatal(self, error: BaseException, where: str) -> None:
        if isinstance(error, _FATAL_ERRORS) or error_code(error) in _FATAL_CODES:
            what = self.source if error_code(error) == "NoSuchBucket" else where
            raise _Fatal(self._describe(error, what))

    def _describe(self, error: BaseException, what: str) -> str:
        """One line: describe_aws_error, with S3's own refusals said plainly."""
        code = error_code(error)
        named = f"profile {self.profile!r}" if self.profile else "the default credentials"
        if code in _WRONG_REGION or code == "301":
            region = _bucket_region(error)
            where = f" ({region})" if region else ""
            return (
                f"{what}: the bucket is in another region{where} than the one asked: "
                "pass --region or set AWS_REGION to the bucket's region"
            )
        if code == "SignatureDoesNotMatch":
            return (
                f"{what}: S3 refused the signature of {named} (SignatureDoesNotMatch): the "
                "secret access key does not match the access key id"
            )
        if code == "InvalidAccessKeyId":
            return (
                f"{what}: S3 does not know the access key id of {named} (InvalidAccessKeyId): "
                "check the credentials, or the endpoint"
            )
        if code == "RequestTimeTooSkewed":
            return f"{what}: this machine's clock is too far from S3's: set the time right"
        if code == "NoSuchBucket":
            return f"{what}: no such bucket {self.bucket!r}: check the name in the s3:// URL"
        return describe_aws_error(error, what=what, profile=self.profile)


def _bucket_region(error: BaseException) -> str | None:
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    region = response.get("Error", {}).get("Region")
    if region:
        return str(region)
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get("x-amz-bucket-region")
    return str(value) if value else None
