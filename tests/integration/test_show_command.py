"""The installed `rdstrail show` in real processes: its output to a pipe whose reader has
gone (`rdstrail show ID | head -1`, or a closed pipe) ends quietly with exit 0, in both
formats, and its text is cut to 80 columns in a pipe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rdstrail_tui.demo.guide import guide_record
from tests.conftest import write_trail

RDSTRAIL = Path(sys.executable).parent / "rdstrail"


@pytest.fixture
def guide_id(tmp_path: Path) -> str:
    assert RDSTRAIL.exists(), f"rdstrail is not installed next to {sys.executable}"
    record = guide_record()
    trail = write_trail(tmp_path / "in" / "trail.json", [record])
    subprocess.run([str(RDSTRAIL), "load", str(trail)], check=True, capture_output=True)
    event_id: str = record["eventID"]
    return event_id


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_reader_that_has_gone_ends_quietly(guide_id: str, output: str) -> None:
    # The read end is closed before the command writes: its first write meets EPIPE.
    read, write = os.pipe()
    os.close(read)
    try:
        completed = subprocess.run(
            [str(RDSTRAIL), "show", guide_id, "--format", output],
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert completed.returncode == 0
    assert completed.stderr == b""


def test_show_into_head(guide_id: str) -> None:
    completed = subprocess.run(
        f"{RDSTRAIL} show {guide_id} | head -1",
        shell=True,
        capture_output=True,
        timeout=60,
        check=False,
        env={**os.environ, "COLUMNS": ""},
    )
    assert completed.stderr == b""
    assert completed.stdout.decode().startswith("2018-07-30 22:14:06 UTC  CreateDBInstance")


def test_piped_text_is_80_columns_and_json_is_whole(guide_id: str) -> None:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    text = subprocess.run(
        [str(RDSTRAIL), "show", guide_id], capture_output=True, env=env, timeout=60, check=True
    ).stdout.decode()
    assert max(len(line) for line in text.splitlines()) == 80
    data = subprocess.run(
        [str(RDSTRAIL), "show", guide_id, "--format", "json"],
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    rows = {row["key"]: row for row in json.loads(data)["diff"]["rows"]}
    assert rows["dBInstanceArn"]["response"] == (
        "arn:aws:rds:us-east-1:123456789012:db:test-instance"
    )
