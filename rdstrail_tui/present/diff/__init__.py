"""What an RDS call asked for against what AWS answered, compared by meaning.

A CloudTrail record of a mutating RDS call holds `requestParameters` (what was asked) and
`responseElements` (for Create/Modify calls the whole resource description, with
`pendingModifiedValues` for changes not yet in effect). Every requested key gets one row:

- `=` applied: the response holds the requested value;
- `~` changed: the response holds another value;
- `>` pending: the requested value waits under `pendingModifiedValues` (or, for memberships
  such as security groups, the items are "adding", "applying", "pending-reboot", ...);
- `#` masked: CloudTrail replaced the value with asterisks on either side, so it is not
  compared;
- `.` request only: nothing in the response corresponds (flags such as `applyImmediately`).

Keys found only in the response are `+` set by AWS: defaults and derived values. The
symbols are none of the event list's marks (`!` failed, `*` write, `?` unknown); `legend`
says what each means, `layout` lays a diff out as lines for a screen.

Keys match case-insensitively (CloudTrail writes `dBInstanceIdentifier`, the API
`DBInstanceIdentifier`) and through `SHAPES`, the one table of places where RDS answers a
requested key under another name or shape. Values compare by JSON meaning: 20 == 20.0, but
true != 1; strings exactly; lists in order, unless the table marks the key `unordered`.

Standard library only: the CLI may use this without loading the TUI.
"""

from rdstrail_tui.present.diff.compare import diff_record
from rdstrail_tui.present.diff.legend import DIFF_LEGEND, DIFF_LEGEND_TITLE, diff_legend_text
from rdstrail_tui.present.diff.rows import MISSING, Diff, DiffRow, Status
from rdstrail_tui.present.diff.shapes import SHAPES, Shape

__all__ = [
    "DIFF_LEGEND",
    "DIFF_LEGEND_TITLE",
    "MISSING",
    "SHAPES",
    "Diff",
    "DiffRow",
    "Shape",
    "Status",
    "diff_legend_text",
    "diff_record",
]
