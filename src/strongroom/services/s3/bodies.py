"""Object bodies in and out of the blob store: hashed and encrypted as they stream, never whole in memory.

A body is written as one blob (a segment): plaintext read from the request in pieces, hashed (MD5 for the ETag,
the object's checksum), encrypted chunk by chunk (``keyring/stream.py``: AES-256-GCM, chunks bound to the blob id
and their position) and handed to the blob store, which makes it durable before the row naming it is committed.
DSSE-KMS applies two independent AES-GCM layers to each chunk, each under its own half of the 64-byte data key.

Reads decrypt only the chunks a range covers, segment by segment.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strongroom.keyring.stream import StreamCipher
from strongroom.protocol import checksums
from strongroom.services.s3.errors import error

if TYPE_CHECKING:
    from strongroom.protocol.http import BodyStream
    from strongroom.store.blobs import BlobStore

PIECE = 1024 * 1024  # how much of a request body is read at a time


@dataclass(slots=True)
class Written:
    blob: str
    size: int
    md5: bytes
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64 digest of the plaintext


def _aad(blob: str) -> bytes:
    return f"strongroom/s3/blob/{blob}".encode()


def _cipher(data_key: bytes, blob: str) -> StreamCipher:
    """DSSE-KMS keys are 64 bytes: two independent AES-GCM layers over the same chunks; the others 32."""
    if len(data_key) == 64:
        return StreamCipher.double(data_key[:32], data_key[32:], _aad(blob))
    return StreamCipher(data_key, _aad(blob))


def write_body(
    blobs: BlobStore,
    blob: str,
    data_key: bytes,
    source: BodyStream | bytes | Iterator[bytes],
    *,
    algorithms: tuple[str, ...] = (),
    limit: int | None = None,
    md5: bool = True,
) -> Written:
    """Stream ``source`` into blob ``blob`` encrypted under ``data_key``; returns sizes and digests of the plaintext.

    Raises EntityTooLarge past ``limit`` bytes, and whatever the source raises (a bad chunk signature, a checksum
    that does not match): the blob store then keeps nothing. ``md5`` False skips the MD5 (``Written.md5`` is empty):
    only SSE-S3 ETags are the MD5 of the data, and the request's Content-MD5 is checked by its body reader. Digests
    the source computes anyway (an S3 request body's ``planned_digests``: its checksums, a signed payload's SHA256,
    Content-MD5's MD5) are taken from it once it is read to the end, not computed twice.
    """
    planned = frozenset(getattr(source, "planned_digests", ()))
    digest = hashlib.md5() if md5 and "MD5" not in planned else None
    sums = {alg: checksums.new(alg) for alg in algorithms if alg not in planned}
    size = 0

    def plaintext() -> Iterator[bytes]:
        nonlocal size
        for piece in _pieces(source):
            size += len(piece)
            if limit is not None and size > limit:
                raise error(
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    ProposedSize=str(size),
                    MaxSizeAllowed=str(limit),
                )
            if digest is not None:
                digest.update(piece)
            for s in sums.values():
                s.update(piece)
            yield piece

    blobs.write(blob, _cipher(data_key, blob).encrypt(plaintext()))
    values = {alg: s.b64() for alg, s in sums.items()}
    supplied: dict[str, str] = dict(getattr(source, "digests", None) or {}) if planned else {}
    values.update({alg: supplied[alg] for alg in algorithms if alg in planned and alg in supplied})
    md5_digest = b""
    if digest is not None:
        md5_digest = digest.digest()
    elif md5:  # planned, so there once the source was read to the end: a KeyError here is a bug, not a b"" ETag
        md5_digest = base64.b64decode(supplied["MD5"])
    return Written(blob, size, md5_digest, values)


def _pieces(source: BodyStream | bytes | Iterator[bytes]) -> Iterator[bytes]:
    if isinstance(source, bytes | bytearray):
        for i in range(0, len(source), PIECE):
            yield bytes(source[i : i + PIECE])
        return
    read = getattr(source, "read", None)
    if read is None:
        yield from source  # type: ignore[misc]
        return
    while True:
        piece = read(PIECE)
        if not piece:
            return
        yield piece


def read_segment(
    blobs: BlobStore,
    blob: str,
    data_key: bytes,
    size: int,
    start: int = 0,
    end: int | None = None,
    *,
    bound_to: str | None = None,
) -> Iterator[bytes]:
    """Plaintext ``[start, end)`` of one segment, decrypting only the chunks that cover it (one open reader)."""
    cipher = _cipher(data_key, bound_to or blob)
    reader = blobs.open_reader(blob)
    try:
        yield from cipher.decrypt_range(reader.read_at, size, start, end)
    finally:
        reader.close()


def read_segments(
    blobs: BlobStore, data_key: bytes, segments: list[dict[str, Any]], start: int, end: int
) -> Iterator[bytes]:
    """Plaintext ``[start, end)`` of an object made of ``segments`` (one per part)."""
    offset = 0
    for segment in segments:
        size = int(segment["size"])
        lo, hi = max(start, offset), min(end, offset + size)
        if lo < hi:
            # A replicated SSE-C body is its source's ciphertext: its chunks stay bound to the blob id they were
            # written under (``bound_to``), not the blob that now holds them.
            bound = segment.get("bound_to")
            yield from read_segment(blobs, segment["blob"], data_key, size, lo - offset, hi - offset, bound_to=bound)
        offset += size
        if offset >= end:
            return
