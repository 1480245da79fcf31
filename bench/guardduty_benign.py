"""A benign CloudTrail workload for GuardDuty's false-positive rate: one account over N days of CI roles,
administrators, applications on EC2 and Lambda, and AWS services acting for them — with the noise real accounts
have (CI runners on ever-changing cloud addresses, an administrator travelling, a new employee, a new application
deployed mid-period, a dynamic home address, occasional new APIs from known places). Deterministic (seeded).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "111122223333"
START = datetime(2025, 3, 3, tzinfo=UTC)
CLI = "aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-1051-aws exe/x86_64.ubuntu.22 prompt/off command/{cmd}"
BOTO = "Boto3/1.34.{minor} md/Botocore#1.34.{minor} ua/2.0 os/linux#5.10.210 md/arch#x86_64 lang/python#3.11.8"
CONSOLE = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3"

_SOURCES = {
    "Describe": "ec2",
    "RunInstances": "ec2",
    "TerminateInstances": "ec2",
    "CreateSnapshot": "ec2",
    "AuthorizeSecurityGroupIngress": "ec2",
    "GetSecretValue": "secretsmanager",
    "PutSecretValue": "secretsmanager",
    "Decrypt": "kms",
    "Encrypt": "kms",
    "GenerateDataKey": "kms",
    "CreateKey": "kms",
    "ScheduleKeyDeletion": "kms",
    "GetParameters": "ssm",
    "GetParameter": "ssm",
    "PutParameter": "ssm",
    "UpdateFunctionCode": "lambda",
    "UpdateFunctionConfiguration": "lambda",
    "GetFunction": "lambda",
    "ListFunctions": "lambda",
    "GetAuthorizationToken": "ecr",
    "PutImage": "ecr",
    "GetCallerIdentity": "sts",
    "AssumeRole": "sts",
    "CreateUser": "iam",
    "AttachUserPolicy": "iam",
    "CreateAccessKey": "iam",
    "ListUsers": "iam",
    "ListRoles": "iam",
    "GetRole": "iam",
    "PassRole": "iam",
    "ListAttachedRolePolicies": "iam",
    "CreateStack": "cloudformation",
    "UpdateStack": "cloudformation",
    "DescribeStacks": "cloudformation",
    "ListBuckets": "s3",
    "GetBucketPolicy": "s3",
    "PutBucketPolicy": "s3",
    "GetObject": "s3",
    "PutObject": "s3",
    "ListObjectsV2": "s3",
    "DeleteObject": "s3",
    "LookupEvents": "cloudtrail",
    "DescribeTrails": "cloudtrail",
    "GetFindings": "guardduty",
    "ListFindings": "guardduty",
    "PutMetricData": "monitoring",
    "SendMessage": "sqs",
    "ReceiveMessage": "sqs",
    "ConsoleLogin": "signin",
}
_DATA = {"GetObject", "PutObject", "ListObjectsV2", "DeleteObject"}


def _source(api: str) -> str:
    for prefix in (api, "Describe" if api.startswith("Describe") else api):
        if prefix in _SOURCES:
            return f"{_SOURCES[prefix]}.amazonaws.com"
    return "ec2.amazonaws.com"


@dataclass
class Actor:
    kind: str  # "user", "ci", "app"
    name: str
    apis: list[tuple[str, float]]  # (api, weight)
    networks: list[str]  # "a.b.c" /24 prefixes the actor works from
    agent: str
    per_day: int
    hours: tuple[int, int]  # working hours, UTC
    weekdays_only: bool = False
    start_day: int = 0
    instance: str = ""
    key: str = field(default_factory=lambda: "")


def _key(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))


def _actors(rng: random.Random) -> list[Actor]:
    office = ["198.51.100", "203.0.113"]
    admin_apis = [
        ("DescribeInstances", 8),
        ("DescribeSecurityGroups", 4),
        ("DescribeVolumes", 2),
        ("ListBuckets", 4),
        ("GetBucketPolicy", 1),
        ("ListUsers", 2),
        ("ListRoles", 2),
        ("GetRole", 2),
        ("ListFunctions", 2),
        ("GetFunction", 1),
        ("DescribeStacks", 3),
        ("LookupEvents", 1),
        ("DescribeTrails", 1),
        ("ListFindings", 1),
        ("GetFindings", 1),
        ("CreateKey", 0.05),
        ("ScheduleKeyDeletion", 0.03),
        ("CreateUser", 0.05),
        ("AttachUserPolicy", 0.05),
        ("CreateAccessKey", 0.05),
        ("PutBucketPolicy", 0.05),
        ("RunInstances", 0.2),
        ("TerminateInstances", 0.2),
        ("AuthorizeSecurityGroupIngress", 0.1),
        ("GetSecretValue", 0.3),
        ("GetCallerIdentity", 1),
        ("ListAttachedRolePolicies", 1),
        ("CreateSnapshot", 0.1),
        ("PutParameter", 0.1),
    ]
    actors = [
        Actor("user", "alice", admin_apis, [*office[:1], "81.2.69"], CLI, 60, (7, 17), True, key=_key(rng, "AKIA")),
        Actor("user", "bob", admin_apis, [*office[1:], "92.40.5"], CLI, 45, (8, 18), True, key=_key(rng, "AKIA")),
        Actor("user", "carol", admin_apis[:12], office, CONSOLE, 30, (9, 17), True, key=_key(rng, "ASIA")),
        # a new employee, from day 12, from the office
        Actor("user", "dave", admin_apis[:16], office[:1], CLI, 25, (9, 18), True, start_day=12, key=_key(rng, "AKIA")),
    ]
    ci_nets = [
        f"{a}.{b}.{c}"
        for a, b in ((20, 55), (20, 102), (52, 176), (4, 175), (40, 84), (13, 64))
        for c in range(0, 256, 37)
    ]
    ci_apis = [
        ("GetCallerIdentity", 3),
        ("AssumeRole", 1),
        ("GetAuthorizationToken", 2),
        ("PutImage", 2),
        ("UpdateFunctionCode", 1),
        ("UpdateFunctionConfiguration", 0.5),
        ("DescribeStacks", 3),
        ("UpdateStack", 1),
        ("CreateStack", 0.1),
        ("PutObject", 2),
        ("GetObject", 2),
        ("ListObjectsV2", 1),
        ("PassRole", 0.5),
        ("GetParameter", 1),
    ]
    for name, per_day in (("ci-deploy", 300), ("ci-terraform", 200), ("ci-tests", 400)):
        actors.append(Actor("ci", name, ci_apis, ci_nets, BOTO, per_day, (0, 24)))
    app_apis = [
        ("GetSecretValue", 3),
        ("Decrypt", 6),
        ("GenerateDataKey", 3),
        ("GetObject", 8),
        ("PutObject", 4),
        ("ListObjectsV2", 1),
        ("GetParameters", 2),
        ("SendMessage", 6),
        ("ReceiveMessage", 6),
        ("PutMetricData", 4),
        ("DeleteObject", 0.5),
    ]
    for index, (name, per_day, start) in enumerate(
        (("orders-app", 700, 0), ("billing-app", 400, 0), ("reports-app", 200, 0), ("search-app", 300, 10))
    ):
        net = f"54.{160 + index}.{rng.randrange(256)}"
        instance = "i-0" + "".join(rng.choice("0123456789abcdef") for _ in range(16))
        actors.append(Actor("app", name, app_apis, [net], BOTO, per_day, (0, 24), start_day=start, instance=instance))
    return actors


def _pick(rng: random.Random, apis: list[tuple[str, float]]) -> str:
    total = sum(w for _, w in apis)
    point = rng.random() * total
    for api, weight in apis:
        point -= weight
        if point <= 0:
            return api
    return apis[-1][0]


def _identity(actor: Actor, rng: random.Random) -> dict[str, Any]:
    if actor.kind == "user":
        return {
            "type": "IAMUser",
            "principalId": "AIDA" + actor.name.upper().ljust(17, "X"),
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{actor.name}",
            "accountId": ACCOUNT,
            "accessKeyId": actor.key,
            "userName": actor.name,
        }
    session = actor.instance or f"GitHubActions-{rng.randrange(10**9)}"
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{actor.name}"
    identity: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": f"AROA{actor.name.upper()[:12].ljust(13, 'X')}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{actor.name}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": _key(rng, "ASIA"),
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "arn": role_arn, "accountId": ACCOUNT, "userName": actor.name},
            "attributes": {"creationDate": "2025-03-03T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }
    if actor.instance:
        identity["sessionContext"]["ec2RoleDelivery"] = "2.0"
    return identity


def _record(actor: Actor, api: str, when: datetime, ip: str, rng: random.Random, region: str) -> dict[str, Any]:
    source = _source(api)
    data = api in _DATA
    params: dict[str, Any] | None = None
    if source == "s3.amazonaws.com":
        params = {"bucketName": f"{actor.name}-data", "key": f"obj/{rng.randrange(1000)}"}
        if api == "PutBucketPolicy":
            params["bucketPolicy"] = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                        "Action": "s3:*",
                        "Resource": "*",
                    }
                ],
            }
    elif api == "ScheduleKeyDeletion":
        params = {"keyId": str(uuid.UUID(int=rng.getrandbits(128))), "pendingWindowInDays": 30}
    agent = actor.agent.format(cmd=api.lower(), minor=rng.choice((50, 51, 52)))
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": _identity(actor, rng),
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com" if api == "ConsoleLogin" else source,
        "eventName": api,
        "awsRegion": region,
        "sourceIPAddress": ip,
        "userAgent": agent,
        "requestParameters": params,
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128))),
        "readOnly": api.startswith(("Describe", "List", "Get", "Lookup", "Receive")),
        "eventType": "AwsApiCall",
        "managementEvent": not data,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Data" if data else "Management",
    }
    if rng.random() < 0.01:
        record["errorCode"] = "AccessDenied"
    return record


def generate(days: int = 21, seed: int = 7) -> list[dict[str, Any]]:
    """The workload, sorted by event time."""
    rng = random.Random(seed)
    actors = _actors(rng)
    out: list[dict[str, Any]] = []
    for day in range(days):
        date = START + timedelta(days=day)
        weekend = date.weekday() >= 5
        for actor in actors:
            if day < actor.start_day or (actor.weekdays_only and weekend):
                continue
            count = int(actor.per_day * rng.uniform(0.7, 1.3))
            networks = actor.networks
            # noise: alice travels on days 15-16 (a hotel network), bob's home address changes on day 9
            if actor.name == "alice" and day in (15, 16):
                networks = ["185.220.14"]
            if actor.name == "bob" and day >= 9:
                networks = [actor.networks[0], "92.40.77"]
            if actor.kind == "user" and actor.agent != CONSOLE:
                out.append(
                    _record(
                        actor,
                        "GetCallerIdentity",
                        date + timedelta(hours=actor.hours[0]),
                        _ip(rng, networks),
                        rng,
                        "us-east-1",
                    )
                )
            if actor.agent == CONSOLE:
                login = _record(
                    actor, "ConsoleLogin", date + timedelta(hours=actor.hours[0]), _ip(rng, networks), rng, "us-east-1"
                )
                login["responseElements"] = {"ConsoleLogin": "Success"}
                login["additionalEventData"] = {"MFAUsed": "Yes"}
                out.append(login)
            for _ in range(count):
                hour = rng.uniform(*actor.hours)
                when = date + timedelta(hours=hour)
                api = _pick(rng, actor.apis)
                # an administrator occasionally uses an API they have not used before, from where they work
                if actor.kind == "user" and rng.random() < 0.002:
                    api = rng.choice(("DescribeAddresses", "ListAliases", "DescribeDBInstances", "GetBucketAcl"))
                region = "eu-west-1" if (actor.kind == "app" and rng.random() < 0.2) else "us-east-1"
                ip = _ip(rng, networks) if not actor.instance else networks[0] + ".17"
                out.append(_record(actor, api, when, ip, rng, region))
    out.sort(key=lambda r: r["eventTime"])
    return out


def _ip(rng: random.Random, networks: list[str]) -> str:
    return f"{rng.choice(networks)}.{rng.randrange(1, 255)}"


def iter_days(records: list[dict[str, Any]]) -> Iterator[str]:
    yield from sorted({r["eventTime"][:10] for r in records})
