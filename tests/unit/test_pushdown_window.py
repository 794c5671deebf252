"""The window and cursor of a pushed-down sync (sources/pushdown_window.py), the final cut, and
the command line of `rdstrail sync athena` / `sync lake` before any request is made."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

import pytest

from rdstrail_tui.model.event import event_from_record
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.sources.final_cut import FinalCut
from rdstrail_tui.sources.pushdown_window import (
    DEFAULT_DAYS,
    LATE_DELIVERY_SECONDS,
    Covered,
    Span,
    cursor_key,
    day_chunks,
    plan_span,
)
from tests.conftest import Result, make_record

pytestmark = pytest.mark.unit

NOW = int(datetime(2026, 12, 2, 12, 0, tzinfo=timezone.utc).timestamp())
DAY = 86_400
EMPTY = parse_filter("")


def test_without_a_cursor_the_window_is_the_asked_one_or_the_last_days() -> None:
    span, after = plan_span(now=NOW, since=None, until=None, covered=None, flt=EMPTY)
    assert span == Span(NOW - DEFAULT_DAYS * DAY, NOW)
    assert after == Covered(span.since, span.until)
    span, _ = plan_span(now=NOW, since=NOW - 30 * DAY, until=NOW - DAY, covered=None, flt=EMPTY)
    assert span == Span(NOW - 30 * DAY, NOW - DAY)


def test_a_cursor_asks_only_from_an_hour_before_its_end() -> None:
    covered = Covered(NOW - 30 * DAY, NOW - 600)
    span, after = plan_span(now=NOW, since=None, until=None, covered=covered, flt=EMPTY)
    assert span == Span(NOW - 600 - LATE_DELIVERY_SECONDS, NOW)
    assert after == Covered(NOW - 30 * DAY, NOW)


def test_a_window_older_than_the_cursor_is_asked_whole() -> None:
    covered = Covered(NOW - 7 * DAY, NOW - 600)
    span, after = plan_span(now=NOW, since=NOW - 60 * DAY, until=None, covered=covered, flt=EMPTY)
    assert span == Span(NOW - 60 * DAY, NOW)
    assert after == Covered(NOW - 60 * DAY, NOW)


def test_the_filters_own_times_narrow_the_window() -> None:
    flt = parse_filter("since:2026-11-30 until:2026-12-01 -since:2020-01-01")
    span, _ = plan_span(now=NOW, since=None, until=None, covered=None, flt=flt)
    start = int(datetime(2026, 11, 30, tzinfo=timezone.utc).timestamp())
    assert span == Span(start, start + 2 * DAY - 1)
    flt = parse_filter("until:2020-01-01")
    span, _ = plan_span(now=NOW, since=None, until=None, covered=None, flt=flt)
    assert span.empty


def test_cursors_are_per_place_accounts_regions_scope_and_filter() -> None:
    def key(**changes: Any) -> str:
        base: dict[str, Any] = {
            "accounts": ("1", "2"),
            "regions": ("us-east-1",),
            "sources": frozenset({"rds.amazonaws.com"}),
            "flt": parse_filter("modify  -is:error"),
        }
        base.update(changes)
        return cursor_key("athena:db.t", **base)

    assert key() == key(accounts=("2", "1"), flt=parse_filter(" modify -is:error "))
    assert key() != key(flt=parse_filter("modify"))
    assert key() != key(regions=("eu-west-1",))
    assert key() != key(sources=None)
    assert key() != cursor_key(
        "athena:db.other",
        accounts=("1", "2"),
        regions=("us-east-1",),
        sources=frozenset({"rds.amazonaws.com"}),
        flt=parse_filter("modify -is:error"),
    )


def test_an_unreadable_cursor_is_as_none() -> None:
    assert Covered.parse("not json") is None
    assert Covered.parse('{"since": 1}') is None
    assert Covered.parse(Covered(1, 2).value()) == Covered(1, 2)


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp())


def test_a_window_within_the_partition_limit_is_one_piece_a_day_later_at_the_end() -> None:
    span = Span(_epoch(date(2026, 11, 1)) + 5, _epoch(date(2026, 11, 20)) + 100)
    assert day_chunks(span, 4, 1_000_000) == [(span, date(2026, 11, 1), date(2026, 11, 21))]


def test_a_window_past_the_partition_limit_is_cut_without_gaps() -> None:
    span = Span(_epoch(date(2026, 11, 1)) + 5, _epoch(date(2026, 11, 20)) + 100)
    pieces = day_chunks(span, 4, 24)  # six days of four places a statement
    for piece, first, last in pieces:
        assert ((last - first).days + 1) * 4 <= 24
        assert _epoch(first) <= piece.since and piece.until < _epoch(last)
    assert pieces[0][0].since == span.since and pieces[-1][0].until == span.until
    for (one, _, _), (two, _, _) in zip(pieces, pieces[1:]):
        assert two.since == one.until + 1


def test_too_many_places_for_even_one_day_is_refused() -> None:
    with pytest.raises(ValueError, match="accounts x regions"):
        day_chunks(Span(0, DAY), 600_000, 1_000_000)


def test_the_final_cut_keeps_what_the_caches_evaluator_matches() -> None:
    records = [
        make_record(eventName="ModifyDBInstance"),
        make_record(eventName="DescribeDBInstances", readOnly=True),
        make_record(eventName="ModifyDBInstance", errorCode="AccessDenied"),
    ]
    events = [event_from_record(r, b"{}") for r in records]
    with FinalCut(parse_filter("modify -is:error")) as cut:
        kept = cut.keep(events)
        assert [e.event_id for e in kept] == [events[0].event_id]
        # A later batch is judged on its own, the earlier one is not seen again.
        assert cut.keep(events[1:]) == []
        assert cut.dropped == 4
    with FinalCut(EMPTY) as cut:
        assert cut.keep(events) == events  # no filter: no staging at all
        assert cut._staging is None


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sync", "athena"], "--table DATABASE.TABLE"),
        (["sync", "lake"], "--event-data-store ARN"),
        (["sync", "s3", "s3://b", "modify"], "a filter applies to athena and lake only"),
        (["sync", "lookup", "--table", "a.b"], "--table applies to athena and lake only"),
        (["sync", "lake", "--event-data-store", "x", "--table", "a.b"], "are Athena's"),
        (["sync", "athena", "--table", "a.b", "--event-data-store", "x"], "is Lake's"),
        (["sync", "athena", "--table", "a.b", "--max-scan", "lots"], "--max-scan: 'lots' is not"),
        (["sync", "athena", "--table", "a.b", "--max-scan", "50"], "not a size"),
        (["sync", "athena", "--table", "a.b", "modify", "user:"], "bad filter"),
    ],
)
def test_pushed_down_sync_usage_errors_are_one_line_before_any_request(
    run_cli: Callable[..., Result], args: list[str], words: str
) -> None:
    result = run_cli(*args)
    assert result.code == 2, result.err
    assert words in result.err_lines[0]
    assert all(len(line) <= 80 for line in result.err_lines)


def test_the_summary_and_progress_of_a_pushed_down_sync_say_what_it_cost() -> None:
    from rdstrail_tui.sources.sync import SyncSummary, progress_note, summary_line

    summary = SyncSummary(source="athena:trail.logs", queries=1, bytes_scanned=51_200_000_000)
    summary.region("us-east-1", "111122223333").events_new = 5
    summary.region("us-east-1", "111122223333").events_seen = 5
    summary.region("us-east-1", "111122223333").objects = 4
    summary.finished = summary.started + 3.25
    assert summary_line(summary) == (
        "synced athena:trail.logs: 5 new events of 5 received, scanned 51.2 GB ($0.26), "
        "4 objects fetched (3.2 s)"
    )
    summary.queries = 3
    assert "scanned 51.2 GB ($0.26) in 3 queries" in summary_line(summary)
    summary.stage = "query 2 of 3 RUNNING"
    assert progress_note(summary) == "query 2 of 3 RUNNING · scanned 51.2 GB ($0.26) so far"
    assert progress_note(SyncSummary(source="lookup")) == ""


def test_saved_athena_and_lake_sources(tmp_path: Any) -> None:
    from rdstrail_tui.sources.config import ConfigError, load_sources

    path = tmp_path / "config.toml"
    path.write_text(
        '[sources.org]\nathena = "trail.logs"\noutput_location = "s3://r/q/"\n'
        'accounts = ["111122223333"]\nfilter = "-is:read"\nmax_scan = "50GB"\n'
        'workgroup = "rdstrail"\n'
        '[sources.lake]\nlake = "arn:aws:cloudtrail:us-east-1:1:eventdatastore/EXAMPLE"\n'
    )
    sources = load_sources(path)
    org = sources["org"]
    assert (org.kind, org.url, org.filter, org.max_scan) == (
        "athena",
        "trail.logs",
        "-is:read",
        "50GB",
    )
    assert org.accounts == ["111122223333"] and org.workgroup == "rdstrail"
    assert sources["lake"].kind == "lake" and sources["lake"].url.endswith("/EXAMPLE")
    for bad, words in [
        ('[sources.x]\ns3 = "s3://b"\nfilter = "modify"\n', "apply to athena and lake"),
        ('[sources.x]\nathena = "t.l"\nlake = "x"\n', "exactly one of"),
        ('[sources.x]\nathena = ""\n', "must name the table"),
    ]:
        path.write_text(bad)
        with pytest.raises(ConfigError, match=words):
            load_sources(path)


def test_without_since_a_cursor_is_gone_on_from_however_old_it_is() -> None:
    covered = Covered(NOW - 60 * DAY, NOW - 20 * DAY)
    span, after = plan_span(now=NOW, since=None, until=None, covered=covered, flt=EMPTY)
    assert span == Span(NOW - 20 * DAY - LATE_DELIVERY_SECONDS, NOW)
    assert after == Covered(NOW - 60 * DAY, NOW)


def test_the_cli_progress_of_a_pushed_down_sync_shows_its_stage_while_it_queries() -> None:
    from rich.console import Console

    from rdstrail_tui.cli.sync_progress import progress_table
    from rdstrail_tui.sources.sync import SyncSummary

    summary = SyncSummary(source="lake:EXAMPLE", queries=1, bytes_scanned=4_600_000)
    summary.stage = "query RUNNING"
    console = Console(width=80, record=True, color_system=None)
    console.print(progress_table(summary))
    assert console.export_text().strip() == "query RUNNING · scanned 4.6 MB (<$0.01) so far"
    summary.region("us-east-1", "111122223333").events_new = 3
    console.print(progress_table(summary))
    lines = console.export_text().splitlines()
    assert lines[0].startswith("query RUNNING") and "NEW" in lines[1]
    assert lines[2].startswith("111122223333/us-east-1") and lines[2].endswith("3")
