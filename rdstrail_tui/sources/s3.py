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
exist are listed first, so a wide --since costs little on a young trail. The newest days are
read first, so an interrupted sync has already cached the most recent events.

Cursor. Source `s3://bucket/prefix` (the URL, normalised), one key per day prefix, whose
value is the last key of that prefix up to which every object is cached. Listing resumes
with StartAfter=<that key>: within a day prefix CloudTrail's key names sort by delivery time,
so objects delivered later list after it. The cursor moves only over objects whose events
are committed, or which can never be read (a corrupt file, a key deleted meanwhile); an
object that failed for a reason that may pass (access denied, network) holds its prefix's
cursor before it, and is fetched again next time with what follows it (the cache ignores
the duplicates).

Pipeline. One event loop on the calling thread: lister threads list day prefixes a few
ahead, `threads` download threads fetch objects, and the loop hands them on and moves the
cursors. The Cache, on_progress and should_stop are only used on the calling thread. At most
`threads * 2` objects are between the start of their download and the end of their decoding
at any time, whatever the size of the bucket. A small sync decodes on the download threads
and inserts on the calling thread, in batches. Once a few megabytes are due, decoder
processes start (one per core, as for `rdstrail load`): they decode small batches and insert
their events through connections of their own, many objects per transaction, and say which
batches are committed; only then does the calling thread move those cursors. So downloads,
decoding and inserts run side by side instead of taking turns on one GIL.

Requests. Discovery and every request that does not go as expected use boto3 (retries,
region redirects, error parsing, credentials). The many small requests of a sync (an
object's GET, a day prefix's listing) first take a fast path: a SigV4-signed HTTP/1.1 GET on
a kept-alive connection per thread, to the endpoint and signing region that boto3 itself
used for the bucket. It costs a tenth of boto3's CPU per request, which on a large trail is
what keeps the network from starving the decoders. Anything but a complete 200 answer (an
error, a redirect, a proxy in the way, a TLS problem) goes to boto3 instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import queue
import re
import signal
import socket
import ssl
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

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
from rdstrail_tui.sources.files import is_event_file_name
from rdstrail_tui.sources.sync import (
    ProgressCallback,
    RegionProgress,
    StopCheck,
    SyncError,
    SyncSummary,
)

if TYPE_CHECKING:
    import boto3

# boto3 and the AWS helpers are imported where they are used, not here: the decoder
# processes import this module, and need none of them.

DEFAULT_DAYS = 7
# A file is delivered minutes after its events: one of the last hour may sit in the next
# day's folder.
LATE_DELIVERY = timedelta(hours=1)
# Above this many days, list which years and months exist instead of trying every day.
PRUNE_AFTER_DAYS = 62
LOGS_FOLDER = "AWSLogs"
TRAIL_FOLDER = "CloudTrail"
LIST_THREADS = 4
LIST_AHEAD = 16  # day prefixes being listed at once
READY_MAX = 4096  # keys listed and waiting for a download thread
# Decoding in worker processes, a few objects per task.
DECODE_BATCH_BYTES = 1024 * 1024
# A decoder commits after this many objects, or when no work came for COMMIT_WAIT seconds.
COMMIT_OBJECTS = 128
COMMIT_WAIT = 0.02
# An insert batch: one transaction per account-region in it.
FLUSH_EVENTS = 10_000
FLUSH_OBJECTS = 256
FLUSH_SECONDS = 1.0
PROGRESS_SECONDS = 0.1
MAX_PROBLEMS = 200
# Refusals of the fast path (a signature S3 does not like) before it is given up for good.
FAST_PATH_REFUSALS = 3
HTTP_TIMEOUT = 60.0
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 512 * 1024 * 1024

_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")
_ACCOUNT = re.compile(r"\d{12}")
_ORG = re.compile(r"o-[a-z0-9]{1,32}")  # AWS makes 10 to 32; examples use fewer
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
_FATAL_ERRORS = (
    "NoCredentialsError",
    "PartialCredentialsError",
    "CredentialRetrievalError",
    "TokenRetrievalError",
    "SSOError",
    "EndpointConnectionError",
    "ProxyConnectionError",
    "SSLError",
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
            f"{url!r}: {bucket!r} is not a bucket name (letters, digits, '.' and '-') "
            ": write s3://BUCKET or s3://BUCKET/PREFIX"
        )
    prefix = prefix.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


_DEFAULT_SCOPE = Scope()


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
    scope: Scope = _DEFAULT_SCOPE,
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


# -- decoding (on a download thread, or in a worker process) ------------------------------


@dataclass
class _Decoded:
    events: list[Event]
    result: ChunkResult
    error: str | None = None  # the whole object could not be read


def _decode(name: str, data: bytes, scope: Scope) -> _Decoded:
    """The in-scope events of one object. Runs in worker processes: touches nothing but
    its arguments."""
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
    except Exception as error:  # something odd enough to upset a decoder: a line, no trace
        result.bad_files += 1
        return _Decoded([], result, f"{name}: cannot decode ({type(error).__name__}: {error})")
    return _Decoded(events, result)


