"""Loading files into the cache: de-duplication, directory walking, event-source scope, the
parallel path, file permissions, byte-faithful records, cache size, and unusable caches."""

from __future__ import annotations

import copy
import json
import random
import sqlite3
import stat
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cache.errors import CacheError
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.chunks import Chunking
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.load import LoadSummary, load_paths

Run = Callable[..., Any]


def load(cache_file: Path, *paths: Path, scope: Scope | None = None, **kw: Any) -> LoadSummary:
    with Cache.open(cache_file) as cache:
        return load_paths(cache, list(paths), scope or Scope(), **kw)


def cached(cache_file: Path) -> dict[str, Any]:
    """event_id -> Event for everything in a cache."""
    with Cache.open(cache_file, create=False) as cache:
        return {event.event_id: event for event in cache.events()}


def json_slices(data: bytes) -> list[bytes]:
    """The exact bytes of each item of the file's "Records" array (standard library only)."""
    text = data.decode("utf-8")
    decoder = json.JSONDecoder()
    index = text.index("[", text.index('"Records"')) + 1
    slices: list[bytes] = []
    while True:
        while text[index] in " \t\r\n,":
            index += 1
        if text[index] == "]":
            return slices
        _, end = decoder.raw_decode(text, index)
        slices.append(text[index:end].encode("utf-8"))
        index = end


# -- the shared records, de-duplication --------------------------------------------------


def test_load_shared_directory_then_again(
    run_cli: Run, shared_records: Path, count_cached: Callable[[], int]
) -> None:
    first = run_cli("load", shared_records)
    assert first.code == 0, first.err
    assert "72 events new, 0 duplicates" in first.err
    assert count_cached() == 72

    second = run_cli("load", shared_records)
    assert second.code == 0, second.err
    assert "0 events new, 72 duplicates" in second.err
    assert count_cached() == 72


def test_load_summary_counts(cache_path: Path, shared_records: Path) -> None:
    summary = load(cache_path, shared_records)
    assert (summary.files, summary.new, summary.duplicates, summary.bad_inputs) == (2, 72, 0, 0)
    assert summary.ignored == 1  # the licence text beside the records
    again = load(cache_path, shared_records)
    assert (again.new, again.duplicates) == (0, 72)


def test_record_delivered_in_two_files_is_stored_once(
    tmp_path: Path, cache_path: Path, writers: Any, record_factory: Run
) -> None:
    a, b, c = record_factory(), record_factory(), record_factory()
    writers.trail(tmp_path / "in" / "first.json.gz", [a, b])
    writers.trail(tmp_path / "in" / "second.json.gz", [b, c])
    summary = load(cache_path, tmp_path / "in")
    assert summary.new == 3
    assert summary.duplicates == 1
    assert set(cached(cache_path)) == {a["eventID"], b["eventID"], c["eventID"]}


# -- directory walking ---------------------------------------------------------------------

DIGEST = {
    "awsAccountId": "111122223333",
    "digestStartTime": "2024-03-01T11:00:00Z",
    "digestEndTime": "2024-03-01T12:00:00Z",
    "digestPublicKeyFingerprint": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "digestSignatureAlgorithm": "SHA256withRSA",
    "logFiles": [],
}


