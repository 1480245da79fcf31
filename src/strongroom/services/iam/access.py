"""IAM's authorization table (Service Authorization Reference, "AWS Identity and Access Management").

Every operation's action is ``iam:<Operation>``; its resource is the ARN of the user, group, role or managed
policy it acts on (with the entity's path, as AWS builds it), or ``"*"`` for account-wide listings. Operations that
take an optional UserName act on the caller's own user when it is omitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam import directory as d
from strongroom.iam.authorize import Check, resource_tag_context

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Resource "*": account-wide operations (SAR lists no resource type for them).
STAR_OPERATIONS = frozenset(
    {
        "ListUsers",
        "ListGroups",
        "ListRoles",
        "ListPolicies",
        "GetAccountAuthorizationDetails",
        "GetAccountSummary",
        "SimulateCustomPolicy",
        "GetAccessKeyLastUsed",
        "ListAccountAliases",
        "CreateAccountAlias",
        "DeleteAccountAlias",
        "GetAccountPasswordPolicy",
        "UpdateAccountPasswordPolicy",
        "DeleteAccountPasswordPolicy",
        "GenerateCredentialReport",
        "GetCredentialReport",
    }
)

# Which request member names the resource, for operations acting on two entities (the first listed wins).
RESOURCE_MEMBER_ORDER = ("RoleName", "GroupName", "UserName", "PolicyArn", "PolicySourceArn")
# Operations whose optional UserName defaults to the caller's own user.
SELF_USER_OPERATIONS = frozenset(
    {"GetUser", "CreateAccessKey", "DeleteAccessKey", "ListAccessKeys", "UpdateAccessKey", "ChangePassword"}
)
# Operations that create the entity they name (the ARN is built from Path + name, nothing to look up).
CREATES = {
    "CreateUser": ("user", "UserName"),
    "CreateGroup": ("group", "GroupName"),
    "CreateRole": ("role", "RoleName"),
}

_KIND = {"UserName": "user", "GroupName": "group", "RoleName": "role"}


def access_denied(message: str) -> AwsError:
    return AwsError(message, code="AccessDenied", status=403)


def _entity_arn(ctx: RequestContext, kind: str, name: str) -> str:
    directory = d.Directory(ctx.runtime.store)
    record: Any = {"user": directory.user, "group": directory.group, "role": directory.role}[kind](ctx.account_id, name)
    if record is not None:
        return str(record.arn)
    return f"arn:aws:iam::{ctx.account_id}:{kind}/{name}"


def _tags_loader(ctx: RequestContext, kind: str, name: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        tags = d.Directory(ctx.runtime.store).tags(ctx.account_id, kind, name)
        out = resource_tag_context(tags)
        out.update({f"iam:ResourceTag/{k}": v for k, v in tags.items()})
        return out

    return load


def _condition_keys(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if params.get("PolicyArn"):
        out["iam:PolicyARN"] = params["PolicyArn"]
    if params.get("PermissionsBoundary"):
        out["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    return out


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"iam:{op}"
    context = _condition_keys(params)
    if op in STAR_OPERATIONS:
        return [Check(action, context=context, lookup_resource_policy=False)]
    if op in CREATES:
        kind, member = CREATES[op]
        path = params.get("Path") or "/"
        arn = f"arn:aws:iam::{ctx.account_id}:{kind}{path}{params.get(member, '')}"
        return [Check(action, arn, context=context, lookup_resource_policy=False)]
    if op == "CreatePolicy":
        path = params.get("Path") or "/"
        arn = f"arn:aws:iam::{ctx.account_id}:policy{path}{params.get('PolicyName', '')}"
        return [Check(action, arn, context=context, lookup_resource_policy=False)]
    lazy: dict[str, Callable[[], dict[str, Any]]] = {}
    resource = "*"
    for member in RESOURCE_MEMBER_ORDER:
        value = params.get(member)
        if not value:
            continue
        if member in _KIND:
            resource = _entity_arn(ctx, _KIND[member], str(value))
            if _KIND[member] in ("user", "role"):
                loader = _tags_loader(ctx, _KIND[member], str(value))
                lazy = {"aws:resourcetag": loader, "iam:resourcetag": loader}
        else:
            resource = str(value)
        break
    else:
        if op in SELF_USER_OPERATIONS:
            resource = ctx.principal.arn
    return [Check(action, resource, context=context, lazy=lazy, lookup_resource_policy=False)]
