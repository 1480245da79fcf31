"""Client certificates: GenerateClientCertificate, GetClientCertificate(s), UpdateClientCertificate,
DeleteClientCertificate.

A client certificate is what API Gateway presents to an HTTP backend so the backend can tell its calls from
others'. The certificate is real: a self-signed RSA 2048 certificate valid for 365 days, as AWS issues them; its
private key is stored only sealed under the root key (bound to the certificate's id) for the data plane to use.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import delete, insert, select, update

from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, new_id
from strongroom.services.apigateway.errors import NotFoundException
from strongroom.services.apigateway.model import client_certificate_key_aad, client_certificates

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

VALIDITY = timedelta(days=365)
CERTIFICATE_RULES = patch.Rules([patch.rule("/description", "replace", "remove")])


def certificate_arn(region: str, certificate_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/clientcertificates/{certificate_id}"


class CertificateOperations(ApiGatewayBase):
    def _certificate_row(self, conn: Connection, ctx: RequestContext, certificate_id: str) -> Any:
        row = conn.execute(select(client_certificates).where(client_certificates.c.id == certificate_id)).one_or_none()
        if row is None or row.account_id != ctx.account_id or row.region != ctx.region:
            raise NotFoundException("Invalid Client Certificate identifier specified")
        return row

    def certificate_wire(self, conn: Connection, row: Any) -> Doc:
        out: Doc = {"clientCertificateId": row.id}
        if row.description:
            out["description"] = row.description
        out["pemEncodedCertificate"] = row.certificate
        out["createdDate"] = row.created_at
        out["expirationDate"] = row.expires_at
        found = self.tags_of(conn, certificate_arn(row.region, row.id))
        if found:
            out["tags"] = found
        return out

    def generate_client_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.check_tags(request.get("tags"))
        certificate_id, now = new_id(), self.now()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"ApiGateway {certificate_id}")])
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(key, hashes.SHA256())
        )
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        with self.runtime.store.write() as conn:
            conn.execute(
                insert(client_certificates).values(
                    id=certificate_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    description=request.get("description") or None,
                    certificate=certificate.public_bytes(serialization.Encoding.PEM).decode(),
                    sealed_key=self.runtime.seal.wrap(der, client_certificate_key_aad(certificate_id)),
                    created_at=now,
                    expires_at=now + VALIDITY,
                )
            )
            self.set_tags(conn, certificate_arn(ctx.region, certificate_id), request.get("tags"))
            return self.certificate_wire(conn, self._certificate_row(conn, ctx, certificate_id))

    def get_client_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self.certificate_wire(conn, self._certificate_row(conn, ctx, request["clientCertificateId"]))

    def get_client_certificates(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(client_certificates).where(
                    client_certificates.c.account_id == ctx.account_id, client_certificates.c.region == ctx.region
                )
            ).all()
            page, position = self.page(request, rows, lambda r: r.id)
            return self.listing([self.certificate_wire(conn, r) for r in page], position)

    def update_client_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._certificate_row(conn, ctx, request["clientCertificateId"])
            doc: Doc = {"description": row.description} if row.description else {}
            patch.apply(doc, request.get("patchOperations"), CERTIFICATE_RULES)
            conn.execute(
                update(client_certificates)
                .where(client_certificates.c.id == row.id)
                .values(description=doc.get("description") or None)
            )
            return self.certificate_wire(conn, self._certificate_row(conn, ctx, row.id))

    def delete_client_certificate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._certificate_row(conn, ctx, request["clientCertificateId"])
            conn.execute(delete(client_certificates).where(client_certificates.c.id == row.id))
            self.drop_tags(conn, certificate_arn(ctx.region, row.id))
        return {}
