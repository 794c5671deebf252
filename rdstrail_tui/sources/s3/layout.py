"""Where a trail's log files are in its bucket, and which of its folders a time window needs.

CloudTrail writes `[PREFIX/]AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<file>`, and an
organization trail `[PREFIX/]AWSLogs/<o-org>/<account>/CloudTrail/...`. The URL may point at
the bucket root, at a prefix holding AWSLogs/, at AWSLogs/, at an organization, an account or
a region folder. Accounts, organizations and regions are found by listing with a delimiter
(a few requests, not a walk of the bucket). `CloudTrail-Digest/` and `CloudTrail-Insight/`
are siblings of `CloudTrail/` and are never listed.

Only the day folders of the window are listed. Day prefixes are generated from the window;
for a window longer than two months the years and months that exist are listed first, so a
wide --since costs little on a young trail. The newest days come first, so an interrupted
sync has already cached the most recent events.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from rdstrail_tui.sources.s3.errors import is_fatal
from rdstrail_tui.sources.sync import RegionProgress, SyncError, SyncSummary

if TYPE_CHECKING:  # boto3-stubs (a test dependency), for mypy only
    from mypy_boto3_s3 import S3Client

LOGS_FOLDER = "AWSLogs"
TRAIL_FOLDER = "CloudTrail"
# Above this many days, list which years and months exist instead of trying every day.
PRUNE_AFTER_DAYS = 62

_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,254}")
_ACCOUNT = re.compile(r"\d{12}")
_ORG = re.compile(r"o-[a-z0-9]{1,32}")  # AWS makes 10 to 32; examples use fewer
_YEAR = re.compile(r"\d{4}")
_MONTH = re.compile(r"\d{2}")


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix), the prefix '' or ending in '/'."""
    text = url.strip()
    if not text.lower().startswith("s3://"):
        raise SyncError(f"{url!r} is not an S3 URL: write s3://BUCKET or s3://BUCKET/PREFIX")
    bucket, _, prefix = text[5:].partition("/")
    if not bucket:
        raise SyncError(f"{url!r} names no bucket: write s3://BUCKET or s3://BUCKET/PREFIX")
    if not _BUCKET.fullmatch(bucket):
        raise SyncError(
            f"{url!r}: {bucket!r} is not a bucket name (letters, digits, '.' and '-'): "
            "write s3://BUCKET or s3://BUCKET/PREFIX"
        )
    prefix = prefix.lstrip("/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


@dataclass(eq=False)
class Place:
    """One account-region of the trail."""

    account: str
    region: str
    base: str  # ".../AWSLogs/[o-org/]<account>/CloudTrail/<region>/"
    progress: RegionProgress
    index: int = 0  # in TrailLayout.places
    months: set[tuple[int, int]] | None = None  # those that exist, when pruned
    days_total: int = 0
    days_finished: int = 0
    failed: bool = False


class TrailLayout:
    """Finds the account-regions under a URL (`discover`) and yields the day prefixes of
    the window to list (`day_prefixes`). Raises SyncError when nothing could be read; a
    part that cannot be read is a `problem` line, and the rest goes on."""

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        prefix: str,
        *,
        accounts: list[str] | None,
        regions: list[str] | None,
        first_day: date,
        last_day: date,
        summary: SyncSummary,
        problem: Callable[[str], None],
        describe: Callable[[BaseException, str], str],
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.source = f"s3://{bucket}/{prefix}"
        self.accounts = list(dict.fromkeys(accounts)) if accounts else None
        self.regions = list(dict.fromkeys(regions)) if regions else None
        self.first_day = first_day
        self.last_day = last_day
        self.summary = summary
        self.problem = problem
        self.describe = describe
        self.places: list[Place] = []

    def discover(self, listers: ThreadPoolExecutor) -> list[Place]:
        """The account-regions under the URL, and which months exist when the window is
        long. Any failure of the first listing is fatal: nothing else could be read."""
        try:
            folders = self._folders(self.prefix)
        except Exception as error:  # boto3's, whatever they are: one line
            raise SyncError(self.describe(error, self.source)) from None
        logs, below = self._logs_folder(folders)
        accounts = self._wanted_accounts(self._accounts(logs, below, folders))
        self._find_places(listers, accounts, below)
        for index, place in enumerate(self.places):
            place.index = index
        if (self.last_day - self.first_day).days > PRUNE_AFTER_DAYS:
            self._prune_months(listers)
        self._count_days()
        return self.places

    def _logs_folder(self, folders: list[str]) -> tuple[str, list[str]]:
        """The AWSLogs/ folder the URL is in or holds, and the URL's folders below it."""
        parts = self.prefix.split("/")[:-1]
        if LOGS_FOLDER in parts:
            at = len(parts) - 1 - parts[::-1].index(LOGS_FOLDER)
            return "/".join(parts[: at + 1]) + "/", parts[at + 1 :]
        if LOGS_FOLDER in folders:
            return f"{self.prefix}{LOGS_FOLDER}/", []
        raise SyncError(
            f"{self.source}: no CloudTrail logs here: expected {LOGS_FOLDER}/ under it "
            f"(s3://BUCKET/[PREFIX/]{LOGS_FOLDER}/<account>/{TRAIL_FOLDER}/<region>/...)"
        )

    def _wanted_accounts(self, accounts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The (account folder, account id) pairs of the accounts asked for, if any were."""
        if self.accounts is None:
            return accounts
        found_accounts = {account for _, account in accounts}
        missing = [a for a in self.accounts if a not in found_accounts]
        accounts = [pair for pair in accounts if pair[1] in set(self.accounts)]
        if missing:
            self.problem(f"{self.source}: no logs of account {', '.join(missing)} here")
        return accounts

    def _find_places(
        self, listers: ThreadPoolExecutor, accounts: list[tuple[str, str]], below: list[str]
    ) -> None:
        """List each account's regions (concurrently) into `places`; an account whose
        listing fails is a problem line, unless nothing else could be read either."""
        trail_at = below.index(TRAIL_FOLDER) if TRAIL_FOLDER in below else -1
        only_region = below[trail_at + 1] if 0 <= trail_at < len(below) - 1 else None
        futures = [
            (account, base, listers.submit(self._folders_counted, f"{base}{TRAIL_FOLDER}/"))
            for base, account in accounts
        ]
        found_regions: set[str] = set()
        for account, base, future in futures:
            names, requests, failure = future.result()
            if failure is not None:
                self._regions_failed(account, base, requests, failure)
                continue
            found = [
                Place(
                    account,
                    region,
                    f"{base}{TRAIL_FOLDER}/{region}/",
                    self.summary.region(region, account),
                )
                for region in names
                if (only_region is None or region == only_region)
                and (self.regions is None or region in self.regions)
            ]
            found_regions.update(names)
            if found:
                found[0].progress.requests += requests  # the listing of the account's regions
            self.places.extend(found)
        self._check_found(found_regions)

    def _regions_failed(
        self, account: str, base: str, requests: int, failure: BaseException
    ) -> None:
        where = f"s3://{self.bucket}/{base}{TRAIL_FOLDER}/"
        self._raise_if_fatal(failure, where)
        progress = self.summary.region("*", account)
        progress.requests += requests
        progress.error = self.describe(failure, where)
        self.problem(progress.error)

    def _check_found(self, found_regions: set[str]) -> None:
        """A problem line for each region asked for and not found, and for finding none."""
        if self.regions is not None:
            missing = [r for r in self.regions if r not in found_regions]
            if missing:
                self.problem(f"{self.source}: no logs of region {', '.join(missing)} here")
        if not self.places:
            self.problem(f"{self.source}: no account-region with CloudTrail logs found here")

    def _count_days(self) -> None:
        """Each place's day prefixes to list: every day of the window, or those of the
        months it has logs for."""
        per_month = Counter((day.year, day.month) for day in self._days())
        for place in self.places:
            if place.months is None:
                place.days_total = sum(per_month.values())
            else:
                place.days_total = sum(per_month[month] for month in place.months)
            place.progress.done = place.days_total == 0

    def day_prefixes(self) -> Iterator[tuple[Place, str]]:
        """(account-region, day prefix) to list, newest day first."""
        everywhere = [place for place in self.places if place.months is None]
        by_month: dict[tuple[int, int], list[Place]] = {}
        for place in self.places:
            for month in place.months or ():
                by_month.setdefault(month, []).append(place)
        for day in self._days():
            places = by_month.get((day.year, day.month), [])
            if everywhere:  # places whose months could not be listed: every day
                places = sorted([*everywhere, *places], key=lambda place: place.index)
            for place in places:
                yield place, f"{place.base}{day:%Y/%m/%d}/"

    def _raise_if_fatal(self, error: BaseException, where: str) -> None:
        if is_fatal(error):
            raise SyncError(self.describe(error, where))

    def _accounts(self, logs: str, below: list[str], folders: list[str]) -> list[tuple[str, str]]:
        """(account folder, account id) pairs under AWSLogs/, as the URL narrows them."""
        if below and _ORG.fullmatch(below[0]):
            org, rest = [below[0]], below[1:]
        else:
            org, rest = [], below
        if rest:
            if not _ACCOUNT.fullmatch(rest[0]) or (len(rest) > 1 and rest[1] != TRAIL_FOLDER):
                raise SyncError(
                    f"{self.source}: not a folder of a trail: point the URL at the bucket, "
                    f"{LOGS_FOLDER}/, an organization, an account or a region folder "
                    "(use --since/--until for dates)"
                )
            if len(rest) > 3:
                raise SyncError(
                    f"{self.source}: point the URL at a region folder at most "
                    "(use --since/--until for dates)"
                )
            return [(logs + "/".join([*org, rest[0]]) + "/", rest[0])]
        if org:
            base = f"{logs}{org[0]}/"
            names = folders if base == self.prefix else self._listed(base)
            return [(f"{base}{name}/", name) for name in names if _ACCOUNT.fullmatch(name)]
        top = folders if logs == self.prefix else self._listed(logs)
        found = [(f"{logs}{name}/", name) for name in top if _ACCOUNT.fullmatch(name)]
        for name in top:
            if _ORG.fullmatch(name):
                found.extend(
                    (f"{logs}{name}/{account}/", account)
                    for account in self._listed(f"{logs}{name}/")
                    if _ACCOUNT.fullmatch(account)
                )
        return found

    def _listed(self, prefix: str) -> list[str]:
        try:
            return self._folders(prefix)
        except Exception as error:  # boto3's, whatever they are: one line
            raise SyncError(self.describe(error, f"s3://{self.bucket}/{prefix}")) from None

    def _folders(self, prefix: str) -> list[str]:
        """The names of the folders right under `prefix` (boto3; raises its errors)."""
        names, _, failure = self._folders_counted(prefix)
        if failure is not None:
            raise failure
        return names

    def _folders_counted(self, prefix: str) -> tuple[list[str], int, BaseException | None]:
        """The folders right under `prefix`, the requests made, and the error that stopped
        the listing (on a lister thread: returned, not raised)."""
        names: list[str] = []
        requests = 0
        try:
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
                requests += 1
                for entry in page.get("CommonPrefixes") or []:
                    name = str(entry.get("Prefix", ""))[len(prefix) :].rstrip("/")
                    if name:
                        names.append(name)
        except Exception as error:
            return names, max(requests, 1), error
        return names, requests, None

    def _prune_months(self, listers: ThreadPoolExecutor) -> None:
        """For a long window: the months each account-region has logs for (a listing of its
        years, then of the months of each year in the window)."""
        first, last = self.first_day, self.last_day

        def months(place: Place) -> tuple[set[tuple[int, int]], int, BaseException | None]:
            found: set[tuple[int, int]] = set()
            years, requests, failure = self._folders_counted(place.base)
            for year in years if failure is None else []:
                if not _YEAR.fullmatch(year) or not first.year <= int(year) <= last.year:
                    continue
                names, more, failure = self._folders_counted(f"{place.base}{year}/")
                requests += more
                if failure is not None:
                    break
                found.update((int(year), int(m)) for m in names if _MONTH.fullmatch(m))
            return found, requests, failure

        for place, (found, requests, failure) in zip(self.places, listers.map(months, self.places)):
            place.progress.requests += requests
            if failure is not None:
                self._raise_if_fatal(failure, f"s3://{self.bucket}/{place.base}")
                continue  # unknown: try every day of the window rather than miss one
            place.months = found

    def _days(self) -> list[date]:
        """The days of the window, newest first."""
        count = (self.last_day - self.first_day).days + 1
        return [self.last_day - timedelta(days=offset) for offset in range(count)]
