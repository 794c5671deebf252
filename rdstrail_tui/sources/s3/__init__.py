"""A CloudTrail trail's S3 bucket as a source: the log files of a time window, read straight
from the bucket into the cache, incrementally.

    layout.py         where the logs are: the URL, accounts, regions, the day prefixes
    days.py           a day prefix: its listing, what of it is cached, its cursor
    bucket_reader.py  the GETs and listings, cheaply
    decoders.py       decoding, on a download thread or in decoder processes
    errors.py         which failures end a sync, and one line about each
    committing.py     a downloaded object until its day cursor moves: batches, commits
    sync.py           the pipeline that runs them, and `sync_s3`

Names are loaded on first use: the decoder processes import this package on their way to
decoders.py, and must not pay for boto3.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rdstrail_tui.sources.s3.errors import describe_s3_error
    from rdstrail_tui.sources.s3.layout import parse_s3_url
    from rdstrail_tui.sources.s3.sync import sync_s3

__all__ = ["describe_s3_error", "parse_s3_url", "sync_s3"]

_HOMES = {
    "describe_s3_error": "rdstrail_tui.sources.s3.errors",
    "parse_s3_url": "rdstrail_tui.sources.s3.layout",
    "sync_s3": "rdstrail_tui.sources.s3.sync",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
