"""RevokeCertificate and the CRLs: DER, regenerated on every revocation and before they expire."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID
from sqlalchemy import RowMapping, select, update

from strongroom.core import paths
from strongroom.core.clock import clock
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.acm_pca import keys, model
from strongroom.services.acm_pca.base import PcaBase, ca_id, pca_dir
from strongroom.services.acm_pca.errors import (
    RequestAlreadyProcessedException,
    ResourceNotFoundException,
)

if TYPE_CHECKING:
    from pathlib import Path

    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

log = logging.getLogger(__name__)

CRL_JOB = "pca-crl"

REASONS: dict[str, x509.ReasonFlags | None] = {
    "UNSPECIFIED": None,  # RFC 5280: omit the reasonCode extension rather than send "unspecified"
    "KEY_COMPROMISE": x509.ReasonFlags.key_compromise,
    "CERTIFICATE_AUTHORITY_COMPROMISE": x509.ReasonFlags.ca_compromise,
    "AFFILIATION_CHANGED": x509.ReasonFlags.affiliation_changed,
    "SUPERSEDED": x509.ReasonFlags.superseded,
    "CESSATION_OF_OPERATION": x509.ReasonFlags.cessation_of_operation,
    "PRIVILEGE_WITHDRAWN": x509.ReasonFlags.privilege_withdrawn,
    "A_A_COMPROMISE": x509.ReasonFlags.aa_compromise,
}


def normalize_serial(text: str) -> str:
    """Serials arrive as openssl prints them (``4A:0F:..``) or bare hex; stored bare, lower case, unpadded."""
    cleaned = text.replace(":", "").strip().lower()
    try:
        return f"{int(cleaned, 16):032x}"
    except ValueError:
        return cleaned


def crl_location(runtime: ServiceRuntime, row: RowMapping) -> tuple[Path, list[str]]:
    """The CRL directory and ``[<S3BucketName or account>, "crl", "<ca-id>.crl"]``, the object key AWS writes.

    The bucket name is the caller's (checked against S3's rules on the way in), so every use goes through
    ``core.paths``, which refuses a path that would leave the directory.
    """
    crl = json.loads(row["revocation"])["CrlConfiguration"]
    bucket = crl.get("S3BucketName") or row["account_id"]
    return pca_dir(runtime, "pca_crl_dir", "crl"), [bucket, "crl", f"{ca_id(row['arn'])}.crl"]


class RevocationOperations(PcaBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {CRL_JOB: "crl_job"}

    def revoke_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        serial = normalize_serial(request["CertificateSerial"])
        now = ctx.now()
        t = model.certificates
        with self.runtime.store.write() as conn:
            cert = conn.execute(select(t).where(t.c.ca_arn == row["arn"], t.c.serial == serial)).first()
            if cert is None:
                raise ResourceNotFoundException(
                    f"Could not find certificate with serial {request['CertificateSerial']} issued by {row['arn']}."
                )
            if cert.revoked_at is not None:
                raise RequestAlreadyProcessedException("This certificate is already revoked.")
            conn.execute(
                update(t)
                .where(t.c.arn == cert.arn)
                .values(revoked_at=now, revocation_reason=request["RevocationReason"])
            )
        self.regenerate_crl(row)
        return {}

    # -- CRLs -----------------------------------------------------------------------------------------------

    def regenerate_crl(self, row: RowMapping) -> None:
        """Sign a new complete CRL if the CA has CRLs enabled and a certificate; publish it; plan the next one."""
        crl_config = json.loads(row["revocation"])["CrlConfiguration"]
        if not crl_config.get("Enabled") or not row["certificate"] or row["status"] not in ("ACTIVE", "DISABLED"):
            return
        now = self.runtime_now()
        next_update = now + timedelta(days=int(crl_config.get("ExpirationInDays") or 7))
        ca_cert = x509.load_pem_x509_certificate(row["certificate"].encode())
        t = model.certificates
        with self.runtime.store.write() as conn:
            number = (
                conn.execute(
                    select(model.authorities.c.crl_number).where(model.authorities.c.arn == row["arn"])
                ).scalar_one()
                + 1
            )
            conn.execute(
                update(model.authorities).where(model.authorities.c.arn == row["arn"]).values(crl_number=number)
            )
            revoked = conn.execute(
                select(t.c.serial, t.c.revoked_at, t.c.revocation_reason)
                .where(t.c.ca_arn == row["arn"], t.c.revoked_at.is_not(None), t.c.not_after > now)
                .order_by(t.c.revoked_at)
            ).all()
            builder = (
                x509.CertificateRevocationListBuilder()
                .issuer_name(ca_cert.subject)
                .last_update(now)
                .next_update(next_update)
                .add_extension(x509.CRLNumber(number), critical=False)
                .add_extension(_aki(ca_cert), critical=False)
            )
            for item in revoked:
                entry = x509.RevokedCertificateBuilder().serial_number(int(item.serial, 16))
                entry = entry.revocation_date(item.revoked_at)
                reason = REASONS.get(item.revocation_reason or "UNSPECIFIED")
                if reason is not None:
                    entry = entry.add_extension(x509.CRLReason(reason), critical=False)
                builder = builder.add_revoked_certificate(entry.build())
            configuration = json.loads(row["configuration"])
            crl = keys.sign_builder(builder, self.ca_key(row), configuration["SigningAlgorithm"])
            der = crl.public_bytes(Encoding.DER)
            values = {"crl_number": number, "der": der, "this_update": now, "next_update": next_update}
            if conn.execute(update(model.crls).where(model.crls.c.ca_arn == row["arn"]).values(**values)).rowcount == 0:
                conn.execute(model.crls.insert().values(ca_arn=row["arn"], **values))
            # regenerate halfway through the CRL's validity so relying parties never hold an expired one
            self.runtime.scheduler.schedule(CRL_JOB, row["arn"], now + (next_update - now) / 2, conn=conn)
        base, parts = crl_location(self.runtime, row)
        try:
            paths.write_atomic(base, *parts, data=der)
        except paths.PathEscapeError as exc:
            # a bucket name stored before names were checked: the CRL is still served over HTTP
            log.warning("CRL of %s not written to a file: %s", row["arn"], exc)

    def remove_crl_file(self, row: RowMapping) -> None:
        base, parts = crl_location(self.runtime, row)
        try:
            paths.remove(base, *parts)
        except paths.PathEscapeError:
            pass  # never written (see regenerate_crl)

    def crl_job(self, job: JobContext) -> JobResult | None:
        row = self.load_ca(job.key)
        if row is None:
            return None
        self.regenerate_crl(row)
        return None

    def runtime_now(self) -> datetime:
        return clock.now()


def _aki(ca_cert: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    try:
        ski = ca_cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
        return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)  # type: ignore[arg-type]
    except x509.ExtensionNotFound:
        return x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key())  # type: ignore[arg-type]


def stored_crl(runtime: ServiceRuntime, ca_identifier: str) -> bytes | None:
    """The current CRL of the CA whose id (the last part of its ARN) is given, for the HTTP endpoint."""
    with runtime.store.read() as conn:
        row = conn.execute(
            select(model.crls.c.der).where(model.crls.c.ca_arn.like(f"%:certificate-authority/{ca_identifier}"))
        ).first()
    return None if row is None else bytes(row.der)
