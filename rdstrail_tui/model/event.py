"""The normalised event: one CloudTrail record reduced to the fields people filter and read.

Everything here is pure: a record (already parsed JSON) goes in, an `Event` comes out, or
`RecordError` says why the record cannot be one.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, NamedTuple

from rdstrail_tui.model.access import infer_read_only
from rdstrail_tui.model.json_values import json_bool
from rdstrail_tui.model.resources import Relation, ResourceId, relations_of, resource_ids_of
from rdstrail_tui.model.risk import INFERRED_READ_ONLY, RISK_MASK, risk_flags

RDS_EVENT_SOURCE = "rds.amazonaws.com"


class RecordError(ValueError):
    """A JSON object that cannot be used as a CloudTrail record."""


class Event(NamedTuple):
    """A NamedTuple, not a dataclass: a load builds hundreds of thousands, and a tuple is
    both the cheapest to build and, field for field, the cache's row."""

    event_id: str
    event_time: int  # UTC epoch seconds: CloudTrail's own resolution
    event_name: str
    event_source: str
    region: str
    account: str
    principal: str
    source_ip: str
    user_agent: str
    # Old records (eventVersion < 1.03) do not say: then the operation's name does (see
    # flags), and None is left only for a record without an eventName.
    read_only: bool | None
    error_code: str | None
    error_message: str | None
    resource: str
    raw: bytes  # the record exactly as it was delivered
    # model.risk's bits: the risk flags of the call, and INFERRED_READ_ONLY where read_only
    # comes from the operation's name because the record does not say.
    flags: int = 0
    # Every RDS resource the record names, and the relations its call sets up (computed at
    # ingest for RDS's own records; the cache keeps them in their own tables, so an Event
    # read back from it carries none here).
    resources: tuple[ResourceId, ...] = ()
    relations: tuple[Relation, ...] = ()

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.event_time, timezone.utc)

    @property
    def read_only_inferred(self) -> bool:
        """read_only was inferred from the operation's name, not recorded."""
        return bool(self.flags & INFERRED_READ_ONLY)

    @property
    def risky(self) -> bool:
        return bool(self.flags & RISK_MASK)


# requestParameters / responseElements keys that name the resource a call is about, most
# specific first: a restore names the new instance in dBInstanceIdentifier and its source in
# dBSnapshotIdentifier, and the new instance is what the call changed.
RESOURCE_KEYS: tuple[str, ...] = (
    "dBInstanceIdentifier",
    "targetDBInstanceIdentifier",
    "dBClusterIdentifier",
    "targetDBClusterIdentifier",
    "dBSnapshotIdentifier",
    "targetDBSnapshotIdentifier",
    "dBClusterSnapshotIdentifier",
    "targetDBClusterSnapshotIdentifier",
    "dBParameterGroupName",
    "dBClusterParameterGroupName",
    "targetDBParameterGroupIdentifier",
    "targetDBClusterParameterGroupIdentifier",
    "dBSubnetGroupName",
    "optionGroupName",
    "targetOptionGroupIdentifier",
    "globalClusterIdentifier",
    "dBProxyName",
    "dBClusterEndpointIdentifier",
    "dBSecurityGroupName",
    "subscriptionName",
    "blueGreenDeploymentIdentifier",
    "dBShardGroupIdentifier",
    "exportTaskIdentifier",
    "integrationIdentifier",
    "customDBEngineVersionIdentifier",
    "dBInstanceArn",
    "dBClusterArn",
    "resourceName",
    "resourceArn",
    "sourceArn",
    "sourceDBInstanceIdentifier",
    "sourceDBClusterIdentifier",
    # Automated backups are named by the resource id of the instance or cluster they kept.
    "dBInstanceAutomatedBackupsArn",
    "dBClusterAutomatedBackupsArn",
    "dbiResourceId",
    "dbClusterResourceId",
)
# Matched lowered: keys arrive in RDS's camel case, but case varies across API versions
# (DBInstanceIdentifier in some older records).
_RESOURCE_PRIORITY = {key.lower(): rank for rank, key in enumerate(RESOURCE_KEYS)}


