"""The explorer's in-memory index must select exactly what the SQL of the CLI selects, in the
same newest-first order, for every kind of term."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.query import memory
from rdstrail_tui.query.language import FilterError, parse_filter
from rdstrail_tui.query.memory import EventIndex
from rdstrail_tui.query.sql import where_of
from rdstrail_tui.sources.load import load_paths

NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)

FILTERS = [
    "",
    "modify",
    "-describe",
    "user:admin",
    "-user:alice",
    "res:prod",
    "ip:10.",
    "region:eu",
    "account:4444",
    "source:rds",
    "agent:terraform",
    "error:denied",
    "-error:denied",
    "is:error",
    "-is:error",
    "is:write",
    "is:read",
    "-is:read",
    "since:2026-11-15",
    "until:2026-11-10",
    "since:3d",
    "modify -is:error user:a",
    'user:"AWSReservedSSO"',
    "id:no-such-event",
    "nothing-matches-this",
    # OR and exact match.
    "modify,delete",
    "user:alice,bob",
    "-user:alice,bob",
    "modify,delete -is:error user:a,carol",
    "res:=reporting-pg",
    "-res:=reporting-pg",
    "res:=REPORTING-PG,orders-prod",
    "name:=ModifyDBInstance",
    "user:=DBAdmin/carol",
    "error:=AccessDenied",
    "-error:=accessdenied",
    "region:=eu-west-1",
    "id:no-such-event,other",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cache]:
    path = tmp_path_factory.mktemp("index") / "events.db"
    with Cache.open(path) as opened:
        shared = Path(__file__).parents[1] / "data" / "rds-events"
        load_paths(opened, [shipped_trail_path(), shared], Scope())
        yield opened


def sql_ids(cache: Cache, text: str) -> list[str]:
    return [e.event_id for e in cache.events(where_of(parse_filter(text, NOW)), with_raw=False)]


def index_ids(cache: Cache, index: EventIndex, text: str) -> list[str]:
    rowids = [int(r) for r in index.select(parse_filter(text, NOW), cache)]
    events = cache.events_by_rowid(rowids)
    return [events[rowid].event_id for rowid in rowids]


@pytest.mark.parametrize("text", FILTERS)
def test_index_selects_what_sql_selects(cache: Cache, text: str) -> None:
    index = EventIndex.build(cache)
    assert len(index) == cache.count()
    assert index_ids(cache, index, text) == sql_ids(cache, text)


def test_an_exact_id_finds_its_event(cache: Cache) -> None:
    index = EventIndex.build(cache)
    some = next(cache.events(with_raw=False)).event_id
    assert index_ids(cache, index, f"id:{some}") == [some]


def test_ids_of_any_of_several_events(cache: Cache) -> None:
    index = EventIndex.build(cache)
    newest, _, third = (e.event_id for e in cache.events(limit=3, with_raw=False))
    text = f"id:{third},no-such-event,{newest}"
    assert index_ids(cache, index, text) == sql_ids(cache, text) == [newest, third]


def test_remembered_lookups_answer_like_fresh_ones(cache: Cache) -> None:
    """The index remembers string lookups between keystrokes; typing a filter one character
    at a time ends where the whole filter, fresh, does."""
    index = EventIndex.build(cache)
    text = "user:alice,bob res:=reporting-pg,orders-prod -modify,describe"
    for end in range(1, len(text) + 1):
        # A prefix that does not parse (user:alice, with its comma) is not applied.
        with contextlib.suppress(FilterError):
            index.select(parse_filter(text[:end], NOW), cache)
    assert index_ids(cache, index, text) == index_ids(cache, EventIndex.build(cache), text)
    assert index_ids(cache, index, text) == sql_ids(cache, text)


def test_extending_takes_in_new_events_in_order(tmp_path: Path) -> None:
    with Cache.open(tmp_path / "events.db") as cache:
        load_paths(cache, [Path(__file__).parents[1] / "data" / "rds-events"], Scope())
        index = EventIndex.build(cache)
        assert len(index) == 72
        load_paths(cache, [shipped_trail_path()], Scope())
        grown = index.extended(cache)
        assert len(grown) == cache.count() > 72
        assert index_ids(cache, grown, "") == sql_ids(cache, "")
        assert grown.extended(cache) is grown  # nothing new: the same index


# Typed a character at a time, with the edits that must not narrow the last matches: a
# negated word grown (matches more), an exact value grown (another value), an alternative
# added, a word taken back, a term removed, terms reordered.
TYPED = [
    "modify user:a -is:error",
    "-des -desc -describe",
    "name:=ModifyDBInstance",
    "-is:error res:=reporting-pg",
    "modify,delete user:carol,bob",
    "modifyd modify",
    "user:alice res:prod user:a",
    "res:p res:prod res:prod-x",
    "is:write user:a user:adm agent:terra",
]


@pytest.mark.parametrize("dense", [False, True], ids=["listed", "masked"])
@pytest.mark.parametrize("typed", TYPED)
def test_each_keystroke_selects_what_sql_selects(
    cache: Cache, typed: str, dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index narrows the last keystroke's matches when the new filter can only match
    fewer; at every step of typing (and of the edits that must not narrow) it selects
    exactly what SQL does for the text as it stands."""
    if dense:  # many matches kept as a mask, from any size; one term's found from the end
        monkeypatch.setattr(memory, "DENSE_MIN_ROWS", 0)
        monkeypatch.setattr(memory, "_TAIL_ROWS", 4)
    index = EventIndex.build(cache)
    steps = [typed[:end] for end in range(1, len(typed) + 1)]
    steps += [typed, typed.rsplit(" ", 1)[0], " ".join(reversed(typed.split(" "))), typed]
    for text in steps:
        with contextlib.suppress(FilterError):
            where = parse_filter(text, NOW)
            expected = sql_ids(cache, text)
            # The count and the newest rows first, as the list asks for them.
            selection = index.selection(where, cache)
            assert len(selection) == len(expected), text
            newest = cache.events_by_rowid(selection.rowids(0, 3))
            assert [newest[r].event_id for r in selection.rowids(0, 3)] == expected[:3], text
            assert index_ids(cache, index, text) == expected, text
