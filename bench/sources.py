"""The AWS sources' benchmarks, as the issue names them: LookupEvents against the local
CloudTrail server, then S3 against a local SeaweedFS. Each prints its own figures, ratios
and PASS/MISS lines; this exits non-zero if either missed a target.

    python bench/sources.py            # both (about 4 minutes, most of it LookupEvents'
                                       # 2-requests-per-second pace)
    python bench/sources.py s3         # one of them: lookup or s3

Options of each are those of bench/sources_lookup.py and bench/sources_s3.py, run alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {"lookup": HERE / "sources_lookup.py", "s3": HERE / "sources_s3.py"}


def main() -> int:
    names = sys.argv[1:] or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(f"unknown benchmark {', '.join(unknown)}: choose from lookup, s3", file=sys.stderr)
        return 2
    failed = []
    for name in names:
        print(f"== {name} ({BENCHES[name].name})", flush=True)
        if subprocess.run([sys.executable, str(BENCHES[name])]).returncode != 0:
            failed.append(name)
    if failed:
        print(f"missed a target: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
