"""The OCSP responder (RFC 6960, with RFC 5019's GET form and caching headers), signed by the issuing CA.

One responder serves every CA: a request names its issuer by name and key hash, so the responder finds the
CA by those hashes and the certificate by serial. Status comes straight from the database, so a revocation
is visible to OCSP at once (AWS takes up to about an hour).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.services.acm_pca import keys, model
from strongroom.services.acm_pca.revocation import REASONS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

RESPONSE_VALIDITY = timedelta(days=1)
_HASHES: dict[str, Any] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha384": hashlib.sha384,
    "sha512": hashlib.sha512,
}


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _hashes(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes] | None:
    digest = _HASHES.get(algorithm.name)
    if digest is None:
        return None
    name_der = cert.subject.public_bytes()
    spki = cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    # issuerKeyHash covers the BIT STRING contents of subjectPublicKey, not the whole SubjectPublicKeyInfo
    key_bits = _subject_public_key_bits(spki)
    return digest(name_der).digest(), digest(key_bits).digest()


def _subject_public_key_bits(spki: bytes) -> bytes:
    def read(data: bytes, at: int) -> tuple[int, int, int]:  # (tag, content start, content end)
        tag = data[at]
        length = data[at + 1]
        start = at + 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(data[start : start + size], "big")
            start += size
        return tag, start, start + length

    _, seq_start, _ = read(spki, 0)
    _, _, alg_end = read(spki, seq_start)  # AlgorithmIdentifier
    _, bits_start, bits_end = read(spki, alg_end)  # BIT STRING
    return spki[bits_start + 1 : bits_end]  # skip the unused-bits octet


def respond(runtime: ServiceRuntime, der: bytes) -> bytes:
    try:
        request = ocsp.load_der_ocsp_request(der)
    except ValueError:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    algorithm = request.hash_algorithm
    wanted = (request.issuer_name_hash, request.issuer_key_hash)
    with runtime.store.read() as conn:
        authorities = (
            conn.execute(
                select(model.authorities).where(
                    model.authorities.c.certificate.is_not(None),
                    model.authorities.c.status.in_(("ACTIVE", "DISABLED", "EXPIRED")),
                )
            )
            .mappings()
            .all()
        )
    issuer_row = None
    issuer_cert = None
    for row in authorities:
        cert = x509.load_pem_x509_certificate(row["certificate"].encode())
        if _hashes(cert, algorithm) == wanted:
            issuer_row, issuer_cert = row, cert
            break
    if issuer_row is None or issuer_cert is None:
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    if not json.loads(issuer_row["revocation"])["OcspConfiguration"].get("Enabled"):
        return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    serial = f"{request.serial_number:032x}"
    with runtime.store.read() as conn:
        found = conn.execute(
            select(model.certificates).where(
                model.certificates.c.ca_arn == issuer_row["arn"], model.certificates.c.serial == serial
            )
        ).first()
    now = clock.now()
    builder = ocsp.OCSPResponseBuilder()
    status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    if found is not None:
        if found.revoked_at is not None:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, found.revoked_at
            reason = REASONS.get(found.revocation_reason or "UNSPECIFIED")
        else:
            status = ocsp.OCSPCertStatus.GOOD
    builder = builder.add_response_by_hash(
        request.issuer_name_hash,
        request.issuer_key_hash,
        request.serial_number,
        algorithm,
        status,
        now,
        now + RESPONSE_VALIDITY,
        revoked_at,
        reason,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, issuer_cert)
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
        builder = builder.add_extension(nonce, critical=False)
    except x509.ExtensionNotFound:
        pass
    signing = json.loads(issuer_row["configuration"])["SigningAlgorithm"]
    digest, _ = keys.sign_params(signing)  # OCSP responses are signed PKCS#1 v1.5 even by RSA-PSS CAs
    key = _unseal(runtime, issuer_row)
    response = builder.sign(key, digest)
    return response.public_bytes(serialization.Encoding.DER)


def _unseal(runtime: ServiceRuntime, row: Any) -> Any:
    return keys.load_private(runtime.seal.unwrap(row["sealed_key"], model.authority_key_aad(row["arn"])))
