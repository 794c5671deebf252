"""Deterministic generator of a realistic RDS CloudTrail trail, written as an S3 tree.

``generate(outdir, events, seed)`` writes
``OUTDIR/AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<id>.json.gz``
files (gzipped ``{"Records": [...]}``) plus a few ``CloudTrail-Digest`` files, and the Amazon RDS
User Guide CreateDBInstance example in a file of its own. The same arguments always produce
byte-identical files.

``events`` counts distinct events, the User Guide record included; about 0.5% of them are
delivered twice (same eventID, identical bytes, two files), so the trail holds slightly more
record entries than ``events``.
"""

from __future__ import annotations

import math
import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import orjson

from rdstrail_tui.demo.estate import PLACES, build_scenes
from rdstrail_tui.demo.guide import event_epoch, guide_record
from rdstrail_tui.demo.identities import Directory
from rdstrail_tui.demo.ids import ALNUM, alnum
from rdstrail_tui.demo.plot import plot
from rdstrail_tui.demo.records import RecordFactory
from rdstrail_tui.demo.sessions import SessionRunner, plan_sessions
from rdstrail_tui.demo.story_arcs import Story
from rdstrail_tui.demo.story_risks import RiskStory
from rdstrail_tui.demo.timeline import (
    STORY_END,
    Timeline,
    epoch,
    span_days_for,
    window_minutes_for,
)
from rdstrail_tui.demo.writer import TrailWriter, log_payload

RDS_SHARE = 0.10
DUPLICATE_RATE = 0.005
#: Records per file above which a delivery window is split into several files.
FILE_CAP = 600
#: The shapes of record a trail can be written in (``record_size``): the demo's, as
#: CloudTrail writes them, or "small": about 800 bytes a record, 500 records a file, the
#: shape in which ingest's fixed costs per file and per RDS record weigh most.
RECORD_SIZES = ("demo", "small")
SMALL_PER_FILE = 500
# What a small record leaves out: fields CloudTrail writes that nothing here reads.
_SMALL_DROPPED = (
    "tlsDetails",
    "resources",
    "sharedEventID",
    "vpcEndpointId",
    "vpcEndpointAccountId",
    "additionalEventData",
    "eventCategory",
    "managementEvent",
    "sessionCredentialFromConsole",
)
DIGEST_DAYS_PER_STREAM = 3
DAY = 86400

Pending = list[tuple[int, bool, bytes]]


@dataclass(frozen=True)
class GenerateSummary:
    """What ``generate`` wrote. Record counts include duplicate deliveries."""

    outdir: Path
    files: int
    digest_files: int
    records: int
    distinct_events: int
    duplicate_deliveries: int
    rds_records: int
    accounts: tuple[str, ...]
    regions: tuple[str, ...]
    first_event: datetime
    last_event: datetime
    window_minutes: int
    bytes_written: int

    @property
    def span(self) -> float:
        """Days between the first and last story event (the 2018 User Guide record aside)."""
        return (self.last_event - self.first_event).total_seconds() / DAY

    def line(self) -> str:
        return (
            f"{self.files} log files + {self.digest_files} digests, {self.records} records "
            f"({self.distinct_events} distinct, {self.duplicate_deliveries} duplicate deliveries, "
            f"{self.rds_records} RDS), accounts {','.join(self.accounts)}, regions "
            f"{','.join(self.regions)}, {self.first_event:%Y-%m-%dT%H:%M:%SZ} .. "
            f"{self.last_event:%Y-%m-%dT%H:%M:%SZ} ({self.span:.1f} days), "
            f"{self.bytes_written / 1e6:.1f} MB in {self.outdir}"
        )


