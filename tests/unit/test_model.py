"""One CloudTrail record -> the fields people filter and read (principal, account, resource,
time, read/write), and the records that cannot be events."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.model.event import (
    RESOURCE_KEYS,
    RecordError,
    event_from_record,
    parse_event_time,
    principal_of,
    read_only_of,
    resource_of,
)


def epoch(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc).timestamp())


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "eventVersion": "1.08",
        "eventID": "2f0d6c1e-8d8e-4c4f-9d51-2b7f3e1a9c01",
        "eventTime": "2024-01-15T10:30:00Z",
        "eventSource": "rds.amazonaws.com",
        "eventName": "ModifyDBInstance",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.45",
        "userAgent": "aws-cli/2.13.0",
        "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"},
        "requestParameters": {"dBInstanceIdentifier": "prod-db"},
        "responseElements": None,
        "readOnly": False,
        "recipientAccountId": "111122223333",
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not _DROP}


_DROP = object()


# -- principal -----------------------------------------------------------------------------

PRINCIPALS = [
    pytest.param(
        {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": "arn:aws:iam::123456789012:user/alice",
            "userName": "alice",
        },
        "alice",
        id="IAMUser-userName",
    ),
    pytest.param(
        {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/bob"},
        "bob",
        id="IAMUser-from-arn",
    ),
    pytest.param(
        {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:jane",
            "arn": "arn:aws:sts::123456789012:assumed-role/Admin/jane",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "Admin"}},
        },
        "Admin/jane",
        id="AssumedRole-sts-arn",
    ),
    pytest.param(
        {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:jane",
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "arn": "arn:aws:iam::123456789012:role/Admin",
                    "userName": "Admin",
                }
            },
        },
        "Admin/jane",
        id="AssumedRole-no-arn-issuer-and-principalId",
    ),
    pytest.param(
        {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "principalId": "123456789012"},
        "root",
        id="Root",
    ),
    pytest.param(
        {"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        "rds.amazonaws.com",
        id="AWSService-invokedBy",
    ),
    pytest.param(
        {
            "type": "FederatedUser",
            "principalId": "123456789012:bob",
            "arn": "arn:aws:sts::123456789012:federated-user/bob",
            "sessionContext": {"sessionIssuer": {"type": "IAMUser", "userName": "fed-issuer"}},
        },
        "bob",
        id="FederatedUser",
    ),
    pytest.param(
        {
            "type": "IdentityCenterUser",
            "accountId": "123456789012",
            "onBehalfOf": {
                "userId": "94482488-3041-7026-18f3-be45837cd0e4",
                "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-1",
            },
        },
        "identity-center/94482488-3041-7026-18f3-be45837cd0e4",
        id="IdentityCenterUser",
    ),
    pytest.param(
        {"type": "AWSAccount", "principalId": "AIDAEXAMPLE", "accountId": "444455556666"},
        "account/444455556666",
        id="AWSAccount",
    ),
    pytest.param(
        {
            "type": "SAMLUser",
            "principalId": "SAMPLE:jane@example.com",
            "userName": "jane@example.com",
            "identityProvider": "arn:aws:iam::123456789012:saml-provider/Okta",
        },
        "jane@example.com (arn:aws:iam::123456789012:saml-provider/Okta)",
        id="SAMLUser",
    ),
    pytest.param(
        {
            "type": "WebIdentityUser",
            "principalId": "accounts.google.com:1234567890",
            "userName": "1234567890",
            "identityProvider": "accounts.google.com",
        },
        "1234567890 (accounts.google.com)",
        id="WebIdentityUser",
    ),
    pytest.param(
        {"type": "SomeFutureType", "principalId": "AIDAFUTURE"},
        "AIDAFUTURE",
        id="unknown-type-principalId",
    ),
    pytest.param(
        {"type": "SomeFutureType", "arn": "arn:aws:iam::123456789012:thing/x"},
        "thing/x",
        id="unknown-type-arn",
    ),
    pytest.param({"type": "SomeFutureType"}, "SomeFutureType", id="unknown-type-only-type"),
]


@pytest.mark.parametrize(("identity", "expected"), PRINCIPALS)
def test_principal_for_each_identity_type(identity: dict[str, Any], expected: str) -> None:
    assert principal_of(identity) == expected
    event = event_from_record(record(userIdentity=identity), b"{}")
    assert event.principal == expected


@pytest.mark.parametrize("identity", [None, "alice", [], 3])
def test_principal_of_missing_or_malformed_identity_is_empty(identity: object) -> None:
    assert principal_of(identity) == ""


# -- account -------------------------------------------------------------------------------


def test_account_is_recipient_account() -> None:
    event = event_from_record(
        record(
            recipientAccountId="999988887777",
            userIdentity={"type": "IAMUser", "userName": "x", "accountId": "111122223333"},
        ),
        b"{}",
    )
    assert event.account == "999988887777"


def test_account_falls_back_to_identity_account_on_old_records() -> None:
    # eventVersion 1.01/1.02 records have no recipientAccountId.
    event = event_from_record(
        record(
            eventVersion="1.02",
            recipientAccountId=_DROP,
            userIdentity={"type": "IAMUser", "userName": "x", "accountId": "111122223333"},
        ),
        b"{}",
    )
    assert event.account == "111122223333"


def test_account_empty_when_no_record_says() -> None:
    event = event_from_record(
        record(recipientAccountId=_DROP, userIdentity={"type": "Root"}), b"{}"
    )
    assert event.account == ""


# -- readOnly ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),  # LookupEvents writes strings
        ("false", False),
        ("TRUE", True),
        ("maybe", None),
        (_DROP, None),  # eventVersion < 1.03 has no readOnly
    ],
)
def test_read_only(value: object, expected: bool | None) -> None:
    event = event_from_record(record(readOnly=value), b"{}")
    if expected is None:
        # Not recorded: the operation's name says it (record() is a ModifyDBInstance).
        assert event.read_only is False and event.read_only_inferred
    else:
        assert event.read_only is expected and not event.read_only_inferred
    if value is not _DROP:
        assert read_only_of(value) is expected


# -- resource ------------------------------------------------------------------------------

RESOURCES = [
    pytest.param(
        # A restore names the new instance and its source snapshot: the new instance wins,
        # whatever the key order in the record.
        {"dBSnapshotIdentifier": "nightly-snap", "dBInstanceIdentifier": "restored-db"},
        None,
        "restored-db",
        id="restore-instance-over-snapshot",
    ),
    pytest.param(
        {"resourceName": "arn:aws:rds:us-east-1:123:db:prod", "tags": [{"key": "a"}]},
        None,
        "prod",
        id="AddTagsToResource-arn",
    ),
    pytest.param(
        {"resourceName": "arn:aws:rds:us-east-1:123:snapshot:rds:prod-2024-01-15-00-05"},
        None,
        "rds:prod-2024-01-15-00-05",
        id="automated-snapshot-arn-keeps-colon-in-name",
    ),
    pytest.param(
        {
            "sourceDBSnapshotIdentifier": "arn:aws:rds:us-east-1:123:snapshot:src",
            "targetDBSnapshotIdentifier": "copy-of-src",
        },
        None,
        "copy-of-src",
        id="copy-target-over-source",
    ),
    pytest.param(
        {"dBClusterIdentifier": "aurora-main", "dBInstanceIdentifier": "aurora-main-1"},
        None,
        "aurora-main-1",
        id="instance-over-cluster",
    ),
    pytest.param(
        {"DBInstanceIdentifier": "upper-case-key"},
        None,
        "upper-case-key",
        id="key-case-insensitive",
    ),
    pytest.param(
        None,
        {"dBClusterIdentifier": "from-response"},
        "from-response",
        id="response-only",
    ),
    pytest.param(
        {"maxRecords": 100},
        {"dBInstanceIdentifier": "in-response"},
        "in-response",
        id="request-without-resource-then-response",
    ),
    pytest.param({"includePublic": True}, None, "", id="no-resource"),
]


@pytest.mark.parametrize(("params", "response", "expected"), RESOURCES)
def test_resource(params: object, response: object, expected: str) -> None:
    rec = record(requestParameters=params, responseElements=response)
    assert resource_of(rec) == expected
    assert event_from_record(rec, b"{}").resource == expected


@pytest.mark.parametrize("key", RESOURCE_KEYS)
def test_every_resource_key_names_the_resource(key: str) -> None:
    rec = record(requestParameters={"unrelated": "x", key: "the-resource"})
    assert resource_of(rec) == "the-resource"


def test_resource_keys_earlier_in_the_list_win() -> None:
    params = {key: f"value-{index}" for index, key in reversed(list(enumerate(RESOURCE_KEYS)))}
    assert resource_of(record(requestParameters=params)) == "value-0"


def test_resource_falls_back_to_resources_arn() -> None:
    rec = record(
        requestParameters=None,
        responseElements=None,
        resources=[
            {"accountId": "123456789012", "type": "AWS::RDS::DBInstance"},
            {"ARN": "arn:aws:rds:us-east-1:123456789012:db:from-resources"},
        ],
    )
    assert event_from_record(rec, b"{}").resource == "from-resources"


# -- eventTime -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018-07-30T22:14:06Z", epoch(2018, 7, 30, 22, 14, 6)),
        ("2022-09-24 00:28:15", epoch(2022, 9, 24, 0, 28, 15)),  # naive: UTC
        ("2024-01-15T10:30:00", epoch(2024, 1, 15, 10, 30)),
        ("2024-01-15T10:30:00.987Z", epoch(2024, 1, 15, 10, 30)),
        ("2024-01-15T10:30:00.123456Z", epoch(2024, 1, 15, 10, 30)),
        ("2024-01-15T12:30:00+02:00", epoch(2024, 1, 15, 10, 30)),
        ("2024-01-15T05:30:00-05:00", epoch(2024, 1, 15, 10, 30)),
    ],
)
def test_event_time_formats(text: str, expected: int) -> None:
    assert parse_event_time(text) == expected
    event = event_from_record(record(eventTime=text), b"{}")
    assert event.event_time == expected
    assert event.time == datetime.fromtimestamp(expected, timezone.utc)


# -- records that are not events -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "message"),
    [
        pytest.param(record(eventID=_DROP), "eventID is missing", id="no-eventID"),
        pytest.param(record(eventID=""), "eventID is missing", id="empty-eventID"),
        pytest.param(record(eventID=12), "eventID is missing", id="numeric-eventID"),
        pytest.param(record(eventTime=_DROP), "eventTime is missing", id="no-eventTime"),
        pytest.param(record(eventTime=""), "eventTime is missing", id="empty-eventTime"),
        pytest.param(
            record(eventTime="yesterday"), "'yesterday' is not an ISO", id="bad-eventTime"
        ),
        pytest.param([1, 2], "not a JSON object", id="list"),
        pytest.param("record", "not a JSON object", id="string"),
        pytest.param(None, "not a JSON object", id="null"),
    ],
)
def test_record_error(rec: object, message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(")):
        event_from_record(rec, b"{}")


def test_error_fields_only_on_failures() -> None:
    ok = event_from_record(record(), b"{}")
    assert ok.error_code is None
    assert ok.error_message is None
    failed = event_from_record(
        record(errorCode="AccessDenied", errorMessage="User is not authorized"), b"{}"
    )
    assert failed.error_code == "AccessDenied"
    assert failed.error_message == "User is not authorized"


def test_raw_is_kept_as_given() -> None:
    raw = b'{ "eventID" : "x",\n  "eventTime":"2024-01-15T10:30:00Z" }'
    event = event_from_record(json.loads(raw), raw)
    assert event.raw is raw


# -- the shared records --------------------------------------------------------------------


def test_user_guide_record(shared_records: Path) -> None:
    rec = json.loads((shared_records / "rds-user-guide-createdbinstance.json").read_bytes())[
        "Records"
    ][0]
    event = event_from_record(rec, b"raw")
    assert event.principal == "johndoe"
    assert event.resource == "test-instance"
    assert event.account == "123456789012"
    assert event.event_name == "CreateDBInstance"
    assert event.event_time == epoch(2018, 7, 30, 22, 14, 6)
    # An eventVersion 1.04 record without readOnly: a write, by its operation's name.
    assert event.read_only is False and event.read_only_inferred
    assert event.source_ip == "72.21.198.65"
    assert event.region == "us-east-1"


def test_shared_assumed_role_record(shared_records: Path) -> None:
    rec = json.loads((shared_records / "panther-rds-records.json").read_bytes())["Records"][0]
    assert rec["userIdentity"]["type"] == "AssumedRole"
    event = event_from_record(rec, b"raw")
    assert event.principal == "DeveloperRole/user"
    # resourceArn of a cluster: the cluster's name.
    assert event.resource == "production-aurora"
    assert event.read_only is False


def test_every_shared_record_is_an_event(shared_record_list: list[dict[str, Any]]) -> None:
    events = [event_from_record(rec, b"") for rec in shared_record_list]
    assert len({event.event_id for event in events}) == 72
    for event, rec in zip(events, shared_record_list):
        assert event.principal, rec["userIdentity"]
        assert event.account == "123456789012"
        assert event.event_source == "rds.amazonaws.com"
        assert (event.error_code is not None) == ("errorCode" in rec)


def test_cloudtrail_times_read_fast_as_the_general_parser_reads_them() -> None:
    """CloudTrail's own `YYYY-MM-DDTHH:MM:SSZ` takes a shortcut; it must agree with the
    general parser on every value, and leave what only looks like it to that parser."""
    import random
    from datetime import datetime, timezone

    from rdstrail_tui.model import event as model_event

    rng = random.Random(13)
    values = [
        f"{rng.randint(1970, 2099):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
        for _ in range(500)
    ]
    odd = ["2024-02-29T23:59:59Z", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z",
           "2026-12-31T24:00:00Z", "2026-12-31T00:00:60Z", "2026-01-01T1\u0663:00:00Z",
           "2026-01-01T10-00-00Z", "2026-01-01 10:00:00Z"]  # fmt: skip
    for value in values + odd:
        try:
            general: object = int(
                datetime.fromisoformat(model_event._older_iso(value))
                .replace(tzinfo=timezone.utc)
                .timestamp()
            )
        except ValueError:
            general = "refused"
        try:
            fast: object = model_event.parse_event_time(value)
        except model_event.RecordError:
            fast = "refused"
        assert fast == general, value


def test_event_ids_encode_as_the_uuid_module_would() -> None:
    import uuid

    from rdstrail_tui.cache.ids import decode_event_id, encode_event_id

    for _ in range(300):
        text = str(uuid.uuid4())
        assert encode_event_id(text) == uuid.UUID(text).bytes
        assert decode_event_id(encode_event_id(text)) == text
    digits_only = "12345678-1234-1234-1234-123456789012"
    assert encode_event_id(digits_only) == uuid.UUID(digits_only).bytes
    for kept in (
        "ABCDEFAB-1234-1234-1234-123456789012",  # not canonical: kept as written
        "12345678-1234-1234-1234-1234 6789012",
        "12345678-1234-1234-1234-12345678901\u0663",
        "{12345678-1234-1234-1234-12345678901}",
        "not-a-uuid",
    ):
        assert encode_event_id(kept) == kept
