"""Who or what made a call, in a word or two, read from the record's user agent.

CloudTrail keeps the User-Agent header the caller sent (cut to 1 KB), or the name of the
service that called on someone's behalf. The header is whatever the client chose to send,
so this is a hint for people reading an event, never evidence: anyone can claim to be
Terraform. The strings matched below are the ones real clients send, for example

- `aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 ...`, `aws-cli/1.15.42 Python/3.6.1`
- `APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/...`
- `APN/1.0 Pulumi/1.0 PulumiAwsNative/1.12`
- `Boto3/1.34.145 md/Botocore#1.34.145 ... exec-env/AWS_Lambda_python3.12`
- `aws-sdk-java/2.20.162 Mac_OS_X/13.5.2 OpenJDK_64-Bit_Server_VM/17.0.8+7-LTS ...`
- `aws-sdk-js/3.632.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.18.0 api/connect#3.632.0`
- `aws-sdk-dotnet/1.4.11.0 .NET Runtime/4.0 .NET Framework/4.0 OS/6.1.7601.65536`
- `Grafana/11.3.0 aws-sdk-go/1.55.5 (go1.23.1; linux; amd64)`: a product over an SDK
- `console.amazonaws.com`, `signin.amazonaws.com`, `[S3Console/0.4]`, a browser's
  `Mozilla/5.0 ...`, and `AWS Internal` for a console session (sessionCredentialFromConsole)
- `cloudformation.amazonaws.com` with `userIdentity.invokedBy` the same (forward access
  sessions: CloudFormation acting with the caller's credentials)
- `rds.amazonaws.com`, `backup.amazonaws.com`: an AWS service calling on its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

CONSOLE = "console"
AWS_CLI = "AWS CLI"
TERRAFORM = "Terraform"
PULUMI = "Pulumi"
CDK = "CDK"
CLOUDFORMATION = "CloudFormation"
AWS_INTERNAL = "AWS Internal"

_SERVICE_SUFFIX = ".amazonaws.com"
# Services people know by name; any other service is shown by its host name, which is
# already readable (`rds.amazonaws.com`, `monitoring.rds.amazonaws.com`).
_SERVICE_NAMES: dict[str, str] = {
    "backup.amazonaws.com": "AWS Backup",
    "cloudformation.amazonaws.com": CLOUDFORMATION,
    "config.amazonaws.com": "AWS Config",
    "dms.amazonaws.com": "AWS DMS",
    "elasticbeanstalk.amazonaws.com": "Elastic Beanstalk",
    "secretsmanager.amazonaws.com": "Secrets Manager",
    "ssm.amazonaws.com": "Systems Manager",
    "servicecatalog.amazonaws.com": "Service Catalog",
}
# Agents the console sends, besides a browser's own.
_CONSOLE_AGENTS = frozenset({"console.amazonaws.com", "signin.amazonaws.com"})
_CONSOLE_HOST = re.compile(r"^console\.[a-z0-9.-]*amazonaws\.com$")
# First match wins: a tool before the SDK it is built on (Terraform's agent names
# aws-sdk-go, the AWS CLI v1's names botocore).
_TOOLS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bpulumi", re.IGNORECASE), PULUMI),
    (re.compile(r"\bTerraform/|terraform-provider-aws/", re.IGNORECASE), TERRAFORM),
    (re.compile(r"\baws-cdk/|\blib/aws-cdk", re.IGNORECASE), CDK),
    (re.compile(r"\baws-cli/", re.IGNORECASE), AWS_CLI),
    (re.compile(r"\bAWSPowerShell", re.IGNORECASE), "AWS PowerShell"),
)
_SDKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bBoto3/", re.IGNORECASE), "boto3"),
    (re.compile(r"\baws-sdk-java/", re.IGNORECASE), "Java SDK"),
    (re.compile(r"\baws-sdk-go(-v2)?/", re.IGNORECASE), "Go SDK"),
    (re.compile(r"\baws-sdk-(js|nodejs)/", re.IGNORECASE), "JS SDK"),
    (re.compile(r"\baws-sdk-dotnet", re.IGNORECASE), ".NET SDK"),
    (re.compile(r"\baws-sdk-ruby", re.IGNORECASE), "Ruby SDK"),
    (re.compile(r"\baws-sdk-php/", re.IGNORECASE), "PHP SDK"),
    (re.compile(r"\baws-sdk-rust/", re.IGNORECASE), "Rust SDK"),
    (re.compile(r"\baws-sdk-cpp/", re.IGNORECASE), "C++ SDK"),
    (re.compile(r"\baws-sdk-kotlin/", re.IGNORECASE), "Kotlin SDK"),
    (re.compile(r"\baws-sdk-swift/", re.IGNORECASE), "Swift SDK"),
    (re.compile(r"\bBotocore/", re.IGNORECASE), "botocore"),
)
# Where the client ran, when the agent says and it tells something (exec-env/...).
_PLACES: tuple[tuple[str, str], ...] = (("AWS_Lambda", "Lambda"), ("CloudShell", "CloudShell"))
_EXEC_ENV = re.compile(r"\bexec-env/([A-Za-z_]+)")
# A leading `Product/1.2` that names what was built on an SDK (`Grafana/11.3.0 aws-sdk-go`).
_PRODUCT = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]{1,23})/[0-9]")
_NOT_A_PRODUCT = frozenset({"apn", "hashicorp", "aws-internal", "mozilla", "python"})


def caller_kind(
    user_agent: str,
    identity: Mapping[str, object] | None = None,
    *,
    console_session: bool = False,
) -> str:
    """A short name for the client behind a call ("console", "AWS CLI", "Terraform",
    "boto3", "AWS Backup", ...), or "" when the user agent says nothing known.

    `identity` is the record's userIdentity: an AWSService caller, or a session used by a
    service on the caller's behalf (invokedBy), names that service. `console_session` is
    the record's sessionCredentialFromConsole."""
    agent = _unbracket(user_agent.strip())
    service = _invoked_by(identity)
    if service:
        return service
    for pattern, name in _TOOLS:
        if pattern.search(agent):
            return _with_place(name, agent)
    if _is_console(agent, console_session):
        return CONSOLE
    # AWS's own clients name the SDK they are built on: `aws-internal/3 aws-sdk-java/...`.
    if agent == AWS_INTERNAL or agent.lower().startswith("aws-internal/"):
        return AWS_INTERNAL
    for pattern, name in _SDKS:
        if pattern.search(agent):
            return _with_place(_with_product(name, agent), agent)
    if agent.lower().endswith(_SERVICE_SUFFIX) and " " not in agent:
        return service_name(agent)
    return ""


