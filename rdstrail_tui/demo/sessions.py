"""Background activity: who works when, in sessions of related calls.

Sessions are planned up front as small tuples (start time, profile, place, actor, how many RDS
and other calls) so that the exact number of records is known, then expanded into serialised
records only when the writer reaches their delivery window.

One job over 400 lines: the plan of who works when, whose parts only make sense together.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from rdstrail_tui.demo.identities import ACTORS, BROWSER_MAC, CallerSession, Directory
from rdstrail_tui.demo.noise import CALLS, SERVICE_CALLS, CallSpec
from rdstrail_tui.demo.rds_reads import READS, THROTTLED
from rdstrail_tui.demo.records import RecordFactory
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.timeline import Timeline

T = TypeVar("T")
Emit = Callable[[int, int, bool, bytes], None]
RDS = "rds.amazonaws.com"


class Picker(Generic[T]):
    """Weighted choice with precomputed cumulative weights (one random draw per pick)."""

    def __init__(self, items: Sequence[tuple[T, float]]) -> None:
        self.items = [item for item, _ in items]
        self.cum = list(itertools.accumulate(weight for _, weight in items))
        self.total = self.cum[-1] if self.cum else 0.0

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect.bisect(self.cum, rng.random() * self.total)]


@dataclass(frozen=True)
class Profile:
    """A kind of session: who runs it, when, how long, and which calls it makes."""

    name: str
    actors: tuple[str, ...]
    weight: float
    mean_size: float
    gap: float
    rds_share: float
    reads: tuple[tuple[str, float], ...] = ()
    calls: tuple[tuple[str, float], ...] = ()
    human: bool = True
    console: bool = False
    login: bool = False
    throttle: float = 0.0
    denied: frozenset[str] = frozenset()
    service: bool = False


_CONSOLE_READS = (
    ("DescribeDBInstances", 6.0),
    ("DescribeDBClusters", 3.0),
    ("DescribeEvents", 2.0),
    ("DescribePendingMaintenanceActions", 2.0),
    ("DescribeAccountAttributes", 1.0),
    ("DescribeDBSnapshots", 1.5),
    ("DescribeDBClusterSnapshots", 0.7),
    ("ListTagsForResource", 1.0),
    ("DescribeCertificates", 0.3),
    ("DescribeDBProxies", 0.3),
    ("DescribeGlobalClusters", 0.3),
    ("DescribeDBParameterGroups", 0.5),
    ("DescribeDBLogFiles", 0.5),
)
_CONSOLE_CALLS = (
    ("ec2:DescribeInstances", 4.0),
    ("ec2:DescribeSecurityGroups", 2.0),
    ("ec2:DescribeAvailabilityZones", 1.0),
    ("ec2:DescribeVpcs", 1.0),
    ("monitoring:GetMetricData", 6.0),
    ("monitoring:DescribeAlarms", 3.0),
    ("monitoring:ListMetrics", 1.0),
    ("s3:ListBuckets", 2.0),
    ("s3:GetBucketLocation", 1.0),
    ("s3:GetBucketAcl", 1.0),
    ("kms:ListAliases", 2.0),
    ("kms:DescribeKey", 1.0),
    ("secretsmanager:ListSecrets", 2.0),
    ("secretsmanager:DescribeSecret", 1.0),
    ("lambda:ListFunctions20150331", 2.0),
    ("lambda:GetFunction20150331v2", 1.0),
    ("logs:DescribeLogGroups", 2.0),
    ("logs:DescribeLogStreams", 1.0),
    ("iam:GetAccountSummary", 1.0),
    ("iam:ListRoles", 1.0),
)
_DBA_READS = (
    ("DescribeDBInstances", 6.0),
    ("DescribeDBClusters", 2.0),
    ("DescribeDBSnapshots", 2.0),
    ("DescribeEvents", 2.0),
    ("DescribeDBLogFiles", 1.0),
    ("DownloadDBLogFilePortion", 1.0),
    ("DescribeDBParameters", 1.0),
    ("ListTagsForResource", 1.0),
    ("DescribePendingMaintenanceActions", 0.5),
    ("DescribeDBEngineVersions", 0.3),
)

PROFILES: tuple[Profile, ...] = (
    Profile(
        "terraform",
        ("ci",),
        1.0,
        30,
        1.5,
        0.25,
        reads=(
            ("DescribeDBInstances", 5.0),
            ("ListTagsForResource", 4.0),
            ("DescribeDBParameters", 2.0),
            ("DescribeDBParameterGroups", 1.0),
            ("DescribeDBSubnetGroups", 1.0),
            ("DescribeDBClusters", 2.0),
            ("DescribeDBClusterParameters", 1.0),
            ("DescribeDBEngineVersions", 0.5),
            ("DescribeOrderableDBInstanceOptions", 0.3),
        ),
        calls=(
            ("sts:GetCallerIdentity", 4.0),
            ("ec2:DescribeSecurityGroups", 6.0),
            ("ec2:DescribeVpcs", 3.0),
            ("ec2:DescribeSubnets", 3.0),
            ("ec2:DescribeSecurityGroupRules", 3.0),
            ("iam:GetRole", 4.0),
            ("iam:ListAttachedRolePolicies", 3.0),
            ("iam:GetRolePolicy", 1.0),
            ("kms:DescribeKey", 3.0),
            ("kms:GetKeyPolicy", 1.0),
            ("s3:GetBucketPolicy", 2.0),
            ("s3:GetBucketVersioning", 2.0),
            ("s3:GetBucketEncryption", 2.0),
            ("s3:GetBucketAcl", 1.0),
            ("s3:GetBucketTagging", 1.0),
            ("s3:GetBucketLocation", 1.0),
            ("lambda:GetFunction20150331v2", 2.0),
            ("lambda:GetPolicy20150331v2", 1.0),
            ("secretsmanager:DescribeSecret", 2.0),
            ("secretsmanager:GetResourcePolicy", 1.0),
            ("monitoring:DescribeAlarms", 2.0),
            ("logs:DescribeLogGroups", 1.0),
            ("ec2:CreateTags", 0.2),
            ("lambda:UpdateFunctionCode20150331v2", 0.2),
            ("monitoring:PutMetricAlarm", 0.1),
            ("ec2:AuthorizeSecurityGroupIngress", 0.1),
        ),
        throttle=0.004,
    ),
    Profile(
        "console",
        ("bob", "jane"),
        1.5,
        15,
        6.0,
        0.35,
        reads=_CONSOLE_READS,
        calls=_CONSOLE_CALLS,
        console=True,
    ),
    Profile(
        "console-user",
        ("alice",),
        0.25,
        12,
        8.0,
        0.35,
        reads=_CONSOLE_READS,
        calls=_CONSOLE_CALLS,
        console=True,
        login=True,
    ),
    Profile(
        "cli",
        ("alice", "carol"),
        1.0,
        8,
        25.0,
        0.45,
        reads=_DBA_READS,
        calls=(
            ("sts:GetCallerIdentity", 4.0),
            ("ec2:DescribeInstances", 3.0),
            ("ec2:DescribeSecurityGroups", 2.0),
            ("s3:ListBuckets", 2.0),
            ("s3:GetBucketLocation", 1.0),
            ("logs:DescribeLogGroups", 1.0),
            ("logs:DescribeLogStreams", 1.0),
            ("secretsmanager:GetSecretValue", 2.0),
            ("secretsmanager:DescribeSecret", 1.0),
            ("kms:DescribeKey", 1.0),
            ("monitoring:GetMetricStatistics", 2.0),
            ("iam:GetUser", 1.0),
            ("iam:ListAccessKeys", 0.5),
            ("lambda:GetFunction20150331v2", 0.5),
        ),
    ),
    Profile(
        "grafana",
        ("grafana",),
        1.5,
        20,
        30.0,
        0.15,
        reads=(
            ("DescribeDBInstances", 6.0),
            ("DescribeDBClusters", 3.0),
            ("ListTagsForResource", 3.0),
            ("DescribeEvents", 1.0),
        ),
        calls=(
            ("monitoring:GetMetricData", 10.0),
            ("monitoring:ListMetrics", 3.0),
            ("monitoring:GetMetricStatistics", 2.0),
            ("monitoring:DescribeAlarms", 1.0),
            ("ec2:DescribeInstances", 1.0),
            ("logs:DescribeLogGroups", 0.5),
        ),
        human=False,
        throttle=0.006,
    ),
    Profile(
        "lambda-app",
        ("app",),
        3.0,
        12,
        3.0,
        0.0,
        calls=(
            ("secretsmanager:GetSecretValue", 10.0),
            ("kms:Decrypt", 5.0),
            ("kms:GenerateDataKey", 1.0),
            ("secretsmanager:DescribeSecret", 0.5),
            ("secretsmanager:PutSecretValue", 0.1),
        ),
        human=False,
    ),
    Profile(
        "monitoring-service",
        ("svc_monitoring",),
        1.5,
        6,
        900.0,
        0.0,
        calls=(("monitoring-assume", 1.0),),
        human=False,
        service=True,
    ),
    Profile(
        "lambda-service",
        ("svc_lambda",),
        1.2,
        5,
        400.0,
        0.0,
        calls=(("lambda-assume", 1.0),),
        human=False,
        service=True,
    ),
    Profile(
        "rds-service",
        ("svc_rds",),
        0.8,
        6,
        120.0,
        0.0,
        calls=(("rds-decrypt", 3.0), ("rds-data-key", 1.0)),
        human=False,
        service=True,
    ),
    Profile(
        "audit",
        ("audit",),
        0.3,
        80,
        0.6,
        0.12,
        reads=(
            ("DescribeDBInstances", 3.0),
            ("DescribeDBClusters", 2.0),
            ("DescribeDBSnapshots", 2.0),
            ("DescribeDBClusterSnapshots", 1.0),
            ("DescribeDBParameters", 1.0),
            ("DescribeDBSubnetGroups", 1.0),
            ("DescribeDBParameterGroups", 1.0),
            ("DescribeExportTasks", 0.3),
            ("DescribeDBProxies", 0.3),
            ("DescribeGlobalClusters", 0.2),
            ("ListTagsForResource", 1.0),
        ),
        calls=(
            ("iam:ListUsers", 1.0),
            ("iam:ListRoles", 1.0),
            ("iam:GetAccountSummary", 0.5),
            ("iam:GenerateCredentialReport", 0.3),
            ("iam:ListPolicies", 1.0),
            ("iam:GetPolicy", 1.0),
            ("iam:ListMFADevices", 1.0),
            ("iam:ListAccessKeys", 1.0),
            ("s3:ListBuckets", 1.0),
            ("s3:GetBucketAcl", 2.0),
            ("s3:GetBucketPolicy", 2.0),
            ("s3:GetBucketEncryption", 2.0),
            ("s3:GetBucketPublicAccessBlock", 2.0),
            ("s3:GetBucketVersioning", 2.0),
            ("ec2:DescribeSecurityGroups", 2.0),
            ("ec2:DescribeInstances", 1.0),
            ("ec2:DescribeVolumes", 1.0),
            ("ec2:DescribeVpcs", 1.0),
            ("kms:ListKeys", 1.0),
            ("kms:DescribeKey", 1.0),
            ("kms:GetKeyPolicy", 1.0),
            ("cloudtrail:DescribeTrails", 0.5),
            ("cloudtrail:GetTrailStatus", 0.5),
            ("secretsmanager:ListSecrets", 1.0),
            ("secretsmanager:GetResourcePolicy", 1.0),
            ("lambda:ListFunctions20150331", 1.0),
            ("lambda:GetPolicy20150331v2", 1.0),
            ("logs:DescribeLogGroups", 1.0),
        ),
        human=False,
        throttle=0.01,
        denied=frozenset({"secretsmanager:GetResourcePolicy", "kms:GetKeyPolicy"}),
    ),
    Profile(
        "bastion",
        ("bastion",),
        0.3,
        10,
        20.0,
        0.6,
        reads=(
            ("DescribeDBInstances", 4.0),
            ("DescribeDBLogFiles", 2.0),
            ("DownloadDBLogFilePortion", 3.0),
            ("DescribeEvents", 1.0),
        ),
        calls=(
            ("ec2:DescribeInstances", 1.0),
            ("sts:GetCallerIdentity", 2.0),
            ("secretsmanager:GetSecretValue", 3.0),
            ("logs:DescribeLogStreams", 0.5),
        ),
    ),
    Profile(
        "legacy-script",
        ("deploy",),
        0.4,
        10,
        3.0,
        0.4,
        reads=(
            ("DescribeDBSnapshots", 4.0),
            ("DescribeDBInstances", 2.0),
            ("DescribeExportTasks", 1.0),
        ),
        calls=(
            ("s3:GetBucketLocation", 2.0),
            ("s3:ListBuckets", 1.0),
            ("sts:GetCallerIdentity", 1.0),
            ("kms:DescribeKey", 1.0),
        ),
        human=False,
        throttle=0.004,
    ),
)
ROOT_PROFILE = Profile(
    "root",
    ("root",),
    0.0,
    4,
    20.0,
    0.25,
    reads=(("DescribeDBInstances", 1.0),),
    calls=(("iam:GetAccountSummary", 1.0), ("iam:ListUsers", 1.0), ("iam:ListMFADevices", 1.0)),
    console=True,
    login=True,
)
ALL_PROFILES = (*PROFILES, ROOT_PROFILE)


class PlannedSession(NamedTuple):
    start: int
    seq: int
    profile: int
    place: int
    actor: str
    n_rds: int
    n_other: int


def plan_sessions(
    rng: random.Random,
    timeline: Timeline,
    rds_budget: int,
    other_budget: int,
    place_weights: Sequence[float],
    home_places: Sequence[int],
    scale: float,
) -> list[PlannedSession]:
    """Sessions using up exactly ``rds_budget`` RDS and ``other_budget`` other records."""
    sessions: list[PlannedSession] = []
    seq = itertools.count()
    root_index = len(ALL_PROFILES) - 1
    # The root user signs in once per account, if the trail is big enough to afford it.
    for place in sorted(set(home_places)):
        if rds_budget >= 1 and other_budget >= 4:
            start = timeline.human(rng)
            sessions.append(PlannedSession(start, next(seq), root_index, place, "root", 1, 3))
            rds_budget -= 1
            other_budget -= 3
    weights = [p.weight * p.mean_size for p in PROFILES]
    natural = sum(w * p.rds_share for w, p in zip(weights, PROFILES)) / sum(weights)
    wanted = rds_budget / max(1, rds_budget + other_budget)
    factor = wanted / natural if natural else 0.0
    all_profiles = Picker([(i, p.weight) for i, p in enumerate(PROFILES)])
    rds_profiles = Picker([(i, p.weight) for i, p in enumerate(PROFILES) if p.rds_share > 0])
    places = Picker(list(enumerate(place_weights)))
    while rds_budget > 0 or other_budget > 0:
        index = (all_profiles if other_budget > 0 else rds_profiles).pick(rng)
        profile = PROFILES[index]
        size = 1 + int(rng.expovariate(1.0 / max(0.5, profile.mean_size * scale - 1)))
        if other_budget <= 0:
            n_rds, n_other = min(size, rds_budget), 0
        else:
            share = min(1.0, profile.rds_share * factor)
            n_rds = min(rds_budget, int(size * share + rng.random()))
            n_other = min(other_budget, size - n_rds)
        if profile.login and n_other == 0:
            continue
        if n_rds + n_other == 0:
            continue
        rds_budget -= n_rds
        other_budget -= n_other
        start = timeline.human(rng) if profile.human else timeline.uniform(rng)
        actor = rng.choice(profile.actors)
        place = places.pick(rng)
        sessions.append(PlannedSession(start, next(seq), index, place, actor, n_rds, n_other))
    sessions.sort()
    return sessions


class SessionRunner:
    """Turns planned sessions into serialised records."""

    def __init__(
        self,
        rng: random.Random,
        factory: RecordFactory,
        directory: Directory,
        scenes: Sequence[Scene],
        home_places: Sequence[int],
        end: int,
    ) -> None:
        self.rng = rng
        self.factory = factory
        self.directory = directory
        self.scenes = scenes
        self.home = home_places
        self.end = end
        self.reads = [Picker(p.reads) if p.reads else None for p in ALL_PROFILES]
        self.calls: list[Picker[CallSpec]] = [
            Picker([((SERVICE_CALLS if p.service else CALLS)[k], w) for k, w in p.calls])
            for p in ALL_PROFILES
        ]
        self.denied = [frozenset(CALLS[k] for k in p.denied) for p in ALL_PROFILES]

    def run(self, ps: PlannedSession, emit: Emit) -> None:
        rng, factory, end = self.rng, self.factory, self.end
        profile = ALL_PROFILES[ps.profile]
        scene = self.scenes[ps.place]
        region = scene.place.region
        home = self.scenes[self.home[ps.place]]
        actor = ACTORS[ps.actor]
        s = self.directory.open(rng, actor, scene.place.account, ps.start, console=profile.console)
        t = ps.start
        n_rds, n_other = ps.n_rds, ps.n_other
        if profile.login:
            t, used = self._login(s, home, t, emit, allow_failure=n_other >= 2)
            n_other -= used
        reads, calls, gap = self.reads[ps.profile], self.calls[ps.profile], 1.0 / profile.gap
        expo, rand = rng.expovariate, rng.random
        catalog = scene.catalog
        denied = self.denied[ps.profile]
        for _ in range(n_rds + n_other):
            t += 1 + int(expo(gap))
            if t >= end:
                # The trail ends mid-session: fold the rest back into the session's span.
                t = ps.start + rng.randrange(end - ps.start)
            if rand() * (n_rds + n_other) < n_rds:
                n_rds -= 1
                assert reads is not None
                name = reads.pick(rng)
                params, error = READS[name](rng, catalog, t)
                if error is None and profile.throttle and rand() < profile.throttle:
                    error = THROTTLED
                data = factory.call(s, region, t, RDS, name, params, None, True, error=error)
                emit(ps.place, t, True, data)
                continue
            n_other -= 1
            spec = calls.pick(rng)
            target = home if spec.global_region else scene
            b = spec.build(rng, target, t)
            error = b.error
            if spec in denied:
                error = self._denied(s, spec, b.params)
            data = factory.call(
                s,
                target.place.region,
                t,
                spec.source,
                spec.name,
                b.params,
                None if error is not None else b.response,
                spec.read_only,
                error=error,
                additional=b.additional,
                resources=b.resources,
                request_id=b.request_id,
                shared_event_id=b.shared_event_id,
            )
            emit(target.place.index, t, False, data)

    def _denied(
        self, s: CallerSession, spec: CallSpec, params: dict[str, object] | None
    ) -> tuple[str, str]:
        service = spec.source.split(".", 1)[0]
        resource = str((params or {}).get("secretId") or (params or {}).get("keyId") or "*")
        action = f"{service}:{spec.name}"
        return (
            "AccessDenied",
            f"User: {s.identity['arn']} is not authorized to perform: {action} on resource: "
            f"{resource} because no identity-based policy allows the {action} action",
        )

    def _login(
        self, s: CallerSession, home: Scene, t: int, emit: Emit, *, allow_failure: bool
    ) -> tuple[int, int]:
        """A ConsoleLogin record (sometimes after a failed attempt) in the account's home region."""
        rng, actor, account = self.rng, s.actor, s.account
        login = CallerSession(
            actor,
            account,
            self.directory.login_identity(actor, account),
            s.source_ip if s.source_ip != "AWS Internal" else actor.ips[0],
            BROWSER_MAC,
            False,
            True,
            None,
        )
        region = home.place.region
        mfa = {"MFAUsed": "Yes"} if actor.mfa or actor.kind == "root" else {"MFAUsed": "No"}
        additional = {
            "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true",
            "MobileVersion": "No",
            **mfa,
        }
        used = 1
        if allow_failure and rng.random() < 0.1:
            used = 2
            failure = self.factory.call(
                login,
                region,
                t,
                "signin.amazonaws.com",
                "ConsoleLogin",
                None,
                {"ConsoleLogin": "Failure"},
                False,
                error=("", "Failed authentication"),
                additional=additional,
                request_id="",
                event_type="AwsConsoleSignIn",
            )
            emit(home.place.index, t, False, failure)
            t += rng.randint(10, 40)
        data = self.factory.call(
            login,
            region,
            t,
            "signin.amazonaws.com",
            "ConsoleLogin",
            None,
            {"ConsoleLogin": "Success"},
            False,
            additional=additional,
            request_id="",
            event_type="AwsConsoleSignIn",
        )
        emit(home.place.index, t, False, data)
        return t, used
