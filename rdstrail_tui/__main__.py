"""Allow `python -m rdstrail_tui`."""

from rdstrail_tui.cli import main

raise SystemExit(main())
