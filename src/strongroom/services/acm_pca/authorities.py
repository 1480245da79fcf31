"""The CA lifecycle: create, CSR, import the CA certificate, update, delete/restore, describe and list."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID, ObjectIdentifier
from sqlalchemy import RowMapping, delete, select, update

from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.acm_pca import keys, model
from strongroom.services.acm_pca.base import PcaBase, decode_token, encode_token, state_change
from strongroom.services.acm_pca.errors import (
    CertificateMismatchException,
    InvalidArgsException,
    InvalidRequestException,
    InvalidStateException,
    MalformedCertificateException,
)
from strongroom.services.acm_pca.names import general_name, subject_name
from strongroom.services.acm_pca.sharing import check_bucket_name, check_tags, write_tags
from strongroom.services.acm_pca.templates import key_usage

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DELETE_JOB = "pca-delete"
EXPIRE_JOB = "pca-expire"
IDEMPOTENCY_WINDOW = timedelta(minutes=5)
DEFAULT_DELETION_DAYS = 30
DEFAULT_CRL_DAYS = 7

_ACCESS_METHODS = {
    "CA_REPOSITORY": ObjectIdentifier("1.3.6.1.5.5.7.48.5"),
    "RESOURCE_PKI_MANIFEST": ObjectIdentifier("1.3.6.1.5.5.7.48.10"),
    "RESOURCE_PKI_NOTIFY": ObjectIdentifier("1.3.6.1.5.5.7.48.13"),
}


def normalize_revocation(config: dict[str, Any] | None) -> dict[str, Any]:
    """What DescribeCertificateAuthority echoes back: both sections, disabled unless enabled."""
    config = dict(config or {})
    crl = dict(config.get("CrlConfiguration") or {"Enabled": False})
    if "S3BucketName" in crl:
        check_bucket_name(crl["S3BucketName"])
    ocsp = dict(config.get("OcspConfiguration") or {"Enabled": False})
    if crl.get("Enabled"):
        crl.setdefault("ExpirationInDays", DEFAULT_CRL_DAYS)
        crl.setdefault("CrlType", "COMPLETE")
        cname = crl.get("CustomCname") or ""
        if cname.lower().startswith(("http://", "https://")):
            raise InvalidArgsException("CustomCname must not include the protocol prefix http:// or https://.")
    if ocsp.get("Enabled"):
        cname = ocsp.get("OcspCustomCname") or ""
        if cname.lower().startswith(("http://", "https://")):
            raise InvalidArgsException("OcspCustomCname must not include the protocol prefix http:// or https://.")
    elif "OcspCustomCname" in ocsp:
        raise InvalidArgsException("OcspCustomCname can only be set when OCSP is enabled.")
    return {"CrlConfiguration": crl, "OcspConfiguration": ocsp}


def _csr(key: Any, config: dict[str, Any]) -> x509.CertificateSigningRequest:
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject_name(config["Subject"]))
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    extensions = config.get("CsrExtensions") or {}
    if extensions.get("KeyUsage"):
        members = {k for k, v in extensions["KeyUsage"].items() if v}
        builder = builder.add_extension(key_usage(members), critical=True)
    if extensions.get("SubjectInformationAccess"):
        descriptions = []
        for item in extensions["SubjectInformationAccess"]:
            method = item["AccessMethod"]
            oid = (
                _ACCESS_METHODS[method["AccessMethodType"]]
                if method.get("AccessMethodType")
                else ObjectIdentifier(method["CustomObjectIdentifier"])
            )
            descriptions.append(x509.AccessDescription(oid, general_name(item["AccessLocation"])))
        builder = builder.add_extension(x509.SubjectInformationAccess(descriptions), critical=False)
    return keys.sign_builder(builder, key, config["SigningAlgorithm"])


def load_pem_certs(blob: bytes | str, what: str) -> list[x509.Certificate]:
    data = blob.encode() if isinstance(blob, str) else blob
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise MalformedCertificateException(f"The {what} is malformed.") from None
    return certs


def colon_serial(serial: int) -> str:
    text = f"{serial:x}"
    text = text if len(text) % 2 == 0 else "0" + text
    return ":".join(text[i : i + 2] for i in range(0, len(text), 2))


class AuthorityOperations(PcaBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {DELETE_JOB: "deletion_job", EXPIRE_JOB: "expiry_job"}

    def regenerate_crl(self, row: RowMapping) -> None:  # provided by RevocationOperations
        raise NotImplementedError

    # -- create ---------------------------------------------------------------------------------------------

    def create_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        config = dict(request["CertificateAuthorityConfiguration"])
        keys.check_pair(config["KeyAlgorithm"], config["SigningAlgorithm"])
        subject_name(config["Subject"])
        revocation = normalize_revocation(request.get("RevocationConfiguration"))
        tags = request.get("Tags") or []
        check_tags(tags)
        token = request.get("IdempotencyToken")
        now = ctx.now()
        if token:
            with self.runtime.store.read() as conn:
                previous = conn.execute(
                    select(model.authorities.c.arn).where(
                        model.authorities.c.account_id == ctx.account_id,
                        model.authorities.c.region == ctx.region,
                        model.authorities.c.idempotency_token == token,
                        model.authorities.c.created_at > now - IDEMPOTENCY_WINDOW,
                    )
                ).first()
            if previous is not None:
                return {"CertificateAuthorityArn": previous.arn}
        key = keys.KEY_ALGORITHMS[config["KeyAlgorithm"]].generate()
        csr = _csr(key, config)
        arn = ctx.arn("acm-pca", f"certificate-authority/{uuid.uuid4()}")
        with self.runtime.store.write() as conn:
            conn.execute(
                model.authorities.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    ca_type=request["CertificateAuthorityType"],
                    # CREATING -> PENDING_CERTIFICATE is immediate: the key exists once this call returns
                    status="PENDING_CERTIFICATE",
                    usage_mode=request.get("UsageMode") or "GENERAL_PURPOSE",
                    key_storage=request.get("KeyStorageSecurityStandard") or "FIPS_140_2_LEVEL_3_OR_HIGHER",
                    configuration=json.dumps(config),
                    revocation=json.dumps(revocation),
                    sealed_key=self.runtime.seal.wrap(keys.private_der(key), model.authority_key_aad(arn)),
                    public_key=keys.public_der(key),
                    csr=csr.public_bytes(serialization.Encoding.PEM).decode(),
                    created_at=now,
                    last_state_change_at=now,
                    idempotency_token=token,
                    crl_number=0,
                )
            )
            write_tags(conn, arn, tags)
        return {"CertificateAuthorityArn": arn}

    def get_certificate_authority_csr(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        return {"Csr": row["csr"]}

    # -- the CA's own certificate ---------------------------------------------------------------------------

    def import_certificate_authority_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        certs = load_pem_certs(request["Certificate"], "certificate")
        if len(certs) != 1:
            raise MalformedCertificateException("The certificate must contain exactly one certificate.")
        cert = certs[0]
        if keys.public_der(cert.public_key()) != row["public_key"]:
            raise CertificateMismatchException("The certificate does not match the certificate authority's key.")
        try:
            constraints = cert.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS).value
        except x509.ExtensionNotFound:
            constraints = None
        if not isinstance(constraints, x509.BasicConstraints) or not constraints.ca:
            raise InvalidRequestException("The certificate is not a CA certificate.")
        now = ctx.now()
        if cert.not_valid_after_utc <= now:
            raise InvalidRequestException("The certificate has expired.")
        chain_pem: str | None = None
        if row["ca_type"] == "ROOT":
            if cert.issuer != cert.subject or not _issued_by(cert, cert):
                raise InvalidRequestException("A root CA certificate must be self-signed.")
        else:
            if not request.get("CertificateChain"):
                raise InvalidRequestException("A certificate chain is required to import a subordinate CA certificate.")
            chain = load_pem_certs(request["CertificateChain"], "certificate chain")
            path = [cert, *chain]
            for child, parent in pairwise(path):
                if not _issued_by(child, parent):
                    raise InvalidRequestException("The certificate chain is not valid.")
            top = path[-1]
            if top.issuer != top.subject or not _issued_by(top, top):
                raise InvalidRequestException("The certificate chain must end with a self-signed root certificate.")
            chain_pem = "".join(keys.pem(c) for c in chain)
        status = "DISABLED" if row["status"] == "DISABLED" else "ACTIVE"
        values = {
            "certificate": keys.pem(cert),
            "chain": chain_pem,
            "serial": colon_serial(cert.serial_number),
            "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc,
        }
        if status != row["status"]:
            values |= state_change(status, now)
        with self.runtime.store.write() as conn:
            conn.execute(update(model.authorities).where(model.authorities.c.arn == row["arn"]).values(**values))
            self.runtime.scheduler.schedule(EXPIRE_JOB, row["arn"], cert.not_valid_after_utc, conn=conn)
        fresh = self.load_ca(row["arn"])
        assert fresh is not None
        self.regenerate_crl(fresh)
        return {}

    def get_certificate_authority_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        out = {"Certificate": row["certificate"]}
        if row["chain"]:
            out["CertificateChain"] = row["chain"]
        return out

    # -- describe / list / update ---------------------------------------------------------------------------

    def describe_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        return {"CertificateAuthority": self.describe(row)}

    def list_certificate_authorities(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("ResourceOwner") == "OTHER_ACCOUNTS":
            return {"CertificateAuthorities": []}  # no cross-account sharing (AWS RAM) here
        limit = request.get("MaxResults") or 100
        offset = decode_token(request.get("NextToken"))
        t = model.authorities
        with self.runtime.store.read() as conn:
            rows = (
                conn.execute(
                    select(t)
                    .where(t.c.account_id == ctx.account_id, t.c.region == ctx.region)
                    .order_by(t.c.created_at, t.c.arn)
                    .offset(offset)
                    .limit(limit + 1)
                )
                .mappings()
                .all()
            )
        out: dict[str, Any] = {"CertificateAuthorities": [self.describe(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = encode_token(offset + limit)
        return out

    def update_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        values: dict[str, Any] = {}
        status = request.get("Status")
        if status is not None:
            if status not in ("ACTIVE", "DISABLED"):
                raise InvalidArgsException(f"The status {status} cannot be set with UpdateCertificateAuthority.")
            if row["status"] not in ("ACTIVE", "DISABLED"):
                raise InvalidStateException(
                    f"The certificate authority {row['arn']} is in the {row['status']} state and its status "
                    "cannot be changed."
                )
            if status != row["status"]:
                values |= state_change(status, ctx.now())
        if "RevocationConfiguration" in request:
            values["revocation"] = json.dumps(normalize_revocation(request["RevocationConfiguration"]))
        if values:
            self.set_ca(row["arn"], **values)
            fresh = self.load_ca(row["arn"])
            assert fresh is not None
            self.regenerate_crl(fresh)
        return {}

    # -- delete / restore -----------------------------------------------------------------------------------

    def delete_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        now = ctx.now()
        days = request.get("PermanentDeletionTimeInDays") or DEFAULT_DELETION_DAYS
        until = now + timedelta(days=days)
        with self.runtime.store.write() as conn:
            conn.execute(
                update(model.authorities)
                .where(model.authorities.c.arn == row["arn"])
                .values(**state_change("DELETED", now, previous_status=row["status"], restorable_until=until))
            )
            self.runtime.scheduler.schedule(DELETE_JOB, row["arn"], until, conn=conn)
        return {}

    def restore_certificate_authority(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        now = ctx.now()
        status = row["previous_status"] or "DISABLED"
        if status == "ACTIVE":
            status = "DISABLED"  # AWS restores an issuing CA disabled; UpdateCertificateAuthority reactivates it
        if row["not_after"] is not None and row["not_after"] <= now:
            status = "EXPIRED"
        with self.runtime.store.write() as conn:
            conn.execute(
                update(model.authorities)
                .where(model.authorities.c.arn == row["arn"])
                .values(**state_change(status, now, previous_status=None, restorable_until=None))
            )
            self.runtime.scheduler.cancel(DELETE_JOB, row["arn"], conn=conn)
        return {}

    # -- scheduled ------------------------------------------------------------------------------------------

    def deletion_job(self, job: JobContext) -> JobResult | None:
        row = self.load_ca(job.key)
        if row is None or row["status"] != "DELETED" or row["restorable_until"] > job.now:
            return None
        self.runtime.audit.service_event(
            "acm-pca", "DeleteCertificateAuthority", row["account_id"], row["region"], [row["arn"]],
            {"permanentDeletion": True},
        )  # fmt: skip
        with self.runtime.store.write() as conn:
            conn.execute(delete(model.certificates).where(model.certificates.c.ca_arn == row["arn"]))
            conn.execute(delete(model.crls).where(model.crls.c.ca_arn == row["arn"]))
            conn.execute(delete(model.tags).where(model.tags.c.ca_arn == row["arn"]))
            conn.execute(delete(model.permissions).where(model.permissions.c.ca_arn == row["arn"]))
            conn.execute(delete(model.audit_reports).where(model.audit_reports.c.ca_arn == row["arn"]))
            conn.execute(delete(model.authorities).where(model.authorities.c.arn == row["arn"]))
        self.remove_crl_file(row)
        return None

    def expiry_job(self, job: JobContext) -> JobResult | None:
        row = self.load_ca(job.key)
        if row is None or row["not_after"] is None or row["status"] not in ("ACTIVE", "DISABLED"):
            return None
        if row["not_after"] > job.now:
            return JobResult.again(row["not_after"])
        self.runtime.audit.service_event(
            "acm-pca", "CertificateAuthorityExpired", row["account_id"], row["region"], [row["arn"]]
        )
        self.set_ca(row["arn"], **state_change("EXPIRED", job.now))
        return None

    def remove_crl_file(self, row: RowMapping) -> None:  # provided by RevocationOperations
        raise NotImplementedError


def _issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(parent)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
