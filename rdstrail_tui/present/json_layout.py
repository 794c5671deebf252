"""A JSON value as display lines: pretty-printed, foldable and wrapped to a width.

The pure half of the detail pane (no Textual): `JsonDocument` flattens a value once into
logical rows (one per line of 2-space indented JSON); `JsonDocument.layout` turns those rows,
a set of folded containers and a width into `Layout.lines`, each a tuple of `(text, kind)`
spans. The widget only maps kinds to styles.

Every key and value comes from whoever called AWS, so all text that reaches a span has been
through `printable`: a span never holds a control, escape or bidi character.

One job at about 440 lines: flattening, folding and wrapping share the row model and the
cell-width rules, and are tested as one.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass, field
from itertools import islice
from typing import Final, Literal

from rdstrail_tui.model.masks import is_mask
from rdstrail_tui.present.sanitize import printable

Kind = Literal[
    "plain", "key", "string", "number", "boolean", "null", "punctuation", "masked", "folded"
]
Span = tuple[str, Kind]
Line = tuple[Span, ...]
CharWidth = Callable[[str], int]

ELLIPSIS: Final = "\u2026"  # one cell wide in every terminal font that has it
MASKED_NOTE: Final = " masked"
INDENT: Final = 2
# Indentation gives way before the text gets less than this many cells, or a third of the
# width on a wide pane, per line.
MIN_ROOM: Final = 10

_EMPTY: Final[Line] = ()
_COMMA: Final[Span] = (",", "punctuation")


def char_cell_width(char: str) -> int:
    """Terminal cells of one character, from the standard library's Unicode tables.

    The widget passes Rich's measure instead so wrapping agrees with rendering exactly."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def quote(text: str) -> str:
    """`text` as a JSON string literal, with every unsafe character as a visible escape.

    Backslash and quote are escaped first so an escape that `printable` adds (`\\x1b`)
    cannot be confused with a backslash that was in the text (shown `\\\\x1b`)."""
    return '"' + printable(text.replace("\\", "\\\\").replace('"', '\\"')) + '"'


def is_masked(value: object) -> bool:
    """True for one of CloudTrail's stand-ins for a secret (`****`,
    `HIDDEN_DUE_TO_SECURITY_REASONS`, ...: model.masks)."""
    return is_mask(value)


def line_text(line: Line) -> str:
    return "".join(text for text, _ in line)


@dataclass
class Row:
    """One line of the fully unfolded, unwrapped pretty-print."""

    depth: int
    head: tuple[Span, ...]  # `"key": ` for object members, empty otherwise
    body: tuple[Span, ...]  # the value, or the opening/closing bracket
    note: tuple[Span, ...] = ()  # annotation after the value: ` masked`
    comma: bool = False
    parent: int = -1  # row that opens the container this row is a member of
    end: int = -1  # on a row opening a non-empty container: its closing row
    opener: int = -1  # on a closing row: the row that opened it
    count: int = 0  # members of the container this row opens
    is_object: bool = False
    # Continuation lines of a wrapped string start one cell in, under its first character.
    hang_extra: int = 0

    @property
    def opens(self) -> bool:
        return self.end >= 0


@dataclass(frozen=True)
class Layout:
    """The display lines of a document at one width and fold state."""

    width: int
    lines: list[Line]
    line_rows: list[int]  # the row each line belongs to
    rows: list[int]  # the visible rows, in order
    starts: list[int]  # first line of each visible row, then len(lines)
    position: dict[int, int] = field(repr=False)  # row -> its index in `rows`

    def row_lines(self, row: int) -> range:
        """The display lines of a visible row (several when it is wrapped)."""
        index = self.position[row]
        return range(self.starts[index], self.starts[index + 1])

    def row_at(self, line: int) -> int:
        """The row shown on display line `line`, clamped to the first and last line."""
        if not self.line_rows:
            return 0
        return self.line_rows[max(0, min(line, len(self.line_rows) - 1))]

    def text(self) -> list[str]:
        return [line_text(line) for line in self.lines]


def _plural(count: int, one: str, many: str) -> str:
    return f" {count} {one if count == 1 else many}"