@dataclass
class _Decodes:
    """A decoder decoded batch `number` (its events wait in the decoder for a commit)."""

    number: int
    results: list[_Decoded]


@dataclass
class _Commits:
    """A decoder inserted the events of these batches; `new` per group (account-region).
    `error` when it could not: the batches are then not cached."""

    numbers: list[int]
    new: dict[int, int] = field(default_factory=dict)
    error: str | None = None


def _decoder_main(connection: Connection, cache_path: str, scope: Scope) -> None:
    """A decoder process. In: batches (number, [(group, name, data)]), then None. Out: a
    _Decodes for each batch as soon as it is decoded (its bytes are freed), and a _Commits
    once its events are in the cache: the caller moves cursors only on that. Events wait
    for COMMIT_OBJECTS objects, or for a pause in the work, so that a transaction holds
    many objects: commits, not inserts, are what many writers pay for."""
    # The parent alone handles Ctrl-C; it then terminates the decoders.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        cache = Cache.open(Path(cache_path), create=False)
    except Exception:  # the parent sees the pipe close: its batches are read again later
        return
    with cache:
        numbers: list[int] = []
        groups: dict[int, list[Event]] = {}
        objects = 0

        def commit() -> None:
            nonlocal numbers, groups, objects
            if not numbers:
                return
            done = _Commits(numbers)
            try:
                for group, events in groups.items():
                    done.new[group] = cache.insert(events)
            except Exception as error:  # the cache refused (disk full...): say so, go on
                done.error = f"{type(error).__name__}: {error}"
            numbers, groups, objects = [], {}, 0
            connection.send(done)

        try:
            while True:
                if numbers and not connection.poll(0 if objects >= COMMIT_OBJECTS else COMMIT_WAIT):
                    commit()
                    continue
                task = connection.recv()
                if task is None:
                    commit()
                    return
                number, items = task
                results = []
                for group, name, data in items:
                    decoded = _decode(name, data, scope)
                    groups.setdefault(group, []).extend(decoded.events)
                    decoded.events = []
                    results.append(decoded)
                del task, items
                numbers.append(number)
                objects += len(results)
                connection.send(_Decodes(number, results))
        except (EOFError, OSError):
            return


_CLOSE = object()  # ends a _Decoders sender thread


