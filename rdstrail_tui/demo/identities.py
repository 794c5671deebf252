"""Who calls the APIs: the demo cast and the ``userIdentity`` shapes CloudTrail writes for them."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from rdstrail_tui.demo.ids import hex_digits, iso, key_id

Json = dict[str, Any]

PROD_ACCOUNT = "111122223333"
STAGING_ACCOUNT = "444455556666"
ACCOUNTS = (PROD_ACCOUNT, STAGING_ACCOUNT)
REGIONS = ("us-east-1", "eu-west-1")

AWS_INTERNAL = "AWS Internal"

CLI_MAC = (
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off"
)
CLI_LINUX = (
    "aws-cli/2.18.12 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 "
    "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#ubuntu.24 md/prompt#off"
)
CLI_V1 = "aws-cli/1.33.44 Python/3.11.9 Linux/6.1.109-118.189.amzn2023.x86_64 botocore/1.34.162"
BOTO3_LEGACY = "Boto3/1.26.165 Python/3.9.18 Linux/5.10.226-214.880.amzn2.x86_64 Botocore/1.29.165"
BOTO3_LAMBDA = (
    "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 "
    "md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 "
    "cfg/retry-mode#legacy Botocore/1.34.145"
)
BOTO3_AUDIT = (
    "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#6.1.112 md/arch#x86_64 lang/python#3.11.10 "
    "md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.35.54"
)
TERRAFORM = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) "
    "terraform-provider-aws/5.74.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go-v2/1.32.3 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64"
)
GRAFANA = "Grafana/11.3.0 aws-sdk-go/1.55.5 (go1.23.1; linux; amd64)"
BROWSER_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
BROWSER_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"
CLI_WINDOWS = (
    "aws-cli/2.21.1 md/awscrt#0.22.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off"
)

SSO_ROLE = "AWSReservedSSO_AdministratorAccess_abc123"


@dataclass(frozen=True)
class Actor:
    """One principal of the cast; ``kind`` is ``user``, ``role``, ``root`` or ``service``."""

    key: str
    kind: str
    name: str
    session_names: tuple[str, ...] = ()
    agents: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    console: bool = False
    mfa: bool = False
    role_path: str = "/"
    ec2_instance: bool = False
    private: bool = False


CAST: tuple[Actor, ...] = (
    Actor("alice", "user", "alice", agents=(CLI_MAC, TERRAFORM), ips=("198.51.100.23",), mfa=True),
    Actor("deploy", "user", "deploy-legacy", agents=(BOTO3_LEGACY, CLI_V1), ips=("192.0.2.150",)),
    Actor(
        "bob",
        "role",
        "ReadOnly",
        session_names=("bob",),
        agents=(AWS_INTERNAL, BROWSER_WIN),
        ips=("192.0.2.17",),
        console=True,
    ),
    Actor(
        "carol",
        "role",
        "DBAdmin",
        session_names=("carol",),
        agents=(CLI_LINUX,),
        ips=("203.0.113.41",),
        mfa=True,
    ),
    Actor(
        "jane",
        "role",
        SSO_ROLE,
        session_names=("jane@example.com",),
        agents=(AWS_INTERNAL, BROWSER_MAC),
        ips=("198.51.100.88",),
        console=True,
        role_path="/aws-reserved/sso.amazonaws.com/",
    ),
    Actor(
        "ci",
        "role",
        "TerraformDeploy",
        session_names=("gha-{run}",),
        agents=(TERRAFORM,),
        ips=("10.20.4.57", "10.20.5.112"),
        private=True,
    ),
    Actor(
        "bastion",
        "role",
        "BastionRole",
        session_names=("i-0a4f7c21d9be63e58",),
        agents=(CLI_LINUX,),
        ips=("10.20.1.12",),
        ec2_instance=True,
        private=True,
    ),
    Actor(
        "grafana",
        "role",
        "GrafanaCloudWatch",
        session_names=("grafana",),
        agents=(GRAFANA,),
        ips=("203.0.113.200",),
    ),
    Actor(
        "app",
        "role",
        "orders-api-role",
        session_names=("orders-api",),
        agents=(BOTO3_LAMBDA,),
        ips=("10.20.8.33", "10.20.9.71"),
        private=True,
    ),
    Actor(
        "audit",
        "role",
        "SecurityAudit",
        session_names=("audit-{run}",),
        agents=(BOTO3_AUDIT,),
        ips=("203.0.113.9",),
    ),
    Actor("root", "root", "root", agents=(BROWSER_MAC,), ips=("198.51.100.7",), console=True),
    Actor("svc_rds", "service", "rds.amazonaws.com"),
    Actor("svc_monitoring", "service", "monitoring.rds.amazonaws.com"),
    Actor("svc_lambda", "service", "lambda.amazonaws.com"),
)
#: Cast members who join late (the risky calls of ``story_risks``). They are not in ``CAST``,
#: whose order fixes the directory's draws, so adding them changed no other record; their
#: principal IDs are drawn the first time they sign in.
LATECOMERS: tuple[Actor, ...] = (
    Actor(
        "contractor",
        "role",
        "AWSReservedSSO_DataEngineering_5f2c1d0b9e7a4c36",
        session_names=("sam.reyes@northwind.example",),
        agents=(CLI_WINDOWS,),
        ips=("203.0.113.77",),
        role_path="/aws-reserved/sso.amazonaws.com/",
    ),
    Actor(
        "priya",
        "role",
        "AWSReservedSSO_SecurityEngineer_0c9e3b7a2d4f6158",
        session_names=("priya@example.com",),
        agents=(AWS_INTERNAL, BROWSER_WIN),
        ips=("198.51.100.142",),
        console=True,
        mfa=True,
        role_path="/aws-reserved/sso.amazonaws.com/",
    ),
)
ACTORS: dict[str, Actor] = {a.key: a for a in (*CAST, *LATECOMERS)}


@dataclass
class CallerSession:
    """One sign-in / credential session: every record it makes shares these values."""

    actor: Actor
    account: str
    identity: Json
    source_ip: str
    user_agent: str
    console: bool
    tls: bool
    vpc_endpoint: str | None


@dataclass
class Directory:
    """Stable principal IDs, long-term keys and VPC endpoints for the cast in each account."""

    rng: random.Random
    principal_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    access_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    endpoints: dict[str, str] = field(default_factory=dict)
    _run: int = 4100

    def __post_init__(self) -> None:
        for account in ACCOUNTS:
            self.endpoints[account] = "vpce-0" + hex_digits(self.rng, 16)
            for actor in CAST:
                if actor.kind == "user":
                    self.principal_ids[account, actor.key] = key_id(self.rng, "AIDA")
                    self.access_keys[account, actor.key] = key_id(self.rng, "AKIA")
                elif actor.kind == "role":
                    self.principal_ids[account, actor.key] = key_id(self.rng, "AROA")

    def role_arn(self, actor: Actor, account: str) -> str:
        return f"arn:aws:iam::{account}:role{actor.role_path}{actor.name}"

    def open(
        self, rng: random.Random, actor: Actor, account: str, t0: int, *, console: bool = False
    ) -> CallerSession:
        """Start a session of ``actor`` in ``account`` at ``t0`` (epoch seconds)."""
        console = console or actor.console
        ip = rng.choice(actor.ips) if actor.ips else actor.name
        agent = rng.choice(actor.agents) if actor.agents else actor.name
        if actor.kind == "service":
            identity: Json = {"type": "AWSService", "invokedBy": actor.name}
            return CallerSession(
                actor, account, identity, actor.name, actor.name, False, False, None
            )
        attributes = {
            "creationDate": iso(t0 - rng.randrange(30, 1800)),
            "mfaAuthenticated": "true" if actor.mfa or actor.kind == "root" else "false",
        }
        if actor.kind == "root":
            identity = {
                "type": "Root",
                "principalId": account,
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
                "accessKeyId": key_id(rng, "ASIA"),
                "sessionContext": {
                    "sessionIssuer": {},
                    "webIdFederationData": {},
                    "attributes": attributes,
                },
            }
        elif actor.kind == "user":
            principal = self.principal_ids[account, actor.key]
            identity = {
                "type": "IAMUser",
                "principalId": principal,
                "arn": f"arn:aws:iam::{account}:user/{actor.name}",
                "accountId": account,
                "accessKeyId": (
                    key_id(rng, "ASIA") if console else self.access_keys[account, actor.key]
                ),
                "userName": actor.name,
            }
            if console:
                identity["sessionContext"] = {
                    "sessionIssuer": {},
                    "webIdFederationData": {},
                    "attributes": attributes,
                }
        else:
            session_name = self._session_name(rng, actor)
            role_id = self.principal_ids.get((account, actor.key))
            if role_id is None:  # a latecomer's first session in this account
                role_id = self.principal_ids[account, actor.key] = key_id(rng, "AROA")
            context: Json = {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": self.role_arn(actor, account),
                    "accountId": account,
                    "userName": actor.name,
                },
                "webIdFederationData": {},
                "attributes": attributes,
            }
            if actor.ec2_instance:
                context["ec2RoleDelivery"] = "2.0"
            identity = {
                "type": "AssumedRole",
                "principalId": f"{role_id}:{session_name}",
                "arn": f"arn:aws:sts::{account}:assumed-role/{actor.name}/{session_name}",
                "accountId": account,
                "accessKeyId": key_id(rng, "ASIA"),
                "sessionContext": context,
            }
        if console and agent == AWS_INTERNAL:
            ip = AWS_INTERNAL
        tls = agent != AWS_INTERNAL
        endpoint = self.endpoints[account] if actor.private else None
        return CallerSession(actor, account, identity, ip, agent, console, tls, endpoint)

    def login_identity(self, actor: Actor, account: str) -> Json:
        """``userIdentity`` of a ConsoleLogin record (no session yet, empty access key)."""
        if actor.kind == "root":
            return {
                "type": "Root",
                "principalId": account,
                "arn": f"arn:aws:iam::{account}:root",
                "accountId": account,
                "accessKeyId": "",
            }
        return {
            "type": "IAMUser",
            "principalId": self.principal_ids[account, actor.key],
            "arn": f"arn:aws:iam::{account}:user/{actor.name}",
            "accountId": account,
            "accessKeyId": "",
            "userName": actor.name,
        }

    def _session_name(self, rng: random.Random, actor: Actor) -> str:
        template = rng.choice(actor.session_names)
        if "{run}" in template:
            self._run += rng.randint(1, 9)
            return template.format(run=self._run)
        return template