class _Delivery:
    """Buffers records per (place, window) and flushes each window as CloudTrail files."""

    def __init__(
        self,
        writer: TrailWriter,
        rng: random.Random,
        streams: list[tuple[str, str]],
        start: int,
        window: int,
        *,
        file_cap: int = FILE_CAP,
        small: bool = False,
    ) -> None:
        self.file_cap = file_cap
        self.small = small
        self.writer = writer
        self.rng = rng
        self.streams = streams
        self.start = start
        self.window = window
        self.buffers: list[dict[int, Pending]] = [{} for _ in streams]
        self.redeliver: list[Pending] = [[] for _ in streams]
        self.records = 0
        self.rds_records = 0
        self.duplicates = 0
        self.first = math.inf
        self.last = -math.inf

    def emit(self, place: int, t: int, is_rds: bool, data: bytes) -> None:
        if self.small:
            data = _slimmed(data, is_rds)
        bucket = self.buffers[place]
        index = (t - self.start) // self.window
        pending = bucket.get(index)
        if pending is None:
            bucket[index] = [(t, is_rds, data)]
        else:
            pending.append((t, is_rds, data))

    def flush(self, index: int) -> None:
        for place in range(len(self.streams)):
            pending = self.buffers[place].pop(index, None)
            if pending:
                self._flush_place(place, index, pending)

    def flush_all(self) -> None:
        for place in range(len(self.streams)):
            for index in sorted(self.buffers[place]):
                self._flush_place(place, index, self.buffers[place].pop(index))

    def _flush_place(self, place: int, index: int, pending: Pending) -> None:
        rng = self.rng
        first = min(p[0] for p in pending)
        last = max(p[0] for p in pending)
        self.first = min(self.first, first)
        self.last = max(self.last, last)
        again = self.redeliver[place]
        self.redeliver[place] = [p for p in pending if rng.random() < DUPLICATE_RATE]
        if again:
            self.duplicates += len(again)
            pending = pending + again
        rng.shuffle(pending)
        account, region = self.streams[place]
        stamp = self.start + (index + 1) * self.window + rng.randint(60, 300)
        chunks = max(1, math.ceil(len(pending) / self.file_cap))
        size = math.ceil(len(pending) / chunks)
        for c in range(chunks):
            chunk = pending[c * size : (c + 1) * size]
            payload = log_payload([p[2] for p in chunk])
            oldest = min(p[0] for p in chunk)
            newest = max(p[0] for p in chunk)
            self.writer.write_log(account, region, stamp, payload, oldest, newest)
            self.records += len(chunk)
            self.rds_records += sum(1 for p in chunk if p[1])
            stamp += rng.randint(0, 40)


def _slimmed(data: bytes, is_rds: bool) -> bytes:
    """A record in the small shape: the fields nothing reads left out, and for other
    services' records (which a load skips unread) their request, response and session
    context too."""
    record = orjson.loads(data)
    for key in _SMALL_DROPPED:
        record.pop(key, None)
    identity = record.get("userIdentity")
    if isinstance(identity, dict):
        context = identity.get("sessionContext")
        if isinstance(context, dict):
            context.pop("attributes", None)
            context.pop("webIdFederationData", None)
    if not is_rds:
        record["requestParameters"] = None
        record["responseElements"] = None
        if isinstance(identity, dict):
            identity.pop("sessionContext", None)
    return orjson.dumps(record)


def _prepare(outdir: Path, clean: bool) -> None:
    logs = outdir / "AWSLogs"
    if logs.exists() and any(logs.iterdir()):
        if not clean:
            raise FileExistsError(f"{logs} is not empty (pass clean=True to replace it)")
        shutil.rmtree(logs)
    outdir.mkdir(parents=True, exist_ok=True)


def _write_guide(writer: TrailWriter, rng: random.Random) -> tuple[str, str]:
    """The User Guide record, byte-faithful to its parsed JSON, in a file of its own."""
    record = guide_record()
    account = record["recipientAccountId"]
    region = record["awsRegion"]
    t = event_epoch(record)
    stamp = t - t % 300 + 300 + rng.randint(60, 300)
    payload = orjson.dumps({"Records": [record]})
    file_id = alnum(rng, 16, ALNUM)
    writer.write_log(account, region, stamp, payload, t, t, file_id=file_id, digest=False)
    return account, region


