"""Calls to services other than RDS: the background of a real management-event trail.

One job over 400 lines: a flat catalogue of one small builder per call, read as a table.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from rdstrail_tui.demo.ids import UPPER_ALNUM, alnum, hex_digits, java_time, key_id, uuid4
from rdstrail_tui.demo.scene import Scene

Json = dict[str, Any]
Error = tuple[str, str]


class Built(NamedTuple):
    params: Json | None
    response: Json | None = None
    additional: Json | None = None
    resources: list[Json] | None = None
    request_id: str | None = None
    error: Error | None = None
    shared_event_id: str | None = None


Builder = Callable[[random.Random, Scene, int], Built]


@dataclass(frozen=True)
class CallSpec:
    source: str
    name: str
    read_only: bool
    build: Builder
    #: Global services (IAM) are recorded in us-east-1 whatever region the caller works in.
    global_region: bool = False


NONE = Built(None)
_EMPTY: Json = {}


def _db_ident(rng: random.Random, scene: Scene) -> str:
    cat = scene.catalog
    return cat.instances[rng.randrange(cat.stable_instances)].ident


def _filter(name: str, value: str) -> Json:
    return {"items": [{"name": name, "valueSet": {"items": [{"value": value}]}}]}


# --- EC2 -------------------------------------------------------------------------------------


def ec2_describe_instances(rng: random.Random, scene: Scene, t: int) -> Built:
    if rng.random() < 0.5:
        return Built({"instancesSet": {}, "filterSet": {}})
    iid = rng.choice(scene.place.instance_ids)
    return Built({"instancesSet": {"items": [{"instanceId": iid}]}, "filterSet": {}})


def ec2_describe_security_groups(rng: random.Random, scene: Scene, t: int) -> Built:
    p = scene.place
    sg = rng.choice((p.sg_db, p.sg_app, p.sg_bastion))
    return Built(
        {
            "securityGroupSet": {},
            "securityGroupIdSet": {"items": [{"groupId": sg}]},
            "filterSet": {},
        }
    )


def ec2_describe_sg_rules(rng: random.Random, scene: Scene, t: int) -> Built:
    p = scene.place
    sg = rng.choice((p.sg_db, p.sg_app, p.sg_bastion))
    return Built({"securityGroupRuleIdSet": {}, "filterSet": _filter("group-id", sg)})


def ec2_describe_vpcs(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"vpcSet": {"items": [{"vpcId": scene.place.vpc_id}]}, "filterSet": {}})


def ec2_describe_subnets(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"subnetSet": {}, "filterSet": _filter("vpc-id", scene.place.vpc_id)})


def ec2_describe_enis(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"networkInterfaceIdSet": {}, "filterSet": _filter("group-id", scene.place.sg_db)})


def ec2_describe_volumes(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"volumeSet": {}, "filterSet": {}})


def ec2_describe_azs(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"availabilityZoneSet": {}, "availabilityZoneIdSet": {}})


def ec2_authorize_ingress(rng: random.Random, scene: Scene, t: int) -> Built:
    p = scene.place
    port = rng.choice((5432, 3306))
    params = {
        "groupId": p.sg_db,
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": "tcp",
                    "fromPort": port,
                    "toPort": port,
                    "groups": {"items": [{"groupId": p.sg_app}]},
                    "ipRanges": {},
                    "ipv6Ranges": {},
                    "prefixListIds": {},
                }
            ]
        },
    }
    response = {
        "requestId": uuid4(rng),
        "_return": True,
        "securityGroupRuleSet": {
            "items": [
                {
                    "groupOwnerId": p.account,
                    "groupId": p.sg_db,
                    "securityGroupRuleId": f"sgr-0{hex_digits(rng, 16)}",
                    "isEgress": False,
                    "ipProtocol": "tcp",
                    "fromPort": port,
                    "toPort": port,
                    "referencedGroupInfo": {"groupId": p.sg_app, "userId": p.account},
                }
            ]
        },
    }
    return Built(params, response)


def ec2_create_tags(rng: random.Random, scene: Scene, t: int) -> Built:
    iid = rng.choice(scene.place.instance_ids)
    params = {
        "resourcesSet": {"items": [{"resourceId": iid}]},
        "tagSet": {"items": [{"key": "patch-group", "value": scene.place.env}]},
    }
    return Built(params, {"requestId": uuid4(rng), "_return": True})


# --- IAM (global) ----------------------------------------------------------------------------

_ROLES = ("TerraformDeploy", "DBAdmin", "ReadOnly", "orders-api-role", "rds-monitoring-role")


def iam_get_role(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"roleName": rng.choice(_ROLES)})


def iam_list_attached_role_policies(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"roleName": rng.choice(_ROLES)})


def iam_get_role_policy(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"roleName": rng.choice(_ROLES), "policyName": "inline-rds-access"})


def iam_get_user(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"userName": rng.choice(("alice", "deploy-legacy"))})


def iam_list_access_keys(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"userName": rng.choice(("alice", "deploy-legacy"))})


def iam_list_policies(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"scope": "Local", "onlyAttached": False, "maxItems": 100})


def iam_get_policy(rng: random.Random, scene: Scene, t: int) -> Built:
    name = rng.choice(("rds-operators", "terraform-state-access", "secrets-read"))
    return Built({"policyArn": f"arn:aws:iam::{scene.place.account}:policy/{name}"})


def iam_list_mfa_devices(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"userName": rng.choice(("alice", "deploy-legacy"))})


def no_params(rng: random.Random, scene: Scene, t: int) -> Built:
    return NONE


# --- STS -------------------------------------------------------------------------------------


def _credentials(rng: random.Random, t: int, lifetime: int) -> Json:
    return {
        "accessKeyId": key_id(rng, "ASIA"),
        "sessionToken": "IQoJb3JpZ2luX2VjE" + alnum(rng, 48),
        "expiration": java_time(t + lifetime),
    }


def _assume_role(
    rng: random.Random, scene: Scene, t: int, role: str, session: str, lifetime: int
) -> Built:
    account = scene.place.account
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    role_id = scene.service_roles[role]
    response = {
        "credentials": _credentials(rng, t, lifetime),
        "assumedRoleUser": {
            "assumedRoleId": f"{role_id}:{session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        },
    }
    resources = [{"accountId": account, "type": "AWS::IAM::Role", "ARN": role_arn}]
    params = {"roleArn": role_arn, "roleSessionName": session}
    return Built(params, response, None, resources, None, None, uuid4(rng))


def sts_monitoring_assume(rng: random.Random, scene: Scene, t: int) -> Built:
    cat = scene.catalog
    inst = cat.instances[rng.randrange(cat.stable_instances)]
    return _assume_role(rng, scene, t, "rds-monitoring-role", inst.resource_id, 21600)


def sts_lambda_assume(rng: random.Random, scene: Scene, t: int) -> Built:
    fn = rng.choice(scene.place.functions)
    role = "orders-api-role" if fn.endswith("-api") else "lambda-maintenance-role"
    return _assume_role(rng, scene, t, role, fn, 43200)


# --- S3 bucket-level management calls --------------------------------------------------------


def _s3(rng: random.Random, scene: Scene, name: str | None, extra: Json, out: int = 0) -> Built:
    place = scene.place
    additional = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": 0,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": rng.choice(scene.host_ids),
        "bytesTransferredOut": out,
    }
    request_id = alnum(rng, 16, UPPER_ALNUM)
    if name is None:
        params = {"Host": f"s3.{place.region}.amazonaws.com"}
        return Built(params, None, additional, None, request_id)
    bucket = rng.choice(place.buckets)
    params = {"bucketName": bucket, "Host": f"{bucket}.s3.{place.region}.amazonaws.com"}
    params.update(extra)
    resources = [
        {"accountId": place.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
    ]
    error: Error | None = None
    if name == "policy" and rng.random() < 0.4:
        error = ("NoSuchBucketPolicy", "The bucket policy does not exist")
    elif name == "tagging" and rng.random() < 0.3:
        error = ("NoSuchTagSet", "The TagSet does not exist")
    return Built(params, None, additional, resources, request_id, error)


def s3_list_buckets(rng: random.Random, scene: Scene, t: int) -> Built:
    return _s3(rng, scene, None, _EMPTY, 1843)


def _bucket_getter(sub: str) -> Builder:
    extra = {sub: ""}

    def build(rng: random.Random, scene: Scene, t: int) -> Built:
        return _s3(rng, scene, sub, extra, 268)

    return build


# --- KMS -------------------------------------------------------------------------------------


def _key_resources(scene: Scene) -> list[Json]:
    return [{"accountId": scene.place.account, "type": "AWS::KMS::Key", "ARN": scene.place.kms_key}]


def kms_decrypt_secret(rng: random.Random, scene: Scene, t: int) -> Built:
    params = {
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "encryptionContext": {
            "SecretARN": rng.choice(scene.place.secrets),
            "SecretVersionId": uuid4(rng),
        },
    }
    return Built(params, None, None, _key_resources(scene))


def kms_generate_data_key(rng: random.Random, scene: Scene, t: int) -> Built:
    params = {"keyId": scene.place.kms_key, "keySpec": "AES_256"}
    return Built(params, None, None, _key_resources(scene))


def kms_rds_decrypt(rng: random.Random, scene: Scene, t: int) -> Built:
    cat = scene.catalog
    inst = cat.instances[rng.randrange(cat.stable_instances)]
    params = {
        "encryptionContext": {"aws:rds:db-id": inst.resource_id},
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    return Built(params, None, None, _key_resources(scene), None, None, uuid4(rng))


def kms_describe_key(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"keyId": scene.place.kms_key}, None, None, _key_resources(scene))


def kms_get_key_policy(rng: random.Random, scene: Scene, t: int) -> Built:
    params = {"keyId": scene.place.kms_key, "policyName": "default"}
    return Built(params, None, None, _key_resources(scene))


# --- CloudWatch, Logs ------------------------------------------------------------------------


def cw_get_metric_data(rng: random.Random, scene: Scene, t: int) -> Built:
    ident = _db_ident(rng, scene)
    metrics = ("CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "ReadIOPS")
    queries = [
        {
            "id": f"m{i}",
            "metricStat": {
                "metric": {
                    "namespace": "AWS/RDS",
                    "metricName": metric,
                    "dimensions": [{"name": "DBInstanceIdentifier", "value": ident}],
                },
                "period": 60,
                "stat": "Average",
            },
            "returnData": True,
        }
        for i, metric in enumerate(metrics[: rng.randint(1, 4)])
    ]
    params = {
        "metricDataQueries": queries,
        "startTime": java_time(t - 10800),
        "endTime": java_time(t),
    }
    return Built(params)


def cw_get_metric_statistics(rng: random.Random, scene: Scene, t: int) -> Built:
    params = {
        "namespace": "AWS/RDS",
        "metricName": rng.choice(("CPUUtilization", "FreeableMemory", "ReplicaLag")),
        "dimensions": [{"name": "DBInstanceIdentifier", "value": _db_ident(rng, scene)}],
        "startTime": java_time(t - 3600),
        "endTime": java_time(t),
        "period": 300,
        "statistics": ["Average", "Maximum"],
    }
    return Built(params)


def cw_list_metrics(rng: random.Random, scene: Scene, t: int) -> Built:
    if rng.random() < 0.5:
        return Built({"namespace": "AWS/RDS"})
    return Built(
        {
            "namespace": "AWS/RDS",
            "metricName": "CPUUtilization",
            "dimensions": [{"name": "DBInstanceIdentifier", "value": _db_ident(rng, scene)}],
        }
    )


def cw_describe_alarms(rng: random.Random, scene: Scene, t: int) -> Built:
    if rng.random() < 0.5:
        return Built({"maxRecords": 100})
    return Built({"alarmNames": [rng.choice(scene.place.alarms)]})


def cw_put_metric_alarm(rng: random.Random, scene: Scene, t: int) -> Built:
    p = scene.place
    ident = _db_ident(rng, scene)
    params = {
        "alarmName": f"{ident}-cpu-high",
        "alarmActions": [p.arn("sns", "ops-alerts")],
        "metricName": "CPUUtilization",
        "namespace": "AWS/RDS",
        "statistic": "Average",
        "dimensions": [{"name": "DBInstanceIdentifier", "value": ident}],
        "period": 300,
        "evaluationPeriods": 3,
        "threshold": 80.0,
        "comparisonOperator": "GreaterThanThreshold",
    }
    return Built(params)


def logs_describe_log_groups(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"logGroupNamePrefix": f"/aws/rds/instance/{_db_ident(rng, scene)}"})


def logs_describe_log_streams(rng: random.Random, scene: Scene, t: int) -> Built:
    group = f"/aws/rds/instance/{_db_ident(rng, scene)}/error"
    return Built({"logGroupName": group, "orderBy": "LastEventTime", "descending": True})


# --- Lambda, Secrets Manager, CloudTrail -----------------------------------------------------


def lambda_function(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"functionName": rng.choice(scene.place.functions)})


def lambda_update_code(rng: random.Random, scene: Scene, t: int) -> Built:
    p = scene.place
    fn = rng.choice(p.functions[:2])
    params = {
        "functionName": fn,
        "s3Bucket": p.buckets[-1],
        "s3Key": f"lambda/{fn}/{hex_digits(rng, 12)}.zip",
        "publish": True,
    }
    response = {
        "functionName": fn,
        "functionArn": p.arn("lambda", f"function:{fn}"),
        "runtime": "python3.12",
        "role": f"arn:aws:iam::{p.account}:role/orders-api-role",
        "handler": "app.handler",
        "codeSize": rng.randint(200_000, 9_000_000),
        "timeout": 30,
        "memorySize": 512,
        "codeSha256": alnum(rng, 43) + "=",
        "version": str(rng.randint(10, 400)),
        "state": "Active",
        "lastUpdateStatus": "InProgress",
        "architectures": ["arm64"],
    }
    return Built(params, response)


def secret_id(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"secretId": rng.choice(scene.place.secrets)})


def secret_resource_policy(rng: random.Random, scene: Scene, t: int) -> Built:
    secret = rng.choice(scene.place.secrets)
    return Built({"secretId": secret})


def secret_put_value(rng: random.Random, scene: Scene, t: int) -> Built:
    secret = rng.choice(scene.place.secrets)
    version = uuid4(rng)
    params = {"secretId": secret, "clientRequestToken": version, "versionStages": ["AWSPENDING"]}
    name = secret.rsplit(":", 1)[1]
    response = {
        "arn": secret,
        "name": name[:-7],
        "versionId": version,
        "versionStages": ["AWSPENDING"],
    }
    return Built(params, response)


def list_secrets(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"maxResults": 100} if rng.random() < 0.5 else None)


def trail_status(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"name": f"arn:aws:cloudtrail:us-east-1:{scene.place.account}:trail/org-trail"})


def describe_trails(rng: random.Random, scene: Scene, t: int) -> Built:
    return Built({"includeShadowTrails": True})


def _spec(source: str, name: str, read_only: bool, build: Builder) -> CallSpec:
    return CallSpec(f"{source}.amazonaws.com", name, read_only, build, source == "iam")


CALLS: dict[str, CallSpec] = {
    f"{spec.source.split('.', 1)[0]}:{spec.name}": spec
    for spec in (
        _spec("ec2", "DescribeInstances", True, ec2_describe_instances),
        _spec("ec2", "DescribeSecurityGroups", True, ec2_describe_security_groups),
        _spec("ec2", "DescribeSecurityGroupRules", True, ec2_describe_sg_rules),
        _spec("ec2", "DescribeVpcs", True, ec2_describe_vpcs),
        _spec("ec2", "DescribeSubnets", True, ec2_describe_subnets),
        _spec("ec2", "DescribeNetworkInterfaces", True, ec2_describe_enis),
        _spec("ec2", "DescribeVolumes", True, ec2_describe_volumes),
        _spec("ec2", "DescribeAvailabilityZones", True, ec2_describe_azs),
        _spec("ec2", "AuthorizeSecurityGroupIngress", False, ec2_authorize_ingress),
        _spec("ec2", "CreateTags", False, ec2_create_tags),
        _spec("iam", "GetRole", True, iam_get_role),
        _spec("iam", "ListAttachedRolePolicies", True, iam_list_attached_role_policies),
        _spec("iam", "GetRolePolicy", True, iam_get_role_policy),
        _spec("iam", "GetUser", True, iam_get_user),
        _spec("iam", "ListAccessKeys", True, iam_list_access_keys),
        _spec("iam", "ListPolicies", True, iam_list_policies),
        _spec("iam", "GetPolicy", True, iam_get_policy),
        _spec("iam", "ListMFADevices", True, iam_list_mfa_devices),
        _spec("iam", "ListRoles", True, no_params),
        _spec("iam", "ListUsers", True, no_params),
        _spec("iam", "GetAccountSummary", True, no_params),
        _spec("iam", "GenerateCredentialReport", False, no_params),
        _spec("sts", "GetCallerIdentity", True, no_params),
        _spec("s3", "ListBuckets", True, s3_list_buckets),
        _spec("s3", "GetBucketLocation", True, _bucket_getter("location")),
        _spec("s3", "GetBucketPolicy", True, _bucket_getter("policy")),
        _spec("s3", "GetBucketAcl", True, _bucket_getter("acl")),
        _spec("s3", "GetBucketVersioning", True, _bucket_getter("versioning")),
        _spec("s3", "GetBucketEncryption", True, _bucket_getter("encryption")),
        _spec("s3", "GetBucketTagging", True, _bucket_getter("tagging")),
        _spec("s3", "GetBucketPublicAccessBlock", True, _bucket_getter("publicAccessBlock")),
        _spec("kms", "Decrypt", True, kms_decrypt_secret),
        _spec("kms", "GenerateDataKey", True, kms_generate_data_key),
        _spec("kms", "DescribeKey", True, kms_describe_key),
        _spec("kms", "GetKeyPolicy", True, kms_get_key_policy),
        _spec("kms", "ListAliases", True, no_params),
        _spec("kms", "ListKeys", True, no_params),
        CallSpec("monitoring.amazonaws.com", "GetMetricData", True, cw_get_metric_data),
        CallSpec("monitoring.amazonaws.com", "GetMetricStatistics", True, cw_get_metric_statistics),
        CallSpec("monitoring.amazonaws.com", "ListMetrics", True, cw_list_metrics),
        CallSpec("monitoring.amazonaws.com", "DescribeAlarms", True, cw_describe_alarms),
        CallSpec("monitoring.amazonaws.com", "PutMetricAlarm", False, cw_put_metric_alarm),
        _spec("logs", "DescribeLogGroups", True, logs_describe_log_groups),
        _spec("logs", "DescribeLogStreams", True, logs_describe_log_streams),
        _spec("lambda", "ListFunctions20150331", True, no_params),
        _spec("lambda", "GetFunction20150331v2", True, lambda_function),
        _spec("lambda", "GetPolicy20150331v2", True, lambda_function),
        _spec("lambda", "UpdateFunctionCode20150331v2", False, lambda_update_code),
        _spec("secretsmanager", "GetSecretValue", True, secret_id),
        _spec("secretsmanager", "DescribeSecret", True, secret_id),
        _spec("secretsmanager", "GetResourcePolicy", True, secret_resource_policy),
        _spec("secretsmanager", "PutSecretValue", False, secret_put_value),
        _spec("secretsmanager", "ListSecrets", True, list_secrets),
        _spec("cloudtrail", "DescribeTrails", True, describe_trails),
        _spec("cloudtrail", "GetTrailStatus", True, trail_status),
    )
}

#: Calls AWS services make on their own behalf (``userIdentity.type`` ``AWSService``).
SERVICE_CALLS: dict[str, CallSpec] = {
    "monitoring-assume": _spec("sts", "AssumeRole", True, sts_monitoring_assume),
    "lambda-assume": _spec("sts", "AssumeRole", True, sts_lambda_assume),
    "rds-decrypt": _spec("kms", "Decrypt", True, kms_rds_decrypt),
    "rds-data-key": _spec("kms", "GenerateDataKey", True, kms_rds_decrypt),
}
