"""Which arcs the story tells, where and when.

A fixed set of *hero* arcs comes first so that even the small shipped demo shows every
lifecycle call and every story the resource history is about; larger trails add random arcs
until the story's share of RDS records is used. In the shipped trail the heroes are:

- ``reporting-pg`` (prod, us-east-1): created by Terraform, its deferred class change applied
  by a later change made with apply-immediately, a static parameter waiting for the reboot
  that applies it, a snapshot and a restore test from it, a read replica promoted to a
  standalone ``reporting-pg-replica`` that outlives it, and its delete;
- ``ledger-aurora`` (prod, us-east-1): an Aurora cluster created with two instances, changed
  (its members listed, the first the writer), failed over to the second, and deleted;
- ``inventory-mysql`` (staging, us-east-1): created by Alice and renamed ``inventory-staging``,
  the name every later call uses (its snapshot and restore test among them);
- ``orders-prod`` (prod, us-east-1): a class change asked for, corrected the next day, applied
  in the Sunday maintenance window, then seen in effect (``story_changes.resize_arc``);
- ``orders-eu`` (prod, eu-west-1): a deferred storage and class change near the end, still
  pending when the trail ends.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.story_arcs import Story
from rdstrail_tui.demo.story_calls import DAY
from rdstrail_tui.demo.story_cast import APPS
from rdstrail_tui.demo.story_clusters import CLUSTER_STEPS
from rdstrail_tui.demo.story_instances import LIFECYCLE_STEPS

#: Share of all RDS records the hero arcs may take (small trails skip heroes that do not fit).
HERO_SHARE = 0.7
#: Share of all RDS records the whole story (heroes plus random arcs) aims for.
STORY_SHARE = 0.15
_MAINTENANCE = (
    "snapshot",
    "modify_pending",
    "logs_exports",
    "security_groups",
    "reboot",
    "cluster_snapshot",
    "failover",
)


def _instance_cost(polls: int) -> int:
    return 58 + 2 * polls


def _cluster_cost(polls: int) -> int:
    return 27 + 3 * polls


def plot(story: Story, rng: random.Random, rds_total: int, span_days: float) -> None:
    """Plan every arc into ``story`` (records accumulate in ``story.records``)."""
    tl, scenes, polls = story.tl, story.scenes, story.polls
    prod_use1, prod_euw1, stg_use1, stg_euw1 = scenes[:4]
    hero_cap = int(rds_total * HERO_SHARE)

    def at(days: float) -> int:
        moment = tl.working_after(rng, tl.start + int(days * DAY), 0, 4 * 3600)
        return moment if moment is not None else tl.start + int(days * DAY)

    heroes: list[tuple[int, Callable[[], None]]] = [
        (
            _instance_cost(polls),
            lambda: story.instance_arc(
                prod_use1, "postgres", "reporting", at(0.4), creator="ci", steps=LIFECYCLE_STEPS
            ),
        ),
        (
            _cluster_cost(polls),
            lambda: story.cluster_arc(
                prod_use1, "aurora-postgresql", "ledger", at(1.3), creator="ci", steps=CLUSTER_STEPS
            ),
        ),
        (
            28 + polls,
            lambda: story.instance_arc(
                stg_use1,
                "mysql",
                "inventory",
                at(2.0),
                creator="alice",
                steps=("logs_exports", "rename", "stop_start", "snapshot", "restore"),
            ),
        ),
        (
            _cluster_cost(polls) - 10,
            lambda: story.cluster_arc(
                prod_euw1,
                "aurora-mysql",
                "search",
                at(3.0),
                creator="ci",
                steps=("cluster_snapshot", "failover"),
            ),
        ),
        (6, lambda: story.parameter_arc(stg_euw1, "mysql", "qa-tuning", at(1.0))),
        (8, lambda: story.throttled_refresh(prod_use1, at(6.0))),
        (14, lambda: story.resize_arc(prod_use1, "orders-prod", at(5.7))),
        (8, lambda: story.maintenance_arc(prod_use1, at(4.0), ("failover",))),
        (12, lambda: story.maintenance_arc(prod_euw1, at(2.5), ("snapshot", "cluster_snapshot"))),
        (12, lambda: story.maintenance_arc(stg_use1, at(5.0), ("security_groups", "reboot"))),
        (12, lambda: story.maintenance_arc(stg_euw1, at(3.5), ("logs_exports", "snapshot"))),
        (6, lambda: story.maintenance_arc(prod_euw1, at(10.8), ("modify_pending",))),
    ]
    base_pace = story.pace
    for cost, hero in heroes:
        if story.rds_records + cost <= hero_cap:
            hero()

    budget = max(int(rds_total * STORY_SHARE), story.rds_records)
    stretch = (span_days / 14) ** 0.5
    weights = (0.25, 0.25, 0.25, 0.25)
    while True:
        kind = rng.choices(("instance", "cluster", "parameters", "maintenance"), (5, 2.2, 0.8, 2))[
            0
        ]
        cost = {
            "instance": _instance_cost(polls),
            "cluster": _cluster_cost(polls),
            "parameters": 6,
            "maintenance": 25,
        }[kind]
        if story.rds_records + cost > budget:
            break
        scene: Scene = rng.choices(scenes, weights)[0]
        story.pace = base_pace * stretch * rng.uniform(0.6, 1.6)
        t0 = tl.human(rng)
        app = rng.choice(APPS)
        delete = rng.random() < (0.25 if scene.place.env == "prod" else 0.5)
        if kind == "instance":
            engine = rng.choice(("postgres", "mysql"))
            creator = rng.choices(("ci", "alice", "jane"), (6, 2.5, 1.5))[0]
            story.instance_arc(scene, engine, app, t0, creator=creator, delete=delete)
        elif kind == "cluster":
            engine = rng.choice(("aurora-postgresql", "aurora-mysql"))
            creator = rng.choices(("ci", "carol"), (8, 2))[0]
            story.cluster_arc(scene, engine, app, t0, creator=creator, delete=delete)
        elif kind == "parameters":
            story.parameter_arc(scene, rng.choice(("postgres", "mysql")), app, t0)
        else:
            steps = rng.sample(_MAINTENANCE, rng.randint(2, 3))
            ordered = tuple(s for s in _MAINTENANCE if s in steps)
            story.maintenance_arc(scene, t0, ordered)
    story.pace = base_pace
