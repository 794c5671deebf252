"""The card that starts an opened event: what it says for real records at 80 and 160
columns, what survives a cut, every userIdentity shape, and hostile text."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest

from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.present.card import card_lines, card_spans
from tests.conftest import load_shared_records, make_record

SSO_ROLE = "AWSReservedSSO_AdministratorAccess_abc123"


def event_of(record: dict[str, Any]) -> Event:
    return event_from_record(record, json.dumps(record).encode())


def labelled(lines: list[str], label: str) -> str:
    """The card's line with `label` (`who`, `from`, ...)."""
    (line,) = [line for line in lines if line.startswith(label.ljust(10))]
    return line


def width_of(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in line)


def sso_console_record(**fields: Any) -> dict[str, Any]:
    """The demo's jane: an Identity Center role used from the console."""
    identity = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEJANE:jane@example.com",
        "arn": f"arn:aws:sts::111122223333:assumed-role/{SSO_ROLE}/jane@example.com",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLEJANE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEJANE",
                "arn": f"arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}",
                "accountId": "111122223333",
                "userName": SSO_ROLE,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2026-11-20T17:40:00Z", "mfaAuthenticated": "false"},
        },
    }
    base = {
        "userIdentity": identity,
        "eventTime": "2026-11-20T18:04:00Z",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.88",
        "userAgent": (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
        ),
        "requestParameters": {"dBInstanceIdentifier": "payments-aurora-instance-2"},
        "sessionCredentialFromConsole": "true",
    }
    base.update(fields)
    return make_record(**base)


EXPECTED_80 = [
    "2026-11-20 18:04:00 UTC  ModifyDBInstance  OK",
    "what      write: Modifies settings for a DB instance.",
    "resource  payments-aurora-instance-2",
    "who       AssumedRole AdministratorAccess (SSO) / jane@example.com, via console",
    "from      198.51.100.88  console",
    "where     eu-west-1  account 111122223333",
]


@pytest.mark.parametrize("width", [80, 160])
def test_a_console_modification_reads_at_a_glance(width: int) -> None:
    record = sso_console_record()
    assert card_lines(event_of(record), record, width) == EXPECTED_80


def test_a_failed_call_says_failed_its_code_and_why() -> None:
    message = (
        "The parameter combination is not valid: you cannot set both "
        "ManageMasterUserPassword and MasterUserPassword in one ModifyDBInstance call."
    )
    record = sso_console_record(errorCode="InvalidParameterCombination", errorMessage=message)
    event = event_of(record)

    lines = card_lines(event, record, 80)
    assert (
        lines[0] == "2026-11-20 18:04:00 UTC  ModifyDBInstance  FAILED InvalidParameterCombination"
    )
    assert lines[1] == (
        "error     The parameter combination is not valid: you cannot set both ManageMas…"
    )
    assert lines[2:] == EXPECTED_80[1:]
    # Wide enough, the message is whole.
    assert card_lines(event, record, 160)[1] == f"error     {message}"


def test_an_error_code_that_does_not_fit_beside_failed_goes_with_the_message() -> None:
    record = make_record(
        eventName="RestoreDBClusterToPointInTime",
        errorCode="InvalidParameterCombination",
        errorMessage="Both set.",
    )
    lines = card_lines(event_of(record), record, 80)
    assert lines[0] == "2024-03-01 12:00:00 UTC  RestoreDBClusterToPointInTime  FAILED"
    assert lines[1] == "error     InvalidParameterCombination: Both set."
    wide = card_lines(event_of(record), record, 100)
    assert wide[0].endswith("  FAILED InvalidParameterCombination")
    assert wide[1] == "error     Both set."
    # Without a message the code still gets the line it needs.
    bare = make_record(eventName="RestoreDBClusterToPointInTime", errorCode="AccessDenied")
    lines = card_lines(event_of(bare), bare, 60)
    assert lines[0] == "2024-03-01 12:00:00  RestoreDBClusterToPointInTime  FAILED"
    assert lines[1] == "error     AccessDenied"


def test_the_outcome_and_the_labels_have_their_own_roles() -> None:
    record = sso_console_record(errorCode="AccessDenied", errorMessage="no")
    first, second, *_ = card_spans(event_of(record), record, 80)
    roles = {span.text: span.role for span in first}
    assert roles["FAILED AccessDenied"] == "failed"
    assert roles["ModifyDBInstance"] == "name"
    assert second[0].role == "label" and second[0].text.strip() == "error"
    ok = sso_console_record()
    assert card_spans(event_of(ok), ok, 80)[0][-1].text == "OK"
    assert card_spans(event_of(ok), ok, 80)[0][-1].role == "ok"


