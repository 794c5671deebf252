"""Saved sources: a TOML file in the user config directory naming the places events come from,
so `rdstrail sync prod` and the explorer's sync screen need no long command lines.

    # ~/.config/rdstrail/config.toml
    [sources.prod]
    s3 = "s3://org-trail/AWSLogs/o-abc123"
    profile = "prod-readonly"
    regions = ["us-east-1", "eu-west-1"]
    accounts = ["111122223333"]

    [sources.history]
    lookup = true
    profile = "prod-readonly"
    regions = ["us-east-1"]

A source has either `s3 = "s3://..."` or `lookup = true`; `profile`, `regions`, `accounts`
(S3 only), `endpoint_url` and `since` are optional. No credentials belong here: profiles name
them, and boto3 finds them.

The same file holds the explorer's settings (`--mouse`/`--no-mouse` win over them):

    [explorer]
    mouse = true        # clicks and the wheel; off by default
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

CONFIG_ENV = "RDSTRAIL_CONFIG"
_KEYS = {"s3", "lookup", "profile", "regions", "accounts", "endpoint_url", "since"}
# Anything that looks like a secret is refused rather than silently kept in a plain file.
_SECRET_KEYS = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "password"}


_EXPLORER_KEYS = {"mouse"}


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class SavedSource:
    name: str
    kind: str  # "s3" or "lookup"
    url: str = ""  # for s3
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    endpoint_url: str | None = None
    since: str | None = None


def default_config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("rdstrail")) / "config.toml"


@dataclass(frozen=True)
class ExplorerSettings:
    mouse: bool = False  # off: the terminal's own selection works, no bytes per mouse move


def _read(path: Path) -> dict[str, Any]:
    """The config file's tables; none when there is no file."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return data


def load_explorer_settings(path: Path | None = None) -> ExplorerSettings:
    """The [explorer] table; the defaults when there is no file or no table."""
    path = path or default_config_path()
    table = _read(path).get("explorer", {})
    where = f"{path}: [explorer]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    unknown = set(table) - _EXPLORER_KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_EXPLORER_KEYS))})"
        )
    mouse = table.get("mouse", False)
    if not isinstance(mouse, bool):
        raise ConfigError(f"{where}: mouse must be true or false")
    return ExplorerSettings(mouse=mouse)


def load_sources(path: Path | None = None) -> dict[str, SavedSource]:
    """Every saved source, by name; none when there is no config file."""
    path = path or default_config_path()
    data = _read(path)
    sources = data.get("sources", {})
    if not isinstance(sources, dict):
        raise ConfigError(f"{path}: [sources] must be a table of named sources")
    return {name: _source(path, name, entry) for name, entry in sources.items()}


def _source(path: Path, name: str, entry: object) -> SavedSource:
    where = f"{path}: [sources.{name}]"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a table")
    secrets = _SECRET_KEYS & {key.lower() for key in entry}
    if secrets:
        raise ConfigError(
            f"{where} holds {', '.join(sorted(secrets))}: credentials do not belong in this "
            'file; name an AWS profile with profile = "..." instead'
        )
    unknown = set(entry) - _KEYS
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {', '.join(sorted(unknown))} "
            f"(known: {', '.join(sorted(_KEYS))})"
        )
    if ("s3" in entry) == bool(entry.get("lookup")):
        raise ConfigError(f'{where} needs exactly one of s3 = "s3://..." or lookup = true')

    def strings(key: str) -> list[str]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: {key} must be a list of strings")
        return list(value)

    def text(key: str) -> str | None:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string")
        return value

    url = text("s3") or ""
    if "s3" in entry and not url.startswith("s3://"):
        raise ConfigError(f"{where}: s3 must be an s3:// URL")
    if entry.get("lookup") and entry.get("accounts"):
        raise ConfigError(f"{where}: accounts applies to S3 sources only")
    return SavedSource(
        name=name,
        kind="s3" if "s3" in entry else "lookup",
        url=url,
        profile=text("profile"),
        regions=strings("regions"),
        accounts=strings("accounts"),
        endpoint_url=text("endpoint_url"),
        since=text("since"),
    )