def generate(
    outdir: Path,
    events: int,
    seed: int = 7,
    *,
    end: datetime = STORY_END,
    span_days: float | None = None,
    clean: bool = False,
    record_size: str = "demo",
) -> GenerateSummary:
    """Write a trail of ``events`` distinct events (User Guide record included) under ``outdir``.

    The story ends at ``end`` (exclusive) and spans ``span_days`` (default: 14 days for small
    trails, growing to 60 days for a million events). Raises ``FileExistsError`` if
    ``outdir/AWSLogs`` already has content, unless ``clean`` is true (then it is replaced).
    ``record_size`` is one of RECORD_SIZES.
    """
    if record_size not in RECORD_SIZES:
        raise ValueError(f"record_size must be one of {', '.join(RECORD_SIZES)}")
    if events < 1:
        raise ValueError("events must be at least 1 (the User Guide record)")
    outdir = Path(outdir)
    _prepare(outdir, clean)
    days = span_days if span_days is not None else span_days_for(events)
    end_t = epoch(end)
    start_t = end_t - int(days * DAY)
    timeline = Timeline(start_t, end_t)
    streams = [(account, region) for account, region, *_ in PLACES]
    window = window_minutes_for(events, days, len(streams)) * 60
    small = record_size == "small"
    if small:  # windows long enough that most fill a file of SMALL_PER_FILE (activity is
        # bursty: an average of twice that keeps the quiet hours' files from being small)
        window = max(window, math.ceil(2 * SMALL_PER_FILE * len(streams) * days * DAY / events))

    def rng_for(name: str) -> random.Random:
        return random.Random(f"rdstrail-demo:{seed}:{name}")

    directory = Directory(rng_for("directory"))
    scenes = build_scenes(rng_for("estate"), directory, start_t)
    home = [
        next(i for i, (acct, region) in enumerate(streams) if acct == a and region == "us-east-1")
        for a, _ in streams
    ]

    generated = events - 1
    rds_total = round(generated * RDS_SHARE)
    scale = min(5.0, max(1.0, (events / 3000) ** 0.35))
    polls = max(2, min(10, round(2 * scale)))
    story = Story(
        rng_for("story"),
        RecordFactory(rng_for("story-records")),
        directory,
        scenes,
        timeline,
        polls,
        pace=0.55 * (days / 14),
    )
    if generated >= 50:
        plot(story, rng_for("plot"), rds_total, days)
    if rds_total - story.rds_records >= RiskStory.RDS_COST:
        # Their own streams: telling them leaves every other record of the story as it was.
        risks = RiskStory(
            rng_for("risks"),
            RecordFactory(rng_for("risk-records"), old_version_rate=0.0),
            directory,
            scenes,
            timeline,
            polls,
            pace=story.pace,
        )
        risks.tell()
        story.records.extend(risks.records)
        story.rds_records += risks.rds_records
        story.other_records += risks.other_records
    story.records.sort(key=lambda r: r[0])
    rds_left = max(0, rds_total - story.rds_records)
    other_left = generated - story.rds_records - story.other_records - rds_left
    sessions = plan_sessions(
        rng_for("sessions"),
        timeline,
        rds_left,
        other_left,
        [share for *_, share in PLACES],
        home,
        scale,
    )
    runner = SessionRunner(
        rng_for("session-records"),
        RecordFactory(rng_for("records")),
        directory,
        scenes,
        home,
        end_t,
    )

    writer = TrailWriter(outdir, rng_for("files"))
    delivery = _Delivery(
        writer,
        rng_for("delivery"),
        streams,
        start_t,
        window,
        file_cap=SMALL_PER_FILE if small else FILE_CAP,
        small=small,
    )
    emit = delivery.emit
    story_records = story.records
    n_windows = math.ceil((end_t - start_t) / window)
    si = pi = 0
    for index in range(n_windows):
        window_end = start_t + (index + 1) * window
        while pi < len(sessions) and sessions[pi].start < window_end:
            runner.run(sessions[pi], emit)
            pi += 1
        while si < len(story_records) and story_records[si][0] < window_end:
            t, place, is_rds, data = story_records[si]
            emit(place, t, is_rds, data)
            si += 1
        delivery.flush(index)
    delivery.flush_all()

    guide_account, guide_region = _write_guide(writer, rng_for("guide"))
    writer.write_digests(DIGEST_DAYS_PER_STREAM)

    accounts = sorted({a for a, _ in streams} | {guide_account})
    regions = sorted({r for _, r in streams} | {guide_region})
    records = delivery.records + 1
    first = int(delivery.first) if delivery.records else start_t
    last = int(delivery.last) if delivery.records else start_t
    return GenerateSummary(
        outdir=outdir,
        files=writer.log_files,
        digest_files=writer.digest_files,
        records=records,
        distinct_events=records - delivery.duplicates,
        duplicate_deliveries=delivery.duplicates,
        rds_records=delivery.rds_records + 1,
        accounts=tuple(accounts),
        regions=tuple(regions),
        first_event=datetime.fromtimestamp(first, timezone.utc),
        last_event=datetime.fromtimestamp(last, timezone.utc),
        window_minutes=window // 60,
        bytes_written=writer.bytes,
    )


__all__ = ["STORY_END", "GenerateSummary", "generate"]
