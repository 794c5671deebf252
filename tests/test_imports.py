"""The command line must start fast and work without the TUI: only rdstrail_tui/tui/ may
import textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rdstrail_tui

PACKAGE = Path(rdstrail_tui.__file__).parent
TUI = PACKAGE / "tui"


def textual_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.extend(
            f"{path.relative_to(PACKAGE)}:{node.lineno}: {name}"
            for name in names
            if name == "textual" or name.startswith("textual.")
        )
    return found


def test_only_the_tui_imports_textual() -> None:
    modules = [path for path in PACKAGE.rglob("*.py") if TUI not in path.parents]
    assert len(modules) > 10
    offenders = [hit for path in modules for hit in textual_imports(path)]
    assert offenders == []


def test_the_tui_does_import_textual() -> None:
    # The check above must be able to see an import at all.
    assert any(textual_imports(path) for path in TUI.rglob("*.py"))


def test_importing_the_cli_does_not_load_textual() -> None:
    code = (
        "import sys, rdstrail_tui.cli, rdstrail_tui.commands; "
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
