"""A cache written by the previous schema, opened by this version: the new per-event fields
(risk flags, the read/write inferred for records without readOnly) are computed for the
events it already holds, with progress, and nothing of it is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest

from rdstrail_tui.cache.codec import RecordCodec, packaged_dictionary
from rdstrail_tui.cache.ids import encode_event_id
from rdstrail_tui.cache.schema import MIGRATIONS, SCHEMA_VERSION
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.model.risk import INFERRED_READ_ONLY, flag_named
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of

RDS = "rds.amazonaws.com"


def _record(event_id: str, name: str, params: dict[str, object], **extra: object) -> bytes:
    record = {
        "eventVersion": "1.08",
        "eventID": event_id,
        "eventTime": "2024-01-15T10:30:00Z",
        "eventSource": RDS,
        "eventName": name,
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "requestParameters": params,
        "responseElements": None,
        "readOnly": False,
        **extra,
    }
    return orjson.dumps({k: v for k, v in record.items() if v is not ...})


def _version_1_cache(path: Path, rows: list[tuple[str, str, bytes, int | None]]) -> None:
    """A cache exactly as schema 1 wrote it: its DDL, its dictionary, its row layout."""
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[1].split(";"):
        if statement.strip():
            db.execute(statement)
    dictionary = packaged_dictionary()
    db.execute("INSERT INTO meta (key, value) VALUES ('zstd_dict', ?)", (dictionary,))
    codec = RecordCodec(dictionary)
    texts: dict[str, int] = {}

    def text(value: str) -> int:
        if value not in texts:
            texts[value] = db.execute(
                "INSERT INTO strings (text) VALUES (?) RETURNING id", (value,)
            ).fetchone()[0]
        return texts[value]

    for event_id, name, raw, read_only in rows:
        db.execute(
            "INSERT INTO events (event_id, event_time, event_name, event_source, region, "
            "account, principal, source_ip, user_agent, read_only, error_code, error_message, "
            "resource, raw) VALUES (?, 1705314600, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)",
            (
                encode_event_id(event_id),
                text(name),
                text(RDS),
                text("us-east-1"),
                text("111122223333"),
                text("alice"),
                text("10.0.0.1"),
                text("aws-cli"),
                read_only,
                text("snap-1"),
                codec.compress(raw),
            ),
        )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()


@pytest.fixture
def old_cache(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    share: dict[str, object] = {
        "dBSnapshotIdentifier": "snap-1",
        "attributeName": "restore",
        "valuesToAdd": ["all"],
    }
    _version_1_cache(
        path,
        [
            (
                "e1",
                "ModifyDBSnapshotAttribute",
                _record("e1", "ModifyDBSnapshotAttribute", share),
                0,
            ),
            # eventVersion 1.02: no readOnly, so schema 1 stored NULL.
            (
                "e2",
                "ModifyDBInstance",
                _record("e2", "ModifyDBInstance", {"dBInstanceIdentifier": "a"}, readOnly=...),
                None,
            ),
            (
                "e3",
                "DescribeDBInstances",
                _record("e3", "DescribeDBInstances", {}, readOnly=...),
                None,
            ),
            ("e4", "CreateDBSnapshot", _record("e4", "CreateDBSnapshot", {}), 0),
        ],
    )
    return path


def test_an_old_cache_gains_flags_and_inferred_reads_with_progress(old_cache: Path) -> None:
    heard: list[tuple[str, int, int]] = []
    with Cache.open(old_cache, progress=lambda *step: heard.append(step)) as cache:
        events = {e.event_id: e for e in cache.events(with_raw=True)}
        public = flag_named("snapshot-public")
        assert public is not None
        assert events["e1"].flags == public.bit and events["e1"].risky
        assert events["e2"].read_only is False and events["e2"].read_only_inferred
        assert events["e3"].read_only is True and events["e3"].flags == INFERRED_READ_ONLY
        assert events["e4"].flags == 0 and not events["e4"].read_only_inferred
        # Nothing lost: every record comes back byte for byte.
        assert orjson.loads(events["e1"].raw)["requestParameters"]["valuesToAdd"] == ["all"]
        # Both evaluators see the filled values.
        for text, expected in (
            ("is:risky", {"e1"}),
            ("is:read", {"e3"}),
            ("is:write", {"e1", "e2", "e4"}),
        ):
            flt = parse_filter(text)
            assert {e.event_id for e in cache.events(where_of(flt))} == expected
            rowids = [int(r) for r in EventIndex.build(cache).select(flt, cache)]
            assert {e.event_id for e in cache.events_by_rowid(rowids).values()} == expected
    # Only the events of operations that can carry a flag were parsed for flags (not e3,
    # e4); every RDS event for the resources it touches (schema 3).
    assert heard == [
        ("risk flags", 2, 2),
        ("resources", 4, 4),
        ("summary", 0, 1),
        ("summary", 1, 1),
        ("eventID index", 0, 1),
        ("eventID index", 1, 1),
    ]
    with Cache.open(old_cache) as cache:
        ((snapshot_id, snapshot),) = cache.resources_named("snap-1")
        assert snapshot.type == "snapshot"
        touching = cache.events_by_rowid([r.rowid for r in cache.timeline([snapshot_id])])
        assert {e.event_id for e in touching.values()} == {"e1"}
        ((instance_id, _),) = cache.resources_named("A")  # any case
        assert len(cache.timeline([instance_id])) == 1
    db = sqlite3.connect(old_cache)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    # Opening again does nothing more.
    heard.clear()
    Cache.open(old_cache, progress=lambda *step: heard.append(step)).close()
    assert heard == []


def test_an_interrupted_upgrade_leaves_the_old_cache_as_it_was(old_cache: Path) -> None:
    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Cache.open(old_cache, progress=interrupt)
    db = sqlite3.connect(old_cache)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [row[1] for row in db.execute("PRAGMA table_info(events)")]
    assert "flags" not in columns
    db.close()
    with Cache.open(old_cache) as cache:  # and the next open upgrades it
        assert cache.count(where_of(parse_filter("is:risky"))) == 1


def test_the_cli_says_it_upgrades_an_old_cache_once(old_cache: Path, run_cli: Any) -> None:
    result = run_cli("--cache", old_cache, "query", "is:risky", "--format", "jsonl")
    assert result.code == 0, result.err
    assert [orjson.loads(line)["eventID"] for line in result.out.splitlines()] == ["e1"]
    assert result.err == (
        f"rdstrail: upgrading {old_cache}: risk flags, 2 of 2\n"
        f"rdstrail: upgrading {old_cache}: resources, 4 of 4\n"
        f"rdstrail: upgrading {old_cache}: summary, 1 of 1\n"
        f"rdstrail: upgrading {old_cache}: eventID index, 1 of 1\n"
    )
    again = run_cli("--cache", old_cache, "stats")
    assert again.code == 0 and again.err == ""
    assert "RISK FLAG" in again.out and "snapshot-public" in again.out


def test_schema_5_keys_events_by_day_and_id_and_keeps_every_rowid(old_cache: Path) -> None:
    before = sqlite3.connect(old_cache)
    rowids = dict(before.execute("SELECT event_id, rowid FROM events"))
    before.close()
    with Cache.open(old_cache) as cache:
        # Every event kept its number (the resource tables and the index refer to it)...
        assert {encode_event_id(e): cache.rowid_of(e) for e in ("e1", "e2", "e3", "e4")} == (rowids)
        assert cache.rowid_of("e9") is None
        # ...an ID is found by both evaluators, alone, among others and negated...
        for text, expected in (
            ("id:e2", {"e2"}),
            ("id:e2,e4", {"e2", "e4"}),
            ("-id:e1", {"e2", "e3", "e4"}),
        ):
            flt = parse_filter(text)
            assert {e.event_id for e in cache.events(where_of(flt))} == expected
            index = [int(r) for r in EventIndex.build(cache).select(flt, cache)]
            assert {e.event_id for e in cache.events_by_rowid(index).values()} == expected
        # ...and a record delivered again (the same ID and time) is still a duplicate.
        (e1,) = [e for e in cache.events(with_raw=True) if e.event_id == "e1"]
        assert cache.insert([e1]) == 0 and cache.count() == 4
    db = sqlite3.connect(old_cache)
    indexes = {row[1] for row in db.execute("PRAGMA index_list(events)")}
    assert "events_by_day_and_id" in indexes
    assert not any(name.startswith("sqlite_autoindex") for name in indexes)  # UNIQUE(event_id)
    db.close()