def test_directory_walk(
    tmp_path: Path, cache_path: Path, writers: Any, record_factory: Run, run_cli: Run
) -> None:
    root = tmp_path / "AWSLogs"
    recs = [record_factory(eventName=f"Call{n}") for n in range(8)]
    writers.trail(root / "a.json", [recs[0]])
    writers.jsonl(root / "b.jsonl", [recs[1]])
    writers.jsonl(root / "c.ndjson", [recs[2]])
    writers.trail(root / "d.json.gz", [recs[3]])
    writers.jsonl(root / "e.jsonl.gz", [recs[4]])
    writers.jsonl(root / "f.ndjson.gz", [recs[5]])
    writers.trail(root / "UPPER.JSON", [recs[6]])
    writers.trail(root / "111122223333" / "CloudTrail" / "us-east-1" / "x.json.gz", [recs[7]])
    # Not read: other names...
    writers.bytes(root / "notes.txt", b"hello")
    writers.bytes(root / "export.csv", b"a,b\n1,2\n")
    writers.trail(root / "old.json.bak", [record_factory()])
    # ...and digests: by their folder, and by content wherever they are.
    digest_tree = root / "111122223333" / "CloudTrail-Digest" / "us-east-1" / "2024" / "03"
    writers.bytes(digest_tree / "d1.json.gz", json.dumps(DIGEST).encode())
    writers.trail(digest_tree / "not-really-a-digest.json.gz", [record_factory()])
    writers.bytes(root / "stray-digest.json.gz", json.dumps(DIGEST).encode())

    summary = load(cache_path, root)
    assert set(cached(cache_path)) == {rec["eventID"] for rec in recs}
    assert summary.files == 9  # the 8 event files and the stray digest read by content
    assert summary.ignored == 3
    assert summary.digests == 3
    assert summary.bad_inputs == 0

    result = run_cli("load", "--cache", tmp_path / "other.db", root)
    assert result.code == 0, result.err
    assert result.err_lines[:2] == [
        "9 files read, 3 digests skipped",
        "3 files ignored: names not *.json, *.jsonl or *.ndjson (.gz)",
    ]
    assert "8 events new" in result.err


# -- nothing to read ------------------------------------------------------------------------


def test_a_path_that_does_not_exist_leaves_no_cache(
    run_cli: Run, tmp_path: Path, cache_path: Path
) -> None:
    missing = tmp_path / "no-such-trail"
    result = run_cli("load", missing)
    assert result.code == 1
    assert result.out == ""
    assert result.err_lines == [f"rdstrail: {missing}: no such file or directory"]
    assert not cache_path.exists()
    assert not cache_path.parent.exists()


@pytest.mark.parametrize(
    ("contents", "tail"),
    [
        ({}, ""),
        ({"notes.txt": b"x", "export.csv": b"a,b\n"}, "; 2 other files: name one to read it"),
        (
            {"111122223333/CloudTrail-Digest/us-east-1/d.json.gz": json.dumps(DIGEST).encode()},
            "; only 1 digest",
        ),
    ],
    ids=["empty", "other-files", "digests"],
)
def test_a_directory_without_trail_files_says_so_in_one_line(
    run_cli: Run,
    tmp_path: Path,
    cache_path: Path,
    writers: Any,
    contents: dict[str, bytes],
    tail: str,
) -> None:
    folder = tmp_path / "trail"
    folder.mkdir()
    for name, data in contents.items():
        writers.bytes(folder / name, data)
    result = run_cli("load", folder)
    assert result.code == 1
    assert result.out == ""
    assert result.err_lines == [
        f"rdstrail: {folder}: no *.json, *.jsonl or *.ndjson files here (gzipped or not){tail}"
    ]
    assert not cache_path.parent.exists()


def test_a_path_with_nothing_beside_one_with_events(
    run_cli: Run, tmp_path: Path, writers: Any, record_factory: Run, count_cached: Callable[[], int]
) -> None:
    good = writers.trail(tmp_path / "good.json", [record_factory()])
    (tmp_path / "empty").mkdir()
    result = run_cli("load", tmp_path / "empty", good)
    assert result.code == 1
    assert f"rdstrail: {tmp_path / 'empty'}: no *.json, *.jsonl or *.ndjson files" in result.err
    assert "rdstrail: 1 bad input skipped" in result.err
    assert count_cached() == 1
    info = run_cli("cache", "info").out
    assert f"file:{good.resolve()}" in info
    assert "empty" not in info  # a path that gave nothing is no source


def test_the_load_summary_fits_80_columns(
    tmp_path: Path, writers: Any, record_factory: Run, run_cli: Run
) -> None:
    root = tmp_path / "AWSLogs"
    writers.trail(root / "a.json", [record_factory() for _ in range(3)])
    writers.bytes(root / "notes.txt", b"x")
    writers.bytes(root / "1" / "CloudTrail-Digest" / "d.json.gz", json.dumps(DIGEST).encode())
    writers.trail(root / "s3.json", [record_factory(eventSource="s3.amazonaws.com")])
    result = run_cli("load", "--cache", tmp_path / "c.db", root)
    assert result.code == 0, result.err
    assert result.err_lines[:3] == [
        "2 files read, 1 digest skipped",
        "1 file ignored: names not *.json, *.jsonl or *.ndjson (.gz)",
        "3 events new, 0 duplicates, 1 of other services skipped",
    ]
    assert result.err_lines[3].startswith(f"cached in {tmp_path / 'c.db'} (")
    # The longest a files or events line gets, with six-digit counts:
    from rdstrail_tui.cli.load import load_summary_lines

    big = LoadSummary(files=123_456, digests=123_456, ignored=1_234, new=123_456)
    big.kept, big.other_sources = 2 * 123_456, 1_234_567
    assert all(len(line) <= 80 for line in load_summary_lines(big, Path("/c.db")))


