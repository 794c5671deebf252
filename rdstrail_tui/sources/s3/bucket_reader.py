"""Reading a trail's bucket: the many small requests of a sync (an object's GET, a day
prefix's listing), cheaply.

A boto3 call spends most of its CPU on what a log-file GET does not need (parameter
validation, event hooks, the response model): measured on this project's benchmark, 0.8 ms
a GET, against 0.34 ms for the same GET signed by botocore and sent by its urllib3 session,
and 0.2 ms signed by botocore and sent by the standard library's http.client. On a trail
of thousands of small files that is what the decoders' core is short of. So a request is
first made directly: signed by botocore's own S3SigV4Auth, sent over a kept-alive
http.client connection per thread, to the endpoint and signing region that boto3 itself
used when it listed the bucket. Anything but a 200 answer (an error, a redirect, a refusal,
a connection problem) is then asked of boto3, whose retries, region redirects and error
parsing take over; after a few refusals or unanswered requests of the direct way, boto3
makes every request. A proxy in the environment leaves every request to boto3 from the
start.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import ssl
import threading
import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import botocore.httpsession
import botocore.utils
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest

from rdstrail_tui.sources.s3.days import Listing
from rdstrail_tui.sources.s3.errors import refused_request

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from botocore.credentials import Credentials
    from mypy_boto3_s3 import S3Client

# Refusals of the direct way (a signature S3 does not take) before it is given up for good.
DIRECT_REFUSALS = 3
PAGE_KEYS = 1000  # keys per listing request: S3's most
HTTP_TIMEOUT = 60.0
# The signing region is read from the Authorization header boto3 produced.
_SIGV4_SCOPE = re.compile(r"AWS4-HMAC-SHA256 Credential=[^/,]+/\d{8}/([^/,]+)/s3/aws4_request")
_S3_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class BucketReader:
    """GETs and lists one bucket, directly when it can, through boto3 otherwise. `adopt()`
    after a successful boto3 listing on the same thread turns the direct way on."""

    def __init__(self, client: S3Client, bucket: str, credentials: Credentials | None) -> None:
        self._client = client
        self._bucket = bucket
        self._credentials = credentials  # botocore's (refreshable) credentials, or None
        self._seen = threading.local()  # boto3's last listing on this thread
        self._local = threading.local()  # this thread's connection
        self._lock = threading.Lock()
        self._connections: set[http.client.HTTPConnection] = set()
        self._scheme = ""
        self._netloc = ""
        self._path = ""  # the bucket's, when S3 is addressed by path
        self._context: ssl.SSLContext | None = None
        self._region = ""
        self._refusals = 0
        self.direct = False
        client.meta.events.register("before-send.s3.ListObjectsV2", self._capture)

    def _capture(self, request: AWSPreparedRequest, **_: Any) -> None:
        self._seen.request = (request.url, request.headers.get("Authorization"))

    def adopt(self) -> None:
        """Go where boto3's last listing on this thread went, signed for the same region."""
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
        if botocore.utils.get_environ_proxies(f"{parts.scheme}://{parts.netloc}"):
            return  # through a proxy: boto3 knows how
        if parts.scheme == "https":
            try:
                self._context = ssl.create_default_context(
                    cafile=os.environ.get("AWS_CA_BUNDLE")
                    or botocore.httpsession.get_cert_path(True)
                )
            except (OSError, ssl.SSLError, ValueError):
                return
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._path = parts.path.rstrip("/")
        self._region = match[1]
        self.direct = True

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            connection.close()

    # -- objects -----------------------------------------------------------------------

    def get(self, key: str) -> tuple[bytes, int, int]:
        """The object's bytes, the requests made, and how many of them S3 asked to slow
        down. Raises boto3's errors."""
        requests = throttles = 0
        if self.direct:
            status, body = self._request(f"{self._path}/{quote(key, safe='/~')}", {})
            if status == 200:
                return body, 1, 0
            requests += status != 0
            throttles += status == 503
        response = self._client.get_object(Bucket=self._bucket, Key=key)
        return response["Body"].read(), requests + 1, throttles

    # -- listings ----------------------------------------------------------------------

    def list_keys(self, prefix: str, start_after: str | None) -> Listing:
        """The keys under `prefix` after `start_after`, in key order (on a lister thread:
        never raises; a failure is the listing's `error`)."""
        listing = Listing()
        try:
            if not self.direct or not self._list_directly(prefix, start_after, listing):
                self._list_by_boto3(prefix, start_after, listing)
        except Exception as error:  # boto3's, whatever they are: the caller says what
            listing.requests = max(listing.requests, 1)
            listing.error = error
        listing.keys.sort()
        return listing

    def _list_by_boto3(self, prefix: str, start_after: str | None, listing: Listing) -> None:
        listing.keys.clear()
        arguments: dict[str, Any] = {
            "Bucket": self._bucket,
            "Prefix": prefix,
            "PaginationConfig": {"PageSize": PAGE_KEYS},
        }
        if start_after:
            arguments["StartAfter"] = start_after
        for page in self._client.get_paginator("list_objects_v2").paginate(**arguments):
            listing.requests += 1
            for entry in page.get("Contents") or []:
                listing.keys.append((str(entry["Key"]), int(entry.get("Size", 0))))

    def _list_directly(self, prefix: str, start_after: str | None, listing: Listing) -> bool:
        """ListObjectsV2 pages, parsed here; False when boto3 should list instead."""
        token: str | None = None
        while True:
            query = {"list-type": "2", "prefix": prefix, "max-keys": str(PAGE_KEYS)}
            if token:
                query["continuation-token"] = token
            elif start_after:
                query["start-after"] = start_after
            status, body = self._request(self._path or "/", query)
            listing.requests += status != 0
            if status != 200:
                return False
            try:
                root = ElementTree.fromstring(body)
            except ElementTree.ParseError:
                return False
            ns = _S3_NS if root.tag.startswith(_S3_NS) else ""
            if root.tag != f"{ns}ListBucketResult":
                return False
            for entry in root.iterfind(f"{ns}Contents"):
                key = entry.findtext(f"{ns}Key")
                size = entry.findtext(f"{ns}Size") or "0"
                if key is None or not key.startswith(prefix) or not size.isdigit():
                    return False
                listing.keys.append((key, int(size)))
            if (root.findtext(f"{ns}IsTruncated") or "").lower() != "true":
                return True
            token = root.findtext(f"{ns}NextContinuationToken")
            if not token:
                return False

    # -- the direct way ----------------------------------------------------------------

    def _request(self, path: str, query: dict[str, str]) -> tuple[int, bytes]:
        """A signed GET of `path?query`: (status, body), status 0 when no answer came."""
        target = f"{path}?{urlencode(sorted(query.items()), quote_via=quote)}" if query else path
        request = AWSRequest(method="GET", url=f"{self._scheme}://{self._netloc}{target}")
        request.headers["Host"] = self._netloc
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        if self._credentials is None:
            return 0, b""
        try:
            # Frozen per request: a refreshable credential may change between its fields.
            signer = S3SigV4Auth(self._credentials.get_frozen_credentials(), "s3", self._region)
            signer.add_auth(request)
        except Exception:  # no credentials now: boto3 says what it is
            return 0, b""
        headers = dict(request.headers.items())
        for attempt in range(2):
            connection = getattr(self._local, "connection", None)
            reused = connection is not None
            try:
                if connection is None:
                    connection = self._connect()
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                status, body = response.status, response.read()
            except (OSError, http.client.HTTPException):
                self._drop()
                if reused and attempt == 0:
                    continue  # a kept-alive connection the server had closed: once more
                # No answer (TLS boto3 would set up otherwise, a network in trouble): each
                # such request is made twice, so this too counts against the direct way.
                self._refused()
                return 0, b""
            if response.will_close:
                self._drop()
            break
        if refused_request(status, body):
            self._refused()
        return status, body

    def _refused(self) -> None:
        with self._lock:
            self._refusals += 1
            if self._refusals >= DIRECT_REFUSALS:
                self.direct = False

    def _connect(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection
        if self._scheme == "https":
            connection = http.client.HTTPSConnection(
                self._netloc, timeout=HTTP_TIMEOUT, context=self._context
            )
        else:
            connection = http.client.HTTPConnection(self._netloc, timeout=HTTP_TIMEOUT)
        self._local.connection = connection
        with self._lock:
            self._connections.add(connection)
        return connection

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with self._lock:
                self._connections.discard(connection)
            with contextlib.suppress(OSError):
                connection.close()
