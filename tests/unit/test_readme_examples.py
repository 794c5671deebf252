"""The README's own examples return rows: every `rdstrail query ...` and `rdstrail stats ...`
line of the block after "Then, with your own trail:", run against the demo (`--demo`), as
the README tells a new user to try them."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).parents[2] / "README.md"
INTRODUCTION = "Then, with your own trail:"
# What ends the rdstrail part of a shell line: a pipe into jq, a redirection into a file.
SHELL_OPERATORS = {"|", ">", ">>", "2>", "&&", ";"}

Run = Callable[..., Any]


def readme_examples() -> list[list[str]]:
    """The arguments after `rdstrail` of each query and stats example, without comments,
    pipes and redirections."""
    text = README.read_text(encoding="utf-8")
    block = text.split(INTRODUCTION, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    examples = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] != ["rdstrail"] or words[1:2] not in (["query"], ["stats"]):
            continue
        cut = next((i for i, word in enumerate(words) if word in SHELL_OPERATORS), len(words))
        examples.append(words[1:cut])
    return examples


EXAMPLES = readme_examples()


def test_the_readme_has_query_and_stats_examples() -> None:
    commands = {example[0] for example in EXAMPLES}
    assert commands == {"query", "stats"}
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("example", EXAMPLES, ids=" ".join)
def test_a_readme_example_returns_rows_on_the_demo(run_cli: Run, example: list[str]) -> None:
    result = run_cli("--demo", *example)
    assert result.code == 0, result.err
    assert "no events match" not in result.err
    if example[0] == "stats":
        assert not result.out.startswith("0 events")
        assert "EVENT NAME" in result.out
    else:
        header_lines = 1 if "csv" in example or "--format" not in example else 0
        assert len(result.out.splitlines()) > header_lines, result.out
