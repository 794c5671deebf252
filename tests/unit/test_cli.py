"""The `rdstrail` command as people use it: version and help, `query` in every format,
filters on the command line, `stats`, `cache info`/`clear`, hostile text, and `--demo`."""

from __future__ import annotations

import csv
import io
import json
import re
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
    "requestParameters",
    "responseElements",
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
    # Headers are apart by two spaces or more; one space is inside a header (SOURCE IP).
    narrow_headers = set(re.split(r" {2,}", lines[0].strip()))
    wide_headers = set(re.split(r" {2,}", wide.out_lines[0].strip()))
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


# -- no match, BOM ---------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
@pytest.mark.parametrize(
    ("format_", "out"),
    [("table", ""), ("jsonl", ""), ("json", "[]\n"), ("csv", ",".join(HEADER) + "\r\n")],
)
def test_no_match_is_said_on_stderr_and_stdout_stays_valid(
    run_cli: Run, format_: str, out: str
) -> None:
    result = run_cli("query", "nothing-is-called-this", "--format", format_)
    assert result.code == 0
    assert result.err_lines == ["rdstrail: no events match: nothing-is-called-this"]
    assert result.out == out


@pytest.mark.usefixtures("loaded")
def test_no_match_shows_the_filter_sanitised(run_cli: Run) -> None:
    result = run_cli("query", f"user:{CLEAR}x")
    assert result.code == 0
    assert result.out == ""
    assert result.err_lines == ["rdstrail: no events match: user:\\x1b[2Jx"]


def test_no_match_in_an_empty_cache_says_it_is_empty(run_cli: Run, cache_path: Path) -> None:
    from rdstrail_tui.cache.store import Cache

    Cache.open(cache_path).close()
    result = run_cli("query", "modify")
    assert result.code == 0
    assert result.out == ""
    assert result.err_lines == [
        f"rdstrail: no events match: the cache {cache_path} is empty (rdstrail load PATH)"
    ]


def test_csv_bom_and_request_parameters(
    run_cli: Run, tmp_path: Path, writers: Any, record_factory: Run
) -> None:
    record = record_factory(requestParameters={"dBInstanceIdentifier": "prod-db"})
    assert run_cli("load", writers.trail(tmp_path / "t.json", [record])).code == 0
    plain = run_cli("query", "--format", "csv")
    assert plain.out.startswith("eventTime,")
    marked = run_cli("query", "--format", "csv", "--bom")
    assert marked.code == 0, marked.err
    assert marked.out == "\ufeff" + plain.out
    [row] = list(csv.DictReader(io.StringIO(plain.out)))
    assert json.loads(row["requestParameters"]) == {"dBInstanceIdentifier": "prod-db"}


@pytest.mark.usefixtures("loaded")
def test_bom_is_for_csv_only(run_cli: Run) -> None:
    result = run_cli("query", "--bom")
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == ["rdstrail: query: --bom applies to --format csv only"]


# -- singular and plural -------------------------------------------------------------------


def test_one_is_singular(
    run_cli: Run, tmp_path: Path, writers: Any, record_factory: Run, cache_path: Path
) -> None:
    loaded = run_cli("load", writers.trail(tmp_path / "t.json", [record_factory()]))
    assert loaded.code == 0, loaded.err
    assert loaded.err_lines[:2] == [
        "1 file read",
        "1 event new, 0 duplicates, 0 of other services skipped",
    ]
    assert run_cli("stats").out.startswith("1 event, ")
    assert "(1 event added, " in run_cli("cache", "info").out
    assert run_cli("cache", "clear", "--yes").out_lines == [f"cleared 1 event from {cache_path}"]


# -- 80 columns ----------------------------------------------------------------------------

HELP_COMMANDS = [
    [],
    ["load"],
    ["query"],
    ["stats"],
    ["show"],
    ["compare"],
    ["history"],
    ["resources"],
    ["sync"],
    ["cache"],
    ["cache", "info"],
    ["cache", "clear"],
]


