"""X.509 helpers: keys per ACM KeyAlgorithm, CSRs, and the facts DescribeCertificate reports about a certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "EC_prime256v1": ec.SECP256R1,
    "EC_secp384r1": ec.SECP384R1,
    "EC_secp521r1": ec.SECP521R1,
}
_CURVE_NAMES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}

# AWS's names for X.509 extended key usages (CertificateDetail.ExtendedKeyUsages).
_EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "TLS_WEB_SERVER_AUTHENTICATION",
    ExtendedKeyUsageOID.CLIENT_AUTH: "TLS_WEB_CLIENT_AUTHENTICATION",
    ExtendedKeyUsageOID.CODE_SIGNING: "CODE_SIGNING",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "EMAIL_PROTECTION",
    ExtendedKeyUsageOID.TIME_STAMPING: "TIME_STAMPING",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSP_SIGNING",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.5"): "IPSEC_END_SYSTEM",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.6"): "IPSEC_TUNNEL",
    x509.ObjectIdentifier("1.3.6.1.5.5.7.3.7"): "IPSEC_USER",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "ANY",
}
_KU_FIELDS = (
    ("digital_signature", "DIGITAL_SIGNATURE"),
    ("content_commitment", "NON_REPUDIATION"),
    ("key_encipherment", "KEY_ENCIPHERMENT"),
    ("data_encipherment", "DATA_ENCIPHERMENT"),
    ("key_agreement", "KEY_AGREEMENT"),
    ("key_cert_sign", "CERTIFICATE_SIGNING"),
    ("crl_sign", "CRL_SIGNING"),
)
_SIG_NAMES = {
    "sha256WithRSAEncryption": "SHA256WITHRSA",
    "sha384WithRSAEncryption": "SHA384WITHRSA",
    "sha512WithRSAEncryption": "SHA512WITHRSA",
    "sha1WithRSAEncryption": "SHA1WITHRSA",
    "ecdsa-with-SHA256": "SHA256WITHECDSA",
    "ecdsa-with-SHA384": "SHA384WITHECDSA",
    "ecdsa-with-SHA512": "SHA512WITHECDSA",
}


def generate_key(algorithm: str) -> PrivateKey:
    if algorithm.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(algorithm[4:]))
    return ec.generate_private_key(_CURVES[algorithm]())


def key_algorithm(key: object) -> str | None:
    """ACM's KeyAlgorithm name of a public or private key; None for key types ACM does not accept."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        name = f"RSA_{key.key_size}"
        return name if name in ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096") else None
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return _CURVE_NAMES.get(key.curve.name)
    return None


def key_der(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def load_key_der(der: bytes) -> PrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key


def encrypted_pkcs8_pem(key: PrivateKey, passphrase: bytes) -> str:
    """What ExportCertificate returns: PKCS#8 encrypted with PBES2 (AES-256-CBC), readable only with the passphrase."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    ).decode()


def csr_pem(key: PrivateKey, names: list[str]) -> bytes:
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    )
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def split_pem(text: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(text.encode()) if text.strip() else []


def dn_string(name: x509.Name) -> str:
    """AWS's Subject/Issuer format: ``CN=example.com,O=Example`` (RFC 4514 order reversed back to forward)."""
    return ",".join(attr.rfc4514_string() for rdn in name.rdns for attr in rdn)


@dataclass(frozen=True)
class CertFacts:
    serial: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    signature_algorithm: str
    key_algorithm: str | None
    names: list[str]
    common_name: str | None
    key_usages: list[str]
    extended_key_usages: list[dict[str, str]]


def facts(cert: x509.Certificate) -> CertFacts:
    serial_hex = f"{cert.serial_number:x}"
    serial_hex = serial_hex if len(serial_hex) % 2 == 0 else "0" + serial_hex
    serial = ":".join(serial_hex[i : i + 2] for i in range(0, len(serial_hex), 2))
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
            x509.DNSName
        )
    except x509.ExtensionNotFound:
        sans = []
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    cn = str(cns[0].value) if cns else None
    names = list(dict.fromkeys(([cn] if cn else []) + list(sans)))
    kus: list[str] = []
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        kus = [name for attr, name in _KU_FIELDS if getattr(ku, attr)]
        if ku.key_agreement:
            kus += [n for flag, n in ((ku.encipher_only, "ENCIPHER_ONLY"), (ku.decipher_only, "DECIPHER_ONLY")) if flag]
    except x509.ExtensionNotFound:
        pass
    ekus: list[dict[str, str]] = []
    try:
        ekus = [
            {"Name": _EKU_NAMES.get(oid, "CUSTOM"), "OID": oid.dotted_string}
            for oid in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        ]
    except x509.ExtensionNotFound:
        pass
    oid_name = cert.signature_algorithm_oid._name
    return CertFacts(
        serial=serial,
        subject=dn_string(cert.subject),
        issuer=dn_string(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        signature_algorithm=_SIG_NAMES.get(oid_name, oid_name.upper()),
        key_algorithm=key_algorithm(cert.public_key()),
        names=names,
        common_name=cn,
        key_usages=kus,
        extended_key_usages=ekus,
    )
