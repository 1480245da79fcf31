"""Authenticated encryption of a byte stream in fixed-size chunks, with random access for range reads.

S3 object bodies are too large to seal in one AEAD call (a 5 GiB body would have to sit in memory, and a one-byte
range GET would have to decrypt all of it), so they are cut into ``CHUNK_SIZE`` plaintext chunks, each sealed on its
own with AES-256-GCM. Sealing chunks independently opens attacks that one AEAD call would not: reordering, dropping,
duplicating or truncating chunks, or splicing chunks from another object. The STREAM construction (Hoang,
Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015)
closes them by putting the chunk's index and a "last chunk" flag in its nonce: a chunk only verifies at the position it
was written at, and only the real last chunk verifies as the last one, so a stream cut at a chunk boundary fails.

The layout follows Tink's ``AesGcmHkdfStreaming``::

    header  = version (1 byte) || salt (32 random bytes)
    subkey  = HKDF-SHA256(key, salt, info = label || layer || aad)
    record  = AES-256-GCM(subkey, nonce = index (11 bytes, big-endian) || last (1 byte), chunk)   # chunk + 16-byte tag
    stream  = header || record_0 || ... || record_n        (the empty stream is the header and one empty last record)

Why a random salt and a derived subkey rather than using the caller's key directly: the caller's key is not always
unique to one object (an SSE-C customer sends the same key for many objects), and counter nonces under a reused key
would repeat across objects, which breaks GCM outright. A fresh 256-bit salt per stream makes every stream's subkey
unique, so deterministic (index, last) nonces are safe and no nonce has to be stored per chunk. The caller's ``aad``
(the object's identity: bucket, key, version) goes into the HKDF ``info`` rather than GCM's associated data: a
chunk or a whole blob moved to another object then fails for the same reason a wrong key would, and every chunk is
bound to it without re-hashing it for each chunk.

DSSE-KMS (two independent layers of encryption) is ``StreamCipher.double``: each chunk is sealed under the first
subkey and the result again under the second, with the same chunk boundaries, so a range read still reads and
decrypts only the chunks it covers (two nested ``StreamCipher`` streams would not align: each inner record is 16 bytes
longer than an outer chunk, so a range would straddle outer chunks). The two keys must differ: two GCM layers with the
same key and nonce cancel each other's keystream and leave the plaintext exposed, which is also why the layer number
is part of each subkey's derivation.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.keyring.seal import UnwrapError

# 64 KiB, by measurement on the 2-core reference machine (AES-NI; 256 MB streams, best of 3): 64 KiB / 256 KiB /
# 1 MiB chunks encrypt at ~4.6 / 5.7 / 3.4 GB/s and decrypt at ~2.6 / 2.9 / 2.6 GB/s, all far above what a request
# moves, while a 100-byte range GET costs ~40 us / ~100 us / ~1.5 ms, as it decrypts whole chunks. Tags cost 16
# bytes per chunk (0.02%). Part of the format: a new size needs a new version byte, for blobs keep the size they
# were written with.
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
SALT_SIZE = 32
# How much ciphertext ``decrypt_range`` asks ``read_at`` for at once: one call per chunk would be a pread per 64 KiB
# (fine) but an HTTP request per 64 KiB on a remote blob store (not fine).
READ_SIZE = 1024 * 1024

_SINGLE = 0x01  # one AES-256-GCM layer
_DOUBLE = 0x02  # two layers (DSSE)
_HEADER_SIZE = 1 + SALT_SIZE
_LABEL = b"strongroom stream v1\x00"
_MAX_INDEX = 1 << 88  # the index takes 11 of the nonce's 12 bytes


class StreamIntegrityError(UnwrapError):
    """The stored ciphertext failed authentication: tampered, reordered, truncated, extended, or another object's."""


def _nonce(index: int, last: bool) -> bytes:
    if index >= _MAX_INDEX:
        raise ValueError("stream too long")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _derive(keys: tuple[bytes, ...], salt: bytes, aad: bytes) -> tuple[AESGCM, ...]:
    return tuple(
        AESGCM(HKDF(algorithm=SHA256(), length=32, salt=salt, info=_LABEL + bytes([layer]) + aad).derive(key))
        for layer, key in enumerate(keys)
    )


