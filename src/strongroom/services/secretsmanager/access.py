"""Secrets Manager's authorization table and the resource policy hook for the access-control evaluator.

Every operation that names a secret is checked as ``secretsmanager:<Operation>`` on the secret's ARN, with the
secret's resource policy and its tags (``aws:ResourceTag/*``, ``secretsmanager:ResourceTag/*``) and
``secretsmanager:SecretId``; the rest (CreateSecret, ListSecrets, GetRandomPassword, BatchGetSecretValue) on
``*``. BatchGetSecretValue additionally checks GetSecretValue per secret (versions.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check, resource_tag_context
from strongroom.services.secretsmanager import model
from strongroom.services.secretsmanager.base import find_secret

if TYPE_CHECKING:
    from strongroom.server.context import RequestContext
    from strongroom.server.runtime import Runtime


def resource_policy(runtime: Runtime, arn: str) -> str | None:
    """The resource policy attached to the secret ``arn`` (full ARN), or None."""
    with runtime.store.read() as conn:
        return conn.execute(select(model.secrets.c.policy).where(model.secrets.c.arn == arn)).scalar()


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    action = f"secretsmanager:{ctx.operation}"
    secret_id = params.get("SecretId")
    if not isinstance(secret_id, str) or not secret_id:
        return [Check(action)]
    with ctx.runtime.store.read() as conn:
        secret = find_secret(conn, ctx.account_id, ctx.region, secret_id)
    if secret is None:
        name = secret_id.split(":secret:", 1)[-1]
        arn = f"arn:aws:secretsmanager:{ctx.region}:{ctx.account_id}:secret:{name}"
        return [Check(action, arn, {"secretsmanager:SecretId": arn}, lookup_resource_policy=False)]
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
