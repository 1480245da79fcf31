"""S3's flexible checksums: incremental digests, their header names, and the multipart combinations.

S3 accepts ``x-amz-checksum-<algorithm>`` (as a header or an aws-chunked trailer) and answers with the same value
base64-encoded: CRCs as their big-endian integer bytes, hashes as their digest bytes. The CRCs and xxHash come from
``awscrt`` (the AWS Common Runtime, which botocore itself uses for CRC32C, CRC64NVME and xxHash, so a value computed
here is byte for byte the one the client computed); CRC32 from ``zlib`` and the SHA family and MD5 from ``hashlib``.

A multipart object's checksum is either

- ``COMPOSITE``: the algorithm over the concatenated binary part checksums, shown as ``<base64>-<number of parts>``;
- ``FULL_OBJECT``: the checksum of the whole object, which for the CRCs is derived from the part CRCs and part
  lengths without reading the data again (CRC combination, ``awscrt.checksums.combine_*``).

``awscrt`` is imported by the first checksum that needs it (:func:`_crt`), not with this module: every server process
imports this module at start (S3's provider is built for its scheduled jobs), most never compute a CRC32C. (botocore
still imports ``awscrt.auth`` itself whenever awscrt is installed, ``botocore.compat.HAS_CRT``; this module no longer
adds to that.)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

HEADER_PREFIX: Final = "x-amz-checksum-"

# Every algorithm S3's model lists (ChecksumAlgorithm), in the model's order; the first five are the long-standing
# ones, SHA512, MD5 and the xxHash family were added to S3 later and botocore (1.44) sends them too.
ALGORITHMS: Final = (
    "CRC32",
    "CRC32C",
    "SHA1",
    "SHA256",
    "CRC64NVME",
    "SHA512",
    "MD5",
    "XXHASH64",
    "XXHASH3",
    "XXHASH128",
)

DIGEST_SIZES: Final = {
    "CRC32": 4,
    "CRC32C": 4,
    "CRC64NVME": 8,
    "SHA1": 20,
    "SHA256": 32,
    "SHA512": 64,
    "MD5": 16,
    "XXHASH64": 8,
    "XXHASH3": 8,
    "XXHASH128": 16,
}

CHECKSUM_TYPES: Final = ("COMPOSITE", "FULL_OBJECT")
# Which multipart checksum types S3 allows per algorithm (User Guide, "Checking object integrity": CRC64NVME is
# full-object only, the SHAs composite only, CRC32/CRC32C either). The algorithms added later are not in that table;
# they are treated like the hashes (composite only), since no combination exists for them.
FULL_OBJECT_ALGORITHMS: Final = frozenset({"CRC32", "CRC32C", "CRC64NVME"})
COMPOSITE_ALGORITHMS: Final = frozenset(ALGORITHMS) - {"CRC64NVME"}
# The type S3 uses when CreateMultipartUpload names an algorithm but no type.
DEFAULT_TYPES: Final = {alg: ("FULL_OBJECT" if alg == "CRC64NVME" else "COMPOSITE") for alg in ALGORITHMS}


class Checksum(Protocol):
    """An incremental checksum; ``digest``/``b64`` do not end it, so more data may follow."""

    algorithm: str

    def update(self, data: bytes | bytearray | memoryview) -> None: ...

    def digest(self) -> bytes: ...

    def b64(self) -> str: ...


class _Crc:
    """A CRC kept as an integer and continued with each update (the awscrt/zlib calling convention)."""

    __slots__ = ("_fn", "_size", "_value", "algorithm")

    def __init__(self, algorithm: str, fn: Callable[[bytes, int], int], size: int) -> None:
        self.algorithm = algorithm
        self._fn = fn
        self._size = size
        self._value = 0

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self._value = self._fn(data, self._value)  # type: ignore[arg-type]  # both accept any buffer

    def digest(self) -> bytes:
        return self._value.to_bytes(self._size, "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _Hash:
    """A hashlib or awscrt-xxHash object behind the Checksum interface."""

    __slots__ = ("_h", "algorithm")

    def __init__(self, algorithm: str, h: hashlib._Hash) -> None:
        self.algorithm = algorithm
        self._h = h

    def update(self, data: bytes | bytearray | memoryview) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


class _XxHash:
    """awscrt's xxHash. Its ``finalize`` ends the state, so the first digest is kept and later updates refused."""

    __slots__ = ("_done", "_h", "algorithm")

    def __init__(self, algorithm: str, factory: Callable[[], Any]) -> None:
        self.algorithm = algorithm
        self._h = factory()
        self._done: bytes | None = None

    def update(self, data: bytes | bytearray | memoryview) -> None:
        if self._done is not None:
            raise ValueError(f"{self.algorithm} checksum already finalized")
        if data:
            # awscrt's binding only takes read-only bytes (not bytearray/memoryview).
            self._h.update(data if isinstance(data, bytes) else bytes(data))

    def digest(self) -> bytes:
        if self._done is None:
            self._done = self._h.finalize()
        return self._done

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode("ascii")