def service_name(host: str) -> str:
    """`backup.amazonaws.com` -> "AWS Backup"; a service without a better-known name keeps
    its host name."""
    return _SERVICE_NAMES.get(host.lower(), host)


def console_session(record: Mapping[str, object]) -> bool:
    """Whether the record says its credentials came from a console sign-in. Trails write
    the string "true"; some exports and fixtures a JSON boolean."""
    value = record.get("sessionCredentialFromConsole")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _unbracket(agent: str) -> str:
    # S3 data events wrap the agent in brackets: `[aws-cli/2.18.5]`, `[S3Console/0.4]`.
    if agent.startswith("[") and agent.endswith("]"):
        return agent[1:-1].strip()
    return agent


def _invoked_by(identity: Mapping[str, object] | None) -> str:
    if identity is None:
        return ""
    invoked_by = identity.get("invokedBy")
    if isinstance(invoked_by, str) and invoked_by.lower().endswith(_SERVICE_SUFFIX):
        return service_name(invoked_by)
    return ""


def _is_console(agent: str, from_console: bool) -> bool:
    lowered = agent.lower()
    if lowered in _CONSOLE_AGENTS or _CONSOLE_HOST.match(lowered):
        return True
    if lowered.startswith("s3console/"):
        return True
    # The console's own backend calls with a session that came from a sign-in.
    if from_console and (lowered == "aws internal" or lowered.startswith("aws-internal/")):
        return True
    # A browser: the console calls AWS from the page. An SDK in a browser names itself,
    # and is matched as an SDK after this.
    return lowered.startswith("mozilla/") and "aws-sdk" not in lowered


def _with_product(sdk: str, agent: str) -> str:
    """`Grafana/11.3.0 aws-sdk-go/1.55.5` -> "Grafana (Go SDK)"."""
    match = _PRODUCT.match(agent)
    if match is None:
        return sdk
    product = match.group(1)
    lowered = product.lower()
    if lowered in _NOT_A_PRODUCT or lowered.startswith(("aws-sdk", "boto", "aws-cli")):
        return sdk
    return f"{product} ({sdk})"


def _with_place(name: str, agent: str) -> str:
    """`boto3` run by Lambda -> "boto3 in Lambda"."""
    match = _EXEC_ENV.search(agent)
    if match is None:
        return name
    for prefix, place in _PLACES:
        if match.group(1).startswith(prefix):
            return f"{name} in {place}"
    return name
