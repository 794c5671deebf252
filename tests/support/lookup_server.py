"""A small local CloudTrail endpoint: LookupEvents (JSON 1.1) and sts:GetCallerIdentity (query
protocol), as botocore sends them, on 127.0.0.1.

What it checks and does, like the real service:
- every request is SigV4-signed (the signature is recomputed with the key's secret): no
  Authorization header -> 403 MissingAuthenticationTokenException; an unknown access key ->
  403 UnrecognizedClientException (sts: InvalidClientTokenId); the "expired" key -> 400
  ExpiredTokenException (sts: ExpiredToken); a wrong signature -> 403
  InvalidSignatureException (sts: SignatureDoesNotMatch). The region is the credential
  scope's (`KEY/DATE/REGION/SERVICE/aws4_request`).
- LookupEvents: one lookup attribute at most (EventSource, EventName, EventId, ReadOnly,
  Username), inclusive StartTime/EndTime (epoch seconds; default the last 90 days), events
  of the request's region only and of the last 90 days only, newest first (ties by EventId),
  MaxResults 1..50 (default 50; anything else is InvalidMaxResultsException, not clamped, as
  AWS does), and an opaque NextToken bound to the region and every other parameter (reused
  with other parameters -> InvalidNextTokenException).
- More than `rate_limit` LookupEvents requests per region in any sliding second -> 400
  ThrottlingException (a throttled request does not use up the budget).

Faults for tests: `throttle_next(n)`, `reset_after(pages)` (every later request of the
region gets a TCP reset until `clear_faults()`), `deny_region(region)` (AccessDenied), and
`sts_enabled = False` (GetCallerIdentity answers with an error). Records: request times per
region (`request_times`), throttles (`throttled`), pages served (`pages_served`).

Use `with LookupServer(records) as server:` or the `lookup_server` fixture (an empty server;
`server.add_records(...)`). `aws_env` points the standard credential chain at the server's
test keys and away from every real file and the instance metadata service.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import hashlib
import hmac
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.support.background_server import BackgroundServer

ACCOUNT = "111122223333"
ACCESS_KEY = "AKIARDSTRAILTEST0001"
SECRET_KEY = "rdstrail/test/secret/key/0000000000000000"
EXPIRED_KEY = "ASIARDSTRAILEXPIRED1"
TARGET_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
RETENTION_SECONDS = 90 * 86400
MAX_RESULTS = 50
RDS = "rds.amazonaws.com"

_DATA = Path(__file__).parents[1] / "data" / "rds-events"
_NAMESPACE = uuid.UUID("0b8e3c1e-6a55-4c11-8f0e-5a1d2c3b4e77")
_ATTRIBUTES = ("EventSource", "EventName", "EventId", "ReadOnly", "Username")


# -- records -------------------------------------------------------------------------------


def _templates() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for name in ("panther-rds-records.json", "rds-user-guide-createdbinstance.json"):
        records.extend(json.loads((_DATA / name).read_bytes())["Records"])
    return records


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(int(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_records(
    count: int,
    *,
    newest: float,
    spacing: float = 60.0,
    region: str = "us-east-1",
    account: str = ACCOUNT,
    source: str = RDS,
    tag: str = "",
) -> list[dict[str, Any]]:
    """`count` records, the first at `newest`, each `spacing` seconds older than the one
    before (rounded to whole seconds, so spacings under a second share seconds, as bursts do
    in real trails). RDS records are the shared real-shaped records, re-identified and
    re-timed; other sources get a DescribeInstances. `tag` keeps IDs apart between calls."""
    templates = _templates() if source == RDS else []
    records = []
    for index in range(count):
        if templates:
            record = copy.deepcopy(templates[index % len(templates)])
        else:
            record = {
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "IAMUser",
                    "arn": f"arn:aws:iam::{account}:user/bob",
                    "accountId": account,
                    "userName": "bob",
                },
                "eventName": "DescribeInstances",
                "sourceIPAddress": "198.51.100.9",
                "userAgent": "aws-cli/2.15.0",
                "requestParameters": None,
                "responseElements": None,
                "readOnly": True,
                "eventType": "AwsApiCall",
            }
        record["eventSource"] = source
        record["eventID"] = str(uuid.uuid5(_NAMESPACE, f"{tag}/{region}/{source}/{index}"))
        record["eventTime"] = iso(newest - index * spacing)
        record["awsRegion"] = region
        record["recipientAccountId"] = account
        records.append(record)
    return records


def epoch_of(record: dict[str, Any]) -> int:
    return int(datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00")).timestamp())


# How late a request may arrive, in seconds, before the fake counts it early (see the
# throttle check). The server shares the test's process and GIL, so under CI load a request
# sent on its slot can be stamped here 100 ms or more late and the next one on time: 50 ms
# was still seen to throttle a correctly paced sync. An unpaced request (sent at once after
# another process's last) is still throttled, and the pacing itself is held by the tests
# that measure arrivals (>= 1/rate apart).
ARRIVAL_JITTER = 0.2


class _Entry:
    """One event as LookupEvents returns it; `cloudtrail_event` is the exact string sent."""

    __slots__ = ("event_id", "fields", "key", "record", "time")

    def __init__(self, record: dict[str, Any], cloudtrail_event: str | None = None) -> None:
        self.record = record
        self.time = epoch_of(record)
        self.event_id = str(record["eventID"])
        self.key = (self.time, self.event_id)
        identity = record.get("userIdentity") or {}
        read_only = record.get("readOnly")
        params = record.get("requestParameters") or {}
        resources = [
            {"ResourceType": "AWS::RDS::DBInstance", "ResourceName": params[name]}
            for name in ("dBInstanceIdentifier",)
            if isinstance(params, dict) and isinstance(params.get(name), str)
        ]
        self.fields: dict[str, Any] = {
            "EventId": self.event_id,
            "EventName": record.get("eventName", ""),
            "ReadOnly": "true" if read_only is True else "false",
            "AccessKeyId": identity.get("accessKeyId", ""),
            "EventTime": self.time,
            "EventSource": record.get("eventSource", ""),
            "Username": identity.get("userName", ""),
            "Resources": resources,
            "CloudTrailEvent": cloudtrail_event
            if cloudtrail_event is not None
            else json.dumps(record, separators=(",", ":")),
        }

    def matches(self, key: str, value: str) -> bool:
        if key == "ReadOnly":
            return bool(self.fields["ReadOnly"] == value.lower())
        return bool(self.fields[key] == value)


# -- the service ---------------------------------------------------------------------------


class _Reset(Exception):
    """Answer with a TCP reset instead of a response."""


class FakeCloudTrail:
    """The state and logic behind the HTTP server; thread-safe."""

    def __init__(
        self,
        *,
        rate_limit: float = 2.0,
        account: str = ACCOUNT,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.rate_limit = rate_limit
        self.account = account
        self.now = now
        self.sts_enabled = True
        self.keys = {ACCESS_KEY: SECRET_KEY}
        self.expired_keys = {EXPIRED_KEY}
        self._lock = threading.Lock()
        self._by_region: dict[str, list[_Entry]] = {}  # ascending (time, eventID)
        self._keys: dict[str, list[tuple[int, str]]] = {}
        self._secret = uuid.uuid4().bytes
        # faults
        self._throttle_next: dict[str | None, int] = {}
        self._reset_after: dict[str | None, int] = {}
        self._denied: set[str] = set()
        # what happened
        self.request_times: dict[str, list[float]] = {}  # monotonic, every LookupEvents
        self._served_times: dict[str, list[float]] = {}
        self.throttled: dict[str, int] = {}
        self.pages_served: dict[str, int] = {}
        self.resets: dict[str, int] = {}
        self.sts_requests = 0

    # -- data

    def add_records(self, records: list[dict[str, Any]]) -> None:
        with self._lock:
            for record in records:
                self._by_region.setdefault(str(record["awsRegion"]), []).append(_Entry(record))
            self._sort()

    def add_raw(self, region: str, record: dict[str, Any], cloudtrail_event: str) -> None:
        """An entry whose CloudTrailEvent is `cloudtrail_event` verbatim (a broken one)."""
        with self._lock:
            self._by_region.setdefault(region, []).append(_Entry(record, cloudtrail_event))
            self._sort()

    def _sort(self) -> None:
        for region, entries in self._by_region.items():
            entries.sort(key=lambda entry: entry.key)
            self._keys[region] = [entry.key for entry in entries]

    def cloudtrail_events(self) -> dict[str, str]:
        """eventID -> the CloudTrailEvent string served for it."""
        with self._lock:
            return {
                entry.event_id: str(entry.fields["CloudTrailEvent"])
                for entries in self._by_region.values()
                for entry in entries
            }

    # -- faults

    def throttle_next(self, count: int, region: str | None = None) -> None:
        with self._lock:
            self._throttle_next[region] = self._throttle_next.get(region, 0) + count

    def reset_after(self, pages: int, region: str | None = None) -> None:
        """Once `pages` pages were served (in the region, or in all), reset every request."""
        with self._lock:
            self._reset_after[region] = pages

    def deny_region(self, region: str) -> None:
        with self._lock:
            self._denied.add(region)

    def clear_faults(self) -> None:
        with self._lock:
            self._throttle_next.clear()
            self._reset_after.clear()
            self._denied.clear()

    # -- what happened

    def requests(self, region: str) -> int:
        with self._lock:
            return len(self.request_times.get(region, []))

    def max_in_any_second(self, region: str) -> int:
        """The most LookupEvents requests of the region that arrived within one second, less
        the arrival jitter the throttle check allows."""
        with self._lock:
            times = list(self.request_times.get(region, []))
        best = 0
        for index, start in enumerate(times):
            best = max(
                best, bisect.bisect_left(times, start + 1.0 - ARRIVAL_JITTER, lo=index) - index
            )
        return best

    # -- requests

    def lookup_events(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        arrived = time.monotonic()
        with self._lock:
            self.request_times.setdefault(region, []).append(arrived)
            total_pages = sum(self.pages_served.values())
            for scope, limit in self._reset_after.items():
                served = total_pages if scope is None else self.pages_served.get(scope, 0)
                if (scope is None or scope == region) and served >= limit:
                    self.resets[region] = self.resets.get(region, 0) + 1
                    raise _Reset
            if region in self._denied:
                raise _ApiError(
                    400,
                    "AccessDeniedException",
                    f"User: arn:aws:iam::{self.account}:user/test is not authorized to perform:"
                    " cloudtrail:LookupEvents because no identity-based policy allows the "
                    "cloudtrail:LookupEvents action",
                )
            served_times = self._served_times.setdefault(region, [])
            # A second less the jitter of arrival on a loaded test machine: a request sent on
            # its slot can reach this thread tens of milliseconds late and the next one on
            # time (AWS's token bucket does not count to the millisecond either). The
            # pacing itself is held by the tests that measure arrivals (>= 1/rate apart).
            recent = [t for t in served_times if t > arrived - (1.0 - ARRIVAL_JITTER)]
            forced = next(
                (scope for scope in (region, None) if self._throttle_next.get(scope, 0) > 0),
                "",
            )
            if forced != "" or len(recent) >= self.rate_limit:
                if forced != "":
                    self._throttle_next[forced] -= 1
                self.throttled[region] = self.throttled.get(region, 0) + 1
                raise _ApiError(400, "ThrottlingException", "Rate exceeded")
            served_times[:] = [*recent, arrived]
            response = self._page(region, body)
            self.pages_served[region] = self.pages_served.get(region, 0) + 1
            return response

    def _page(self, region: str, body: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        attribute = _lookup_attribute(body)
        max_results = body.get("MaxResults", MAX_RESULTS)
        if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
            raise _ApiError(400, "InvalidMaxResultsException", "Maximum results value is invalid.")
        start, end = _time_range(body, now)
        # Bound to the region and every parameter except the token itself.
        bound = {k: v for k, v in body.items() if k != "NextToken"}
        signature = hmac.new(
            self._secret, json.dumps([region, bound], sort_keys=True).encode(), "sha256"
        ).hexdigest()[:24]
        keys = self._keys.get(region, [])
        entries = self._by_region.get(region, [])
        position = len(keys)  # entries below `position` (ascending) are still to come
        token = body.get("NextToken")
        if token is not None:
            position = bisect.bisect_left(keys, _token_after(token, signature))
        position = bisect.bisect_right(keys, (int(end), "\uffff"), hi=position)
        found, more = _newest(entries, position, start, attribute, max_results)
        response: dict[str, Any] = {"Events": [entry.fields for entry in found]}
        if more:
            last = found[-1]
            response["NextToken"] = base64.urlsafe_b64encode(
                json.dumps({"t": last.time, "i": last.event_id, "s": signature}).encode()
            ).decode()
        return response


def _lookup_attribute(body: dict[str, Any]) -> tuple[str, str] | None:
    """The request's one lookup attribute (key, value), if it has one."""
    attributes = body.get("LookupAttributes") or []
    if not isinstance(attributes, list) or len(attributes) > 1:
        raise _ApiError(
            400, "InvalidLookupAttributesException", "You can specify only one attribute."
        )
    if not attributes:
        return None
    key = attributes[0].get("AttributeKey")
    value = attributes[0].get("AttributeValue")
    if key not in _ATTRIBUTES or not isinstance(value, str):
        raise _ApiError(400, "InvalidLookupAttributesException", f"Unsupported attribute {key!r}.")
    return key, value


