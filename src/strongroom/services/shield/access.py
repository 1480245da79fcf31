"""Shield's authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Shield". Every
operation is ``shield:<Operation>``; those that name a protection, protection group or attack are checked on its ARN
(``arn:aws:shield::ACCOUNT:protection/ID``, ``…:protection-group/ID``, ``…:attack/ID``) with ``aws:ResourceTag/*``
from its tags — a protection named by its resource ARN (DescribeProtection, the automatic response operations) is
looked up; a Create is checked on ``…:protection/*`` / ``…:protection-group/ID`` — and the rest (the subscription,
contacts, DRT access, List*) on ``"*"``. Shield has no resource policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check
from strongroom.services.base.tags import tag_loader
from strongroom.services.shield.model import protections, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_BY_PROTECTION_ID = ("DeleteProtection", "AssociateHealthCheck", "DisassociateHealthCheck")
_BY_RESOURCE_ARN = (
    "EnableApplicationLayerAutomaticResponse",
    "UpdateApplicationLayerAutomaticResponse",
    "DisableApplicationLayerAutomaticResponse",
)
_GROUP_OPS = (
    "CreateProtectionGroup",
    "DeleteProtectionGroup",
    "DescribeProtectionGroup",
    "UpdateProtectionGroup",
    "ListResourcesInProtectionGroup",
)
_TAG_OPS = ("TagResource", "UntagResource", "ListTagsForResource")


def _protection_of(ctx: RequestContext, resource_arn: str) -> str | None:
    with ctx.runtime.store.read() as conn:
        found: str | None = conn.execute(
            select(protections.c.arn).where(
                protections.c.account_id == ctx.account_id, protections.c.resource_arn == resource_arn
            )
        ).scalar_one_or_none()
    return found


def _arn(ctx: RequestContext, params: dict[str, Any]) -> str | None:
    op = ctx.operation
    base = f"arn:aws:shield::{ctx.account_id}:"
    if op == "CreateProtection":
        return base + "protection/*"
    if op in _BY_PROTECTION_ID and isinstance(params.get("ProtectionId"), str):
        return base + f"protection/{params['ProtectionId']}"
    if op == "DescribeProtection":
        if isinstance(params.get("ProtectionId"), str):
            return base + f"protection/{params['ProtectionId']}"
        if isinstance(params.get("ResourceArn"), str):
            return _protection_of(ctx, params["ResourceArn"])
    if op in _BY_RESOURCE_ARN and isinstance(params.get("ResourceArn"), str):
        return _protection_of(ctx, params["ResourceArn"])
    if op in _GROUP_OPS and isinstance(params.get("ProtectionGroupId"), str):
        return base + f"protection-group/{params['ProtectionGroupId']}"
    if op == "DescribeAttack" and isinstance(params.get("AttackId"), str):
        return base + f"attack/{params['AttackId']}"
    if op in _TAG_OPS and str(params.get("ResourceARN", "")).startswith("arn:aws:shield:"):
        return str(params["ResourceARN"])  # another service's ARN is the provider's InvalidResourceException
    return None


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    action = f"shield:{ctx.operation}"
    arn = _arn(ctx, params)
    if arn is None:
        return [Check(action, lookup_resource_policy=False)]
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) == 6 and parts[4] else ctx.account_id
    return [
        Check(
            action,
            arn,
            resource_account=account,
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn)},
            lookup_resource_policy=False,
        )
    ]
