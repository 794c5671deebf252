"""The `rdstrail` command line: its options, and the split of filter terms from options."""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path
from typing import NoReturn

from rdstrail_tui import __version__
from rdstrail_tui.cache.paths import CACHE_ENV, default_cache_path
from rdstrail_tui.cli import athena
from rdstrail_tui.cli.common import EXIT_USAGE
from rdstrail_tui.model.resources import RESOURCE_TYPES
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.writers import FORMATS
from rdstrail_tui.query.language import FILTER_HELP, quote_value
from rdstrail_tui.sources.config import default_config_path

# Hand-wrapped text (help, epilogs, usage lines) stays within 78 columns: help fits an
# 80-column terminal (tests/unit/test_cli.py runs every --help at COLUMNS=80).
DESCRIPTION = """\
Explore the AWS CloudTrail record of Amazon RDS: who changed which database,
when, from where, and what AWS did. Events are loaded into a local cache once
and read from there. With no command, opens the explorer on the cache (in a
terminal; the mouse is off unless --mouse or [explorer] mouse = true in the
config file says otherwise)."""

EPILOG = f"""\
examples:
  rdstrail --demo                     open the explorer on the bundled demo
  rdstrail load ~/trail/AWSLogs       load a trail tree (gzip or not)
  rdstrail query modify -is:error     successful Modify* calls, newest first
  rdstrail query user:admin since:7d --format jsonl | jq .requestParameters
  rdstrail stats since:30d            who did what, in counts
  rdstrail show EVENTID --format json one event: card, risk flags and diff
  rdstrail history orders-prod        one database's timeline and configuration
  rdstrail resources snapshot         every RDS snapshot, with its last write
  rdstrail --resource orders-prod     open the explorer on its history
  rdstrail cache info                 where the cache is and what it holds

The cache is
  {{cache}}
unless --cache FILE or ${CACHE_ENV} says otherwise. The config file is
  {{config}}
"""


SYNC_EPILOG = """\
examples:
  rdstrail sync lookup --region us-east-1 --region eu-west-1 --profile prod
  rdstrail sync s3 s3://org-trail/AWSLogs/o-abc123 --since 2026-11-01 \\
      --account 111122223333
  rdstrail sync athena --table trail.cloudtrail_logs --account 111122223333 \\
      --output-location s3://results/rdstrail/ res:=orders-prod -is:read
  rdstrail sync lake --event-data-store EVENT-DATA-STORE-ARN \\
      --since 30d user:alice
  rdstrail sync prod                  a saved source

LookupEvents keeps under its limit of 2 requests per second per account and
region; the default window is since the last sync, else 90 days. S3 lists only
the day folders in the window (default: the last 7 days) and never downloads
an object twice. Athena and Lake run the filter where the trail is (at $5 per
TB scanned: see the cost on each line) and bring back only what matches; a
second sync with the same filter asks only for what is new (default: 7 days).
Create the Athena table once with `rdstrail athena ddl S3URL --create`.

Saved sources live in {config}:
  [sources.prod]
  s3 = "s3://org-trail/AWSLogs/o-abc123"
  profile = "prod-readonly"
  regions = ["us-east-1"]
  [sources.org]
  athena = "trail.cloudtrail_logs"
  output_location = "s3://athena-results/rdstrail/"
  accounts = ["111122223333"]
  filter = "-is:read"
"""


SHOW_EPILOG = """\
examples:
  rdstrail show 0b7f6c2e-8d1a-4f3b-9c55-2a6e1d4b7f90
  rdstrail show EVENTID --format json | jq .diff.summary
  rdstrail query modifydbinstance --format jsonl | jq -r .eventID | head -1 |
      xargs rdstrail show

Diff statuses: applied, changed, pending, masked, request-only, set-by-aws (the
symbols = ~ > # . + in the text). A value absent from a row is left out of its
JSON object; null is a value the response held.
"""


