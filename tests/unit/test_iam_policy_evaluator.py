"""Data-driven evaluator table: tests/unit/policy_cases/*.json hold the policies, requests and expectations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from strongroom.iam.policy import (
    AuthorizationRequest,
    Decision,
    Grant,
    MalformedPolicyDocumentError,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)

CASES = Path(__file__).with_name("policy_cases")
A, OTHER = "111122223333", "444455556666"

PRINCIPALS: dict[str, PrincipalInfo] = {
    "alice": PrincipalInfo(
        f"arn:aws:iam::{A}:user/alice",
        A,
        PrincipalType.IAM_USER,
        "AIDAEXAMPLEALICE",
        "alice",
        {"project": "blue"},
    ),
    "app": PrincipalInfo(
        f"arn:aws:sts::{A}:assumed-role/app/sess1",
        A,
        PrincipalType.ASSUMED_ROLE,
        "AROAEXAMPLEAPP:sess1",
        role_arn=f"arn:aws:iam::{A}:role/app",
    ),
    "fed": PrincipalInfo(
        f"arn:aws:sts::{A}:federated-user/fedalice",
        A,
        PrincipalType.FEDERATED_USER,
        f"{A}:fedalice",
        source_user_arn=f"arn:aws:iam::{A}:user/alice",
    ),
    "root": PrincipalInfo(f"arn:aws:iam::{A}:root", A, PrincipalType.ROOT, A),
    "bob": PrincipalInfo(f"arn:aws:iam::{OTHER}:user/bob", OTHER, PrincipalType.IAM_USER, "AIDAEXAMPLEBOB", "bob"),
    "xrole": PrincipalInfo(
        f"arn:aws:sts::{OTHER}:assumed-role/xrole/s2",
        OTHER,
        PrincipalType.ASSUMED_ROLE,
        "AROAEXAMPLEX:s2",
        role_arn=f"arn:aws:iam::{OTHER}:role/xrole",
    ),
    "oroot": PrincipalInfo(f"arn:aws:iam::{OTHER}:root", OTHER, PrincipalType.ROOT, OTHER),
    "svc": PrincipalInfo("lambda.amazonaws.com", "", PrincipalType.AWS_SERVICE, service="lambda.amazonaws.com"),
    "anon": PrincipalInfo("anonymous", "", PrincipalType.ANONYMOUS),
}
KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": A}, "Action": "kms:*", "Resource": "*"}],
}


def _load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CASES / name).read_text())["cases"]
    return cases


def _ids(cases: list[dict[str, Any]], field: str) -> list[str]:
    return [f"{i}-{c.get(field, '')}"[:90] for i, c in enumerate(cases)]


CONDITIONS = _load("conditions.json")
EVALUATION = _load("evaluation.json")
MALFORMED = _load("malformed.json")
VALID = _load("valid.json")


def test_table_size() -> None:
    assert len(CONDITIONS) + len(EVALUATION) + len(MALFORMED) + len(VALID) >= 300


def condition_request(case: dict[str, Any]) -> AuthorizationRequest:
    """A conditions.json case as a request: alice asks kms:Decrypt under a policy with the case's one condition."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {case["op"]: {case["key"]: case["values"]}},
            }
        ],
    }
    context = {} if case["ctx"] is None else {case.get("ctx_key", case["key"]): case["ctx"]}
    return AuthorizationRequest(
        principal=PRINCIPALS["alice"],
        action="kms:Decrypt",
        resources=[KEY],
        context=context,
        identity_policies=[parse_policy(policy)],
        resource_policy=parse_policy(TRUST, PolicyKind.RESOURCE),
        resource_policy_required=True,
    )


@pytest.mark.parametrize("case", CONDITIONS, ids=[f"{c['op']}-{c['key']}-{i}" for i, c in enumerate(CONDITIONS)])
def test_condition(case: dict[str, Any]) -> None:
    assert evaluate(condition_request(case)).allowed is case["expect"]


def _request(case: dict[str, Any]) -> AuthorizationRequest:
    return AuthorizationRequest(
        principal=PRINCIPALS[case["principal"]],
        action=case["action"],
        resources=case["resources"],
        context=case["context"],
        identity_policies=[parse_policy(p) for p in case["identity"]],
        boundary=parse_policy(case["boundary"]) if case["boundary"] else None,
        session_policies=[parse_policy(p) for p in case["session"]] if case["session"] else None,
        resource_policy=parse_policy(case["resource_policy"], PolicyKind.RESOURCE) if case["resource_policy"] else None,
        resource_account=case["resource_account"],
        resource_policy_required=case["kms"],
        grants=[
            Grant(
                grantee_principal=g["grantee_principal"],
                operations=frozenset(g["operations"]),
                encryption_context_equals=g.get("encryption_context_equals"),
                encryption_context_subset=g.get("encryption_context_subset"),
                grant_id=g.get("grant_id", ""),
                key_arn=g.get("key_arn"),
            )
            for g in case["grants"]
        ],
        encryption_context=case["encryption_context"],
    )


@pytest.mark.parametrize("case", EVALUATION, ids=_ids(EVALUATION, "name"))
def test_evaluation(case: dict[str, Any]) -> None:
    result = evaluate(_request(case))
    assert result.decision == Decision(case["expect"]), result
    if case["reason"] is not None:
        assert result.reason is not None and result.reason.value == case["reason"], result
    if "message" in case:
        assert result.message() == case["message"]
    if result.decision is Decision.ALLOW and result.reason and result.reason.value != "grant":
        assert result.matched or result.reason.value == "account root user"


@pytest.mark.parametrize("case", MALFORMED, ids=_ids(MALFORMED, "message"))
def test_malformed(case: dict[str, Any]) -> None:
    with pytest.raises(MalformedPolicyDocumentError) as err:
        parse_policy(case["document"], PolicyKind(case["kind"]))
    assert str(err.value) == case["message"]


@pytest.mark.parametrize("case", VALID, ids=_ids(VALID, "kind"))
def test_valid(case: dict[str, Any]) -> None:
    doc = parse_policy(case["document"], PolicyKind(case["kind"]))
    assert doc.statements
