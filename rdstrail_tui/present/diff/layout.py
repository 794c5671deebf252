"""A `Diff` as display lines: the pure half of the diff pane (no Textual).

`layout_diff` turns a diff and a width into lines of `(text, kind)` spans: first the summary,
then one *item* per selectable entry (the error message of a failed call, each row, the line
that folds the keys set by AWS). A row reads `SYMBOL  key  value (note)`:

- a key is never broken: the key column is as wide as the longest key (up to
  `MAX_KEY_COLUMN`, two fifths of the width), and a longer key pushes its value along the
  first line rather than folding;
- a value wraps at word or JSON-token boundaries (after `,` `:` `[` `{` or a space inside a
  string), never inside a token unless the token alone is longer than the line, and then
  preferably after a `/` `:` `-` ... of an ARN or an id;
- an applied value is shown once, a changed one as `asked -> got`, a pending one as
  `asked (pending)`;
- a row longer than `MAX_ROW_LINES` lines is cut with an ellipsis; `expanded` names the one
  item shown whole.

Every key and value comes from whoever called AWS: all text reaches a span through
`printable` (or `quote`, which applies it), so no span holds a control or bidi character.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

from rdstrail_tui.present.diff.rows import MISSING, SUMMARY_GAP, Diff, DiffRow, Status
from rdstrail_tui.present.json_layout import ELLIPSIS, CharWidth, char_cell_width, quote
from rdstrail_tui.present.sanitize import printable

Kind = Literal[
    "summary",  # the summary line
    "error",  # a failed call's errorCode and errorMessage
    "fold",  # the line standing for the folded keys set by AWS
    "symbol",
    "key",
    "value",  # the value a row is about: applied, pending, set by AWS, or a change's answer
    "asked",  # the requested side of a change
    "arrow",
    "note",  # why: "(pending; now 20)", "(via tagList)"
    "more",  # the ellipsis of a cut row
    "gap",  # whitespace between columns and under a wrapped value
]
Span = tuple[str, Kind]
Line = tuple[Span, ...]
# Spans kept on one line (unless together they are longer than a line).
Atom = tuple[Span, ...]
ItemKind = Literal["error", "row", "fold"]

# A row shows at most this many lines until it is opened (Enter): three keep a long ARN or a
# short list whole at 80 columns while a 200-item list does not push the rest off screen.
MAX_ROW_LINES: Final = 3
# Keys longer than this do not widen the key column for every other row.
MAX_KEY_COLUMN: Final = 32
# The key column holds this many tenths of the keys whole; the longest others overflow it.
KEY_COLUMN_SHARE_TENTHS: Final = 9
KEY_COLUMN_SLACK: Final = 4
# Narrower than this the lines are laid out at this width and cut by the pane.
MIN_WIDTH: Final = 20
# Nesting deeper than this is shown as an ellipsis (attacker-made records can nest far).
MAX_DEPTH: Final = 16
# A token too long for any line is split; when the line it would start has less room than
# this, it starts on the next line instead.
MIN_SPLIT_ROOM: Final = 10
SYMBOL_GAP: Final = 2  # cells after the symbol, and after the key column
ARROW: Final = "->"

_SEPARATOR: Final[Atom] = ((" ", "gap"),)
_SUMMARY_SEPARATOR: Final[Atom] = ((SUMMARY_GAP, "gap"),)
# Where a token too long for a line had best be split: after these, ids and ARNs fall apart
# into their own parts (`arn:aws:rds:` | `eu-west-1:` ...).
_SPLIT_AFTER: Final = (frozenset("/:"), frozenset(",-._=@&?"))
_AFTER_SPACE: Final = re.compile(r"(?<= )(?=[^ ])")


@dataclass(frozen=True)
class Item:
    """One selectable entry of the diff."""

    kind: ItemKind
    status: Status | None = None
    row: DiffRow | None = None


@dataclass(frozen=True)
class DiffLayout:
    """The display lines of a diff at one width, with the items they belong to."""

    width: int
    lines: list[Line]
    line_items: list[int]
    """The item of each line; -1 for the summary lines above the items."""
    items: tuple[Item, ...]
    starts: list[int]
    """The first line of each item, then len(lines)."""
    cut: frozenset[int]
    """Items shown shorter than they are: Enter opens them whole."""
    expanded: int | None
    """The item shown whole although it is longer than MAX_ROW_LINES, if any."""

    def item_lines(self, item: int) -> range:
        return range(self.starts[item], self.starts[item + 1])

    def item_at(self, line: int) -> int:
        """The item shown on display line `line` (the first one for the summary lines)."""
        if not self.items:
            return -1
        line = max(0, min(line, len(self.lines) - 1))
        return max(0, self.line_items[line])

    def can_open(self, item: int) -> bool:
        """Whether the item has more to show, or is shown whole and can be closed."""
        return item in self.cut or item == self.expanded

    def text(self) -> list[str]:
        return [line_text(line) for line in self.lines]


def line_text(line: Line) -> str:
    return "".join(text for text, _ in line)


# -- cells ---------------------------------------------------------------------------------


def _width(text: str, char_width: CharWidth) -> int:
    return len(text) if text.isascii() else sum(char_width(char) for char in text)


def _atom_width(atom: Atom, char_width: CharWidth) -> int:
    return sum(_width(text, char_width) for text, _ in atom)


def _fit(text: str, room: int, char_width: CharWidth) -> int:
    """How many leading characters of `text` fit in `room` cells."""
    if text.isascii():
        return max(0, min(len(text), room))
    used = 0
    for index, char in enumerate(text):
        used += char_width(char)
        if used > room:
            return index
    return len(text)


def _split_point(text: str, count: int) -> int:
    """Where to split `text`, of which `count` characters fit: after the last separator of
    an ARN's or a path's parts in the second half of what fits, else after the last other
    separator there, else at `count`."""
    for separators in _SPLIT_AFTER:
        for index in range(count - 1, count // 2 - 1, -1):
            if text[index] in separators:
                return index + 1
    return count


# -- atoms ---------------------------------------------------------------------------------

# How a piece of JSON text joins its neighbours: a scalar may start a line; an opening
# bracket stays with what follows it; a closing bracket, a comma or a colon stays with what
# precedes it; a word inside a string may start a line.
_SCALAR, _OPEN, _GLUED, _WORD = range(4)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # beyond Python's int-to-str digit limit
            return f"<integer of {value.bit_length()} bits>"
    if isinstance(value, float):
        return json.dumps(value)
    # Not a JSON type (a caller's own object): shown as its text, made safe all the same.
    return printable(repr(value))


def _pieces(value: object, depth: int = 0) -> Iterator[tuple[str, int]]:
    """Compact JSON text of `value` in pieces, each with how it joins its neighbours."""
    if isinstance(value, str):
        words = _AFTER_SPACE.split(quote(value))
        yield words[0], _SCALAR
        for word in words[1:]:
            yield word, _WORD
    elif depth >= MAX_DEPTH and isinstance(value, (dict, list, tuple)):
        yield ELLIPSIS, _SCALAR
    elif isinstance(value, dict):
        yield "{", _OPEN
        for index, (key, member) in enumerate(value.items()):
            if index:
                yield ",", _GLUED
            yield quote(key if isinstance(key, str) else str(key)), _SCALAR
            yield ":", _GLUED
            yield from _pieces(member, depth + 1)
        yield "}", _GLUED
    elif isinstance(value, (list, tuple)):
        yield "[", _OPEN
        for index, member in enumerate(value):
            if index:
                yield ",", _GLUED
            yield from _pieces(member, depth + 1)
        yield "]", _GLUED
    else:
        yield _scalar(value), _SCALAR


def value_atoms(value: object, kind: Kind = "value") -> Iterator[Atom]:
    """`value` as compact JSON, in the pieces a line may break between: `{"a":` `[1,` `2]}`.
    Lazy, so a preview of a 256 KB value reads only its start."""
    parts: list[str] = []
    after_open = False
    for text, joins in _pieces(value):
        if parts and joins != _GLUED and not after_open:
            yield (("".join(parts), kind),)
            parts = []
        parts.append(text)
        after_open = joins == _OPEN
    if parts:
        yield (("".join(parts), kind),)


def render_value(value: object) -> str:
    """Compact JSON of an event value, every string made printable."""
    return "".join(text for atom in value_atoms(value) for text, _ in atom)


def text_atoms(text: str, kind: Kind) -> Iterator[Atom]:
    """Plain text (made printable) in words, each with the spaces after it."""
    for word in _AFTER_SPACE.split(printable(text)):
        yield ((word, kind),)


# -- wrapping ------------------------------------------------------------------------------


def _is_separator(atom: Atom) -> bool:
    return all(kind == "gap" for _, kind in atom)


@dataclass
class _Wrapper:
    """Atoms onto lines: `first` cells on the first line, `rest` on each further one."""

    first: int
    rest: int
    char_width: CharWidth
    limit: int | None
    lines: list[list[Span]]
    used: int = 0
    more: bool = False  # content was left out beyond `limit` lines

    @property
    def room(self) -> int:
        return (self.first if len(self.lines) == 1 else self.rest) - self.used

    @property
    def empty(self) -> bool:
        return not self.lines[-1]

    def newline(self) -> bool:
        """Start a line; False (and `more`) when that would pass the limit."""
        if self.limit is not None and len(self.lines) >= self.limit:
            self.more = True
            return False
        self.lines.append([])
        self.used = 0
        return True

    def put(self, text: str, kind: Kind, cells: int) -> None:
        self.lines[-1].append((text, kind))
        self.used += cells

    def add(self, atom: Atom) -> bool:
        """Place one atom; False once the limit is reached."""
        cells = _atom_width(atom, self.char_width)
        if _is_separator(atom):
            if self.empty:
                return True  # a line never starts with a separator
            if cells > self.room:
                return self.newline()
            for text, kind in atom:
                self.put(text, kind, _width(text, self.char_width))
            return True
        # Whole on the next line when it fits there, or when this one has little room.
        move = cells <= self.rest or self.room < min(MIN_SPLIT_ROOM, self.rest)
        if cells > self.room and not self.empty and move and not self.newline():
            return False
        if cells <= self.room:
            for text, kind in atom:
                self.put(text, kind, _width(text, self.char_width))
            return True
        return self._split(atom)

    def _split(self, atom: Atom) -> bool:
        """An atom longer than the room left: as much as fits, then the rest on new lines."""
        for text, kind in atom:
            if kind == "gap" and self.empty:
                continue  # the space after the arrow, where the arrow ended a line
            while text:
                count = _fit(text, self.room, self.char_width)
                if count < len(text):
                    count = _split_point(text, count)
                if count == 0:
                    if self.empty:  # a wide character on a line too narrow: never loop
                        count = 1
                    elif not self.newline():
                        return False
                    else:
                        continue
                piece, text = text[:count], text[count:]
                self.put(piece, kind, _width(piece, self.char_width))
                if text and not self.newline():
                    return False
        return True


def wrap_atoms(
    atoms: Iterable[Atom],
    first: int,
    rest: int,
    *,
    limit: int | None = None,
    char_width: CharWidth = char_cell_width,
    start: Iterable[Span] = (),
) -> tuple[list[list[Span]], bool]:
    """`atoms` on lines with room for `first` cells, then `rest` cells each, and whether some
    were left out to keep within `limit` lines.

    `start`: spans already on the first line, outside its room (a key): after them an atom
    that does not fit moves to the next line, if it fits there, rather than being split."""
    wrapper = _Wrapper(max(0, first), max(1, rest), char_width, limit, [list(start)])
    for atom in atoms:
        if not wrapper.add(atom):
            break
    for line in wrapper.lines:
        while line and line[-1][1] == "gap":
            line.pop()
    return wrapper.lines, wrapper.more


def _with_ellipsis(line: Line, width: int, char_width: CharWidth) -> Line:
    """`line`, shortened if need be to `width - 1` cells, then an ellipsis."""
    spans = list(line)
    excess = sum(_width(text, char_width) for text, _ in spans) + 1 - width
    while spans and (excess > 0 or spans[-1][1] == "gap"):
        text, kind = spans.pop()
        cells = _width(text, char_width)
        if kind != "gap" and cells > excess:
            kept = text[: _fit(text, cells - max(0, excess), char_width)].rstrip(" ")
            if kept:
                spans.append((kept, kind))
                break
        excess -= cells
    return (*spans, (ELLIPSIS, "more"))


# -- items ---------------------------------------------------------------------------------


def _row_atoms(row: DiffRow) -> Iterator[Atom]:
    """The value part of a row: `x`, `asked -> got`, then `(note)`."""
    if row.status is Status.CHANGED:
        yield from value_atoms(row.requested, "asked")
        yield _SEPARATOR
        # The arrow stays with the start of the answer, so a line never ends on it.
        got = (
            value_atoms(row.response)
            if row.response is not MISSING
            else text_atoms("(absent)", "note")
        )
        head = next(got, ())
        yield ((ARROW, "arrow"), (" ", "gap"), *head)
        yield from got
    else:
        shown = row.response if row.status is Status.SET_BY_AWS else row.requested
        yield from value_atoms(shown)
    if row.detail:
        yield _SEPARATOR
        yield from text_atoms(f"({row.detail})", "note")


@dataclass(frozen=True)
class _Columns:
    width: int
    key: int  # the key column

    @property
    def value(self) -> int:
        """Where values start (and wrapped values go on)."""
        return 1 + SYMBOL_GAP + self.key + SYMBOL_GAP


def _gap(cells: int) -> Span:
    return (" " * cells, "gap")


def _indented(lines: list[list[Span]], indent: int) -> list[Line]:
    """Every line but the first, `indent` cells in."""
    return [
        tuple(line) if index == 0 else (_gap(indent), *line) for index, line in enumerate(lines)
    ]


def _finish(lines: list[Line], more: bool, width: int, char_width: CharWidth) -> list[Line]:
    if more and lines:
        lines[-1] = _with_ellipsis(lines[-1], width, char_width)
    return lines


def _row_lines(
    row: DiffRow, columns: _Columns, limit: int | None, char_width: CharWidth
) -> tuple[list[Line], bool]:
    width = columns.width
    key = printable(row.key)
    key_cells = _width(key, char_width)
    symbol: Span = (row.status.symbol, "symbol")
    head: list[Span] = [symbol, _gap(SYMBOL_GAP)]
    rest = width - columns.value
    if key_cells > width - len(head[1][0]) - 1:
        # Longer than the whole line (only a made-up record has such keys): the key's own
        # lines, then the value under the value column.
        key_lines, _ = wrap_atoms(
            [((key, "key"),)], width - 1 - SYMBOL_GAP, width - 1 - SYMBOL_GAP, start=head
        )
        lines = _indented(key_lines, 1 + SYMBOL_GAP)
        value, more = wrap_atoms(
            _row_atoms(row),
            rest,
            rest,
            limit=None if limit is None else max(1, limit - len(lines)),
            char_width=char_width,
        )
        lines.extend((_gap(columns.value), *line) for line in value)
        return _finish(lines, more, width, char_width), more
    pad = max(0, columns.key - key_cells) + SYMBOL_GAP
    start = [*head, (key, "key"), _gap(pad)]
    first = width - (1 + SYMBOL_GAP + key_cells + pad)
    value, more = wrap_atoms(
        _row_atoms(row), first, rest, limit=limit, char_width=char_width, start=start
    )
    lines = _indented(value, columns.value)
    return _finish(lines, more, width, char_width), more


def _text_lines(
    atoms: Iterable[Atom], width: int, limit: int | None, char_width: CharWidth
) -> tuple[list[Line], bool]:
    lines, more = wrap_atoms(atoms, width, width, limit=limit, char_width=char_width)
    return _finish([tuple(line) for line in lines], more, width, char_width), more


def _summary_atoms(diff: Diff) -> Iterator[Atom]:
    prefix, groups = diff.summary_parts()
    if prefix:
        yield from text_atoms(prefix, "summary")
    for index, group in enumerate(groups):
        if index or prefix:
            yield _SUMMARY_SEPARATOR
        yield ((group, "summary"),)  # a group is never broken: `= 5 applied`
    if diff.note:
        if prefix or groups:
            yield _SUMMARY_SEPARATOR
        yield from text_atoms(diff.note, "summary")


def fold_text(count: int, shown: bool) -> str:
    """The line that stands for the keys set by AWS."""
    status = Status.SET_BY_AWS
    return f"{status.symbol} {count} {status.label} (a: {'hide' if shown else 'show'})"


def _items(diff: Diff, show_aws: bool) -> tuple[Item, ...]:
    items: list[Item] = []
    if diff.kind == "failed" and diff.error_message:
        items.append(Item("error"))
    by_aws = [row for row in diff.rows if row.status is Status.SET_BY_AWS]
    asked = (row for row in diff.rows if row.status is not Status.SET_BY_AWS)
    items.extend(Item("row", row.status, row) for row in asked)
    if by_aws:
        items.append(Item("fold", Status.SET_BY_AWS))
        if show_aws:
            items.extend(Item("row", row.status, row) for row in by_aws)
    return tuple(items)


def key_column(rows: Iterable[DiffRow], width: int, char_width: CharWidth = char_cell_width) -> int:
    """The key column: wide enough for nine keys in ten, up to MAX_KEY_COLUMN and two fifths
    of the width. A longer key keeps its value on its line, after it."""
    widths = sorted(_width(printable(row.key), char_width) for row in rows)
    if not widths:
        return 1
    # One or two long keys (`iAMDatabaseAuthenticationEnabled`) do not narrow every value.
    whole = -(-len(widths) * KEY_COLUMN_SHARE_TENTHS // 10)  # rounded up: at least one
    # Keys just longer than that still fit: overflowing by a cell or two reads as a glitch.
    covered = max(w for w in widths if w <= widths[whole - 1] + KEY_COLUMN_SLACK)
    return max(1, min(covered, MAX_KEY_COLUMN, width * 2 // 5))


def layout_diff(
    diff: Diff,
    width: int,
    *,
    show_aws: bool = False,
    expanded: int | None = None,
    max_lines: int = MAX_ROW_LINES,
    char_width: CharWidth = char_cell_width,
) -> DiffLayout:
    """The lines of `diff` at `width` cells: the summary, then every item, each cut to
    `max_lines` lines but the `expanded` one. The keys set by AWS are listed only with
    `show_aws` (else one line stands for them)."""
    width = max(width, MIN_WIDTH)
    items = _items(diff, show_aws)
    rows = [item.row for item in items if item.row is not None]
    columns = _Columns(width, key_column(rows, width, char_width))
    header, _ = _text_lines(_summary_atoms(diff), width, None, char_width)
    lines: list[Line] = list(header)
    line_items = [-1] * len(lines)
    starts: list[int] = []
    cut: set[int] = set()
    whole: int | None = None
    by_aws = sum(1 for row in diff.rows if row.status is Status.SET_BY_AWS)
    for index, item in enumerate(items):
        opened = index == expanded
        limit = None if opened else max_lines
        if item.row is not None:
            item_lines, more = _row_lines(item.row, columns, limit, char_width)
        elif item.kind == "error":
            text = f"{diff.error_code}: {diff.error_message}"
            item_lines, more = _text_lines(text_atoms(text, "error"), width, limit, char_width)
        else:
            atoms = text_atoms(fold_text(by_aws, show_aws), "fold")
            item_lines, more = _text_lines(atoms, width, None, char_width)
        if more:
            cut.add(index)
        elif opened and len(item_lines) > max_lines:
            whole = index
        starts.append(len(lines))
        lines.extend(item_lines)
        line_items.extend([index] * len(item_lines))
    starts.append(len(lines))
    return DiffLayout(width, lines, line_items, items, starts, frozenset(cut), whole)
