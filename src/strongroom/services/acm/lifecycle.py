"""Managed renewal (from 60 days before expiry, same ARN), expiry events and expiry, RenewCertificate, revocation."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.acm import certs
from strongroom.services.acm.base import PRIVATE_VALIDITY_DAYS, RENEWAL_WINDOW, AcmBase, Row
from strongroom.services.acm.errors import ConflictException, ValidationException
from strongroom.services.acm.model import certificate_key_aad, certificates
from strongroom.services.acm.request import PCA_FAILURES

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger(__name__)

RENEW_JOB = "acm-renew"
EXPIRY_JOB = "acm-expiry"
_PCA_REASONS = {"CA_COMPROMISE": "CERTIFICATE_AUTHORITY_COMPROMISE", "SUPERCEDED": "SUPERSEDED"}


class LifecycleOperations(AcmBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {RENEW_JOB: "renewal_job", EXPIRY_JOB: "expiry_job"}

    @property
    def renewal_retry(self) -> timedelta:
        return timedelta(seconds=float(self.extra.get("acm_renewal_retry_interval", 3600)))

    def schedule_lifecycle(self, row: Row) -> None:
        now = self.now()
        with self.runtime.store.write() as conn:
            if row["type"] != "IMPORTED" and row["not_after"] is not None:
                self.runtime.scheduler.schedule(RENEW_JOB, row["arn"], self.renewal_point(row, now), conn=conn)
            if row["not_after"] is not None:
                start = row["not_after"] - timedelta(days=self.days_before_expiry(row["account_id"], row["region"]))
                self.runtime.scheduler.schedule(EXPIRY_JOB, row["arn"], max(now, start), conn=conn)

    @staticmethod
    def renewal_point(row: Row, now: datetime) -> datetime:
        """60 days before expiry, but never before a third of the lifetime has passed since issuance.

        The floor keeps short-lived certificates (an ACME CA's 90 days, or any CA whose clock differs from this
        server's) from being renewed again and again the moment they are issued.
        """
        lifetime = row["not_after"] - row["not_before"]
        floor = (row["issued_at"] or now) + lifetime / 3
        return max(now, row["not_after"] - RENEWAL_WINDOW, floor)

    def reschedule_expiry(self, account_id: str, region: str) -> None:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(certificates).where(
                    certificates.c.account_id == account_id,
                    certificates.c.region == region,
                    certificates.c.status == "ISSUED",
                )
            ).all()
        days = timedelta(days=self.days_before_expiry(account_id, region))
        now = self.now()
        for row in rows:
            if row.not_after is not None:
                self.runtime.scheduler.schedule(EXPIRY_JOB, row.arn, max(now, row.not_after - days))

    # -- expiry -------------------------------------------------------------------------------------------

    def expiry_job(self, job: JobContext) -> JobResult | None:
        row = self.load(job.key)
        if row is None or row["status"] not in ("ISSUED", "INACTIVE") or row["not_after"] is None:
            return None
        at = job.due_at
        if at >= row["not_after"]:
            self.save(row["arn"], status="EXPIRED")
            self.runtime.audit.service_event(
                "acm", "CertificateExpired", row["account_id"], row["region"], [row["arn"]]
            )
            if row["type"] != "IMPORTED":  # AWS sends no Expired event for imported certificates
                self.publish(row, "ACM Certificate Expired", self.event_detail(row, at), at=at)
            return None
        start = row["not_after"] - timedelta(days=self.days_before_expiry(row["account_id"], row["region"]))
        if at < start:
            return JobResult.again(start)
        detail = {"DaysToExpiry": max(0, (row["not_after"] - at).days), "CommonName": row["domain_name"]}
        self.publish(row, "ACM Certificate Approaching Expiration", detail, at=at)
        return JobResult.again(min(at + timedelta(days=1), row["not_after"]))

    # -- managed renewal ----------------------------------------------------------------------------------

    def renewal_summary(self, row: Row, status: str, reason: str | None = None, items: Any = None) -> str:
        summary: dict[str, Any] = {"RenewalStatus": status}
        if row["type"] == "AMAZON_ISSUED":
            summary["DomainValidationOptions"] = items if items is not None else self.domain_validation_options(row)
        if reason:
            summary["RenewalStatusReason"] = reason
        summary["UpdatedAt"] = self.now().isoformat()
        return json.dumps(summary)

    def renewal_job(self, job: JobContext) -> JobResult | None:
        row = self.load(job.key)
        if row is None or row["status"] != "ISSUED" or row["type"] == "IMPORTED":
            return None
        if row["not_after"] is not None and job.now >= row["not_after"]:
            return None  # too late: the expiry job takes over
        if row["type"] == "PRIVATE":
            return self.renew_private(row, job)
        return self.renew_public(row, job)

    def renew_public(self, row: Row, job: JobContext) -> JobResult | None:
        items = json.loads(row["validation"] or "[]")
        for item in items:  # managed renewal re-validates every name: DNS records are looked up again
            if item["ValidationMethod"] == "DNS":
                item["ValidationStatus"] = "PENDING_VALIDATION"
        previous = json.loads(row["renewal"]) if row["renewal"] else {}
        checked, done = self.check_domains({**row, "validation": json.dumps(items)})
        if not done:
            self.save(
                row["arn"], renewal=self.renewal_summary(row, "PENDING_VALIDATION", items=self._dvo(row, checked))
            )
            if previous.get("RenewalStatus") != "PENDING_VALIDATION":
                fresh = self.load(row["arn"]) or row
                detail = self.event_detail(fresh, job.now, RenewalStatus="PENDING_VALIDATION")
                self.publish(fresh, "ACM Certificate Renewal Action Required", detail)
            return JobResult.again(job.now + self.renewal_retry)
        self.save(row["arn"], renewal=self.renewal_summary(row, "PENDING_AUTO_RENEWAL"), validation=json.dumps(checked))
        key = certs.generate_key(row["key_algorithm"])
        try:
            cert_pem, chain_pem = self.issue_public(row, key)
        except Exception:
            log.warning("renewing %s failed", row["arn"], exc_info=True)
            return JobResult.again(job.now + self.renewal_retry)
        sealed = self.runtime.seal.wrap(certs.key_der(key), certificate_key_aad(row["arn"]))
        self.store_issued(self.load(row["arn"]) or row, cert_pem, chain_pem, renewal=True, sealed_key=sealed)
        self.runtime.audit.service_event("acm", "RenewCertificate", row["account_id"], row["region"], [row["arn"]])
        return None

    def _dvo(self, row: Row, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.domain_validation_options({**row, "validation": json.dumps(items)})

    def renew_private(self, row: Row, job: JobContext) -> JobResult | None:
        ctx = self.service_context(row["account_id"], row["region"], "IssueCertificate")
        if row["pca_certificate_arn"]:
            if self.collect_private(ctx, row["arn"]):
                return None
            return JobResult.again(job.now + timedelta(seconds=2))
        key = certs.load_key_der(self.runtime.seal.unwrap(row["sealed_key"], certificate_key_aad(row["arn"])))
        try:
            ca = ctx.call("acm-pca", "DescribeCertificateAuthority", {"CertificateAuthorityArn": row["ca_arn"]})
            signing = ca["CertificateAuthority"]["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
            issued = ctx.call(
                "acm-pca",
                "IssueCertificate",
                {
                    "CertificateAuthorityArn": row["ca_arn"],
                    "Csr": certs.csr_pem(key, json.loads(row["sans"])),
                    "SigningAlgorithm": signing,
                    "Validity": {"Value": PRIVATE_VALIDITY_DAYS, "Type": "DAYS"},
                },
            )
        except AwsError as exc:
            reason = PCA_FAILURES.get(exc.code, "PCA_REQUEST_FAILED")
            self.save(row["arn"], renewal=self.renewal_summary(row, "FAILED", reason))
            fresh = self.load(row["arn"]) or row
            detail = self.event_detail(fresh, job.now, RenewalStatus="FAILED", RenewalStatusReason=reason)
            self.publish(fresh, "ACM Certificate Renewal Action Required", detail)
            return JobResult.again(job.now + timedelta(days=1))
        self.save(
            row["arn"],
            pca_certificate_arn=issued["CertificateArn"],
            renewal=self.renewal_summary(row, "PENDING_AUTO_RENEWAL"),
        )
        return JobResult.again(job.now)

    def renew_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        if row["type"] != "PRIVATE":
            raise ValidationException(f"Certificate {row['arn']} is not a private certificate and cannot be renewed.")
        if row["status"] != "ISSUED":
            raise ValidationException(f"Certificate {row['arn']} is not in ISSUED state.")
        self.runtime.scheduler.schedule(RENEW_JOB, row["arn"], ctx.now())

    # -- revocation ---------------------------------------------------------------------------------------

    def revoke_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["CertificateArn"])
        reason = request["RevocationReason"]
        if row["status"] == "REVOKED":
            raise ConflictException(f"Certificate {row['arn']} is already revoked.")
        if row["type"] == "IMPORTED" or row["status"] != "ISSUED":
            raise ValidationException(f"Certificate {row['arn']} cannot be revoked.")
        if row["type"] == "PRIVATE":
            try:
                ctx.call(
                    "acm-pca",
                    "RevokeCertificate",
                    {
                        "CertificateAuthorityArn": row["ca_arn"],
                        "CertificateSerial": row["serial"],
                        "RevocationReason": _PCA_REASONS.get(reason, reason),
                    },
                )
            except AwsError as exc:
                raise ValidationException(f"ACM Private CA refused the revocation: {exc.code}") from None
        elif not row["exported"]:
            raise ValidationException(
                f"Certificate {row['arn']} has not been exported; only exported certificates can be revoked."
            )
        self.save(row["arn"], status="REVOKED", revoked_at=ctx.now(), revocation_reason=reason)
        for kind in (RENEW_JOB, EXPIRY_JOB):
            self.runtime.scheduler.cancel(kind, row["arn"])
        return {"CertificateArn": row["arn"]}
