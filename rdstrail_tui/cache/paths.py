"""Where the cache lives, and keeping it owner-only: it holds who did what, from where."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "rdstrail"
CACHE_ENV = "RDSTRAIL_CACHE"


def default_cache_path() -> Path:
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "events.db"


def demo_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME)) / "demo.db"


def create_private_file(path: Path) -> None:
    """Create the cache directory and file owner-only."""
    parent = path.parent
    if not parent.exists():
        parent.mkdir(mode=0o700, parents=True)
        parent.chmod(0o700)  # mkdir's mode is filtered by the umask
    if not path.exists():
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(descriptor)


def tighten(path: Path) -> None:
    """An existing cache (or its WAL) readable by others is narrowed to its owner."""
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077 and candidate.stat().st_uid == os.getuid():
                candidate.chmod(mode & 0o700)
        except OSError:
            continue
