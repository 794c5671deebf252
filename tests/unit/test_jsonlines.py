"""Display lines of a JSON value: layout, wrapping, folding, masks and hostile text."""

from __future__ import annotations

import json
from collections.abc import Set
from typing import Any

import pytest

from rdstrail_tui.present.json_layout import (
    ELLIPSIS,
    JsonDocument,
    Line,
    char_cell_width,
    is_masked,
    line_text,
    message_layout,
    quote,
    wrap,
)
from tests.conftest import GUIDE_FILE

RAW = ("\x1b", "\x07", "\x08", "\u202e", "\x9b", "\n", "\r", "\t", "\x00", "\x7f")


def lines(value: object, width: int = 80, folded: Set[int] = frozenset()) -> list[str]:
    return JsonDocument(value).layout(width, folded).text()


def cells(text: str) -> int:
    return sum(char_cell_width(char) for char in text)


def guide_record() -> dict[str, Any]:
    record: dict[str, Any] = json.loads(GUIDE_FILE.read_bytes())["Records"][0]
    return record


def row_of(document: JsonDocument, prefix: str) -> int:
    """The first row whose unfolded text starts (after indentation) with `prefix`."""
    for index in range(len(document.rows)):
        if line_text(document.row_spans(index)).startswith(prefix):
            return index
    raise AssertionError(f"no row starts with {prefix!r}")


def assert_safe(all_lines: list[Line]) -> None:
    for line in all_lines:
        for text, _ in line:
            for char in RAW:
                assert char not in text, (char, text)


# -- layout --------------------------------------------------------------------------------


def test_nested_objects_and_arrays_are_indented_two_spaces_in_record_order() -> None:
    value = {"b": 1, "a": {"z": [True, None], "y": "s"}, "c": []}
    assert lines(value) == [
        "{",
        '  "b": 1,',
        '  "a": {',
        '    "z": [',
        "      true,",
        "      null",
        "    ],",
        '    "y": "s"',
        "  },",
        '  "c": []',
        "}",
    ]


def test_empty_containers_and_scalars_at_the_top() -> None:
    assert lines({}) == ["{}"]
    assert lines([]) == ["[]"]
    assert lines({"o": {}, "a": []}) == ["{", '  "o": {},', '  "a": []', "}"]
    assert lines("text") == ['"text"']
    assert lines(None) == ["null"]


def test_numbers_booleans_and_null() -> None:
    value = [0, -12, 3.5, 1e300, -0.0, 10**20, True, False, None]
    assert lines(value) == [
        "[",
        "  0,",
        "  -12,",
        "  3.5,",
        "  1e+300,",
        "  -0.0,",
        "  100000000000000000000,",
        "  true,",
        "  false,",
        "  null",
        "]",
    ]


def test_spans_carry_their_kinds() -> None:
    document = JsonDocument({"k": "v", "n": 1, "b": False, "z": None})
    layout = document.layout(80)
    kinds = {text: kind for line in layout.lines for text, kind in line}
    assert kinds['"k"'] == "key"
    assert kinds['"v"'] == "string"
    assert kinds["1"] == "number"
    assert kinds["false"] == "boolean"
    assert kinds["null"] == "null"
    assert kinds["{"] == kinds["}"] == kinds[": "] == kinds[","] == "punctuation"


def test_unicode_is_kept_and_strings_are_shown_as_json_writes_them() -> None:
    value = {"name": "café 日本", "quote": 'say "hi"', "path": "C:\\temp", "nl": "a\nb\tc"}
    assert lines(value) == [
        "{",
        '  "name": "café 日本",',
        '  "quote": "say \\"hi\\"",',
        '  "path": "C:\\\\temp",',
        '  "nl": "a\\nb\\tc"',
        "}",
    ]


def test_the_guide_record_lays_out_like_json_dumps_indent_2() -> None:
    record = guide_record()
    assert (
        lines(record, width=200)
        == json.dumps(record, indent=2).replace('"****"', '"****" masked').splitlines()
    )


