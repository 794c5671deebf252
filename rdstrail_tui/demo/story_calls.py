"""What every arc of the RDS story writes with: an arc's state, the recorder that turns calls
into serialised CloudTrail records (kept until the writer reaches their delivery window), and
the delay before each step."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from rdstrail_tui.demo.identities import ACTORS, CallerSession, Directory
from rdstrail_tui.demo.rds_model import DBCluster, DBInstance
from rdstrail_tui.demo.records import RecordFactory
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.timeline import Timeline

Json = dict[str, Any]
Error = tuple[str, str]
StoryRecord = tuple[int, int, bool, bytes]

RDS = "rds.amazonaws.com"
HOUR = 3600
DAY = 86400
WEEK = 7 * DAY
#: First Sunday 05:47 UTC maintenance window on or after the epoch grid (1970-01-04 05:47):
#: every database of the story has ``preferredMaintenanceWindow`` sun:05:47-sun:06:17.
_FIRST_WINDOW = 3 * DAY + 5 * HOUR + 47 * 60

#: Delay before each step, in days (low, high), before scaling by the arc's pace.
_DELAYS = {
    "modify_pending": (0.8, 2.5),
    "logs_exports": (0.1, 1.2),
    "security_groups": (0.1, 1.2),
    "denied": (0.05, 1.5),
    "reboot": (0.1, 0.8),
    "snapshot": (0.1, 1.0),
    "stop_start": (0.1, 0.8),
    "replica": (0.1, 1.2),
    "restore": (0.1, 0.8),
    "delete": (0.3, 1.5),
    "modify_cluster_pg": (0.5, 2.0),
    "cluster_snapshot": (0.1, 1.0),
    "failover": (0.2, 1.5),
    "tune_parameters": (0.1, 1.0),
    "rename": (0.1, 1.0),
    "promote": (0.2, 0.8),
    "modify_cluster": (0.1, 0.8),
}


def next_window(t: int) -> int:
    """The first maintenance window after ``t``, when deferred changes apply (a window leaves
    no CloudTrail record: the next response of the database shows them in effect)."""
    return _FIRST_WINDOW + ((t - _FIRST_WINDOW) // WEEK + 1) * WEEK


@dataclass
class _Arc:
    """Mutable state of one arc while it is being written (private to the story_* modules)."""

    scene: Scene
    app: str
    creator: str
    inst: DBInstance | None = None
    cluster: DBCluster | None = None
    pending: Json = field(default_factory=dict)
    pending_since: int = 0
    snapshot: str | None = None
    extra: list[DBInstance] = field(default_factory=list)
    #: Hero arcs take every optional branch (failed attempts included).
    full: bool = False


class Recorder:
    """Opens caller sessions and records their RDS calls; the base of every kind of arc."""

    def __init__(
        self,
        rng: random.Random,
        factory: RecordFactory,
        directory: Directory,
        scenes: list[Scene],
        timeline: Timeline,
        polls: int,
        pace: float,
    ) -> None:
        self.rng = rng
        self.factory = factory
        self.directory = directory
        self.scenes = scenes
        self.tl = timeline
        self.polls = polls
        self.pace = pace
        self.records: list[StoryRecord] = []
        self.rds_records = 0
        #: Records of other event sources (Performance Insights, the Data API).
        self.other_records = 0

    # --- primitives ---------------------------------------------------------------------------

    def open(self, actor: str, scene: Scene, t: int) -> CallerSession:
        return self.directory.open(self.rng, ACTORS[actor], scene.place.account, t)

    def call(
        self,
        s: CallerSession,
        scene: Scene,
        t: int,
        name: str,
        params: Json | None,
        response: Json | None = None,
        *,
        error: Error | None = None,
        read_only: bool = False,
        source: str = RDS,
        old: bool | None = None,
    ) -> None:
        """One call of ``source`` (RDS unless told); ``old`` as in ``RecordFactory.call``."""
        data = self.factory.call(
            s,
            scene.place.region,
            t,
            source,
            name,
            params,
            None if error is not None else response,
            read_only,
            error=error,
            old=old,
        )
        is_rds = source == RDS
        # orjson hands back an oversized buffer; keep a compact copy since story records wait.
        self.records.append((t, scene.place.index, is_rds, bytes(memoryview(data))))
        if is_rds:
            self.rds_records += 1
        else:
            self.other_records += 1

    def poll(
        self, s: CallerSession, scene: Scene, t: int, name: str, params: Json, count: int = -1
    ) -> int:
        """Describe calls a client makes while waiting for a change; returns the last time."""
        fast = s.actor.key == "ci"
        n = self.polls if count < 0 else count
        for _ in range(n):
            t += self.rng.randint(10, 30) if fast else self.rng.randint(30, 150)
            self.call(s, scene, t, name, params, read_only=True)
        return t

    def denied(
        self, s: CallerSession, scene: Scene, t: int, name: str, params: Json, arn: str
    ) -> None:
        message = (
            f"User: {s.identity['arn']} is not authorized to perform: rds:{name} on resource: "
            f"{arn} because no identity-based policy allows the rds:{name} action"
        )
        self.call(s, scene, t, name, params, error=("AccessDenied", message))

    # --- what every kind of arc shares --------------------------------------------------------

    def _after(self, t: int, step: str) -> int | None:
        """When ``step`` comes after ``t``: a working-hours moment its delay later (None: past
        the end of the story)."""
        lo, hi = _DELAYS[step]
        return self.tl.working_after(self.rng, t, lo * DAY * self.pace, hi * DAY * self.pace)
