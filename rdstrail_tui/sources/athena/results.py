"""What an Athena query found, brought back faithfully.

The statement selects only `"$path"` and `eventid` of the matching events. Athena writes its
result as a CSV file in the output location; reading that file is one GET whatever its size,
where GetQueryResults pages 1,000 rows a request. Then the trail objects that hold matches
(and only those) are fetched from S3 and decoded by the same code as `rdstrail sync s3`, and
the events with those IDs are kept: the cache holds the original records byte for byte, as
`query --format jsonl` promises, which no reconstruction from Athena's columns could (the
SerDe re-serialises the JSON bodies and drops fields its table does not name).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdstrail_tui.ingest.scope import Scope
from rdstrail_tui.sources.s3.decoders import Decoded, decode_object

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_s3 import S3Client

__all__ = ["Fetched", "fetch_objects", "matches_by_object", "object_of", "read_result"]


def object_of(url: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key): an object's URL, as Athena writes `"$path"` and
    its result file's location (not a prefix: no slash is added)."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key


def read_result(s3: S3Client, url: str) -> list[tuple[str, str]]:
    """The (path, eventid) rows of the result file at `url` (s3://bucket/key.csv): a header
    row, then every value double-quoted. Raises boto3's errors."""
    bucket, key = object_of(url)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    reader = csv.reader(io.StringIO(body.decode("utf-8")))
    rows = list(reader)
    if not rows:
        return []
    return [(row[0], row[1]) for row in rows[1:] if len(row) >= 2 and row[0] and row[1]]


def matches_by_object(rows: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """The matching event IDs of each object, objects in the order first found."""
    found: dict[str, set[str]] = {}
    for path, event_id in rows:
        found.setdefault(path, set()).add(event_id)
    return found


@dataclass
class Fetched:
    path: str
    size: int  # bytes downloaded
    decoded: Decoded | None  # None when the download failed
    error: BaseException | None = None


def _fetch(s3: S3Client, path: str, scope: Scope) -> Fetched:
    bucket, key = object_of(path)
    try:
        data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as error:  # boto3's and the network's: the caller says which
        return Fetched(path, 0, None, error)
    return Fetched(path, len(data), decode_object(path, data, scope))


def fetch_objects(
    s3: S3Client,
    paths: Iterable[str],
    scope: Scope,
    *,
    threads: int,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[Fetched]:
    """Each object downloaded and decoded, as they complete; at most `threads * 2` in flight,
    so memory does not grow with the number of objects. Stops handing out work once
    should_stop() is true (the ones in flight are still yielded)."""
    pending = iter(paths)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="athena-fetch") as pool:
        running: set[Future[Fetched]] = set()

        def refill() -> None:
            while len(running) < threads * 2 and not should_stop():
                path = next(pending, None)
                if path is None:
                    return
                running.add(pool.submit(_fetch, s3, path, scope))

        refill()
        try:
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    running.discard(future)
                    yield future.result()
                refill()
        finally:
            for future in running:
                future.cancel()
