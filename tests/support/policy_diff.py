"""Builds both sides of a differential case: our AuthorizationRequest and the oracle's simulation input."""

from __future__ import annotations

from typing import Any

from strongroom.iam.policy import (
    AuthorizationRequest,
    PolicyDocument,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)
from tests.support.policy_gen import PRINCIPALS
from tests.support.policy_gen_org import FULL_RCP

ROOT_ALLOW = {"Effect": "Allow", "Action": "*", "Resource": "*"}
ORACLE_DECISION = {"Allowed": "Allow", "ExplicitlyDenied": "ExplicitDeny", "ImplicitlyDenied": "ImplicitDeny"}


def principal_info(name: str) -> PrincipalInfo:
    p = PRINCIPALS[name]
    return PrincipalInfo(
        arn=p["arn"],
        account=p["account"],
        type=PrincipalType(p["type"]),
        userid=p["userid"],
        username=p.get("username"),
        role_arn=p.get("role_arn"),
    )


def our_request(case: dict[str, Any]) -> AuthorizationRequest:
    return AuthorizationRequest(
        principal=principal_info(case["principal"]),
        action=case["action"],
        resources=[case["resource"]],
        context=case["context"],
        identity_policies=[parse_policy(p) for p in case["identity_policies"]],
        boundary=parse_policy(case["boundary"]) if case["boundary"] else None,
        session_policies=[parse_policy(case["session_policy"])] if case["session_policy"] else None,
        resource_policy=parse_policy(case["resource_policy"], PolicyKind.RESOURCE) if case["resource_policy"] else None,
        resource_account=case["resource_account"],
        resource_policy_required=case["kms"],
        scps=_levels(case.get("scps"), PolicyKind.IDENTITY),
        rcps=_levels(case.get("rcps"), PolicyKind.RESOURCE, FULL_RCP),
    )


def _levels(
    levels: list[list[dict[str, Any]]] | None, kind: PolicyKind, always: dict[str, Any] | None = None
) -> list[list[PolicyDocument]] | None:
    """Our side of an organization's levels (``always``: RCPFullAWSAccess, on every level as Organizations keeps
    it; the oracle adds it by itself)."""
    if levels is None:
        return None
    return [[parse_policy(d, kind) for d in ([always] if always else []) + level] for level in levels]


def _org_levels(levels: list[list[dict[str, Any]]] | None, account: str) -> list[dict[str, Any]]:
    if levels is None:
        return []
    ids = [*["r-ab12", "ou-ab12-11111111", "ou-ab12-22222222"][: len(levels) - 1], account]
    return [
        {"orgIdentifier": ident, "policies": [{"name": f"p{i}", "policy": d} for i, d in enumerate(level)]}
        for ident, level in zip(ids, levels, strict=True)
    ]


def our_decision(case: dict[str, Any]) -> str:
    return evaluate(our_request(case)).decision.value


def oracle_simulation(case: dict[str, Any]) -> dict[str, Any]:
    sim: dict[str, Any] = {
        "request": {
            "principal": PRINCIPALS[case["principal"]]["arn"],
            "action": case["action"],
            "resource": {"resource": case["resource"], "accountId": case["resource_account"]},
            "contextVariables": case["context"],
        },
        "identityPolicies": [{"name": f"p{i}", "policy": p} for i, p in enumerate(case["identity_policies"])],
        "serviceControlPolicies": _org_levels(case.get("scps"), PRINCIPALS[case["principal"]]["account"]),
        "resourceControlPolicies": _org_levels(case.get("rcps"), case["resource_account"]),
    }
    if case["principal"] == "root":
        # The oracle does not model the root user's implicit full access (AWS: the root user has every
        # permission in its account); stand it in with an identity policy that allows everything.
        sim["identityPolicies"].append(
            {"name": "root-implicit", "policy": {"Version": "2012-10-17", "Statement": [ROOT_ALLOW]}}
        )
    if case["resource_policy"]:
        sim["resourcePolicy"] = case["resource_policy"]
    if case["boundary"]:
        sim["permissionBoundaryPolicies"] = [{"name": "boundary", "policy": case["boundary"]}]
    if case["session_policy"]:
        sim["sessionPolicy"] = case["session_policy"]
    return sim