def _time_range(body: dict[str, Any], now: float) -> tuple[float, float]:
    """[StartTime, EndTime] of the request, no earlier than the retention allows."""
    start = body.get("StartTime", now - RETENTION_SECONDS)
    end = body.get("EndTime", now)
    numbers = (int, float)
    if not isinstance(start, numbers) or not isinstance(end, numbers) or start > end:
        raise _ApiError(400, "InvalidTimeRangeException", "Start time must be before end time.")
    return max(start, now - RETENTION_SECONDS), end


def _token_after(token: object, signature: str) -> tuple[int, str]:
    """The (time, event ID) key of the last event a NextToken's page held, when the token
    was issued for these parameters."""
    try:
        data = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        after = (int(data["t"]), str(data["i"]))
        valid = data["s"] == signature
    except (ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise _ApiError(
            400,
            "InvalidNextTokenException",
            "Invalid token or token that was previously used in a request with "
            "different parameters.",
        )
    return after


def _newest(
    entries: list[_Entry],
    position: int,
    start: float,
    attribute: tuple[str, str] | None,
    max_results: int,
) -> tuple[list[_Entry], bool]:
    """Up to `max_results` of the entries (ascending) below `position`, from the newest
    back to `start`, that match `attribute`; and whether another one follows them."""
    found: list[_Entry] = []
    index = position - 1
    while index >= 0 and entries[index].time >= start:
        entry = entries[index]
        index -= 1
        if attribute is not None and not entry.matches(*attribute):
            continue
        if len(found) == max_results:
            return found, True
        found.append(entry)
    return found, False


class _ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# -- SigV4 ---------------------------------------------------------------------------------


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _check_signature(
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    keys: dict[str, str],
    expired: set[str],
) -> tuple[str, str, str]:
    """(access key, region, service) of a correctly signed request; raises _ApiError."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("AWS4-HMAC-SHA256 "):
        raise _ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    parts = dict(
        item.strip().split("=", 1)
        for item in authorization.removeprefix("AWS4-HMAC-SHA256 ").split(",")
        if "=" in item
    )
    try:
        access_key, date, region, service, terminal = parts["Credential"].split("/")
        signed_headers = parts["SignedHeaders"].split(";")
        signature = parts["Signature"]
    except (KeyError, ValueError):
        raise _ApiError(
            400, "IncompleteSignatureException", "Authorization header is malformed."
        ) from None
    if terminal != "aws4_request":
        raise _ApiError(400, "IncompleteSignatureException", "Credential scope is malformed.")
    if access_key in expired:
        raise _ApiError(
            400, "ExpiredTokenException", "The security token included in the request is expired"
        )
    if access_key not in keys:
        raise _ApiError(
            403,
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        )
    amz_date = headers.get("x-amz-date", "")
    payload = headers.get("x-amz-content-sha256") or hashlib.sha256(body).hexdigest()
    canonical = "\n".join(
        [
            method,
            path or "/",
            "",
            "".join(
                f"{name}:{' '.join(headers.get(name, '').split())}\n" for name in signed_headers
            ),
            ";".join(signed_headers),
            payload,
        ]
    )
    scope = f"{date}/{region}/{service}/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = _hmac(f"AWS4{keys[access_key]}".encode(), date)
    for step in (region, service, "aws4_request"):
        key = _hmac(key, step)
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise _ApiError(
            403,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        )
    return access_key, region, service


# -- HTTP ----------------------------------------------------------------------------------

_STS_CODES = {
    "UnrecognizedClientException": "InvalidClientTokenId",
    "ExpiredTokenException": "ExpiredToken",
    "InvalidSignatureException": "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException": "MissingAuthenticationToken",
}


class Json11Handler(BaseHTTPRequestHandler):
    """What the local endpoints of AWS's JSON 1.1 protocol share (this one, and Athena's and
    Lake's): the request's parts, its JSON body checked as AWS checks it, a JSON answer."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def request_parts(self) -> tuple[bytes, dict[str, str]]:
        """The body and the headers (names lowered)."""
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        return body, {name.lower(): value for name, value in self.headers.items()}

    @staticmethod
    def json_request(headers: dict[str, str], body: bytes) -> dict[str, Any]:
        if headers.get("content-type") != "application/x-amz-json-1.1":
            raise _ApiError(400, "SerializationException", "Unexpected content type")
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            raise _ApiError(400, "SerializationException", "Malformed JSON") from None
        if not isinstance(request, dict):
            raise _ApiError(400, "SerializationException", "Expected a JSON object")
        return request

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        self.wfile.write(data)


class _Handler(Json11Handler):
    server: _HTTPServer

    def do_POST(self) -> None:
        body, headers = self.request_parts()
        fake = self.server.fake
        # Errors are answered in the protocol of the service the request was signed for.
        scope = headers.get("authorization", "").partition("Credential=")[2].split(",")[0]
        service = "sts" if scope.split("/")[3:4] == ["sts"] else "cloudtrail"
        try:
            _, region, service = _check_signature(
                "POST", self.path.split("?")[0], headers, body, fake.keys, fake.expired_keys
            )
            if service == "sts":
                self._sts(body)
                return
            target = headers.get("x-amz-target", "")
            if service != "cloudtrail" or target != TARGET_PREFIX + "LookupEvents":
                raise _ApiError(400, "UnknownOperationException", f"Unknown operation {target}")
            self._json(200, fake.lookup_events(region, self.json_request(headers, body)))
        except _Reset:
            self._reset()
        except _ApiError as error:
            if service == "sts":
                self._sts_error(error)
            else:
                self._json(error.status, {"__type": error.code, "message": error.message})

    def _xml(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sts(self, body: bytes) -> None:
        fake = self.server.fake
        fake.sts_requests += 1
        form = parse_qs(body.decode())
        if not fake.sts_enabled:
            raise _ApiError(404, "UnknownOperationException", "No STS here")
        if form.get("Action") != ["GetCallerIdentity"]:
            raise _ApiError(400, "InvalidAction", "Could not find operation")
        self._xml(
            200,
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            "<GetCallerIdentityResult>"
            f"<Arn>arn:aws:iam::{fake.account}:user/test</Arn>"
            "<UserId>AIDARDSTRAILTEST</UserId>"
            f"<Account>{fake.account}</Account>"
            "</GetCallerIdentityResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</GetCallerIdentityResponse>",
        )

    def _sts_error(self, error: _ApiError) -> None:
        code = _STS_CODES.get(error.code, error.code)
        self._xml(
            error.status,
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{error.message}</Message>"
            f"</Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>",
        )

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the client reads a connection reset."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeCloudTrail

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a reset connection is the point of some tests, not a failure


class LookupServer(BackgroundServer):
    """The fake on a free port of 127.0.0.1, served from a background thread."""

    def __init__(
        self,
        records: list[dict[str, Any]] | None = None,
        *,
        rate_limit: float = 2.0,
        port: int = 0,
    ) -> None:
        self.fake = FakeCloudTrail(rate_limit=rate_limit)
        if records:
            self.fake.add_records(records)
        http = _HTTPServer(("127.0.0.1", port), _Handler)
        http.fake = self.fake
        self._serve(http, "lookup-server")


# -- fixtures --------------------------------------------------------------------------------


def set_aws_env(
    monkeypatch: pytest.MonkeyPatch, directory: Path, access_key: str = ACCESS_KEY
) -> None:
    """Credentials from the environment only; no real config, no instance metadata."""
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "aws-config"
    credentials = directory / "aws-credentials"
    config.touch()
    credentials.touch()
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDTRAIL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The test keys in the environment; returns the directory of the (empty) AWS files."""
    directory = tmp_path / "aws"
    set_aws_env(monkeypatch, directory)
    return directory


@pytest.fixture
def lookup_server() -> Iterator[LookupServer]:
    """An empty fake CloudTrail at 2 requests per second per region."""
    with LookupServer() as server:
        yield server


def main() -> None:
    """Serve the fake by hand, so `rdstrail sync lookup` can be tried without AWS."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=4566)
    parser.add_argument("--events", type=int, default=300, help="RDS events per region")
    parser.add_argument("--region", action="append", help="repeatable (default us-east-1)")
    args = parser.parse_args()
    regions = args.region or ["us-east-1"]
    now = time.time()
    records = [
        record
        for region in regions
        for record in make_records(args.events, newest=now - 120, spacing=900, region=region)
    ]
    with LookupServer(records, port=args.port) as server:
        print(f"fake CloudTrail LookupEvents on {server.url} ({args.events} events per region)")
        print("in another shell:")
        print(f"  export AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY}")
        region_args = " ".join(f"--region {region}" for region in regions)
        print(f"  rdstrail sync lookup {region_args} --endpoint-url {server.url}")
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
