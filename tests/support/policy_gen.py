"""Random policy/request pairs for the differential test against an independent IAM simulator.

Each case is a plain dict (principal, action, resource, context, policies) from which both our
AuthorizationRequest and the oracle's simulation input are built. Generation is seeded, so a failure reproduces.
"""

from __future__ import annotations

import random
from typing import Any

ACCT = "111122223333"
OTHER = "444455556666"
REGION = "us-east-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:{REGION}:{ACCT}:key/{KEY_ID}"
OTHER_KEY = f"arn:aws:kms:{REGION}:{ACCT}:key/0987dcba-09fe-87dc-65ba-ab0987654321"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-AbCdEf"

PRINCIPALS: dict[str, dict[str, Any]] = {
    "alice": {
        "arn": f"arn:aws:iam::{ACCT}:user/alice",
        "account": ACCT,
        "type": "IAMUser",
        "userid": "AIDAEXAMPLEALICE",
        "username": "alice",
    },
    "app": {
        "arn": f"arn:aws:sts::{ACCT}:assumed-role/app/sess1",
        "account": ACCT,
        "type": "AssumedRole",
        "userid": "AROAEXAMPLEAPP:sess1",
        "role_arn": f"arn:aws:iam::{ACCT}:role/app",
    },
    "root": {"arn": f"arn:aws:iam::{ACCT}:root", "account": ACCT, "type": "Root", "userid": ACCT},
    "bob": {
        "arn": f"arn:aws:iam::{OTHER}:user/bob",
        "account": OTHER,
        "type": "IAMUser",
        "userid": "AIDAEXAMPLEBOB",
        "username": "bob",
    },
    "xrole": {
        "arn": f"arn:aws:sts::{OTHER}:assumed-role/xrole/s2",
        "account": OTHER,
        "type": "AssumedRole",
        "userid": "AROAEXAMPLEX:s2",
        "role_arn": f"arn:aws:iam::{OTHER}:role/xrole",
    },
}
_PTYPE = {"IAMUser": "User", "AssumedRole": "AssumedRole", "Root": "Account"}

ACTIONS = {
    "kms": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:ReEncryptFrom"],
    "secretsmanager": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
}
ACTION_PATTERNS = [
    "kms:Decrypt",
    "kms:*",
    "kms:Encr*",
    "kms:?ecrypt",
    "*",
    "kms:GenerateDataKey*",
    "KMS:DECRYPT",
    "kms:Describe*",
    "secretsmanager:*",
    "secretsmanager:GetSecretValue",
    "secretsmanager:Get*",
    "s3:GetObject",
    "kms:Re*",
]
RESOURCE_PATTERNS = [
    "*",
    KEY,
    OTHER_KEY,
    f"arn:aws:kms:*:{ACCT}:key/*",
    f"arn:aws:kms:{REGION}:*:key/1234*",
    f"arn:aws:kms:{REGION}:{ACCT}:key/????????-12ab-34cd-56ef-1234567890ab",
    f"arn:aws:kms:{REGION}:{ACCT}:alias/*",
    "arn:aws:kms:*:*:*",
    "arn:aws:kms:us-west-2:*:key/*",
    f"arn:aws:kms:{REGION}:${{aws:PrincipalAccount}}:key/*",
    f"arn:aws:kms:{REGION}:{ACCT}:key/${{aws:username}}",
    SECRET,
    f"arn:aws:secretsmanager:{REGION}:{ACCT}:secret:db-*",
    "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}*",
    "arn:aws:secretsmanager:*:*:secret:other-*",
]

# (key, type) pairs the generator may put in conditions and the request context.
KEYS: list[tuple[str, str]] = [
    ("aws:SourceIp", "ip"),
    ("aws:username", "string"),
    ("aws:PrincipalTag/team", "string"),
    ("aws:RequestedRegion", "string"),
    ("aws:SecureTransport", "bool"),
    ("aws:MultiFactorAuthPresent", "bool"),
    ("aws:EpochTime", "numeric"),
    ("aws:CurrentTime", "date"),
    ("aws:PrincipalArn", "arn"),
    ("aws:SourceArn", "arn"),
    ("aws:TagKeys", "strings"),
    ("aws:CalledVia", "strings"),
]

OPERATORS: dict[str, list[str]] = {
    "string": [
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
    ],
    "numeric": [
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
    ],
    "date": [
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
    ],
    "bool": ["Bool"],
    "ip": ["IpAddress", "NotIpAddress"],
    "arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
}

STRING_VALUES = ["alice", "Alice", "al*", "a?ice", "bob", "blue", "BLUE", "bl*", "us-east-1", "us-*", "${aws:username}"]
IP_VALUES = ["10.0.0.0/8", "192.168.1.10/32", "10.1.2.3", "2001:db8::/32", "172.16.0.0/12"]
IPS = ["10.1.2.3", "192.168.1.10", "8.8.8.8", "2001:db8::1", "172.20.0.1"]
ARN_VALUES = [
    f"arn:aws:iam::{ACCT}:user/alice",
    f"arn:aws:iam::{ACCT}:role/*",
    "arn:aws:iam::*:user/*",
    f"arn:aws:iam::{OTHER}:*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::buck*",
]
DATES = ["2024-01-01T00:00:00Z", "2025-06-15T12:00:00Z", "2030-01-01T00:00:00Z", "2025-06-15"]
NUMBERS = ["1700000000", "1750000000", "1900000000", "1750000000.5"]
MULTI_VALUES = ["team", "env", "owner", "te*", "*"]


def _values_for(rng: random.Random, ktype: str) -> list[str]:
    pool = {
        "string": STRING_VALUES,
        "strings": MULTI_VALUES,
        "numeric": NUMBERS,
        "date": DATES,
        "bool": ["true", "false"],
        "ip": IP_VALUES,
        "arn": ARN_VALUES,
    }[ktype]
    return rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 2])))


