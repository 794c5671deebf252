"""`rdstrail compare ID1 ID2`: two cached events side by side, key by key, as text or JSON.

ID1 is the left side, ID2 the right: for two calls on one resource, give the earlier first
and the rows read as what the second changed. The text fits the terminal's width (80
columns in a pipe, or $COLUMNS) and leaves out the rows of the same value, counted in each
section's line (`--all` shows them); the JSON has every row and every value whole. An id
the cache does not hold is one line on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import sys

import orjson

from rdstrail_tui.cli.common import EXIT_BAD_INPUT, EXIT_OK, cache_path, err, open_cache
from rdstrail_tui.cli.show import find_event, text_width
from rdstrail_tui.model.event import Event
from rdstrail_tui.present.compare import compare_events, compare_json
from rdstrail_tui.present.compare_layout import compare_text
from rdstrail_tui.present.shorten import ELLIPSIS
from rdstrail_tui.present.writers import terminal_safe_json

FORMATS = ("text", "json")


def compare(args: argparse.Namespace) -> int:
    wanted: list[str] = [args.left_id, args.right_id]
    with open_cache(cache_path(args), create=False) as cache:
        found = [find_event(cache, event_id) for event_id in wanted]
        missing = [event_id for event_id, event in zip(wanted, found) if event is None]
        if missing:
            named = " and ".join(missing)
            err(
                f"no event {named} in {cache.path}: check the id (rdstrail query "
                "--format jsonl shows them) or load its trail (rdstrail load PATH)"
            )
            return EXIT_BAD_INPUT
    left, right = (event for event in found if isinstance(event, Event))
    result = compare_events(left, right)
    terminal = sys.stdout.isatty()
    if args.format == "json":
        option = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
        data = orjson.dumps(compare_json(result), default=str, option=option)
        sys.stdout.flush()
        sys.stdout.buffer.write(terminal_safe_json(data) if terminal else data)
    else:
        ellipsis = ELLIPSIS if _encodes(ELLIPSIS) else "~"
        text = compare_text(result, text_width(terminal), show_same=args.all, ellipsis=ellipsis)
        sys.stdout.write(text if _encodes(text) else _encoded(text))
    sys.stdout.flush()
    return EXIT_OK


def _encodes(text: str) -> bool:
    """Whether stdout's encoding holds `text` (a Latin-1 terminal may not hold "…")."""
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _encoded(text: str) -> str:
    encoding = sys.stdout.encoding or "utf-8"
    try:
        return text.encode(encoding, errors="replace").decode(encoding)
    except LookupError:
        return text.encode("ascii", errors="replace").decode("ascii")
