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
        (["sync", "s3"], "name the trail: rdstrail sync s3 s3://BUCKET[/PREFIX]"),
        (["sync", "lookup", "s3://bucket"], "takes no URL"),
        (["sync", "lookup", "--account", "1111"], "Athena and Lake only"),
        (["sync", "nosuch"], "not lookup, s3, athena, lake or saved"),
        (["sync", "lookup", "--since", "yesterdayish"], "'yesterdayish' is not a time: try"),
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


# -- an unknown profile, from --profile or AWS_PROFILE ---------------------------------------

# Nothing listens here: were a request made, it would fail as "cannot reach", not as below.
NO_ENDPOINT = "http://127.0.0.1:9"


@pytest.fixture
def aws_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two configured profiles in temporary AWS files; nothing of the real user's."""
    config = tmp_path / "aws-config"
    config.write_text(
        "[default]\nregion = us-east-1\n[profile prod-readonly]\nregion = eu-west-1\n"
    )
    credentials = tmp_path / "aws-credentials"
    credentials.write_text(
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    # The first session of a process reads the profile's settings on its way (the botocore
    # data path): that is where an unknown AWS_PROFILE used to escape as a traceback.
    from rdstrail_tui.sources import aws

    monkeypatch.setattr(aws, "_LOADER", None)


@pytest.mark.usefixtures("aws_files")
@pytest.mark.parametrize(
    "sync_args",
    [
        ["lookup", "--region", "us-east-1", "--endpoint-url", NO_ENDPOINT],
        ["lookup", "--endpoint-url", NO_ENDPOINT],  # the default region asks the profile
        ["s3", "s3://org-trail/AWSLogs", "--endpoint-url", NO_ENDPOINT],
    ],
    ids=["lookup", "lookup-default-region", "s3"],
)
@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("nosuch", "see aws configure list-profiles"),
        ("prod-readonyl", "did you mean 'prod-readonly'?"),
    ],
)
def test_an_unknown_profile_is_one_line_whoever_names_it(
    run_cli: Run,
    monkeypatch: pytest.MonkeyPatch,
    cache_path: Path,
    sync_args: list[str],
    name: str,
    hint: str,
) -> None:
    by_option = run_cli("sync", *sync_args, "--profile", name)
    monkeypatch.setenv("AWS_PROFILE", name)
    by_environment = run_cli("sync", *sync_args)
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", name)
    by_old_environment = run_cli("sync", *sync_args)

    assert by_option.err_lines == [f"rdstrail: no AWS profile {name!r}: {hint}"]
    assert by_environment.err_lines == [f"rdstrail: no AWS profile {name!r} (AWS_PROFILE): {hint}"]
    assert by_old_environment.err_lines == [
        f"rdstrail: no AWS profile {name!r} (AWS_DEFAULT_PROFILE): {hint}"
    ]
    for result in (by_option, by_environment, by_old_environment):
        assert result.code == 1
        assert result.out == ""


@pytest.mark.usefixtures("aws_files")
def test_an_unknown_profile_fits_80_columns(run_cli: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    result = run_cli("sync", "lookup", "--region", "us-east-1")
    assert result.code == 1
    assert [len(line) for line in result.err_lines] == [80]


def test_no_profile_configured_at_all(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_files: None
) -> None:
    (tmp_path / "aws-config").write_text("")
    (tmp_path / "aws-credentials").write_text("")
    result = run_cli("sync", "lookup", "--region", "us-east-1", "--profile", "prod")
    assert result.code == 1
    assert result.err_lines == [
        "rdstrail: no AWS profile 'prod': none is configured (aws configure --profile prod)"
    ]


@pytest.mark.usefixtures("aws_files")
def test_a_known_profile_from_the_environment_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdstrail_tui.sources.aws import make_session

    monkeypatch.setenv("AWS_PROFILE", "prod-readonly")
    assert make_session(None).region_name == "eu-west-1"
    assert make_session("default").region_name == "us-east-1"


# -- the summary line ----------------------------------------------------------------------


def test_the_summary_line_counts_in_agreement() -> None:
    from rdstrail_tui.sources.sync import SyncSummary, summary_line

    summary = SyncSummary(source="lookup", started=0.0, finished=1.5)
    one = summary.region("us-east-1")
    one.events_new = one.events_seen = one.requests = 1
    summary.problems.append("us-east-1: a note")
    assert summary_line(summary) == (
        "synced lookup: 1 new event of 1 received, 1 request, 1 problem (1.5 s)"
    )
    two = summary.region("eu-west-1")
    two.events_new, two.events_seen, two.requests, two.throttles = 1, 3, 4, 2
    two.objects = 1
    assert summary_line(summary) == (
        "synced lookup: 2 new events of 4 received, 1 object downloaded, 5 requests, "
        "2 throttled, 1 problem (1.5 s)"
    )
