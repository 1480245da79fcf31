"""KMS's authorization table: the action and resource of every operation, and the kms:* condition keys.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Key Management
Service", and the KMS Developer Guide's "AWS KMS condition keys" and "Determining access to a KMS key". The key
policy is a *required* resource policy: IAM policies count only when it trusts the caller's account. Grants are
the third path, consulted only when the policies do not allow.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check, resource_tag_context
from strongroom.iam.policy import EvaluationResult, Grant, MalformedPolicyDocumentError, PolicyKind, parse_policy
from strongroom.services.kms import ciphertext as ct
from strongroom.services.kms import model
from strongroom.services.kms.base import alias_accepted, alias_arn
from strongroom.services.kms.errors import AccessDeniedException, MalformedPolicyDocumentException
from strongroom.services.kms.keystore import KeyRecord
from strongroom.services.kms.operations import OPERATIONS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext
    from strongroom.services.kms.provider import Provider

RESERVED_ALIAS_PREFIX = "alias/aws/"
LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future."

# Request members that become kms:* condition keys, by operation family (KMS condition keys reference).
PARAM_KEYS: dict[str, str] = {
    "EncryptionAlgorithm": "kms:EncryptionAlgorithm",
    "SigningAlgorithm": "kms:SigningAlgorithm",
    "MacAlgorithm": "kms:MacAlgorithm",
    "KeyAgreementAlgorithm": "kms:KeyAgreementAlgorithm",
    "MessageType": "kms:MessageType",
    "KeyPairSpec": "kms:DataKeyPairSpec",
    "RotationPeriodInDays": "kms:RotationPeriodInDays",
    "PendingWindowInDays": "kms:ScheduleKeyDeletionPendingWindowInDays",
    "BypassPolicyLockoutSafetyCheck": "kms:BypassPolicyLockoutSafetyCheck",
    "WrappingAlgorithm": "kms:WrappingAlgorithm",
    "WrappingKeySpec": "kms:WrappingKeySpec",
    "ExpirationModel": "kms:ExpirationModel",
    "ReplicaRegion": "kms:ReplicaRegion",
    "Origin": "kms:KeyOrigin",
    "KeyUsage": "kms:KeyUsage",
    "KeySpec": "kms:KeySpec",
    "MultiRegion": "kms:MultiRegion",
}


def access_denied(message: str) -> AwsError:
    return AccessDeniedException(message)


def _provider(ctx: RequestContext) -> Provider:
    provider = ctx.runtime.providers.provider("kms")
    assert provider is not None
    return provider  # type: ignore[return-value]


def _resolve(ctx: RequestContext, ref: str | None, operation: str) -> KeyRecord | None:
    """The key a request names, or None when it names none that exists (the provider then answers NotFound)."""
    if not ref:
        return None
    try:
        return _provider(ctx)._resolve_key(ctx, ref, operation=operation)
    except AwsError:
        return None


def _bool(value: Any) -> str:
    return "true" if value else "false"


def encryption_context_keys(context: Mapping[str, str] | None) -> dict[str, Any]:
    if not context:
        return {}
    out: dict[str, Any] = {f"kms:EncryptionContext:{k}": v for k, v in context.items()}
    out["kms:EncryptionContextKeys"] = list(context)
    return out


def key_context(ctx: RequestContext, record: KeyRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kms:CallerAccount": ctx.account_id,
        "kms:KeySpec": record.key_spec,
        "kms:KeyUsage": record.key_usage,
        "kms:KeyOrigin": record.origin,
        "kms:MultiRegion": _bool(record.multi_region),
    }
    if record.multi_region:
        out["kms:MultiRegionKeyType"] = "PRIMARY" if record.is_primary else "REPLICA"
    via = ctx.extras.get("via_service")
    if via:
        out["kms:ViaService"] = str(via)
    return out


def request_context(ctx: RequestContext, params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for member, key in PARAM_KEYS.items():
        if member in params and params[member] is not None:
            value = params[member]
            out[key] = _bool(value) if isinstance(value, bool) else str(value)
    spec = OPERATIONS.get(ctx.operation)
    if spec is not None and spec.symmetric_condition and "EncryptionAlgorithm" not in params:
        out["kms:EncryptionAlgorithm"] = "SYMMETRIC_DEFAULT"
    key_ref = params.get("KeyId")
    if isinstance(key_ref, str) and alias_accepted(ctx.operation) and "alias/" in key_ref:
        out["kms:RequestAlias"] = key_ref.split(":", 5)[-1] if key_ref.startswith("arn:") else key_ref
    if ctx.operation == "CreateGrant":
        out["kms:GrantOperations"] = list(params.get("Operations") or [])
        grantee = params.get("GranteePrincipal") or params.get("GranteeServicePrincipal")
        if grantee:
            out["kms:GranteePrincipal"] = grantee
        retiring = params.get("RetiringPrincipal") or params.get("RetiringServicePrincipal")
        if retiring:
            out["kms:RetiringPrincipal"] = retiring
        out["kms:GrantIsForAWSResource"] = _bool(ctx.extras.get("via_service"))
        constraints = params.get("Constraints") or {}
        types = [t for t in ("EncryptionContextEquals", "EncryptionContextSubset") if t in constraints]
        if types:
            out["kms:GrantConstraintType"] = types
        for member in types:
            out.update(encryption_context_keys(constraints[member]))
    if ctx.operation == "ReplicateKey" and "ReplicaRegion" in params:
        out["kms:ReplicaRegion"] = params["ReplicaRegion"]
    return out


def _grants_loader(ctx: RequestContext, key_arn: str, params: Mapping[str, Any]) -> Callable[[], list[Grant]]:
    """Grants whose grantee is the caller (or its role), plus those named by GrantTokens, read only on demand."""

    def load() -> list[Grant]:
        p = ctx.principal
        names = {p.arn}
        if p.type == "AssumedRole":
            account = p.arn.split(":")[4]
            names.add(f"arn:aws:iam::{account}:role/{p.arn.split(':', 5)[5].split('/')[1]}")
        token_ids: set[str] = set()
        provider = _provider(ctx)
        for token in params.get("GrantTokens") or []:
            try:
                grant_id, token_key = provider.read_grant_token(token)
            except AwsError:
                continue
            if token_key == key_arn:
                token_ids.add(grant_id)
        g = model.grants.c
        where = (g.key_arn == key_arn) & (g.grantee_is_service.is_(False))
        with ctx.runtime.store.read() as conn:
            rows = conn.execute(select(model.grants).where(where)).all()
        out: list[Grant] = []
        for row in rows:
            if row.grantee_principal not in names and row.grant_id not in token_ids:
                continue
            constraints = json.loads(row.constraints) if row.constraints else {}
            out.append(
                Grant(
                    grantee_principal=row.grantee_principal,
                    operations=frozenset(json.loads(row.operations)),
                    encryption_context_equals=constraints.get("EncryptionContextEquals"),
                    encryption_context_subset=constraints.get("EncryptionContextSubset"),
                    grant_id=row.grant_id,
                    key_arn=row.key_arn,
                )
            )
        return out

    return load


def _lazy(ctx: RequestContext, record: KeyRecord) -> dict[str, Callable[[], dict[str, Any]]]:
    def tags() -> dict[str, Any]:
        with ctx.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.tags.c.tag_key, model.tags.c.tag_value).where(model.tags.c.key_arn == record.arn)
            ).all()
        return resource_tag_context({r.tag_key: r.tag_value for r in rows})

    def aliases() -> dict[str, Any]:
        a = model.aliases.c
        with ctx.runtime.store.read() as conn:
            names = conn.execute(
                select(a.name).where(
                    a.account_id == record.account_id, a.region == record.region, a.key_id == record.key_id
                )
            ).scalars()
            found = list(names)
        return {"kms:ResourceAliases": found} if found else {}

    return {"aws:resourcetag": tags, "kms:resourcealiases": aliases}


def key_check(
    ctx: RequestContext,
    record: KeyRecord,
    action: str,
    params: Mapping[str, Any],
    *,
    encryption_context: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Check:
    context = key_context(ctx, record)
    context.update(request_context(ctx, params))
    context.update(encryption_context_keys(encryption_context))
    if extra:
        context.update(extra)
    return Check(
        action=action,
        resource=record.arn,
        context=context,
        resource_policy=record.policy,
        policy_required=True,
        resource_account=record.account_id,
        encryption_context=dict(encryption_context or {}),
        grants=_grants_loader(ctx, record.arn, params),
        lazy=_lazy(ctx, record),
        lookup_resource_policy=False,
    )


def _alias_check(ctx: RequestContext, name: str, action: str) -> Check:
    # Aliases have no resource policy: identity policies decide (and the root user).
    arn = name if name.startswith("arn:") else alias_arn(ctx.account_id, ctx.region, name)
    return Check(action=action, resource=arn, lookup_resource_policy=False)


def _star(ctx: RequestContext, params: Mapping[str, Any]) -> Check:
    context = request_context(ctx, params)
    context["kms:CallerAccount"] = ctx.account_id
    via = ctx.extras.get("via_service")
    if via:
        context["kms:ViaService"] = str(via)
    return Check(action=f"kms:{ctx.operation}", context=context, lookup_resource_policy=False)


def _lockout(ctx: RequestContext, key_arn: str, account: str, policy: str) -> Callable[[Any], None]:
    """AWS's lockout safety check: the caller must still be allowed to PutKeyPolicy under the new policy."""

    def after(evaluate: Callable[[Check], EvaluationResult]) -> None:
        try:
            parse_policy(policy, PolicyKind.RESOURCE)
        except MalformedPolicyDocumentError as exc:
            raise MalformedPolicyDocumentException(str(exc)) from None
        probe = Check(
            action="kms:PutKeyPolicy",
            resource=key_arn,
            context={"kms:CallerAccount": ctx.account_id},
            resource_policy=policy,
            policy_required=True,
            resource_account=account,
            lookup_resource_policy=False,
        )
        if not evaluate(probe).allowed:
            raise MalformedPolicyDocumentException(LOCKOUT_MESSAGE)

    return after


