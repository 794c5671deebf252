"""Risk flags: each flag from the smallest record that carries it, the near misses that must
not, and every flag through both evaluators of `flag:` (SQL and the explorer's index)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.model.risk import RISK_FLAGS, RISK_MASK, flag_named, flags_in, risk_flags
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of

ACCOUNT = "111122223333"


def call(name: str, response: Any = None, **params: Any) -> dict[str, Any]:
    return {
        "eventName": name,
        "eventSource": "rds.amazonaws.com",
        "requestParameters": params,
        "responseElements": response,
    }


def restore(name: str = "ModifyDBSnapshotAttribute", **values: Any) -> dict[str, Any]:
    return call(name, attributeName="restore", **values)


HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
ENCRYPTED = {"storageEncrypted": True}
UNENCRYPTED = {"storageEncrypted": False}

FLAGGED = [
    ("snapshot-public", restore(valuesToAdd=["all"])),
    ("snapshot-public", restore("ModifyDBClusterSnapshotAttribute", valuesToAdd=["ALL"])),
    ("snapshot-shared", restore(valuesToAdd=["444455556666"])),
    ("publicly-accessible", call("ModifyDBInstance", publiclyAccessible=True)),
    ("publicly-accessible", call("RestoreDBInstanceFromDBSnapshot", publiclyAccessible="true")),
    ("deletion-protection-off", call("ModifyDBCluster", deletionProtection=False)),
    ("unencrypted", call("CreateDBCluster", storageEncrypted=False)),
    ("unencrypted", call("CreateDBInstance", UNENCRYPTED, engine="mysql")),
    ("backups-off", call("ModifyDBInstance", backupRetentionPeriod=0)),
    ("backups-off", call("CreateDBInstance", ENCRYPTED, backupRetentionPeriod="0")),
    ("master-password-changed", call("ModifyDBInstance", masterUserPassword=HIDDEN)),
    ("master-password-changed", call("ModifyDBCluster", rotateMasterUserPassword=True)),
    ("iam-auth-off", call("ModifyDBInstance", enableIAMDatabaseAuthentication=False)),
    ("deleted-without-snapshot", call("DeleteDBCluster", skipFinalSnapshot=True)),
    ("open-ingress", call("AuthorizeDBSecurityGroupIngress", cIDRIP="0.0.0.0/0")),
    ("open-ingress", call("AuthorizeDBSecurityGroupIngress", cIDRIP="::/0")),
]  # fmt: skip

NOT_FLAGGED = [
    # Sharing with the event's own account, or removing a share.
    restore(valuesToAdd=[ACCOUNT]),
    restore(valuesToRemove=["all"]),
    call("ModifyDBSnapshotAttribute", attributeName="copy", valuesToAdd=["all"]),
    # Off on a create is the default, not a change; on a modify, on is no risk.
    call("CreateDBInstance", ENCRYPTED, deletionProtection=False),
    call("ModifyDBInstance", deletionProtection=True, publiclyAccessible=False),
    call("ModifyDBInstance", backupRetentionPeriod=7, enableIAMDatabaseAuthentication=True),
    # An Aurora instance takes its cluster's encryption (flagged on the cluster's create).
    call("CreateDBInstance", UNENCRYPTED, dBClusterIdentifier="c", engine="aurora-mysql"),
    call("CreateDBInstance", ENCRYPTED),
    call("DeleteDBInstance", skipFinalSnapshot=False, finalDBSnapshotIdentifier="final"),
    call("AuthorizeDBSecurityGroupIngress", cIDRIP="10.0.0.0/8"),
    # The same keys on a call that cannot carry the flag.
    call("CreateDBSnapshot", publiclyAccessible=True),
    call("DescribeDBInstances"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "record"), FLAGGED, ids=lambda x: x if isinstance(x, str) else "")
def test_each_flag_from_its_record(name: str, record: dict[str, Any]) -> None:
    bits = risk_flags(record, ACCOUNT)
    assert [flag.name for flag in flags_in(bits)] == [name]


@pytest.mark.parametrize("record", NOT_FLAGGED)
def test_near_misses_carry_no_flag(record: dict[str, Any]) -> None:
    assert risk_flags(record, ACCOUNT) == 0


def test_a_failed_attempt_keeps_its_flag() -> None:
    record = {
        **call("ModifyDBSnapshotAttribute", attributeName="restore", valuesToAdd=["all"]),
        "eventID": "e",
        "eventTime": "2026-11-12T15:02:33Z",
        "recipientAccountId": ACCOUNT,
        "errorCode": "AccessDenied",
    }
    event = event_from_record(record, b"{}")
    assert event.risky and [f.name for f in flags_in(event.flags)] == ["snapshot-public"]


def test_the_table() -> None:
    names = [flag.name for flag in RISK_FLAGS]
    assert len(names) == len(set(names)) == 10
    assert all(flag.reason and len(flag.reason) <= 80 for flag in RISK_FLAGS)
    assert sum(1 << n for n in range(10)) == RISK_MASK
    assert {name for name, _ in FLAGGED} == set(names)  # every flag is tested above


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    """One event per flag (its bit only), and one without."""
    path: Path = tmp_path_factory.mktemp("risk") / "events.db"
    with Cache.open(path) as opened:
        opened.insert(
            Event(f"e-{flag.name}", 1_700_000_000 + n, "ModifyDBInstance",
                  "rds.amazonaws.com", "us-east-1", ACCOUNT, "alice", "10.0.0.1", "cli",
                  False, None, None, "db", b"{}", flag.bit)
            for n, flag in enumerate(RISK_FLAGS)
        )  # fmt: skip
        opened.insert(
            [Event("e-none", 1_600_000_000, "ModifyDBInstance", "rds.amazonaws.com",
                   "us-east-1", ACCOUNT, "alice", "10.0.0.1", "cli", False, None, None, "db",
                   b"{}")]
        )  # fmt: skip
        yield opened


@pytest.mark.parametrize("flag", RISK_FLAGS, ids=lambda flag: flag.name)
def test_flag_terms_agree_in_both_evaluators(cache: Cache, flag: Any) -> None:
    index = EventIndex.build(cache)
    for text, expected in (
        (f"flag:={flag.name}", {f"e-{flag.name}"}),
        (f"flag:{flag.name}", {f"e-{f.name}" for f in RISK_FLAGS if flag.name in f.name}),
        (f"-flag:={flag.name}", {f"e-{f.name}" for f in RISK_FLAGS if f is not flag} | {"e-none"}),
        ("is:risky", {f"e-{f.name}" for f in RISK_FLAGS}),
        ("-is:risky", {"e-none"}),
    ):
        flt = parse_filter(text)
        by_sql = {e.event_id for e in cache.events(where_of(flt), with_raw=False)}
        rowids = [int(r) for r in index.select(flt, cache)]
        by_index = {e.event_id for e in cache.events_by_rowid(rowids).values()}
        assert by_sql == by_index == expected, text
    assert flag_named(flag.name.upper()) is flag
