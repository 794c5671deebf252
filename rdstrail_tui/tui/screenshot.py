"""Screenshots (the palette's Screenshot) as the rest of what the explorer writes: owner-only
files in the current directory, and a notification naming the file.

Textual's own puts them in ~/Downloads (a folder a bastion account seldom has) with the
umask's permissions, though a screenshot shows who did what from where. The app overrides
`deliver_screenshot` and `save_screenshot` with the functions here.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from textual.app import App

from rdstrail_tui.present.sanitize import printable
from rdstrail_tui.query.export import ExportError, absolute, timestamp, write_new_file

SUFFIX = ".svg"


def save_screenshot(
    app: App[Any],
    filename: str | None = None,
    path: str | Path | None = None,
    now: datetime | None = None,
) -> Path:
    """Write the screen as SVG to a new owner-only file, `rdstrail-screenshot-<UTC stamp>.svg`
    (or `filename`) in `path` (default: the current directory); never replaces a file (a
    taken name gets `-2` ...). Returns the absolute path; ExportError says why it failed."""
    directory = absolute(Path(path)) if path else Path.cwd()
    if filename:
        # Only a name: a path inside it would escape the directory asked for.
        name = Path(filename).name
        stem, suffix = (name[: -len(SUFFIX)], SUFFIX) if name.endswith(SUFFIX) else (name, "")
    else:
        stem, suffix = f"rdstrail-screenshot-{timestamp(now)}", SUFFIX
    svg = app.export_screenshot()
    return write_new_file(directory, stem, suffix, svg.encode("utf-8"))


def deliver_screenshot(
    app: App[Any], filename: str | None = None, path: str | Path | None = None
) -> Path | None:
    """Save a screenshot (see save_screenshot) and say where, or why not, in a notification."""
    try:
        saved = save_screenshot(app, filename, path)
    except ExportError as error:
        app.notify(
            f"Screenshot not saved: {error}",
            title="Screenshot",
            severity="error",
            markup=False,
            timeout=10,
        )
        return None
    app.notify(
        f"Saved {printable(str(saved))} (owner-only)",
        title="Screenshot",
        markup=False,
        timeout=10,
    )
    return saved
