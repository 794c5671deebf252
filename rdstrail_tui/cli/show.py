"""`rdstrail show EVENTID`: one cached event as the explorer shows it, as text or JSON.

The text (the card, the risk flags, the diff) is fitted to the terminal's width, or to 80
columns when stdout is not a terminal ($COLUMNS says otherwise for either); the JSON has
every value whole. An id the cache does not hold is one line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

import orjson

from rdstrail_tui.cache.store import Cache
from rdstrail_tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, cache_path, err, open_cache
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.shorten import ELLIPSIS
from rdstrail_tui.present.show import show_json_bytes, show_lines
from rdstrail_tui.present.writers import terminal_safe_json

FORMATS = ("text", "json")
# Where the terminal's size is unknown (a pipe, a file): the width a ticket reads well at.
PIPE_WIDTH = 80


def show(args: argparse.Namespace) -> int:
    event_id: str = args.event_id
    with open_cache(cache_path(args), create=False) as cache:
        event = find_event(cache, event_id)
        if event is None:
            err(
                f"no event {event_id} in {cache.path}: check the id (rdstrail query "
                "--format jsonl shows them) or load its trail (rdstrail load PATH)"
            )
            return EXIT_BAD_INPUT
    # Every record in the cache was read by orjson on the way in, so it reads again.
    parsed = orjson.loads(event.raw)
    record: dict[str, object] = parsed if isinstance(parsed, dict) else {}
    terminal = sys.stdout.isatty()
    if args.format == "json":
        data = show_json_bytes(event, record)
        sys.stdout.flush()
        sys.stdout.buffer.write(terminal_safe_json(data) if terminal else data)
    else:
        width = text_width(terminal)
        ellipsis = ELLIPSIS if _can_write(ELLIPSIS) else "~"
        text = "\n".join(show_lines(event, record, width, ellipsis=ellipsis)) + "\n"
        sys.stdout.write(text if _can_write(text) else _replaced(text))
    sys.stdout.flush()
    return EXIT_OK


def text_width(terminal: bool) -> int:
    """$COLUMNS when set, else the terminal's width, else PIPE_WIDTH. Asked of stdout
    itself: shutil alone would ask the interpreter's original stdout, which may be a
    terminal while this one is a pipe."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if terminal:
        return shutil.get_terminal_size((PIPE_WIDTH, 24)).columns
    return PIPE_WIDTH


def find_event(cache: Cache, event_id: str) -> Event | None:
    """The cached event with this id and its raw record. CloudTrail writes UUIDs in lower
    case; one pasted in upper case (or with spaces around it) is the same event."""
    candidates = dict.fromkeys((event_id, event_id.strip(), event_id.strip().lower()))
    for candidate in candidates:
        if not candidate:
            continue
        rowid = cache.rowid_of(candidate)
        if rowid is not None:
            return cache.events_by_rowid([rowid], with_raw=True).get(rowid)
    return None


def _can_write(text: str) -> bool:
    encoding = sys.stdout.encoding or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _replaced(text: str) -> str:
    """`text` with what the output's encoding cannot hold as `?` (a Latin-1 terminal)."""
    encoding = sys.stdout.encoding or "utf-8"
    return text.encode(encoding, errors="replace").decode(encoding)
