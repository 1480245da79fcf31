"""CA key algorithms and signing algorithms: AWS's compatibility table and the cryptography calls behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa

from strongroom.services.acm_pca.errors import InvalidArgsException

PrivateKey = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | (mldsa.MLDSA87PrivateKey)
)


@dataclass(frozen=True)
class KeyAlgorithm:
    family: str  # RSA | EC | ML_DSA
    generate: Callable[[], Any]
    signing: tuple[str, ...]


_RSA_SIGNING = (
    "SHA256WITHRSA",
    "SHA384WITHRSA",
    "SHA512WITHRSA",
    "SHA256WITHRSA_PSS",
    "SHA384WITHRSA_PSS",
    "SHA512WITHRSA_PSS",
)
_EC_SIGNING = ("SHA256WITHECDSA", "SHA384WITHECDSA", "SHA512WITHECDSA")

# AWS Private CA "Supported cryptographic algorithms": key algorithm -> signing algorithms it can use.
KEY_ALGORITHMS: dict[str, KeyAlgorithm] = {
    "RSA_2048": KeyAlgorithm("RSA", lambda: rsa.generate_private_key(65537, 2048), _RSA_SIGNING),
    "RSA_3072": KeyAlgorithm("RSA", lambda: rsa.generate_private_key(65537, 3072), _RSA_SIGNING),
    "RSA_4096": KeyAlgorithm("RSA", lambda: rsa.generate_private_key(65537, 4096), _RSA_SIGNING),
    "EC_prime256v1": KeyAlgorithm("EC", lambda: ec.generate_private_key(ec.SECP256R1()), _EC_SIGNING),
    "EC_secp384r1": KeyAlgorithm("EC", lambda: ec.generate_private_key(ec.SECP384R1()), _EC_SIGNING),
    "EC_secp521r1": KeyAlgorithm("EC", lambda: ec.generate_private_key(ec.SECP521R1()), _EC_SIGNING),
    "ML_DSA_44": KeyAlgorithm("ML_DSA", mldsa.MLDSA44PrivateKey.generate, ("ML_DSA_44",)),
    "ML_DSA_65": KeyAlgorithm("ML_DSA", mldsa.MLDSA65PrivateKey.generate, ("ML_DSA_65",)),
    "ML_DSA_87": KeyAlgorithm("ML_DSA", mldsa.MLDSA87PrivateKey.generate, ("ML_DSA_87",)),
}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def check_pair(key_algorithm: str, signing_algorithm: str) -> None:
    spec = KEY_ALGORITHMS.get(key_algorithm)
    if spec is None:
        raise InvalidArgsException(f"Key algorithm {key_algorithm} is not supported.")
    if signing_algorithm not in spec.signing:
        raise InvalidArgsException(
            f"Signing algorithm {signing_algorithm} is not compatible with key algorithm {key_algorithm}."
        )


def family_of(key: Any) -> str:
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        return "RSA"
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        return "EC"
    return "ML_DSA"


def sign_params(signing_algorithm: str) -> tuple[hashes.HashAlgorithm | None, padding.AsymmetricPadding | None]:
    """The (hash, RSA padding) pair cryptography's builders take for one AWS signing algorithm name."""
    if signing_algorithm.startswith("ML_DSA"):
        return None, None
    digest = _HASHES[signing_algorithm[3:6]]()
    if signing_algorithm.endswith("_PSS"):
        return digest, padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.DIGEST_LENGTH)
    return digest, None


def check_signing(key: Any, signing_algorithm: str) -> None:
    """The CA's key decides which signing algorithms IssueCertificate accepts."""
    family = family_of(key)
    allowed = {"RSA": _RSA_SIGNING, "EC": _EC_SIGNING}.get(family)
    if allowed is None:
        allowed = tuple(
            name for name, spec in KEY_ALGORITHMS.items() if spec.family == "ML_DSA" and _same_mldsa(key, name)
        )
    if signing_algorithm not in allowed:
        raise InvalidArgsException(
            f"The signing algorithm {signing_algorithm} is not compatible with the certificate authority's key."
        )


def _same_mldsa(key: Any, name: str) -> bool:
    kinds = {
        "ML_DSA_44": mldsa.MLDSA44PrivateKey,
        "ML_DSA_65": mldsa.MLDSA65PrivateKey,
        "ML_DSA_87": mldsa.MLDSA87PrivateKey,
    }
    return isinstance(key, kinds[name])


def private_der(key: Any) -> bytes:
    return bytes(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def public_der(key: Any) -> bytes:
    public = key.public_key() if hasattr(key, "public_key") else key
    return bytes(public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def load_private(der: bytes) -> Any:
    return serialization.load_der_private_key(der, None)


def sign_builder(builder: Any, key: Any, signing_algorithm: str) -> Any:
    """Sign a certificate, CSR or CRL builder with the CA key the way ``signing_algorithm`` names."""
    digest, pad = sign_params(signing_algorithm)
    if pad is not None:
        return builder.sign(key, digest, rsa_padding=pad)
    return builder.sign(key, digest)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()
