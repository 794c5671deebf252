"""Recognise and decode CloudTrail input documents by their content, never by their name.

A document yields the raw bytes of each record it holds, exactly as delivered, so the cache
can give back the original record. Parsing a record into Python objects is left to the
caller, which first skips records of other services by a cheap byte test.

Formats:
- an S3 trail file or a console Event history download: `{"Records": [...]}`;
- LookupEvents output (`aws cloudtrail lookup-events`): `{"Events": [{"CloudTrailEvent": "..."}]}`;
- a JSON array of records, or of LookupEvents entries (our `query --format json`);
- one record as a JSON object;
- JSON Lines, one record per line (our `query --format jsonl`);
- a CloudTrail digest file, which holds no events and is skipped;
each of them plain or gzipped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO, Optional, cast

import msgspec
from isal import igzip

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# Above this, JSON Lines are streamed instead of read whole: our own exports can be gigabytes,
# while a trail file is at most 50 MB uncompressed by CloudTrail's own limit.
STREAM_THRESHOLD = 64 * 1024 * 1024
_SNIFF_BYTES = 1024 * 1024


class InputError(Exception):
    """A whole input that cannot be read; the message says what is wrong, not where."""


class Kind(Enum):
    TRAIL = "trail"
    LOOKUP = "lookup"
    ARRAY = "array"
    RECORD = "record"
    JSON_LINES = "jsonl"
    DIGEST = "digest"


@dataclass
class Document:
    kind: Kind
    # (index, raw record) pairs; raw is None for an entry that holds no record (a LookupEvents
    # entry without CloudTrailEvent). Iteration may raise InputError part-way for a stream.
    records: Iterator[tuple[int, bytes | None]]
    # For a trail file or an array of records: the undecoded record slices, and the whole
    # text, so event_sources() can read one field of every record without Python objects.
    raws: list[msgspec.Raw] | None = None
    text: bytes = b""

    def event_sources(self) -> list[str | None] | None:
        """Each record's eventSource (None where it has none), decoded in C; None when this
        format has no such shortcut or a record is too odd for it (the caller then looks at
        every record itself and reports what is wrong)."""
        if self.raws is None:
            return None
        decoder = _probe_trail_decoder if self.kind is Kind.TRAIL else _probe_array_decoder
        try:
            probes = decoder.decode(self.text)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return None
        records = probes.Records if isinstance(probes, _ProbeTrail) else probes
        return [probe.eventSource for probe in records]

    def locate(self, index: int) -> str:
        """Where a record sits, in the words of its format: `Records[3]`, `line 12`."""
        if self.kind is Kind.JSON_LINES:
            return f"line {index + 1}"
        if self.kind is Kind.LOOKUP:
            return f"Events[{index}]"
        if self.kind is Kind.ARRAY:
            return f"[{index}]"
        if self.kind is Kind.RECORD:
            return "record"
        return f"Records[{index}]"


# msgspec evaluates these annotations at run time, where Python 3.9 has no `X | None`: the
# structs spell their optional fields with typing.Optional.
class _Envelope(msgspec.Struct):
    """The top-level keys that tell the formats apart; the rest is skipped unparsed."""

    Records: Optional[list[msgspec.Raw]] = None  # noqa: UP045
    Events: Optional[list[msgspec.Raw]] = None  # noqa: UP045
    eventID: object = None
    eventTime: object = None
    digestStartTime: object = None
    digestPublicKeyFingerprint: object = None


class _LookupEntry(msgspec.Struct):
    CloudTrailEvent: Optional[str] = None  # noqa: UP045


class _Probe(msgspec.Struct):
    eventSource: Optional[str] = None  # noqa: UP045


class _ProbeTrail(msgspec.Struct):
    Records: list[_Probe]


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_array_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_lookup_entry_decoder = msgspec.json.Decoder(_LookupEntry)
_probe_trail_decoder = msgspec.json.Decoder(_ProbeTrail)
_probe_array_decoder = msgspec.json.Decoder(list[_Probe])
_probe_record_decoder = msgspec.json.Decoder(_Probe)


class RecordShapeError(ValueError):
    """One record that is not valid JSON or not a JSON object."""


def event_source_of(raw: bytes) -> str | None:
    """One record's eventSource (None if it has none), validating the whole record as JSON
    in C without building it; RecordShapeError says what is wrong otherwise."""
    try:
        return _probe_record_decoder.decode(raw).eventSource
    except msgspec.ValidationError as error:
        raise RecordShapeError(f"not a CloudTrail record ({error})") from None
    except msgspec.DecodeError as error:
        raise RecordShapeError(f"invalid JSON ({_reason(error)})") from None


def decode_bytes(data: bytes) -> Document:
    """Decode a whole document held in memory (gzipped or not)."""
    if data[:2] == GZIP_MAGIC:
        data = gunzip(data)
    return _decode_plain(data)


def gunzip(data: bytes) -> bytes:
    try:
        return cast(bytes, igzip.decompress(data))  # type: ignore[no-untyped-call]
    except (EOFError, OSError, ValueError) as error:
        raise InputError(f"truncated or corrupt gzip ({_reason(error)})") from None


def decode_file(path: Path) -> Document:
    """Open and decode one file; large JSON Lines files are streamed, not read whole."""
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}") from None
    with handle:
        try:
            head = handle.read(2)
            size = path.stat().st_size
            handle.seek(0)
            if size < STREAM_THRESHOLD // 4 or (head != GZIP_MAGIC and size < STREAM_THRESHOLD):
                return decode_bytes(handle.read())
            stream = _gunzip_stream(handle) if head == GZIP_MAGIC else handle
            sniff = _read_sniff(stream)
            if _looks_like_json_lines(sniff):
                # Reopen: the stream must outlive this `with`.
                return Document(Kind.JSON_LINES, _stream_json_lines(path, head == GZIP_MAGIC))
            return _decode_plain(sniff + stream.read())
        except OSError as error:
            if head == GZIP_MAGIC:
                raise InputError(f"truncated or corrupt gzip ({_reason(error)})") from None
            raise InputError(f"cannot read: {error.strerror or error}") from None
        except EOFError as error:
            raise InputError(f"truncated or corrupt gzip ({_reason(error)})") from None


def _gunzip_stream(handle: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], igzip.IGzipFile(fileobj=handle))  # type: ignore[no-untyped-call]


def _read_sniff(stream: IO[bytes]) -> bytes:
    try:
        return stream.read(_SNIFF_BYTES)
    except EOFError as error:
        raise InputError(f"truncated or corrupt gzip ({_reason(error)})") from None


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[0].lower() + text[1:] if text else text


def _decode_plain(data: bytes) -> Document:
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM) :]
    stripped = data.strip()
    if not stripped:
        raise InputError("empty file")
    first = stripped[:1]
    if first == b"{":
        return _decode_object(stripped)
    if first == b"[":
        return _decode_array(stripped)
    raise InputError("not JSON: a CloudTrail file starts with '{' or '['")


def _decode_object(data: bytes) -> Document:
    try:
        envelope = _envelope_decoder.decode(data)
    except msgspec.ValidationError as error:
        raise InputError(f"not a CloudTrail file ({error})") from None
    except msgspec.DecodeError as error:
        if _looks_like_json_lines(data):
            return Document(Kind.JSON_LINES, _split_json_lines(data))
        raise InputError(f"invalid JSON ({_reason(error)})") from None
    if envelope.Records is not None:
        return Document(Kind.TRAIL, _raw_items(envelope.Records), envelope.Records, data)
    if envelope.Events is not None:
        return Document(Kind.LOOKUP, _lookup_items(envelope.Events))
    if envelope.digestStartTime is not None or envelope.digestPublicKeyFingerprint is not None:
        return Document(Kind.DIGEST, iter(()))
    if envelope.eventID is not None or envelope.eventTime is not None:
        return Document(Kind.RECORD, iter([(0, data)]))
    raise InputError(
        "not a CloudTrail file: a JSON object without Records, Events or a record's eventID"
    )


def _decode_array(data: bytes) -> Document:
    try:
        items = _array_decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as error:
        raise InputError(f"invalid JSON ({_reason(error)})") from None
    if items and b'"CloudTrailEvent"' in bytes(items[0]):
        return Document(Kind.ARRAY, _lookup_items(items))
    return Document(Kind.ARRAY, _raw_items(items), items, data)


def _raw_items(items: list[msgspec.Raw]) -> Iterator[tuple[int, bytes | None]]:
    for index, item in enumerate(items):
        yield index, bytes(item)


def _lookup_items(items: list[msgspec.Raw]) -> Iterator[tuple[int, bytes | None]]:
    for index, item in enumerate(items):
        try:
            entry = _lookup_entry_decoder.decode(item)
        except (msgspec.ValidationError, msgspec.DecodeError):
            yield index, None
            continue
        yield index, entry.CloudTrailEvent.encode() if entry.CloudTrailEvent else None


def _looks_like_json_lines(data: bytes) -> bool:
    """True when the first non-empty line is a JSON object on its own."""
    for line in io.BytesIO(data):
        line = line.strip()
        if not line:
            continue
        if line.startswith(UTF8_BOM):
            line = line[len(UTF8_BOM) :]
        if not line.startswith(b"{"):
            return False
        try:
            msgspec.json.decode(line)
        except msgspec.DecodeError:
            return False
        return True
    return False


def _split_json_lines(data: bytes) -> Iterator[tuple[int, bytes | None]]:
    for index, line in enumerate(data.split(b"\n")):
        line = line.strip()
        if line:
            yield index, line


def _stream_json_lines(path: Path, gzipped: bool) -> Iterator[tuple[int, bytes | None]]:
    with path.open("rb") as handle:
        stream = _gunzip_stream(handle) if gzipped else handle
        try:
            for index, line in enumerate(stream):
                line = line.strip()
                if line:
                    yield index, line.removeprefix(UTF8_BOM)
        except (EOFError, OSError) as error:
            raise InputError(f"truncated or corrupt gzip ({_reason(error)})") from None
