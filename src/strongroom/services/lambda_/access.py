"""The function's resource-based policy, for the access-control evaluator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check, arn_account
from strongroom.services.lambda_ import model
from strongroom.services.lambda_.operations import OPERATIONS
from strongroom.services.lambda_.records import LATEST, parse_function_name

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    """The policy AddPermission built for ``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``.

    An unqualified ARN means $LATEST's (unqualified) policy; a version's ARN its own; anything else None.
    """
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[:3] != ["arn", "aws", "lambda"] or parts[5] != "function":
        return None
    version = parts[7] if len(parts) == 8 else LATEST
    v = model.versions.c
    with runtime.store.read() as conn:
        return conn.execute(
            select(v.policy).where(
                v.account_id == parts[4], v.region == parts[3], v.name == parts[6], v.version == version
            )
        ).scalar()


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    """Operations on a function are asked on its ARN (qualified when a version is named), so the function's
    resource policy (AddPermission) takes part: that is how a service principal such as
    ``secretsmanager.amazonaws.com`` may invoke a rotation function."""
    name = params.get("FunctionName")
    if not isinstance(name, str):
        return None
    qualifier = params.get("Qualifier")
    try:
        ref = parse_function_name(name, ctx.account_id, ctx.region, qualifier if isinstance(qualifier, str) else None)
    except AwsError:
        return None  # the provider answers the malformed name itself
    arn = f"arn:aws:lambda:{ref.region}:{ref.account_id}:function:{ref.name}"
    if ref.qualifier and ref.qualifier != LATEST:
        arn += f":{ref.qualifier}"
    row = OPERATIONS.get(ctx.operation)  # Invoke asks lambda:InvokeFunction; the others lambda:<Operation>
    action = row.actions[0] if row is not None and row.actions else f"lambda:{ctx.operation}"
    found = [Check(action, arn, resource_account=ref.account_id)]
    role = params.get("Role")
    if ctx.operation in _PASSES_ROLE and isinstance(role, str):
        found.append(pass_role(role, arn))
    return found


# Operations that hand the function a role to act as: the caller must be allowed to pass it (iam:PassRole),
# or lambda:CreateFunction alone would let anyone act as any role that trusts Lambda.
_PASSES_ROLE = frozenset({"CreateFunction", "UpdateFunctionConfiguration"})


def pass_role(role_arn: str, function_arn: str) -> Check:
    """``iam:PassRole`` on the role, with the condition keys AWS sets when Lambda is given a role. Decided after
    the Lambda action, as AWS does; the role's trust policy is not a resource policy for this question."""
    return Check(
        "iam:PassRole",
        role_arn,
        context={"iam:PassedToService": "lambda.amazonaws.com", "iam:AssociatedResourceArn": function_arn},
        resource_account=arn_account(role_arn),
        lookup_resource_policy=False,
    )
