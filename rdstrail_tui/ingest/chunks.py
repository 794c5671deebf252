"""A chunk of files decoded and written to the cache in one transaction, so a chunk is either
wholly cached or not at all (an interrupted load keeps every chunk committed before it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.ingest.documents import ChunkResult, events_of
from rdstrail_tui.ingest.formats import InputError, Kind, decode_file
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.model.event import Event

# A chunk is one transaction: large enough that commits are cheap, small enough that
# progress moves and an interrupted load loses little.
CHUNK_BYTES = 8 * 1024 * 1024
CHUNK_FILES = 64
# Below this much input a worker pool costs more to start than it saves.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Chunking:
    """How a load cuts its files into chunks, and from how much input it starts workers."""

    max_bytes: int = CHUNK_BYTES
    max_files: int = CHUNK_FILES
    parallel_min_bytes: int = PARALLEL_MIN_BYTES


def load_chunk(cache: Cache, paths: list[str], scope: Scope) -> ChunkResult:
    result = ChunkResult()
    events: list[Event] = []
    for name in paths:
        result.files += 1
        try:
            document = decode_file(Path(name))
            if document.kind is Kind.DIGEST:
                result.digests += 1
                continue
            events.extend(events_of(document, name, scope, result))
        except InputError as error:
            result.bad_files += 1
            result.problems.append(f"{name}: {error}")
    result.new = cache.insert(events)
    return result


def chunks(
    files: list[Path], chunking: Chunking, sizes: list[int] | None = None
) -> Iterator[list[str]]:
    """The files in chunks of at most `chunking`'s bytes or files; `sizes`, each file's
    size if known (each is asked for otherwise)."""
    chunk: list[str] = []
    size = 0
    for index, path in enumerate(files):
        chunk.append(str(path))
        size += sizes[index] if sizes is not None else file_size(path)
        if size >= chunking.max_bytes or len(chunk) >= chunking.max_files:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
