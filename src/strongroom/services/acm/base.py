"""What every family of ACM operations shares: finding certificates, their wire shapes, events, issuance."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.x509.oid import NameOID
from sqlalchemy import select, update

from strongroom.core import context
from strongroom.core.clock import clock
from strongroom.events import bus
from strongroom.services.acm import certs, internal_ca
from strongroom.services.acm.errors import InvalidArnException, ResourceNotFoundException
from strongroom.services.acm.model import account_config, certificates
from strongroom.services.base.family import ServiceBase

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger(__name__)

Row = dict[str, Any]

DEFAULT_DAYS_BEFORE_EXPIRY = 45
RENEWAL_WINDOW = timedelta(days=60)  # managed renewal starts 60 days before expiry
VALIDATION_TIMEOUT = timedelta(hours=72)
PUBLIC_VALIDITY = timedelta(days=395)
PRIVATE_VALIDITY_DAYS = 395


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_key_algorithm(name: str) -> str:
    """KeyAlgorithm as DescribeCertificate and ListCertificates spell it: ``RSA-2048``, ``EC-prime256v1``.

    Requests (RequestCertificate's KeyAlgorithm, ListCertificates' Includes.keyTypes) and SearchCertificates use
    the model's ``RSA_2048``; real AWS answers the two older operations with a hyphen (AWS's recorded output).
    """
    return name.replace("_", "-", 1)


# The signature algorithm of a certificate an ACME CA will issue, by its key (RSA keys: an RSA intermediate), for
# DescribeCertificate while the request is PENDING_VALIDATION, as AWS reports it for Amazon's CAs.
_PENDING_SIGNATURE = {"EC_prime256v1": "SHA256WITHECDSA", "EC_secp384r1": "SHA384WITHECDSA"}


class AcmBase(ServiceBase):
    """Shared state and helpers; families declare ``scheduled_jobs = {"acm-kind": "method_name"}``."""

    @property
    def extra(self) -> dict[str, Any]:
        return self.runtime.config.extra

    # -- what one family provides to the others (Provider lists every family; these come last in its MRO) --

    def collect_private(self, ctx: RequestContext, arn: str) -> bool:
        raise NotImplementedError  # request.py (RequestOperations)

    def check_domains(self, row: Row) -> tuple[list[dict[str, Any]], bool]:
        raise NotImplementedError  # request.py (RequestOperations)

    def issue_public(self, row: Row, key: certs.PrivateKey | None = None) -> tuple[str, str]:
        raise NotImplementedError  # request.py (RequestOperations)

    def store_issued(self, row: Row, cert_pem: str, chain_pem: str, *, renewal: bool, **extra: Any) -> None:
        raise NotImplementedError  # request.py (RequestOperations)

    def schedule_lifecycle(self, row: Row) -> None:
        raise NotImplementedError  # lifecycle.py (LifecycleOperations)

    def reschedule_expiry(self, account_id: str, region: str) -> None:
        raise NotImplementedError  # lifecycle.py (LifecycleOperations)

    # -- finding certificates -----------------------------------------------------------------------------

    def parse_arn(self, ctx: RequestContext, arn: str) -> str:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "acm" or not parts[5].startswith("certificate/"):
            raise InvalidArnException(f"String '{arn}' is not a valid ARN.")
        return arn

    def load(self, arn: str) -> Row | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(certificates).where(certificates.c.arn == arn)).one_or_none()
        return None if row is None else dict(row._mapping)

    def require(self, ctx: RequestContext, arn: str) -> Row:
        self.parse_arn(ctx, arn)
        row = self.load(arn)
        if row is None or row["account_id"] != ctx.account_id or row["region"] != ctx.region:
            raise ResourceNotFoundException(f"Could not find certificate {arn}.")
        return row

    def save(self, arn: str, **values: Any) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(update(certificates).where(certificates.c.arn == arn).values(**values))

    def days_before_expiry(self, account_id: str, region: str) -> int:
        with self.runtime.store.read() as conn:
            days = conn.execute(
                select(account_config.c.days_before_expiry).where(
                    account_config.c.account_id == account_id, account_config.c.region == region
                )
            ).scalar_one_or_none()
        return int(days) if days is not None else DEFAULT_DAYS_BEFORE_EXPIRY

    # -- wire shapes --------------------------------------------------------------------------------------

    @staticmethod
    def domain_validation_options(row: Row) -> list[dict[str, Any]]:
        out = []
        for item in json.loads(row["validation"] or "[]"):
            entry: dict[str, Any] = {"DomainName": item["DomainName"]}
            if item.get("ValidationEmails"):
                entry["ValidationEmails"] = item["ValidationEmails"]
            entry["ValidationDomain"] = item["ValidationDomain"]
            entry["ValidationStatus"] = item["ValidationStatus"]
            if item.get("ResourceRecord"):
                entry["ResourceRecord"] = item["ResourceRecord"]
            entry["ValidationMethod"] = item["ValidationMethod"]
            out.append(entry)
        return out

    @staticmethod
    def options(row: Row) -> dict[str, str]:
        opts = json.loads(row["options"] or "{}")
        # ACM logs only the certificates it issues publicly: an imported certificate reports DISABLED.
        logging_default = "DISABLED" if row["type"] == "IMPORTED" else "ENABLED"
        return {
            "CertificateTransparencyLoggingPreference": opts.get(
                "CertificateTransparencyLoggingPreference", logging_default
            ),
            "Export": opts.get("Export", "ENABLED" if row["type"] == "PRIVATE" else "DISABLED"),
        }

    @staticmethod
    def renewal_eligibility(row: Row) -> str:
        return "ELIGIBLE" if row["type"] != "IMPORTED" and row["status"] == "ISSUED" else "INELIGIBLE"

    def detail(self, row: Row) -> dict[str, Any]:
        """DescribeCertificate's CertificateDetail, with the fields AWS fills for the certificate's type."""
        d: dict[str, Any] = {
            "CertificateArn": row["arn"],
            "DomainName": row["domain_name"],
            "SubjectAlternativeNames": json.loads(row["sans"]),
        }
        if row["type"] == "AMAZON_ISSUED":
            d["DomainValidationOptions"] = self.domain_validation_options(row)
        elif row["type"] == "IMPORTED":
            # AWS lists every name of an imported certificate here, with nothing but the name.
            d["DomainValidationOptions"] = [{"DomainName": name} for name in d["SubjectAlternativeNames"]]
        pending = row["type"] == "AMAZON_ISSUED" and not row["certificate"]
        for key, column in (("Serial", "serial"), ("Subject", "subject"), ("Issuer", "issuer")):
            if row[column]:
                d[key] = row[column]
        if pending:
            d["Subject"] = f"CN={row['domain_name']}"  # the subject of the certificate to be issued
            if row["issuer_kind"] == "internal":
                d["Issuer"] = internal_ca.ORGANIZATION
        d["CreatedAt"] = row["created_at"]  # imported certificates too (both it and ImportedAt, as on AWS)
        for key, column in (("IssuedAt", "issued_at"), ("ImportedAt", "imported_at")):
            if row[column] is not None:
                d[key] = row[column]
        d["Status"] = row["status"]
        if row["revoked_at"] is not None:
            d["RevokedAt"] = row["revoked_at"]
            d["RevocationReason"] = row["revocation_reason"]
        if row["not_before"] is not None:
            d["NotBefore"] = row["not_before"]
            d["NotAfter"] = row["not_after"]
        d["KeyAlgorithm"] = wire_key_algorithm(row["key_algorithm"])
        if row["signature_algorithm"]:
            d["SignatureAlgorithm"] = row["signature_algorithm"]
        elif pending and row["issuer_kind"] == "internal":
            d["SignatureAlgorithm"] = internal_ca.SIGNATURE_ALGORITHM
        elif pending:
            d["SignatureAlgorithm"] = _PENDING_SIGNATURE.get(row["key_algorithm"], "SHA256WITHRSA")
        d["InUseBy"] = []
        if row["failure_reason"]:
            d["FailureReason"] = row["failure_reason"]
        d["Type"] = row["type"]
        if row["renewal"]:
            d["RenewalSummary"] = json.loads(row["renewal"])
            d["RenewalSummary"]["UpdatedAt"] = datetime.fromisoformat(d["RenewalSummary"]["UpdatedAt"])
        d["KeyUsages"] = [{"Name": n} for n in json.loads(row["key_usages"] or "[]")]
        d["ExtendedKeyUsages"] = json.loads(row["extended_key_usages"] or "[]")
        if row["ca_arn"]:
            d["CertificateAuthorityArn"] = row["ca_arn"]
        d["RenewalEligibility"] = self.renewal_eligibility(row)
        d["Options"] = self.options(row)
        return d

    def summary(self, row: Row) -> dict[str, Any]:
        sans = json.loads(row["sans"])
        s: dict[str, Any] = {
            "CertificateArn": row["arn"],
            "DomainName": row["domain_name"],
            "SubjectAlternativeNameSummaries": sans[:100],
            "HasAdditionalSubjectAlternativeNames": len(sans) > 100,
            "Status": row["status"],
            "Type": row["type"],
            "KeyAlgorithm": wire_key_algorithm(row["key_algorithm"]),
            "KeyUsages": json.loads(row["key_usages"] or "[]"),
            "ExtendedKeyUsages": [e["Name"] for e in json.loads(row["extended_key_usages"] or "[]")],
            "ExportOption": self.options(row)["Export"],
            "InUse": False,
        }
        if row["certificate"]:
            # A certificate without the extensions (typically an imported one) is summarised as usable for
            # anything (key usage ANY) and for no named purpose (extended key usage NONE), as AWS lists it; a
            # requested one has empty lists until it is issued.
            s["KeyUsages"] = s["KeyUsages"] or ["ANY"]
            s["ExtendedKeyUsages"] = s["ExtendedKeyUsages"] or ["NONE"]
        if row["type"] == "PRIVATE" or self.options(row)["Export"] == "ENABLED":
            s["Exported"] = bool(row["exported"])  # AWS omits it for certificates that cannot be exported
        s["RenewalEligibility"] = self.renewal_eligibility(row)
        for key, column in (
            ("NotBefore", "not_before"),
            ("NotAfter", "not_after"),
            ("CreatedAt", "created_at"),
            ("IssuedAt", "issued_at"),
            ("ImportedAt", "imported_at"),
            ("RevokedAt", "revoked_at"),
        ):
            if row[column] is not None:
                s[key] = row[column]
        return s

    # -- storing an issued certificate --------------------------------------------------------------------

    def certificate_values(self, cert_pem: str, chain_pem: str) -> dict[str, Any]:
        cert = certs.split_pem(cert_pem)[0]
        f = certs.facts(cert)
        issuer_cert = certs.split_pem(chain_pem)[0] if chain_pem.strip() else cert
        orgs = cert.issuer.get_attributes_for_oid(
            NameOID.ORGANIZATION_NAME
        ) or issuer_cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return {
            "certificate": cert_pem,
            "chain": chain_pem or None,
            "serial": f.serial,
            "subject": f.subject,
            "issuer": str(orgs[0].value) if orgs else f.issuer,
            "not_before": f.not_before,
            "not_after": f.not_after,
            "signature_algorithm": f.signature_algorithm,
            "key_usages": json.dumps(f.key_usages),
            "extended_key_usages": json.dumps(f.extended_key_usages),
        }

    # -- events -------------------------------------------------------------------------------------------

    def event_detail(self, row: Row, now: datetime, **first: Any) -> dict[str, Any]:
        not_after = row["not_after"]
        days = max(0, (not_after - now).days) if not_after else 0
        detail: dict[str, Any] = dict(first)
        detail.update(
            {
                "CertificateType": row["type"],
                "CommonName": row["domain_name"],
                "DomainValidationMethod": row["validation_method"] or "",
                "CertificateCreatedDate": iso(row["created_at"]),
                "CertificateExpirationDate": iso(not_after),
                "DaysToExpiry": days,
                "InUse": "FALSE",
                "Exported": "TRUE" if row["exported"] else "FALSE",
            }
        )
        return detail

    def publish(self, row: Row, detail_type: str, detail: dict[str, Any], at: datetime | None = None) -> None:
        bus.publish(
            self.runtime, row["account_id"], row["region"], "aws.acm", detail_type, detail, [row["arn"]], time=at
        )

    def service_context(self, account_id: str, region: str, operation: str) -> RequestContext:
        """The identity ACM's own scheduled work (collecting and renewing private certificates) calls ACM PCA with.

        AWS uses ACM's service-linked role; here the account itself acts, marked as invoked by ACM in the audit
        trail (``Pipeline.call`` records ``invokedBy: acm.amazonaws.com``).
        """
        return context.service_context(self.runtime, "acm", operation, region, account_id)

    def now(self) -> datetime:
        return clock.now()