# -- wrapping ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", [12, 24, 40])
def test_wrapped_lines_fit_the_width_and_keep_all_the_text(width: int) -> None:
    value = {
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 prompt/off command/rds",
        "arn": "arn:aws:rds:us-east-1:111122223333:db:" + "x" * 90,
        "wide": "日本語のテキスト" * 6,
        "deep": [[[[[[[[[["bottom of a very deep array"]]]]]]]]]],
        "number": 10**40,
    }
    layout = JsonDocument(value).layout(width)
    for text in layout.text():
        assert cells(text) <= width, text
    # Nothing is cut off: apart from whitespace, the text is json.dumps's.
    shown = "".join("".join(layout.text()).split())
    assert shown == "".join(json.dumps(value, ensure_ascii=False).split())


def test_continuation_lines_are_indented_under_the_value() -> None:
    value = {"message": "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda"}
    text = lines(value, width=40)
    assert text[1] == '  "message": "alpha beta gamma delta '
    column = len('  "message": "')
    for continuation in text[2:-1]:
        assert continuation[:column] == " " * column
        assert continuation[column] != " "
    assert text[-2].endswith('lambda"')
    # Nothing lost: the words come back in order when the lines are joined.
    assert " ".join(part.strip() for part in text[1:-1]).split() == [
        '"message":',
        '"alpha',
        *["beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"],
        'lambda"',
    ]


def test_a_string_without_spaces_is_split_anywhere() -> None:
    text = lines(["x" * 50], width=20)
    assert text[1] == '  "' + "x" * 17
    assert all(len(line) <= 20 for line in text)
    assert "".join(line.strip() for line in text[1:-1]) == '"' + "x" * 50 + '"'


def test_short_punctuation_and_notes_move_whole_to_the_next_line() -> None:
    wrapped = wrap((("a" * 8, "string"), (" masked", "masked"), (",", "punctuation")), 12)
    assert [line_text(line) for line in wrapped] == ["a" * 8, " masked,"]


def test_a_one_cell_line_still_makes_progress_with_wide_characters() -> None:
    wrapped = wrap((("日本", "string"),), 1)
    assert [line_text(line) for line in wrapped] == ["日", "本"]


# -- folding -------------------------------------------------------------------------------


def test_folding_one_container_hides_its_members_and_summarises_it() -> None:
    document = JsonDocument(guide_record())
    params = row_of(document, '"requestParameters"')
    unfolded = document.layout(80).text()
    folded = document.layout(80, {params}).text()
    assert '  "requestParameters": {…} 7 keys,' in folded
    assert len(unfolded) - len(folded) == 13  # 7 keys, 4 array items and 2 brackets
    assert not any("enableCloudwatchLogsExports" in line for line in folded)
    assert document.layout(80, frozenset()).text() == unfolded


def test_folded_summaries_count_keys_and_items() -> None:
    document = JsonDocument({"one": {"a": 1}, "list": [1, 2, 3], "single": [1]})
    folded = set(document.openers()) - {0}
    assert lines(document.value, folded=folded) == [
        "{",
        f'  "one": {{{ELLIPSIS}}} 1 key,',
        f'  "list": [{ELLIPSIS}] 3 items,',
        f'  "single": [{ELLIPSIS}] 1 item',
        "}",
    ]
    assert ELLIPSIS == "…"
    kinds = [kind for text, kind in document.layout(80, folded).lines[1]]
    assert kinds == [
        "plain",  # the indentation
        "key",
        "punctuation",
        "punctuation",
        "folded",
        "punctuation",
        "folded",
        "punctuation",
    ]


