"""S3's flexible checksums against the standard check values and botocore's own (client-side) implementations."""

from __future__ import annotations

import base64
import hashlib
import random
import zlib

import botocore.session
import pytest
from botocore import httpchecksum

from strongroom.protocol import checksums

CHECK_INPUT = b"123456789"
# The catalogued check values of each CRC over "123456789" (reveng's CRC catalogue: CRC-32/ISO-HDLC, CRC-32/ISCSI,
# CRC-64/NVME) and the digests of the hashes.
CHECK_VALUES = {
    "CRC32": "cbf43926",
    "CRC32C": "e3069283",
    "CRC64NVME": "ae8b14860a799888",
    "SHA1": "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
    "SHA256": "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
    "MD5": "25f9e794323b453885f5181f1b624d0b",
    "SHA512": hashlib.sha512(CHECK_INPUT).hexdigest(),
}


def pieces(data: bytes, rng: random.Random) -> list[bytes]:
    out, i = [], 0
    while i < len(data):
        n = rng.randint(0, 70_000)
        out.append(data[i : i + n])
        i += n
    return out


@pytest.mark.parametrize(("algorithm", "hex_digest"), sorted(CHECK_VALUES.items()))
def test_check_values(algorithm: str, hex_digest: str) -> None:
    c = checksums.new(algorithm)
    c.update(CHECK_INPUT)
    assert c.digest().hex() == hex_digest
    assert c.b64() == base64.b64encode(bytes.fromhex(hex_digest)).decode()
    assert checksums.compute(algorithm, CHECK_INPUT) == c.b64()
    assert len(c.digest()) == checksums.DIGEST_SIZES[algorithm]


def test_algorithms_are_s3s() -> None:
    """The list is the S3 model's ChecksumAlgorithm enum, so nothing a client may send is unknown."""
    enum = botocore.session.get_session().get_service_model("s3").shape_for("ChecksumAlgorithm").enum
    assert sorted(enum) == sorted(checksums.ALGORITHMS) == sorted(checksums.DIGEST_SIZES)


@pytest.mark.parametrize("name", sorted(httpchecksum._CHECKSUM_CLS))
@pytest.mark.parametrize("seed", [1, 2])
def test_matches_botocore_incrementally(name: str, seed: int) -> None:
    """Each algorithm botocore can send, fed the same data in random pieces (including empty ones)."""
    rng = random.Random(seed)
    data = rng.randbytes(rng.randint(0, 300_000))
    theirs = httpchecksum._CHECKSUM_CLS[name]()
    ours = checksums.new(name)
    for piece in pieces(data, rng):
        theirs.update(piece)
        ours.update(memoryview(piece) if seed == 2 else piece)
    assert ours.b64() == theirs.b64digest()
    assert ours.digest() == theirs.digest()


def test_empty_input() -> None:
    assert checksums.compute("CRC32", b"") == "AAAAAA=="
    assert checksums.compute("CRC64NVME", b"") == "AAAAAAAAAAA="
    assert checksums.compute("SHA256", b"") == base64.b64encode(hashlib.sha256().digest()).decode()


def test_names_and_headers() -> None:
    assert checksums.normalize(" crc32c ") == "CRC32C"
    assert checksums.header_name("crc64nvme") == "x-amz-checksum-crc64nvme"
    for alg in checksums.ALGORITHMS:
        assert checksums.algorithm_of_header(checksums.header_name(alg)) == alg
    assert checksums.algorithm_of_header("X-Amz-Checksum-SHA256") == "SHA256"
    assert checksums.algorithm_of_header("x-amz-checksum-type") is None
    assert checksums.algorithm_of_header("x-amz-checksum-crc16") is None
    assert checksums.algorithm_of_header("content-md5") is None
    with pytest.raises(ValueError):
        checksums.new("crc16")
    with pytest.raises(ValueError):
        checksums.header_name("nope")


def test_decode_validates_base64_and_size() -> None:
    good = checksums.compute("CRC32", b"abc")
    assert checksums.decode("CRC32", good) == zlib.crc32(b"abc").to_bytes(4, "big")
    assert checksums.decode("crc32", good) is not None
    assert checksums.decode("CRC32", "AAAA") is None  # 3 bytes
    assert checksums.decode("CRC32", "not base64!") is None
    assert checksums.decode("CRC32", "AAAAAA") is None  # missing padding
    assert checksums.decode("SHA256", good) is None  # a CRC32-sized value for SHA256
    assert checksums.decode("CRC64NVME", "AAAAAAAAAAA=") == bytes(8)


def test_xxhash_is_finalized_once() -> None:
    c = checksums.new("XXHASH64")
    c.update(bytearray(b"abc"))
    first = c.digest()
    assert c.digest() == first and c.b64() == base64.b64encode(first).decode()
    with pytest.raises(ValueError):
        c.update(b"more")


# --- multipart ------------------------------------------------------------------------------------------------


def test_composite_is_the_checksum_of_the_part_checksums() -> None:
    parts = [b"a" * 5_000_000, b"b" * 5_000_000, b"tail"]
    for alg in ("CRC32", "CRC32C", "SHA1", "SHA256"):
        digests = [base64.b64decode(checksums.compute(alg, p)) for p in parts]
        expected = checksums.compute(alg, b"".join(digests))
        assert checksums.composite(alg, digests) == f"{expected}-3"
    # A hand-computed CRC32 composite, independent of the module: crc32 over the big-endian part CRCs.
    crcs = [zlib.crc32(p).to_bytes(4, "big") for p in parts]
    value = base64.b64encode(zlib.crc32(b"".join(crcs)).to_bytes(4, "big")).decode()
    assert checksums.composite("crc32", iter(crcs)) == f"{value}-3"
    with pytest.raises(ValueError):
        checksums.composite("CRC32", [])


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_combines_part_crcs(algorithm: str) -> None:
    rng = random.Random(7)
    parts = [rng.randbytes(n) for n in (5 * 1024 * 1024, 1, 0, 123_457, 64 * 1024)]
    digests = [(base64.b64decode(checksums.compute(algorithm, p)), len(p)) for p in parts]
    assert checksums.full_object(algorithm, digests) == checksums.compute(algorithm, b"".join(parts))
    assert checksums.full_object(algorithm, digests[:1]) == checksums.compute(algorithm, parts[0])


def test_full_object_refuses_hashes_and_bad_parts() -> None:
    with pytest.raises(ValueError, match="FULL_OBJECT"):
        checksums.full_object("SHA256", [(bytes(32), 1)])
    with pytest.raises(ValueError):
        checksums.full_object("CRC32", [])
    with pytest.raises(ValueError):
        checksums.full_object("CRC32", [(bytes(8), 1)])


def test_checksum_type_table() -> None:
    assert {"CRC32", "CRC32C", "CRC64NVME"} == checksums.FULL_OBJECT_ALGORITHMS
    assert "CRC64NVME" not in checksums.COMPOSITE_ALGORITHMS
    assert {"CRC32", "CRC32C", "SHA1", "SHA256"} <= checksums.COMPOSITE_ALGORITHMS
    assert checksums.DEFAULT_TYPES["CRC64NVME"] == "FULL_OBJECT"
    assert checksums.DEFAULT_TYPES["SHA256"] == "COMPOSITE"
    assert set(checksums.CHECKSUM_TYPES) == {"COMPOSITE", "FULL_OBJECT"}
