"""Secrets Manager's authorization table and the resource policy hook for the access-control evaluator.

Every operation that names a secret is checked as ``secretsmanager:<Operation>`` on the secret's ARN, with the
secret's resource policy and its tags (``aws:ResourceTag/*``, ``secretsmanager:ResourceTag/*``) and
``secretsmanager:SecretId``; the rest (CreateSecret, ListSecrets, GetRandomPassword, BatchGetSecretValue) on
``*``. BatchGetSecretValue additionally checks GetSecretValue per secret (versions.py). A full ARN of another
account's secret is looked up in that account, and the check carries that account as the resource's, so only the
secret's resource policy can let the caller in (a missing one is denied the same way).

For GetSecretValue the secret is read together with the wanted version, in one query, and handed to the
operation through ``ctx.extras`` (see :func:`take_lookup`): the hot path reads the database once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check, resource_tag_context
from strongroom.services.secretsmanager.base import (
    POLICY_OF,
    VALID_NAME,
    Secret,
    ValueLookup,
    arn_account,
    find_secret,
    lookup_value,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

_LOOKUP = "secretsmanager.value_lookup"  # ctx.extras key: the read made while authorizing GetSecretValue


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    """The resource policy attached to the secret ``arn`` (full ARN), or None."""
    with runtime.store.read() as conn:
        policy: str | None = conn.execute(POLICY_OF, {"secret_arn": arn}).scalar()
        return policy


def take_lookup(ctx: RequestContext, secret_id: str, version_id: str | None, stage: str | None) -> ValueLookup | None:
    """The read this request's authorization made for exactly this GetSecretValue, if any (used once)."""
    found = ctx.extras.pop(_LOOKUP, None)
    if not isinstance(found, ValueLookup):
        return None
    if (found.secret_id, found.version_id, found.stage) != (secret_id, version_id, stage):
        return None
    return found


def _find(ctx: RequestContext, params: dict[str, Any], secret_id: str) -> Secret | None:
    with ctx.runtime.store.read() as conn:
        if ctx.operation != "GetSecretValue":
            return find_secret(conn, ctx.account_id, ctx.region, secret_id)
        found = lookup_value(
            conn, ctx.account_id, ctx.region, secret_id, params.get("VersionId"), params.get("VersionStage")
        )
    ctx.extras[_LOOKUP] = found
    return found.secret


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    action = f"secretsmanager:{ctx.operation}"
    secret_id = params.get("SecretId")
    if not isinstance(secret_id, str) or not secret_id:
        return [Check(action)]
    if not secret_id.startswith("arn:") and not VALID_NAME.match(secret_id):
        # Names no secret: checked on "*" so that the operation itself answers AWS's ValidationException (the
        # validation step is the provider's, which the protocol round-trip test replaces with an echo).
        return [Check(action)]
    secret = _find(ctx, params, secret_id)
    if secret is None:
        name = secret_id.split(":secret:", 1)[-1]
        owner = arn_account(ctx.account_id, secret_id)
        arn = f"arn:aws:secretsmanager:{ctx.region}:{owner}:secret:{name}"
        # another account's missing secret is denied like an existing one without a policy: no existence oracle
        return [
            Check(
                action,
                arn,
                {"secretsmanager:SecretId": arn},
                resource_account=owner,
                lookup_resource_policy=False,
            )
        ]
    tags = {t["Key"]: t.get("Value", "") for t in secret.tags}
    context: dict[str, Any] = {"secretsmanager:SecretId": secret.arn, **resource_tag_context(tags)}
    context.update({f"secretsmanager:ResourceTag/{k}": v for k, v in tags.items()})
    if ctx.operation == "RotateSecret" and params.get("RotationLambdaARN"):
        context["secretsmanager:RotationLambdaARN"] = params["RotationLambdaARN"]
    return [
        Check(
            action,
            secret.arn,
            context,
            resource_policy=secret.policy,
            resource_account=secret.account_id,
            lookup_resource_policy=False,
        )
    ]