def test_an_error_message_without_a_code_is_still_a_failure() -> None:
    record = make_record(errorMessage="Throttling: Rate exceeded")
    lines = card_lines(event_of(record), record, 80)
    assert lines[0].endswith("ModifyDBInstance  FAILED")
    assert lines[1] == "error     Throttling: Rate exceeded"


def test_at_40_columns_the_distinguishing_ends_survive() -> None:
    record = sso_console_record(
        requestParameters={"dBInstanceIdentifier": "payments-aurora-cluster-eu-west-1-instance-2"}
    )
    lines = card_lines(event_of(record), record, 40)
    assert all(width_of(line) <= 40 for line in lines), lines
    assert lines[0] == "2026-11-20 18:04:00 ModifyDBInstance OK"
    assert lines[1] == "what      write: Modifies settings for…"  # at a word's edge
    resource = lines[2].removeprefix("resource  ")
    assert resource.startswith("…") and resource.endswith("-instance-2")
    who = lines[3].removeprefix("who       ")
    assert who.startswith("…") and who.endswith("jane@example.com, via console")
    assert lines[5] == "where     eu-west-1 account 111122223333"


def test_a_long_session_name_keeps_its_end() -> None:
    session = "botocore-session-1732125840-" + "x" * 40 + "-jane"
    identity = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::111122223333:assumed-role/{SSO_ROLE}/{session}",
        "accountId": "111122223333",
    }
    record = make_record(userIdentity=identity)
    who = labelled(card_lines(event_of(record), record, 80), "who")
    assert len(who) == 80 and who.endswith("x-jane")
    assert who.startswith("who       …")


