"""Every input format is recognised by its content (never its name), and every record comes
back as the exact bytes it was delivered as."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.ingest import formats
from rdstrail_tui.ingest.formats import Document, InputError, Kind, decode_bytes, decode_file


def records_of(document: Document) -> list[tuple[int, bytes | None]]:
    return list(document.records)


def parsed(document: Document) -> list[Any]:
    return [json.loads(raw) for _, raw in document.records if raw is not None]


@pytest.fixture
def recs(record_factory: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        record_factory(eventName="ModifyDBInstance"),
        record_factory(eventName="CreateDBSnapshot", readOnly=False),
        record_factory(eventName="DescribeDBInstances", readOnly=True),
        record_factory(eventName="DeleteDBInstance"),
    ]


def lookup_entry(record: dict[str, Any]) -> dict[str, Any]:
    """One entry of `aws cloudtrail lookup-events` output."""
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": "true" if record.get("readOnly") else "false",
        "AccessKeyId": "AKIAEXAMPLE",
        "EventTime": "2024-03-01T12:00:00+00:00",
        "EventSource": record["eventSource"],
        "Username": "alice",
        "Resources": [{"ResourceType": "AWS::RDS::DBInstance", "ResourceName": "prod-db"}],
        "CloudTrailEvent": json.dumps(record),
    }


# -- {"Records": [...]} ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "gz"),
    [
        ("trail.json", False),
        ("123_CloudTrail_us-east-1_20240301T1200Z_abc.json.gz", True),
        ("gzipped-without-gz-suffix.json", True),
        ("plain-with-gz-suffix.json.gz", False),
        ("no-suffix-at-all", True),
    ],
)
def test_trail_file_recognised_by_content(
    tmp_path: Path, writers: Any, recs: list[dict[str, Any]], name: str, gz: bool
) -> None:
    path = writers.trail(tmp_path / name, recs, gz=gz)
    document = decode_file(path)
    assert document.kind is Kind.TRAIL
    assert parsed(document) == recs


def test_console_download_pretty_printed(tmp_path: Path, recs: list[dict[str, Any]]) -> None:
    # The console's Event history "Download JSON" writes {"Records": [...]}, indented.
    path = tmp_path / "event_history.json"
    path.write_text(json.dumps({"Records": recs}, indent=2))
    document = decode_file(path)
    assert document.kind is Kind.TRAIL
    assert parsed(document) == recs


def test_trail_with_utf8_bom(tmp_path: Path, recs: list[dict[str, Any]]) -> None:
    path = tmp_path / "saved-on-windows.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"Records": recs}).encode())
    assert parsed(decode_file(path)) == recs


def test_empty_trail_has_no_records(tmp_path: Path) -> None:
    path = tmp_path / "empty-trail.json"
    path.write_text('{"Records": []}')
    document = decode_file(path)
    assert document.kind is Kind.TRAIL
    assert records_of(document) == []


# -- LookupEvents --------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_lookup_events_output(tmp_path: Path, recs: list[dict[str, Any]], gz: bool) -> None:
    entries = [lookup_entry(rec) for rec in recs]
    data = json.dumps({"Events": entries, "NextToken": "abc"}).encode()
    path = tmp_path / "lookup.json"
    path.write_bytes(gzip.compress(data) if gz else data)
    document = decode_file(path)
    assert document.kind is Kind.LOOKUP
    raws = [raw for _, raw in document.records]
    # The record is the CloudTrailEvent string itself, byte for byte.
    assert raws == [entry["CloudTrailEvent"].encode() for entry in entries]


def test_lookup_entry_without_cloudtrail_event_is_located(recs: list[dict[str, Any]]) -> None:
    entries: list[dict[str, Any]] = [lookup_entry(rec) for rec in recs[:2]]
    del entries[1]["CloudTrailEvent"]
    document = decode_bytes(json.dumps({"Events": entries}).encode())
    items = records_of(document)
    assert items[0][1] == entries[0]["CloudTrailEvent"].encode()
    assert items[1] == (1, None)
    assert document.locate(1) == "Events[1]"


def test_array_of_lookup_entries(tmp_path: Path, recs: list[dict[str, Any]]) -> None:
    entries = [lookup_entry(rec) for rec in recs]
    path = tmp_path / "entries.json"
    path.write_text(json.dumps(entries, indent=1))
    document = decode_file(path)
    assert document.kind is Kind.ARRAY
    assert [raw for _, raw in document.records] == [
        entry["CloudTrailEvent"].encode() for entry in entries
    ]


# -- arrays, single records, JSON Lines ----------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_array_of_records(tmp_path: Path, recs: list[dict[str, Any]], gz: bool) -> None:
    data = json.dumps(recs, indent=2).encode()
    path = tmp_path / "query-output.json"
    path.write_bytes(gzip.compress(data) if gz else data)
    document = decode_file(path)
    assert document.kind is Kind.ARRAY
    assert parsed(document) == recs
    assert document.locate(2) == "[2]"


def test_one_record_as_an_object(tmp_path: Path, recs: list[dict[str, Any]]) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(recs[0], indent=4))
    document = decode_file(path)
    assert document.kind is Kind.RECORD
    items = records_of(document)
    assert len(items) == 1
    assert items[0][1] == path.read_bytes().strip()
    assert json.loads(items[0][1] or b"") == recs[0]


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gz"])
@pytest.mark.parametrize("newline", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_json_lines(tmp_path: Path, recs: list[dict[str, Any]], gz: bool, newline: bytes) -> None:
    lines = [json.dumps(rec).encode() for rec in recs]
    # Blank lines (and a whitespace-only one) between records and at the end.
    body = newline.join([lines[0], b"", lines[1], lines[2], b"   ", lines[3], b"", b""])
    path = tmp_path / ("export.jsonl.gz" if gz else "export.jsonl")
    path.write_bytes(gzip.compress(body) if gz else body)
    document = decode_file(path)
    assert document.kind is Kind.JSON_LINES
    items = records_of(document)
    assert [raw for _, raw in items] == lines  # no CR, no blank records
    # Indexes are line numbers, blank lines counted: record 2 is on line 3.
    assert [document.locate(index) for index, _ in items] == [
        "line 1",
        "line 3",
        "line 4",
        "line 6",
    ]


def test_json_lines_named_json(tmp_path: Path, recs: list[dict[str, Any]]) -> None:
    path = tmp_path / "actually-lines.json"
    path.write_bytes(b"\n".join(json.dumps(rec).encode() for rec in recs))
    document = decode_file(path)
    assert document.kind is Kind.JSON_LINES
    assert parsed(document) == recs


# -- digest --------------------------------------------------------------------------------

DIGEST = {
    "awsAccountId": "123456789012",
    "digestStartTime": "2024-03-01T11:00:00Z",
    "digestEndTime": "2024-03-01T12:00:00Z",
    "digestS3Bucket": "trail-bucket",
    "digestS3Object": "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/03/01/x.json.gz",
    "digestPublicKeyFingerprint": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "digestSignatureAlgorithm": "SHA256withRSA",
    "newestEventTime": "2024-03-01T11:59:59Z",
    "oldestEventTime": "2024-03-01T11:00:01Z",
    "previousDigestS3Bucket": "trail-bucket",
    "previousDigestS3Object": "AWSLogs/.../prev.json.gz",
    "previousDigestHashValue": "deadbeef",
    "previousDigestHashAlgorithm": "SHA-256",
    "previousDigestSignature": "cafe",
    "logFiles": [
        {
            "s3Bucket": "trail-bucket",
            "s3Object": "AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/01/y.json.gz",
            "hashValue": "00ff",
            "hashAlgorithm": "SHA-256",
            "newestEventTime": "2024-03-01T11:59:59Z",
            "oldestEventTime": "2024-03-01T11:00:01Z",
        }
    ],
}


@pytest.mark.parametrize("gz", [False, True])
def test_digest_file_has_no_records(tmp_path: Path, gz: bool) -> None:
    data = json.dumps(DIGEST).encode()
    path = tmp_path / "123_CloudTrail-Digest_us-east-1_trail_us-east-1_20240301T120000Z.json.gz"
    path.write_bytes(gzip.compress(data) if gz else data)
    document = decode_file(path)
    assert document.kind is Kind.DIGEST
    assert records_of(document) == []


# -- byte-faithful raw records -------------------------------------------------------------


def json_slices(data: bytes, key: str = "Records") -> list[bytes]:
    """The byte ranges of the top-level array's items, found with the standard library."""
    text = data.decode("utf-8")
    decoder = json.JSONDecoder()
    start = text.index("[", text.index(f'"{key}"'))
    slices: list[bytes] = []
    index = start + 1
    while True:
        while text[index] in " \t\r\n,":
            index += 1
        if text[index] == "]":
            return slices
        _, end = decoder.raw_decode(text, index)
        slices.append(text[index:end].encode("utf-8"))
        index = end


