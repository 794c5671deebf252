"""Writes the S3 layout CloudTrail delivers: gzipped log files and hourly digest files."""

from __future__ import annotations

import gzip
import hashlib
import io
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import orjson

from rdstrail_tui.demo.ids import (
    ALNUM,
    alnum,
    date_path,
    digest_stamp,
    file_stamp,
    hex_digits,
    iso,
)

BUCKET = "acme-cloudtrail-logs"
TRAIL_NAME = "management-events"
TRAIL_HOME_REGION = "us-east-1"
GZIP_LEVEL = 6


def gzip_bytes(payload: bytes, level: int = GZIP_LEVEL) -> bytes:
    """Deterministic gzip: no timestamp and no file name in the header."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0, filename="") as gz:
        gz.write(payload)
    return buf.getvalue()


def log_payload(records: list[bytes]) -> bytes:
    return b'{"Records":[' + b",".join(records) + b"]}"


def log_key(account: str, region: str, stamp: int, file_id: str) -> str:
    y, m, d = date_path(stamp)
    name = f"{account}_CloudTrail_{region}_{file_stamp(stamp)}_{file_id}.json.gz"
    return f"AWSLogs/{account}/CloudTrail/{region}/{y}/{m}/{d}/{name}"


@dataclass(frozen=True)
class _Delivered:
    stamp: int
    key: str
    sha256: str
    oldest: int
    newest: int


class TrailWriter:
    """Writes files under ``outdir`` and remembers what digests need to describe."""

    def __init__(self, outdir: Path, rng: random.Random) -> None:
        self.outdir = outdir
        self.rng = rng
        self.log_files = 0
        self.digest_files = 0
        self.bytes = 0
        self._dirs: set[Path] = set()
        self._delivered: dict[tuple[str, str, str], list[_Delivered]] = defaultdict(list)

    def _write(self, key: str, data: bytes) -> None:
        path = self.outdir / key
        parent = path.parent
        if parent not in self._dirs:
            parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        path.write_bytes(data)
        self.bytes += len(data)

    def write_log(
        self,
        account: str,
        region: str,
        stamp: int,
        payload: bytes,
        oldest: int,
        newest: int,
        *,
        file_id: str | None = None,
        digest: bool = True,
    ) -> str:
        """Write one log file delivered at ``stamp``; returns its key.

        ``digest=False`` keeps the file out of digest files (the 2018 User Guide example).
        """
        if file_id is None:
            file_id = alnum(self.rng, 16, ALNUM)
        key = log_key(account, region, stamp, file_id)
        self._write(key, gzip_bytes(payload))
        self.log_files += 1
        if digest:
            day = "/".join(date_path(stamp))
            sha = hashlib.sha256(payload).hexdigest()
            self._delivered[account, region, day].append(
                _Delivered(stamp, key, sha, oldest, newest)
            )
        return key

    def write_digests(self, days_per_stream: int) -> None:
        """Digests for a few days of each stream, each covering the day's first hour with files.

        Real trails have one digest per hour; a few are enough for loaders to prove they skip them.
        """
        by_stream: dict[tuple[str, str], list[str]] = defaultdict(list)
        for account, region, day in sorted(self._delivered):
            by_stream[account, region].append(day)
        chosen: list[tuple[str, str, str]] = []
        for (account, region), days in sorted(by_stream.items()):
            picked = self.rng.sample(days, min(days_per_stream, len(days)))
            chosen.extend((account, region, day) for day in sorted(picked))
        chains: dict[tuple[str, str], list[tuple[int, list[_Delivered]]]] = defaultdict(list)
        for account, region, day in chosen:
            files = self._delivered[account, region, day]
            first = min(f.stamp for f in files)
            hour = first - first % 3600
            covered = sorted(
                (f for f in files if hour <= f.stamp < hour + 3600), key=lambda f: f.stamp
            )
            chains[account, region].append((hour, covered))
        for (account, region), digests in sorted(chains.items()):
            previous: tuple[str, str] | None = None
            for hour, covered in sorted(digests, key=lambda d: d[0]):
                previous = self._write_digest(account, region, hour, covered, previous)

    def _write_digest(
        self,
        account: str,
        region: str,
        hour: int,
        covered: list[_Delivered],
        previous: tuple[str, str] | None,
    ) -> tuple[str, str]:
        rng = self.rng
        end = hour + 3600
        stamp = end + rng.randint(60, 900)
        y, m, d = date_path(stamp)
        name = (
            f"{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{TRAIL_HOME_REGION}_"
            f"{digest_stamp(stamp)}.json.gz"
        )
        key = f"AWSLogs/{account}/CloudTrail-Digest/{region}/{y}/{m}/{d}/{name}"
        body = {
            "awsAccountId": account,
            "digestStartTime": iso(hour),
            "digestEndTime": iso(end),
            "digestS3Bucket": BUCKET,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": hex_digits(rng, 32),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(max(f.newest for f in covered)) if covered else None,
            "oldestEventTime": iso(min(f.oldest for f in covered)) if covered else None,
            "previousDigestS3Bucket": BUCKET if previous else None,
            "previousDigestS3Object": previous[0] if previous else None,
            "previousDigestHashValue": previous[1] if previous else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": hex_digits(rng, 512) if previous else None,
            "logFiles": [
                {
                    "s3Bucket": BUCKET,
                    "s3Object": f.key,
                    "hashValue": f.sha256,
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": iso(f.newest),
                    "oldestEventTime": iso(f.oldest),
                }
                for f in covered
            ],
        }
        payload = orjson.dumps(body)
        self._write(key, gzip_bytes(payload))
        self.digest_files += 1
        return key, hashlib.sha256(payload).hexdigest()
