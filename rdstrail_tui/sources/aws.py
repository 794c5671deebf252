"""AWS access shared by the sources: sessions from the standard credential chain, clients
pointed at another endpoint when asked, and AWS failures turned into one-line messages that
say what to do. Credentials are never stored: boto3 finds them each time."""

from __future__ import annotations

import difflib
import os
import threading
from typing import TYPE_CHECKING, Literal, overload

import boto3
import botocore.exceptions
import botocore.loaders
import botocore.session
from botocore.config import Config

from rdstrail_tui.sources.sync import SyncError

if TYPE_CHECKING:  # boto3-stubs (a test dependency): the clients' types, for mypy only
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

# The services the sources make clients for; each has its typed overload of make_client.
Service = Literal["cloudtrail", "s3", "sts"]

# Credential failures whose fix is to log in again.
_EXPIRED = {
    "ExpiredToken",
    "ExpiredTokenException",
    "RequestExpired",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidToken",
}


_LOADER: botocore.loaders.Loader | None = None
_LOADER_LOCK = threading.Lock()


def _shared_loader(core: botocore.session.Session) -> botocore.loaders.Loader:
    """One botocore data loader for the process. A new session's loader parses each service
    model and endpoint ruleset again (0.14 s for S3's: half of a sync that finds nothing
    new); the files never change while the process runs, credentials are not in them."""
    global _LOADER
    with _LOADER_LOCK:
        if _LOADER is None:
            _LOADER = botocore.loaders.create_loader(core.get_config_variable("data_path"))
        return _LOADER


def make_session(profile: str | None) -> boto3.Session:
    """The standard chain: --profile (else AWS_PROFILE), SSO and assumed-role profiles,
    environment keys, the instance role of the bastion itself. A new session each time,
    so credentials are looked up afresh (after `aws sso login`, say)."""
    core = botocore.session.get_session()
    if profile:
        core.set_config_variable("profile", profile)
    # Before anything reads the profile's settings: botocore raises ProfileNotFound from
    # whatever reads them first (the data path below, a client, a credential lookup).
    check_profile(core, profile)
    loader = _shared_loader(core)
    core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core, profile_name=profile)
    with _LOADER_LOCK:  # boto3 appends its own data folder for every session
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


# The variables botocore takes a profile name from, in its order.
_PROFILE_VARIABLES = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")


def check_profile(core: botocore.session.Session, profile: str | None) -> None:
    """A profile (--profile, else AWS_PROFILE) that no config or credentials file has is
    said now, in one line that is the same whichever named it."""
    wanted = profile or core.profile
    if not wanted:
        return
    known = sorted(core.available_profiles)
    if wanted in known:
        return
    origin = (
        ""
        if profile
        else next(
            (f" ({name})" for name in _PROFILE_VARIABLES if os.environ.get(name) == wanted), ""
        )
    )
    raise SyncError(f"no AWS profile {wanted!r}{origin}: {_profile_hint(wanted, known)}")


def _profile_hint(wanted: str, known: list[str]) -> str:
    close = difflib.get_close_matches(wanted, known, n=1)
    if close:
        return f"did you mean {close[0]!r}?"
    if not known:
        return f"none is configured (aws configure --profile {wanted})"
    return "see aws configure list-profiles"


@overload
def make_client(
    session: boto3.Session,
    service: Literal["cloudtrail"],
    region: str | None,
    endpoint_url: str | None = None,
    *,
    max_attempts: int = 5,
    pool_size: int = 10,
) -> CloudTrailClient: ...


@overload
def make_client(
    session: boto3.Session,
    service: Literal["s3"],
    region: str | None,
    endpoint_url: str | None = None,
    *,
    max_attempts: int = 5,
    pool_size: int = 10,
) -> S3Client: ...


@overload
def make_client(
    session: boto3.Session,
    service: Literal["sts"],
    region: str | None,
    endpoint_url: str | None = None,
    *,
    max_attempts: int = 5,
    pool_size: int = 10,
) -> STSClient: ...


def make_client(
    session: boto3.Session,
    service: Service,
    region: str | None,
    endpoint_url: str | None = None,
    *,
    max_attempts: int = 5,
    pool_size: int = 10,
) -> CloudTrailClient | S3Client | STSClient:
    """A client of `service` with standard retries, `pool_size` kept-alive connections and
    rdstrail in its user agent (`endpoint_url` for another endpoint than AWS's)."""
    config = Config(
        retries={"mode": "standard", "max_attempts": max_attempts},
        max_pool_connections=pool_size,
        user_agent_extra="rdstrail",
    )
    # `service` is one of the literals: the stubs' overloads give the union of their clients.
    return session.client(service, region_name=region, endpoint_url=endpoint_url, config=config)


def error_code(error: BaseException) -> str:
    if isinstance(error, botocore.exceptions.ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""


def describe_aws_error(error: BaseException, *, what: str, profile: str | None) -> str:
    """One line for a user: what failed (`what` names the input), and what to do. Short, so
    that with a region or bucket in front it still fits a narrow terminal."""
    whose = f" of profile {profile!r}" if profile else ""
    login = f"aws sso login --profile {profile}" if profile else "aws sso login"
    code = error_code(error)
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        if profile:
            return f"{what}: no AWS credentials found for profile {profile!r}: check it"
        return f"{what}: no AWS credentials found: pass --profile or set AWS_PROFILE"
    if isinstance(error, (botocore.exceptions.TokenRetrievalError, botocore.exceptions.SSOError)):
        return f"{what}: the SSO session{whose} has expired or is missing: run `{login}`"
    if code in _EXPIRED:
        return f"{what}: the credentials{whose} have expired or are not valid: run `{login}`"
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
        return f"{what}: access denied{whose}: the caller needs permission to read this"
    if code in ("NoSuchBucket",):
        return f"{what}: no such bucket: check the name in the s3:// URL"
    if isinstance(error, botocore.exceptions.EndpointConnectionError):
        return (
            f"{what}: cannot reach {error.kwargs.get('endpoint_url', 'the endpoint')}: check "
            "the network, the region or --endpoint-url"
        )
    if isinstance(error, botocore.exceptions.ClientError):
        message = error.response.get("Error", {}).get("Message", "")
        return f"{what}: {code or 'AWS error'}: {message}".rstrip(": ")
    if isinstance(error, botocore.exceptions.BotoCoreError):
        return f"{what}: {error}"
    return f"{what}: {type(error).__name__}: {error}"