def parse_event_time(value: object) -> int:
    """CloudTrail writes `2018-07-30T22:14:06Z`; fixtures and exports also carry
    `2022-09-24 00:28:15` and fractional seconds. Naive times are UTC."""
    if not isinstance(value, str) or not value:
        raise RecordError("eventTime is missing")
    if len(value) == 20 and value[10] == "T" and value[19] == "Z":
        fast = _cloudtrail_time(value)
        if fast is not None:
            return fast
    try:
        parsed = datetime.fromisoformat(_older_iso(value))
    except ValueError:
        raise RecordError(f"eventTime {value!r} is not an ISO date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp())


# Midnight (epoch seconds) of each day seen, by its `YYYY-MM-DD`: a trail's records fall on
# few days, so CloudTrail's own format costs a lookup and three ints instead of a datetime.
_DAYS: dict[str, int] = {}
_DAYS_KEPT = 4096


def _cloudtrail_time(value: str) -> int | None:
    """`2018-07-30T22:14:06Z` as epoch seconds, or None for anything that only looks like
    it (the general parser then decides)."""
    day = _DAYS.get(value[:10])
    if day is None:
        try:
            day = int(datetime.fromisoformat(value[:10] + "T00:00:00+00:00").timestamp())
        except ValueError:
            return None
        if len(_DAYS) >= _DAYS_KEPT:
            _DAYS.clear()
        _DAYS[value[:10]] = day
    clock = value[11:19]
    digits = clock.replace(":", "")
    if clock[2] != ":" or clock[5] != ":" or not (digits.isascii() and digits.isdigit()):
        return None
    hours, minutes, seconds = int(clock[:2]), int(clock[3:5]), int(clock[6:])
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    return day + hours * 3600 + minutes * 60 + seconds


# Before 3.11 fromisoformat takes neither a "Z" nor fractions of other than 3 or 6 digits.
_ZULU = re.compile(r"[Zz]$")
_FRACTION = re.compile(r"\.(\d+)(?=$|[+-])")


def _older_iso(value: str) -> str:
    """`value` in the subset of ISO 8601 that every Python's fromisoformat reads, with the
    same meaning: a trailing Z as +00:00, a fraction as 6 digits (whole seconds are kept)."""
    value = _ZULU.sub("+00:00", value)
    return _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), value, count=1)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _tail(arn: str) -> str:
    """`arn:aws:sts::1:assumed-role/Admin/jane` -> `assumed-role/Admin/jane`."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else arn


def principal_of(identity: object) -> str:
    """A readable caller name for every userIdentity type CloudTrail writes."""
    if not isinstance(identity, dict):
        return ""
    kind = _text(identity.get("type"))
    arn = _text(identity.get("arn"))
    user_name = _text(identity.get("userName"))
    if kind == "IAMUser":
        return user_name or _tail(arn).removeprefix("user/")
    if kind == "AssumedRole":
        # `role/session` reads better than the STS ARN and keeps who (session) and how (role).
        tail = _tail(arn)
        if tail.startswith("assumed-role/"):
            return tail.removeprefix("assumed-role/")
        issuer = identity.get("sessionContext", {})
        issuer = issuer.get("sessionIssuer", {}) if isinstance(issuer, dict) else {}
        role = _text(issuer.get("userName")) if isinstance(issuer, dict) else ""
        session = _text(identity.get("principalId")).partition(":")[2]
        return "/".join(part for part in (role, session) if part) or tail
    if kind == "Root":
        return "root"
    if kind == "AWSService":
        return _text(identity.get("invokedBy")) or "AWS service"
    if kind == "FederatedUser":
        return _tail(arn).removeprefix("federated-user/") or user_name
    if kind == "IdentityCenterUser":
        on_behalf = identity.get("onBehalfOf")
        user_id = _text(on_behalf.get("userId")) if isinstance(on_behalf, dict) else ""
        return f"identity-center/{user_id or user_name or _text(identity.get('principalId'))}"
    if kind == "AWSAccount":
        account = _text(identity.get("accountId")) or _text(identity.get("principalId"))
        return f"account/{account}"
    if kind in ("SAMLUser", "WebIdentityUser"):
        provider = _text(identity.get("identityProvider"))
        name = user_name or _text(identity.get("principalId"))
        return f"{name} ({provider})" if provider and name else name or provider
    # Unknown or future types: the most specific thing the record offers.
    return (
        user_name
        or _tail(arn)
        or _text(identity.get("invokedBy"))
        or _text(identity.get("principalId"))
        or kind
    )


def _find_resource(params: object) -> str:
    if not isinstance(params, dict):
        return ""
    # One pass over the record's own keys (a handful) rather than a probe per known key.
    best_rank, best = len(RESOURCE_KEYS), ""
    for key, value in params.items():
        rank = _RESOURCE_PRIORITY.get(key.lower(), best_rank) if isinstance(key, str) else best_rank
        if rank < best_rank and isinstance(value, str) and value:
            best_rank, best = rank, value
    return _resource_name(best) if best else ""


def _resource_name(value: str) -> str:
    """An RDS ARN (`arn:aws:rds:us-east-1:1:db:prod`) names its resource last: keep `prod`."""
    if value.startswith("arn:") and value.count(":") >= 6:
        return value.split(":", 6)[6]
    return value


def resource_of(record: dict[str, Any]) -> str:
    found = _find_resource(record.get("requestParameters")) or _find_resource(
        record.get("responseElements")
    )
    if found:
        return found
    resources = record.get("resources")
    if isinstance(resources, list):
        for item in resources:
            if isinstance(item, dict) and isinstance(item.get("ARN"), str):
                return _resource_name(item["ARN"])
    return ""


def read_only_of(value: object) -> bool | None:
    """Trails write a boolean; LookupEvents writes the string "true"/"false"."""
    return json_bool(value)


def event_from_record(record: object, raw: bytes) -> Event:
    if not isinstance(record, dict):
        raise RecordError("not a JSON object")
    event_id = record.get("eventID")
    if not isinstance(event_id, str) or not event_id:
        raise RecordError("eventID is missing")
    event_time = parse_event_time(record.get("eventTime"))
    identity = record.get("userIdentity")
    account = _text(record.get("recipientAccountId"))
    if not account and isinstance(identity, dict):
        account = _text(identity.get("accountId"))
    error_code = record.get("errorCode")
    error_message = record.get("errorMessage")
    event_name = _text(record.get("eventName"))
    read_only = read_only_of(record.get("readOnly"))
    flags = risk_flags(record, account)
    region = _text(record.get("awsRegion"))
    event_source = _text(record.get("eventSource"))
    touched: tuple[ResourceId, ...] = ()
    relations: tuple[Relation, ...] = ()
    if event_source == RDS_EVENT_SOURCE:
        touched = resource_ids_of(record, account, region)
        relations = relations_of(record, account, region)
    if read_only is None:
        read_only = infer_read_only(event_name)
        flags |= INFERRED_READ_ONLY if read_only is not None else 0
    return Event(
        event_id=event_id,
        event_time=event_time,
        event_name=event_name,
        event_source=event_source,
        region=region,
        account=account,
        principal=principal_of(identity),
        source_ip=_text(record.get("sourceIPAddress")),
        user_agent=_text(record.get("userAgent")),
        read_only=read_only,
        error_code=str(error_code) if error_code not in (None, "") else None,
        error_message=str(error_message) if error_message not in (None, "") else None,
        resource=resource_of(record),
        raw=raw,
        flags=flags,
        resources=touched,
        relations=relations,
    )
