"""JA3 and JA4 TLS client fingerprints, computed from a parsed ClientHello (pure; no I/O).

AWS WAF's ``JA3Fingerprint`` / ``JA4Fingerprint`` fields inspect these strings. The server's TLS listener reads the
ClientHello fields with OpenSSL's accessors (``server/tls_hello.py``) and hands them here.

- **JA3** (John Althouse, Salesforce): MD5 of
  ``SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats``, values in decimal joined
  with ``-``, extensions in the order sent, GREASE values (RFC 8701, ``0x?a?a``) removed.
- **JA4** (FoxIO, the TLS client fingerprint, BSD-3-Clause): ``t13d1516h2_8daaf6152771_e5627efa2ab1`` — protocol,
  version (the highest non-GREASE supported_versions entry, else the legacy version), ``d``/``i`` (SNI present or
  not), two-digit cipher and extension counts (GREASE excluded), the first and last characters of the first ALPN
  value (``00`` without ALPN), then the first 12 hex digits of SHA-256 over the sorted ciphers, and over the sorted
  extensions without SNI (0) and ALPN (16) followed by ``_`` and the signature algorithms in the order sent.

Written here rather than taken from a package: the pure computation is a few dozen lines over fields OpenSSL has
already parsed, while the PyPI packages found (``ja4plus`` and others) parse packet captures or impersonate clients.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

EXT_SERVER_NAME = 0
EXT_SUPPORTED_GROUPS = 10
EXT_EC_POINT_FORMATS = 11
EXT_SIGNATURE_ALGORITHMS = 13
EXT_ALPN = 16
EXT_SUPPORTED_VERSIONS = 43

_JA4_VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}
_EMPTY_HASH = "000000000000"


def is_grease(value: int) -> bool:
    """RFC 8701's reserved values 0x0A0A, 0x1A1A, ... 0xFAFA."""
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


@dataclass(frozen=True, slots=True)
class ClientHello:
    """The ClientHello fields both fingerprints use, as sent (GREASE values included; they are dropped here)."""

    legacy_version: int
    ciphers: Sequence[int]
    extensions: Sequence[int]
    supported_groups: Sequence[int] = ()
    ec_point_formats: Sequence[int] = ()
    signature_algorithms: Sequence[int] = ()
    alpn: Sequence[bytes] = ()
    supported_versions: Sequence[int] = ()
    transport: str = field(default="t")  # t: TCP, q: QUIC, d: DTLS


def _clean(values: Sequence[int]) -> list[int]:
    return [v for v in values if not is_grease(v)]


def ja3_string(hello: ClientHello) -> str:
    parts = (
        [hello.legacy_version],
        _clean(hello.ciphers),
        _clean(hello.extensions),
        _clean(hello.supported_groups),
        list(hello.ec_point_formats),
    )
    return ",".join("-".join(str(v) for v in part) for part in parts)


def ja3(hello: ClientHello) -> str:
    return hashlib.md5(ja3_string(hello).encode(), usedforsecurity=False).hexdigest()


def _hash12(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else _EMPTY_HASH


def _alpn_chars(alpn: Sequence[bytes]) -> str:
    if not alpn or not alpn[0]:
        return "00"
    first = alpn[0]
    a, b = chr(first[0]), chr(first[-1])
    if a.isascii() and a.isalnum() and b.isascii() and b.isalnum():
        return a + b
    hexed = first.hex()
    return hexed[0] + hexed[-1]


def ja4(hello: ClientHello) -> str:
    ciphers = _clean(hello.ciphers)
    extensions = _clean(hello.extensions)
    versions = _clean(hello.supported_versions)
    version = max(versions) if versions else hello.legacy_version
    head = (
        hello.transport
        + _JA4_VERSIONS.get(version, "00")
        + ("d" if EXT_SERVER_NAME in extensions else "i")
        + f"{min(len(ciphers), 99):02d}"
        + f"{min(len(extensions), 99):02d}"
        + _alpn_chars(hello.alpn)
    )
    cipher_hash = _hash12(",".join(f"{c:04x}" for c in sorted(ciphers)))
    kept = sorted(e for e in extensions if e not in (EXT_SERVER_NAME, EXT_ALPN))
    text = ",".join(f"{e:04x}" for e in kept)
    algorithms = _clean(hello.signature_algorithms)
    if algorithms:
        text += "_" + ",".join(f"{s:04x}" for s in algorithms)
    return f"{head}_{cipher_hash}_{_hash12(text) if kept or algorithms else _EMPTY_HASH}"


# -- ClientHello extension bodies (the bytes OpenSSL's SSL_client_hello_get0_ext gives) ----------------------------


def _u16_list(data: bytes, length_size: int) -> list[int]:
    if len(data) < length_size:
        return []
    n = int.from_bytes(data[:length_size], "big")
    body = data[length_size : length_size + n]
    return [int.from_bytes(body[i : i + 2], "big") for i in range(0, len(body) - 1, 2)]


def parse_u16_vector(data: bytes) -> list[int]:
    """supported_groups, signature_algorithms: a 2-byte length, then 2-byte values."""
    return _u16_list(data, 2)


def parse_supported_versions(data: bytes) -> list[int]:
    """supported_versions in a ClientHello: a 1-byte length, then 2-byte versions."""
    return _u16_list(data, 1)


def parse_point_formats(data: bytes) -> list[int]:
    """ec_point_formats: a 1-byte length, then 1-byte formats."""
    return list(data[1 : 1 + data[0]]) if data else []


def parse_alpn(data: bytes) -> list[bytes]:
    """ALPN: a 2-byte list length, then 1-byte-length-prefixed protocol names."""
    out: list[bytes] = []
    if len(data) < 2:
        return out
    body, i = data[2 : 2 + int.from_bytes(data[:2], "big")], 0
    while i < len(body):
        n = body[i]
        out.append(body[i + 1 : i + 1 + n])
        i += 1 + n
    return out


def parse_ciphers(data: bytes) -> list[int]:
    """The cipher_suites bytes (no length prefix, as SSL_client_hello_get0_ciphers gives them)."""
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]