def test_named_file_is_read_whatever_its_name(
    tmp_path: Path, cache_path: Path, writers: Any, record_factory: Run
) -> None:
    rec = record_factory()
    path = writers.trail(tmp_path / "download.txt", [rec])
    assert load(cache_path, path).new == 1
    assert set(cached(cache_path)) == {rec["eventID"]}


# -- event-source scope --------------------------------------------------------------------


@pytest.fixture
def mixed_sources(tmp_path: Path, writers: Any, record_factory: Run) -> dict[str, Any]:
    rds = record_factory(eventSource="rds.amazonaws.com", eventName="ModifyDBInstance")
    # RDS calling EC2 on the user's behalf: "rds.amazonaws.com" is in the record, but it is
    # an EC2 event.
    ec2 = record_factory(
        eventSource="ec2.amazonaws.com",
        eventName="CreateNetworkInterface",
        userIdentity={"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        requestParameters={"subnetId": "subnet-1"},
    )
    s3 = record_factory(eventSource="s3.amazonaws.com", eventName="GetBucketAcl")
    path = writers.trail(tmp_path / "mixed.json.gz", [s3, ec2, rds])
    return {"path": path, "rds": rds, "ec2": ec2, "s3": s3}


@pytest.mark.parametrize(
    ("options", "kept", "skipped"),
    [
        ([], ["rds"], 2),
        (["--event-source", "ec2.amazonaws.com"], ["ec2"], 2),
        (
            ["--event-source", "ec2.amazonaws.com", "--event-source", "s3.amazonaws.com"],
            ["ec2", "s3"],
            1,
        ),
        (["--all-sources"], ["rds", "ec2", "s3"], 0),
        # A bare service name is its eventSource, in any case.
        (["--event-source", "ec2"], ["ec2"], 2),
        (["--event-source", "EC2", "--event-source", " s3 "], ["ec2", "s3"], 1),
    ],
)
def test_event_source_scope(
    run_cli: Run,
    count_cached: Callable[..., int],
    mixed_sources: dict[str, Any],
    options: list[str],
    kept: list[str],
    skipped: int,
) -> None:
    result = run_cli("load", *options, mixed_sources["path"])
    assert result.code == 0, result.err
    assert f"{skipped} of other services skipped" in result.err
    out = run_cli("query", "--format", "jsonl")
    ids = {json.loads(line)["eventID"] for line in out.out_lines}
    assert ids == {mixed_sources[name]["eventID"] for name in kept}


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("ec2.amazon.com", "ec2.amazonaws.com"),
        ("https://ec2.amazonaws.com/", "ec2.amazonaws.com"),
        ("ec2.amazonaws.com.", "ec2.amazonaws.com"),
        ("rds_aurora", "rds.amazonaws.com"),
        ("", "rds.amazonaws.com"),
    ],
)
def test_an_odd_event_source_is_refused_with_a_suggestion(
    run_cli: Run, cache_path: Path, mixed_sources: dict[str, Any], given: str, suggested: str
) -> None:
    result = run_cli("load", "--event-source", given, mixed_sources["path"])
    assert result.code == 2
    assert result.err_lines == [f"rdstrail: --event-source {given!r}: did you mean {suggested!r}?"]
    assert not cache_path.parent.exists()


def test_escaped_event_source_is_still_rds(tmp_path: Path, cache_path: Path) -> None:
    # JSON may spell any character as \uXXXX; the record is still an RDS event.
    raw = (
        b'{"eventVersion":"1.08","eventID":"esc-1","eventTime":"2024-03-01T12:00:00Z",'
        b'"eventSource":"rds.amazonaws\\u002ecom","eventName":"RebootDBInstance",'
        b'"userIdentity":{"type":"Root"},"requestParameters":{"dBInstanceIdentifier":"db1"}}'
    )
    path = tmp_path / "t.json"
    path.write_bytes(b'{"Records":[' + raw + b"]}")
    assert load(cache_path, path).new == 1
    assert cached(cache_path)["esc-1"].raw == raw


