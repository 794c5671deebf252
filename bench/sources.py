"""The AWS sources' benchmarks, as the issue names them: LookupEvents against the local
CloudTrail server, S3 against a local SeaweedFS, then Athena (the local endpoint) against S3.
Each prints its own figures, ratios and PASS/MISS lines; this exits non-zero if any missed
a target.

    python bench/sources.py            # all three (about 6 minutes, most of it LookupEvents'
                                       # 2-requests-per-second pace)
    python bench/sources.py athena     # one of them: lookup, s3 or athena

Options of each are those of bench/sources_lookup.py, sources_s3.py and sources_athena.py,
run alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {
    "lookup": HERE / "sources_lookup.py",
    "s3": HERE / "sources_s3.py",
    "athena": HERE / "sources_athena.py",
}


def main() -> int:
    names = sys.argv[1:] or list(BENCHES)
    unknown = [name for name in names if name not in BENCHES]
    if unknown:
        print(
            f"unknown benchmark {', '.join(unknown)}: choose from lookup, s3, athena",
            file=sys.stderr,
        )
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
