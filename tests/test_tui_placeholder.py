"""The explorer's placeholder screen: it opens on a cache, says what it holds, and quits."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from rdstrail_tui.cache import Cache
from rdstrail_tui.tui.app import RdstrailApp


async def test_placeholder_shows_the_cache_and_quits_on_q(
    tmp_path: Path, shared_records: Path
) -> None:
    from rdstrail_tui.ingest import Scope, load_paths

    path = tmp_path / "events.db"
    with Cache.open(path) as cache:
        load_paths(cache, [shared_records], Scope())
    app = RdstrailApp(path)
    async with app.run_test(size=(80, 24)) as pilot:
        text = str(app.query_one("#summary", Static).render())
        assert "72 events in" in text
        assert "rdstrail query" in text
        await pilot.press("q")
    assert app.return_code == 0
