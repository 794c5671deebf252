"""The demo's own cache, built from the shipped trail. Used by `rdstrail --demo` and by the
explorer's "open the demo"; the user's cache is never touched."""

from __future__ import annotations

from pathlib import Path

from rdstrail_tui import __version__
from rdstrail_tui.cache.paths import demo_cache_path
from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import SHIPPED_DEMO_EVENTS, SHIPPED_DEMO_SEED, shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.load import load_paths


def ensure_demo_cache() -> Path:
    """The demo's own cache, (re)built from the shipped trail when this version's demo is
    not what it holds."""
    path = demo_cache_path()
    stamp = f"{__version__}:{SHIPPED_DEMO_SEED}:{SHIPPED_DEMO_EVENTS}:{_trail_digest()}"
    with Cache.open(path) as cache:
        if cache.get_cursor("demo", "stamp") != stamp:
            cache.clear()
            load_paths(cache, [shipped_trail_path()], Scope())
            cache.set_cursor("demo", "stamp", stamp)
    return path


def _trail_digest() -> str:
    """What the shipped trail holds, by its files' names and sizes: a story extended
    within one version (same seed, same count) is still a new demo, and the check costs a
    directory walk, not a read of the files."""
    import hashlib  # lazy: only the demo needs it, and every command imports this module

    trail = shipped_trail_path()
    digest = hashlib.sha256()
    for file in sorted(trail.rglob("*.json.gz")):
        digest.update(f"{file.relative_to(trail)}\0{file.stat().st_size}\n".encode())
    return digest.hexdigest()[:16]
