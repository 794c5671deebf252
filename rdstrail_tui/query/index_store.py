"""The explorer's index persisted beside the cache, so that opening ten million events
needs no rebuild: `<cache>.index/`, owner-only, holding a manifest and one or two segment
files (query/index_segment.py).

Whatever loads events brings the files up to date when it is done (`refresh`): the new rows
become a second, small segment, which is merged into the first once it passes an eighth of
it, so each load writes about what it added and the big file is rewritten rarely. Writers
take turns on a lock file; readers need none, because a file is never changed once written
(a new one replaces it, named anew, and the manifest is replaced in one rename).

Nothing in these files is trusted without checks (`trusted`): the manifest must name the
cache's index token (cache/summary.py, new after a clear and at each schema migration), the
segments' schema must be this one, their ranges must follow each other from rowid 0, and
their rows plus those cached since must be what the cache's maintained summary counts.
A file damaged in its middle passes those, so the explorer also checks each array's CRC in
the background (`intact`) and rebuilds the index from the cache when one fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import orjson

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.query.index_segment import (
    FORMAT,
    Segment,
    SegmentError,
    built,
    merged,
    opened,
    placed_after,
    write,
    write_merged,
)
from rdstrail_tui.query.index_segment import intact as segment_intact
from rdstrail_tui.query.measure import CachedContent, measure
from rdstrail_tui.query.memory import EventIndex

try:  # POSIX (Linux, macOS: where rdstrail runs); elsewhere writers are not serialised
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms tested
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
# Rows cached since the persisted index that opening takes in at once (read from SQLite);
# with more, the explorer builds (and persists) the index in the background.
OPEN_TAIL_ROWS = 100_000
LOCK = "lock"
# The second segment is merged into the first once it holds more than 1/DELTA_SHARE of it:
# rarely enough that a load writes about what it added, often enough that a filter's
# matches in it (placed one by one among the first's) stay few.
DELTA_SHARE = 16
# Rowids folded in per step of a refresh: what bounds its memory, at any cache size.
STEP_ROWS = 1_000_000


def index_dir(cache_path: Path) -> Path:
    return Path(f"{cache_path}.index")


def trusted(cache: Cache) -> list[Segment] | None:
    """The persisted segments, mapped, if every cheap check says they describe this cache;
    None if there are none or they cannot be trusted (the caller rebuilds)."""
    folder = index_dir(cache.path)
    try:
        manifest = orjson.loads((folder / MANIFEST).read_bytes())
        names = [str(name) for name in manifest["segments"]]
        if manifest["format"] != FORMAT or manifest["token"] != cache.index_token():
            return None
        segments = [opened(folder / name) for name in names]
    except (OSError, ValueError, KeyError, TypeError, SegmentError):
        return None
    if not segments:
        return None
    after = 0
    for number, segment in enumerate(segments):
        if segment.token != manifest["token"] or segment.after_rowid != after:
            return None
        if (segment.placed is None) != (number == 0):
            return None  # a later segment is placed among the first's rows; the first is not
        after = segment.max_rowid
    rows = sum(len(segment) for segment in segments)
    if rows + cache.count_after(after) != cache.summary().events:
        return None  # rows were removed, or the files are of another cache
    return segments


def intact(segments: list[Segment]) -> bool:
    """Every mapped segment's file still has the CRCs its footer gives (reads every byte)."""
    return all(segment.path is None or segment_intact(segment.path) for segment in segments)


def refresh(cache: Cache, *, rebuild: bool = False) -> list[Segment]:
    """Bring the persisted index up to every row cached now (from scratch if the files
    cannot be trusted, or with `rebuild`), and return its segments, mapped."""
    folder = index_dir(cache.path)
    _private_dir(folder)
    with _locked(folder / LOCK):
        segments = [] if rebuild else (trusted(cache) or [])
        top = cache.max_rowid()
        changed = False
        done = segments[-1].max_rowid if segments else 0
        while done < top:
            step = built(cache, done, min(done + STEP_ROWS, top))
            if step is None:
                break
            segments = _folded(folder, segments, step)
            done = step.max_rowid
            changed = True
        # An older manifest kept no column widths: written again to add them.
        if changed or not segments or not _has_content(folder):
            if not segments:
                return []
            # The list's column widths, measured here (a load's end, off any screen) so that
            # the explorer opens with them: at ten million events they take a few tenths of
            # a second of SQL, which the first keystrokes would otherwise wait for.
            content = measure(EventIndex(tuple(segments)), cache)
            _write_manifest(folder, segments, cache.index_token(), content)
        return segments


