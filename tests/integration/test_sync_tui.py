"""The explorer's sync screen runs a real sync (botocore against the local CloudTrail
endpoint, or a real SeaweedFS S3 server) and the list grows while it runs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import Input, RadioSet, Static

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.demo import shipped_trail_path
from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.load import load_paths
from rdstrail_tui.tui import screens
from rdstrail_tui.tui.app import RdstrailApp
from rdstrail_tui.tui.filter_history import FilterHistory
from rdstrail_tui.tui.messages import SyncProgressed
from rdstrail_tui.tui.screens.main import MainScreen
from rdstrail_tui.tui.screens.sync import SyncScreen
from tests.support.explorer import wait_until
from tests.support.lookup_server import LookupServer, make_records, set_aws_env
from tests.support.seaweed import SeaweedServer
from tests.support.seaweed import seaweed_fixture as seaweed_fixture  # the `seaweed` fixture

SHARED = Path(__file__).parents[1] / "data" / "rds-events"


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    set_aws_env(monkeypatch, tmp_path / "aws")


async def test_sync_from_the_explorer_grows_the_list(
    cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Take in new events at every progress report, so growth is visible page by page.
    monkeypatch.setattr(screens.main, "GROW_INTERVAL", 0.0)
    with Cache.open(cache_path) as cache:
        load_paths(cache, [SHARED], Scope())
    records = make_records(150, newest=time.time() - 300, spacing=600, tag="tui")
    totals: list[int] = []

    with LookupServer(records) as server:
        app = RdstrailApp(cache_path, history=FilterHistory(tmp_path / "history"))

        panel_shown: list[bool] = []

        seen: dict[int, object] = {}  # kept alive, so no id is reused

        def watch(message: object) -> None:
            # The hook runs at each dispatch: at the screen, then again at the app when the
            # report bubbles up, which may come after the job's end. Only the first counts.
            if id(message) in seen:
                return
            seen[id(message)] = message
            if isinstance(message, SyncProgressed) and isinstance(app.screen, MainScreen):
                totals.append(app.screen.total)
                panel_shown.append(app.screen.query_one("#load-panel").display)

        async with app.run_test(size=(100, 30), message_hook=watch) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, MainScreen)
            assert screen.total == 72
            await pilot.press("S")
            form = app.screen
            assert isinstance(form, SyncScreen)
            form.query_one("#sync-regions", Input).value = "us-east-1"
            form.query_one("#sync-endpoint", Input).value = server.url
            await pilot.press("ctrl+s")
            # The form closes at once; the job starts when its answer has been handled,
            # which on a loaded machine may be a turn of the loop after the key's own.
            await wait_until(pilot, lambda: app.screen is screen and bool(totals), what="a report")
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(screen.query_one("#status", Static).render())
            assert "222 of 222 events" in status
            assert not screen.query_one("#load-panel").display
            assert panel_shown and all(panel_shown)  # the progress panel showed while it ran
    # Growth while it ran: some progress report saw a count between the start and the end.
    assert any(72 < total < 222 for total in totals), totals


async def test_an_s3_sync_from_the_explorer_fills_the_list(
    cache_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seaweed: SeaweedServer
) -> None:
    """S3 picked in the form, a bucket holding the demo trail: the list ends with every
    event a load of the same files gives, counted in the status line."""
    for name, value in seaweed.env().items():
        monkeypatch.setenv(name, value)
    seaweed.create_bucket("trail-explorer")
    seaweed.upload_tree("trail-explorer", shipped_trail_path())
    with Cache.open(cache_path) as cache:
        load_paths(cache, [SHARED], Scope())
    with Cache.open(tmp_path / "expected.db") as expected:
        load_paths(expected, [SHARED, shipped_trail_path()], Scope())
        total = expected.count()

    app = RdstrailApp(cache_path, history=FilterHistory(tmp_path / "history"))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("S")
        form = app.screen
        assert isinstance(form, SyncScreen)
        form.query_one(RadioSet).action_next_button()
        await pilot.press("enter")  # "S3 trail"
        form.query_one("#sync-url", Input).value = "s3://trail-explorer/"
        form.query_one("#sync-since", Input).value = "2018-01-01"
        form.query_one("#sync-endpoint", Input).value = seaweed.endpoint_url
        await pilot.press("ctrl+s")
        assert app.screen is screen
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.query_one("#status", Static).render())
        assert f"{total:,} of {total:,} events" in status
        assert total > 300
