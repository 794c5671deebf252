"""One pass per document, from decoded bytes to the events it holds.

Most of a trail is other services' records. They are recognised by a byte test on the raw
record and never parsed: that, the isal gzip decoder and the second core are where the speed
comes from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson

from rdstrail_tui.ingest.formats import Document, RecordShapeError, event_source_of
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event, RecordError, event_from_record

# How many record problems one file reports before summing up the rest.
PROBLEMS_PER_FILE = 3


@dataclass
class ChunkResult:
    files: int = 0
    digests: int = 0
    bad_files: int = 0
    records: int = 0
    other_sources: int = 0
    kept: int = 0  # valid records in scope, new or not
    new: int = 0
    bad_records: int = 0
    problems: list[str] = field(default_factory=list)

    def add(self, other: ChunkResult) -> None:
        for name in (
            "files",
            "digests",
            "bad_files",
            "records",
            "other_sources",
            "kept",
            "new",
            "bad_records",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


def events_of(document: Document, name: str, scope: Scope, result: ChunkResult) -> Iterator[Event]:
    """The in-scope events of one document; problems are added to `result`."""
    if scope.sources is not None:
        sources = document.event_sources()
        if sources is not None:
            yield from _selected_events(document, sources, name, scope.sources, result)
            return
    problems: list[tuple[int, str]] = []
    try:
        for index, raw in document.records:
            result.records += 1
            if raw is None:
                problems.append((index, "no CloudTrailEvent in this LookupEvents entry"))
                continue
            try:
                source = event_source_of(raw)
            except RecordShapeError as error:
                problems.append((index, str(error)))
                continue
            if source is None:
                problems.append((index, "not a CloudTrail record (no eventSource)"))
            elif scope.sources is not None and source not in scope.sources:
                result.other_sources += 1
            elif event := _normalise(index, raw, problems, result):
                yield event
    finally:
        # Also when a stream breaks part-way: what it yielded so far is still reported.
        _report(document, name, problems, result)


def _selected_events(
    document: Document,
    sources: list[str | None],
    name: str,
    wanted: frozenset[str],
    result: ChunkResult,
) -> Iterator[Event]:
    """The fast path: only records of a wanted eventSource become Python objects."""
    assert document.raws is not None
    raws = document.raws
    result.records += len(sources)
    keep = [index for index, source in enumerate(sources) if source in wanted]
    missing = [index for index, source in enumerate(sources) if source is None]
    result.other_sources += len(sources) - len(keep) - len(missing)
    problems = [(index, "not a CloudTrail record (no eventSource)") for index in missing]
    for index in keep:
        if event := _normalise(index, bytes(raws[index]), problems, result):
            yield event
    _report(document, name, sorted(problems), result)


def _normalise(
    index: int, raw: bytes, problems: list[tuple[int, str]], result: ChunkResult
) -> Event | None:
    """The Event of one in-scope record (already known to be valid JSON), or None with the
    reason added to `problems`."""
    try:
        event = event_from_record(orjson.loads(raw), raw)
    except RecordError as error:
        problems.append((index, str(error)))
        return None
    result.kept += 1
    return event


def _report(
    document: Document, name: str, problems: list[tuple[int, str]], result: ChunkResult
) -> None:
    result.bad_records += len(problems)
    for index, message in problems[:PROBLEMS_PER_FILE]:
        result.problems.append(f"{name}: {document.locate(index)}: {message}")
    if len(problems) > PROBLEMS_PER_FILE:
        result.problems.append(
            f"{name}: {len(problems) - PROBLEMS_PER_FILE} more records with problems"
        )