@pytest.mark.parametrize(
    "name", ["panther-rds-records.json", "rds-user-guide-createdbinstance.json"]
)
def test_raw_records_are_exact_slices_of_the_file(shared_records: Path, name: str) -> None:
    data = (shared_records / name).read_bytes()
    assert b"\n " in data  # both files are pretty-printed
    document = decode_file(shared_records / name)
    assert [raw for _, raw in document.records] == json_slices(data)


def test_raw_records_exact_in_gzipped_trail(tmp_path: Path, shared_records: Path) -> None:
    data = (shared_records / "panther-rds-records.json").read_bytes()
    path = tmp_path / "t.json.gz"
    path.write_bytes(gzip.compress(data))
    assert [raw for _, raw in decode_file(path).records] == json_slices(data)


def test_raw_keeps_unusual_but_valid_json_text(tmp_path: Path) -> None:
    # Escapes, key order, spacing and number spelling are the record's, not re-encoded.
    record = (
        b'{"eventVersion":"1.08", "eventID":"e-1","eventTime":"2024-03-01T12:00:00Z",'
        b'"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance",'
        b'"userAgent":"caf\\u00e9 \\/ \xc3\xa9","requestParameters":{"allocatedStorage":2.50E2}}'
    )
    path = tmp_path / "t.json"
    path.write_bytes(b'{ "Records" : [ ' + record + b" ] }")
    assert [raw for _, raw in decode_file(path).records] == [record]


