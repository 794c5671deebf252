"""A deterministic demo trail: a realistic RDS story written as a CloudTrail S3 tree.

The package ships a small trail (``SHIPPED_DEMO_EVENTS`` events, seed ``SHIPPED_DEMO_SEED``)
under ``trail/``; ``demo.generator.generate`` writes trails of any size. This module holds
only the shipped trail's lookup, so that finding it never imports the generator.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED_DEMO_EVENTS = 3000
SHIPPED_DEMO_SEED = 7


def shipped_trail_path() -> Path:
    """Directory of the shipped demo trail (it contains ``AWSLogs/``)."""
    trail = files("rdstrail_tui.demo") / "trail"
    if not isinstance(trail, Path):
        raise RuntimeError("rdstrail_tui.demo is not installed as plain files")
    return trail
