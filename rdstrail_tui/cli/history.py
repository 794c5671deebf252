"""`rdstrail history NAME` and `rdstrail resources [FILTER...]`: one resource's timeline and
configuration over time, and the list of every resource, without opening the explorer.

A name that matches nothing is one line on stderr and exit 1; one that matches several
resources (two accounts, or an instance and its snapshot of one name) lists them and asks
for --account, --region or --type.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable

import orjson

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, cache_path, err, open_cache
from rdstrail_tui.cli.show import text_width
from rdstrail_tui.model.history import History
from rdstrail_tui.model.resources import ResourceId, arn_of
from rdstrail_tui.present.history import history_json, history_text
from rdstrail_tui.present.resources import resource_record, resource_values, table_lines
from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.present.writers import neutralise, terminal_safe_json
from rdstrail_tui.query.language import parse_filter
from rdstrail_tui.query.resources import list_resources

CSV_FIELDS = (
    "type",
    "identifier",
    "account",
    "region",
    "first_seen",
    "last_seen",
    "events",
    "writes",
    "last_writer",
    "last_write",
    "deleted",
    "risk_flags",
)


def _cell(value: object) -> str:
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def picked_by_options(resource: ResourceId) -> str:
    """The options of `rdstrail history` that pick `resource` among others of its name."""
    region = f" --region {printable(resource.region)}" if resource.region else ""
    return f"--type {resource.type} --account {printable(resource.account)}{region}"


def picked_by_arn(resource: ResourceId) -> str:
    """`resource` as its ARN (`rdstrail --resource` takes no --type or --account); an
    export task, which has none, by its options."""
    arn = arn_of(resource)
    return printable(arn) if arn else picked_by_options(resource)


def one_resource(
    cache: Cache,
    name: str,
    *,
    kind: str | None = None,
    account: str | None = None,
    region: str | None = None,
    pick: Callable[[ResourceId], str] = picked_by_options,
) -> int | None:
    """The id of the one resource NAME and the options name, or None after saying on
    stderr why not: nothing matches (one line), or several do (listed, each with what
    picks it)."""
    # Lazy: the history's query brings numpy, which `rdstrail resources` does not need.
    from rdstrail_tui.query.history import find_resources

    found = find_resources(cache, name, kind=kind, account=account, region=region)
    shown = printable(name)
    if not found:
        err(
            f"no resource {shown} in {cache.path}: check the name (rdstrail resources "
            "lists them), or load or sync the events that name it"
        )
        return None
    if len(found) > 1:
        how = "add --type, --account or --region" if pick is picked_by_options else "give its ARN"
        err(f"{shown} names {len(found)} resources; {how}:")
        for _, resource in found:
            err(f"  {pick(resource)}")
        return None
    return found[0][0]


def resolve(cache: Cache, args: argparse.Namespace) -> tuple[int, History] | int:
    """The history NAME and the options pick, or the exit status after saying why not."""
    shown = printable(args.name)
    rid = one_resource(cache, args.name, kind=args.type, account=args.account, region=args.region)
    if rid is None:
        return EXIT_BAD_INPUT
    from rdstrail_tui.query.history import history_of

    # JSON lists every event; text folds the reads unless --all-reads.
    fold = args.format != "json" and not args.all_reads
    picked = history_of(cache, rid, args.life, fold_reads=fold)
    if picked is None:
        latest = history_of(cache, rid)
        lives = len(latest.lives) if latest is not None else 0
        err(f"{shown} has {lives} lives: --life takes 1 to {lives}")
        return EXIT_BAD_INPUT
    return rid, picked


def history(args: argparse.Namespace) -> int:
    with open_cache(cache_path(args), create=False) as cache:
        picked = resolve(cache, args)
    if isinstance(picked, int):
        return picked
    _, found = picked
    terminal = sys.stdout.isatty()
    if args.format == "json":
        data = orjson.dumps(history_json(found), option=orjson.OPT_APPEND_NEWLINE)
        sys.stdout.flush()
        sys.stdout.buffer.write(terminal_safe_json(data) if terminal else data)
    else:
        width = text_width(terminal)
        for line in history_text(found, width):
            sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return EXIT_OK


def resources(args: argparse.Namespace) -> int:
    flt = parse_filter(args.filter)
    with open_cache(cache_path(args), create=False) as cache:
        rows = list_resources(cache, flt, args.sort)
    terminal = sys.stdout.isatty()
    if args.format == "json":
        data = orjson.dumps(
            [resource_record(r.summary) for r in rows], option=orjson.OPT_APPEND_NEWLINE
        )
        sys.stdout.flush()
        sys.stdout.buffer.write(terminal_safe_json(data) if terminal else data)
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_FIELDS)
        for row in rows:
            record = resource_record(row.summary)
            writer.writerow([neutralise(_cell(record[name])) for name in CSV_FIELDS])
        sys.stdout.write(out.getvalue())
    else:
        if not rows:
            err("no resources match" if flt.terms else "no RDS resources in the cache")
            return EXIT_OK
        width = text_width(terminal)
        for line in table_lines([resource_values(r.summary) for r in rows], width):
            sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return EXIT_OK
