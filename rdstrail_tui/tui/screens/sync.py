"""Asks what to sync from AWS: LookupEvents, an S3 trail, an Athena table, a CloudTrail Lake
event data store or a saved source, with regions, profile and time window (and for Athena
and Lake the filter they run and where Athena writes its results). Returns a SyncRequest;
the main screen runs it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import ClassVar, Optional

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.timespec import parse_when
from rdstrail_tui.sources.config import SavedSource
from rdstrail_tui.sources.request import SyncRequest
from rdstrail_tui.tui.widgets.in_order_input import InOrderInput
from rdstrail_tui.tui.widgets.key_bar import KeyBar

FIELDS = (
    ("url", "Where", "s3://bucket/AWSLogs, db.table (Athena) or store ARN (Lake)"),
    ("filter", "Filter", "Athena, Lake: run there, only matches come back"),
    ("output", "Results", "Athena: s3://bucket/prefix/ (empty: the workgroup's)"),
    ("regions", "Regions", "us-east-1, eu-west-1 (empty: the profile's region)"),
    ("accounts", "Accounts", "111122223333 (not LookupEvents; empty: every account)"),
    ("profile", "Profile", "AWS profile (empty: AWS_PROFILE or the default chain)"),
    ("since", "Since", "2026-11-01, 7d ... (empty: since the last sync)"),
    ("until", "Until", "empty: now"),
    ("endpoint", "Endpoint", "empty: AWS itself"),
)


# The radio buttons before the saved sources, by index.
_KINDS = {0: "lookup", 1: "s3", 2: "athena", 3: "lake"}


def _size(text: str) -> int:
    # Lazy: the Athena runner (and boto3) are loaded only for a sync that runs.
    from rdstrail_tui.sources.athena.queries import parse_size

    return parse_size(text)


def _words(text: str) -> tuple[str, ...]:
    return tuple(word for word in text.replace(",", " ").split() if word)


# Optional, not "| None": a base class is evaluated at run time, and Python 3.9 has no
# "|" between types.
class SyncScreen(ModalScreen[Optional[SyncRequest]]):
    """Its text fields take every printable key (q too); Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "start", "Start sync"),
        # Priority: the key after an Escape in the same burst goes to the screen below.
        Binding("escape", "dismiss_none", "Cancel", key_display="Esc", priority=True),
    ]
    DEFAULT_CSS = """
    SyncScreen { align: center middle; }
    SyncScreen > Vertical {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        padding: 0 1; border: round $accent; background: $surface;
    }
    SyncScreen Horizontal { height: 1; }
    SyncScreen Label { width: 10; }
    SyncScreen Input { border: none; height: 1; width: 1fr; padding: 0 1; background: $boost; }
    SyncScreen RadioSet { border: none; height: auto; }
    SyncScreen #sync-error { color: $error; height: auto; }
    """

    def __init__(self, saved: dict[str, SavedSource]) -> None:
        super().__init__()
        self.saved = saved

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                "Sync events from AWS into the cache. Tab moves between fields;\n"
                "Enter or ctrl+s starts, Escape cancels.",
                markup=False,
            )
            with RadioSet(id="kind"):
                yield RadioButton("LookupEvents (Event history, 90 days)", value=True)
                yield RadioButton("S3 trail")
                yield RadioButton("Athena table over the trail (filter pushed down)")
                yield RadioButton("CloudTrail Lake event data store")
                for name, source in sorted(self.saved.items()):
                    # Labels are plain text: names and URLs come from a file on disk.
                    label = f"saved: {name} ({source.kind} {source.url})".replace(" )", ")")
                    yield RadioButton(Text(printable(label)), name=name)
            for key, label, hint in FIELDS:
                with Horizontal():
                    yield Label(label)
                    yield InOrderInput(placeholder=hint, id=f"sync-{key}")
            yield Static("", id="sync-error", markup=False)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(RadioSet).focus()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_start()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def _value(self, key: str) -> str:
        return self.query_one(f"#sync-{key}", Input).value.strip()

    def action_start(self) -> None:
        try:
            request = self.request()
        except ValueError as error:
            self.query_one("#sync-error", Static).update(printable(str(error)))
            return
        self.dismiss(request)

    def request(self) -> SyncRequest:
        """The form as a SyncRequest; ValueError with a message when it cannot be one."""
        now = datetime.now(timezone.utc)
        pressed = self.query_one(RadioSet).pressed_button
        saved = self.saved.get(pressed.name or "") if pressed is not None else None
        index = self.query_one(RadioSet).pressed_index
        kind = saved.kind if saved else _KINDS.get(index, "lookup")

        def when(key: str, fallback: str | None = None) -> datetime | None:
            text = self._value(key) or fallback
            return parse_when(text, now) if text else None

        url = self._value("url") or (saved.url if saved else "")
        if kind == "s3" and not url.startswith("s3://"):
            raise ValueError("Where: give the trail's location as s3://bucket[/prefix]")
        if kind == "athena" and "." not in url:
            raise ValueError("Where: name the Athena table as database.table")
        if kind == "lake" and not url:
            raise ValueError("Where: give the event data store's ARN or ID")
        typed_filter = self._value("filter")
        if typed_filter and kind not in ("athena", "lake"):
            raise ValueError("Filter: only Athena and Lake run a filter where the trail is")
        saved_filter = saved.filter if saved else ""
        return SyncRequest(
            kind=kind,
            url=url if kind != "lookup" else "",
            filter_text=" ".join(part for part in (saved_filter, typed_filter) if part),
            workgroup=saved.workgroup if saved else None,
            output_location=self._value("output") or (saved.output_location if saved else None),
            s3_endpoint_url=saved.s3_endpoint_url if saved else None,
            max_scan=_size(saved.max_scan) if saved and saved.max_scan else None,
            regions=_words(self._value("regions")) or tuple(saved.regions if saved else ()),
            accounts=_words(self._value("accounts")) or tuple(saved.accounts if saved else ()),
            since=when("since", saved.since if saved else None),
            until=when("until"),
            profile=self._value("profile") or (saved.profile if saved else None),
            endpoint_url=self._value("endpoint") or (saved.endpoint_url if saved else None),
        )