@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "rdstrail")
def test_help_fits_80_columns(
    run_cli: Run, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    # The help names the cache and config files; a user's are this short, a test's are not.
    monkeypatch.setenv("RDSTRAIL_CACHE", "/home/jane/.cache/rdstrail/events.db")
    monkeypatch.setenv("RDSTRAIL_CONFIG", "/home/jane/.config/rdstrail/config.toml")
    result = run_cli(*command, "--help")
    assert result.code == 0
    assert result.out.startswith("usage: rdstrail")
    too_long = [line for line in result.out_lines if len(line) > 80]
    assert not too_long, too_long


# -- the explorer from the command line ------------------------------------------------------


def test_explorer_refuses_without_a_terminal(run_cli: Run, cache_path: Path) -> None:
    result = run_cli("--demo")  # run_cli's stdout is a buffer, as in `rdstrail | less`
    assert result.code == 2
    assert result.out == ""
    assert result.err_lines == [
        "rdstrail: the explorer needs a terminal; stdout is not one (try rdstrail query)"
    ]
    assert "\x1b" not in result.err
    assert not cache_path.parent.exists()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("stdout", "stdin", "missing"),
    [(True, True, None), (False, True, "stdout"), (True, False, "stdin")],
)
def test_the_explorer_needs_both_ends_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, stdout: bool, stdin: bool, missing: str | None
) -> None:
    import sys

    from rdstrail_tui.cli import explore

    monkeypatch.setattr(sys, "stdout", _Stream(stdout))
    monkeypatch.setattr(sys, "stdin", _Stream(stdin))
    assert explore.missing_terminal() == missing


@pytest.fixture
def explorer_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Start the explorer "in a terminal", recording how run_explorer is called."""
    from rdstrail_tui.cli import explore
    from rdstrail_tui.tui import app

    calls: list[dict[str, Any]] = []

    def record(path: Path, **options: Any) -> int:
        calls.append({"path": path, **options})
        return 0

    monkeypatch.setattr(explore, "missing_terminal", lambda: None)
    monkeypatch.setattr(app, "run_explorer", record)
    return calls


def _config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(text)
    monkeypatch.setenv("RDSTRAIL_CONFIG", str(config))
    return config


@pytest.mark.parametrize(
    ("config", "args", "mouse"),
    [
        (None, [], False),
        (None, ["--mouse"], True),
        ("[explorer]\nmouse = true\n", [], True),
        ("[explorer]\nmouse = true\n", ["--no-mouse"], False),
        ("[explorer]\nmouse = false\n", ["--mouse"], True),
        ('[sources.prod]\ns3 = "s3://b/p"\n', [], False),
    ],
)
def test_mouse_is_off_unless_asked(
    run_cli: Run,
    explorer_calls: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache_path: Path,
    config: str | None,
    args: list[str],
    mouse: bool,
) -> None:
    if config is not None:
        _config(tmp_path, monkeypatch, config)
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert explorer_calls == [
        {"path": cache_path, "demo": False, "mouse": mouse, "resource_id": None}
    ]


def test_a_bad_mouse_setting_is_one_line(
    run_cli: Run,
    explorer_calls: list[dict[str, Any]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _config(tmp_path, monkeypatch, '[explorer]\nmouse = "yes"\n')
    result = run_cli()
    assert result.code == 1
    assert result.err_lines == [f"rdstrail: {config}: [explorer]: mouse must be true or false"]
    assert explorer_calls == []


# Each: a command a new user may well get wrong, and a word of the one line it must give.
MISTAKES = [
    (["query"], "load events first"),  # no cache yet
    (["stats", "modify"], "load events first"),
    (["load", "no-such-trail"], "no such file or directory"),
    (["load", "empty"], "empty: no *.json, *.jsonl or *.ndjson files here (gzipped or not)"),
    (["load", "--event-source", "ec2.amazon.com", "empty"], "did you mean"),
    (["query", "--bom"], "--bom applies to --format csv only"),
    (["query", "modify", "--format", "xml"], "--format 'xml': choose table, jsonl, json or csv"),
    (["quary", "modify"], "COMMAND 'quary': did you mean query? (--help lists them)"),
    (["load"], "load: the following arguments are required: PATH"),
    (["load", "--workers", "0", "empty"], "--workers: must be at least 1"),
    (["--mouse", "query"], "unrecognized arguments: --mouse"),
    ([], "needs a terminal"),
    (["sync", "prod"], "not lookup, s3, athena, lake or saved"),
    (["sync", "s3"], "name the trail"),
    (["sync", "lookup", "--since", "yesterdayish"], "is not a time"),
]


@pytest.mark.parametrize(("args", "words"), MISTAKES, ids=lambda a: " ".join(a) or "rdstrail")
def test_mistakes_are_one_line_within_80_columns(
    run_cli: Run,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    words: str,
) -> None:
    # Paths as a user types them, relative, so the line's length is the message's own.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RDSTRAIL_CACHE", "events.db")
    (tmp_path / "empty").mkdir()
    result = run_cli(*args)
    assert result.code in (1, 2)
    assert result.out == ""
    [line] = result.err_lines
    assert words in line
    assert len(line) <= 80, line
    assert "Traceback" not in result.err
    assert not (tmp_path / "events.db").exists()
