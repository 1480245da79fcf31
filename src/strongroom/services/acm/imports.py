"""ImportCertificate (with validity, key and chain checks; re-import keeps the ARN) and ExportCertificate."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from strongroom.services.acm import certs
from strongroom.services.acm.base import AcmBase
from strongroom.services.acm.errors import (
    InvalidParameterException,
    RequestInProgressException,
    ResourceNotFoundException,
    ValidationException,
)
from strongroom.services.acm.model import certificate_key_aad, certificates
from strongroom.services.acm.tagging import check_tags, write_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def _public_der(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class ImportExportOperations(AcmBase):
    def import_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        existing = None
        if request.get("CertificateArn"):
            existing = self.require(ctx, request["CertificateArn"])
            if existing["type"] != "IMPORTED":
                raise ValidationException(f"Certificate {existing['arn']} was not imported and cannot be reimported.")
            if request.get("Tags"):
                raise InvalidParameterException("Tags cannot be specified when reimporting a certificate.")
        check_tags(request.get("Tags", []))
        try:
            cert = x509.load_pem_x509_certificate(request["Certificate"])
        except ValueError:
            raise ValidationException(
                "The certificate field contains more than one certificate or is not valid PEM."
            ) from None
        try:
            key = serialization.load_pem_private_key(request["PrivateKey"], password=None)
        except TypeError:
            raise ValidationException("The private key is encrypted; import an unencrypted private key.") from None
        except ValueError:
            raise ValidationException("The private key is not valid PEM or is not supported.") from None
        if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) or certs.key_algorithm(key) is None:
            raise ValidationException("The private key algorithm is not supported.")
        if _public_der(key.public_key()) != _public_der(cert.public_key()):
            raise ValidationException("The private key does not match the public key in the certificate.")
        now = ctx.now()
        if cert.not_valid_after_utc <= now:
            raise ValidationException("The certificate has expired.")
        if cert.not_valid_before_utc > now:
            raise ValidationException("The certificate is not yet valid.")
        chain_pem = ""
        if request.get("CertificateChain"):
            try:
                chain = x509.load_pem_x509_certificates(request["CertificateChain"])
            except ValueError:
                raise ValidationException("The certificate chain is not valid PEM.") from None
            try:
                cert.verify_directly_issued_by(chain[0])
                for child, parent in itertools.pairwise(chain):
                    child.verify_directly_issued_by(parent)
            except (ValueError, TypeError, InvalidSignature):
                raise ValidationException("Could not validate the certificate with the certificate chain.") from None
            chain_pem = "".join(certs.pem(c) for c in chain)
        facts = certs.facts(cert)
        arn = existing["arn"] if existing else ctx.arn("acm", f"certificate/{uuid.uuid4()}")
        values = self.certificate_values(certs.pem(cert), chain_pem)
        values.update(
            domain_name=facts.names[0] if facts.names else (facts.common_name or ""),
            sans=json.dumps(facts.names),
            status="ISSUED",
            key_algorithm=facts.key_algorithm,
            imported_at=now,
            sealed_key=self.runtime.seal.wrap(certs.key_der(key), certificate_key_aad(arn)),
            revoked_at=None,
            revocation_reason=None,
        )
        with self.runtime.store.write() as conn:
            if existing:
                conn.execute(certificates.update().where(certificates.c.arn == arn).values(**values))
            else:
                conn.execute(
                    certificates.insert().values(
                        arn=arn,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        type="IMPORTED",
                        validation="[]",
                        options=json.dumps({"Export": "DISABLED"}),
                        issuer_kind="imported",
                        created_at=now,
                        exported=False,
                        issue_attempts=0,
                        **values,
                    )
                )
                write_tags(conn, arn, request.get("Tags", []))
        row = self.load(arn)
        assert row is not None
        self.schedule_lifecycle(row)
        return {"CertificateArn": arn}

    def export_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.require(ctx, request["CertificateArn"])
        if row["type"] != "PRIVATE" and self.options(row)["Export"] != "ENABLED":
            raise ValidationException(f"Certificate ARN: {row['arn']} is not a private certificate")
        if row["status"] != "ISSUED" or not row["certificate"]:
            raise RequestInProgressException(f"Certificate arn {row['arn']} is still in process")
        if not row["sealed_key"]:
            raise ResourceNotFoundException(f"Could not find certificate {row['arn']}.")
        key = certs.load_key_der(self.runtime.seal.unwrap(row["sealed_key"], certificate_key_aad(row["arn"])))
        private_key = certs.encrypted_pkcs8_pem(key, bytes(request["Passphrase"]))
        self.save(row["arn"], exported=True)
        out = {"Certificate": row["certificate"], "PrivateKey": private_key}
        if row["chain"]:
            out["CertificateChain"] = row["chain"]
        return out
