"""What a `pip install .` (not editable) ships: every data file the package reads.

An install that lacked `cache/zdict.bin` (its glob matched only the package's top folder)
wrote every record without the zstd dictionary: caches 4x the size, and loading a third
slower, while the editable install the tests run from had it."""

from __future__ import annotations

from pathlib import Path

import pytest

import rdstrail_tui
from rdstrail_tui.cache.codec import packaged_dictionary

pytestmark = pytest.mark.unit

PACKAGE = Path(rdstrail_tui.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_every_data_file_in_the_package_is_shipped() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+; the main CI run has it
    if not PYPROJECT.is_file():
        pytest.skip("not run from a source tree")
    config = tomllib.loads(PYPROJECT.read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["rdstrail_tui"]
    shipped = {path for pattern in patterns for path in PACKAGE.glob(pattern)}
    data = {
        path
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts
    }
    assert data, "the package holds no data files: the check looked in the wrong place"
    assert sorted(str(p.relative_to(PACKAGE)) for p in data - shipped) == []


def test_the_record_dictionary_is_there() -> None:
    assert len(packaged_dictionary()) > 1024