def _decrypt_key(ctx: RequestContext, blob: Any, key_ref: str | None, operation: str) -> KeyRecord | None:
    if blob is not None:
        try:
            header, _ = ct.parse_header(bytes(blob))
        except ct.MalformedCiphertext:
            header = None
        if header is not None:
            return _provider(ctx).keys.by_id(header.account_id, ctx.region, header.key_id)
    return _resolve(ctx, key_ref, operation)


def _retire_grant(ctx: RequestContext, params: Mapping[str, Any]) -> list[Check]:
    """Who may retire a grant is decided by the grant: its retiring principal, its grantee when the grant allows
    RetireGrant, or the account that owns the key; anyone else needs kms:RetireGrant from the policies."""
    provider = _provider(ctx)
    grant_id, key_ref = params.get("GrantId"), params.get("KeyId")
    if params.get("GrantToken"):
        try:
            token_grant, token_key = provider.read_grant_token(params["GrantToken"])
        except AwsError:
            return []
        grant_id, key_ref = grant_id or token_grant, key_ref or token_key
    record = _resolve(ctx, key_ref, "RetireGrant")
    if record is None or not grant_id:
        return []
    with ctx.runtime.store.read() as conn:
        row = conn.execute(
            select(model.grants).where(model.grants.c.grant_id == grant_id, model.grants.c.key_arn == record.arn)
        ).first()
    if row is None:
        return []
    p = ctx.principal
    names = {p.arn}
    if p.type == "AssumedRole":
        names.add(f"arn:aws:iam::{p.account_id}:role/{p.arn.split(':', 5)[5].split('/')[1]}")
    if row.retiring_principal in names:
        return []
    if row.grantee_principal in names and "RetireGrant" in json.loads(row.operations):
        return []
    if p.type == "Root" and p.account_id == record.account_id:
        return []
    return [key_check(ctx, record, "kms:RetireGrant", params)]


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    spec = OPERATIONS.get(op)
    if spec is None:
        return None  # an operation this table does not know: the generic kms:<Operation> on "*"
    if spec.resource is None and not spec.special_access:  # "*": the key policy cannot control it, IAM policies do
        check = _star(ctx, params)
        if op == "CreateKey" and params.get("Policy") and not params.get("BypassPolicyLockoutSafetyCheck"):
            placeholder = f"arn:aws:kms:{ctx.region}:{ctx.account_id}:key/*"
            check.after = _lockout(ctx, placeholder, ctx.account_id, params["Policy"])
        return [check]
    if spec.resource is not None and not spec.special_access:  # kms:<Operation> on the key the member names
        record = _resolve(ctx, params.get(spec.resource), op)
        if record is None:
            return []
        ec = params.get("EncryptionContext")
        check = key_check(ctx, record, f"kms:{op}", params, encryption_context=ec)
        if op == "PutKeyPolicy" and params.get("Policy") and not params.get("BypassPolicyLockoutSafetyCheck"):
            check.after = _lockout(ctx, record.arn, record.account_id, params["Policy"])
        return [check]
    if op == "Decrypt":
        record = _decrypt_key(ctx, params.get("CiphertextBlob"), params.get("KeyId"), op)
        if record is None:
            return []
        return [key_check(ctx, record, "kms:Decrypt", params, encryption_context=params.get("EncryptionContext"))]
    if op == "ReEncrypt":
        out: list[Check] = []
        source = _decrypt_key(ctx, params.get("CiphertextBlob"), params.get("SourceKeyId"), op)
        if source is not None:
            ec = params.get("SourceEncryptionContext")
            out.append(key_check(ctx, source, "kms:ReEncryptFrom", params, encryption_context=ec))
        dest = _resolve(ctx, params.get("DestinationKeyId"), op)
        if dest is not None:
            ec = params.get("DestinationEncryptionContext")
            extra = {"kms:ReEncryptOnSameKey": _bool(source is not None and source.arn == dest.arn)}
            out.append(key_check(ctx, dest, "kms:ReEncryptTo", params, encryption_context=ec, extra=extra))
        return out
    if op in ("CreateAlias", "DeleteAlias", "UpdateAlias"):
        return _alias_checks(ctx, params)
    if op == "RetireGrant":
        return _retire_grant(ctx, params)
    return None  # an operation this table does not know: the generic kms:<Operation> on "*"


def _alias_checks(ctx: RequestContext, params: Mapping[str, Any]) -> list[Check]:
    """CreateAlias and UpdateAlias need permission on the alias and on the key(s); DeleteAlias on both too."""
    op, name = ctx.operation, str(params.get("AliasName") or "")
    if name.startswith(RESERVED_ALIAS_PREFIX):
        return []  # reserved for AWS managed keys: the provider refuses with NotAuthorizedException for everyone
    action = f"kms:{op}"
    out = [_alias_check(ctx, name, action)]
    provider = _provider(ctx)
    current_id = provider.keys.alias_target(ctx.account_id, ctx.region, name) if name else None
    if op in ("DeleteAlias", "UpdateAlias") and current_id is not None:
        current = provider.keys.by_id(ctx.account_id, ctx.region, current_id)
        if current is not None:
            out.append(key_check(ctx, current, action, params))
    if op in ("CreateAlias", "UpdateAlias"):
        target = _resolve(ctx, params.get("TargetKeyId"), op)
        if target is not None:
            out.append(key_check(ctx, target, action, params))
    return out
