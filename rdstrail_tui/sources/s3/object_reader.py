"""Reading a trail's objects: the many small GETs of a sync, cheaply.

A boto3 `get_object` spends most of its CPU on things a log-file GET does not need
(parameter validation, the event hooks, the response model): about 0.8 ms per request
against 0.3 ms for the same signed GET made directly. On a trail of thousands of small files
that difference is what starves the decoders of a core. So a GET is first made directly:
signed by botocore's own S3SigV4Auth and sent through the client's own HTTP session (its
urllib3 pool, proxies, TLS settings and timeouts), to the endpoint and signing region that
boto3 itself used when it listed the bucket. Anything but a 200 answer (an error, a
redirect, a refusal, a connection problem) is then asked of boto3, whose retries, region
redirects and error parsing take over; after a few refusals of the direct way, boto3 does
every GET.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from urllib.parse import quote, urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest

from rdstrail_tui.sources.s3.errors import refused_request

# Refusals of the direct way (a signature S3 does not take) before it is given up for good.
DIRECT_REFUSALS = 3
# The signing region is read from the Authorization header boto3 produced.
_SIGV4_SCOPE = re.compile(r"AWS4-HMAC-SHA256 Credential=[^/,]+/\d{8}/([^/,]+)/s3/aws4_request")


class ObjectReader:
    """GETs the objects of one bucket, directly when it can, through boto3 otherwise.
    `adopt()` after a successful boto3 listing on the same thread turns the direct way on."""

    def __init__(self, client: Any, bucket: str, credentials: Any) -> None:
        self._client = client
        self._bucket = bucket
        self._credentials = credentials  # botocore's (refreshable) credentials, or None
        self._seen = threading.local()
        self._lock = threading.Lock()
        self._http: Any = None
        self._origin = ""  # scheme://host[:port] and the bucket's path, if path-style
        self._region = ""
        self._refusals = 0
        self.direct = False
        client.meta.events.register("before-send.s3.ListObjectsV2", self._capture)

    def _capture(self, request: Any, **_: Any) -> None:
        self._seen.request = (request.url, request.headers.get("Authorization"))

    def adopt(self) -> None:
        """Go where boto3's last listing on this thread went, signed for the same region."""
        seen = getattr(self._seen, "request", None)
        # The client's HTTP session: its pool, proxies and TLS settings are boto3's.
        endpoint = getattr(self._client, "_endpoint", None)
        http = getattr(endpoint, "http_session", None)
        if seen is None or self._credentials is None or http is None:
            return
        url, authorization = seen
        if isinstance(authorization, bytes):
            authorization = authorization.decode("ascii", "replace")
        match = _SIGV4_SCOPE.match(authorization or "")
        parts = urlsplit(url)
        if match is None or parts.scheme not in ("http", "https") or not parts.netloc:
            return
        self._http = http
        self._origin = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self._region = match[1]
        self.direct = True

    def get(self, key: str) -> tuple[bytes, int, int]:
        """The object's bytes, the requests made, and how many of them S3 asked to slow
        down. Raises boto3's errors."""
        requests = throttles = 0
        if self.direct:
            status, body = self._get_direct(key)
            if status == 200:
                return body, 1, 0
            requests += status != 0
            throttles += status == 503
        response = self._client.get_object(Bucket=self._bucket, Key=key)
        return response["Body"].read(), requests + 1, throttles

    def _get_direct(self, key: str) -> tuple[int, bytes]:
        """(status, body), status 0 when no answer came."""
        request = AWSRequest(method="GET", url=f"{self._origin}/{quote(key, safe='/~')}")
        request.headers["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
        try:
            # Frozen per request: a refreshable credential may change between its fields.
            signer = S3SigV4Auth(self._credentials.get_frozen_credentials(), "s3", self._region)
            signer.add_auth(request)
            response = self._http.send(request.prepare())
            status, body = int(response.status_code), bytes(response.content)
        except Exception:  # no credentials now, no connection...: boto3 says what it is
            return 0, b""
        if refused_request(status, body):
            with self._lock:
                self._refusals += 1
                if self._refusals >= DIRECT_REFUSALS:
                    self.direct = False
        return status, body