class _Decoders:
    """Worker processes that decode objects and insert their events, each with its own
    connection to the cache, as `rdstrail load` does. One reader thread hands every answer
    to `post`; a process that dies fails its uncommitted batches (read again next time)."""

    def __init__(
        self,
        count: int,
        cache_path: Path,
        scope: Scope,
        post: Callable[[_Decodes | _Commits], None],
    ) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._pending: dict[Connection, set[int]] = {}  # sent, not committed
        self._decoding: dict[Connection, int] = {}  # sent, not decoded
        self._processes: dict[Connection, multiprocessing.process.BaseProcess] = {}
        self._outboxes: dict[Connection, queue.SimpleQueue[Any]] = {}
        self._senders: list[threading.Thread] = []
        # spawn, not fork: this process runs threads, and forking them can deadlock.
        context = multiprocessing.get_context("spawn")
        with _stderr_with_a_descriptor():
            for _ in range(count):
                parent, child = context.Pipe()
                process = context.Process(
                    target=_decoder_main,
                    args=(child, str(cache_path), scope),
                    name="rdstrail-s3-decoder",
                    daemon=True,
                )
                process.start()
                child.close()
                self._pending[parent] = set()
                self._decoding[parent] = 0
                self._processes[parent] = process
                outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
                self._outboxes[parent] = outbox
                sender = threading.Thread(
                    target=self._send,
                    args=(parent, outbox),
                    name="rdstrail-s3-decode",
                    daemon=True,
                )
                sender.start()
                self._senders.append(sender)
        self._reader = threading.Thread(target=self._read, name="rdstrail-s3-decoded", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def submit(self, number: int, items: list[tuple[int, str, bytes]]) -> bool:
        """Queue a batch for the least busy process; False when none is left. A sender
        thread per process writes it: a pipe holds less than a batch, and the caller must
        not wait for a busy decoder to read."""
        with self._lock:
            if not self._pending:
                return False
            connection = min(self._decoding, key=self._decoding.__getitem__)
            self._pending[connection].add(number)
            self._decoding[connection] += 1
            self._outboxes[connection].put((number, items))
        return True

    def _send(self, connection: Connection, outbox: queue.SimpleQueue[Any]) -> None:
        while True:
            task = outbox.get()
            if task is _CLOSE:
                return
            try:
                connection.send(task)
            except (OSError, ValueError):
                self._lost(connection)
                return

    def _read(self) -> None:
        while True:
            with self._lock:
                connections = list(self._pending)
            if not connections:
                return
            try:
                ready = multiprocessing.connection.wait(connections, timeout=0.5)
            except (OSError, ValueError):  # closed meanwhile by close()
                continue
            for connection in ready:
                assert isinstance(connection, Connection)
                with self._lock:
                    if connection not in self._pending:
                        continue
                try:
                    answer = connection.recv()
                except (EOFError, OSError, ValueError):
                    self._lost(connection)
                    continue
                with self._lock:
                    if isinstance(answer, _Decodes) and connection in self._decoding:
                        self._decoding[connection] -= 1
                    elif isinstance(answer, _Commits):
                        self._pending.get(connection, set()).difference_update(answer.numbers)
                self._post(answer)

    def _lost(self, connection: Connection) -> None:
        with self._lock:
            numbers = self._pending.pop(connection, None)
            self._decoding.pop(connection, None)
            process = self._processes.pop(connection, None)
        if numbers is None:
            return
        if process is not None:
            process.join(timeout=0.1)
        if numbers:
            self._post(_Commits(sorted(numbers), error="a decoder process died"))

    def close(self, *, wait: bool) -> None:
        with self._lock:
            connections = list(self._processes.items())
            self._pending.clear()
            self._decoding.clear()
            self._processes.clear()
            for outbox in self._outboxes.values():
                if wait:
                    outbox.put(None)  # the decoder's end of work, after what is queued
                outbox.put(_CLOSE)
        for sender in self._senders:
            sender.join(timeout=10 if wait else 0.1)
        for connection, process in connections:
            if wait:
                process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            with contextlib.suppress(OSError):
                connection.close()


# -- the fast path ------------------------------------------------------------------------


class _Http:
    """A minimal HTTP/1.1 client: GET only, one kept-alive connection per thread, bodies
    delimited by Content-Length or chunked. Returns None on anything it does not expect;
    the caller then asks boto3."""

    def __init__(self, scheme: str, host: str, port: int, context: ssl.SSLContext | None):
        self._scheme = scheme
        self._host = host
        self._port = port
        self._context = context
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()

    def get(self, target: str, headers: str) -> tuple[int, dict[str, str], bytes] | None:
        request = f"GET {target} HTTP/1.1\r\n{headers}\r\n".encode()
        for attempt in range(2):
            reused = getattr(self._local, "sock", None) is not None
            try:
                sock = self._connection()
                sock.sendall(request)
                answer = self._response(sock)
            except (OSError, ValueError):
                self._drop()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: once more
                return None
            if answer is None:
                self._drop()
            return answer
        return None

    def _connection(self) -> socket.socket:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is not None:
            return sock
        sock = socket.create_connection((self._host, self._port), timeout=HTTP_TIMEOUT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self._host)
        self._local.sock = sock
        self._local.buffer = b""
        with self._lock:
            self._sockets.add(sock)
        return sock

    def _drop(self) -> None:
        sock = getattr(self._local, "sock", None)
        self._local.sock = None
        self._local.buffer = b""
        if sock is not None:
            with self._lock:
                self._sockets.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()

    def close(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def _response(self, sock: socket.socket) -> tuple[int, dict[str, str], bytes] | None:
        buffer: bytes = self._local.buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEADER_BYTES:
                return None
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            buffer += chunk
        head = buffer[:end].decode("latin-1").split("\r\n")
        buffer = buffer[end + 4 :]
        version, _, rest = head[0].partition(" ")
        status = int(rest.split(" ", 1)[0])
        headers: dict[str, str] = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, buffer = self._chunked(sock, buffer)
        elif (length := headers.get("content-length", "")).isdigit():
            size = int(length)
            if size > MAX_BODY_BYTES:
                return None
            received = bytearray(size)
            have = min(len(buffer), size)
            received[:have] = buffer[:have]
            buffer = buffer[have:]
            view = memoryview(received)
            while have < size:
                count = sock.recv_into(view[have:])
                if not count:
                    raise ConnectionError("body cut short")
                have += count
            body = bytes(received)
        else:
            return None  # delimited by the end of the connection: leave it to boto3
        self._local.buffer = buffer
        if version != "HTTP/1.1" or headers.get("connection", "").lower() == "close":
            self._drop()
        return status, headers, body

    def _chunked(self, sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
        """A chunked body, and what follows it."""
        data = bytearray(buffer)
        body = bytearray()
        position = 0

        def need(count: int) -> None:
            while len(data) < position + count:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError("chunked body cut short")
                data.extend(chunk)

        def line() -> bytes:
            nonlocal position
            while (end := data.find(b"\r\n", position)) < 0:
                need(len(data) - position + 1)
            text = bytes(data[position:end])
            position = end + 2
            return text

        while True:
            size = int(line().split(b";", 1)[0].strip(), 16)
            if size == 0:
                while line():  # trailers, up to an empty line
                    pass
                return bytes(body), bytes(data[position:])
            if len(body) + size > MAX_BODY_BYTES:
                raise ValueError("body too large")
            need(size + 2)
            body += data[position : position + size]
            position += size + 2
            if position > 1024 * 1024:
                del data[:position]
                position = 0


class _FastS3:
    """SigV4-signed GETs of objects and listings over _Http. It learns the endpoint (scheme,
    host, bucket path) and the signing region from boto3's own ListObjectsV2 of the bucket,
    so endpoint resolution and region redirects stay boto3's."""

    _S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

    def __init__(self, client: Any, session: boto3.Session) -> None:
        self._credentials = session.get_credentials()
        self._seen = threading.local()
        self._lock = threading.Lock()
        self._http: _Http | None = None
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
        """Called after a listing by boto3 succeeded on this thread: go where it went."""
        seen = getattr(self._seen, "request", None)
        if seen is None or self._credentials is None:
            return
        url, authorization = seen
        if isinstance(authorization, bytes):
            authorization = authorization.decode("ascii", "replace")
        match = _SIGV4_SCOPE.match(authorization or "")
        parts = urlsplit(url)
        if match is None or parts.scheme not in ("http", "https") or not parts.hostname:
            return
        origin = f"{parts.scheme}://{parts.netloc}"
        import botocore.httpsession
        import botocore.utils

        if botocore.utils.get_environ_proxies(origin):
            return  # through a proxy: boto3 knows how
        context = None
        if parts.scheme == "https":
            try:
                context = ssl.create_default_context(
                    cafile=os.environ.get("AWS_CA_BUNDLE")
                    or botocore.httpsession.get_cert_path(True)
                )
            except (OSError, ssl.SSLError, ValueError):
                return
        port = parts.port or (443 if parts.scheme == "https" else 80)
        self._http = _Http(parts.scheme, parts.hostname, port, context)
        self._host = parts.netloc
        self._path = parts.path.rstrip("/")
        self._region = match[1]
        self.enabled = True

    def close(self) -> None:
        if self._http is not None:
            self._http.close()

    def get_object(self, key: str) -> tuple[bytes | None, bool, bool]:
        """(the object's bytes or None, whether a request was sent, whether S3 asked to
        slow down)."""
        answer = self._get(f"{self._path}/{quote(key, safe='/~')}", [])
        if answer is None:
            return None, self.enabled, False
        status, _, body = answer
        if status == 200:
            return body, True, False
        return None, True, status == 503

    def list_keys(self, prefix: str, after: str | None) -> tuple[list[tuple[str, int]] | None, int]:
        """Every (key, size) under `prefix` after `after`, in key order, and the requests
        made; None when boto3 should list instead."""
        if not self.enabled:
            return None, 0
        keys: list[tuple[str, int]] = []
        token: str | None = None
        requests = 0
        while True:
            query = [("list-type", "2"), ("prefix", prefix)]
            if token:
                query.append(("continuation-token", token))
            elif after:
                query.append(("start-after", after))
            requests += 1
            answer = self._get(self._path or "/", query)
            if answer is None or answer[0] != 200:
                return None, requests
            try:
                root = ElementTree.fromstring(answer[2])
            except ElementTree.ParseError:
                return None, requests
            ns = self._S3_NS if root.tag.startswith(self._S3_NS) else ""
            if root.tag != f"{ns}ListBucketResult":
                return None, requests
            for entry in root.iterfind(f"{ns}Contents"):
                key = entry.findtext(f"{ns}Key")
                size = entry.findtext(f"{ns}Size") or "0"
                if key is None or not key.startswith(prefix) or not size.isdigit():
                    return None, requests
                keys.append((key, int(size)))
            if (root.findtext(f"{ns}IsTruncated") or "").lower() != "true":
                return keys, requests
            token = root.findtext(f"{ns}NextContinuationToken")
            if not token:
                return None, requests

    def _get(
        self, path: str, query: list[tuple[str, str]]
    ) -> tuple[int, dict[str, str], bytes] | None:
        http = self._http
        if not self.enabled or http is None or self._credentials is None:
            return None
        credentials = self._credentials.get_frozen_credentials()
        canonical_query = "&".join(
            f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
            for name, value in sorted(query)
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        day = stamp[:8]
        signed_headers = {
            "host": self._host,
            "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
            "x-amz-date": stamp,
        }
        if credentials.token:
            signed_headers["x-amz-security-token"] = credentials.token
        names = sorted(signed_headers)
        signed = ";".join(names)
        lines = ["GET", path, canonical_query, *(f"{n}:{signed_headers[n]}" for n in names)]
        canonical = "\n".join([*lines, "", signed, "UNSIGNED-PAYLOAD"])
        scope = f"{day}/{self._region}/s3/aws4_request"
        to_sign = "\n".join(
            ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
        )
        signature = hmac.new(
            self._signing_key(credentials.secret_key, day), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        headers = "".join(f"{n}: {signed_headers[n]}\r\n" for n in names) + (
            f"authorization: AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={signed}, Signature={signature}\r\n"
            "user-agent: rdstrail\r\n"
        )
        target = f"{path}?{canonical_query}" if canonical_query else path
        answer = http.get(target, headers)
        if answer is not None and _refused(answer[0], answer[2]):
            with self._lock:
                self._refusals += 1
                if self._refusals >= FAST_PATH_REFUSALS:
                    self.enabled = False
        return answer

    def _signing_key(self, secret: str, day: str) -> bytes:
        cached = self._keys.get((secret, day))
        if cached is not None:
            return cached
        key = f"AWS4{secret}".encode()
        for part in (day, self._region, "s3", "aws4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        with self._lock:
            if len(self._keys) > 8:
                self._keys.clear()
            self._keys[(secret, day)] = key
        return key


_ERROR_CODE = re.compile(rb"<Code>([A-Za-z]+)</Code>")


def _refused(status: int, body: bytes) -> bool:
    """Whether S3 refused the fast path's request itself (a redirect, a signature it does
    not take), as opposed to refusing the caller access to one object."""
    if status in (301, 307, 400):
        return True
    if status != 403:
        return False
    match = _ERROR_CODE.search(body[:4096])
    return match is None or match[1] != b"AccessDenied"


# -- the sync ----------------------------------------------------------------------------


@dataclass(eq=False)
class _Place:
    """One account-region of the trail."""

    account: str
    region: str
    base: str  # ".../AWSLogs/[o-org/]<account>/CloudTrail/<region>/"
    progress: RegionProgress
    index: int = 0  # in _S3Sync.places
    months: set[tuple[int, int]] | None = None  # those that exist, when pruned
    days_total: int = 0
    days_finished: int = 0
    failed: bool = False


@dataclass(eq=False)
class _Day:
    place: _Place
    prefix: str
    keys: list[str] = field(default_factory=list)
    next: int = 0  # keys before this are done and behind the cursor
    done: set[int] = field(default_factory=set)  # done, not yet contiguous with `next`
    resolved: int = 0  # done or failed
    finished: bool = False


@dataclass(eq=False)
class _Object:
    day: _Day
    index: int
    size: int

    @property
    def key(self) -> str:
        return self.day.keys[self.index]


@dataclass
class _Listing:
    keys: list[tuple[str, int]] = field(default_factory=list)
    requests: int = 0
    error: BaseException | None = None


@dataclass
class _Fetched:
    data: bytes | None = None  # to decode in a worker process
    decoded: _Decoded | None = None  # decoded on the download thread
    error: BaseException | None = None
    requests: int = 0
    throttles: int = 0


# Messages from the threads and the decoders to the calling thread.
@dataclass
class _Listed:
    place: _Place
    prefix: str
    listing: _Listing


@dataclass
class _Downloaded:
    obj: _Object
    fetched: _Fetched


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
        self.decode_batch = max(1, self.limit // 4)
        self.summary = SyncSummary(source=self.source)
        self.places: list[_Place] = []
        self.messages: queue.Queue[_Listed | _Downloaded | _Decodes | _Commits] = queue.Queue()
        self.ready: deque[_Object] = deque()
        self.listing = 0  # day prefixes being listed
        self.downloads: dict[_Object, Future[None]] = {}  # queued or running
        self.outstanding = 0  # objects between their download and their insert
        self.to_decode: list[tuple[_Object, bytes]] = []
        self.to_decode_bytes = 0
        self.batch: list[tuple[_Object, list[Event]]] = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        self.last_report = 0.0
        self.listed_bytes = 0  # of the objects to read: past a few MB, decoders start
        self.stopping = False
        self.fatal: str | None = None
        self.dropped_problems = 0
        self.decoders: _Decoders | None = None
        self.batches: dict[int, list[_Object]] = {}  # sent to the decoders, not committed
        self.decoding: set[int] = set()  # of those, not decoded yet
        self.batch_numbers = 0
        self.client: Any = None
        self.fast: _FastS3 | None = None

    # -- running ---------------------------------------------------------------------

    def run(self) -> SyncSummary:
        import botocore.exceptions
        from botocore.config import Config

        from rdstrail_tui.sources.aws import make_session

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
        self.fast = _FastS3(self.client, session)
        listers = ThreadPoolExecutor(LIST_THREADS, thread_name_prefix="rdstrail-s3-list")
        fetchers = ThreadPoolExecutor(self.threads, thread_name_prefix="rdstrail-s3-get")
        clean = False
        try:
            try:
                self._discover(listers)
            except _Fatal as fatal:
                raise SyncError(str(fatal)) from None
            self._report(force=True)
            self._loop(listers, fetchers)
            clean = True
        except KeyboardInterrupt:
            self.summary.interrupted = True
            self._stop()
            self._flush()
            raise
        finally:
            listers.shutdown(wait=clean, cancel_futures=True)
            fetchers.shutdown(wait=clean, cancel_futures=True)
            if self.decoders is not None:
                self.decoders.close(wait=clean)
            self.fast.close()
            self.summary.finished = time.monotonic()
            if self.dropped_problems:
                self.summary.problems.append(f"... and {self.dropped_problems} more problems")
            if self.places:
                self.cache.record_source(self.source, "s3", self.summary.events_new)
        self._report(force=True)
        if self.fatal is not None:
            raise SyncError(self.fatal)
        return self.summary

    # -- discovery -------------------------------------------------------------------

    def _discover(self, listers: ThreadPoolExecutor) -> None:
        """The account-regions under the URL, and which months exist when the window is
        long. Any failure of the first listing is fatal: nothing else could be read."""
        try:
            folders = self._folders(self.prefix)
        except Exception as error:  # boto3's, whatever they are: one line
            raise SyncError(self._describe(error, self.source)) from None
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
            raise SyncError(
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
                self._raise_if_fatal(failure, where)
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
        for index, place in enumerate(self.places):
            place.index = index
        if (self.last_day - self.first_day).days > PRUNE_AFTER_DAYS:
            self._prune_months(listers)
        per_month = Counter((day.year, day.month) for day in self._days())
        for place in self.places:
            if place.months is None:
                place.days_total = sum(per_month.values())
            else:
                place.days_total = sum(per_month[month] for month in place.months)
            place.progress.done = place.days_total == 0

    def _accounts(self, logs: str, below: list[str], folders: list[str]) -> list[tuple[str, str]]:
        """(account folder, account id) pairs under AWSLogs/, as the URL narrows them."""
        if below and _ORG.fullmatch(below[0]):
            org, rest = [below[0]], below[1:]
        else:
            org, rest = [], below
        if rest:
            if not _ACCOUNT.fullmatch(rest[0]) or (len(rest) > 1 and rest[1] != TRAIL_FOLDER):
                raise SyncError(
                    f"{self.source}: not a folder of a trail: point the URL at the bucket, "
                    f"{LOGS_FOLDER}/, an organization, an account or a region folder "
                    "(use --since/--until for dates)"
                )
            if len(rest) > 3:
                raise SyncError(
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
        except Exception as error:  # boto3's, whatever they are: one line
            raise SyncError(self._describe(error, f"s3://{self.bucket}/{prefix}")) from None

    def _folders(self, prefix: str) -> list[str]:
        """The names of the folders right under `prefix` (boto3; raises its errors)."""
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
        names: list[str] = []
        requests = 0
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                requests += 1
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

        def months(place: _Place) -> tuple[set[tuple[int, int]], int, BaseException | None]:
            found: set[tuple[int, int]] = set()
            years, requests, failure = self._folders_counted(place.base)
            for year in years if failure is None else []:
                if not _YEAR.fullmatch(year) or not first.year <= int(year) <= last.year:
                    continue
                names, more, failure = self._folders_counted(f"{place.base}{year}/")
                requests += more
                if failure is not None:
                    break
                found.update((int(year), int(m)) for m in names if _MONTH.fullmatch(m))
            return found, requests, failure

        for place, (found, requests, failure) in zip(
            self.places, listers.map(months, self.places), strict=True
        ):
            place.progress.requests += requests
            if failure is not None:
                self._raise_if_fatal(failure, f"s3://{self.bucket}/{place.base}")
                continue  # unknown: try every day of the window rather than miss one
            place.months = found

    def _days(self) -> list[date]:
        """The days of the window, newest first."""
        count = (self.last_day - self.first_day).days + 1
        return [self.last_day - timedelta(days=offset) for offset in range(count)]

    def _units(self) -> Iterator[tuple[_Place, str]]:
        """(account-region, day prefix) to list, newest day first."""
        everywhere = [place for place in self.places if place.months is None]
        by_month: dict[tuple[int, int], list[_Place]] = {}
        for place in self.places:
            for month in place.months or ():
                by_month.setdefault(month, []).append(place)
        for day in self._days():
            places = by_month.get((day.year, day.month), [])
            if everywhere:  # places whose months could not be listed: every day
                places = sorted([*everywhere, *places], key=lambda place: place.index)
            for place in places:
                yield place, f"{place.base}{day:%Y/%m/%d}/"

    # -- the event loop --------------------------------------------------------------

    def _loop(self, listers: ThreadPoolExecutor, fetchers: ThreadPoolExecutor) -> None:
        units = self._units()
        more_units = True
        while True:
            if not self.stopping:
                while more_units and self.listing < LIST_AHEAD and len(self.ready) < READY_MAX:
                    unit = next(units, None)
                    if unit is None:
                        more_units = False
                        break
                    self._list_later(listers, *unit)
                while self.ready and self.outstanding < self.limit:
                    self._fetch_later(fetchers, self.ready.popleft())
                self._decode_later()
            idle = not self.listing and not self.outstanding and not self.batches
            if idle and (self.stopping or (not more_units and not self.ready)):
                break
            try:
                message = self.messages.get(timeout=PROGRESS_SECONDS)
            except queue.Empty:
                message = None
            while message is not None:
                self._receive(message)
                try:
                    message = self.messages.get_nowait()
                except queue.Empty:
                    message = None
            if self.batch and (
                self.batch_events >= FLUSH_EVENTS
                or len(self.batch) >= FLUSH_OBJECTS
                or time.monotonic() - self.last_flush >= FLUSH_SECONDS
            ):
                self._flush()
            self._report()
            if not self.stopping and self.should_stop is not None and self.should_stop():
                self.summary.interrupted = True
                self._stop()
        self._flush()
        if not self.stopping:
            for place in self.places:
                place.progress.done = not place.failed

    def _stop(self) -> None:
        """Start nothing more; what is queued is dropped (read again next time)."""
        self.stopping = True
        self.ready.clear()
        for obj, future in list(self.downloads.items()):
            if future.cancel():
                del self.downloads[obj]
                self.outstanding -= 1
        self.outstanding -= len(self.to_decode)
        self.to_decode = []
        self.to_decode_bytes = 0

    def _receive(self, message: _Listed | _Downloaded | _Decodes | _Commits) -> None:
        try:
            if isinstance(message, _Listed):
                self.listing -= 1
                if not self.stopping:
                    self._accept_listing(message.place, message.prefix, message.listing)
            elif isinstance(message, _Downloaded):
                self.downloads.pop(message.obj, None)
                self._downloaded(message.obj, message.fetched)
            elif isinstance(message, _Decodes):
                self._decodes(message)
            else:
                self._commits(message)
        except _Fatal as fatal:
            if self.fatal is None:
                self.fatal = str(fatal)
            if not self.stopping:
                self._stop()

    # -- listing ---------------------------------------------------------------------

    def _list_later(self, listers: ThreadPoolExecutor, place: _Place, prefix: str) -> None:
        after = self.cache.get_cursor(self.source, prefix)
        if after is not None and not after.startswith(prefix):
            after = None
        self.listing += 1
        listers.submit(self._list, place, prefix, after)

    def _list(self, place: _Place, prefix: str, after: str | None) -> None:
        """List one day prefix after `after` (on a lister thread) and post the result."""
        listing = _Listing()
        try:
            assert self.fast is not None
            keys, listing.requests = self.fast.list_keys(prefix, after)
            if keys is None:
                arguments: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
                if after:
                    arguments["StartAfter"] = after
                paginator = self.client.get_paginator("list_objects_v2")
                keys = []
                for page in paginator.paginate(**arguments):
                    listing.requests += 1
                    for entry in page.get("Contents") or []:
                        keys.append((str(entry["Key"]), int(entry.get("Size", 0))))
            listing.keys = keys
        except Exception as error:
            listing.requests = max(listing.requests, 1)
            listing.error = error
        finally:
            self.messages.put(_Listed(place, prefix, listing))

    def _accept_listing(self, place: _Place, prefix: str, listing: _Listing) -> None:
        place.progress.requests += listing.requests
        if listing.error is not None:
            where = f"s3://{self.bucket}/{prefix}"
            self._raise_if_fatal(listing.error, where)
            place.failed = True
            place.progress.error = self._describe(listing.error, where)
            self._problem(place.progress.error)
            self._day_finished(place)
            return
        day = _Day(place, prefix)
        objects = []
        for index, (key, size) in enumerate(sorted(listing.keys)):
            day.keys.append(key)
            if key.endswith("/") or not is_event_file_name(key.rsplit("/", 1)[-1]):
                day.done.add(index)  # a folder marker or not a log file: nothing to read
                day.resolved += 1
            else:
                objects.append(_Object(day, index, size))
                self.listed_bytes += size
        self._advance(day)
        self._check_day(day)
        self.ready.extend(objects)

    # -- downloading and decoding ----------------------------------------------------

    def _fetch_later(self, fetchers: ThreadPoolExecutor, obj: _Object) -> None:
        inline = not self._use_decoders()
        self.outstanding += 1
        self.downloads[obj] = fetchers.submit(self._fetch, obj, inline)

    def _use_decoders(self) -> bool:
        if self.decoders is not None:
            return self.decoders.alive
        if self.listed_bytes < PARALLEL_MIN_BYTES or worker_count() < 2:
            return False
        self.decoders = _Decoders(worker_count(), self.cache.path, self.scope, self._answered)
        return True

    def _answered(self, answer: _Decodes | _Commits) -> None:
        """On the decoders' reader thread: hand the answer to the calling thread."""
        self.messages.put(answer)

    def _fetch(self, obj: _Object, inline: bool) -> None:
        """Download one object, decode it when `inline` (on a download thread), post it."""
        assert self.fast is not None
        fetched = _Fetched()
        try:
            data, sent, throttled = self.fast.get_object(obj.key)
            fetched.requests += sent
            fetched.throttles += throttled
            if data is None:
                fetched.requests += 1
                response = self.client.get_object(Bucket=self.bucket, Key=obj.key)
                data = response["Body"].read()
            if inline:
                fetched.decoded = _decode(self._url(obj.key), data, self.scope)
            else:
                fetched.data = data
        except Exception as error:
            fetched.error = error
        finally:
            self.messages.put(_Downloaded(obj, fetched))

    def _downloaded(self, obj: _Object, fetched: _Fetched) -> None:
        progress = obj.day.place.progress
        progress.requests += fetched.requests
        progress.throttles += fetched.throttles
        if fetched.error is not None:
            self.outstanding -= 1
            self._fetch_failed(obj, fetched.error)
            return
        progress.objects += 1
        if fetched.decoded is not None:
            self.outstanding -= 1
            self._decoded(obj, fetched.decoded)
        elif fetched.data is not None and not self.stopping:
            self.to_decode.append((obj, fetched.data))
            self.to_decode_bytes += len(fetched.data)
        else:
            self.outstanding -= 1  # stopping: read again next time

    def _decode_later(self) -> None:
        """Hand downloaded objects to the decoders: a batch when there is enough for one,
        or whatever is there when no download is running."""
        while self.to_decode and (
            len(self.to_decode) >= self.decode_batch
            or self.to_decode_bytes >= DECODE_BATCH_BYTES
            or not self.downloads
        ):
            items, self.to_decode = (
                self.to_decode[: self.decode_batch],
                self.to_decode[self.decode_batch :],
            )
            self.to_decode_bytes -= sum(len(data) for _, data in items)
            number = self.batch_numbers
            self.batch_numbers += 1
            payload = [(obj.day.place.index, self._url(obj.key), data) for obj, data in items]
            if self.decoders is not None and self.decoders.submit(number, payload):
                self.batches[number] = [obj for obj, _ in items]
                self.decoding.add(number)
                continue
            for obj, data in items:  # no decoder process left: decode here
                self.outstanding -= 1
                self._decoded(obj, _decode(self._url(obj.key), data, self.scope))

    def _decodes(self, answer: _Decodes) -> None:
        """A batch is decoded: its objects' bytes are gone, so others may come."""
        objects = self.batches.get(answer.number)
        if objects is None or answer.number not in self.decoding:
            return
        self.decoding.discard(answer.number)
        self.outstanding -= len(objects)
        for obj, decoded in zip(objects, answer.results, strict=True):
            self._count(obj, decoded)

    def _commits(self, answer: _Commits) -> None:
        """A decoder process cached these batches (or could not)."""
        for index, new in answer.new.items():
            self.places[index].progress.events_new += new
        for number in answer.numbers:
            objects = self.batches.pop(number, None)
            if objects is None:
                continue
            if number in self.decoding:  # its decoder died first
                self.decoding.discard(number)
                self.outstanding -= len(objects)
            if answer.error is None:
                self._committed(objects)
                continue
            for obj in objects:
                self._failed(obj, f"{self._url(obj.key)}: not cached: {answer.error}")

    def _fetch_failed(self, obj: _Object, error: BaseException) -> None:
        where = self._url(obj.key)
        self._raise_if_fatal(error, where)
        if _error_code(error) == "NoSuchKey":
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
        """Decoded on this process: its events join the batch this thread inserts."""
        self._count(obj, decoded)
        self.batch.append((obj, decoded.events))
        self.batch_events += len(decoded.events)

    def _count(self, obj: _Object, decoded: _Decoded) -> None:
        obj.day.place.progress.events_seen += decoded.result.kept
        for line in decoded.result.problems:
            self._problem(line)
        if decoded.error is not None:
            self._problem(decoded.error)

    # -- committing ------------------------------------------------------------------

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
        objects = [obj for obj, _ in self.batch]
        self.batch = []
        self.batch_events = 0
        self.last_flush = time.monotonic()
        self._committed(objects)

    def _committed(self, objects: list[_Object]) -> None:
        """These objects' events are in the cache: move their prefixes' cursors."""
        days: dict[int, _Day] = {}
        for obj in objects:
            obj.day.done.add(obj.index)
            obj.day.resolved += 1
            days[id(obj.day)] = obj.day
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

    def _raise_if_fatal(self, error: BaseException, where: str) -> None:
        code = _error_code(error)
        kinds = {kind.__name__ for kind in type(error).__mro__}
        if code in _FATAL_CODES or kinds.intersection(_FATAL_ERRORS):
            what = self.source if code == "NoSuchBucket" else where
            raise _Fatal(self._describe(error, what))

    def _describe(self, error: BaseException, what: str) -> str:
        return describe_s3_error(error, what=what, profile=self.profile, bucket=self.bucket)


def describe_s3_error(error: BaseException, *, what: str, profile: str | None, bucket: str) -> str:
    """One line for an S3 failure: describe_aws_error, with S3's own refusals said plainly
    (another region, a secret key that does not match, an unknown key id, a wrong clock)."""
    from rdstrail_tui.sources.aws import describe_aws_error

    code = _error_code(error)
    named = f"profile {profile!r}" if profile else "the default credentials"
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
        return f"{what}: no such bucket {bucket!r}: check the name in the s3:// URL"
    return describe_aws_error(error, what=what, profile=profile)


def _error_code(error: BaseException) -> str:
    from rdstrail_tui.sources.aws import error_code

    return error_code(error)


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
