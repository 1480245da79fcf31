"""The internal issuing CA: signs public-style certificates when no ACME CA is configured, and the server's own
TLS certificate. It is NOT publicly trusted; clients trust it through ``strongroom tls export-ca``.

Its key is created once per installation and stored sealed under the root key; every node reads the same row.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.keyring.seal import Seal
from strongroom.services.acm import certs
from strongroom.services.acm.model import issuing_ca_aad, issuing_cas
from strongroom.store.engine import Store

CA_NAME = "internal"
CA_VALIDITY = timedelta(days=3650)
# What DescribeCertificate reports for its certificates as Issuer (the CA's O) and SignatureAlgorithm (ECDSA
# P-384 with SHA-384), already while a request is pending, as AWS does for Amazon's CAs.
ORGANIZATION = "Strongroom"
SIGNATURE_ALGORITHM = "SHA384WITHECDSA"


class InternalCA:
    def __init__(self, certificate: x509.Certificate, key: certs.PrivateKey) -> None:
        self.certificate = certificate
        self.key = key

    @property
    def pem(self) -> str:
        return certs.pem(self.certificate)

    @staticmethod
    def load_or_create(store: Store, seal: Seal, name: str = CA_NAME) -> InternalCA:
        with store.read() as conn:
            row = conn.execute(select(issuing_cas).where(issuing_cas.c.name == name)).one_or_none()
        if row is None:
            created = InternalCA._create(name)
            try:
                with store.write() as conn:
                    conn.execute(
                        issuing_cas.insert().values(
                            name=name,
                            certificate=created.pem,
                            sealed_key=seal.wrap(certs.key_der(created.key), issuing_ca_aad(name)),
                            created_at=clock.now(),
                        )
                    )
                return created
            except IntegrityError:  # another node created it first: use theirs
                with store.read() as conn:
                    row = conn.execute(select(issuing_cas).where(issuing_cas.c.name == name)).one()
        cert = x509.load_pem_x509_certificate(row.certificate.encode())
        key = certs.load_key_der(seal.unwrap(row.sealed_key, issuing_ca_aad(name)))
        return InternalCA(cert, key)

    @staticmethod
    def _create(name: str) -> InternalCA:
        key = ec.generate_private_key(ec.SECP384R1())
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
                x509.NameAttribute(NameOID.COMMON_NAME, f"Strongroom {name} issuing CA (not publicly trusted)"),
            ]
        )
        now = clock.now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA384())
        )
        return InternalCA(cert, key)

    def issue(
        self, public_key: object, names: list[str], *, not_before: datetime, validity: timedelta
    ) -> x509.Certificate:
        """An end-entity TLS certificate (server and client auth, as ACM issues) for DNS names and IP addresses."""
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        rsa_key = type(public_key).__name__.startswith("_RSA") or "RSA" in type(public_key).__name__
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.certificate.subject)
            .public_key(public_key)  # type: ignore[arg-type]
            .serial_number(int.from_bytes(secrets.token_bytes(16), "big") >> 1)
            .not_valid_before(not_before)
            .not_valid_after(not_before + validity)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=rsa_key,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
        )
        return builder.sign(self.key, hashes.SHA384())
