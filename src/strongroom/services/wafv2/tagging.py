"""Tags on web ACLs, rule groups, IP sets and regex pattern sets, and rule groups' permission policies.

A permission policy shares a rule group with other accounts. AWS accepts only: Effect Allow, the actions
``wafv2:CreateWebACL``, ``wafv2:UpdateWebACL``, ``wafv2:PutFirewallManagerRuleGroups`` and ``wafv2:GetRuleGroup``,
the rule group's own ARN as the resource, principals named, and no Condition / NotAction / NotPrincipal /
NotResource (WAFInvalidPermissionPolicyException otherwise).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import DEFAULT_LIMIT, WafBase
from strongroom.services.wafv2.model import permission_policies, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

ALLOWED_ACTIONS = frozenset(
    {"wafv2:CreateWebACL", "wafv2:UpdateWebACL", "wafv2:PutFirewallManagerRuleGroups", "wafv2:GetRuleGroup"}
)
_FORBIDDEN = ("Condition", "NotAction", "NotPrincipal", "NotResource")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_policy(text: str, arn: str) -> None:
    def bad(reason: str) -> AwsError:
        return errors.WAFInvalidPermissionPolicyException(
            f"AWS WAF couldn\u2019t perform the operation because the policy isn\u2019t valid: {reason}"
        )

    try:
        policy = json.loads(text)
    except ValueError:
        raise bad("the policy is not valid JSON.") from None
    if not isinstance(policy, dict) or policy.get("Version") != "2012-10-17":
        raise bad("the policy must have Version 2012-10-17.")
    statements = _as_list(policy.get("Statement"))
    if not statements or not all(isinstance(s, dict) for s in statements):
        raise bad("the policy must have statements.")
    for statement in statements:
        if statement.get("Effect") != "Allow":
            raise bad("the effect must be Allow.")
        if any(key in statement for key in _FORBIDDEN):
            raise bad("Condition, NotAction, NotPrincipal and NotResource are not allowed.")
        actions = _as_list(statement.get("Action"))
        if not actions or not all(a in ALLOWED_ACTIONS for a in actions):
            raise bad(f"the actions must be among {', '.join(sorted(ALLOWED_ACTIONS))}.")
        if not statement.get("Principal"):
            raise bad("the statement must name principals.")
        if _as_list(statement.get("Resource")) != [arn]:
            raise bad("the resource must be the rule group's ARN.")


class TaggingOperations(WafBase):
    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceARN"]))
        with self.runtime.store.write() as conn:
            self.write_tags(conn, row["arn"], request["Tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceARN"]))
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.arn == row["arn"], tags.c.key.in_(request["TagKeys"])))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceARN"]))
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(tags).where(tags.c.arn == row["arn"])).all()
        items = [{"Key": r.key, "Value": r.value} for r in rows]
        page, marker = pages.after_page(
            items,
            request.get("NextMarker"),
            int(request.get("Limit") or DEFAULT_LIMIT),
            lambda t: str(t["Key"]),
            lambda: errors.invalid("POSITION", request.get("NextMarker"), errors.BAD_VALUE),
        )
        out: dict[str, Any] = {"TagInfoForResource": {"ResourceARN": row["arn"], "TagList": page}}
        if marker:
            out["NextMarker"] = marker
        return out

    # -- permission policies (rule groups) -------------------------------------------------------------------

    def put_permission_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceArn"]), ("rulegroup",))
        check_policy(str(request["Policy"]), row["arn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(permission_policies).where(permission_policies.c.arn == row["arn"]))
            conn.execute(permission_policies.insert().values(arn=row["arn"], policy=request["Policy"]))
        return {}

    def get_permission_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceArn"]), ("rulegroup",))
        with self.runtime.store.read() as conn:
            policy = conn.execute(
                select(permission_policies.c.policy).where(permission_policies.c.arn == row["arn"])
            ).scalar_one_or_none()
        if policy is None:
            raise errors.nonexistent()
        return {"Policy": policy}

    def delete_permission_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.own_by_arn(ctx, str(request["ResourceArn"]), ("rulegroup",))
        with self.runtime.store.write() as conn:
            conn.execute(delete(permission_policies).where(permission_policies.c.arn == row["arn"]))
        return {}