HISTORY_EPILOG = """\
examples:
  rdstrail history orders-prod
  rdstrail history arn:aws:rds:us-east-1:111122223333:db:orders-prod
  rdstrail history orders-prod --format json | jq '.config[-1].pending'

A name deleted and created again has several lives: the latest is shown, the
others are listed; --life N picks one. A name in two accounts or of two types
lists the matches: add --account, --region or --type.
"""

COMPARE_EPILOG = """\
examples:
  rdstrail compare 0b7f6c2e-8d1a-4f3b-9c55-2a6e1d4b7f90 \\
      5d0c3a9e-1f2b-4c7d-8e6a-9b4f2d1c0e37
  rdstrail compare ID1 ID2 --format json |
      jq '.rows[] | select(.status != "same")'

Statuses: same, changed, only-left, only-right, masked (the symbols = ~ < > #
in the text). A side without a value is left out of a row's JSON object.
"""


# argparse's own phrasing of a wrong choice, said shorter: `--format 'xml': choose table,
# jsonl, json or csv`.
_INVALID_CHOICE = re.compile(r"argument (\S+): invalid choice: (.*) \(choose from (.*)\)")


class OneLineParser(argparse.ArgumentParser):
    """A usage error in one line, like every other message of rdstrail, instead of
    argparse's usage block followed by the error: `rdstrail: query: --format 'xml': choose
    table, jsonl, json or csv`. The usage is in --help."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("rdstrail").strip()
        where = f"{command}: " if command else ""
        self.exit(EXIT_USAGE, printable(f"rdstrail: {where}{_shorter(message)}") + "\n")


# Choices listed in full in a usage error; more are summed up (see _shorter).
_LISTED_CHOICES = 6


def _shorter(message: str) -> str:
    choice = _INVALID_CHOICE.fullmatch(message)
    if not choice:
        return message.replace("argument ", "", 1) if message.startswith("argument ") else message
    option, value, allowed = choice.groups()
    names = [name.strip().strip("'") for name in allowed.split(",")]
    if len(names) > _LISTED_CHOICES:
        # Too many to list in a line (the commands): the nearest, and where the rest are.
        near = difflib.get_close_matches(value.strip("'"), names, n=1)
        guess = f"did you mean {near[0]}? " if near else ""
        return f"{option} {value}: {guess}(--help lists them)"
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return f"{option} {value}: choose {listed}"


def build_parser() -> argparse.ArgumentParser:
    cache_help = f"cache file (default: ${CACHE_ENV}, else {default_cache_path()})"
    common = OneLineParser(add_help=False)
    # SUPPRESS: a --cache given before the command is not overwritten by the default here.
    common.add_argument(
        "--cache", type=Path, default=argparse.SUPPRESS, metavar="FILE", help=cache_help
    )
    common.add_argument(
        "--demo",
        action="store_true",
        default=argparse.SUPPRESS,
        help="use the bundled demo trail's own cache instead (never the user's)",
    )

    parser = OneLineParser(
        prog="rdstrail",
        description=DESCRIPTION,
        epilog=EPILOG.format(cache=default_cache_path(), config=default_config_path()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"rdstrail {__version__}")
    parser.add_argument(
        "--resource",
        metavar="NAME",
        help="explorer: open on this resource's history (an identifier or an RDS ARN)",
    )
    parser.add_argument(
        "--mouse",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="explorer: clicks and the wheel (default: off, or [explorer] mouse in the "
        "config file); off, the terminal's own selection works without Shift",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    load = commands.add_parser(
        "load",
        parents=[common],
        help="load CloudTrail files or directories into the cache",
        description="Load CloudTrail files or directories into the cache. Directories are "
        "walked for *.json, *.jsonl, *.ndjson (and .gz); a named file is always read. Formats "
        "are recognised by content: S3 trail files, LookupEvents output, console downloads, "
        "JSON arrays and JSON Lines, gzipped or not. Events already cached are skipped.",
        allow_abbrev=False,
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    scope = load.add_mutually_exclusive_group()
    scope.add_argument(
        "--event-source",
        action="append",
        metavar="SRC",
        help="keep events of this eventSource: ec2.amazonaws.com, or ec2 for short "
        "(repeatable; default rds.amazonaws.com)",
    )
    scope.add_argument("--all-sources", action="store_true", help="keep events of every service")
    load.add_argument(
        "--workers", type=_positive_int, metavar="N", help="processes to use (default: all cores)"
    )

    query = commands.add_parser(
        "query",
        parents=[common],
        help="print matching events, newest first",
        usage="rdstrail query [FILTER ...] [--format {table,jsonl,json,csv}] [--bom]\n"
        "                      [--limit N] [--cache FILE] [--demo]",
        description="Print the cached events that match FILTER, newest first. No match is\n"
        "said on stderr (exit 0); stdout is then empty, but for --format json ([]) and\n"
        "--format csv (the header row).",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    query.add_argument("--format", choices=FORMATS, default="table", help="output format")
    query.add_argument(
        "--bom",
        action="store_true",
        help="csv: start with a UTF-8 byte order mark, so a spreadsheet reads the text as UTF-8",
    )
    query.add_argument(
        "--limit",
        type=_non_negative_int,
        metavar="N",
        help="at most N events; 0 for all (default: all, or 1000 for a table on a terminal)",
    )

    stats = commands.add_parser(
        "stats",
        parents=[common],
        help="counts by eventName, principal, source IP and errorCode",
        usage="rdstrail stats [FILTER ...] [--top N] [--format {text,json}]\n"
        "                      [--cache FILE] [--demo]",
        description="Count the cached events that match FILTER, by eventName, principal,\n"
        "source IP and errorCode, with the time span.",
        epilog=FILTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    stats.add_argument("--top", type=_positive_int, default=10, metavar="N", help="rows per table")
    stats.add_argument("--format", choices=("text", "json"), default="text")

    show = commands.add_parser(
        "show",
        parents=[common],
        help="one event: its card, risk flags and diff",
        usage="rdstrail show EVENTID [--format {text,json}] [--cache FILE] [--demo]",
        description="Print one cached event as the explorer shows it: the card (when, what,\n"
        "on what, who, from where), the risk flags, and the diff of what was requested\n"
        "against what AWS answered. Text fits the terminal (80 columns in a pipe, or\n"
        "$COLUMNS) and cuts long values with an ellipsis; JSON has every value whole.",
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    show.add_argument("event_id", metavar="EVENTID", help="the event's CloudTrail eventID")
    show.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="two events side by side, key by key",
        usage="rdstrail compare ID1 ID2 [--format {text,json}] [--all] [--cache FILE]\n"
        "                        [--demo]",
        description="Print two cached events side by side: their request parameters, then\n"
        "their responses, key by key, read by meaning as the diff reads them. ID1 is\n"
        "the left side: give the earlier event first and the rows read as what the\n"
        "second changed. Rows of the same value are counted, not listed, unless --all.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    compare.add_argument("left_id", metavar="ID1", help="the left event's eventID")
    compare.add_argument("right_id", metavar="ID2", help="the right event's eventID")
    compare.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    compare.add_argument("--all", action="store_true", help="text: list the same rows too")

    history = commands.add_parser(
        "history",
        parents=[common],
        help="one resource's timeline and its configuration over time",
        usage="rdstrail history NAME [--type TYPE] [--account A] [--region R] [--life N]\n"
        "                        [--all-reads] [--format {text,json}] [--cache FILE]\n"
        "                        [--demo]",
        description="Print what happened to one RDS resource, oldest first: every call that\n"
        "named it (by identifier or ARN, any case, under its earlier names too), reads\n"
        "folded into counts, what each write changed or left pending, the resources\n"
        "related to it, and its configuration after the last write with the pending\n"
        "values' status (pending, applied, superseded, still pending). NAME is an\n"
        "identifier or an RDS ARN.",
        epilog=HISTORY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    history.add_argument("name", metavar="NAME", help="identifier or ARN")
    history.add_argument("--type", choices=RESOURCE_TYPES, metavar="TYPE", help="resource type")
    history.add_argument("--account", metavar="A", help="account id, where names repeat")
    history.add_argument("--region", metavar="R", help="region, where names repeat")
    history.add_argument(
        "--life", type=_positive_int, metavar="N", help="which life of a reused name (1: oldest)"
    )
    history.add_argument("--all-reads", action="store_true", help="text: list reads one by one")
    history.add_argument("--format", choices=("text", "json"), default="text", help="output format")

    resources = commands.add_parser(
        "resources",
        parents=[common],
        help="every RDS resource in the cache, with its last write",
        usage="rdstrail resources [FILTER ...] [--sort KEY] [--format {table,json,csv}]\n"
        "                          [--cache FILE] [--demo]",
        description="List every RDS resource the cached events name: type, identifier,\n"
        "account, region, first and last seen, writes, the last writer and operation,\n"
        "whether it is deleted, and the risk flags of its calls. FILTER narrows the\n"
        "list: bare words and res: match the identifier or the type (snapshot, cluster,\n"
        "...; an RDS ARN names one resource), account:, region:, user: the last\n"
        "writer, since:/until: when it was seen, is:risky and flag:NAME its calls'\n"
        "risk flags.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    resources.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    resources.add_argument(
        "--sort",
        choices=("last", "first", "writes", "events", "name", "type"),
        default="last",
        help="order: last seen (default, newest first), first seen, writes, events, name, type",
    )

    sync = commands.add_parser(
        "sync",
        parents=[common],
        help="fetch events from AWS: Event history (LookupEvents) or an S3 trail",
        description="Fetch CloudTrail events from AWS into the cache, incrementally: a second\n"
        "sync asks only for what is new. TARGET is `lookup` (the account's 90-day Event\n"
        "history, per region), `s3 s3://BUCKET[/PREFIX]` (a trail's log files),\n"
        "`athena --table DB.TABLE [FILTER...]` (the filter run by Athena over the\n"
        "trail), `lake --event-data-store ARN [FILTER...]` (by CloudTrail Lake), or the\n"
        "name of a saved source.",
        epilog=SYNC_EPILOG.format(config=default_config_path()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    sync.add_argument(
        "target", metavar="TARGET", help="lookup, s3, athena, lake, or a saved source's name"
    )
    sync.add_argument("url", nargs="?", metavar="s3://BUCKET[/PREFIX]", help="for s3")
    sync.add_argument("--region", action="append", metavar="R", help="repeatable")
    sync.add_argument(
        "--account", action="append", metavar="A", help="repeatable; S3, Athena and Lake"
    )
    sync.add_argument("--since", metavar="WHEN", help="ISO date or time, or 30m 6h 7d")
    sync.add_argument("--until", metavar="WHEN")
    sync.add_argument("--profile", metavar="P", help="AWS profile (default: AWS_PROFILE)")
    sync.add_argument(
        "--endpoint-url",
        metavar="URL",
        help="another endpoint (VPC endpoint, test server); for athena and lake, theirs",
    )
    pushed = sync.add_argument_group("athena and lake (FILTER terms after the options)")
    pushed.add_argument("--table", metavar="DB.TABLE", help="athena: the trail's table")
    pushed.add_argument("--workgroup", metavar="W", help="athena: the workgroup")
    pushed.add_argument(
        "--output-location", metavar="S3URL", help="athena: where it writes results"
    )
    pushed.add_argument("--event-data-store", metavar="ARN", help="lake: the store's ARN or ID")
    pushed.add_argument(
        "--max-scan", metavar="SIZE", help="stop a query past SIZE scanned (e.g. 50GB)"
    )
    pushed.add_argument(
        "--reuse-results",
        metavar="MIN",
        type=_positive_int,
        help="athena: reuse an identical query's results up to MIN minutes old",
    )
    pushed.add_argument(
        "--s3-endpoint-url", metavar="URL", help="athena: S3 endpoint for results and trail"
    )

    athena.add_parser(commands, common)

    cache = commands.add_parser(
        "cache", help="show or clear the cache", description="Show or clear the cache."
    )
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    cache_commands.add_parser(
        "info", parents=[common], help="path, size, events, time span and sources"
    )
    clear = cache_commands.add_parser(
        "clear", parents=[common], help="remove every cached event, source and sync cursor"
    )
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


# Options of `query` and `stats` that take a value; everything else that is not an option
# is part of the filter, including terms that start with '-' (negations such as -is:error).
# The commands whose positional arguments are filter terms.
FILTER_COMMANDS = ("query", "stats", "resources")
_FILTER_COMMAND_OPTIONS = {"--format", "--limit", "--cache", "--top", "--sort"}
_FILTER_COMMAND_FLAGS = {"-h", "--help", "--demo", "--bom"}


# `sync`: its options that take a value; its first argument (the target) and an S3 URL are
# its own, and the rest is the filter a pushed-down source (athena, lake) runs.
_SYNC_OPTIONS = {
    "--region",
    "--account",
    "--since",
    "--until",
    "--profile",
    "--endpoint-url",
    "--cache",
    "--table",
    "--workgroup",
    "--output-location",
    "--event-data-store",
    "--max-scan",
    "--reuse-results",
    "--s3-endpoint-url",
}


def split_filter_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Separate `query`/`stats` options from filter terms, so `-is:error` is a term."""
    if argv and argv[0] == "sync":
        return _split_sync_arguments(argv)
    if not argv or argv[0] not in FILTER_COMMANDS:
        return argv, []
    return _split(argv, _FILTER_COMMAND_OPTIONS, positionals=0)