def _crc32(data: bytes, previous: int) -> int:
    return zlib.crc32(data, previous)


def _crt() -> Any:
    """``awscrt.checksums``, imported on first use: awscrt is a 12 MB native library (a few MB resident per process).

    The import statement is thread-safe (the import lock), and a no-op lookup once done.
    """
    from awscrt import checksums

    return checksums


def normalize(algorithm: str) -> str:
    """The model's spelling of an algorithm name given in any case ("crc32c" -> "CRC32C"); ValueError if unknown."""
    alg = algorithm.strip().upper()
    if alg not in DIGEST_SIZES:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}")
    return alg


def new(algorithm: str) -> Checksum:
    """A fresh incremental checksum for ``algorithm`` (any case)."""
    alg = normalize(algorithm)
    if alg == "CRC32":
        return _Crc(alg, _crc32, 4)
    if alg == "CRC32C":
        return _Crc(alg, _crt().crc32c, 4)
    if alg == "CRC64NVME":
        return _Crc(alg, _crt().crc64nvme, 8)
    if alg == "XXHASH64":
        return _XxHash(alg, _crt().XXHash.new_xxhash64)
    if alg == "XXHASH3":
        return _XxHash(alg, _crt().XXHash.new_xxhash3_64)
    if alg == "XXHASH128":
        return _XxHash(alg, _crt().XXHash.new_xxhash3_128)
    if alg == "MD5":
        return _Hash(alg, hashlib.md5(usedforsecurity=False))
    return _Hash(alg, hashlib.new(alg.lower()))


def compute(algorithm: str, data: bytes | bytearray | memoryview) -> str:
    """The base64 checksum of ``data``, as S3 shows it."""
    c = new(algorithm)
    c.update(data)
    return c.b64()


def header_name(algorithm: str) -> str:
    """``CRC32`` -> ``x-amz-checksum-crc32`` (the header and trailer name)."""
    return HEADER_PREFIX + normalize(algorithm).lower()


def algorithm_of_header(name: str) -> str | None:
    """``x-amz-checksum-crc32c`` (any case) -> ``CRC32C``; None for any other name, e.g. ``x-amz-checksum-type``."""
    lname = name.strip().lower()
    if not lname.startswith(HEADER_PREFIX):
        return None
    alg = lname[len(HEADER_PREFIX) :].upper()
    return alg if alg in DIGEST_SIZES else None


def decode(algorithm: str, value: str) -> bytes | None:
    """The digest bytes of a base64 checksum value, or None when it is not valid base64 of the algorithm's size.

    S3 answers such a value with InvalidRequest "Value for x-amz-checksum-<alg> header is invalid." before reading
    the body, so callers check it up front rather than as a mismatch.
    """
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == DIGEST_SIZES[normalize(algorithm)] else None


def composite(algorithm: str, part_digests: Iterable[bytes]) -> str:
    """S3's COMPOSITE multipart checksum: the algorithm over the concatenated part digests, then ``-<parts>``."""
    c = new(algorithm)
    count = 0
    for digest in part_digests:
        c.update(digest)
        count += 1
    if count == 0:
        raise ValueError("a composite checksum needs at least one part")
    return f"{c.b64()}-{count}"


# algorithm -> the name of its ``awscrt.checksums`` combination function (looked up when first needed, see _crt)
_COMBINE: Final = {"CRC32": "combine_crc32", "CRC32C": "combine_crc32c", "CRC64NVME": "combine_crc64nvme"}


def full_object(algorithm: str, parts: Iterable[tuple[bytes, int]]) -> str:
    """S3's FULL_OBJECT multipart checksum from ``(part digest, part length)`` pairs, for the CRC algorithms.

    CRC(A || B) is a function of CRC(A), CRC(B) and len(B), so the whole object's CRC follows from the parts' without
    rereading them; the result equals ``compute(algorithm, whole_object)``. Hashes have no such property: ValueError.
    """
    alg = normalize(algorithm)
    combine_name = _COMBINE.get(alg)
    if combine_name is None:
        raise ValueError(f"{alg} has no full-object combination; S3 allows FULL_OBJECT only for CRC algorithms")
    combine: Callable[[int, int, int], int] = getattr(_crt(), combine_name)
    size = DIGEST_SIZES[alg]
    value: int | None = None
    for digest, length in parts:
        if len(digest) != size:
            raise ValueError(f"a {alg} part digest has {size} bytes, not {len(digest)}")
        crc = int.from_bytes(digest, "big")
        value = crc if value is None else combine(value, crc, length)
    if value is None:
        raise ValueError("a full-object checksum needs at least one part")
    return base64.b64encode(value.to_bytes(size, "big")).decode("ascii")
