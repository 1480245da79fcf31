"""ML-KEM (FIPS 203) for the KMS key specs ML_KEM_512, ML_KEM_768 and ML_KEM_1024.

A key is kept as its 64-byte seed ``d || z`` (FIPS 203 section 7.1; the same seed ``cryptography``'s
``from_seed_bytes`` takes), and its public key is given out as DER SubjectPublicKeyInfo with the NIST OIDs, as
KMS's GetPublicKey does.

ML-KEM-768 and ML-KEM-1024 run on ``cryptography`` (OpenSSL: constant-time). ``cryptography`` has no
ML-KEM-512, so that parameter set runs on the pure-Python implementation below, which follows FIPS 203's
algorithms line by line; the unit tests check it against ``cryptography`` for 768 and 1024 (same seed, same
keys, each side decapsulating the other's ciphertexts). It is not constant-time; see docs/kms.md.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import mlkem as _openssl

SEED_LENGTH = 64
SHARED_SECRET_LENGTH = 32

_Q = 3329
_N = 256


@dataclass(frozen=True, slots=True)
class Params:
    k: int
    eta1: int
    eta2: int
    du: int
    dv: int
    oid_tail: int  # id-alg-ml-kem-{512,768,1024}: 2.16.840.1.101.3.4.4.{1,2,3}

    @property
    def public_length(self) -> int:
        return 384 * self.k + 32

    @property
    def ciphertext_length(self) -> int:
        return 32 * (self.du * self.k + self.dv)


PARAMS: dict[str, Params] = {
    "ML_KEM_512": Params(2, 3, 2, 10, 4, 1),
    "ML_KEM_768": Params(3, 2, 2, 10, 4, 2),
    "ML_KEM_1024": Params(4, 2, 2, 11, 5, 3),
}

_OPENSSL: dict[str, Any] = {"ML_KEM_768": _openssl.MLKEM768PrivateKey, "ML_KEM_1024": _openssl.MLKEM1024PrivateKey}
_OPENSSL_PUBLIC: dict[str, Any] = {"ML_KEM_768": _openssl.MLKEM768PublicKey, "ML_KEM_1024": _openssl.MLKEM1024PublicKey}


# -- the spec's building blocks (FIPS 203 sections 4.2-4.3) -----------------------------------------------


def _bitrev7(i: int) -> int:
    return int(f"{i:07b}"[::-1], 2)


_ZETAS = [pow(17, _bitrev7(i), _Q) for i in range(128)]
_GAMMAS = [pow(17, 2 * _bitrev7(i) + 1, _Q) for i in range(128)]

Poly = list[int]


def _ntt(f: Poly) -> Poly:
    f = list(f)
    i = 1
    length = 128
    while length >= 2:
        for start in range(0, _N, 2 * length):
            zeta = _ZETAS[i]
            i += 1
            for j in range(start, start + length):
                t = zeta * f[j + length] % _Q
                f[j + length] = (f[j] - t) % _Q
                f[j] = (f[j] + t) % _Q
        length //= 2
    return f


def _ntt_inverse(f: Poly) -> Poly:
    f = list(f)
    i = 127
    length = 2
    while length <= 128:
        for start in range(0, _N, 2 * length):
            zeta = _ZETAS[i]
            i -= 1
            for j in range(start, start + length):
                t = f[j]
                f[j] = (t + f[j + length]) % _Q
                f[j + length] = zeta * (f[j + length] - t) % _Q
        length *= 2
    return [x * 3303 % _Q for x in f]


def _multiply(f: Poly, g: Poly) -> Poly:
    h = [0] * _N
    for i in range(128):
        a0, a1, b0, b1 = f[2 * i], f[2 * i + 1], g[2 * i], g[2 * i + 1]
        h[2 * i] = (a0 * b0 + a1 * b1 * _GAMMAS[i]) % _Q
        h[2 * i + 1] = (a0 * b1 + a1 * b0) % _Q
    return h


def _add(f: Poly, g: Poly) -> Poly:
    return [(a + b) % _Q for a, b in zip(f, g, strict=True)]


def _sample_ntt(seed: bytes) -> Poly:
    stream = hashlib.shake_128(seed).digest(1008)  # enough for 256 coefficients with overwhelming probability
    out: Poly = []
    pos = 0
    while len(out) < _N:
        if pos + 3 > len(stream):
            stream = hashlib.shake_128(seed).digest(len(stream) * 2)
        c0, c1, c2 = stream[pos], stream[pos + 1], stream[pos + 2]
        pos += 3
        d1 = c0 + 256 * (c1 % 16)
        d2 = c1 // 16 + 16 * c2
        if d1 < _Q:
            out.append(d1)
        if d2 < _Q and len(out) < _N:
            out.append(d2)
    return out


def _bits(data: bytes) -> list[int]:
    return [(byte >> i) & 1 for byte in data for i in range(8)]


def _cbd(data: bytes, eta: int) -> Poly:
    bits = _bits(data)
    out = []
    for i in range(_N):
        x = sum(bits[2 * i * eta + j] for j in range(eta))
        y = sum(bits[2 * i * eta + eta + j] for j in range(eta))
        out.append((x - y) % _Q)
    return out


def _prf(eta: int, seed: bytes, n: int) -> bytes:
    return hashlib.shake_256(seed + bytes([n])).digest(64 * eta)


def _encode(f: Poly, d: int) -> bytes:
    acc = 0
    for i, value in enumerate(f):
        acc |= value << (i * d)
    return acc.to_bytes(32 * d, "little")


def _decode(data: bytes, d: int) -> Poly:
    acc = int.from_bytes(data, "little")
    mask = (1 << d) - 1
    values = [(acc >> (i * d)) & mask for i in range(_N)]
    return [v % _Q for v in values] if d == 12 else values


def _compress(f: Poly, d: int) -> Poly:
    return [(((x << d) + _Q // 2) // _Q) % (1 << d) for x in f]


def _decompress(f: Poly, d: int) -> Poly:
    return [(y * _Q + (1 << (d - 1))) >> d for y in f]


def _g(data: bytes) -> tuple[bytes, bytes]:
    digest = hashlib.sha3_512(data).digest()
    return digest[:32], digest[32:]


def _matrix(rho: bytes, k: int) -> list[list[Poly]]:
    return [[_sample_ntt(rho + bytes([j, i])) for j in range(k)] for i in range(k)]


# -- K-PKE and ML-KEM (FIPS 203 sections 5-6) ---------------------------------------------------------------


def _pke_keygen(p: Params, d: bytes) -> tuple[bytes, bytes]:
    rho, sigma = _g(d + bytes([p.k]))
    a = _matrix(rho, p.k)
    s = [_ntt(_cbd(_prf(p.eta1, sigma, i), p.eta1)) for i in range(p.k)]
    e = [_ntt(_cbd(_prf(p.eta1, sigma, p.k + i), p.eta1)) for i in range(p.k)]
    t = []
    for i in range(p.k):
        acc = e[i]
        for j in range(p.k):
            acc = _add(acc, _multiply(a[i][j], s[j]))
        t.append(acc)
    ek = b"".join(_encode(x, 12) for x in t) + rho
    dk = b"".join(_encode(x, 12) for x in s)
    return ek, dk


def _pke_encrypt(p: Params, ek: bytes, m: bytes, r: bytes) -> bytes:
    t = [_decode(ek[384 * i : 384 * (i + 1)], 12) for i in range(p.k)]
    a = _matrix(ek[384 * p.k :], p.k)
    y = [_ntt(_cbd(_prf(p.eta1, r, i), p.eta1)) for i in range(p.k)]
    e1 = [_cbd(_prf(p.eta2, r, p.k + i), p.eta2) for i in range(p.k)]
    e2 = _cbd(_prf(p.eta2, r, 2 * p.k), p.eta2)
    u = []
    for i in range(p.k):
        acc = [0] * _N
        for j in range(p.k):
            acc = _add(acc, _multiply(a[j][i], y[j]))
        u.append(_add(_ntt_inverse(acc), e1[i]))
    mu = _decompress(_decode(m, 1), 1)
    acc = [0] * _N
    for i in range(p.k):
        acc = _add(acc, _multiply(t[i], y[i]))
    v = _add(_add(_ntt_inverse(acc), e2), mu)
    c1 = b"".join(_encode(_compress(x, p.du), p.du) for x in u)
    return c1 + _encode(_compress(v, p.dv), p.dv)


def _pke_decrypt(p: Params, dk: bytes, c: bytes) -> bytes:
    step = 32 * p.du
    u = [_decompress(_decode(c[step * i : step * (i + 1)], p.du), p.du) for i in range(p.k)]
    v = _decompress(_decode(c[step * p.k :], p.dv), p.dv)
    s = [_decode(dk[384 * i : 384 * (i + 1)], 12) for i in range(p.k)]
    acc = [0] * _N
    for i in range(p.k):
        acc = _add(acc, _multiply(s[i], _ntt(u[i])))
    w = [(a - b) % _Q for a, b in zip(v, _ntt_inverse(acc), strict=True)]
    return _encode(_compress(w, 1), 1)


def _expanded(p: Params, seed: bytes) -> tuple[bytes, bytes]:
    """(encapsulation key, decapsulation key) from the seed d || z (ML-KEM.KeyGen_internal)."""
    d, z = seed[:32], seed[32:]
    ek, dk_pke = _pke_keygen(p, d)
    return ek, dk_pke + ek + hashlib.sha3_256(ek).digest() + z


def _py_encapsulate(p: Params, ek: bytes, m: bytes) -> tuple[bytes, bytes]:
    key, r = _g(m + hashlib.sha3_256(ek).digest())
    return key, _pke_encrypt(p, ek, m, r)


def _py_decapsulate(p: Params, dk: bytes, c: bytes) -> bytes:
    k = p.k
    dk_pke, ek = dk[: 384 * k], dk[384 * k : 768 * k + 32]
    h, z = dk[768 * k + 32 : 768 * k + 64], dk[768 * k + 64 :]
    m = _pke_decrypt(p, dk_pke, c)
    key, r = _g(m + h)
    rejected = hashlib.shake_256(z + c).digest(32)  # implicit rejection: a pseudo-random secret, never an error
    return key if hmac.compare_digest(_pke_encrypt(p, ek, m, r), c) else rejected


# -- the API KMS uses ----------------------------------------------------------------------------------------


def generate_seed() -> bytes:
    return os.urandom(SEED_LENGTH)


def public_key(spec: str, seed: bytes) -> bytes:
    """The raw encapsulation key of the key pair this seed gives."""
    if spec in _OPENSSL:
        return bytes(_OPENSSL[spec].from_seed_bytes(seed).public_key().public_bytes_raw())
    return _expanded(PARAMS[spec], seed)[0]


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def subject_public_key_info(spec: str, raw: bytes) -> bytes:
    """RFC 5280 SubjectPublicKeyInfo with id-alg-ml-kem-* and no parameters (draft-ietf-lamps-kyber-certificates)."""
    oid = bytes([0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x04, PARAMS[spec].oid_tail])
    return _der(0x30, _der(0x30, _der(0x06, oid)) + _der(0x03, b"\x00" + raw))


def public_der(spec: str, seed: bytes) -> bytes:
    return subject_public_key_info(spec, public_key(spec, seed))


def encapsulate(spec: str, public_raw: bytes) -> tuple[bytes, bytes]:
    """(shared secret, ciphertext) for the raw encapsulation key."""
    if spec in _OPENSSL_PUBLIC:
        secret, ciphertext = _OPENSSL_PUBLIC[spec].from_public_bytes(public_raw).encapsulate()
        return bytes(secret), bytes(ciphertext)
    return _py_encapsulate(PARAMS[spec], public_raw, os.urandom(32))


def decapsulate(spec: str, seed: bytes, ciphertext: bytes) -> bytes:
    """The shared secret; the caller has checked the ciphertext's length (the only error AWS answers)."""
    if spec in _OPENSSL:
        return bytes(_OPENSSL[spec].from_seed_bytes(seed).decapsulate(ciphertext))
    p = PARAMS[spec]
    return _py_decapsulate(p, _expanded(p, seed)[1], ciphertext)


def raw_public_from_der(spec: str, der: bytes) -> bytes:
    """The encapsulation key inside a SubjectPublicKeyInfo this module wrote (its last public_length bytes)."""
    return der[-PARAMS[spec].public_length :]
