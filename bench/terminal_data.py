"""The terminal benchmark's data: which rdstrail is under test, the generated trail and its
cache, and what the screen must show (counts of each typed prefix, the oldest event).

Everything is made through the installed command and its own Python, never by importing
rdstrail_tui here: the benchmark measures installs (the code before a change, the code
after) side by side. The trail is shared by all installs; a cache is made per version of the
code that writes it (an older rdstrail cannot open a cache a newer one has migrated).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The installed package's parts that decide what a loaded cache holds.
LOAD_PATH_PARTS = ("cache", "ingest", "model", "sources")


@dataclass(frozen=True)
class Subject:
    """One installed rdstrail: its command, its Python, its package directory."""

    rdstrail: Path
    python: Path
    package: Path
    version: str
    textual: str


@dataclass(frozen=True)
class Expected:
    total: int
    counts: dict[str, int]  # events matching each prefix of the typed filter
    oldest: str  # the oldest event's time as the list shows it: what End brings on screen


def subject_of(rdstrail: Path) -> Subject:
    """The rdstrail at `rdstrail` and the Python its script runs with (its shebang)."""
    if not rdstrail.exists():
        raise SystemExit(f"no rdstrail at {rdstrail}")
    first_line = rdstrail.read_text(errors="replace").splitlines()[0]
    python = Path(first_line[2:].strip()) if first_line.startswith("#!") else Path()
    if not python.is_file():
        python = rdstrail.parent / "python"
    probe = subprocess.run(
        [
            str(python),
            "-I",  # isolated: a source tree in the current directory must not shadow the install
            "-c",
            "import importlib.metadata as m, pathlib, rdstrail_tui;"
            "print(pathlib.Path(rdstrail_tui.__file__).parent);"
            "print(rdstrail_tui.__version__); print(m.version('textual'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(),
        cwd="/",
    )
    package, version, textual = probe.stdout.split()
    return Subject(rdstrail, python, Path(package), version, textual)


def ensure_trail(subject: Subject, workdir: Path, events: int) -> Path:
    """The demo trail of `events` events in `workdir`, generated once (by the first install
    that needs it) and reused by every install after."""
    trail = workdir / f"trail-{events}"
    marker = workdir / f"trail-{events}.complete"  # beside the trail: the load never sees it
    if marker.exists():
        return trail
    shutil.rmtree(trail, ignore_errors=True)
    print(f"generating a {events:,}-event demo trail in {trail} ...", flush=True)
    began = time.perf_counter()
    demo = [str(subject.python), "-I", "-m", "rdstrail_tui.demo"]
    subprocess.run([*demo, str(trail), "--events", str(events)], check=True, env=_clean_env())
    print(f"  generated in {time.perf_counter() - began:.0f} s", flush=True)
    marker.touch()
    return trail


def ensure_cache(subject: Subject, trail: Path, workdir: Path, env: Mapping[str, str]) -> Path:
    """The trail loaded by `subject` (every service kept, so the cache holds every event),
    once per version of the code that writes caches."""
    cache = workdir / f"{trail.name}-{_load_code_digest(subject.package)}.db"
    marker = Path(f"{cache}.complete")
    if marker.exists():
        return cache
    for stale in (cache, Path(f"{cache}-wal"), Path(f"{cache}-shm")):
        stale.unlink(missing_ok=True)
    print(f"loading {trail} into {cache} with {subject.rdstrail} ...", flush=True)
    began = time.perf_counter()
    command = [str(subject.rdstrail), "load", "--all-sources", "--cache", str(cache), str(trail)]
    subprocess.run(command, check=True, env=dict(env), stdout=subprocess.DEVNULL)
    print(f"  loaded in {time.perf_counter() - began:.0f} s", flush=True)
    marker.touch()
    return cache


def expected_screens(subject: Subject, cache: Path, typed: str, env: Mapping[str, str]) -> Expected:
    """What the explorer must show, asked once of the install's own `rdstrail stats` (the
    same filter semantics as its explorer) and kept beside the cache."""
    kept = Path(f"{cache}.{typed}.json")
    if kept.exists():
        data = json.loads(kept.read_text())
        return Expected(int(data["total"]), dict(data["counts"]), str(data["oldest"]))
    everything = _stats(subject, cache, "", env)
    counts = {}
    for length in range(1, len(typed) + 1):
        prefix = typed[:length]
        counts[prefix] = int(str(_stats(subject, cache, prefix, env)["events"]))
    expected = Expected(int(str(everything["events"])), counts, str(everything["first"]))
    kept.write_text(
        json.dumps({"total": expected.total, "counts": counts, "oldest": expected.oldest})
    )
    return expected


def _stats(subject: Subject, cache: Path, text: str, env: Mapping[str, str]) -> dict[str, object]:
    filter_words = [text] if text else []
    command = [str(subject.rdstrail), "stats", *filter_words, "--format", "json", "--top", "1"]
    out = subprocess.run(
        [*command, "--cache", str(cache)],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env),
    )
    parsed: dict[str, object] = json.loads(out.stdout)
    return parsed


def _load_code_digest(package: Path) -> str:
    digest = hashlib.sha256()
    for part in LOAD_PATH_PARTS:
        for path in sorted((package / part).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".bin"):
                digest.update(str(path.relative_to(package)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _clean_env() -> dict[str, str]:
    leaky = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if key not in leaky}
