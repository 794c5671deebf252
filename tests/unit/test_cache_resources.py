"""The resources events touch, kept in the cache at ingest (schema 3): a resource found
by name in any case, its events whether named plainly or by ARN, the same tables whatever
order the records are loaded in, and nothing twice."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import orjson

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.load import load_paths


def demo_records() -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for path in sorted(shipped_trail_path().rglob("*_CloudTrail_*.json.gz")):
        records.extend(orjson.loads(gzip.decompress(path.read_bytes()))["Records"])
    return records


def load(cache_path: Path, records: list[dict[str, object]], tmp_path: Path) -> Cache:
    trail = tmp_path / f"{cache_path.stem}.json"
    trail.write_text(json.dumps({"Records": records}))
    cache = Cache.open(cache_path)
    load_paths(cache, [trail], Scope())
    return cache


def facts(cache: Cache) -> set[tuple[object, ...]]:
    """Every (resource, eventID) pair and every relation, by identity and eventID."""
    db = cache._db
    pairs = db.execute(
        "SELECT x.type, x.account, x.region, x.identifier, e.rowid FROM event_resources AS r "
        "JOIN resources AS x ON x.id = r.resource JOIN events AS e ON e.rowid = r.event"
    ).fetchall()
    ids = {
        rowid: event.event_id
        for rowid, event in cache.events_by_rowid([p[4] for p in pairs]).items()
    }
    relations = db.execute(
        "SELECT s.identifier, r.kind, o.identifier, r.event FROM event_relations AS r "
        "JOIN resources AS s ON s.id = r.subject JOIN resources AS o ON o.id = r.other"
    ).fetchall()
    return {(*p[:4], ids[p[4]]) for p in pairs} | {("relation", *r[:3]) for r in relations}


def test_a_resource_and_its_events_named_plainly_or_by_arn(tmp_path: Path) -> None:
    with load(tmp_path / "a.db", demo_records(), tmp_path) as cache:
        ((orders_id, orders),) = cache.resources_named("ORDERS-PROD")
        assert (orders.type, orders.account, orders.region) == (
            "instance",
            "111122223333",
            "us-east-1",
        )
        timeline = cache.timeline([orders_id])
        names = [row.event_name for row in timeline]
        # Oldest first; the tag listings name it by ARN only.
        times = [row.time for row in timeline]
        assert times == sorted(times)
        assert "ListTagsForResource" in names and "ModifyDBInstance" in names
        # Its snapshot is related, and touched by the snapshot call too.
        kinds = {(kind, other.type) for kind, other, _, _ in cache.relations_of(orders_id)}
        assert ("snapshot-of", "snapshot") in kinds


def test_the_same_tables_whatever_the_loading_order(tmp_path: Path) -> None:
    records = demo_records()
    with load(tmp_path / "forward.db", records, tmp_path) as forward:
        expected = facts(forward)
    with load(tmp_path / "backward.db", records[::-1], tmp_path) as backward:
        assert facts(backward) == expected
        # Loaded again: nothing new.
        trail = tmp_path / "again.json"
        trail.write_text(json.dumps({"Records": records}))
        load_paths(backward, [trail], Scope())
        assert facts(backward) == expected
    assert len(expected) > 300


def test_clear_forgets_the_resources(tmp_path: Path) -> None:
    with load(tmp_path / "c.db", demo_records(), tmp_path) as cache:
        assert cache.resources_named("orders-prod")
        cache.clear()
        assert cache.resources_named("orders-prod") == [] and facts(cache) == set()
