"""The CloudTrail record envelope: field order, versions, TLS details, serialisation."""

from __future__ import annotations

import random
from typing import Any

import orjson

from rdstrail_tui.demo.identities import BOTO3_LEGACY, CLI_V1, CallerSession
from rdstrail_tui.demo.ids import iso, uuid4

Json = dict[str, Any]

#: Share of records written in the old 1.02 layout (no readOnly, eventType, recipientAccountId).
OLD_VERSION_RATE = 0.02

_GLOBAL_HOSTS = {
    "iam.amazonaws.com": "iam.amazonaws.com",
    "signin.amazonaws.com": "signin.aws.amazon.com",
}
_LEGACY_AGENTS = frozenset({BOTO3_LEGACY, CLI_V1})


def _host(source: str, region: str) -> str:
    if source in _GLOBAL_HOSTS:
        return _GLOBAL_HOSTS[source]
    return f"{source.split('.', 1)[0]}.{region}.amazonaws.com"


class RecordFactory:
    """Builds and serialises records; every random choice comes from ``rng``."""

    def __init__(self, rng: random.Random, old_version_rate: float = OLD_VERSION_RATE) -> None:
        self.rng = rng
        self.old_version_rate = old_version_rate
        self._tls: dict[tuple[str, str, bool], Json] = {}

    def tls(self, source: str, region: str, legacy: bool) -> Json:
        key = (source, region, legacy)
        details = self._tls.get(key)
        if details is None:
            if legacy:
                version, cipher = "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"
            else:
                version, cipher = "TLSv1.3", "TLS_AES_128_GCM_SHA256"
            details = {
                "tlsVersion": version,
                "cipherSuite": cipher,
                "clientProvidedHostHeader": _host(source, region),
            }
            self._tls[key] = details
        return details

    def call(
        self,
        s: CallerSession,
        region: str,
        t: int,
        source: str,
        name: str,
        params: Json | None,
        response: Json | None,
        read_only: bool,
        *,
        error: tuple[str, str] | None = None,
        additional: Json | None = None,
        resources: list[Json] | None = None,
        request_id: str | None = None,
        event_type: str = "AwsApiCall",
        shared_event_id: str | None = None,
        old: bool | None = None,
    ) -> bytes:
        """One serialised record (compact JSON bytes, CloudTrail field order). ``old`` asks
        for the 1.02 layout (True) or the current one (False); None leaves it to chance."""
        rng = self.rng
        chance = rng.random() < self.old_version_rate
        old = chance if old is None else old
        rec = _head(s, region, t, source, name, old=old)
        _add_error(rec, error)
        rec["requestParameters"] = params
        rec["responseElements"] = response
        if additional is not None:
            rec["additionalEventData"] = additional
        self._add_ids(rec, request_id)
        if old:
            return orjson.dumps(rec)
        rec["readOnly"] = read_only
        if resources is not None:
            rec["resources"] = resources
        rec["eventType"] = event_type
        rec["managementEvent"] = True
        rec["recipientAccountId"] = s.account
        if shared_event_id is not None:
            rec["sharedEventID"] = shared_event_id
        self._add_context(rec, s, source, region)
        return orjson.dumps(rec)

    def _add_ids(self, rec: Json, request_id: str | None) -> None:
        """requestID (a new one unless given; none when given as '') and eventID, drawn in
        that order from ``rng``."""
        if request_id is None:
            rec["requestID"] = uuid4(self.rng)
        elif request_id:
            rec["requestID"] = request_id
        rec["eventID"] = uuid4(self.rng)

    def _add_context(self, rec: Json, s: CallerSession, source: str, region: str) -> None:
        """The fields after sharedEventID: the session's VPC endpoint, TLS and console use,
        with eventCategory where CloudTrail puts it among them."""
        if s.vpc_endpoint is not None:
            rec["vpcEndpointId"] = s.vpc_endpoint
            rec["vpcEndpointAccountId"] = s.account
        rec["eventCategory"] = "Management"
        if s.tls:
            rec["tlsDetails"] = self.tls(source, region, s.user_agent in _LEGACY_AGENTS)
        if s.console:
            rec["sessionCredentialFromConsole"] = "true"


def _head(s: CallerSession, region: str, t: int, source: str, name: str, *, old: bool) -> Json:
    """The fields from eventVersion to userAgent."""
    if old:
        version = "1.02"
    elif s.identity["type"] == "AWSService":
        version = "1.08"
    else:
        version = "1.09"
    return {
        "eventVersion": version,
        "userIdentity": s.identity,
        "eventTime": iso(t),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": s.source_ip,
        "userAgent": s.user_agent,
    }


def _add_error(rec: Json, error: tuple[str, str] | None) -> None:
    """errorCode (when there is one) and errorMessage of a failed call."""
    if error is not None:
        if error[0]:
            rec["errorCode"] = error[0]
        rec["errorMessage"] = error[1]
