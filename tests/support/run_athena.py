"""Serve a local Athena by hand over the tests' SeaweedFS holding the demo trail, so
`rdstrail athena ddl` and `rdstrail sync athena` can be tried without AWS:

    .venv/bin/python tests/support/run_athena.py

It prints the lines to run in another shell. Ctrl-C stops it.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rdstrail_tui.demo import shipped_trail_path
from tests.support.athena_server import AthenaServer, athena_env
from tests.support.seaweed import running_seaweed

BUCKET = "demo-trail"
RESULTS = "athena-results"


def main() -> None:
    with running_seaweed() as seaweed:
        seaweed.create_bucket(BUCKET)
        seaweed.create_bucket(RESULTS)
        keys = seaweed.upload_tree(BUCKET, shipped_trail_path())
        with AthenaServer(seaweed) as athena:
            print(f"Athena on {athena.url} over SeaweedFS {seaweed.endpoint_url}:")
            print(f"s3://{BUCKET}/ holds {len(keys)} objects of the demo trail (2026-11-06 to")
            print("2026-11-20); results go to s3://athena-results/. In another shell:")
            env = " ".join(f"{name}={value}" for name, value in athena_env(athena, seaweed).items())
            print(f"  export {env}")
            print(
                f"  rdstrail athena ddl s3://{BUCKET}/AWSLogs/ --table trail.logs --create "
                f"--output-location s3://{RESULTS}/rdstrail/ --since 2026-11-01"
            )
            print(
                f"  rdstrail sync athena --table trail.logs --output-location "
                f"s3://{RESULTS}/rdstrail/ --since 2026-11-01 --until 2026-11-21 res:=orders-prod"
            )
            sys.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()


if __name__ == "__main__":
    main()