def _split_sync_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    target = next((a for a in argv[1:] if not a.startswith("-")), None)
    # lookup takes no URL, and says so rather than reading one as a filter.
    return _split(argv, _SYNC_OPTIONS, positionals=2 if target in ("s3", "lookup") else 1)


def _split(argv: list[str], valued: set[str], *, positionals: int) -> tuple[list[str], list[str]]:
    """The options (with the first `positionals` plain arguments) and the filter terms."""
    options, terms = [argv[0]], []
    index = 1
    while index < len(argv):
        arg = argv[index]
        name = arg.split("=", 1)[0]
        if arg == "--":
            terms.extend(argv[index + 1 :])
            break
        if positionals and not arg.startswith("-"):
            options.append(arg)
            positionals -= 1
        elif name in valued:
            options.append(arg)
            if "=" not in arg and index + 1 < len(argv):
                options.append(argv[index + 1])
                index += 1
        elif arg in _FILTER_COMMAND_FLAGS or arg.startswith("--"):
            options.append(arg)  # unknown --options still reach argparse and its error
        else:
            terms.append(arg)
        index += 1
    return options, terms


def filter_text(terms: list[str]) -> str:
    """Join shell arguments into filter text. An argument holding a double quote is filter
    text as written; `user:Jane Doe` (the shell ate the quotes) is one term."""
    parts = []
    for term in terms:
        if '"' in term or not any(ch.isspace() for ch in term):
            parts.append(term)
            continue
        key, colon, value = term.partition(":")
        if colon and key and not any(ch.isspace() for ch in key):
            # `key:=value` is exact: the `=` stays outside the quotes that a value with a
            # comma or a space needs, or it would be searched for as text.
            exact = "=" if value.startswith("=") else ""
            parts.append(f"{key}:{exact}{quote_value(value[len(exact) :])}")
        else:
            parts.append(term)  # a bare phrase with spaces: the whole filter in one argument
    return " ".join(parts)


def command_first(argv: list[str]) -> list[str]:
    """Let global options come before the command (`rdstrail --cache F query x`) while
    still finding the command for the filter split."""
    leading: list[str] = []
    index = 0
    while index < len(argv) and argv[index].startswith("-") and argv[index] != "--":
        leading.append(argv[index])
        if argv[index] == "--cache" and index + 1 < len(argv):
            leading.append(argv[index + 1])
            index += 1
        index += 1
    rest = argv[index:]
    if rest and rest[0] in FILTER_COMMANDS:
        return [rest[0], *leading, *rest[1:]]
    return argv


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value