def _condition(rng: random.Random) -> dict[str, Any]:
    cond: dict[str, dict[str, Any]] = {}
    for _ in range(rng.choice([1, 1, 2])):
        key, ktype = rng.choice(KEYS)
        family = "string" if ktype == "strings" else ktype
        op = rng.choice(OPERATORS[family])
        if ktype == "strings":
            op = rng.choice(["ForAllValues:", "ForAnyValue:", "ForAllValues:", "ForAnyValue:", ""]) + op
        if rng.random() < 0.15:
            op = "Null"
            values: Any = rng.choice(["true", "false"])
        else:
            if rng.random() < 0.2:
                op += "IfExists"
            values = _values_for(rng, ktype)
            if len(values) == 1 and rng.random() < 0.5:
                values = values[0]
        cond.setdefault(op, {})[key] = values
    return cond


def _statement(rng: random.Random, *, principal: bool, deny_rate: float) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Deny" if rng.random() < deny_rate else "Allow"}
    actions = rng.sample(ACTION_PATTERNS, k=rng.choice([1, 1, 2]))
    st["NotAction" if rng.random() < 0.1 else "Action"] = actions[0] if len(actions) == 1 else actions
    resources = rng.sample(RESOURCE_PATTERNS, k=rng.choice([1, 1, 2]))
    if rng.random() < 0.45:
        resources = ["*"]
    st["NotResource" if rng.random() < 0.08 else "Resource"] = resources[0] if len(resources) == 1 else resources
    if principal:
        choices: list[Any] = [
            {"AWS": f"arn:aws:iam::{ACCT}:root"},
            {"AWS": ACCT},
            {"AWS": PRINCIPALS["alice"]["arn"]},
            {"AWS": PRINCIPALS["app"]["role_arn"]},
            {"AWS": PRINCIPALS["app"]["arn"]},
            {"AWS": f"arn:aws:iam::{OTHER}:root"},
            {"AWS": PRINCIPALS["bob"]["arn"]},
            {"AWS": PRINCIPALS["xrole"]["role_arn"]},
            "*",
            {"AWS": "*"},
            {"AWS": [f"arn:aws:iam::{ACCT}:root", f"arn:aws:iam::{OTHER}:root"]},
        ]
        if st["Effect"] == "Deny" and rng.random() < 0.3:
            st["NotPrincipal"] = rng.choice(choices[:8])
        else:
            st["Principal"] = rng.choice(choices)
    if rng.random() < 0.45:
        st["Condition"] = _condition(rng)
    return st


def _policy(rng: random.Random, *, principal: bool, deny_rate: float, max_statements: int = 3) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            _statement(rng, principal=principal, deny_rate=deny_rate) for _ in range(rng.randint(1, max_statements))
        ],
    }


def _context(rng: random.Random, principal: dict[str, Any]) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "aws:PrincipalArn": principal.get("role_arn") or principal["arn"],
        "aws:PrincipalAccount": principal["account"],
        "aws:PrincipalType": _PTYPE[principal["type"]],
        "aws:userid": principal["userid"],
    }
    if principal.get("username"):
        ctx["aws:username"] = principal["username"]
    for key, ktype in KEYS:
        if key.lower() in {k.lower() for k in ctx} or rng.random() < 0.4:
            continue
        if ktype == "ip":
            ctx[key] = rng.choice(IPS)
        elif ktype == "string":
            ctx[key] = rng.choice(["alice", "blue", "us-east-1", "BLUE", "eu-west-1"])
        elif ktype == "bool":
            ctx[key] = rng.choice(["true", "false"])
        elif ktype == "numeric":
            ctx[key] = rng.choice(["1750000000", "1600000000", "1800000000"])
        elif ktype == "date":
            ctx[key] = rng.choice(["2025-06-15T12:00:00Z", "2020-01-01T00:00:00Z", "2031-01-01T00:00:00Z"])
        elif ktype == "arn":
            ctx[key] = rng.choice([f"arn:aws:iam::{ACCT}:user/alice", "arn:aws:s3:::bucket", principal["arn"]])
        elif ktype == "strings":
            ctx[key] = rng.sample(["team", "env", "owner", "cost"], k=rng.randint(1, 3))
    return ctx


def generate(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases: list[dict[str, Any]] = []
    for i in range(count):
        pname = rng.choice(["alice", "alice", "app", "app", "app", "root", "bob", "xrole"])
        principal = PRINCIPALS[pname]
        service = "kms" if rng.random() < 0.7 else "secretsmanager"
        action = rng.choice(ACTIONS[service])
        resource = KEY if service == "kms" else SECRET
        case: dict[str, Any] = {
            "id": i,
            "principal": pname,
            "action": action,
            "resource": resource,
            "resource_account": ACCT,
            "kms": service == "kms",
            "context": _context(rng, principal),
            "identity_policies": []
            if pname == "root"
            else [_policy(rng, principal=False, deny_rate=0.1) for _ in range(rng.randint(0, 2))],
            "boundary": None,
            "session_policy": None,
            "resource_policy": None,
        }
        if pname != "root" and rng.random() < 0.2:
            case["boundary"] = _policy(rng, principal=False, deny_rate=0.1, max_statements=2)
        if principal["type"] == "AssumedRole" and rng.random() < 0.3:
            case["session_policy"] = _policy(rng, principal=False, deny_rate=0.1, max_statements=2)
        if (service == "kms" or rng.random() < 0.6) and rng.random() < 0.9:
            case["resource_policy"] = _policy(rng, principal=True, deny_rate=0.1)
        cases.append(case)
    return cases
