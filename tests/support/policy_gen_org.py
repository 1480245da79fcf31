"""Differential cases with an organization's control policies: the base cases of ``policy_gen`` bounded by SCPs
(the caller's account) and RCPs (the resource's account), with the org condition keys in the context.

A case gains ``scps`` / ``rcps``: one list of customer documents per level (root, OUs, account). RCPFullAWSAccess is
on every RCP level, as Organizations keeps it; the oracle adds it itself, so the case lists only the others.
"""

from __future__ import annotations

import random
from typing import Any

from tests.support.policy_gen import ACTION_PATTERNS, KEY, PRINCIPALS, RESOURCE_PATTERNS, SECRET, _policy, generate

ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-zz9y8x7w6v"
ROOT = "r-ab12"
OU_PATH = f"{ORG}/{ROOT}/ou-ab12-11111111/"

FULL_SCP = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
FULL_RCP = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}

_RCP_CONDITIONS: list[dict[str, Any]] = [
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}, "Bool": {"aws:PrincipalIsAWSService": "false"}},
    {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
    {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": [ORG, OTHER_ORG]}},
    {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/{ROOT}/*"]}},
    {"StringNotEquals": {"aws:PrincipalAccount": PRINCIPALS["alice"]["account"]}},
    {"Bool": {"aws:SecureTransport": "false"}},
    {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:ResourceOrgID": ORG}},
]


def _scp(rng: random.Random) -> dict[str, Any]:
    """An allow-list or a deny-list SCP (no Principal: SCPs have none)."""
    if rng.random() < 0.5:
        statements = [
            {
                "Effect": "Allow",
                "Action": rng.sample(ACTION_PATTERNS, k=rng.choice([1, 2])),
                "Resource": rng.choice(["*", "*", rng.choice(RESOURCE_PATTERNS[:10])]),
            }
        ]
        return {"Version": "2012-10-17", "Statement": statements}
    return _policy(rng, principal=False, deny_rate=0.7, max_statements=2)


def _rcp(rng: random.Random) -> dict[str, Any]:
    """A customer RCP: Deny only, Principal "*" (what Organizations accepts)."""
    statement: dict[str, Any] = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": rng.choice(["kms:*", "secretsmanager:*", "kms:Decrypt", "secretsmanager:GetSecretValue", "kms:Re*"]),
        "Resource": rng.choice(["*", "*", KEY, SECRET]),
    }
    if rng.random() < 0.85:
        statement["Condition"] = rng.choice(_RCP_CONDITIONS)
    return {"Version": "2012-10-17", "Statement": [statement]}


def generate_with_org(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = generate(seed, count)
    for case in cases:
        principal = PRINCIPALS[case["principal"]]
        in_org = principal["account"] == case["resource_account"] or rng.random() < 0.5
        ctx = case["context"]
        if in_org:
            ctx["aws:PrincipalOrgID"] = ORG
            ctx["aws:PrincipalOrgPaths"] = [rng.choice([OU_PATH, f"{ORG}/{ROOT}/"])]
        elif rng.random() < 0.5:
            ctx["aws:PrincipalOrgID"] = OTHER_ORG
            ctx["aws:PrincipalOrgPaths"] = [f"{OTHER_ORG}/r-zz99/"]
        ctx["aws:ResourceOrgID"] = ORG
        ctx.setdefault("aws:SecureTransport", rng.choice(["true", "false"]))
        ctx.setdefault("aws:PrincipalIsAWSService", "false")
        case["scps"] = None
        case["rcps"] = None
        # SCPs bind callers of member accounts (the generator's callers all are); RCPs the resource's account.
        if in_org and rng.random() < 0.75:
            case["scps"] = [
                ([FULL_SCP] if rng.random() < 0.7 else []) + [_scp(rng) for _ in range(rng.randint(0, 2))]
                for _ in range(rng.randint(1, 3))
            ]
        if rng.random() < 0.75:
            case["rcps"] = [[_rcp(rng) for _ in range(rng.randint(0, 2))] for _ in range(rng.randint(1, 3))]
    return cases
