"""Cutting a value to a width in terminal cells, keeping the part that tells rows apart.

A list of a thousand calls by `AWSReservedSSO_AdministratorAccess_abc123/...` is told apart by
what follows the last `/` (the session: who), and a list of `payments-aurora-instance-N` by
its end. Event names, error codes and the rest read left to right and are cut at the end.
One ellipsis character marks every cut, in the CLI's table and the explorer's list alike.

Widths are terminal cells, not characters: values are already `printable` (controls shown as
ASCII escapes) but may hold East Asian wide characters, which take two cells.
"""

from __future__ import annotations

from typing import Literal

from rich.cells import cell_len as _rich_cell_len
from rich.cells import get_character_cell_size

ELLIPSIS = "…"

# How a column's values are cut:
#   "start"      keep the start, cut the end (event names, error codes, IPs, times)
#   "end"        keep the end (resources: `…-instance-2`; an ARN keeps its last parts whole)
#   "principal"  keep what follows the last `/` (a role session keeps the session), then as
#                much of the role as fits before it: `AWSRes…/jane@example.com`
Keep = Literal["start", "end", "principal"]
# The fewest letters of a role worth showing before "…/session".
_ROLE_HINT = 3


def _one_cell_each(text: str) -> bool:
    """Printable ASCII, one cell a character: by far the most common text (a table of
    17,000 resources measures 250,000 values), counted and cut without asking rich."""
    return text.isascii() and text.isprintable()


def cell_len(text: str) -> int:
    """The cells `text` takes on a terminal: the one count every table and list here uses."""
    return len(text) if _one_cell_each(text) else _rich_cell_len(text)


def shorten(text: str, width: int, keep: Keep, *, ellipsis: str = ELLIPSIS) -> str:
    """`text` in at most `width` cells, cut with one "…" where `keep` says (not padded).

    `ellipsis` is only for an output that cannot encode "…" (a Latin-1 stdout; a C locale
    is UTF-8 to Python since 3.7): another mark of one cell in its place."""
    if width <= 0:
        return ""
    if cell_len(text) <= width:
        return text
    if keep == "principal":
        return _principal(text, width, ellipsis)
    if keep == "end":
        if text.startswith("arn:"):
            return _arn_end(text, width, ellipsis)
        return _end_of(text, width, ellipsis)
    return _start_of(text, width, ellipsis)


def _start_of(text: str, width: int, mark: str) -> str:
    """The start of `text` and the mark, in `width` cells."""
    return head(text, width - 1) + mark if cell_len(text) > width else text


def _end_of(text: str, width: int, mark: str) -> str:
    """The mark and the end of `text`, in `width` cells."""
    return mark + tail(text, width - 1) if cell_len(text) > width else text


def _principal(text: str, width: int, mark: str) -> str:
    role, slash, session = text.rpartition("/")
    if not slash or not session:
        return _start_of(text, width, mark)  # a user name, `root`: read from the start
    kept = "/" + session
    room = width - 1 - cell_len(kept)  # cells left for the start of the role
    if room >= 0:
        # A role cut to one or two letters says nothing: then only the mark stands for it.
        return (head(role, room) if room >= _ROLE_HINT else "") + mark + kept
    # Even the session does not fit. An e-mail is told apart by its name, not its domain
    # (`jane@exa…`, not `…xample.com`); ids (`gha-4127`, `i-0a4f7c…`) by their end.
    if "@" in session:
        return _start_of(session, width, mark)
    return _end_of(session, width, mark)


def _arn_end(text: str, width: int, mark: str) -> str:
    """An ARN keeps its last parts whole: `…:db:prod`, not `…3333:db:prod` (a part cut
    short, like an account number, reads as another value). A last part too long for the
    width is cut like any other end."""
    kept = tail(text, width - 1)
    separators = [at for at in (kept.find(":"), kept.find("/")) if at >= 0]
    if separators and min(separators) < len(kept) - 1:
        kept = kept[min(separators) :]
    return mark + kept


def head(text: str, cells: int) -> str:
    """The longest start of `text` that fits in `cells`."""
    if _one_cell_each(text):
        return text[: max(cells, 0)]
    used = 0
    for index, char in enumerate(text):
        used += get_character_cell_size(char)
        if used > cells:
            return text[:index]
    return text


def tail(text: str, cells: int) -> str:
    """The longest end of `text` that fits in `cells`."""
    if _one_cell_each(text):
        return text[max(len(text) - cells, 0) :] if cells > 0 else ""
    used = 0
    for index in range(len(text) - 1, -1, -1):
        used += get_character_cell_size(text[index])
        if used > cells:
            return text[index + 1 :]
    return text


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` cells (str.ljust counts characters)."""
    return text + " " * max(width - cell_len(text), 0)