# -- locators ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "index", "text"),
    [
        (Kind.TRAIL, 3, "Records[3]"),
        (Kind.JSON_LINES, 11, "line 12"),
        (Kind.LOOKUP, 0, "Events[0]"),
        (Kind.ARRAY, 5, "[5]"),
    ],
)
def test_record_locator_text(kind: Kind, index: int, text: str) -> None:
    assert Document(kind, iter(())).locate(index) == text


def test_trail_locator_counts_records(recs: list[dict[str, Any]]) -> None:
    document = decode_bytes(json.dumps({"Records": recs}).encode())
    items = records_of(document)
    assert json.loads(items[3][1] or b"") == recs[3]
    assert document.locate(items[3][0]) == "Records[3]"


# -- large JSON Lines are streamed ---------------------------------------------------------


@pytest.fixture
def tiny_stream_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "STREAM_THRESHOLD", 64)

    def whole_read(data: bytes) -> Document:
        raise AssertionError("a large JSON Lines file was read whole instead of streamed")

    monkeypatch.setattr(formats, "decode_bytes", whole_read)


@pytest.mark.usefixtures("tiny_stream_threshold")
@pytest.mark.parametrize("gz", [False, True])
def test_large_json_lines_are_streamed(
    tmp_path: Path, recs: list[dict[str, Any]], gz: bool
) -> None:
    lines = [json.dumps(rec).encode() for rec in recs]
    body = b"\n".join([lines[0], b"", *lines[1:]]) + b"\n"
    path = tmp_path / ("big.jsonl.gz" if gz else "big.jsonl")
    path.write_bytes(gzip.compress(body) if gz else body)
    document = decode_file(path)
    assert document.kind is Kind.JSON_LINES
    items = records_of(document)
    assert [raw for _, raw in items] == lines
    assert document.locate(items[1][0]) == "line 3"


@pytest.mark.usefixtures("tiny_stream_threshold")
def test_truncated_gzip_json_lines_yield_good_lines_then_fail(
    tmp_path: Path, record_factory: Callable[..., dict[str, Any]]
) -> None:
    # More than the 1 MB sniffed at the start, so the break is met while streaming.
    lines = [
        json.dumps(record_factory(userAgent=f"agent-{n}-" + "x" * 900)).encode()
        for n in range(3000)
    ]
    compressed = gzip.compress(b"\n".join(lines) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(compressed[: len(compressed) * 2 // 3])
    document = decode_file(path)
    assert document.kind is Kind.JSON_LINES
    good: list[bytes] = []
    with pytest.raises(InputError, match="truncated or corrupt gzip"):
        for _, raw in document.records:
            assert raw is not None
            good.append(raw)
    assert len(good) > 1000
    assert good == lines[: len(good)]
