"""Allow `python -m rdstrail_tui`."""

from rdstrail_tui.cli.main import main

# Guarded: load workers are spawned processes that may import the main module.
if __name__ == "__main__":
    raise SystemExit(main())
