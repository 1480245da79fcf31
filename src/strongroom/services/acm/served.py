"""ACM certificates as a TLS listener of this server serves them: certificate, chain and private key, in-process.

On AWS an integrated service (API Gateway, CloudFront, ELB) terminates TLS with an ACM certificate without the
key ever leaving AWS: the customer never exports it. Here the composition root (``server/domain_tls.py``) does the
same for API Gateway custom domain names: it asks for the certificate by ARN and gets the key unsealed in memory.
This is not ExportCertificate: nothing is marked exported, nothing is audited as a call of the customer's, and the
key object never reaches the wire or the disk in the clear (the caller loads it into an ``SSLContext``).

``served_version`` is the cheap check a cache makes: it reads the serial and expiry only, never the sealed key, so
a listener can notice a renewal (new serial) or a re-import without unsealing anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from strongroom.services.acm import certs
from strongroom.services.acm.model import certificate_key_aad, certificates

if TYPE_CHECKING:
    from strongroom.keyring.seal import Seal
    from strongroom.store.engine import Store

# A certificate is served while its key can be used: ISSUED, or EXPIRED (AWS keeps serving an expired certificate
# on a custom domain until it is replaced; clients then refuse it themselves). Revoked, failed or pending
# certificates are not served.
SERVABLE = ("ISSUED", "EXPIRED")


@dataclass(frozen=True, slots=True)
class ServedCertificate:
    arn: str
    certificate_pem: str
    chain_pem: str  # issuer first, as ACM stores it ("" for a self-signed import)
    key: certs.PrivateKey
    version: str  # served_version()'s answer for the row this was read from


def _version(serial: str | None, not_after: datetime | None, status: str) -> str:
    return f"{serial or ''}|{not_after.isoformat() if not_after else ''}|{status}"


def served_version(store: Store, arn: str) -> str | None:
    """What changes when the certificate is renewed, re-imported, revoked or deleted; None when it cannot be served."""
    with store.read() as conn:
        row = conn.execute(
            select(certificates.c.serial, certificates.c.not_after, certificates.c.status).where(
                certificates.c.arn == arn
            )
        ).one_or_none()
    if row is None or row.status not in SERVABLE:
        return None
    return _version(row.serial, row.not_after, row.status)


def served_certificate(store: Store, seal: Seal, arn: str) -> ServedCertificate | None:
    """The certificate, its chain and its unsealed key, or None when there is no servable certificate ``arn``."""
    with store.read() as conn:
        row = conn.execute(select(certificates).where(certificates.c.arn == arn)).one_or_none()
    if row is None or row.status not in SERVABLE or not row.certificate or not row.sealed_key:
        return None
    key = certs.load_key_der(seal.unwrap(bytes(row.sealed_key), certificate_key_aad(row.arn)))
    return ServedCertificate(
        arn=row.arn,
        certificate_pem=row.certificate,
        chain_pem=row.chain or "",
        key=key,
        version=_version(row.serial, row.not_after, row.status),
    )