WHO: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    (
        "IAM user",
        {"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice", "userName": "alice"},
        {},
        "IAMUser alice",
    ),
    (
        "IAM user in the console",
        {"type": "IAMUser", "userName": "dr-coordinator"},
        {"userAgent": "console.amazonaws.com"},
        "IAMUser dr-coordinator, via console",
    ),
    (
        "role session",
        {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/DBAdmin/carol"},
        {},
        "AssumedRole DBAdmin / carol",
    ),
    (
        "role without an STS ARN",
        {
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:carol",
            "sessionContext": {"sessionIssuer": {"userName": "DBAdmin"}},
        },
        {},
        "AssumedRole DBAdmin / carol",
    ),
    (
        "Identity Center role by its path",
        {
            "type": "AssumedRole",
            "arn": "arn:aws:sts::1:assumed-role/ARole/fake.user",
            "sessionContext": {
                "sessionIssuer": {
                    "arn": "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/us-west-2/ARole"
                }
            },
        },
        {},
        "AssumedRole ARole (SSO) / fake.user",
    ),
    (
        "console session of the AWS Internal agent",
        {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/Admin/Jack"},
        {"userAgent": "AWS Internal", "sessionCredentialFromConsole": True},
        "AssumedRole Admin / Jack, via console",
    ),
    (
        "root",
        {"type": "Root", "arn": "arn:aws:iam::111122223333:root"},
        {"sessionCredentialFromConsole": "true"},
        "Root, via console",
    ),
    (
        "AWS service",
        {"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        {"userAgent": "rds.amazonaws.com"},
        "AWSService rds.amazonaws.com",
    ),
    (
        "federated user",
        {"type": "FederatedUser", "arn": "arn:aws:sts::1:federated-user/bob"},
        {},
        "FederatedUser bob",
    ),
    (
        "Identity Center user",
        {"type": "IdentityCenterUser", "onBehalfOf": {"userId": "544894e8-80c1"}},
        {},
        "IdentityCenterUser 544894e8-80c1",
    ),
    (
        "SAML user",
        {"type": "SAMLUser", "userName": "bob", "identityProvider": "okta"},
        {},
        "SAMLUser bob (okta)",
    ),
    (
        "another account",
        {"type": "AWSAccount", "accountId": "444455556666"},
        {},
        "AWSAccount 444455556666",
    ),
]


@pytest.mark.parametrize(
    ("identity", "extra", "who"), [case[1:] for case in WHO], ids=[case[0] for case in WHO]
)
def test_who_for_every_identity_shape(
    identity: dict[str, Any], extra: dict[str, Any], who: str
) -> None:
    record = make_record(userIdentity=identity, **extra)
    assert labelled(card_lines(event_of(record), record, 80), "who") == f"who       {who}"


def test_without_the_raw_record_the_card_uses_the_event() -> None:
    record = sso_console_record()
    lines = card_lines(event_of(record), {}, 80)
    # No type, and the model's principal: one cell too long, and the "…" takes one more.
    assert lines[3] == f"who       …{SSO_ROLE[2:]}/jane@example.com, via console"
    assert lines[4] == "from      198.51.100.88  console"


@pytest.mark.parametrize(
    ("agent", "origin"),
    [
        ("aws-cli/2.13.0", "from      203.0.113.7  AWS CLI"),
        (
            "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
            "terraform-provider-aws/5.74.0",
            "from      203.0.113.7  Terraform",
        ),
        # Nothing known: the agent's first word, which is still a clue.
        ("python-requests/2.28.0", "from      203.0.113.7  python-requests/2.28.0"),
        ("", "from      203.0.113.7"),
    ],
)
def test_from_says_the_address_and_the_caller_kind(agent: str, origin: str) -> None:
    record = make_record(sourceIPAddress="203.0.113.7", userAgent=agent)
    assert labelled(card_lines(event_of(record), record, 80), "from") == origin


def test_a_service_is_named_once_when_it_is_also_the_address() -> None:
    record = make_record(
        userIdentity={"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        sourceIPAddress="rds.amazonaws.com",
        userAgent="rds.amazonaws.com",
    )
    assert labelled(card_lines(event_of(record), record, 80), "from") == (
        "from      rds.amazonaws.com"
    )
    backup = make_record(
        userIdentity={"type": "AWSService", "invokedBy": "backup.amazonaws.com"},
        sourceIPAddress="backup.amazonaws.com",
        userAgent="backup.amazonaws.com",
    )
    assert labelled(card_lines(event_of(backup), backup, 80), "from") == (
        "from      backup.amazonaws.com  AWS Backup"
    )


HOSTILE = "\x1b[2J\x1b]52;c;aGVsbG8=\x07\u202e\x9b\n"


def test_hostile_text_is_shown_escaped() -> None:
    record = sso_console_record(
        userIdentity={
            "type": "AssumedRole",
            "arn": f"arn:aws:sts::1:assumed-role/Admin/evil{HOSTILE}",
        },
        errorCode=f"Bad{HOSTILE}",
        errorMessage=f"nothing to see{HOSTILE}[bold red]markup[/]",
        userAgent=f"x{HOSTILE}",
        sourceIPAddress=f"10.0.0.1{HOSTILE}",
        requestParameters={"dBInstanceIdentifier": f"db{HOSTILE}"},
        awsRegion=f"eu{HOSTILE}",
    )
    for width in (40, 80, 160):
        lines = card_lines(event_of(record), record, width)
        text = "\n".join(lines)
        for char in "\x1b\x07\u202e\x9b\r":
            assert char not in text
        assert len(lines) == 7
        assert all(width_of(line) <= width for line in lines)
    lines = card_lines(event_of(record), record, 160)
    assert "\\x1b[2J" in lines[1] and "[bold red]markup[/]" in lines[1]
    assert labelled(lines, "resource").endswith("db\\x1b[2J\\x1b]52;c;aGVsbG8=\\x07\\u202e\\x9b\\n")


def test_wide_characters_are_measured_in_cells() -> None:
    record = make_record(errorCode="Failed", errorMessage="データベース" * 20)
    line = card_lines(event_of(record), record, 80)[1]
    assert width_of(line) <= 80 and line.endswith("…")
    assert width_of(line) >= 79  # a wide character that does not fit leaves one cell


@pytest.mark.parametrize("width", [40, 80, 160])
def test_every_shared_record_makes_a_card_that_fits(width: int) -> None:
    for record in load_shared_records():
        event = event_of(record)
        lines = card_lines(event, record, width)
        assert 6 <= len(lines) <= 8, lines
        assert all(width_of(line) <= width for line in lines), lines
        assert lines[0].startswith(event.time.strftime("%Y-%m-%d %H:%M:%S"))
        assert lines[-1].startswith("where ")


# -- what the call does, and its risk flags ---------------------------------------------------


def share_record(values: list[str], **fields: Any) -> dict[str, Any]:
    """A manual snapshot shared with `values` (account ids, or `all`: public)."""
    request = {
        "dBSnapshotIdentifier": "orders-manual-1",
        "attributeName": "restore",
        "valuesToAdd": values,
    }
    return make_record(eventName="ModifyDBSnapshotAttribute", requestParameters=request, **fields)


def test_what_says_write_and_the_operations_description() -> None:
    record = make_record(eventName="DeleteDBInstance")
    assert labelled(card_lines(event_of(record), record, 80), "what") == (
        "what      write: Deletes a previously provisioned DB instance."
    )
    read = make_record(eventName="DescribeDBInstances", readOnly=True)
    assert labelled(card_lines(event_of(read), read, 80), "what") == (
        "what      read: Describes provisioned RDS instances."
    )


def test_a_long_description_is_cut_at_a_word_and_read_or_write_never() -> None:
    record = share_record(["444455556666"])
    assert labelled(card_lines(event_of(record), record, 80), "what") == (
        "what      write: Adds an attribute and values to, or removes an attribute and…"
    )
    narrow = labelled(card_lines(event_of(record), record, 40), "what")
    assert narrow == "what      write: Adds an attribute and…"


def test_an_old_record_without_read_only_says_the_answer_is_inferred() -> None:
    record = make_record(eventVersion="1.02", _drop=["readOnly"])
    event = event_of(record)
    assert event.read_only is False and event.read_only_inferred
    assert labelled(card_lines(event, record, 80), "what") == (
        "what      write (inferred from the name): Modifies settings for a DB instance."
    )
    read = make_record(eventName="DescribeDBSnapshots", eventVersion="1.02", _drop=["readOnly"])
    assert labelled(card_lines(event_of(read), read, 80), "what").startswith(
        "what      read (inferred from the name): "
    )


def test_without_a_description_what_says_read_or_write_alone() -> None:
    # A call the model does not know (a new API), a call of another service that shares
    # a name with one of RDS's, and no model at all.
    unknown = make_record(eventName="ModifyFooBar")
    assert labelled(card_lines(event_of(unknown), unknown, 80), "what") == "what      write"
    other = make_record(
        eventName="ListTagsForResource", eventSource="pi.amazonaws.com", readOnly=True
    )
    assert labelled(card_lines(event_of(other), other, 80), "what") == "what      read"
    record = make_record()
    lines = card_lines(event_of(record), record, 80, model=None)
    assert labelled(lines, "what") == "what      write"


def test_a_risky_call_names_its_flag_and_why() -> None:
    record = share_record(["all"])
    event = event_of(record)
    reason = "snapshot made public: any AWS account can copy or restore it"
    lines = card_lines(event, record, 80)
    assert lines[1].startswith("what      write: ")
    assert (
        lines[2] == "risk      snapshot-public: snapshot made public: any AWS account can copy or…"
    )
    assert card_lines(event, record, 160)[2] == f"risk      snapshot-public: {reason}"
    spans = card_spans(event, record, 80)[2]
    assert [(span.text, span.role) for span in spans[:2]] == [
        ("risk      ", "label"),
        ("snapshot-public", "risk"),
    ]
    # Most calls carry none, and have no risk line.
    plain = make_record()
    assert not any(line.startswith("risk") for line in card_lines(event_of(plain), plain, 80))


def test_several_flags_are_named_and_the_first_ones_reason_given() -> None:
    record = share_record(["all", "444455556666"])
    lines = card_lines(event_of(record), record, 80)
    assert lines[2] == "risk      snapshot-public, snapshot-shared: snapshot made public: any AWS…"


def test_a_failed_risky_call_was_attempted() -> None:
    record = share_record(["444455556666"], errorCode="AccessDenied", errorMessage="no")
    event = event_of(record)
    reason = "snapshot shared with another AWS account, which can copy or restore it"
    wide = card_lines(event, record, 200)
    assert wide[1] == "error     no"
    assert wide[3] == f"risk      snapshot-shared (attempted; the call failed): {reason}"
    # Where the long note would cut the reason, the first line's FAILED says the rest.
    assert card_lines(event, record, 80)[3] == (
        "risk      snapshot-shared (attempted): snapshot shared with another AWS…"
    )


@pytest.mark.parametrize("width", [40, 80])
def test_the_risk_line_fits_and_keeps_the_names(width: int) -> None:
    record = share_record(["all", "444455556666"], errorCode="AccessDenied")
    lines = card_lines(event_of(record), record, width)
    (risk,) = [line for line in lines if line.startswith("risk ")]
    assert all(width_of(line) <= width for line in lines)
    assert risk.startswith("risk      snapshot-public, snapshot-sha")
