"""Organizations' authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Organizations". An
operation naming a root, OU, account, policy or handshake is authorized as ``organizations:<Operation>`` on each
named resource's ARN (AttachPolicy: the policy and the target); the others on ``"*"``. Condition keys:
``organizations:PolicyType`` (CreatePolicy, Enable/DisablePolicyType, the policy lists and the policy a call names)
and ``organizations:ServicePrincipal`` (trusted access and delegated administrators).

The resources belong to the organization's management account, but Organizations has no resource policies a
Strongroom caller could be refused by: delegated administrators' rights are the organization's own rule
(``base.py``), so every check is evaluated in the caller's account (``resource_account``), as for ``"*"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check
from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, org_of_account

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Request members naming a root, OU or account (by id).
_TARGET_MEMBERS = (
    "TargetId",
    "ParentId",
    "ChildId",
    "OrganizationalUnitId",
    "AccountId",
    "ResourceId",
    "RootId",
    "SourceParentId",
    "DestinationParentId",
)
# The policy-type member of the operations that name one.
_TYPE_MEMBERS = {
    "CreatePolicy": "Type",
    "EnablePolicyType": "PolicyType",
    "DisablePolicyType": "PolicyType",
    "ListPolicies": "Filter",
    "ListPoliciesForTarget": "Filter",
}


def _policy_type(conn: Any, org: Org, policy_id: str) -> str | None:
    managed = names.MANAGED_POLICIES.get(policy_id)
    if managed is not None:
        return managed.type
    return conn.execute(
        select(model.policies.c.type).where(
            model.policies.c.org_id == org.org_id, model.policies.c.policy_id == policy_id
        )
    ).scalar_one_or_none()


def _target_arn(org: Org, target_id: str) -> str | None:
    kind = names.target_kind(target_id)
    if kind == "ROOT":
        return names.root_arn(org.management, org.org_id, target_id)
    if kind == "ORGANIZATIONAL_UNIT":
        return names.ou_arn(org.management, org.org_id, target_id)
    if kind == "ACCOUNT":
        return names.account_arn(org.management, org.org_id, target_id)
    return None


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    action = f"organizations:{ctx.operation}"
    context: dict[str, Any] = {}
    type_member = _TYPE_MEMBERS.get(ctx.operation)
    if type_member and isinstance(params.get(type_member), str):
        context["organizations:PolicyType"] = params[type_member]
    if isinstance(params.get("ServicePrincipal"), str):
        context["organizations:ServicePrincipal"] = params["ServicePrincipal"]
    resources: list[str] = []
    with ctx.runtime.store.read() as conn:
        org = org_of_account(conn, ctx.account_id)
        if org is not None:
            for member in _TARGET_MEMBERS:
                value = params.get(member)
                arn = _target_arn(org, value) if isinstance(value, str) else None
                if arn is not None:
                    resources.append(arn)
            policy_id = params.get("PolicyId") or (
                params.get("ResourceId") if names.POLICY_ID.match(str(params.get("ResourceId") or "")) else None
            )
            if isinstance(policy_id, str):
                policy_type = _policy_type(conn, org, policy_id)
                if policy_type is not None:
                    context["organizations:PolicyType"] = policy_type
                    resources.append(names.policy_arn(org.management, org.org_id, policy_type, policy_id))
            if isinstance(params.get("HandshakeId"), str):
                resources.append(names.handshake_arn(org.management, org.org_id, params["HandshakeId"]))
    if not resources and not context:
        return None  # organizations:<Operation> on "*"
    return [
        Check(action, arn, context=context, resource_account=ctx.account_id, lookup_resource_policy=False)
        for arn in resources or ["*"]
    ]
