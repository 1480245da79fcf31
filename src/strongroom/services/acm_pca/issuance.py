"""IssueCertificate and GetCertificate: templates, validity, passthrough, idempotency and AWS's async issuance."""

from __future__ import annotations

import calendar
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtensionOID
from sqlalchemy import RowMapping, select

from strongroom.core.errors import ValidationError
from strongroom.services.acm_pca import keys, model
from strongroom.services.acm_pca.base import PcaBase, parse_certificate_arn, public_base_url
from strongroom.services.acm_pca.errors import (
    InvalidArgsException,
    InvalidStateException,
    MalformedCSRException,
    RequestInProgressException,
    ResourceNotFoundException,
)
from strongroom.services.acm_pca.names import subject_name
from strongroom.services.acm_pca.templates import build_extensions, template_arn, template_for

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

IDEMPOTENCY_WINDOW = timedelta(minutes=1)
DEFAULT_ISSUE_DELAY = 0.5  # seconds of server time GetCertificate answers RequestInProgressException
SHORT_LIVED_MAX = timedelta(days=7)
_BACKDATE = timedelta(minutes=0)


def _load_csr(blob: bytes | str) -> x509.CertificateSigningRequest:
    data = blob.encode() if isinstance(blob, str) else blob
    try:
        csr = x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data)
    except ValueError:
        raise MalformedCSRException("The certificate signing request is malformed.") from None
    if not csr.is_signature_valid:
        raise MalformedCSRException("The certificate signing request signature is not valid.")
    return csr


def _add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _moment(validity: dict[str, Any], base: datetime) -> datetime:
    """AWS's Validity: a span from ``base`` (DAYS/MONTHS/YEARS) or a fixed point (ABSOLUTE, END_DATE)."""
    value, kind = int(validity["Value"]), validity["Type"]
    try:
        if kind == "DAYS":
            return base + timedelta(days=value)
        if kind == "MONTHS":
            return _add_months(base, value)
        if kind == "YEARS":
            return _add_months(base, 12 * value)
        if kind == "ABSOLUTE":
            return datetime.fromtimestamp(value, UTC)
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise InvalidArgsException(f"The validity value {value} is not valid for type {kind}.") from None


def _serial_hex(serial: int) -> str:
    return f"{serial:032x}"


