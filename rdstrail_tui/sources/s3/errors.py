"""S3 failures: which ones end a whole sync, and one line for a user about each."""

from __future__ import annotations

import re

from rdstrail_tui.sources.aws import describe_aws_error, error_code

# Failures after which nothing else in the bucket can be read either.
_FATAL_CODES = frozenset(
    {
        "NoSuchBucket",
        "InvalidBucketName",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "RequestTimeTooSkewed",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "InvalidClientTokenId",
        "InvalidToken",
        "TokenRefreshRequired",
        "AccountProblem",
        "AllAccessDisabled",
        "PermanentRedirect",
        "AuthorizationHeaderMalformed",
        "IllegalLocationConstraintException",
    }
)
_FATAL_ERRORS = frozenset(
    {
        "NoCredentialsError",
        "PartialCredentialsError",
        "CredentialRetrievalError",
        "TokenRetrievalError",
        "SSOError",
        "EndpointConnectionError",
        "ProxyConnectionError",
        "SSLError",
    }
)
_WRONG_REGION = frozenset(
    {"PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException"}
)
_ERROR_CODE = re.compile(rb"<Code>([A-Za-z]+)</Code>")


def is_fatal(error: BaseException) -> bool:
    """Whether nothing else in the bucket can be read after this failure either (no
    credentials, a refused key, no bucket, another region, no network)."""
    if error_code(error) in _FATAL_CODES:
        return True
    return bool(_FATAL_ERRORS.intersection(kind.__name__ for kind in type(error).__mro__))


def refused_request(status: int, body: bytes) -> bool:
    """Whether S3 refused a request the way it was made (a redirect, a signature it does
    not take), as opposed to refusing the caller access to one object."""
    if status in (301, 307, 400):
        return True
    if status != 403:
        return False
    match = _ERROR_CODE.search(body[:4096])
    return match is None or match[1] != b"AccessDenied"


def describe_s3_error(error: BaseException, *, what: str, profile: str | None, bucket: str) -> str:
    """One line for an S3 failure: describe_aws_error, with S3's own refusals said plainly
    (another region, a secret key that does not match, an unknown key id, a wrong clock)."""
    code = error_code(error)
    named = f"profile {profile!r}" if profile else "the default credentials"
    if code in _WRONG_REGION or code == "301":
        region = _bucket_region(error)
        where = f" ({region})" if region else ""
        return (
            f"{what}: the bucket is in another region{where} than the one asked: "
            "pass --region or set AWS_REGION to the bucket's region"
        )
    if code == "SignatureDoesNotMatch":
        return (
            f"{what}: S3 refused the signature of {named} (SignatureDoesNotMatch): the "
            "secret access key does not match the access key id"
        )
    if code == "InvalidAccessKeyId":
        return (
            f"{what}: S3 does not know the access key id of {named} (InvalidAccessKeyId): "
            "check the credentials, or the endpoint"
        )
    if code == "RequestTimeTooSkewed":
        return f"{what}: this machine's clock is too far from S3's: set the time right"
    if code == "NoSuchBucket":
        return f"{what}: no such bucket {bucket!r}: check the name in the s3:// URL"
    return describe_aws_error(error, what=what, profile=profile)


def _bucket_region(error: BaseException) -> str | None:
    """The bucket's region, where S3 said it (in the error, or a header)."""
    response = getattr(error, "response", None)
    if not isinstance(response, dict):
        return None
    region = response.get("Error", {}).get("Region")
    if region:
        return str(region)
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    value = headers.get("x-amz-bucket-region")
    return str(value) if value else None