def _scalar(value: object) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The spans of a scalar (or empty container) value, and its annotation."""
    if isinstance(value, str):
        note: tuple[Span, ...] = ((MASKED_NOTE, "masked"),) if is_masked(value) else ()
        return ((quote(value), "string"),), note
    if value is None:
        return (("null", "null"),), ()
    if isinstance(value, bool):  # before int: bool is an int
        return (("true" if value else "false", "boolean"),), ()
    if isinstance(value, int):
        try:
            return ((str(value), "number"),), ()
        except ValueError:  # beyond Python's int-to-str digit limit
            return ((f"<integer of {value.bit_length()} bits>", "number"),), ()
    if isinstance(value, float):
        return ((json.dumps(value), "number"),), ()
    if isinstance(value, dict):
        return (("{}", "punctuation"),), ()
    if isinstance(value, (list, tuple)):
        return (("[]", "punctuation"),), ()
    # Not a JSON type (a caller's own object): shown as its text, made safe all the same.
    return ((printable(str(value)), "plain"),), ()


@dataclass
class _Frame:
    """A container being flattened: iteration is explicit so depth is not bounded by
    Python's recursion limit (the record is attacker-controlled)."""

    opener: int
    depth: int
    members: Iterator[tuple[tuple[Span, ...], object]]
    remaining: int


def _members(
    value: dict[object, object] | list[object] | tuple[object, ...],
) -> Iterator[tuple[tuple[Span, ...], object]]:
    if isinstance(value, dict):
        for key, member in value.items():
            text = key if isinstance(key, str) else str(key)
            yield ((quote(text), "key"), (": ", "punctuation")), member
    else:
        for member in value:
            yield (), member


def flatten(value: object) -> list[Row]:
    """The rows of `value` pretty-printed with every container unfolded."""
    rows: list[Row] = []
    stack: list[_Frame] = []

    def add(head: tuple[Span, ...], member: object, depth: int, parent: int, comma: bool) -> None:
        if isinstance(member, (dict, list, tuple)) and member:
            is_object = isinstance(member, dict)
            bracket = "{" if is_object else "["
            row = Row(depth, head, ((bracket, "punctuation"),), comma=comma, parent=parent)
            row.count, row.is_object = len(member), is_object
            stack.append(_Frame(len(rows), depth, _members(member), len(member)))
            rows.append(row)
            return
        body, note = _scalar(member)
        extra = 1 if isinstance(member, str) else 0
        rows.append(Row(depth, head, body, note, comma, parent, hang_extra=extra))

    add((), value, 0, -1, False)
    while stack:
        frame = stack[-1]
        if frame.remaining == 0:
            stack.pop()
            opened = rows[frame.opener]
            bracket = "}" if opened.is_object else "]"
            opened.end = len(rows)
            rows.append(
                Row(
                    frame.depth,
                    (),
                    ((bracket, "punctuation"),),
                    comma=opened.comma,
                    parent=opened.parent,
                    opener=frame.opener,
                )
            )
            continue
        head, member = next(frame.members)
        frame.remaining -= 1
        add(head, member, frame.depth + 1, frame.opener, frame.remaining > 0)
    return rows


def _fit(text: str, room: int, char_width: CharWidth) -> tuple[int, int]:
    """How many leading characters of `text` fit in `room` cells, and their width."""
    if text.isascii():  # printable ASCII only (sanitised): one cell per character
        count = min(len(text), room)
        return count, count
    used = 0
    for index, char in enumerate(text):
        cells = char_width(char)
        if used + cells > room:
            return index, used
        used += cells
    return len(text), used


def _width(text: str, char_width: CharWidth) -> int:
    return len(text) if text.isascii() else sum(char_width(char) for char in text)


# Spans of these kinds may be split anywhere; others (brackets, numbers, notes) move whole
# to the next line when they do not fit, unless they are longer than a whole line.
_BREAKABLE: Final[frozenset[str]] = frozenset({"key", "string", "plain"})


