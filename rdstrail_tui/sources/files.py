"""Local files and directories as a source: which files to read, and which to pass over."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rdstrail_tui.sources.sync import counted

# In a directory only these are read; a file named on the command line is always read.
READ_SUFFIXES = (".json", ".jsonl", ".ndjson")
# CloudTrail writes digests beside the logs under this folder name; they hold no events.
DIGEST_FOLDER = "CloudTrail-Digest"


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    digests: int = 0  # digest files passed over by their place in a trail tree
    ignored: int = 0  # files in directories whose names are not CloudTrail's
    missing: list[tuple[Path, str]] = field(default_factory=list)


def is_event_file_name(name: str) -> bool:
    lowered = name.lower().removesuffix(".gz")
    return lowered.endswith(READ_SUFFIXES)


def nothing_to_read(found: Discovery) -> str:
    """Why a named directory gave no file to read, and what would: the one line that says
    so names what was looked for and what was there instead."""
    looked_for = "no *.json, *.jsonl or *.ndjson files here (gzipped or not)"
    if found.ignored:
        return f"{looked_for}; {counted(found.ignored, 'other file')}: name one to read it"
    if found.digests:
        return f"{looked_for}; only {counted(found.digests, 'digest')}"
    return looked_for


def discover(paths: list[Path]) -> Discovery:
    """Expand the named paths into the files to read, in a stable order."""
    found = Discovery()
    seen: set[str] = set()

    def add(path: Path, key: str) -> None:
        if key not in seen:
            seen.add(key)
            found.files.append(path)

    for path in paths:
        if path.is_dir():
            for root, folders, names in os.walk(path, onerror=_raise_walk_error(found, path)):
                folders.sort()
                in_digest_tree = DIGEST_FOLDER in Path(root).parts
                # The same file named twice (`load trail trail/2026`) is read once. Its
                # directory is resolved once, not each file (a resolve is a dozen lstats:
                # 0.15 s for a thousand files); a file that is itself a symlink is then
                # known by its link, and its records by their eventIDs.
                real_root = os.path.realpath(root)
                for name in sorted(names):
                    if not is_event_file_name(name):
                        found.ignored += 1
                    elif in_digest_tree:
                        found.digests += 1
                    else:
                        add(Path(root) / name, os.path.join(real_root, name))
        elif path.exists() or path.is_symlink():
            add(path, str(path.resolve()))
        else:
            found.missing.append((path, "no such file or directory"))
    return found


def _raise_walk_error(found: Discovery, top: Path) -> Callable[[OSError], None]:
    def record(error: OSError) -> None:
        where = Path(error.filename) if error.filename else top
        found.missing.append((where, f"cannot read directory: {error.strerror or error}"))

    return record
