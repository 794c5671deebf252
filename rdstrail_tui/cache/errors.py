"""The one error the cache raises."""

from __future__ import annotations


class CacheError(Exception):
    """The cache cannot be used; the message says which file and what to do."""