def wrap(
    spans: tuple[Span, ...],
    width: int,
    indent: int = 0,
    hang: int = 0,
    char_width: CharWidth = char_cell_width,
) -> list[Line]:
    """`spans` as lines no wider than `width` cells: the first starts `indent` cells in,
    the rest `indent + hang` cells in (less when that would leave too little room).

    A long string breaks after a space when one falls late in the line, else anywhere."""
    width = max(1, width)
    room = min(width, max(MIN_ROOM, width // 3))
    indent = min(indent, width - room)
    cont = indent
    for candidate in (indent + hang, indent + INDENT):
        if width - candidate >= room:
            cont = candidate
            break
    lines: list[Line] = []
    current: list[Span] = [(" " * indent, "plain")] if indent else []
    column = indent
    fresh = True  # nothing but indentation on the current line yet

    def newline() -> None:
        nonlocal current, column, fresh
        lines.append(tuple(current))
        current = [(" " * cont, "plain")] if cont else []
        column, fresh = cont, True

    for text, kind in spans:
        while text:
            count, cells = _fit(text, width - column, char_width)
            if count == len(text):
                current.append((text, kind))
                column, fresh = column + cells, False
                break
            # Rather than split here, go on at the next line when nothing fits on this one,
            # or when an unbreakable span would fit there whole.
            wrap_whole = count == 0 or (
                kind not in _BREAKABLE and _width(text, char_width) <= width - cont
            )
            if wrap_whole and not fresh:
                newline()
                continue
            if count == 0:  # a wide character on a line one cell wide: never loop
                count, cells = 1, char_width(text[0])
            elif kind in _BREAKABLE:
                space = text.rfind(" ", 0, count)
                if space + 1 > count * 2 // 3:
                    count = space + 1
                    cells = _width(text[:count], char_width)
            current.append((text[:count], kind))
            column, fresh = column + cells, False
            text = text[count:]
            if text:
                newline()
    lines.append(tuple(current))
    return lines


class JsonDocument:
    """A JSON value flattened once; laid out for any width and fold state on demand.

    Fold state is a set of opening rows (`Row.opens`). Wrapped rows are cached for the last
    width, so folding and unfolding only re-joins cached lines."""

    def __init__(self, value: object, char_width: CharWidth = char_cell_width) -> None:
        self.value = value
        self.rows = flatten(value)
        self._char_width = char_width
        self._wrap_width = -1
        self._wrapped: dict[tuple[int, bool], list[Line]] = {}

    # -- structure ---------------------------------------------------------------------

    def openers(self) -> list[int]:
        return [index for index, row in enumerate(self.rows) if row.opens]

    def below_top(self) -> frozenset[int]:
        """Every container except the outermost: what "fold all" folds."""
        return frozenset(index for index, row in enumerate(self.rows) if row.opens and row.depth)

    def container_of(self, row: int) -> int | None:
        """The container that `row` opens, closes, or else is a member of."""
        item = self.rows[row]
        if item.opens:
            return row
        if item.opener >= 0:
            return item.opener
        return item.parent if item.parent >= 0 else None

    def enclosing(self, row: int) -> int | None:
        """The container around `row`: for a closing row, the one it closes."""
        item = self.rows[row]
        outer = item.opener if item.opener >= 0 else item.parent
        return outer if outer >= 0 else None

    def path(self, row: int) -> tuple[str | int, ...]:
        """The keys (list positions as ints) from the top of the value to what `row` shows:
        `("responseElements", "vpcSecurityGroups", 0, "status")`; a closing row stands for
        the container it closes, the outermost value is `()`. Found by walking the rows up
        and the value down, on demand (the field help asks once per key press), so the rows
        carry nothing more for it."""
        rows = self.rows
        if rows[row].opener >= 0:
            row = rows[row].opener
        chain: list[tuple[int, int]] = []  # (container, position of the member in it)
        while rows[row].parent >= 0:
            parent = rows[row].parent
            chain.append((parent, self._position_in(parent, row)))
            row = parent
        path: list[str | int] = []
        value = self.value
        for _, position in reversed(chain):
            if isinstance(value, dict):
                key = next(islice(iter(value), position, None))
                path.append(key if isinstance(key, str) else str(key))
                value = value[key]
            elif isinstance(value, (list, tuple)):
                path.append(position)
                value = value[position]
        return tuple(path)

    def _position_in(self, container: int, row: int) -> int:
        """How many members of `container` come before its member `row`."""
        rows = self.rows
        member, position = container + 1, 0
        while member != row:
            member = rows[member].end + 1 if rows[member].opens else member + 1
            position += 1
        return position

    def visible_row(self, row: int, folded: Set[int]) -> int:
        """`row`, or the outermost folded container that hides it."""
        shown = row
        outer = self.enclosing(row)
        while outer is not None:
            if outer in folded:
                shown = outer
            outer = self.enclosing(outer)
        return shown

    def visible_rows(self, folded: Set[int]) -> list[int]:
        rows = self.rows
        visible: list[int] = []
        index = 0
        while index < len(rows):
            visible.append(index)
            index = rows[index].end + 1 if index in folded and rows[index].opens else index + 1
        return visible

    # -- text --------------------------------------------------------------------------

    def row_spans(self, row: int, folded: bool = False) -> tuple[Span, ...]:
        """The unwrapped text of a row: folded, a container shows as `{…} 7 keys`."""
        item = self.rows[row]
        # An opening row keeps its container's comma for when it is shown folded.
        comma = (_COMMA,) if item.comma and not (item.opens and not folded) else ()
        if folded and item.opens:
            if item.is_object:
                brackets, note = "{}", _plural(item.count, "key", "keys")
            else:
                brackets, note = "[]", _plural(item.count, "item", "items")
            return (
                *item.head,
                (brackets[0], "punctuation"),
                (ELLIPSIS, "folded"),
                (brackets[1], "punctuation"),
                (note, "folded"),
                *comma,
            )
        return (*item.head, *item.body, *item.note, *comma)

    def row_lines(self, row: int, width: int, folded: bool = False) -> list[Line]:
        """A row wrapped to `width`; cached while the width stays the same."""
        if width != self._wrap_width:
            self._wrapped.clear()
            self._wrap_width = width
        key = (row, folded and self.rows[row].opens)
        lines = self._wrapped.get(key)
        if lines is None:
            item = self.rows[row]
            hang = _width("".join(text for text, _ in item.head), self._char_width)
            lines = wrap(
                self.row_spans(row, key[1]),
                width,
                indent=item.depth * INDENT,
                hang=hang + item.hang_extra,
                char_width=self._char_width,
            )
            self._wrapped[key] = lines
        return lines

    def layout(self, width: int, folded: Set[int] = frozenset()) -> Layout:
        lines: list[Line] = []
        line_rows: list[int] = []
        starts: list[int] = []
        visible = self.visible_rows(folded)
        for row in visible:
            starts.append(len(lines))
            wrapped = self.row_lines(row, width, row in folded)
            lines.extend(wrapped)
            line_rows.extend([row] * len(wrapped))
        starts.append(len(lines))
        position = {row: index for index, row in enumerate(visible)}
        return Layout(width, lines, line_rows, visible, starts, position)


def message_layout(text: str, width: int, char_width: CharWidth = char_cell_width) -> Layout:
    """A plain message (made safe) as a layout of its own, one row per line of text."""
    lines: list[Line] = []
    line_rows: list[int] = []
    starts: list[int] = []
    for row, part in enumerate(text.split("\n")):
        starts.append(len(lines))
        wrapped = wrap(((printable(part), "plain"),), width, char_width=char_width)
        lines.extend(wrapped)
        line_rows.extend([row] * len(wrapped))
    starts.append(len(lines))
    rows = list(range(len(starts) - 1))
    return Layout(width, lines, line_rows, rows, starts, {row: row for row in rows})


__all__ = [
    "ELLIPSIS",
    "MASKED_NOTE",
    "CharWidth",
    "JsonDocument",
    "Kind",
    "Layout",
    "Line",
    "Row",
    "Span",
    "char_cell_width",
    "flatten",
    "is_masked",
    "line_text",
    "message_layout",
    "quote",
    "wrap",
]
