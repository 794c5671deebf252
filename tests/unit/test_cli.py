"""The `rdstrail` command as people use it: version and help, `query` in every format,
filters on the command line, `stats`, `cache info`/`clear`, hostile text, and `--demo`."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import rdstrail_tui

Run = Callable[..., Any]

HEADER = [
    "eventTime",
    "eventName",
    "eventSource",
    "principal",
    "resource",
    "sourceIPAddress",
    "awsRegion",
    "account",
    "readOnly",
    "errorCode",
    "errorMessage",
    "userAgent",
    "eventID",
]


def canonical(record: Any) -> str:
    return json.dumps(record, sort_keys=True)


def when(record: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(record["eventTime"].replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@pytest.fixture
def loaded(run_cli: Run, shared_records: Path) -> None:
    result = run_cli("load", shared_records)
    assert result.code == 0, result.err


# -- version and help ----------------------------------------------------------------------


def test_version(run_cli: Run) -> None:
    result = run_cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"rdstrail {rdstrail_tui.__version__}"


def test_help_names_the_commands(run_cli: Run) -> None:
    result = run_cli("--help")
    assert result.code == 0
    for command in ("load", "query", "stats", "cache"):
        assert command in result.out


# -- query formats -------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_query_jsonl_prints_the_original_records(
    run_cli: Run, shared_record_list: list[dict[str, Any]]
) -> None:
    result = run_cli("query", "--format", "jsonl")
    assert result.code == 0
    assert result.out.endswith("\n")
    lines = result.out.split("\n")[:-1]
    assert len(lines) == 72
    assert sorted(canonical(json.loads(line)) for line in lines) == sorted(
        canonical(rec) for rec in shared_record_list
    )
    assert result.err == ""


@pytest.mark.usefixtures("loaded")
def test_jsonl_output_loads_back(
    run_cli: Run, tmp_path: Path, shared_record_list: list[dict[str, Any]]
) -> None:
    export = tmp_path / "export.jsonl"
    export.write_text(run_cli("query", "--format", "jsonl").out)
    fresh = tmp_path / "fresh.db"
    result = run_cli("load", "--cache", fresh, export)
    assert result.code == 0, result.err
    assert "72 events new" in result.err
    again = run_cli("query", "--cache", fresh, "--format", "jsonl")
    assert sorted(canonical(json.loads(line)) for line in again.out_lines) == sorted(
        canonical(rec) for rec in shared_record_list
    )


@pytest.mark.usefixtures("loaded")
def test_query_json_is_an_array_of_the_records(
    run_cli: Run, shared_record_list: list[dict[str, Any]]
) -> None:
    result = run_cli("query", "--format", "json")
    assert result.code == 0
    records = json.loads(result.out)
    assert isinstance(records, list)
    assert sorted(map(canonical, records)) == sorted(map(canonical, shared_record_list))


def test_query_json_with_no_match_is_an_empty_array(run_cli: Run, loaded: None) -> None:
    result = run_cli("query", "nothing-is-called-this", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out) == []


def test_csv_header_and_formula_cells(
    run_cli: Run, tmp_path: Path, writers: Any, record_factory: Run
) -> None:
    agents = ['=HYPERLINK("http://x")', "+1+cmd", "-2+3", "@SUM(A1:A9)", "aws-cli/2.15.0"]
    recs = [
        record_factory(userAgent=agent, eventTime=f"2024-03-01T12:00:0{n}Z")
        for n, agent in enumerate(agents)
    ]
    recs.append(
        record_factory(
            userIdentity={"type": "IAMUser", "userName": "=cmd|' /C calc'!A0"},
            eventTime="2024-03-01T12:00:09Z",
        )
    )
    assert run_cli("load", writers.trail(tmp_path / "t.json", recs)).code == 0
    result = run_cli("query", "--format", "csv")
    assert result.code == 0
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == HEADER
    assert len(rows) == 1 + len(recs)
    user_agents = {row[HEADER.index("userAgent")] for row in rows[1:]}
    assert user_agents == {
        '\'=HYPERLINK("http://x")',
        "'+1+cmd",
        "'-2+3",
        "'@SUM(A1:A9)",
        "aws-cli/2.15.0",
    }
    assert rows[1][HEADER.index("principal")] == "'=cmd|' /C calc'!A0"
    assert rows[1][HEADER.index("eventTime")] == "2024-03-01T12:00:09Z"


# -- table ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_table_fits_the_width(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    narrow = run_cli("query")
    assert narrow.code == 0
    lines = narrow.out_lines
    assert len(lines) == 1 + 72
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert "TIME" in lines[0]
    assert "EVENT" in lines[0]

    monkeypatch.setenv("COLUMNS", "200")
    wide = run_cli("query")
    assert all(len(line) <= 200 for line in wide.out_lines)
    narrow_headers = set(lines[0].split("  ")) - {""}
    wide_headers = set(wide.out_lines[0].split("  ")) - {""}
    assert narrow_headers < wide_headers
    assert "ERROR" in wide.out_lines[0]


@pytest.mark.usefixtures("loaded")
def test_newest_first(run_cli: Run) -> None:
    result = run_cli("query", "--format", "jsonl")
    times = [when(json.loads(line)) for line in result.out_lines]
    assert times == sorted(times, reverse=True)
    table = run_cli("query").out_lines
    assert table[1].startswith("2024-01-18 06:15:00")
    assert table[-1].startswith("2018-07-30 22:14:06")


@pytest.mark.usefixtures("loaded")
def test_limit(run_cli: Run) -> None:
    everything = run_cli("query", "--format", "jsonl").out_lines
    result = run_cli("query", "--limit", "5", "--format", "jsonl")
    assert result.out_lines == everything[:5]
    assert run_cli("query", "--limit", "0", "--format", "jsonl").out_lines == everything
    table = run_cli("query", "--limit", "3")
    assert len(table.out_lines) == 1 + 3


# -- filters on the command line -----------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_negated_term_on_the_command_line(
    run_cli: Run, shared_record_list: list[dict[str, Any]]
) -> None:
    expected = sum("errorCode" not in rec for rec in shared_record_list)
    result = run_cli("query", "-is:error", "--format", "jsonl")
    assert result.code == 0, result.err
    assert len(result.out_lines) == expected
    assert not any("errorCode" in json.loads(line) for line in result.out_lines)
    errors = run_cli("query", "is:error", "--format", "jsonl")
    assert len(errors.out_lines) == 72 - expected


def test_quoted_value_as_one_shell_argument(
    run_cli: Run, tmp_path: Path, writers: Any, record_factory: Callable[..., dict[str, Any]]
) -> None:
    def user(name: str) -> dict[str, Any]:
        return record_factory(userIdentity={"type": "IAMUser", "userName": name})

    recs = [user("Jane Doe"), user("Jane Smith"), user("John Doe"), user("jane doe-admin")]
    assert run_cli("load", writers.trail(tmp_path / "t.json", recs)).code == 0
    # The shell ate the quotes of  user:"Jane Doe"
    result = run_cli("query", "user:Jane Doe", "--format", "jsonl")
    assert result.code == 0, result.err
    names = sorted(json.loads(line)["userIdentity"]["userName"] for line in result.out_lines)
    assert names == ["Jane Doe", "jane doe-admin"]
    quoted = run_cli("query", 'user:"Jane Doe"', "--format", "jsonl")
    assert sorted(quoted.out_lines) == sorted(result.out_lines)


@pytest.mark.usefixtures("loaded")
def test_bad_filter_exits_2_with_a_caret(run_cli: Run) -> None:
    result = run_cli("query", "modify", "bogus:x")
    assert result.code == 2
    assert result.out == ""
    lines = result.err_lines
    assert lines[0].startswith("rdstrail: bad filter: unknown key 'bogus:'")
    assert lines[1:] == ["modify bogus:x", "       ^~~~~~~"]


# -- stats ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_stats_text(run_cli: Run) -> None:
    result = run_cli("stats")
    assert result.code == 0, result.err
    out = result.out
    assert out.startswith("72 events, 2018-07-30 22:14:06 to 2024-01-18 06:15:00 UTC")
    for title in ("EVENT NAME", "PRINCIPAL", "SOURCE IP", "ERROR CODE"):
        assert title in out
    lines = out.splitlines()

    def count_of(name: str) -> int:
        [line] = [line for line in lines if line.split()[:1] == [name]]
        return int(line.split()[-1].replace(",", ""))

    assert count_of("ModifyDBInstance") == 12
    assert count_of("AccessDenied") == 12
    assert count_of("10.0.1.100") == 21


@pytest.mark.usefixtures("loaded")
def test_stats_json(run_cli: Run, shared_record_list: list[dict[str, Any]]) -> None:
    result = run_cli("stats", "--format", "json", "--top", "100")
    assert result.code == 0, result.err
    stats = json.loads(result.out)
    assert stats["events"] == 72
    assert stats["first"] == "2018-07-30 22:14:06"
    assert stats["last"] == "2024-01-18 06:15:00"
    assert stats["by_event_name"] == dict(Counter(r["eventName"] for r in shared_record_list))
    assert stats["by_source_ip"] == dict(Counter(r["sourceIPAddress"] for r in shared_record_list))
    assert stats["by_error_code"] == dict(
        Counter(r["errorCode"] for r in shared_record_list if "errorCode" in r)
    )
    assert sum(stats["by_principal"].values()) == 72
    iam_users = Counter(
        r["userIdentity"]["userName"]
        for r in shared_record_list
        if r["userIdentity"]["type"] == "IAMUser"
    )
    assert iam_users["johndoe"] > 0
    for name, count in iam_users.items():
        assert stats["by_principal"][name] == count
    developer_user = sum(
        r["userIdentity"].get("arn", "").endswith(":assumed-role/DeveloperRole/user")
        for r in shared_record_list
    )
    assert stats["by_principal"]["DeveloperRole/user"] == developer_user


@pytest.mark.usefixtures("loaded")
def test_stats_with_filter(run_cli: Run) -> None:
    stats = json.loads(run_cli("stats", "--format", "json", "is:error").out)
    assert stats["events"] == 14
    assert run_cli("stats", "nothing-matches-this").out.strip() == "0 events match"


# -- cache info / clear / missing ----------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_cache_info(run_cli: Run, cache_path: Path, shared_records: Path) -> None:
    result = run_cli("cache", "info")
    assert result.code == 0, result.err
    fields = {line[:9].strip(): line[9:] for line in result.out_lines if line[:9].strip()}
    assert fields["path"] == str(cache_path)
    assert fields["size"].endswith(("KB", "MB"))
    assert fields["events"] == "72"
    assert fields["span"] == "2018-07-30 22:14:06 to 2024-01-18 06:15:00 UTC"
    assert fields["sources"].startswith(f"file:{shared_records.resolve()}  (72 events added")


@pytest.mark.usefixtures("loaded")
def test_cache_clear(run_cli: Run, count_cached: Callable[[], int]) -> None:
    refused = run_cli("cache", "clear")
    assert refused.code == 2
    assert "--yes" in refused.err
    assert count_cached() == 72

    cleared = run_cli("cache", "clear", "--yes")
    assert cleared.code == 0, cleared.err
    assert "cleared 72 events" in cleared.out
    assert count_cached() == 0
    info = run_cli("cache", "info")
    assert "events   0" in info.out
    assert "sources  none" in info.out


@pytest.mark.parametrize("command", [["query"], ["query", "--format", "jsonl"], ["stats"]])
def test_missing_cache_says_load_first(run_cli: Run, cache_path: Path, command: list[str]) -> None:
    result = run_cli(*command)
    assert result.code == 1
    assert result.out == ""
    assert len(result.err_lines) == 1
    assert str(cache_path) in result.err
    assert "load events first" in result.err
    assert not cache_path.exists()


# -- hostile text --------------------------------------------------------------------------

OSC52 = "\x1b]52;c;aGVsbG8=\x07"
MARKUP = "[bold red]markup[/]"
RLO = "\u202e"
CLEAR = "\x1b[2J"


@pytest.fixture
def hostile(run_cli: Run, tmp_path: Path, writers: Any, record_factory: Run) -> None:
    record = record_factory(
        userIdentity={"type": "IAMUser", "userName": f"mallory{OSC52}{MARKUP}{RLO}exe.txt"},
        userAgent=f"{OSC52} {MARKUP} {RLO}gnp.exe",
        sourceIPAddress=f"{CLEAR}198.51.100.9",
        errorCode=f"Access{RLO}Denied",
        errorMessage=f"nothing to see{CLEAR}",
        requestParameters={"dBInstanceIdentifier": f"db{OSC52}"},
    )
    assert run_cli("load", writers.trail(tmp_path / "hostile.json", [record])).code == 0


def assert_terminal_safe(text: str) -> None:
    for raw in ("\x1b", "\x07", RLO):
        assert raw not in text, repr(raw)
    for escaped in ("\\x1b", "\\x07", "\\u202e"):
        assert escaped in text, escaped
    assert MARKUP in text


@pytest.mark.usefixtures("hostile")
@pytest.mark.parametrize("columns", [None, "80", "200"])
def test_hostile_text_in_table(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, columns: str | None
) -> None:
    if columns:
        monkeypatch.setenv("COLUMNS", columns)
    result = run_cli("query")
    assert result.code == 0
    for raw in ("\x1b", "\x07", RLO):
        assert raw not in result.out
    if columns is None:
        assert_terminal_safe(result.out)


@pytest.mark.usefixtures("hostile")
def test_hostile_text_in_stats(run_cli: Run) -> None:
    result = run_cli("stats")
    assert result.code == 0
    assert_terminal_safe(result.out)
    assert "\\x1b[2J198.51.100.9" in result.out


@pytest.mark.usefixtures("hostile")
def test_hostile_text_in_csv(run_cli: Run) -> None:
    result = run_cli("query", "--format", "csv")
    assert_terminal_safe(result.out)
    assert "nothing to see\\x1b[2J" in result.out
    assert "\\x1b]52;c;aGVsbG8=\\x07 [bold red]markup[/] \\u202egnp.exe" in result.out


# -- demo ----------------------------------------------------------------------------------


def test_demo_query(run_cli: Run, cache_path: Path, tmp_path: Path) -> None:
    from rdstrail_tui import demo

    shipped = getattr(demo, "shipped_trail_path", None)
    if shipped is None:
        pytest.skip("the demo package has no shipped trail yet")
    from rdstrail_tui.cache.store import Cache
    from rdstrail_tui.ingest.scope import Scope
    from rdstrail_tui.sources.load import load_paths

    with Cache.open(tmp_path / "reference.db") as cache:
        load_paths(cache, [Path(shipped())], Scope())
        expected = {event.event_id for event in cache.events()}
    assert expected

    result = run_cli("--demo", "query", "--format", "jsonl")
    assert result.code == 0, result.err
    records = [json.loads(line) for line in result.out_lines]
    assert {rec["eventID"] for rec in records} == expected
    assert len(records) == len(expected)
    assert all(rec["eventSource"] == "rds.amazonaws.com" for rec in records)
    assert not cache_path.exists()
    assert not cache_path.parent.exists()
