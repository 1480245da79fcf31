"""WAF v2's authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS WAF V2". Every
operation is ``wafv2:<Operation>``; those that name a web ACL, rule group, IP set, regex pattern set or managed rule
set are checked on its ARN (``arn:aws:wafv2:REGION:ACCOUNT:regional|global/KIND/NAME/ID``, built from Scope + Name +
Id when the request does not give the ARN; a Create is checked on ``.../KIND/NAME/*`` since the Id does not exist
yet), with ``aws:ResourceTag/*`` from its tags. AssociateWebACL and DisassociateWebACL additionally need
``apigateway:SetWebACL`` on the API Gateway stage, as AWS documents for protecting a REST API stage. Account-wide
operations (List*, CheckCapacity, the managed catalog, API keys) are checked on ``"*"``.

Web ACLs and the other entities have no resource policies here (a rule group's permission policy shares it for
Firewall Manager and other accounts' web ACLs, which Strongroom does not let reference it): a caller of another
account is refused by the evaluator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check
from strongroom.services.base.tags import tag_loader
from strongroom.services.wafv2.model import associations, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_ENTITY_OPS: dict[str, str] = {}
for _kind, _names in {
    "ipset": ("IPSet",),
    "regexpatternset": ("RegexPatternSet",),
    "rulegroup": ("RuleGroup",),
    "webacl": ("WebACL",),
}.items():
    for _name in _names:
        for _verb in ("Create", "Get", "Update", "Delete"):
            _ENTITY_OPS[f"{_verb}{_name}"] = _kind
for _op in ("GetManagedRuleSet", "PutManagedRuleSetVersions", "UpdateManagedRuleSetVersionExpiryDate"):
    _ENTITY_OPS[_op] = "managedruleset"

# Operation -> the request member holding an entity ARN (a dotted path for nested members).
_ARN_MEMBERS = {
    "AssociateWebACL": "WebACLArn",
    "ListResourcesForWebACL": "WebACLArn",
    "GetSampledRequests": "WebAclArn",
    "PutLoggingConfiguration": "LoggingConfiguration.ResourceArn",
    "GetLoggingConfiguration": "ResourceArn",
    "DeleteLoggingConfiguration": "ResourceArn",
    "PutPermissionPolicy": "ResourceArn",
    "GetPermissionPolicy": "ResourceArn",
    "DeletePermissionPolicy": "ResourceArn",
    "TagResource": "ResourceARN",
    "UntagResource": "ResourceARN",
    "ListTagsForResource": "ResourceARN",
}
_STAGE_OPS = ("AssociateWebACL", "DisassociateWebACL")
_BY_RESOURCE = ("DisassociateWebACL", "GetWebACLForResource")


def _member(params: dict[str, Any], path: str) -> Any:
    value: Any = params
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None


def entity_arn(ctx: RequestContext, params: dict[str, Any], kind: str) -> str:
    if params.get("ARN"):
        return str(params["ARN"])
    prefix = "global" if params.get("Scope") == "CLOUDFRONT" else "regional"
    name = params.get("Name") or params.get("WebACLName") or "*"
    entity_id = params.get("Id") or params.get("WebACLId") or "*"
    return ctx.arn("wafv2", f"{prefix}/{kind}/{name}/{entity_id}")


def _associated(ctx: RequestContext, resource_arn: str) -> str | None:
    with ctx.runtime.store.read() as conn:
        found: str | None = conn.execute(
            select(associations.c.web_acl_arn).where(associations.c.resource_arn == resource_arn)
        ).scalar_one_or_none()
    return found


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"wafv2:{op}"
    arn: str | None = None
    if op in _ENTITY_OPS:
        arn = entity_arn(ctx, params, _ENTITY_OPS[op])
    elif op == "GetRateBasedStatementManagedKeys":
        arn = entity_arn(ctx, params, "webacl")
    elif op in _ARN_MEMBERS:
        value = _member(params, _ARN_MEMBERS[op])
        arn = str(value) if isinstance(value, str) and value else None
    elif op in _BY_RESOURCE and isinstance(params.get("ResourceArn"), str):
        arn = _associated(ctx, params["ResourceArn"])
    out: list[Check] = []
    if arn is not None:
        out.append(
            Check(
                action,
                arn,
                resource_account=_account(arn) or ctx.account_id,
                lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn)},
                lookup_resource_policy=False,
            )
        )
    else:
        out.append(Check(action, lookup_resource_policy=False))
    resource = params.get("ResourceArn")
    if op in _STAGE_OPS and isinstance(resource, str) and resource.startswith("arn:aws:apigateway:"):
        out.append(
            Check("apigateway:SetWebACL", resource, resource_account=ctx.account_id, lookup_resource_policy=False)
        )
    return out
