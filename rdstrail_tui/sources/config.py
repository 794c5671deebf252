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

    [sources.org]
    athena = "trail.cloudtrail_logs"          # the Athena table (rdstrail athena ddl)
    workgroup = "primary"
    output_location = "s3://athena-results/rdstrail/"
    accounts = ["111122223333"]
    filter = "-is:read"                       # run by Athena: only matches come back
    max_scan = "50GB"

    [sources.lake]
    lake = "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE"

A source has exactly one of `s3 = "s3://..."`, `lookup = true`, `athena = "db.table"` or
`lake = "ARN"`; `profile`, `regions`, `accounts` (not for lookup), `endpoint_url` and
`since` are optional, and for athena and lake `filter`, `max_scan`, `workgroup`,
`output_location` and `s3_endpoint_url` (athena). No credentials belong here: profiles name
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
_KINDS = ("s3", "lookup", "athena", "lake")
_KEYS = {
    *_KINDS,
    "profile",
    "regions",
    "accounts",
    "endpoint_url",
    "since",
    "workgroup",
    "output_location",
    "s3_endpoint_url",
    "max_scan",
    "filter",
}
_PUSHED_KEYS = {"workgroup", "output_location", "s3_endpoint_url", "max_scan", "filter"}
# Anything that looks like a secret is refused rather than silently kept in a plain file.
_SECRET_KEYS = {"aws_access_key_id", "aws_secret_access_key", "aws_session_token", "password"}


_EXPLORER_KEYS = {"mouse"}


class ConfigError(Exception):
    """The config file cannot be used; the message names the file and the entry."""


@dataclass(frozen=True)
class SavedSource:
    name: str
    kind: str  # "s3", "lookup", "athena" or "lake"
    url: str = ""  # for s3; the table (db.table) for athena; the event data store for lake
    profile: str | None = None
    regions: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    endpoint_url: str | None = None
    since: str | None = None
    workgroup: str | None = None
    output_location: str | None = None
    s3_endpoint_url: str | None = None
    max_scan: str | None = None
    filter: str = ""


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


def _kind_of(where: str, entry: dict[str, Any]) -> str:
    """The source's kind: the one of s3, lookup, athena and lake it names."""
    kinds = [kind for kind in _KINDS if kind in entry and entry[kind] is not False]
    if len(kinds) != 1:
        raise ConfigError(
            f'{where} needs exactly one of s3 = "s3://...", lookup = true, '
            'athena = "db.table" or lake = "ARN"'
        )
    kind = kinds[0]
    pushed = _PUSHED_KEYS & set(entry)
    if kind in ("s3", "lookup") and pushed:
        raise ConfigError(
            f"{where}: {', '.join(sorted(pushed))} apply to athena and lake sources only"
        )
    return kind


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
    kind = _kind_of(where, entry)

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

    url = (text(kind) or "") if kind != "lookup" else ""
    if kind == "s3" and not url.startswith("s3://"):
        raise ConfigError(f"{where}: s3 must be an s3:// URL")
    if kind in ("athena", "lake") and not url:
        raise ConfigError(
            f"{where}: {kind} must name the {'table' if kind == 'athena' else 'store'}"
        )
    if kind == "lookup" and entry.get("accounts"):
        raise ConfigError(f"{where}: accounts applies to S3, Athena and Lake sources only")
    return SavedSource(
        name=name,
        kind=kind,
        url=url,
        profile=text("profile"),
        regions=strings("regions"),
        accounts=strings("accounts"),
        endpoint_url=text("endpoint_url"),
        since=text("since"),
        workgroup=text("workgroup"),
        output_location=text("output_location"),
        s3_endpoint_url=text("s3_endpoint_url"),
        max_scan=text("max_scan"),
        filter=text("filter") or "",
    )
