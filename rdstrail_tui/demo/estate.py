"""The accounts, regions and long-lived databases that exist before the story begins."""

from __future__ import annotations

import random

from rdstrail_tui.demo.identities import PROD_ACCOUNT, STAGING_ACCOUNT, Directory
from rdstrail_tui.demo.ids import alnum, key_id
from rdstrail_tui.demo.rds_model import (
    ENGINES,
    DBCluster,
    DBInstance,
    RdsCatalog,
    Snapshot,
    resource_id,
)
from rdstrail_tui.demo.scene import Scene
from rdstrail_tui.demo.world import build_place

DAY = 86400

#: (account, region, environment, applications, share of all activity)
PLACES = (
    (PROD_ACCOUNT, "us-east-1", "prod", ("orders", "payments", "catalog"), 0.45),
    (PROD_ACCOUNT, "eu-west-1", "prod", ("orders", "catalog", "payments"), 0.25),
    (STAGING_ACCOUNT, "us-east-1", "staging", ("orders", "payments", "qa"), 0.2),
    (STAGING_ACCOUNT, "eu-west-1", "staging", ("qa", "orders", "catalog"), 0.1),
)

#: Long-lived instances per place: (identifier, engine, class, storage GiB, multi-AZ).
_INSTANCES = (
    (
        ("orders-prod", "postgres", "db.r6g.xlarge", 500, True),
        ("legacy-cms", "mysql", "db.m5.large", 200, False),
    ),
    (("orders-eu", "postgres", "db.r6g.large", 300, True),),
    (("orders-staging", "postgres", "db.t4g.medium", 100, False),),
    (
        ("qa-mysql", "mysql", "db.t4g.small", 50, False),
        ("orders-eu-staging", "postgres", "db.t4g.medium", 100, False),
    ),
)
#: Long-lived Aurora clusters per place: (identifier, engine, members).
_CLUSTERS = (
    (("payments-aurora", "aurora-postgresql", 2),),
    (("catalog-aurora", "aurora-mysql", 2),),
    (("payments-aurora-staging", "aurora-postgresql", 1),),
    (),
)


def build_scenes(rng: random.Random, directory: Directory, start: int) -> list[Scene]:
    scenes: list[Scene] = []
    for index, (account, region, env, apps, _share) in enumerate(PLACES):
        place = build_place(rng, index, account, region, env, apps)
        catalog = RdsCatalog(place)
        _stable_resources(rng, catalog, index, start)
        scene = Scene(place, catalog, directory)
        scene.host_ids = [alnum(rng, 56) + "=" for _ in range(16)]
        scene.service_roles = {
            "rds-monitoring-role": key_id(rng, "AROA"),
            "lambda-maintenance-role": key_id(rng, "AROA"),
            "orders-api-role": directory.principal_ids[account, "app"],
        }
        scenes.append(scene)
    return scenes


def _stable_resources(rng: random.Random, cat: RdsCatalog, index: int, start: int) -> None:
    place = cat.place
    for ident, engine, klass, storage, multi_az in _INSTANCES[index]:
        eng = ENGINES[engine]
        group = f"{ident}-{eng.family.replace('.', '-')}"
        created = start - rng.randint(120, 900) * DAY
        cat.instances.append(
            DBInstance(
                ident=ident,
                engine=eng,
                place=place,
                klass=klass,
                storage=storage,
                resource_id=resource_id(rng, "db-"),
                param_group=group,
                created=created,
                multi_az=multi_az,
                security_groups=[place.sg_db],
                log_exports=list(eng.log_types[:1]),
                az=rng.choice(place.subnets)[1],
                monitoring=True,
            )
        )
        cat.param_groups.append(group)
        cat.snapshots.append(Snapshot(f"{ident}-pre-upgrade-baseline", ident, False, created + DAY))
        cat.names.add(ident)
    for ident, engine, members in _CLUSTERS[index]:
        eng = ENGINES[engine]
        created = start - rng.randint(120, 900) * DAY
        group = f"{ident}-{eng.family.replace('.', '-')}"
        cluster = DBCluster(
            ident=ident,
            engine=eng,
            place=place,
            resource_id=resource_id(rng, "cluster-"),
            param_group=group,
            created=created,
            security_groups=[place.sg_db],
            log_exports=[eng.log_types[0]],
        )
        for n in range(1, members + 1):
            member = DBInstance(
                ident=f"{ident}-instance-{n}",
                engine=eng,
                place=place,
                klass="db.r6g.xlarge" if place.env == "prod" else "db.t4g.medium",
                storage=1,
                resource_id=resource_id(rng, "db-"),
                param_group=f"default.{eng.family}",
                created=created,
                cluster=ident,
                security_groups=[place.sg_db],
                az=place.subnets[(n - 1) % len(place.subnets)][1],
                monitoring=True,
            )
            cat.instances.append(member)
            cluster.members.append(member.ident)
            cat.names.add(member.ident)
        cluster.writer = cluster.members[0]
        cat.clusters.append(cluster)
        cat.cluster_param_groups.append(group)
        cat.names.add(ident)
    families = sorted({i.engine.family for i in cat.instances if i.cluster is None})
    cat.param_groups.extend(f"default.{family}" for family in families)
    cat.stable_instances = len(cat.instances)
    cat.stable_clusters = len(cat.clusters)
