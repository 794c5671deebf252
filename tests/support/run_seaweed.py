"""Serve the tests' SeaweedFS by hand with the demo trail in a bucket, so
`rdstrail sync s3` can be tried without AWS:

    .venv/bin/python tests/run_seaweed.py

It prints the lines to run in another shell. Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rdstrail_tui.demo import shipped_trail_path
from tests.support.seaweed import running_seaweed

BUCKET = "demo-trail"


def main() -> None:
    with running_seaweed() as server:
        server.create_bucket(BUCKET)
        keys = server.upload_tree(BUCKET, shipped_trail_path())
        print(f"SeaweedFS S3 on {server.endpoint_url}: s3://{BUCKET}/ holds {len(keys)} objects")
        print("of the demo trail (2026-11-06 to 2026-11-20). In another shell:")
        env = " ".join(f"{name}={value}" for name, value in server.env().items())
        print(f"  export {env}")
        print(
            f"  rdstrail sync s3 s3://{BUCKET}/AWSLogs --since 2026-11-01 --until 2026-11-21"
            f" --endpoint-url {server.endpoint_url}"
        )
        print("Ctrl-C stops it.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
