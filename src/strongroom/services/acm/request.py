"""RequestCertificate, domain validation (DNS CNAMEs checked on the scheduler, EMAIL approvals) and issuance."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import select, update

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult, schedule_job
from strongroom.services.acm import certs
from strongroom.services.acm.base import (
    PRIVATE_VALIDITY_DAYS,
    PUBLIC_VALIDITY,
    VALIDATION_TIMEOUT,
    AcmBase,
    Row,
)
from strongroom.services.acm.dns import base_domain, cname_matches, resolver_for, validation_record
from strongroom.services.acm.errors import (
    InvalidDomainValidationOptionsException,
    InvalidParameterException,
    InvalidStateException,
    LimitExceededException,
)
from strongroom.services.acm.internal_ca import InternalCA
from strongroom.services.acm.model import certificate_key_aad, certificates
from strongroom.services.acm.tagging import check_tags, write_tags
from strongroom.services.base import pages
from strongroom.store.engine import Store

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger(__name__)

PUBLIC_KEY_ALGORITHMS = ("RSA_2048", "EC_prime256v1", "EC_secp384r1")
MAX_NAMES = 100
EMAIL_PREFIXES = ("admin", "administrator", "hostmaster", "postmaster", "webmaster")
MAX_ISSUE_ATTEMPTS = 5
VALIDATE_JOB = "acm-validate"

# ACM PCA errors -> the FailureReason ACM records on a private certificate it could not get issued.
PCA_FAILURES = {
    "ResourceNotFoundException": "PCA_RESOURCE_NOT_FOUND",
    "InvalidStateException": "PCA_INVALID_STATE",
    "AccessDeniedException": "PCA_ACCESS_DENIED",
    "InvalidArgsException": "PCA_INVALID_ARGS",
    "InvalidArnException": "PCA_INVALID_ARN",
    "LimitExceededException": "PCA_LIMIT_EXCEEDED",
    "MalformedCSRException": "PCA_INVALID_ARGS",
}


def approve_email_validation(store: Store, arn: str, domain: str) -> bool:
    """The operator followed the approval link for ``domain`` (CLI ``strongroom acm approve``); True if it applied."""
    with store.write() as conn:
        row = conn.execute(select(certificates).where(certificates.c.arn == arn)).one_or_none()
        if row is None:
            return False
        items = json.loads(row.validation or "[]")
        hit = False
        for item in items:
            if item["DomainName"] == domain and item["ValidationMethod"] == "EMAIL":
                item["ValidationStatus"] = "SUCCESS"
                hit = True
        if hit:
            conn.execute(update(certificates).where(certificates.c.arn == arn).values(validation=json.dumps(items)))
            # Check again right away instead of at the next interval (real time is never ahead of the server clock).
            schedule_job(conn, VALIDATE_JOB, arn, clock.now())
    return hit


def _validation_offset(token: object) -> int:
    """ListCertificateDomainValidations' NextToken (services.base.pages); a token it did not issue starts over."""
    if not token:
        return 0
    try:
        (start,) = pages.decode(token, 1, lambda: AwsError("not a token"))
    except AwsError:
        return 0
    return start if isinstance(start, int) and start >= 0 else 0