def kept_up(cache: Cache) -> str | None:
    """`refresh` for whatever has just loaded or synced: None when the files are up to
    date, else why they could not be written. That only costs the explorer a rebuild at its
    next start, never the load, so the caller says it or not as a warning."""
    try:
        refresh(cache)
    except OSError as error:
        return str(error.strerror or error)
    except SegmentError as error:
        return str(error)
    return None


def opened_index(cache: Cache) -> EventIndex | None:
    """The persisted index, mapped, if it can be trusted and few rows were cached since."""
    segments = trusted(cache)
    if segments is None or cache.count_after(segments[-1].max_rowid) > OPEN_TAIL_ROWS:
        return None
    return EventIndex.of_segments(segments, cache)


def stored_content(cache: Cache, index: EventIndex) -> CachedContent | None:
    """The column widths the manifest keeps, if it still names exactly the files `index`
    maps (a file is never changed once written, so its name says which rows it holds; rows
    cached since only add to them: the caller measures again)."""
    names = [segment.path.name for segment in index.segments if segment.path is not None]
    try:
        manifest = orjson.loads((index_dir(cache.path) / MANIFEST).read_bytes())
        kept = manifest["content"]
        if manifest["segments"] != names:
            return None
        widths = {str(name): int(width) for name, width in kept["widths"].items()}
        return CachedContent(widths, int(kept["regions"]), int(kept["failures"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # an older manifest, or one a newer load replaced: measured instead


def _has_content(folder: Path) -> bool:
    try:
        return "content" in orjson.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError, TypeError):
        return False


def built_index(cache: Cache, *, rebuild: bool = False) -> EventIndex:
    """The index brought up to date and persisted (`refresh`); where the files cannot be
    written (a read-only directory, a full disk), built in memory instead."""
    try:
        segments = refresh(cache, rebuild=rebuild)
    except (OSError, SegmentError):
        return EventIndex.build(cache)
    return EventIndex.of_segments(segments, cache)


def remove(cache_path: Path) -> None:
    """Forget the persisted index (the next open or load builds it again)."""
    folder = index_dir(cache_path)
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            entry.unlink()
        folder.rmdir()


def _folded(folder: Path, segments: list[Segment], step: Segment) -> list[Segment]:
    """The segments with `step` (the next rowids) taken in, written to new files."""
    if not segments:
        return [_written(folder, step)]
    base = segments[0]
    delta = merged(segments[1], step) if len(segments) > 1 else step
    if len(delta) * DELTA_SHARE > len(base):
        path = _new_name(folder)
        write_merged(base, delta, path)
        return [opened(path)]
    return [base, _written(folder, placed_after(base, delta))]


def _written(folder: Path, segment: Segment) -> Segment:
    path = _new_name(folder)
    write(segment, path)
    return opened(path)


def _new_name(folder: Path) -> Path:
    return folder / f"segment-{secrets.token_hex(8)}.idx"


def _write_manifest(
    folder: Path, segments: list[Segment], token: str, content: CachedContent
) -> None:
    names = [segment.path.name for segment in segments if segment.path is not None]
    kept = {
        "widths": content.widths,
        "regions": content.regions,
        "failures": content.failures,
    }
    text = orjson.dumps({"format": FORMAT, "token": token, "segments": names, "content": kept})
    temporary = folder / f"{MANIFEST}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(text)
    os.replace(temporary, folder / MANIFEST)
    # Files no manifest names any more: readers that mapped them keep them until they let go.
    for entry in folder.iterdir():
        if entry.name not in names and entry.name not in (MANIFEST, LOCK):
            with contextlib.suppress(OSError):
                entry.unlink()


def _private_dir(folder: Path) -> None:
    if not folder.exists():
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=0o700)
    folder.chmod(0o700)  # mkdir's mode is filtered by the umask


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time (another process's load, the explorer's rebuild)."""
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