# -- the parallel path ---------------------------------------------------------------------


def test_parallel_load_matches_sequential(
    tmp_path: Path, writers: Any, record_factory: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "trail"
    shared = record_factory(eventName="DeliveredTwice")
    for n in range(6):
        recs = [record_factory(eventName=f"Call{n}-{i}") for i in range(20)]
        recs.append(shared)
        recs.append(record_factory(eventSource="ec2.amazonaws.com"))
        writers.trail(source / f"f{n}.json.gz", recs)
    writers.bytes(source / "broken.json", b'{"Records": [')

    one_file_chunks = Chunking(max_files=1, parallel_min_bytes=1)
    parallel = load(tmp_path / "parallel.db", source, workers=2, chunking=one_file_chunks)
    assert parallel.processes == 2, "the worker pool did not run"
    sequential = load(tmp_path / "sequential.db", source, workers=1, chunking=one_file_chunks)
    assert sequential.processes == 1

    fields = ("files", "records", "other_sources", "kept", "new", "bad_files", "bad_records")
    assert {f: getattr(parallel, f) for f in fields} == {f: getattr(sequential, f) for f in fields}
    assert parallel.new == 6 * 20 + 1
    assert sorted(parallel.problems) == sorted(sequential.problems)
    a, b = cached(tmp_path / "parallel.db"), cached(tmp_path / "sequential.db")
    assert a == b


# -- permissions ---------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_cache_is_private(cache_path: Path, shared_records: Path, run_cli: Run) -> None:
    assert not cache_path.parent.exists()
    assert run_cli("load", shared_records).code == 0
    assert mode(cache_path.parent) == 0o700
    assert mode(cache_path) == 0o600
    for extra in (Path(f"{cache_path}-wal"), Path(f"{cache_path}-shm")):
        if extra.exists():
            assert mode(extra) & 0o077 == 0, extra


def test_existing_readable_cache_is_tightened(
    cache_path: Path, shared_records: Path, run_cli: Run
) -> None:
    cache_path.parent.mkdir(parents=True)
    cache_path.touch()
    cache_path.chmod(0o644)
    assert run_cli("load", shared_records).code == 0
    assert mode(cache_path) == 0o600


# -- byte-faithful records -----------------------------------------------------------------


def test_raw_record_comes_back_byte_identical(
    cache_path: Path, shared_records: Path, run_cli: Run
) -> None:
    assert run_cli("load", shared_records).code == 0
    events = cached(cache_path)
    originals = []
    for name in ("panther-rds-records.json", "rds-user-guide-createdbinstance.json"):
        originals.extend(json_slices((shared_records / name).read_bytes()))
    assert sorted(event.raw for event in events.values()) == sorted(originals)

    # `query --format json` writes those very bytes.
    out = run_cli("query", "--format", "json").out.encode()
    for original in originals:
        assert original in out


# -- cache size ----------------------------------------------------------------------------


def _varied_rds_records(templates: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    rng = random.Random(20240301)
    records = []
    for n in range(count):
        rec = copy.deepcopy(templates[n % len(templates)])
        rec["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rec["requestID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        rec["eventTime"] = (
            f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T"
            f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
        )
        rec["sourceIPAddress"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{n % 250 + 1}"
        params = rec.get("requestParameters")
        if isinstance(params, dict) and "dBInstanceIdentifier" in params:
            params["dBInstanceIdentifier"] = f"db-{rng.choice(['prod', 'dev', 'qa'])}-{n % 40}"
        records.append(rec)
    return records


@pytest.mark.parametrize("kind", ["demo-generator", "panther-records"])
def test_cache_is_at_most_half_the_json(
    tmp_path: Path, cache_path: Path, shared_record_list: list[dict[str, Any]], kind: str
) -> None:
    """Two sets: the demo generator's RDS records, and records reshaped from the shared
    panther fixtures, which the compression dictionary was not trained on."""
    if kind == "demo-generator":
        from rdstrail_tui.demo.generator import generate

        source = tmp_path / "trail"
        generate(source, 20_000, seed=7)
    else:
        source = tmp_path / "trail.json"
        records = _varied_rds_records(shared_record_list, 2000)
        source.write_text(json.dumps({"Records": records}, separators=(",", ":")))
    summary = load(cache_path, source)
    assert summary.new > 1000
    json_bytes = sum(len(event.raw) for event in cached(cache_path).values())

    db = sqlite3.connect(cache_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = int(db.execute("PRAGMA page_size").fetchone()[0])
    # The resource history's tables (schema 3) take a page each however few events there
    # are, and `resources` a row per distinct resource: a sample of 2,000 records naming
    # 120 databases would be charged far more for them than a real cache is. The summary
    # (schema 4) is a row, and a row per region, whatever the number of events. `meta`
    # holds the compression dictionary: 64 KB once per file, 3% of this 2.3 MB sample and
    # nothing of a real cache's size. (Schema 5's key by day and eventID is 3 bytes an event
    # more than schema 1's eventID alone, which left the sample under a page of margin.)
    try:
        fixed = (
            page
            * int(
                db.execute(
                    "SELECT count(*) FROM dbstat WHERE name IN ('resources', "
                    "'resources_by_identifier', 'event_relations', 'summary', "
                    "'summary_regions', 'meta', 'sqlite_autoindex_meta_1')"
                ).fetchone()[0]
            )
            + page
        )
    except sqlite3.OperationalError:  # an SQLite built without dbstat
        fixed = 32 * page
    db.close()
    on_disk = sum(
        path.stat().st_size for path in (cache_path, Path(f"{cache_path}-wal")) if path.exists()
    )
    assert on_disk - fixed <= json_bytes / 2, (
        f"cache {on_disk:,} bytes for {json_bytes:,} bytes of records "
        f"({on_disk / json_bytes:.2f}x, budget 0.5x)"
    )
    print(f"{kind}: cache is {on_disk / json_bytes:.2f}x the JSON")


# -- cache info ----------------------------------------------------------------------------


def test_cache_info_lists_sources(
    tmp_path: Path, shared_records: Path, run_cli: Run, writers: Any, record_factory: Run
) -> None:
    extra = writers.trail(tmp_path / "extra.json", [record_factory(), record_factory()])
    assert run_cli("load", shared_records).code == 0
    assert run_cli("load", extra).code == 0
    assert run_cli("load", shared_records).code == 0  # adds nothing, source seen again
    info = run_cli("cache", "info")
    assert info.code == 0, info.err
    assert f"file:{shared_records.resolve()}  (72 events added" in info.out
    assert f"file:{extra.resolve()}  (2 events added" in info.out
    assert info.out.count(f"file:{shared_records.resolve()}") == 1


# -- unusable caches -----------------------------------------------------------------------


def _newer_cache(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()


def test_cache_from_a_newer_version_is_refused(cache_path: Path) -> None:
    _newer_cache(cache_path)
    with pytest.raises(CacheError, match=r"newer rdstrail \(schema 99"):
        Cache.open(cache_path)
    db = sqlite3.connect(cache_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 99  # left as it was
    db.close()


@pytest.mark.parametrize("command", [["query"], ["stats"], ["cache", "info"], ["load"]])
def test_cache_from_a_newer_version_via_cli(
    cache_path: Path, shared_records: Path, run_cli: Run, command: list[str]
) -> None:
    _newer_cache(cache_path)
    args = [*command, shared_records] if command == ["load"] else command
    result = run_cli(*args)
    assert result.code == 1
    assert len(result.err_lines) == 1, result.err
    assert str(cache_path) in result.err
    assert "newer rdstrail" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("command", [["query"], ["load"]])
def test_non_sqlite_file_as_cache(
    tmp_path: Path, shared_records: Path, run_cli: Run, command: list[str]
) -> None:
    notes = tmp_path / "notes.txt"
    content = b"my shopping list: eggs, milk\n" * 200
    notes.write_bytes(content)
    args = [*command, shared_records] if command == ["load"] else command
    result = run_cli("--cache", notes, *args)
    assert result.code == 1
    assert len(result.err_lines) == 1, result.err
    assert str(notes) in result.err
    assert "not a usable rdstrail cache" in result.err
    assert "Traceback" not in result.err
    assert notes.read_bytes() == content