# A stored body's layers, kept for its next reads: a small object's GET spent a tenth of its decryption in HKDF.
# Only reads are cached (an encryption's salt is new every time), and only the last 1,024 bodies read, in memory
# as the keys they derive from are for the duration of a read.
_derived_for_reading = lru_cache(maxsize=1024)(_derive)


class StreamCipher:
    """Chunked AES-256-GCM (the STREAM construction) of one object's body, bound to ``aad``.

    One instance can encrypt any number of streams (each gets its own random salt) and decrypt any range of them.
    """

    def __init__(self, key: bytes, aad: bytes) -> None:
        self._init((key,), aad)

    @classmethod
    def double(cls, key: bytes, second_key: bytes, aad: bytes) -> StreamCipher:
        """Two independent layers (DSSE-KMS): each chunk sealed under ``key``, then under ``second_key``."""
        if key == second_key:
            raise ValueError("the two layers of a double stream need different keys")
        self = cls.__new__(cls)
        self._init((key, second_key), aad)
        return self

    def _init(self, keys: tuple[bytes, ...], aad: bytes) -> None:
        for key in keys:
            if len(key) != 32:
                raise ValueError("a stream key is 32 bytes (AES-256)")
        self._keys = keys
        self._aad = bytes(aad)
        self._version = _SINGLE if len(keys) == 1 else _DOUBLE
        self._overhead = TAG_SIZE * len(keys)

    def _layers(self, salt: bytes) -> list[AESGCM]:
        return list(_derive(self._keys, salt, self._aad))

    # ---- sizes -------------------------------------------------------------------------------------------------

    @staticmethod
    def _chunks(plaintext_size: int) -> int:
        return max(1, -(-plaintext_size // CHUNK_SIZE))

    def ciphertext_size(self, plaintext_size: int) -> int:
        """The stored size of a ``plaintext_size``-byte body: header, plus a tag (or two) per chunk."""
        if plaintext_size < 0:
            raise ValueError("negative size")
        return _HEADER_SIZE + plaintext_size + self._chunks(plaintext_size) * self._overhead

    def plaintext_size(self, ciphertext_size: int) -> int:
        """The body size of a stored stream; ValueError when no body encrypts to ``ciphertext_size`` bytes."""
        body = ciphertext_size - _HEADER_SIZE
        full, rest = divmod(body, CHUNK_SIZE + self._overhead)
        size = full * CHUNK_SIZE + max(0, rest - self._overhead)
        if body < self._overhead or self.ciphertext_size(size) != ciphertext_size:
            raise ValueError(f"{ciphertext_size} is not the size of a stream")
        return size

    # ---- encryption ----------------------------------------------------------------------------------------------

    def encrypt(self, chunks: Iterable[bytes | bytearray | memoryview]) -> Iterator[bytes]:
        """Yield the stream's header, then one record per ``CHUNK_SIZE`` bytes of the concatenated ``chunks``.

        Input pieces may have any sizes. Memory stays at one input piece plus one chunk: a full chunk is held back
        until more input shows it is not the last one (its nonce says which), so a body that ends on a chunk
        boundary has no extra empty record.
        """
        salt = os.urandom(SALT_SIZE)
        layers = self._layers(salt)

        def seal(data: bytes | bytearray | memoryview, index: int, last: bool) -> bytes:
            nonce = _nonce(index, last)
            for aead in layers:
                data = aead.encrypt(nonce, data, None)
            return bytes(data)

        yield bytes([self._version]) + salt
        buf = bytearray()  # at most CHUNK_SIZE bytes not sealed yet
        index = 0
        for piece in chunks:
            view = memoryview(piece)
            size = len(view)
            if not size:
                continue
            pos = 0
            if len(buf) == CHUNK_SIZE:  # more input follows, so the held-back chunk is not the last one
                yield seal(buf, index, False)
                index += 1
                buf.clear()
            if buf:
                pos = min(CHUNK_SIZE - len(buf), size)
                buf += view[:pos]
                if pos < size:  # buf is full and input remains
                    yield seal(buf, index, False)
                    index += 1
                    buf.clear()
            while size - pos > CHUNK_SIZE:  # whole chunks straight from the input, without copying into buf
                yield seal(view[pos : pos + CHUNK_SIZE], index, False)
                index += 1
                pos += CHUNK_SIZE
            buf += view[pos:]
        yield seal(buf, index, True)

    # ---- decryption ----------------------------------------------------------------------------------------------

    def decrypt_range(
        self,
        read_at: Callable[[int, int], bytes],
        plaintext_size: int,
        start: int = 0,
        end: int | None = None,
        *,
        read_size: int = READ_SIZE,
    ) -> Iterator[bytes]:
        """Yield exactly ``plaintext[start:end]``, reading (``read_at(offset, length)``) only the records covering it.

        ``plaintext_size`` is the body's size as recorded at write time. Every record read is authenticated before
        any of its bytes are yielded; StreamIntegrityError on any failure. When the range reaches the last chunk the
        stored blob's length is checked too (one byte more is asked for), so a truncated or extended blob fails; a
        range that stops earlier reads, and vouches for, only its own chunks. The empty stream's one record is
        always read, so even reading nothing of an empty body verifies it.
        """
        end = plaintext_size if end is None else end
        if not 0 <= start <= end <= plaintext_size:  # checked now, not at the first next()
            raise ValueError(f"range {start}:{end} is not within a {plaintext_size}-byte body")
        if start == end and plaintext_size:
            return iter(())
        return self._decrypt(read_at, plaintext_size, start, end, read_size)

    def _decrypt(
        self, read_at: Callable[[int, int], bytes], plaintext_size: int, start: int, end: int, read_size: int
    ) -> Iterator[bytes]:
        last = self._chunks(plaintext_size) - 1
        first, final = start // CHUNK_SIZE, max(start, end - 1) // CHUNK_SIZE
        record = CHUNK_SIZE + self._overhead
        per_read = max(1, read_size // record)

        header: bytes | None = None
        if first:
            header = read_at(0, _HEADER_SIZE)
            layers = self._check_header(header)
        index = first
        while index <= final:
            upto = min(final, index + per_read - 1)  # records index..upto in one read
            offset = _HEADER_SIZE + index * record
            length = (upto - index) * record + self._record_size(upto, last, plaintext_size)
            if header is None:  # the first record: the header comes with it in the same read
                offset, length = 0, length + offset
            data = read_at(offset, length + 1 if upto == last else length)
            if len(data) > length:
                raise StreamIntegrityError("the stored stream is longer than its recorded size")
            if len(data) < length:
                raise StreamIntegrityError("the stored stream is shorter than its recorded size")
            view = memoryview(data)
            if header is None:
                header = bytes(view[:_HEADER_SIZE])
                layers = self._check_header(header)
                view = view[_HEADER_SIZE:]
            for i in range(index, upto + 1):
                at = (i - index) * record
                plain = self._open(layers, view[at : at + self._record_size(i, last, plaintext_size)], i, i == last)
                lo = start - i * CHUNK_SIZE if i == first else 0
                hi = end - i * CHUNK_SIZE if i == final else len(plain)
                if lo < hi:
                    yield plain if (lo, hi) == (0, len(plain)) else plain[lo:hi]
            index = upto + 1

    def decrypt(self, blob: bytes) -> bytes:
        """The whole body of a stream held in memory (small objects, tests)."""
        try:
            size = self.plaintext_size(len(blob))
        except ValueError:
            raise StreamIntegrityError(f"no stream is {len(blob)} bytes long") from None
        return b"".join(self.decrypt_range(lambda offset, length: blob[offset : offset + length], size))

    def _record_size(self, index: int, last: int, plaintext_size: int) -> int:
        if index < last:
            return CHUNK_SIZE + self._overhead
        return plaintext_size - last * CHUNK_SIZE + self._overhead

    def _check_header(self, header: bytes) -> list[AESGCM]:
        if len(header) != _HEADER_SIZE:
            raise StreamIntegrityError("the stored stream is shorter than its header")
        if header[0] != self._version:
            raise StreamIntegrityError(f"unknown stream format {header[0]:#04x}")
        return list(_derived_for_reading(self._keys, bytes(header[1:]), self._aad))

    @staticmethod
    def _open(layers: list[AESGCM], data: memoryview, index: int, last: bool) -> bytes:
        nonce = _nonce(index, last)
        out: bytes | memoryview = data
        try:
            for aead in reversed(layers):
                out = aead.decrypt(nonce, out, None)
        except InvalidTag:
            raise StreamIntegrityError(f"chunk {index} of the stream failed authentication") from None
        return bytes(out)
