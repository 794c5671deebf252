"""``python -m rdstrail_tui.demo OUTDIR --events N [--seed S] [--record-size demo|small]``:
write a demo trail."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rdstrail_tui.demo.generator import RECORD_SIZES, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rdstrail_tui.demo",
        description="Write a deterministic, realistic RDS CloudTrail trail as an S3 tree.",
    )
    parser.add_argument("outdir", type=Path, help="directory to write AWSLogs/ into")
    parser.add_argument("--events", type=int, required=True, help="number of distinct events")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--clean", action="store_true", help="replace OUTDIR/AWSLogs if it already has files"
    )
    parser.add_argument(
        "--record-size",
        choices=RECORD_SIZES,
        default="demo",
        help="demo: records as CloudTrail writes them (about 1.5 KB, 100-600 a file); "
        "small: about 800 bytes, 500 a file (the shape where ingest's fixed costs weigh most)",
    )
    args = parser.parse_args(argv)
    if args.events < 1:
        parser.error("--events must be at least 1")
    began = time.perf_counter()
    try:
        summary = generate(
            args.outdir, args.events, args.seed, clean=args.clean, record_size=args.record_size
        )
    except FileExistsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{summary.line()} [{time.perf_counter() - began:.1f}s]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
