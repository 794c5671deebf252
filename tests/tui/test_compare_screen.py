"""The compare screen under Pilot, at 80x24: two events side by side, the rows of the same
value hidden until `s`, scrolling with the keyboard, hostile text shown escaped, Escape and
`q` closing it; and two points of a configuration."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Static

from rdstrail_tui.model.configuration import Step, configuration_over_time
from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.model.rds_api import rds_model
from rdstrail_tui.tui.screens.compare import (
    CompareScreen,
    ComparisonScreen,
    ConfigurationCompareScreen,
)
from tests.conftest import make_record

SIZE = (80, 24)
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class Host(App[None]):
    """Stands for the explorer: a list below the screen that the screen goes back to."""

    def compose(self) -> ComposeResult:
        yield Static("the list", id="below")


def event(record: dict[str, Any]) -> Event:
    return event_from_record(record, json.dumps(record).encode())


def instance(klass: str, **pending: Any) -> dict[str, Any]:
    fields = {f"setting{n}": n for n in range(30)}  # enough same rows to scroll through
    return {
        "dBInstanceIdentifier": "orders-prod",
        "dBInstanceClass": klass,
        **fields,
        "pendingModifiedValues": pending,
    }


def two_modifies(evil: str = "") -> tuple[Event, Event]:
    first = make_record(
        eventTime="2024-03-04T09:00:00Z",
        requestParameters={
            "dBInstanceIdentifier": "orders-prod",
            "dBInstanceClass": "db.r6g.xlarge",
        },
        responseElements=instance("db.r6g.large", dBInstanceClass="db.r6g.xlarge"),
    )
    second = make_record(
        eventTime="2024-03-05T09:00:00Z",
        requestParameters={"dBInstanceIdentifier": "orders-prod", "allocatedStorage": 200},
        responseElements={**instance("db.r6g.xlarge"), **({evil: evil} if evil else {})},
    )
    return event(first), event(second)


async def until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until `condition` holds (a layout, a scroll), or fail."""
    for _ in range(200):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the screen never got there")


async def laid_out(app: App[None], pilot: Pilot[None], screen: ComparisonScreen) -> list[str]:
    """The screen's lines once it has been laid out for its width."""
    await until(pilot, lambda: app.screen is screen and bool(screen.lines))
    return screen.lines


def starting(lines: list[str], prefix: str) -> list[str]:
    return [line for line in lines if line.startswith(prefix)]


async def test_two_events_side_by_side_the_same_rows_on_s_and_escape_closes() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = CompareScreen(*two_modifies())
        app.push_screen(screen)
        lines = await laid_out(app, pilot, screen)
        assert all(len(line) <= SIZE[0] for line in lines)
        assert lines[0].split() == ["LEFT", "|", "RIGHT"]
        assert starting(lines, "<  dBInstanceClass")  # asked on the left only
        assert starting(lines, ">  allocatedStorage")
        klass = starting(starting(lines, "~  dBInstanceClass"), "~  dBInstanceClass")[0]
        assert '"db.r6g.large"' in klass and '"db.r6g.xlarge"' in klass
        assert starting(lines, "<  pendingModifiedValues.dBInstanceClass")
        assert not starting(lines, "=  ")
        assert any("same (hidden: s shows them)" in line for line in lines)

        await pilot.press("s")
        shown = screen.lines
        assert screen.show_same
        assert starting(shown, "=  setting29")
        assert not any("hidden" in line for line in shown)

        # The rows go past the screen: the keyboard scrolls them.
        scroll = screen.query_one(VerticalScroll)
        assert scroll.has_focus and scroll.max_scroll_y > 0
        await pilot.press("pagedown")
        await until(pilot, lambda: scroll.scroll_y > 0)
        await pilot.press("end")
        await until(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)

        await pilot.press("s")
        assert not screen.show_same and not starting(screen.lines, "=  ")

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ComparisonScreen))
        assert app.query_one("#below", Static).display


async def test_q_closes_and_hostile_text_is_shown_escaped() -> None:
    app = Host()
    evil = "[bold red]x[/]\x1b]52;c;aGk=\x07"
    async with app.run_test(size=SIZE) as pilot:
        screen = CompareScreen(*two_modifies(evil))
        app.push_screen(screen)
        text = "\n".join(await laid_out(app, pilot, screen))
        assert not RAW_CONTROL.search(text.replace("\n", ""))
        # Shown as written, escaped: no markup read into it (the brackets stay).
        assert "[bold red]x[/]\\x1b]52;c;aGk=\\x07" in text
        await pilot.press("q")
        await until(pilot, lambda: not isinstance(app.screen, ComparisonScreen))


async def test_two_points_of_a_configuration() -> None:
    steps = [
        Step("e1", 1_700_000_000, "CreateDBInstance", "carol", False, instance("db.t4g.medium")),
        Step(
            "e2",
            1_700_003_600,
            "ModifyDBInstance",
            "alice",
            False,
            instance("db.t4g.medium", dBInstanceClass="db.t4g.large"),
        ),
        Step("e3", 1_700_007_200, "ModifyDBInstance", "bob", False, instance("db.t4g.large")),
    ]
    _, pended, applied = configuration_over_time(steps, "DBInstance", rds_model())
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        screen = ConfigurationCompareScreen(
            pended,
            applied,
            left_title="after ModifyDBInstance by alice",
            right_title="after ModifyDBInstance by bob",
            shape="DBInstance",
        )
        app.push_screen(screen)
        lines = await laid_out(app, pilot, screen)
        assert any("after ModifyDBInstance by alice" in line for line in lines)
        assert starting(lines, "Configuration")
        assert starting(lines, "~  dBInstanceClass")
        assert starting(lines, "Pending values")
        assert starting(lines, "<  dBInstanceClass")  # pending at e2, applied by e3
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ComparisonScreen))
