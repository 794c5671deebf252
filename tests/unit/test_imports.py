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
    found: list[str] = []
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


SHARED = Path(__file__).parent.parent / "data" / "rds-events"


def test_the_tui_does_import_textual() -> None:
    # The check above must be able to see an import at all.
    assert any(textual_imports(path) for path in TUI.rglob("*.py"))


def loaded_modules(code: str) -> set[str]:
    """Every module a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    return set(result.stdout.split())


def roots(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


def test_the_version_loads_no_ui_no_aws_no_numpy() -> None:
    """`rdstrail --version` (and so every command's start) pays for none of them."""
    code = (
        "import contextlib, io\n"
        "from rdstrail_tui.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--version'])"
    )
    modules = loaded_modules(code)
    loaded = roots(modules)
    assert "rdstrail_tui" in loaded  # the probe did run the command line
    assert loaded.isdisjoint({"textual", "boto3", "botocore", "numpy"})
    # Nor for the RDS API model, the diff or `show`: only the commands that use them do.
    assert modules.isdisjoint(
        {"rdstrail_tui.model.rds_api", "rdstrail_tui.present.diff", "rdstrail_tui.cli.show"}
    )


def test_a_query_never_reads_the_rds_model(tmp_path: Path) -> None:
    """Ingest and a query (any format) use the name rule and the risk table, never the
    model file: reading it is for the diff, the card and the field help."""
    code = (
        "import sys\n"
        "from rdstrail_tui.cli.main import main\n"
        "from rdstrail_tui.model import rds_api\n"
        f"cache = {str(tmp_path / 'c.db')!r}\n"
        f"assert main(['load', '--cache', cache, {str(SHARED)!r}]) == 0\n"
        "for form in ('table', 'csv', 'jsonl'):\n"
        "    assert main(['query', '--cache', cache, 'is:risky', '--format', form]) == 0\n"
        "assert main(['stats', '--cache', cache]) == 0\n"
        "print('read' if rds_api._loaded else 'unread', file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stderr.splitlines()[-1] == "unread", result.stderr


def test_a_query_loads_no_ui_and_no_aws() -> None:
    loaded = roots(loaded_modules("import rdstrail_tui.cli.main, rdstrail_tui.cli.query"))
    assert loaded.isdisjoint({"textual", "boto3", "botocore"})


def test_the_explorer_loads_no_command_line() -> None:
    """Everything the explorer may import, its lazy imports included: no argparse, and
    nothing of the CLI package."""
    modules = loaded_modules(
        "import rdstrail_tui.tui.app, rdstrail_tui.tui.screens.sync, "
        "rdstrail_tui.tui.screens.load, rdstrail_tui.sources.request, "
        "rdstrail_tui.sources.config, rdstrail_tui.demo.shipped_cache"
    )
    assert "textual" in roots(modules)  # the probe did load the explorer
    assert "argparse" not in modules
    assert not {name for name in modules if name.startswith("rdstrail_tui.cli")}


def test_the_explorer_paints_before_numpy_and_the_other_screens() -> None:
    """What the first screen waits for: the app and its main screen import neither numpy
    (the index is mapped by a thread after the first paint), nor the screens opened from
    it, nor any command but the explorer's."""
    modules = loaded_modules(
        "import rdstrail_tui.cli.main, rdstrail_tui.cli.explore, rdstrail_tui.tui.app"
    )
    assert "textual" in roots(modules)
    assert "numpy" not in roots(modules)
    later = {
        "rdstrail_tui.query.memory",
        "rdstrail_tui.query.index_store",
        "rdstrail_tui.tui.screens.history",
        "rdstrail_tui.tui.screens.resources",
        "rdstrail_tui.tui.screens.compare",
        "rdstrail_tui.tui.screens.help",
        "rdstrail_tui.tui.screens.export",
        "rdstrail_tui.tui.screens.copy",
        "rdstrail_tui.tui.screens.confirm",
        "rdstrail_tui.tui.screens.load",
        "rdstrail_tui.query.export",
        "rdstrail_tui.sources.load",
        "rdstrail_tui.cli.load",
        "rdstrail_tui.cli.query",
    }
    assert modules.isdisjoint(later), sorted(modules & later)
