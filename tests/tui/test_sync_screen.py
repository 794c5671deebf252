"""The explorer's sync form: what it asks, and the request it hands to the main screen."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Input, RadioSet, Static

from rdstrail_tui.sources.config import SavedSource
from rdstrail_tui.sources.request import SyncRequest
from rdstrail_tui.tui.screens.sync import SyncScreen


class FormApp(App[None]):
    def __init__(self, saved: dict[str, SavedSource]) -> None:
        super().__init__()
        self.saved = saved
        self.result: list[SyncRequest | None] = []

    def on_mount(self) -> None:
        self.push_screen(SyncScreen(self.saved), self.result.append)


async def fill(app: FormApp, **values: str) -> None:
    for key, value in values.items():
        app.screen.query_one(f"#sync-{key}", Input).value = value


async def test_lookup_is_the_default_and_regions_split_on_commas_and_spaces() -> None:
    app = FormApp({})
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(app, regions="us-east-1, eu-west-1", profile="prod")
        await pilot.press("ctrl+s")
        assert app.result == [
            SyncRequest(kind="lookup", regions=("us-east-1", "eu-west-1"), profile="prod")
        ]


async def test_s3_needs_an_s3_url_and_says_so_inline() -> None:
    app = FormApp({})
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one(RadioSet).action_next_button()
        await pilot.press("enter")  # select "S3 trail"
        await fill(app, url="bucket/AWSLogs")
        await pilot.press("ctrl+s")
        assert app.result == []  # still open
        assert "s3://" in str(app.screen.query_one("#sync-error", Static).render())
        await fill(app, url="s3://bucket/AWSLogs", since="2026-11-01", accounts="1111 2222")
        await pilot.press("ctrl+s")
        (request,) = app.result
        assert request is not None and request.kind == "s3"
        assert request.url == "s3://bucket/AWSLogs"
        assert request.accounts == ("1111", "2222")
        assert request.since is not None and request.since.day == 1


async def test_a_saved_source_fills_what_the_form_leaves_empty() -> None:
    saved = {
        "prod": SavedSource(
            name="prod", kind="s3", url="s3://org/AWSLogs", profile="ro", regions=["us-east-1"]
        )
    }
    app = FormApp(saved)
    async with app.run_test(size=(80, 24)) as pilot:
        radio = app.screen.query_one(RadioSet)
        radio.focus()
        await pilot.press("down", "down", "down", "down", "enter")  # the fifth: saved: prod
        await pilot.press("ctrl+s")
        (request,) = app.result
        assert request == SyncRequest(
            kind="s3", url="s3://org/AWSLogs", regions=("us-east-1",), profile="ro"
        )


async def test_athena_takes_a_table_a_filter_and_a_results_location() -> None:
    app = FormApp({})
    async with app.run_test(size=(80, 24)) as pilot:
        radio = app.screen.query_one(RadioSet)
        radio.focus()
        await pilot.press("down", "down", "enter")  # the third button: Athena
        await fill(app, url="trail", filter='res:=orders-prod "-is:read"')
        await pilot.press("ctrl+s")
        assert app.result == []  # no database.table yet
        assert "database.table" in str(app.screen.query_one("#sync-error", Static).render())
        await fill(app, url="trail.logs", output="s3://results/q/", accounts="1111")
        await pilot.press("ctrl+s")
        (request,) = app.result
        assert request is not None and request.kind == "athena"
        assert request.url == "trail.logs" and request.accounts == ("1111",)
        assert request.filter_text == 'res:=orders-prod "-is:read"'
        assert request.output_location == "s3://results/q/"


async def test_a_filter_is_refused_where_it_cannot_run() -> None:
    app = FormApp({})
    async with app.run_test(size=(80, 24)) as pilot:
        await fill(app, filter="modify")
        await pilot.press("ctrl+s")  # LookupEvents
        assert app.result == []
        assert "only Athena and Lake" in str(app.screen.query_one("#sync-error", Static).render())


async def test_a_saved_athena_source_brings_its_filter_and_settings() -> None:
    saved = {
        "org": SavedSource(
            name="org",
            kind="athena",
            url="trail.logs",
            accounts=["111122223333"],
            workgroup="rdstrail",
            max_scan="50GB",
            filter="-is:read",
        )
    }
    app = FormApp(saved)
    async with app.run_test(size=(80, 24)) as pilot:
        radio = app.screen.query_one(RadioSet)
        radio.focus()
        await pilot.press("down", "down", "down", "down", "enter")  # saved: org
        await fill(app, filter="res:=orders-prod")
        await pilot.press("ctrl+s")
        (request,) = app.result
        assert request is not None and request.kind == "athena"
        assert request.filter_text == "-is:read res:=orders-prod"
        assert request.workgroup == "rdstrail" and request.max_scan == 50 * 10**9
        assert request.accounts == ("111122223333",)


async def test_escape_cancels() -> None:
    app = FormApp({})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        assert app.result == [None]


def test_an_athena_syncs_progress_says_the_querys_stage_and_cost() -> None:
    from rdstrail_tui.sources.sync import SyncSummary
    from rdstrail_tui.tui.jobs import SyncJob
    from rdstrail_tui.tui.messages import SyncProgressed

    job = SyncJob(SyncRequest(kind="athena", url="trail.logs", filter_text="modify"))
    summary = SyncSummary(source="athena:trail.logs", queries=1, bytes_scanned=2_500_000_000)
    summary.stage = "query RUNNING"
    text = job.progress(SyncProgressed(summary), cancelling=False).text
    assert text == (
        "Syncing athena:trail.logs: query RUNNING · scanned 2.5 GB ($0.01) so far,"
        " 0 new events  (x: cancel)"
    )
    cancelling = job.progress(SyncProgressed(summary), cancelling=True).text
    assert cancelling.startswith("Cancelling the query ...")
