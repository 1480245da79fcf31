"""Does a role's trust policy let this caller assume it?

``trust_policy_allows`` is the provider's hook; it now asks the policy evaluator (``strongroom.iam.policy``) whether
the *trust policy's side* admits the caller: no Deny applies and an Allow names the caller, its role, its account
or everyone, with every condition satisfied. The caller's own side (its identity policies allowing sts:AssumeRole,
needed when the trust policy names only the account, and always across accounts) is decided by the request
pipeline's authorization step before the provider runs (``services/sts/access.py``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from strongroom.iam.policy import (
    AuthorizationRequest,
    MalformedPolicyDocumentError,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)

# The pipeline's authorization step already evaluated this trust policy for this caller with the full request
# context (which the provider's TrustRequest does not carry); it approves the pair for the provider call that
# follows on the same thread, so the two evaluations can never disagree.
_approved = threading.local()


def approve(caller_arn: str | None, document: str | None) -> None:
    _approved.value = (caller_arn, document) if caller_arn and document else None


# Stands in for "the caller's own policies allow it" so that only the trust policy decides here.
_ALLOW_ALL = parse_policy('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')


@dataclass(frozen=True, slots=True)
class TrustRequest:
    action: str  # sts:AssumeRole (the only one implemented)
    caller_arn: str
    caller_account: str
    caller_role_arn: str | None = None  # for an assumed-role caller: the role's own ARN
    context: dict[str, str] = field(default_factory=dict)  # condition keys, e.g. sts:ExternalId
    role_arn: str = "*"
    role_account: str | None = None


def _caller_type(arn: str) -> PrincipalType:
    if arn.endswith(":root"):
        return PrincipalType.ROOT
    if ":assumed-role/" in arn:
        return PrincipalType.ASSUMED_ROLE
    if ":federated-user/" in arn:
        return PrincipalType.FEDERATED_USER
    return PrincipalType.IAM_USER


def trust_policy_allows(document: str, request: TrustRequest) -> bool:
    if getattr(_approved, "value", None) == (request.caller_arn, document):
        _approved.value = None
        return True
    try:
        trust = parse_policy(document, PolicyKind.TRUST)
    except MalformedPolicyDocumentError:
        return False
    ptype = _caller_type(request.caller_arn)
    principal = PrincipalInfo(
        arn=request.caller_arn,
        account=request.caller_account,
        type=ptype,
        role_arn=request.caller_role_arn,
        username=request.caller_arn.rsplit("/", 1)[-1] if ptype is PrincipalType.IAM_USER else None,
    )
    result = evaluate(
        AuthorizationRequest(
            principal=principal,
            action=request.action,
            resources=[request.role_arn],
            context=dict(request.context),
            identity_policies=[_ALLOW_ALL],
            resource_policy=trust,
            resource_account=request.role_account or request.caller_account,
            resource_policy_required=True,
        )
    )
    return result.allowed


def federated_trust_allows(
    document: str, provider_arn: str, action: str, context: dict[str, Any], account: str
) -> bool:
    """Whether a role's trust policy lets the identity provider ``provider_arn`` federate into it (``action``:
    sts:AssumeRoleWithWebIdentity or sts:AssumeRoleWithSAML), with the token's claims as ``context``."""
    try:
        trust = parse_policy(document, PolicyKind.TRUST)
    except MalformedPolicyDocumentError:
        return False
    principal = PrincipalInfo(
        arn=provider_arn, account=account, type=PrincipalType.FEDERATED_USER, federated_provider=provider_arn
    )
    result = evaluate(
        AuthorizationRequest(
            principal=principal,
            action=action,
            resources=["*"],
            context=dict(context),
            identity_policies=[_ALLOW_ALL],
            resource_policy=trust,
            resource_account=account,
            resource_policy_required=True,
        )
    )
    return result.allowed
