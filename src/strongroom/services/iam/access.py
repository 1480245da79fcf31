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
from strongroom.iam import objects
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
RESOURCE_MEMBER_ORDER = (
    "RoleName",
    "GroupName",
    "UserName",
    "PolicyArn",
    "PolicySourceArn",
    "OpenIDConnectProviderArn",
    "SAMLProviderArn",
    "SerialNumber",
    "InstanceProfileName",
    "ServerCertificateName",
    "EntityArn",
)
# Members naming an entity by name whose ARN is built without a lookup (the path, when there is one, is not known
# before the entity is read; AWS's ARN carries it — a policy naming these resources with a path should use a
# wildcard for it).
_NAMED = {"InstanceProfileName": "instance-profile", "ServerCertificateName": "server-certificate"}
# Operations whose optional UserName defaults to the caller's own user.
SELF_USER_OPERATIONS = frozenset(
    {
        "GetUser",
        "CreateAccessKey",
        "DeleteAccessKey",
        "ListAccessKeys",
        "UpdateAccessKey",
        "ChangePassword",
        "GetLoginProfile",
        "CreateLoginProfile",
        "DeleteLoginProfile",
        "ListMFADevices",
        "ListSSHPublicKeys",
        "ListSigningCertificates",
        "UploadSigningCertificate",
        "UpdateSigningCertificate",
        "DeleteSigningCertificate",
        "ListServiceSpecificCredentials",
        "ResetServiceSpecificCredential",
        "UpdateServiceSpecificCredential",
        "DeleteServiceSpecificCredential",
    }
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


def _created_arn(ctx: RequestContext, op: str, params: dict[str, Any]) -> str | None:
    """The ARN an IAM identity-provider, MFA device or instance-profile creation names (no lookup)."""
    account = ctx.account_id
    path = params.get("Path") or "/"
    if op == "CreateOpenIDConnectProvider":
        url = str(params.get("Url", ""))
        return f"arn:aws:iam::{account}:oidc-provider/{url.split('://', 1)[-1].rstrip('/')}"
    if op == "CreateSAMLProvider":
        return f"arn:aws:iam::{account}:saml-provider/{params.get('Name', '')}"
    if op == "CreateVirtualMFADevice":
        return f"arn:aws:iam::{account}:mfa{path}{params.get('VirtualMFADeviceName', '')}"
    if op == "CreateInstanceProfile":
        return f"arn:aws:iam::{account}:instance-profile{path}{params.get('InstanceProfileName', '')}"
    if op == "UploadServerCertificate":
        return f"arn:aws:iam::{account}:server-certificate{path}{params.get('ServerCertificateName', '')}"
    return None


def _users_may_change_password(ctx: RequestContext) -> bool:
    """The account password policy's AllowUsersToChangePassword lets every IAM user change its own password."""
    with ctx.runtime.store.read() as conn:
        found = objects.get(conn, ctx.account_id, "account", "password-policy")
    return bool(found and found.data.get("allow_users_to_change"))


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"iam:{op}"
    context = _condition_keys(params)
    if op == "ChangePassword" and ctx.principal.type == "IAMUser" and _users_may_change_password(ctx):
        return []
    created = _created_arn(ctx, op, params)
    if created is not None:
        return [Check(action, created, context=context, lookup_resource_policy=False)]
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
        elif member in _NAMED:
            resource = f"arn:aws:iam::{ctx.account_id}:{_NAMED[member]}/{value}"
        else:
            resource = str(value)
        break
    else:
        if op in SELF_USER_OPERATIONS:
            resource = ctx.principal.arn
    return [Check(action, resource, context=context, lazy=lazy, lookup_resource_policy=False)]
