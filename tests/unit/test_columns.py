"""The event table's columns: values cut where they keep what tells rows apart, and widths
from the content (the CLI's sampled rows, the explorer's measured cache)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from rich.cells import cell_len

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo.shipped_cache import ensure_demo_cache
from rdstrail_tui.present.columns import (
    COLUMN_GAP,
    ERROR,
    EVENT,
    PRINCIPAL,
    REGION,
    RESOURCE,
    SOURCE_IP,
    TABLE_COLUMNS,
    TIME,
    Column,
    Layout,
    cell,
    errors_first,
    fit_columns,
    percentile_width,
)
from rdstrail_tui.present.shorten import Keep, head, pad, shorten, tail
from rdstrail_tui.present.shorten import cell_len as fast_cell_len
from rdstrail_tui.present.timefmt import format_time
from rdstrail_tui.query.measure import measure
from rdstrail_tui.query.memory import EventIndex

SSO = "AWSReservedSSO_AdministratorAccess_abc123/jane@example.com"


# -- cutting a value -------------------------------------------------------------------------

SHORTEN_CASES: list[tuple[str, int, Keep, str]] = [
    # Whatever fits is left alone, however it is kept.
    ("DescribeDBInstances", 19, "start", "DescribeDBInstances"),
    ("reporting-pg", 12, "end", "reporting-pg"),
    (SSO, len(SSO), "principal", SSO),
    # Event names, error codes, IPs: read left to right, cut at the end.
    ("DescribeDBInstances", 12, "start", "DescribeDBI…"),
    ("InvalidParameterCombination", 10, "start", "InvalidPa…"),
    # Resources keep their end.
    ("payments-aurora-instance-2", 12, "end", "…-instance-2"),
    ("payments-aurora-instance-2", 4, "end", "…e-2"),
    # An ARN keeps its last parts whole, not the end of an account number.
    ("arn:aws:rds:us-east-1:111122223333:db:prod", 14, "end", "…:db:prod"),
    ("arn:aws:rds:us-east-1:111122223333:cluster:ledger", 12, "end", "…:ledger"),
    ("arn:aws:rds:us-east-1:111122223333:db:averyveryverylongname", 10, "end", "…ylongname"),
    # A role session keeps the session, and as much of the role as fits before it...
    (SSO, 18, "principal", "…/jane@example.com"),
    (SSO, 24, "principal", "AWSRes…/jane@example.com"),
    ("TerraformDeploy/gha-4127", 14, "principal", "Terr…/gha-4127"),
    # ...unless that is a letter or two, which say nothing.
    ("TerraformDeploy/gha-4127", 11, "principal", "…/gha-4127"),
    # Even the session does not fit: an id keeps its end, an e-mail its name.
    ("BastionRole/i-0a4f7c21d9be63e58", 12, "principal", "…21d9be63e58"),
    (SSO, 12, "principal", "jane@exampl…"),
    # A principal without a role reads from the start.
    ("deploy-legacy-automation", 10, "principal", "deploy-le…"),
    ("role-with-trailing-slash/", 10, "principal", "role-with…"),
    # Cells, not characters: wide characters take two.
    ("日本語のテキスト", 7, "start", "日本語…"),
    ("日本語のテキスト", 7, "end", "…キスト"),
    ("役割役割/山田", 10, "principal", "役割…/山田"),
    # Degenerate widths.
    ("anything", 1, "start", "…"),
    ("anything", 0, "end", ""),
]


@pytest.mark.parametrize(("text", "width", "keep", "expected"), SHORTEN_CASES)
def test_shorten(text: str, width: int, keep: Keep, expected: str) -> None:
    shortened = shorten(text, width, keep)
    assert shortened == expected
    assert cell_len(shortened) <= width


def test_one_ellipsis_unless_the_output_cannot_encode_it() -> None:
    assert shorten(SSO, 18, "principal").count("…") == 1
    assert shorten(SSO, 18, "principal", ellipsis="~") == "~/jane@example.com"
    # A "…" that is part of the value is the value's, not a cut.
    assert shorten("wait… what", 20, "start") == "wait… what"


def test_cell_is_exactly_its_width_in_cells() -> None:
    assert cell("reporting-pg", 15, keep="end") == "reporting-pg   "
    assert cell("payments-aurora-instance-2", 12, keep="end") == "…-instance-2"
    assert cell("日本語のテキスト", 8) == "日本語… "
    # The CLI's call, as write_table makes it.
    assert cell("DescribeDBInstances", 10, "…") == "DescribeD…"


@pytest.mark.parametrize(
    "text",
    ["", "orders-prod", "a b~", "日本語", "café", "tab\there", "\x1b[31m", "nul\x00", "del\x7f"],
)
def test_cells_are_counted_as_the_terminal_draws_them(text: str) -> None:
    """Printable ASCII is counted by its length, the rest as rich counts it: a control or a
    wide character never makes a column wider or narrower than it is drawn."""
    assert fast_cell_len(text) == cell_len(text)
    assert cell_len(pad(text, 12)) == max(12, cell_len(text))


@pytest.mark.parametrize("text", ["orders-prod", "日本語のテキスト", "tab\there"])
@pytest.mark.parametrize("cells", [-1, 0, 1, 5, 11, 12, 40])
def test_head_and_tail_are_the_longest_start_and_end_that_fit(text: str, cells: int) -> None:
    start, end = head(text, cells), tail(text, cells)
    assert text.startswith(start) and text.endswith(end)
    assert cell_len(start) <= max(cells, 0) and cell_len(end) <= max(cells, 0)
    if start != text:  # one more character would not fit
        assert cell_len(text[: len(start) + 1]) > cells
    if end != text:
        assert cell_len(text[len(text) - len(end) - 1 :]) > cells


@pytest.mark.parametrize(
    "epoch",
    [0, 1, 59, 3599, 86399, 86400, 951782400, 1700000000, 1796354693, 253402300799, -1, -86401],
)
def test_times_are_written_as_utc_to_the_second(epoch: int) -> None:
    expected = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    assert format_time(epoch) == expected
    assert format_time(epoch) == expected  # again, from the remembered day


# -- widths from the content -----------------------------------------------------------------


def test_percentile_width_shows_most_values_whole() -> None:
    # 95 values of length 10, 5 of length 50: one long value does not widen the column.
    assert percentile_width({10: 95, 50: 5}) == 10
    assert percentile_width({10: 90, 50: 10}) == 50
    assert percentile_width({}) == 0


# What the demo cache's values need (its 95th percentiles; see test_measure_the_demo_cache).
DEMO_NEEDS = {TIME: 19, EVENT: 27, PRINCIPAL: 58, RESOURCE: 33, ERROR: 27, SOURCE_IP: 13, REGION: 9}


def layout(width: int, columns: tuple[Column, ...] = TABLE_COLUMNS) -> dict[str, int]:
    shown = Layout.best(columns, [DEMO_NEEDS.get(c, c.natural) for c in columns], width)
    assert shown.span <= width
    return {c.header: w for c, w in zip(columns, shown.widths)}


def test_at_80_columns_who_what_on_what_and_the_error() -> None:
    # An 80-column list: its scrollbar's gutter and the mark leave 77 cells.
    widths = layout(77)
    assert list(widths) == ["TIME (UTC)", "EVENT", "PRINCIPAL", "RESOURCE", "ERROR"]
    assert widths["ERROR"] >= ERROR.minimum
    # Every column has room to say something: a session, a resource's end, a code's start.
    assert widths["EVENT"] >= 16 and widths["PRINCIPAL"] >= 12 and widths["RESOURCE"] >= 10


def test_is_error_gives_the_error_room() -> None:
    plain = layout(77)
    columns = tuple(errors_first(c) if c is ERROR else c for c in TABLE_COLUMNS)
    failing = layout(77, columns)
    assert failing["ERROR"] > plain["ERROR"]
    assert list(failing) == list(plain)  # at the cost of width, not of columns


def test_extra_room_goes_to_principal_and_resource() -> None:
    narrow, wide = layout(93), layout(200)
    assert wide["PRINCIPAL"] > narrow["PRINCIPAL"] and wide["RESOURCE"] > narrow["RESOURCE"]
    # An event name is rarely longer than 30: EVENT stops there however wide the screen.
    assert wide["EVENT"] <= EVENT.maximum
    assert wide["PRINCIPAL"] - narrow["PRINCIPAL"] > wide["EVENT"] - narrow["EVENT"]


def test_source_ip_only_once_the_essentials_are_comfortable() -> None:
    # At 93 cells (a 160-column screen beside the detail) IP would squeeze the others.
    assert "SOURCE IP" not in layout(93)
    wide = layout(120)
    assert wide["SOURCE IP"] >= DEMO_NEEDS[SOURCE_IP]
    assert all(wide[c.header] >= min(c.comfortable, DEMO_NEEDS[c]) for c in (EVENT, PRINCIPAL))


def test_tight_gap_only_when_the_room_is_short() -> None:
    columns, natural = TABLE_COLUMNS, [DEMO_NEEDS[c] for c in TABLE_COLUMNS]
    assert Layout.best(columns, natural, 77).gap == 1
    assert Layout.best(columns, natural, 160).gap == len(COLUMN_GAP)


def test_a_column_scrolled_in_is_kept() -> None:
    # Scrolled one column (EVENT off the left), the view must show SOURCE IP, which the
    # unscrolled view at this width did not.
    shown = (TIME, PRINCIPAL, RESOURCE, ERROR, SOURCE_IP, REGION)
    natural = [DEMO_NEEDS[c] for c in shown]
    assert len(Layout.best(shown, natural, 77).widths) == 4  # SOURCE IP not let in...
    assert len(Layout.best(shown, natural, 77, keep=5).widths) >= 5  # ...unless kept


def test_cli_table_fits_and_samples_decide() -> None:
    time, event, resource = "2026-11-20 15:07:39", "DescribeDBClusterSnapshots", "payments-aurora"
    rows = [
        [time, event, SSO, f"{resource}-instance-2", "", "10.0.0.1", "us-east-1"],
        [time, "ModifyDBInstance", "alice", "orders-prod", "", "10.0.0.2", "us-east-1"],
    ]
    for width in (60, 80, 120, 200):
        widths = fit_columns(rows, width)
        assert sum(widths) + len(COLUMN_GAP) * (len(widths) - 1) <= width
        assert len(widths) >= 2
    # No row failed: ERROR is not essential, and its room goes to the others.
    assert len(fit_columns(rows, 80)) == 4
    failed = [[*row[:4], "InvalidDBInstanceState", *row[5:]] for row in rows]
    assert len(fit_columns(failed, 80)) == 5
    # No width: every column as wide as its longest value (or header).
    assert fit_columns(rows, None)[2] == len(SSO)


# -- measuring the cache ---------------------------------------------------------------------


@pytest.fixture
def demo_cache() -> Iterator[Cache]:
    # Under the test's own XDG_CACHE_HOME (see conftest.py).
    with Cache.open(ensure_demo_cache(), create=False) as cache:
        yield cache


def test_measure_the_demo_cache(demo_cache: Cache) -> None:
    content = measure(EventIndex.build(demo_cache), demo_cache)
    assert content.regions == 2
    assert content.failures == demo_cache.count(None) - sum(
        1 for e in demo_cache.events(with_raw=False) if e.error_code is None
    )
    # 21 of 301 events are the SSO session's: more than 5%, so PRINCIPAL wants it whole.
    assert content.widths["principal"] == len(SSO)
    # Only failures count for ERROR (its longest code is 27), empty resources not at all.
    assert content.widths["error_code"] == len("InvalidParameterCombination")
    assert 0 < content.widths["resource"] <= 40
    assert content.widths["region"] == len("us-east-1")


def test_measure_an_empty_index(tmp_path: Path) -> None:
    with Cache.open(tmp_path / "empty.db") as cache:
        content = measure(EventIndex.build(cache), cache)
    assert content.widths == {} and content.regions == 0 and content.failures == 0


def test_text_lengths_in_the_order_asked(demo_cache: Cache) -> None:
    index = EventIndex.build(demo_cache)
    known = [int(i) for i in index.counts("principal").ids[:3]][::-1]
    lengths = [len(text) for text in demo_cache.texts_of(known)]
    assert demo_cache.text_lengths([*known, 10**9]) == [*lengths, 0]
