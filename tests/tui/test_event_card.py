"""The event card on its own, through Pilot: its text at 80 columns, its height, its styles,
refitting on resize, and hostile text shown as text."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from rdstrail_tui.model import rds_api
from rdstrail_tui.model.event import Event, event_from_record
from rdstrail_tui.tui.widgets.event_card import EventCard
from tests.conftest import make_record

SIZE = (80, 24)
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_abc123"


def jane_record(**fields: Any) -> dict[str, Any]:
    identity = {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEJANE:jane@example.com",
        "arn": f"arn:aws:sts::111122223333:assumed-role/{SSO_ROLE}/jane@example.com",
        "accountId": "111122223333",
    }
    base = {
        "userIdentity": identity,
        "eventTime": "2026-11-20T18:04:00Z",
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.88",
        "userAgent": "AWS Internal",
        "sessionCredentialFromConsole": "true",
        "requestParameters": {"dBInstanceIdentifier": "payments-aurora-instance-2"},
    }
    base.update(fields)
    return make_record(**base)


def event_of(record: dict[str, Any]) -> Event:
    return event_from_record(record, json.dumps(record).encode())


class CardApp(App[None]):
    def compose(self) -> ComposeResult:
        yield EventCard()
        yield Static("below the card", id="below")


def screen_lines(card: EventCard) -> list[str]:
    return [card.render_line(y).text.rstrip() for y in range(card.size.height)]


async def test_the_card_at_80_columns() -> None:
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        record = jane_record()
        card.show(event_of(record), record)
        await pilot.pause()
        expected = [
            "2026-11-20 18:04:00 UTC  ModifyDBInstance  OK",
            "what      write: Modifies settings for a DB instance.",
            "resource  payments-aurora-instance-2",
            "who       AssumedRole AdministratorAccess (SSO) / jane@example.com, via console",
            "from      198.51.100.88  console",
            "where     eu-west-1  account 111122223333",
        ]
        assert screen_lines(card) == expected
        assert card.lines == expected
        # As tall as its lines: what follows starts right below.
        assert card.size.height == 6
        assert app.query_one("#below").region.y == 6


async def test_no_event_no_card() -> None:
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        await pilot.pause()
        assert not card.display and app.query_one("#below").region.y == 0
        record = jane_record()
        card.show(event_of(record), record)
        await pilot.pause()
        assert card.display and app.query_one("#below").region.y == 6
        card.show(None, None)
        await pilot.pause()
        assert not card.display and card.lines == []
        assert app.query_one("#below").region.y == 0


async def test_a_failure_is_bold_and_says_so() -> None:
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        record = jane_record(errorCode="InvalidParameterCombination", errorMessage="both set")
        card.show(event_of(record), record)
        await pilot.pause()
        first = card.render_line(0)
        styles = {segment.text: segment.style for segment in first}
        failed = styles["FAILED InvalidParameterCombination"]
        assert failed is not None and failed.bold
        assert screen_lines(card)[1] == "error     both set"
        assert card.size.height == 7

        ok = jane_record()
        card.show(event_of(ok), ok)
        await pilot.pause()
        styles = {segment.text: segment.style for segment in card.render_line(0)}
        assert styles["OK"] is not None and styles["OK"].bold


async def test_the_card_refits_when_the_terminal_narrows() -> None:
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        record = jane_record()
        card.show(event_of(record), record)
        await pilot.pause()
        await pilot.resize_terminal(50, 24)
        await pilot.pause()
        lines = screen_lines(card)
        assert all(len(line) <= 50 for line in lines)
        assert lines[3] == "who       …(SSO) / jane@example.com, via console"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen_lines(card)[3].endswith(
            "AdministratorAccess (SSO) / jane@example.com, via console"
        )


async def test_hostile_text_is_text_not_markup_or_escapes() -> None:
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        record = make_record(
            errorCode="[bold red]x[/]",
            errorMessage="\x1b[2J\x1b]52;c;aGVsbG8=\x07[link=http://x]y[/link]",
            userAgent="\u202eevil",
        )
        card.show(event_of(record), record)
        await pilot.pause()
        text = "\n".join(screen_lines(card))
        assert "FAILED [bold red]x[/]" in text
        assert "\\x1b[2J\\x1b]52;c;aGVsbG8=\\x07[link=http://x]y[/link]" in text
        assert "\x1b" not in text and "\u202e" not in text


async def test_the_first_card_never_waits_for_the_rds_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reading botocore's model takes tens of milliseconds: the card shows at once with
    `write` alone, and gains the operation's description when the model is in, at the same
    height (no layout jump)."""
    released = threading.Event()
    real_read = rds_api._read

    def slow_read() -> rds_api.RdsModel | None:
        released.wait(10)
        return real_read()

    monkeypatch.setattr(rds_api, "_loaded", [])
    monkeypatch.setattr(rds_api, "_read", slow_read)
    app = CardApp()
    async with app.run_test(size=SIZE) as pilot:
        card = app.query_one(EventCard)
        record = jane_record(eventName="ModifyDBInstance")
        card.show(event_of(record), record)
        await pilot.pause()
        what = [line for line in card.lines if line.startswith("what")]
        assert what == ["what      write"], card.lines
        height = card.size.height
        released.set()
        deadline = time.monotonic() + 10
        while "Modifies settings" not in " ".join(card.lines):
            assert time.monotonic() < deadline, card.lines
            await pilot.pause(0.02)
        assert card.size.height == height
        assert "what      write: Modifies settings for a DB instance." in card.lines