def test_fold_all_below_the_top_and_unfold_all() -> None:
    document = JsonDocument(guide_record())
    folded = document.below_top()
    text = document.layout(80, folded).text()
    assert text[0] == "{" and text[-1] == "}"
    assert '  "userIdentity": {…} 6 keys,' in text
    assert '  "requestParameters": {…} 7 keys,' in text
    assert '  "responseElements": {…} 32 keys,' in text
    assert len(text) == len(guide_record()) + 2
    assert document.layout(80, frozenset()).text() == lines(guide_record())


def test_the_outermost_container_folds_too() -> None:
    assert lines({"a": {"b": 1}}, folded={0}) == ["{…} 1 key"]


def test_container_of_and_visible_row() -> None:
    document = JsonDocument({"a": {"b": 1, "c": [2]}})
    a = row_of(document, '"a"')
    b = row_of(document, '"b"')
    close_a = document.rows[a].end
    assert document.container_of(a) == a
    assert document.container_of(b) == a
    assert document.container_of(close_a) == a
    assert document.enclosing(a) == 0
    assert document.enclosing(close_a) == a
    assert document.container_of(0) == 0
    assert document.enclosing(0) is None
    c = row_of(document, '"c"')
    assert document.visible_row(c + 1, {c}) == c
    assert document.visible_row(c + 1, {a, c}) == a
    assert document.visible_row(c + 1, set()) == c + 1


def test_layout_maps_lines_to_rows_and_back() -> None:
    document = JsonDocument({"message": "word " * 30, "after": 1})
    layout = document.layout(30)
    message = row_of(document, '"message"')
    span = layout.row_lines(message)
    assert len(span) > 1
    assert {layout.row_at(line) for line in span} == {message}
    assert layout.row_at(10_000) == layout.rows[-1]


# -- masks and hostile text ----------------------------------------------------------------


def test_masked_values_are_marked() -> None:
    text = lines({"masterUserPassword": "****", "next": 1})
    assert text[1] == '  "masterUserPassword": "****" masked,'
    spans = JsonDocument({"p": "****"}).layout(80).lines[1]
    assert (" masked", "masked") in spans
    assert is_masked("*******")
    assert not is_masked("*")  # an IAM wildcard
    assert not is_masked("a***")
    assert not is_masked(4)


HOSTILE = {
    "userAgent": "[bold red]hi[/]\x1b]52;c;aGk=\x07",
    "errorMessage": "\x1b[2J\x08",
    "bad\x1bkey": "value",
    "name": "abc\u202edef",
    "c1": "\x9b31m",
}


def test_hostile_text_is_escaped_and_never_markup() -> None:
    layout = JsonDocument(HOSTILE).layout(80)
    assert_safe(layout.lines)
    text = "\n".join(layout.text())
    assert '"userAgent": "[bold red]hi[/]\\x1b]52;c;aGk=\\x07"' in text
    assert '"errorMessage": "\\x1b[2J\\x08"' in text
    assert '"bad\\x1bkey": "value"' in text
    assert '"name": "abc\\u202edef"' in text
    assert '"c1": "\\x9b31m"' in text


@pytest.mark.parametrize("width", [1, 7, 13, 80])
def test_hostile_text_stays_escaped_when_wrapped(width: int) -> None:
    assert_safe(JsonDocument(HOSTILE).layout(width).lines)


def test_a_backslash_in_the_text_cannot_pass_for_an_escape() -> None:
    assert quote("\\x1b") == '"\\\\x1b"'
    assert quote("\x1b") == '"\\x1b"'


def test_messages_are_wrapped_and_escaped() -> None:
    layout = message_layout("No event\x1b[2J selected", 80)
    assert layout.text() == ["No event\\x1b[2J selected"]
    assert_safe(layout.lines)
    assert message_layout("a\nb", 80).text() == ["a", "b"]


def test_deep_nesting_does_not_hit_the_recursion_limit() -> None:
    value: object = "bottom"
    for _ in range(5000):
        value = [value]
    text = lines(value, width=40)
    assert len(text) == 10_001
    assert all(len(line) <= 40 for line in text)
