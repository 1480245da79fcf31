"""Generating and loading key material for every supported key spec.

Symmetric and HMAC material is raw random bytes; asymmetric material is the private key as DER PKCS#8
(the form ImportKeyMaterial takes too), except ML-KEM's: its 64-byte FIPS 203 seed. Public keys are DER
SubjectPublicKeyInfo, as GetPublicKey returns.
"""

from __future__ import annotations

import os
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, rsa

from strongroom.services.kms import mlkem

HMAC_LENGTHS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
EC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
ML_DSA: dict[str, Any] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}


def is_asymmetric(spec: str) -> bool:
    return (
        spec in RSA_BITS
        or spec in EC_CURVES
        or spec in ML_DSA
        or spec in mlkem.PARAMS
        or spec == "ECC_NIST_EDWARDS25519"
    )


def generate_private_key(spec: str) -> Any:
    if spec in RSA_BITS:
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS[spec])
    if spec in EC_CURVES:
        return ec.generate_private_key(EC_CURVES[spec]())
    if spec == "ECC_NIST_EDWARDS25519":
        return ed25519.Ed25519PrivateKey.generate()
    if spec in ML_DSA:
        return ML_DSA[spec].generate()
    raise ValueError(f"not an asymmetric key spec: {spec}")


def private_der(key: Any) -> bytes:
    return bytes(
        key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


def public_der(key: Any) -> bytes:
    return bytes(
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def generate(spec: str) -> tuple[bytes, bytes | None]:
    """(material, public key DER or None) for a new key of this spec."""
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(32), None
    if spec in HMAC_LENGTHS:
        return os.urandom(HMAC_LENGTHS[spec]), None
    if spec in mlkem.PARAMS:
        # ML-KEM material is the FIPS 203 seed d || z, which both implementations expand the same way.
        seed = mlkem.generate_seed()
        return seed, mlkem.public_der(spec, seed)
    key = generate_private_key(spec)
    return private_der(key), public_der(key)


def load_private_key(material: bytes) -> Any:
    return serialization.load_der_private_key(material, password=None)
