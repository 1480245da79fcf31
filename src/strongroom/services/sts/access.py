"""STS's authorization table (Service Authorization Reference, "AWS Security Token Service").

AssumeRole is decided with the role's trust policy as a required resource policy: within the account a trust
policy that names the caller suffices, one that names the account needs the caller's identity policies to allow
sts:AssumeRole too, and across accounts both sides must allow. GetCallerIdentity and GetSessionToken need no
permission (AWS documents that none is required).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check, arn_account
from strongroom.iam.directory import Directory
from strongroom.iam.policy import PolicyKind
from strongroom.services.sts import trust

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

NO_PERMISSION_NEEDED = frozenset({"GetCallerIdentity", "GetSessionToken"})

# Request members that become sts:* condition keys on AssumeRole.
PARAM_KEYS = {
    "ExternalId": "sts:ExternalId",
    "SourceIdentity": "sts:SourceIdentity",
    "RoleSessionName": "sts:RoleSessionName",
}


def access_denied(message: str) -> AwsError:
    # STS's AssumeRole denial names the action and role only, without the policy-type reason.
    for cut in (" because no ", " with an explicit deny"):
        message = message.split(cut, 1)[0]
    return AwsError(message, code="AccessDenied", status=403)


def assume_role_check(ctx: RequestContext, params: dict[str, Any]) -> Check:
    role_arn = str(params.get("RoleArn", ""))
    role = Directory(ctx.runtime.store).role_by_arn(role_arn)
    context: dict[str, Any] = {key: params[m] for m, key in PARAM_KEYS.items() if params.get(m) is not None}
    if params.get("TransitiveTagKeys"):
        context["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    if params.get("SerialNumber") and params.get("TokenCode"):
        # The trust policy sees the MFA the request presents; the provider verifies the code before issuing
        # anything, so a wrong code never gets past it (AccessDenied), whatever the trust policy allowed.
        context["aws:MultiFactorAuthPresent"] = "true"
        context["aws:MultiFactorAuthAge"] = "0"
    trust.approve(None, None)
    document = role.assume_role_policy if role else None
    return Check(
        action="sts:AssumeRole",
        resource=role_arn,
        context=context,
        resource_policy=role.assume_role_policy if role else None,
        resource_policy_kind=PolicyKind.TRUST,
        policy_required=True,
        resource_account=role.account_id if role else arn_account(role_arn),
        lookup_resource_policy=False,
        after=lambda _evaluate: trust.approve(ctx.principal.arn, document),
    )


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    if op in NO_PERMISSION_NEEDED:
        return []
    if op == "AssumeRole":
        if ctx.principal.type == "Root":
            return []  # the provider answers "Roles may not be assumed by root accounts."
        return [assume_role_check(ctx, params)]
    if op == "GetFederationToken" and params.get("Name"):
        return [Check("sts:GetFederationToken", f"arn:aws:sts::{ctx.account_id}:federated-user/{params['Name']}")]
    return None
