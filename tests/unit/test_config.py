"""Saved sources: read from TOML, validated with messages that name the file and entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from rdstrail_tui.sources.config import (
    ConfigError,
    ExplorerSettings,
    SavedSource,
    load_explorer_settings,
    load_sources,
)

GOOD = """
[sources.prod]
s3 = "s3://org-trail/AWSLogs/o-abc123"
profile = "prod-readonly"
regions = ["us-east-1", "eu-west-1"]
accounts = ["111122223333"]

[sources.history]
lookup = true
regions = ["us-east-1"]
since = "30d"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_saved_sources_are_read(tmp_path: Path) -> None:
    sources = load_sources(write(tmp_path, GOOD))
    assert sources["prod"] == SavedSource(
        name="prod",
        kind="s3",
        url="s3://org-trail/AWSLogs/o-abc123",
        profile="prod-readonly",
        regions=["us-east-1", "eu-west-1"],
        accounts=["111122223333"],
    )
    assert sources["history"].kind == "lookup"
    assert sources["history"].since == "30d"


def test_no_config_file_means_no_saved_sources(tmp_path: Path) -> None:
    assert load_sources(tmp_path / "missing.toml") == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[sources.x\n", "not valid TOML"),
        ('[sources.x]\nprofile = "p"\n', "exactly one of"),
        ('[sources.x]\ns3 = "s3://b"\nlookup = true\n', "exactly one of"),
        ('[sources.x]\ns3 = "https://b"\n', "s3:// URL"),
        ('[sources.x]\nlookup = true\nregion = "us-east-1"\n', "unknown keys region"),
        ('[sources.x]\nlookup = true\nregions = "us-east-1"\n', "regions must be a list"),
        ('[sources.x]\nlookup = true\naccounts = ["1"]\n', "Lake sources only"),
        (
            '[sources.x]\ns3 = "s3://b"\naws_secret_access_key = "abc"\n',
            "credentials do not belong",
        ),
    ],
)
def test_bad_entries_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_sources(path)
    message = str(raised.value)
    assert str(path) in message
    assert words in message
    assert "\n" not in message


# -- the explorer's settings ---------------------------------------------------------------


def test_explorer_settings(tmp_path: Path) -> None:
    assert load_explorer_settings(tmp_path / "missing.toml") == ExplorerSettings(mouse=False)
    assert load_explorer_settings(write(tmp_path, GOOD)).mouse is False
    on = write(tmp_path, GOOD + "\n[explorer]\nmouse = true\n")
    assert load_explorer_settings(on) == ExplorerSettings(mouse=True)
    assert set(load_sources(on)) == {"prod", "history"}  # the sources read as before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[explorer]\nmouse = "on"\n', "[explorer]: mouse must be true or false"),
        ("[explorer]\nmose = true\n", "[explorer]: unknown keys mose (known: mouse)"),
        ("explorer = 1\n", "[explorer] must be a table"),
    ],
)
def test_bad_explorer_settings_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_explorer_settings(path)
    assert str(raised.value) == f"{path}: {words}"
