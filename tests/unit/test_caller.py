"""The caller kind read from a record's user agent: real agents of the console, the AWS CLI,
Terraform, CloudFormation, the SDKs and AWS services, and the word each is shown as."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rdstrail_tui.demo import identities
from rdstrail_tui.present.caller import caller_kind, console_session, service_name
from tests.conftest import load_shared_records

TERRAFORM_V3 = (
    "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) "
    "terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go/1.44.157 (go1.19.3; darwin; arm64) 68319f60-9dec-43b2-9702-de3a08c9d8a3 "
    "HashiCorp-terraform-exec/0.17.3"
)
JAVA_V1 = (
    "aws-sdk-java/1.12.277 Linux/5.4.204-124.362.amzn2int.x86_64 "
    "OpenJDK_64-Bit_Server_VM/25.342-b07 java/1.8.0_342 vendor/Oracle_Corporation"
)
JAVA_V2 = (
    "aws-sdk-java/2.20.162 Mac_OS_X/13.5.2 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS Java/17.0.8 "
    "vendor/Amazon.com_Inc. io/sync http/UrlConnection cfg/retry-mode/legacy"
)
JS_V3_LAMBDA = (
    "aws-sdk-js/3.632.0 ua/2.0 os/linux#5.10.227-239.884.amzn2.x86_64 lang/js "
    "md/nodejs#20.18.0 api/connect#3.632.0 exec-env/AWS_Lambda_nodejs20.x"
)
S3_CONSOLE = (
    "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.11.666 Linux/4.9.184-0.1.ac.235.83.329."
    "metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.232-b09 java/1.8.0_232 vendor/Oracle_Corporation]"
)

AGENTS: list[tuple[str, str]] = [
    # the console, in every form it takes
    ("console.amazonaws.com", "console"),
    ("signin.amazonaws.com", "console"),
    ("console.ec2.amazonaws.com", "console"),
    (S3_CONSOLE, "console"),
    (identities.BROWSER_MAC, "console"),
    (identities.BROWSER_WIN, "console"),
    # the AWS CLI, v2 and v1 (which names botocore), and in brackets as S3 writes it
    (identities.CLI_MAC, "AWS CLI"),
    (identities.CLI_LINUX, "AWS CLI"),
    (identities.CLI_V1, "AWS CLI"),
    ("aws-cli/1.15.42 Python/3.6.1 Darwin/17.7.0 botocore/1.10.42", "AWS CLI"),
    ("[aws-cli/2.18.5]", "AWS CLI"),
    ("aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exec-env/CloudShell", "AWS CLI in CloudShell"),
    # infrastructure as code, before the Go SDK their agents also name
    (identities.TERRAFORM, "Terraform"),
    (TERRAFORM_V3, "Terraform"),
    ("APN/1.0 Pulumi/1.0 PulumiAwsNative/1.12", "Pulumi"),
    ("aws-cdk/2.110.0 (cli) aws-sdk-js/2.1500.0", "CDK"),
    ("cloudformation.amazonaws.com", "CloudFormation"),
    # SDKs, by language
    ("Boto3/1.26.0", "boto3"),
    ("Boto3/1.26.0 Python/3.9.0", "boto3"),
    (identities.BOTO3_LEGACY, "boto3"),
    (identities.BOTO3_AUDIT, "boto3"),
    (identities.BOTO3_LAMBDA, "boto3 in Lambda"),
    ("Botocore/1.31.0 Python/3.11.4", "botocore"),
    (JAVA_V1, "Java SDK"),
    (JAVA_V2, "Java SDK"),
    ("aws-sdk-go/1.44.157 (go1.19.3; linux; amd64)", "Go SDK"),
    ("aws-sdk-go-v2/1.32.3 os/linux lang/go#1.23.2", "Go SDK"),
    (JS_V3_LAMBDA, "JS SDK in Lambda"),
    ("aws-sdk-nodejs/2.1354.0 linux/v18.16.0 exec-env/AWS_ECS_FARGATE", "JS SDK"),
    ("aws-sdk-dotnet/1.4.11.0 .NET Runtime/4.0 .NET Framework/4.0 OS/6.1.7601.65536", ".NET SDK"),
    ("aws-sdk-dotnet-coreclr/3.7.300.2 aws-sdk-dotnet-core/3.7.300.2 .NET_Core/6.0", ".NET SDK"),
    ("aws-sdk-ruby3/3.190.3 ruby/3.2.2 x86_64-linux", "Ruby SDK"),
    ("aws-sdk-php/3.283.0 OS/Linux/5.15 lang/php/8.2.12", "PHP SDK"),
    ("aws-sdk-rust/1.1.0 os/linux lang/rust/1.74.0", "Rust SDK"),
    # a product built on an SDK names itself first
    (identities.GRAFANA, "Grafana (Go SDK)"),
    ("sdt/0.0.1-63215750 aws-sdk-go/1.5.8 (go1.7.3; darwin; amd64)", "sdt (Go SDK)"),
    # AWS itself
    ("AWS Internal", "AWS Internal"),
    ("rds.amazonaws.com", "rds.amazonaws.com"),
    ("monitoring.rds.amazonaws.com", "monitoring.rds.amazonaws.com"),
    ("backup.amazonaws.com", "AWS Backup"),
    # nothing known
    ("python-requests/2.28.0", ""),
    ("68319f60-9dec-43b2-9702-de3a08c9d8a3", ""),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("agent", "kind"), AGENTS)
def test_caller_kind_of_real_user_agents(agent: str, kind: str) -> None:
    assert caller_kind(agent) == kind


IDENTITIES: list[tuple[str, dict[str, Any], bool, str]] = [
    # An AWS service calling on its own: named from invokedBy whatever the agent says.
    (
        "AWS Internal",
        {"type": "AWSService", "invokedBy": "backup.amazonaws.com"},
        False,
        "AWS Backup",
    ),
    (
        "rds.amazonaws.com",
        {"type": "AWSService", "invokedBy": "rds.amazonaws.com"},
        False,
        "rds.amazonaws.com",
    ),
    # A forward access session: CloudFormation acting with the caller's role.
    (
        "cloudformation.amazonaws.com",
        {"type": "AssumedRole", "invokedBy": "cloudformation.amazonaws.com"},
        False,
        "CloudFormation",
    ),
    # The console's backend, with a session from a console sign-in.
    ("AWS Internal", {"type": "AssumedRole"}, True, "console"),
    ("aws-internal/3 aws-sdk-java/1.11.666", {"type": "AssumedRole"}, True, "console"),
    ("aws-internal/3 aws-sdk-java/1.11.666", {"type": "AssumedRole"}, False, "AWS Internal"),
    # A console session does not make the AWS CLI the console (CloudShell, copied keys).
    (identities.CLI_LINUX, {"type": "IAMUser"}, True, "AWS CLI"),
    # invokedBy that is not a service host says nothing.
    ("aws-cli/2.13.0", {"type": "AssumedRole", "invokedBy": "AWS Internal"}, False, "AWS CLI"),
]


@pytest.mark.parametrize(("agent", "identity", "from_console", "kind"), IDENTITIES)
def test_caller_kind_uses_the_identity_and_the_console_session(
    agent: str, identity: dict[str, Any], from_console: bool, kind: str
) -> None:
    assert caller_kind(agent, identity, console_session=from_console) == kind


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), (True, True), ("false", False), (False, False), (None, False)],
)
def test_console_session_reads_strings_and_booleans(value: object, expected: bool) -> None:
    assert console_session({"sessionCredentialFromConsole": value}) is expected
    assert console_session({}) is False


def test_service_names() -> None:
    assert service_name("backup.amazonaws.com") == "AWS Backup"
    assert service_name("lambda.amazonaws.com") == "lambda.amazonaws.com"


def test_every_agent_of_the_shared_records_gets_a_kind_or_is_unknown_on_purpose() -> None:
    unknown = set()
    for record in load_shared_records():
        agent = record.get("userAgent") or ""
        kind = caller_kind(
            agent, record.get("userIdentity"), console_session=console_session(record)
        )
        if not kind:
            unknown.add(agent)
    # A scraping library and a bare UUID (a Terraform run's id) are not clients we know.
    assert unknown == {"", "python-requests/2.28.0", "68319f60-9dec-43b2-9702-de3a08c9d8a3"}


def test_the_demo_agents_all_have_a_kind() -> None:
    agents = [value for name, value in vars(identities).items() if name.isupper()]
    agents = [agent for agent in agents if isinstance(agent, str) and "/" in agent]
    assert agents, "the demo names its user agents in module constants"
    kinds = {agent: caller_kind(agent) for agent in agents}
    assert all(kinds.values()), json.dumps(kinds, indent=1)
