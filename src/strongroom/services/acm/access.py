"""ACM's authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Certificate Manager",
and the ACM user guide's "Use condition keys with ACM". Every operation that names a certificate is authorized as
``acm:<Operation>`` on the certificate's ARN, with ``aws:ResourceTag/*`` from its tags; the account-wide operations
(RequestCertificate, ListCertificates, SearchCertificates, Get/PutAccountConfiguration) on ``"*"``. ImportCertificate
acts on the certificate it re-imports, or on ``"*"`` when it creates one.

ACM certificates have no resource policies: the certificate's account is the resource account, so a caller of
another account is refused by the evaluator whatever its own policies say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check, arn_account
from strongroom.services.acm.model import tags
from strongroom.services.base.tags import tag_loader

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Operation -> the request member holding the certificate's ARN.
CERTIFICATE_OPERATIONS: dict[str, str] = {
    **{
        op: "CertificateArn"
        for op in (
            "AddTagsToCertificate",
            "DeleteCertificate",
            "DescribeCertificate",
            "ExportCertificate",
            "GetCertificate",
            "ImportCertificate",  # only when re-importing; see checks()
            "ListCertificateDomainValidations",
            "ListTagsForCertificate",
            "RemoveTagsFromCertificate",
            "RenewCertificate",
            "ResendValidationEmail",
            "RevokeCertificate",
            "UpdateCertificateOptions",
        )
    },
    **{op: "ResourceArn" for op in ("TagResource", "UntagResource", "ListTagsForResource")},
}

# RequestCertificate's request members that become acm:* condition keys.
_REQUEST_KEYS = {
    "ValidationMethod": "acm:ValidationMethod",
    "KeyAlgorithm": "acm:KeyAlgorithm",
    "CertificateAuthorityArn": "acm:CertificateAuthority",
}


def _request_context(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {key: str(params[m]) for m, key in _REQUEST_KEYS.items() if params.get(m)}
    names = [params.get("DomainName"), *(params.get("SubjectAlternativeNames") or [])]
    domains = list(dict.fromkeys(str(n) for n in names if n))
    if domains:
        out["acm:DomainNames"] = domains
    options = params.get("Options") or {}
    out["acm:CertificateTransparencyLogging"] = str(options.get("CertificateTransparencyLoggingPreference", "ENABLED"))
    return out


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"acm:{op}"
    if op == "RequestCertificate":
        return [Check(action, context=_request_context(params), lookup_resource_policy=False)]
    member = CERTIFICATE_OPERATIONS.get(op)
    arn = params.get(member) if member else None
    if not isinstance(arn, str) or not arn:
        return None  # account-wide operations (and ImportCertificate of a new one): acm:<Operation> on "*"
    return [
        Check(
            action,
            arn,
            resource_account=arn_account(arn),
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn, arn_column="certificate_arn")},
            lookup_resource_policy=False,
        )
    ]
