"""The static estate of each account/region: network, keys, buckets, functions, secrets."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from rdstrail_tui.demo.ids import LOWER_ALNUM, UPPER_ALNUM, alnum, hex_digits, uuid4

_HOSTED_ZONES = {"us-east-1": "Z2R2ITUGPM61AM", "eu-west-1": "Z29XKXDKYMONMX"}


@dataclass
class Place:
    """One (account, region) pair: a CloudTrail log stream and the resources living in it."""

    index: int
    account: str
    region: str
    env: str
    vpc_id: str
    subnets: list[tuple[str, str]]
    sg_db: str
    sg_app: str
    sg_bastion: str
    kms_key: str
    endpoint_suffix: str
    hosted_zone: str
    instance_ids: list[str]
    buckets: list[str]
    functions: list[str]
    secrets: list[str]
    alarms: list[str]
    log_groups: list[str] = field(default_factory=list)

    @property
    def stream(self) -> tuple[str, str]:
        return self.account, self.region

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"


def build_place(
    rng: random.Random, index: int, account: str, region: str, env: str, apps: tuple[str, ...]
) -> Place:
    short = "use1" if region == "us-east-1" else "euw1"
    subnets = [(f"subnet-0{hex_digits(rng, 16)}", f"{region}{az}") for az in "abc"]
    secrets = [
        f"arn:aws:secretsmanager:{region}:{account}:secret:rds/{app}-{env}/master-{alnum(rng, 6)}"
        for app in apps
    ]
    buckets = [f"{env}-{app}-exports-{account}-{short}" for app in apps[:2]] + [
        f"{env}-rds-snapshot-exports-{short}",
        f"{env}-app-config-{short}",
    ]
    if region == "us-east-1":
        buckets.append(f"terraform-state-{account}")
        buckets.append(f"aws-cloudtrail-logs-{account}-org")
    return Place(
        index=index,
        account=account,
        region=region,
        env=env,
        vpc_id=f"vpc-0{hex_digits(rng, 16)}",
        subnets=subnets,
        sg_db=f"sg-0{hex_digits(rng, 16)}",
        sg_app=f"sg-0{hex_digits(rng, 16)}",
        sg_bastion=f"sg-0{hex_digits(rng, 16)}",
        kms_key=f"arn:aws:kms:{region}:{account}:key/{uuid4(rng)}",
        endpoint_suffix=alnum(rng, 12, LOWER_ALNUM),
        hosted_zone=_HOSTED_ZONES.get(region, "Z" + alnum(rng, 13, UPPER_ALNUM)),
        instance_ids=[f"i-0{hex_digits(rng, 16)}" for _ in range(6)],
        buckets=buckets,
        functions=[f"{app}-api" for app in apps[:2]] + ["rds-secret-rotation", "snapshot-pruner"],
        secrets=secrets,
        alarms=[f"{app}-{env}-cpu-high" for app in apps]
        + [f"{app}-{env}-free-storage-low" for app in apps],
    )
