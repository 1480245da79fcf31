"""Asymmetric primitives behind Sign/Verify, RSA-OAEP and ECDH, keyed by AWS's algorithm names.

Everything here is pure: keys in, bytes out. The operation families (crypto.py, signing.py) do the AWS
checks (usage, algorithm, message type and length) before calling in.

Ed25519ph (HashEdDSA, RFC 8032 section 5.1) has no implementation in ``cryptography`` or OpenSSL 3.0, so
it is done here in pure Python. It is not constant-time; see docs/kms-crypto.md.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

# Length of the digest a DIGEST message must have, per signing algorithm (AWS: "must match the length of
# hashed messages for the specified signing algorithm").
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}

EXTERNAL_MU_LENGTH = 64


def signing_hash(algorithm: str) -> hashes.HashAlgorithm | None:
    """The hash an RSA/ECDSA/Ed25519ph signing algorithm uses; None for ML-DSA and pure Ed25519."""
    if algorithm.startswith(("RSASSA_", "ECDSA_", "ED25519_PH_")):
        return _HASHES[algorithm[-7:]]()
    return None


def digest_length(algorithm: str) -> int | None:
    digest = signing_hash(algorithm)
    return digest.digest_size if digest is not None else None


def oaep(algorithm: str) -> padding.OAEP:
    digest: hashes.HashAlgorithm = hashes.SHA1() if algorithm == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(algorithm=digest), algorithm=digest, label=None)


def _rsa_padding(algorithm: str, digest: hashes.HashAlgorithm) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS_"):
        # AWS KMS uses a salt as long as the digest (RFC 8017 recommendation), MGF1 with the same hash.
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()


def sign(private_key: Any, algorithm: str, message: bytes, message_type: str) -> bytes:
    """Sign as AWS KMS does; message_type was already checked against the algorithm."""
    if algorithm == "ML_DSA_SHAKE_256":
        if message_type == "EXTERNAL_MU":
            return bytes(private_key.sign_mu(message))
        return bytes(private_key.sign(message))
    if algorithm == "ED25519_SHA_512":
        return bytes(private_key.sign(message))
    if algorithm == "ED25519_PH_SHA_512":
        seed = private_key.private_bytes_raw()
        return ed25519ph_sign(seed, message)
    digest = signing_hash(algorithm)
    assert digest is not None
    chosen: Any = Prehashed(digest) if message_type == "DIGEST" else digest
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(message, _rsa_padding(algorithm, digest), chosen)
    return bytes(private_key.sign(message, ec.ECDSA(chosen)))


def verify(public_key: Any, algorithm: str, message: bytes, message_type: str, signature: bytes) -> bool:
    try:
        if algorithm == "ML_DSA_SHAKE_256":
            if message_type == "EXTERNAL_MU":
                public_key.verify_mu(signature, message)
            else:
                public_key.verify(signature, message)
            return True
        if algorithm == "ED25519_SHA_512":
            public_key.verify(signature, message)
            return True
        if algorithm == "ED25519_PH_SHA_512":
            return ed25519ph_verify(public_key.public_bytes_raw(), message, signature)
        digest = signing_hash(algorithm)
        assert digest is not None
        chosen: Any = Prehashed(digest) if message_type == "DIGEST" else digest
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, message, _rsa_padding(algorithm, digest), chosen)
        else:
            public_key.verify(signature, message, ec.ECDSA(chosen))
        return True
    except (InvalidSignature, ValueError):
        return False


def is_signing_key(key: Any) -> bool:
    return isinstance(
        key,
        rsa.RSAPrivateKey
        | ec.EllipticCurvePrivateKey
        | ed25519.Ed25519PrivateKey
        | mldsa.MLDSA44PrivateKey
        | mldsa.MLDSA65PrivateKey
        | mldsa.MLDSA87PrivateKey,
    )


# -- Ed25519ph (RFC 8032 5.1, HashEdDSA with SHA-512 and an empty context) ---------------------------------

_P = 2**255 - 19
_L = 2**252 + 27742317777372353535851937790883648493
_D = -121665 * pow(121666, _P - 2, _P) % _P
_SQRT_M1 = pow(2, (_P - 1) // 4, _P)
_DOM2_PH = b"SigEd25519 no Ed25519 collisions" + bytes([1, 0])  # phflag 1, empty context

_Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T)


def _add(p: _Point, q: _Point) -> _Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % _P
    b = (p[1] + p[0]) * (q[1] + q[0]) % _P
    c = 2 * p[3] * q[3] * _D % _P
    d = 2 * p[2] * q[2] % _P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % _P, g * h % _P, f * g % _P, e * h % _P)


def _mul(s: int, p: _Point) -> _Point:
    q: _Point = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            q = _add(q, p)
        p = _add(p, p)
        s >>= 1
    return q


def _equal(p: _Point, q: _Point) -> bool:
    return (p[0] * q[2] - q[0] * p[2]) % _P == 0 and (p[1] * q[2] - q[1] * p[2]) % _P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= _P:
        return None
    x2 = (y * y - 1) * pow(_D * y * y + 1, _P - 2, _P) % _P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (_P + 3) // 8, _P)
    if (x * x - x2) % _P != 0:
        x = x * _SQRT_M1 % _P
    if (x * x - x2) % _P != 0:
        return None
    if (x & 1) != sign:
        x = _P - x
    return x


_GY = 4 * pow(5, _P - 2, _P) % _P
_GX = _recover_x(_GY, 0) or 0
_G: _Point = (_GX, _GY, 1, _GX * _GY % _P)


def _compress(p: _Point) -> bytes:
    zinv = pow(p[2], _P - 2, _P)
    x, y = p[0] * zinv % _P, p[1] * zinv % _P
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _decompress(data: bytes) -> _Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % _P)


def _hint(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def eddsa_sign(seed: bytes, message: bytes, dom: bytes) -> bytes:
    """RFC 8032 signing; ``dom`` empty gives pure Ed25519 (used to check this code against cryptography)."""
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a = (a & ((1 << 254) - 8)) | (1 << 254)
    public = _compress(_mul(a, _G))
    r = _hint(dom, h[32:], message) % _L
    big_r = _compress(_mul(r, _G))
    k = _hint(dom, big_r, public, message) % _L
    return big_r + int.to_bytes((r + k * a) % _L, 32, "little")


def eddsa_verify(public: bytes, message: bytes, signature: bytes, dom: bytes) -> bool:
    if len(signature) != 64:
        return False
    point_a, point_r = _decompress(public), _decompress(signature[:32])
    if point_a is None or point_r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= _L:
        return False
    k = _hint(dom, signature[:32], public, message) % _L
    return _equal(_mul(s, _G), _add(point_r, _mul(k, point_a)))


def ed25519ph_sign(seed: bytes, message: bytes) -> bytes:
    return eddsa_sign(seed, hashlib.sha512(message).digest(), _DOM2_PH)


def ed25519ph_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    return eddsa_verify(public, hashlib.sha512(message).digest(), signature, _DOM2_PH)