class IssuanceOperations(PcaBase):
    def crl_url(self, row: RowMapping) -> str | None:
        crl = json.loads(row["revocation"])["CrlConfiguration"]
        if not crl.get("Enabled") or (crl.get("CrlDistributionPointExtensionConfiguration") or {}).get("OmitExtension"):
            return None
        name = row["arn"].rsplit("/", 1)[1]
        if crl.get("CustomCname"):
            path = (crl.get("CustomPath") or "crl").strip("/")
            prefix = f"http://{crl['CustomCname']}" + (f"/{path}" if path else "")
            return f"{prefix}/{name}.crl"
        return f"{public_base_url(self.runtime)}/_strongroom/pca/crl/{name}.crl"

    def ocsp_url(self, row: RowMapping) -> str | None:
        ocsp = json.loads(row["revocation"])["OcspConfiguration"]
        if not ocsp.get("Enabled"):
            return None
        if ocsp.get("OcspCustomCname"):
            return f"http://{ocsp['OcspCustomCname']}"
        return f"{public_base_url(self.runtime)}/_strongroom/pca/ocsp"

    def issue_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["CertificateAuthorityArn"]
        template = template_for(request.get("TemplateArn"))
        # A root CA signs its own certificate while it still waits for one: the bootstrap step of a root.
        row = self.find_ca(ctx, arn, operation="GetCertificate" if template.kind == "ROOT" else None)
        csr = _load_csr(request["Csr"])
        now = ctx.now()
        token = request.get("IdempotencyToken")
        if token:
            with self.runtime.store.read() as conn:
                previous = conn.execute(
                    select(model.certificates.c.arn).where(
                        model.certificates.c.ca_arn == row["arn"],
                        model.certificates.c.idempotency_token == token,
                        model.certificates.c.issued_at > now - IDEMPOTENCY_WINDOW,
                    )
                ).first()
            if previous is not None:
                return {"CertificateArn": previous.arn}
        key = self.ca_key(row)
        signing = request["SigningAlgorithm"]
        keys.check_signing(key, signing)
        self_signed = template.kind == "ROOT"
        if self_signed:
            if row["ca_type"] != "ROOT" or keys.public_der(csr.public_key()) != row["public_key"]:
                raise InvalidArgsException(
                    f"The template {template.name} can only issue a root CA's own certificate from its CSR."
                )
        elif row["status"] != "ACTIVE":
            raise InvalidStateException(
                f"The certificate authority {row['arn']} is in the {row['status']} state and cannot issue certificates."
            )
        ca_cert = None if self_signed else x509.load_pem_x509_certificate(row["certificate"].encode())
        not_before = _moment(request["ValidityNotBefore"], now) if request.get("ValidityNotBefore") else now
        if request.get("ValidityNotBefore") and request["ValidityNotBefore"]["Type"] not in ("ABSOLUTE", "END_DATE"):
            raise InvalidArgsException("ValidityNotBefore must be of type ABSOLUTE or END_DATE.")
        not_after = _moment(request["Validity"], now)
        if not_after <= not_before or not_after <= now:
            raise ValidationError("The certificate validity period is not valid.")
        if ca_cert is not None and not_after > ca_cert.not_valid_after_utc:
            raise ValidationError("The certificate validity specified exceeds the certificate authority validity.")
        if row["usage_mode"] == "SHORT_LIVED_CERTIFICATE" and not_after - not_before > SHORT_LIVED_MAX:
            raise ValidationError("Certificates of a short-lived certificate authority are valid for at most 7 days.")
        api = request.get("ApiPassthrough") or {}
        subject = csr.subject
        if api.get("Subject"):
            if not template.api:
                raise InvalidArgsException(f"The template {template.name} does not allow API passthrough values.")
            subject = subject_name(api["Subject"])
        issuer_ski = None
        if ca_cert is not None:
            try:
                issuer_ski = ca_cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
            except x509.ExtensionNotFound:
                issuer_ski = None
        extensions = build_extensions(
            template,
            csr,
            api,
            key.public_key(),
            issuer_ski,  # type: ignore[arg-type]
            None if self_signed else self.crl_url(row),
            None if self_signed else self.ocsp_url(row),
        )
        serial = secrets.randbits(127) | (1 << 120)  # positive, 16 bytes, never a leading zero octet
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if ca_cert is None else ca_cert.subject)
            .public_key(csr.public_key())
            .serial_number(serial)
            .not_valid_before(not_before - _BACKDATE)
            .not_valid_after(not_after)
        )
        for ext in extensions:
            builder = builder.add_extension(ext.value, ext.critical)
        try:
            cert = keys.sign_builder(builder, key, signing)
        except ValueError as exc:
            raise InvalidArgsException(f"The certificate could not be issued: {exc}") from None
        cert_arn = f"{row['arn']}/certificate/{_serial_hex(serial)}"
        delay = float(self.runtime.config.extra.get("pca_issue_delay_seconds", DEFAULT_ISSUE_DELAY))
        with self.runtime.store.write() as conn:
            conn.execute(
                model.certificates.insert().values(
                    arn=cert_arn,
                    ca_arn=row["arn"],
                    serial=_serial_hex(serial),
                    certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
                    template_arn=template_arn(template),
                    subject=subject.rfc4514_string(),
                    issued_at=now,
                    ready_at=now + timedelta(seconds=delay),
                    not_before=cert.not_valid_before_utc,
                    not_after=cert.not_valid_after_utc,
                    idempotency_token=token,
                    requester=ctx.principal.arn,
                )
            )
        return {"CertificateArn": cert_arn}

    def get_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find_ca(ctx, request["CertificateAuthorityArn"])
        ca_arn, _ = parse_certificate_arn(request["CertificateArn"])
        with self.runtime.store.read() as conn:
            cert = conn.execute(
                select(model.certificates).where(model.certificates.c.arn == request["CertificateArn"])
            ).first()
        if cert is None or ca_arn != row["arn"]:
            raise ResourceNotFoundException(f"Could not find certificate {request['CertificateArn']}.")
        if cert.ready_at > ctx.now():
            raise RequestInProgressException("The request to issue the certificate is still in progress.")
        out = {"Certificate": cert.certificate}
        if row["certificate"]:
            out["CertificateChain"] = (row["certificate"] + (row["chain"] or "")).strip()
        return out
