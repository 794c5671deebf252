"""`rdstrail sync`: what it refuses before touching AWS, and how saved sources resolve."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from rdstrail_tui.cli.parser import build_parser
from rdstrail_tui.cli.sync import request_from_args
from rdstrail_tui.sources.request import SyncRequest

Run = Any


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sync", "s3"], "give the trail's location"),
        (["sync", "lookup", "s3://bucket"], "takes no URL"),
        (["sync", "lookup", "--account", "1111"], "S3 trails only"),
        (["sync", "nosuch"], "not lookup, s3 or a saved source"),
        (["sync", "lookup", "--since", "yesterdayish"], "bad time"),
    ],
)
def test_sync_usage_errors_exit_2_before_any_request(
    run_cli: Run, args: list[str], words: str
) -> None:
    result = run_cli(*args)
    assert result.code == 2
    assert words in result.err
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1


def saved_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[sources.prod]\ns3 = "s3://org-trail/AWSLogs/o-abc"\nprofile = "ro"\n'
        'regions = ["us-east-1"]\naccounts = ["111122223333"]\nsince = "2026-11-01"\n'
    )
    monkeypatch.setenv("RDSTRAIL_CONFIG", str(config))


def parse(*args: str) -> argparse.Namespace:
    return build_parser().parse_args(["sync", *args])


def test_a_saved_source_becomes_its_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_config(tmp_path, monkeypatch)
    request = request_from_args(parse("prod"))
    assert request.kind == "s3"
    assert request.url == "s3://org-trail/AWSLogs/o-abc"
    assert request.profile == "ro"
    assert request.regions == ("us-east-1",)
    assert request.accounts == ("111122223333",)
    assert request.since is not None and request.since.date().isoformat() == "2026-11-01"


def test_command_line_options_override_a_saved_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved_config(tmp_path, monkeypatch)
    request = request_from_args(parse("prod", "--region", "eu-west-1", "--profile", "admin"))
    assert request.regions == ("eu-west-1",)
    assert request.profile == "admin"


def test_lookup_request_from_the_command_line() -> None:
    request = request_from_args(
        parse(
            "lookup",
            "--region",
            "us-east-1",
            "--region",
            "eu-west-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        )
    )
    assert request == SyncRequest(
        kind="lookup", regions=("us-east-1", "eu-west-1"), endpoint_url="http://127.0.0.1:9"
    )


def test_a_broken_config_is_one_line_and_exit_1(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[sources.prod\n")
    monkeypatch.setenv("RDSTRAIL_CONFIG", str(config))
    result = run_cli("sync", "prod")
    assert result.code == 1
    assert str(config) in result.err and "not valid TOML" in result.err
