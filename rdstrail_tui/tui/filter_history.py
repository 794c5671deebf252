"""The filter history, kept across runs in the user data directory.

Filters can name people, addresses and resources, so the file is owner-only like the cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

HISTORY_ENV = "RDSTRAIL_HISTORY"
MAX_ENTRIES = 200


def default_history_path() -> Path:
    override = os.environ.get(HISTORY_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir("rdstrail")) / "filter-history"


class FilterHistory:
    """Newest last. Walking it never fails the app: an unreadable file is an empty history."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_history_path()
        self.entries: list[str] = self._read()

    def _read(self) -> list[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return []
        return [line for line in text.splitlines() if line.strip()][-MAX_ENTRIES:]

    def add(self, text: str) -> None:
        """Remember a filter (moved to the newest place if it was there already) and save."""
        text = " ".join(text.split())  # one line, whatever was typed or pasted
        if not text:
            return
        if text in self.entries:
            self.entries.remove(text)
        self.entries.append(text)
        del self.entries[:-MAX_ENTRIES]
        self._write()

    def _write(self) -> None:
        try:
            if not self.path.parent.exists():
                self.path.parent.mkdir(mode=0o700, parents=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write("\n".join(self.entries) + "\n")
        except OSError:
            pass  # a history that cannot be saved must not break filtering