class RequestOperations(AcmBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {VALIDATE_JOB: "validation_job"}

    @property
    def validation_interval(self) -> float:
        return float(self.extra.get("acm_validation_interval", 60))

    def request_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        domain = request["DomainName"].rstrip(".").lower()
        names = list(
            dict.fromkeys([domain, *(n.rstrip(".").lower() for n in request.get("SubjectAlternativeNames", []))])
        )
        if len(names) > MAX_NAMES:
            raise LimitExceededException(f"Certificate request has more than {MAX_NAMES} domain names.")
        ca_arn = request.get("CertificateAuthorityArn")
        algorithm = request.get("KeyAlgorithm", "RSA_2048")
        if algorithm == "RSA_1024" or (ca_arn is None and algorithm not in PUBLIC_KEY_ALGORITHMS):
            raise InvalidParameterException(f"The KeyAlgorithm {algorithm} is not supported for this certificate.")
        method = None if ca_arn else request.get("ValidationMethod", "EMAIL")
        if method == "HTTP":
            raise InvalidParameterException("HTTP validation is only supported for certificates managed by CloudFront.")
        check_tags(request.get("Tags", []))
        options = dict(request.get("Options") or {})
        options.pop("ValidationMethod", None)
        fingerprint = hashlib.sha256(
            json.dumps([names, ca_arn, algorithm, method, options], sort_keys=True).encode()
        ).hexdigest()
        token = request.get("IdempotencyToken")
        if token:
            with self.runtime.store.read() as conn:
                earlier = conn.execute(
                    select(certificates.c.arn).where(
                        certificates.c.account_id == ctx.account_id,
                        certificates.c.region == ctx.region,
                        certificates.c.idempotency_token == token,
                        certificates.c.request_hash == fingerprint,
                        certificates.c.created_at > ctx.now() - timedelta(hours=1),
                    )
                ).scalar_one_or_none()
            if earlier:
                return {"CertificateArn": earlier}
        overrides = {
            o["DomainName"].lower(): o["ValidationDomain"].lower() for o in request.get("DomainValidationOptions", [])
        }
        for name, vdomain in overrides.items():
            if name not in names:
                raise InvalidDomainValidationOptionsException(
                    f"DomainValidationOption {name} is not in the certificate."
                )
            if not (base_domain(name) == vdomain or base_domain(name).endswith("." + vdomain)):
                raise InvalidDomainValidationOptionsException(
                    f"Validation domain {vdomain} is not a superdomain of {name}."
                )
        arn = ctx.arn("acm", f"certificate/{uuid.uuid4()}")
        validation = []
        for name in names if method else []:
            item: dict[str, Any] = {
                "DomainName": name,
                "ValidationStatus": "PENDING_VALIDATION",
                "ValidationMethod": method,
            }
            if method == "DNS":
                item["ValidationDomain"] = name
                item["ResourceRecord"] = validation_record(self.runtime.store, ctx.account_id, name)
            else:
                vdomain = overrides.get(name, base_domain(name))
                item["ValidationDomain"] = vdomain
                item["ValidationEmails"] = [f"{p}@{vdomain}" for p in EMAIL_PREFIXES]
            validation.append(item)
        key = certs.generate_key(algorithm)
        now = ctx.now()
        with self.runtime.store.write() as conn:
            conn.execute(
                certificates.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    domain_name=domain,
                    sans=json.dumps(names),
                    type="PRIVATE" if ca_arn else "AMAZON_ISSUED",
                    status="PENDING_VALIDATION",
                    validation_method=method,
                    validation=json.dumps(validation),
                    key_algorithm=algorithm,
                    options=json.dumps(options),
                    ca_arn=ca_arn,
                    issuer_kind="pca" if ca_arn else self.public_issuer_kind(),
                    idempotency_token=token,
                    request_hash=fingerprint,
                    created_at=now,
                    sealed_key=self.runtime.seal.wrap(certs.key_der(key), certificate_key_aad(arn)),
                    key_usages="[]",
                    extended_key_usages="[]",
                    exported=False,
                    issue_attempts=0,
                )
            )
            write_tags(conn, arn, request.get("Tags", []))
            if not ca_arn:
                self.runtime.scheduler.schedule(VALIDATE_JOB, arn, now, conn=conn)
        if method == "EMAIL":
            for item in validation:
                log.info(
                    "ACM email validation pending",
                    extra={
                        "certificate_arn": arn,
                        "domain": item["DomainName"],
                        "approve": f"strongroom acm approve --certificate-arn {arn} --domain {item['DomainName']}",
                    },
                )
        if ca_arn:
            self.request_private(ctx, arn, ca_arn, key, names)
        return {"CertificateArn": arn}

    def public_issuer_kind(self) -> str:
        return "acme" if self.extra.get("acm_acme_directory") else "internal"

    # -- private certificates through ACM PCA ---------------------------------------------------------------

    def request_private(
        self, ctx: RequestContext, arn: str, ca_arn: str, key: certs.PrivateKey, names: list[str]
    ) -> None:
        """IssueCertificate on the CA as the caller, then collect the certificate (now, or from the scheduler)."""
        try:
            ca = ctx.call("acm-pca", "DescribeCertificateAuthority", {"CertificateAuthorityArn": ca_arn})
            signing = ca["CertificateAuthority"]["CertificateAuthorityConfiguration"]["SigningAlgorithm"]
            issued = ctx.call(
                "acm-pca",
                "IssueCertificate",
                {
                    "CertificateAuthorityArn": ca_arn,
                    "Csr": certs.csr_pem(key, names),
                    "SigningAlgorithm": signing,
                    "Validity": {"Value": PRIVATE_VALIDITY_DAYS, "Type": "DAYS"},
                    "IdempotencyToken": arn.rsplit("/", 1)[1].replace("-", "")[:32],
                },
            )
        except AwsError as exc:
            self.fail(arn, PCA_FAILURES.get(exc.code, "PCA_REQUEST_FAILED"))
            return
        self.save(arn, pca_certificate_arn=issued["CertificateArn"])
        if not self.collect_private(ctx, arn):
            self.runtime.scheduler.schedule(VALIDATE_JOB, arn, ctx.now() + timedelta(seconds=1))

    def collect_private(self, ctx: RequestContext, arn: str) -> bool:
        """True once the certificate was stored (or failed for good); False while PCA is still issuing."""
        row = self.load(arn)
        if row is None or not row["pca_certificate_arn"]:
            return True
        try:
            out = ctx.call(
                "acm-pca",
                "GetCertificate",
                {"CertificateAuthorityArn": row["ca_arn"], "CertificateArn": row["pca_certificate_arn"]},
            )
        except AwsError as exc:
            if exc.code == "RequestInProgressException":
                return False
            self.fail(arn, PCA_FAILURES.get(exc.code, "PCA_REQUEST_FAILED"))
            return True
        self.store_issued(row, out["Certificate"], out.get("CertificateChain", ""), renewal=row["status"] == "ISSUED")
        return True

    def fail(self, arn: str, reason: str) -> None:
        self.save(arn, status="FAILED", failure_reason=reason, pca_certificate_arn=None)
        self.runtime.scheduler.cancel(VALIDATE_JOB, arn)

    # -- validation -----------------------------------------------------------------------------------------

    def check_domains(self, row: Row) -> tuple[list[dict[str, Any]], bool]:
        """Re-resolve pending DNS validations; (updated items, all validated)."""
        items = json.loads(row["validation"] or "[]")
        resolver = None
        for item in items:
            if item["ValidationStatus"] == "SUCCESS" or item["ValidationMethod"] != "DNS":
                continue
            resolver = resolver or resolver_for(self.extra)
            if cname_matches(resolver, item["ResourceRecord"]):
                item["ValidationStatus"] = "SUCCESS"
        return items, all(i["ValidationStatus"] == "SUCCESS" for i in items)

    def validation_job(self, job: JobContext) -> JobResult | None:
        row = self.load(job.key)
        if row is None or row["status"] != "PENDING_VALIDATION":
            return None
        if row["type"] == "PRIVATE":
            ctx = self.service_context(row["account_id"], row["region"], "GetCertificate")
            return None if self.collect_private(ctx, row["arn"]) else JobResult.again(job.now + timedelta(seconds=2))
        if job.now - row["created_at"] > VALIDATION_TIMEOUT:
            items = json.loads(row["validation"] or "[]")
            for item in items:
                if item["ValidationStatus"] != "SUCCESS":
                    item["ValidationStatus"] = "FAILED"
            self.save(row["arn"], status="VALIDATION_TIMED_OUT", validation=json.dumps(items))
            return None
        items, done = self.check_domains(row)
        if json.dumps(items) != row["validation"]:
            self.save(row["arn"], validation=json.dumps(items))
        if not done:
            return JobResult.again(job.now + timedelta(seconds=self.validation_interval))
        try:
            cert_pem, chain_pem = self.issue_public(row)
        except Exception as exc:
            attempts = row["issue_attempts"] + 1
            log.warning("issuing %s failed (attempt %d): %s", row["arn"], attempts, type(exc).__name__, exc_info=True)
            if attempts >= MAX_ISSUE_ATTEMPTS:
                self.save(row["arn"], status="FAILED", failure_reason="OTHER", issue_attempts=attempts)
                return None
            self.save(row["arn"], issue_attempts=attempts)
            return JobResult.again(job.now + timedelta(seconds=self.validation_interval * 2**attempts))
        self.store_issued(self.load(row["arn"]) or row, cert_pem, chain_pem, renewal=False)
        return None

    def issue_public(self, row: Row, key: certs.PrivateKey | None = None) -> tuple[str, str]:
        """Certificate and chain PEM for a validated public certificate, from the configured issuer."""
        key = key or certs.load_key_der(self.runtime.seal.unwrap(row["sealed_key"], certificate_key_aad(row["arn"])))
        names = json.loads(row["sans"])
        if self.extra.get("acm_acme_directory"):
            from strongroom.services.acm.acme_issuer import AcmeIssuer

            return AcmeIssuer(self.runtime.store, self.runtime.seal, self.extra).issue(key, names)
        ca = InternalCA.load_or_create(self.runtime.store, self.runtime.seal)
        cert = ca.issue(key.public_key(), names, not_before=self.now() - timedelta(minutes=5), validity=PUBLIC_VALIDITY)
        return certs.pem(cert), ca.pem

    def store_issued(self, row: Row, cert_pem: str, chain_pem: str, *, renewal: bool, **extra: Any) -> None:
        """Record a (re)issued certificate under the same ARN, schedule its renewal and expiry, announce it."""
        values = self.certificate_values(cert_pem, chain_pem)
        values.update(extra)
        values.update(status="ISSUED", issued_at=self.now(), failure_reason=None, pca_certificate_arn=None)
        if renewal:
            values["renewal"] = json.dumps(
                {
                    "RenewalStatus": "SUCCESS",
                    "DomainValidationOptions": self.domain_validation_options(row),
                    "UpdatedAt": self.now().isoformat(),
                }
            )
        self.save(row["arn"], **values)
        fresh = self.load(row["arn"])
        assert fresh is not None
        self.schedule_lifecycle(fresh)
        self.publish(
            fresh,
            "ACM Certificate Available",
            self.event_detail(fresh, self.now(), Action="RENEWAL" if renewal else "ISSUANCE"),
        )

    # -- other validation operations ------------------------------------------------------------------------

    def resend_validation_email(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        row = self.require(ctx, request["CertificateArn"])
        if row["status"] != "PENDING_VALIDATION" or row["validation_method"] != "EMAIL":
            raise InvalidStateException(
                f"Certificate {row['arn']} is not in a state that allows validation emails to be resent."
            )
        items = json.loads(row["validation"] or "[]")
        if not any(i["DomainName"] == request["Domain"].lower() for i in items):
            raise InvalidDomainValidationOptionsException(f"Domain {request['Domain']} is not in the certificate.")
        log.info("ACM email validation resent", extra={"certificate_arn": row["arn"], "domain": request["Domain"]})

    def list_certificate_domain_validations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["CertificateArn"])
        start = _validation_offset(request.get("NextToken"))
        size = int(request.get("MaxItems", 1000))
        out = []
        for item in self.domain_validation_options(row)[start : start + size]:
            challenge: dict[str, Any] = {}
            if item["ValidationMethod"] == "DNS":
                challenge["DnsValidationChallenge"] = {"ResourceRecord": item["ResourceRecord"]}
            else:
                challenge["EmailValidationChallenge"] = {
                    "ValidationEmails": item.get("ValidationEmails", []),
                    "ValidationDomain": item["ValidationDomain"],
                }
            config = {
                "ValidationMethod": item["ValidationMethod"],
                "ValidationChallenge": challenge,
                "ValidationStatus": item["ValidationStatus"],
            }
            out.append({"DomainName": item["DomainName"], "ActiveValidationConfiguration": config})
        result: dict[str, Any] = {"DomainValidationSummaryList": out}
        if start + size < len(json.loads(row["validation"] or "[]")):
            result["NextToken"] = pages.encode(start + size)
        return result
