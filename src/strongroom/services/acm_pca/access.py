"""ACM Private CA's authorization table and the resource policies of private CAs, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Private Certificate
Authority": every operation that names a CA (or a certificate of a CA: GetCertificate, RevokeCertificate) is
authorized as ``acm-pca:<Operation>`` on the CA's ARN, with ``aws:ResourceTag/*`` from the CA's tags;
CreateCertificateAuthority and ListCertificateAuthorities on ``"*"``. IssueCertificate adds ``acm-pca:TemplateArn``.

Across accounts a CA is reachable only through its resource policy (PutPolicy, or a RAM share on AWS), and such a
policy can grant no more than AWS's shareable set (:data:`SHAREABLE`, the actions RAM customer managed permissions
may combine): an owner cannot hand another account the keys to delete, disable or re-policy its CA. A cross-account
call the policy allows is marked in ``ctx.extras`` so that the provider's lookup (``PcaBase.find_ca``) may read the
other account's CA; without the mark it only finds CAs of the caller's own account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check
from strongroom.services.acm_pca import model
from strongroom.services.acm_pca.base import SHARED_CA, parse_ca_arn
from strongroom.services.acm_pca.errors import InvalidArnException
from strongroom.services.acm_pca.templates import DEFAULT_TEMPLATE, TEMPLATE_PREFIX
from strongroom.services.base.tags import tag_loader

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

# Operations whose resource is "*" (no CA named).
STAR_OPERATIONS = frozenset({"CreateCertificateAuthority", "ListCertificateAuthorities"})

# Operation -> the request member holding the CA's ARN; the action is acm-pca:<Operation> on that ARN.
CA_OPERATIONS: dict[str, str] = {
    **{
        op: "CertificateAuthorityArn"
        for op in (
            "CreateCertificateAuthorityAuditReport",
            "CreatePermission",
            "DeleteCertificateAuthority",
            "DeletePermission",
            "DescribeCertificateAuthority",
            "DescribeCertificateAuthorityAuditReport",
            "GetCertificate",
            "GetCertificateAuthorityCertificate",
            "GetCertificateAuthorityCsr",
            "ImportCertificateAuthorityCertificate",
            "IssueCertificate",
            "ListPermissions",
            "ListTags",
            "RestoreCertificateAuthority",
            "RevokeCertificate",
            "TagCertificateAuthority",
            "UntagCertificateAuthority",
            "UpdateCertificateAuthority",
        )
    },
    **{op: "ResourceArn" for op in ("PutPolicy", "GetPolicy", "DeletePolicy")},
}

# What a CA's resource policy may grant another account (AWS Private CA user guide, "Resource-based policies":
# the actions RAM customer managed permissions can combine). Anything else is the owner's alone.
SHAREABLE = frozenset(
    {
        "acm-pca:DescribeCertificateAuthority",
        "acm-pca:GetCertificate",
        "acm-pca:GetCertificateAuthorityCertificate",
        "acm-pca:IssueCertificate",
        "acm-pca:ListPermissions",
        "acm-pca:ListTags",
        "acm-pca:RevokeCertificate",
    }
)


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    """The policy PutPolicy stored on the CA ``arn`` names (a certificate ARN names its CA), or None."""
    ca_arn = arn.split("/certificate/", 1)[0]
    with runtime.store.read() as conn:
        row = conn.execute(select(model.authorities.c.policy).where(model.authorities.c.arn == ca_arn)).first()
    return None if row is None else row.policy


def _request_context(op: str, params: dict[str, Any]) -> dict[str, Any]:
    if op != "IssueCertificate":
        return {}
    template = params.get("TemplateArn") or TEMPLATE_PREFIX + DEFAULT_TEMPLATE
    return {"acm-pca:TemplateArn": str(template)}


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"acm-pca:{op}"
    if op in STAR_OPERATIONS:
        return [Check(action, lookup_resource_policy=False)]
    member = CA_OPERATIONS.get(op)
    arn = params.get(member) if member else None
    if not isinstance(arn, str):
        return None  # an operation this table does not know: the generic acm-pca:<Operation> on "*"
    try:
        _region, account, _ = parse_ca_arn(arn)
    except InvalidArnException:
        # Not a CA ARN: no CA to protect; the provider answers InvalidArnException once the caller may ask at all.
        return [Check(action, arn, lookup_resource_policy=False)]
    with ctx.runtime.store.read() as conn:
        row = conn.execute(select(model.authorities.c.policy).where(model.authorities.c.arn == arn)).first()
    policy = row.policy if row is not None else None
    if account != ctx.account_id:
        if action not in SHAREABLE:
            policy = None  # the owner's own operations: no policy can open them to another account
        elif row is not None:
            ctx.extras[SHARED_CA] = arn
    return [
        Check(
            action,
            arn,
            _request_context(op, params),
            resource_policy=policy,
            resource_account=account,
            lazy={
                "aws:resourcetag": tag_loader(
                    ctx.runtime, model.tags, arn, arn_column="ca_arn", key_column="tag_key", value_column="tag_value"
                )
            },
            lookup_resource_policy=False,
        )
    ]
