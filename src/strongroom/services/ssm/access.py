"""What the access-control evaluator needs from Parameter Store: the authorization table and resource policies.

``checks(ctx, params)`` names the action and parameter ARN(s) of each operation (Service Authorization
Reference, "Actions, resources, and condition keys for AWS Systems Manager"): ``ssm:GetParameters`` is asked
once per named parameter, ``ssm:GetParametersByPath`` on the path's ARN, DescribeParameters on ``*``.

``resource_policy(runtime, arn)`` merges the statements of every resource policy attached to a parameter (as
PutResourcePolicy stores them) into one document, or returns None. ``shared_with`` is the narrow check the
provider itself applies to cross-account reads until the evaluator takes resource policies into account.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.ssm import model

if TYPE_CHECKING:
    from strongroom.iam.authorize import Check
    from strongroom.server.context import RequestContext
    from strongroom.server.runtime import Runtime

_BY_NAME = frozenset(
    {
        "PutParameter",
        "GetParameter",
        "DeleteParameter",
        "GetParameterHistory",
        "LabelParameterVersion",
        "UnlabelParameterVersion",
    }
)
_BY_NAMES = frozenset({"GetParameters", "DeleteParameters"})
_TAGGING = frozenset({"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"})
_RESOURCE_POLICY = frozenset({"PutResourcePolicy", "GetResourcePolicies", "DeleteResourcePolicy"})
_SETTINGS = frozenset({"GetServiceSetting", "UpdateServiceSetting", "ResetServiceSetting"})


def _documents(runtime: Runtime, arn: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    rp = model.resource_policies
    query = select(rp.c.resource_arn, rp.c.policy).order_by(rp.c.resource_arn, rp.c.created_at)
    if arn is not None:
        query = query.where(rp.c.resource_arn == arn)
    with runtime.store.read() as conn:
        rows = list(conn.execute(query))
    out = []
    for row in rows:
        try:
            out.append((row.resource_arn, json.loads(row.policy)))
        except ValueError:
            continue
    return out


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    statements = document.get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, dict)]


def resource_policy(runtime: Runtime, arn: str) -> str | None:
    statements = [s for _, document in _documents(runtime, arn) for s in _statements(document)]
    if not statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        value = principal.get("AWS", [])
        return [value] if isinstance(value, str) else [str(v) for v in value]
    return []


def _names_account(principal: str, account_id: str) -> bool:
    return principal in ("*", account_id, f"arn:aws:iam::{account_id}:root") or principal.startswith(
        f"arn:aws:iam::{account_id}:"
    )


def _allows(document: dict[str, Any], account_id: str) -> bool:
    return any(
        s.get("Effect") == "Allow" and any(_names_account(p, account_id) for p in _principals(s))
        for s in _statements(document)
    )


def shared_with(runtime: Runtime, arn: str, account_id: str) -> bool:
    return any(_allows(document, account_id) for _, document in _documents(runtime, arn))


def shared_arns(runtime: Runtime, account_id: str) -> list[str]:
    return sorted({arn for arn, document in _documents(runtime) if _allows(document, account_id)})


def arn_for(ctx: RequestContext, raw: str) -> str:
    """The ARN a request names: parameter ARNs as given (less a selector), names joined to the caller's prefix."""
    if raw.startswith("arn:"):
        head, _, tail = raw.partition(":parameter/")
        return f"{head}:parameter/{tail.split(':', 1)[0]}" if tail else raw
    name = raw.split(":", 1)[0]
    account = "" if name.startswith(("/aws/service/", "/aws/reference/")) else ctx.account_id
    return f"arn:aws:ssm:{ctx.region}:{account}:parameter/{name.lstrip('/')}"


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    from strongroom.iam.authorize import Check

    op, action = ctx.operation, f"ssm:{ctx.operation}"
    if op in _BY_NAME and isinstance(params.get("Name"), str):
        return [Check(action, arn_for(ctx, params["Name"]))]
    if op in _BY_NAMES and isinstance(params.get("Names"), list):
        return [Check(action, arn_for(ctx, n)) for n in dict.fromkeys(params["Names"]) if isinstance(n, str)]
    if op == "GetParametersByPath" and isinstance(params.get("Path"), str):
        return [Check(action, arn_for(ctx, params["Path"]))]
    if op in _TAGGING and params.get("ResourceType") == "Parameter" and isinstance(params.get("ResourceId"), str):
        return [Check(action, arn_for(ctx, params["ResourceId"]))]
    if op in _RESOURCE_POLICY and isinstance(params.get("ResourceArn"), str):
        return [Check(action, params["ResourceArn"])]
    if op in _SETTINGS and isinstance(params.get("SettingId"), str):
        setting = params["SettingId"]
        return [Check(action, setting if setting.startswith("arn:") else ctx.arn("ssm", "servicesetting" + setting))]
    return None
