"""keyring.stream: chunked AES-256-GCM (STREAM) round trips, range reads, tampering, DSSE layers and memory."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import psutil
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.keyring.seal import UnwrapError
from strongroom.keyring.stream import CHUNK_SIZE, SALT_SIZE, TAG_SIZE, StreamCipher, StreamIntegrityError

C = CHUNK_SIZE
HEADER = 1 + SALT_SIZE
RECORD = C + TAG_SIZE
KEY = bytes(range(32))
KEY2 = bytes(range(32, 64))
AAD = b"bucket\x00key\x00v1"

# Pinned ciphertexts (key KEY, aad AAD): the stored format must stay readable by every later version.
VECTORS = [
    (
        "single, 99 bytes",
        StreamCipher(KEY, AAD),
        b"Strongroom " * 9,
        "010810927d266a5ea6b103bb94b6ec82398f81dc4b0e83146e6443e610660da27c88accfa92e4398b3556b36fa63fa22609f5d0ce4"
        "bb98c62f0ee045ae502388170ad7cf9c4e0dc2854ffc8e4da3fbcee8eaa5832f89cdcdce594e9e0912fdffbcf6e1502384e78a619c"
        "2a11c27ae02af1602f299c68116fd4770b7d036cc560447afa4f1b73e51b589a62d04b19c1cf569edde1",
    ),
    (
        "single, empty",
        StreamCipher(KEY, AAD),
        b"",
        "0188bbf8d879b458783034f22995125a0aaf83cfd0919c88be6947b442b29f7e8c30265a618d020cbc13e4abb26231188f",
    ),
    (
        "double, 4 bytes",
        StreamCipher.double(KEY, KEY2, AAD),
        b"DSSE",
        "026e0b8dfcc15c315f0c098b34cba8da3202be2a377db55b042ad70be550f5012dca4e8712276bcdb876b966a3eeafaa0297313d94"
        "52c095a8242add7b9cef21d2ca7bca5c",
    ),
]


def _encrypt(cipher: StreamCipher, data: bytes, piece: int = 100_000) -> bytes:
    return b"".join(cipher.encrypt(data[i : i + piece] for i in range(0, len(data), piece)))


def _reader(blob: bytes, log: list[tuple[int, int]] | None = None) -> Callable[[int, int], bytes]:
    def read_at(offset: int, length: int) -> bytes:
        if log is not None:
            log.append((offset, length))
        return blob[offset : offset + length]

    return read_at


def _read(cipher: StreamCipher, blob: bytes, size: int, start: int = 0, end: int | None = None) -> bytes:
    return b"".join(cipher.decrypt_range(_reader(blob), size, start, end))


def _records(blob: bytes) -> tuple[bytes, list[bytes]]:
    body = blob[HEADER:]
    return blob[:HEADER], [body[i : i + RECORD] for i in range(0, len(body), RECORD)]


# -- round trips ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size,piece",
    [
        (size, piece)
        for size in (0, 1, C - 1, C, C + 1, 2 * C, 5 * 1024 * 1024 + 3)
        for piece in (1, 4096, C, 3 * C + 7, 1 << 30)
        if piece > 1 or size <= 2 * C  # byte-at-a-time input only for the small sizes
    ],
)
def test_round_trip(size: int, piece: int) -> None:
    data = os.urandom(size)
    cipher = StreamCipher(os.urandom(32), AAD)
    blob = _encrypt(cipher, data, piece)
    assert len(blob) == cipher.ciphertext_size(size)
    assert cipher.plaintext_size(len(blob)) == size
    assert _read(cipher, blob, size) == data
    assert cipher.decrypt(blob) == data


def test_records_have_fixed_size_and_the_empty_stream_has_one() -> None:
    cipher = StreamCipher(KEY, AAD)
    assert cipher.ciphertext_size(0) == HEADER + TAG_SIZE
    assert cipher.ciphertext_size(C) == HEADER + RECORD  # no extra empty record at a chunk boundary
    assert cipher.ciphertext_size(C + 1) == HEADER + RECORD + 1 + TAG_SIZE
    records = list(cipher.encrypt(iter([b"x" * C, b"", b"y" * (C + 5)])))
    assert [len(r) for r in records] == [HEADER, RECORD, RECORD, 5 + TAG_SIZE]
    assert [len(r) for r in cipher.encrypt(iter(()))] == [HEADER, TAG_SIZE]


def test_inputs_may_be_any_bytes_like() -> None:
    cipher = StreamCipher(KEY, AAD)
    blob = b"".join(cipher.encrypt([bytearray(b"ab"), memoryview(b"cd"), b"e" * C]))
    assert cipher.decrypt(blob) == b"abcd" + b"e" * C


def test_each_stream_has_its_own_salt() -> None:
    cipher = StreamCipher(KEY, AAD)
    assert _encrypt(cipher, b"same") != _encrypt(cipher, b"same")


@pytest.mark.parametrize("name,cipher,plain,hexblob", VECTORS, ids=[v[0] for v in VECTORS])
def test_pinned_vectors(name: str, cipher: StreamCipher, plain: bytes, hexblob: str) -> None:
    assert cipher.decrypt(bytes.fromhex(hexblob)) == plain


def test_layout_matches_the_documented_construction() -> None:
    """An independent decryption from the module docstring's layout, with the primitives alone."""
    data = os.urandom(2 * C + 10)
    blob = _encrypt(StreamCipher(KEY, AAD), data)
    header, records = _records(blob)
    assert header[0] == 1
    subkey = HKDF(SHA256(), 32, header[1:], b"strongroom stream v1\x00" + b"\x00" + AAD).derive(KEY)
    aead = AESGCM(subkey)
    out = b"".join(
        aead.decrypt(i.to_bytes(11, "big") + bytes([i == len(records) - 1]), rec, None) for i, rec in enumerate(records)
    )
    assert out == data


# -- ranges --------------------------------------------------------------------------------------------------------


def test_every_range_boundary() -> None:
    size = 3 * C + 5
    data = os.urandom(size)
    cipher = StreamCipher(KEY, AAD)
    blob = _encrypt(cipher, data)
    points = sorted({0, 1, C - 1, C, C + 1, 2 * C - 1, 2 * C, 2 * C + 1, 3 * C - 1, 3 * C, 3 * C + 1, size - 1, size})
    for start in points:
        for end in points:
            if start <= end:
                assert _read(cipher, blob, size, start, end) == data[start:end], (start, end)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(0, 4 * C + 100),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    pieces=st.lists(st.integers(1, 3 * C), min_size=1, max_size=8),
    read_size=st.sampled_from([1, RECORD, 3 * RECORD - 1, 1 << 20]),
)
def test_any_range_of_any_split(size: int, cut: tuple[float, float], pieces: list[int], read_size: int) -> None:
    data = os.urandom(size)
    chunks: list[bytes] = []
    at = 0
    while at < size:
        step = pieces[len(chunks) % len(pieces)]
        chunks.append(data[at : at + step])
        at += step
    cipher = StreamCipher(KEY, AAD)
    blob = b"".join(cipher.encrypt(chunks))
    start, end = sorted(int(f * size) for f in cut)
    got = b"".join(cipher.decrypt_range(_reader(blob), size, start, end, read_size=read_size))
    assert got == data[start:end]


def test_a_range_reads_only_the_records_covering_it() -> None:
    size = 40 * C
    cipher = StreamCipher(KEY, AAD)
    blob = _encrypt(cipher, os.urandom(size))
    log: list[tuple[int, int]] = []
    out = b"".join(cipher.decrypt_range(_reader(blob, log), size, 10 * C + 3, 12 * C - 1))
    assert len(out) == 2 * C - 4
    assert log == [(0, HEADER), (HEADER + 10 * RECORD, 2 * RECORD)]


def test_reads_are_batched_by_read_size() -> None:
    size = 10 * C
    cipher = StreamCipher(KEY, AAD)
    blob = _encrypt(cipher, os.urandom(size))
    log: list[tuple[int, int]] = []
    b"".join(cipher.decrypt_range(_reader(blob, log), size, read_size=4 * RECORD))
    # header with the first batch; the batch holding the last record asks one byte more (extension check)
    assert log == [(0, HEADER + 4 * RECORD), (HEADER + 4 * RECORD, 4 * RECORD), (HEADER + 8 * RECORD, 2 * RECORD + 1)]


def test_an_empty_range_of_a_body_reads_nothing_but_an_empty_body_is_verified() -> None:
    cipher = StreamCipher(KEY, AAD)
    blob = _encrypt(cipher, b"abc")
    log: list[tuple[int, int]] = []
    assert list(cipher.decrypt_range(_reader(blob, log), 3, 1, 1)) == [] and log == []
    empty = _encrypt(cipher, b"")
    assert list(cipher.decrypt_range(_reader(empty, log), 0)) == [] and log
    with pytest.raises(StreamIntegrityError):
        list(cipher.decrypt_range(_reader(empty[:-1] + bytes([empty[-1] ^ 1])), 0))


@pytest.mark.parametrize("start,end", [(-1, 2), (2, 1), (0, 11), (11, 11)])
def test_ranges_outside_the_body_are_refused(start: int, end: int) -> None:
    cipher = StreamCipher(KEY, AAD)
    blob = _encrypt(cipher, b"0123456789")
    with pytest.raises(ValueError):
        cipher.decrypt_range(_reader(blob), 10, start, end)  # at the call, before any iteration


@pytest.mark.parametrize(
    "bad", [-1, 0, HEADER - 1, HEADER, HEADER + TAG_SIZE - 1, HEADER + RECORD + 1, HEADER + RECORD + TAG_SIZE]
)
def test_sizes_that_no_stream_has_are_refused(bad: int) -> None:
    with pytest.raises(ValueError):
        StreamCipher(KEY, AAD).plaintext_size(bad)


def test_decrypt_of_a_blob_of_impossible_length_is_an_integrity_error() -> None:
    cipher = StreamCipher(KEY, AAD)
    with pytest.raises(StreamIntegrityError):
        cipher.decrypt(_encrypt(cipher, b"x" * C) + b"\x00" * TAG_SIZE)


def test_plaintext_size_inverts_ciphertext_size() -> None:
    for cipher in (StreamCipher(KEY, AAD), StreamCipher.double(KEY, KEY2, AAD)):
        for size in [0, 1, C - 1, C, C + 1, 7 * C, 7 * C + 1, 10**9]:
            assert cipher.plaintext_size(cipher.ciphertext_size(size)) == size


# -- tampering -----------------------------------------------------------------------------------------------------

SIZE = 4 * C + 100


@pytest.fixture(scope="module")
def sample() -> tuple[StreamCipher, bytes, bytes]:
    cipher = StreamCipher(KEY, AAD)
    data = os.urandom(SIZE)
    return cipher, data, _encrypt(cipher, data)


def _fails(cipher: StreamCipher, blob: bytes, size: int = SIZE, start: int = 0, end: int | None = None) -> None:
    with pytest.raises(StreamIntegrityError):
        _read(cipher, blob, size, start, end)


@pytest.mark.parametrize("at", [0, 1, HEADER - 1, HEADER, HEADER + 100, HEADER + RECORD - 1, -1])
def test_a_flipped_byte_is_detected(sample: tuple[StreamCipher, bytes, bytes], at: int) -> None:
    cipher, _, blob = sample
    flipped = bytearray(blob)
    flipped[at] ^= 0x40
    _fails(cipher, bytes(flipped))


def test_swapped_chunks_are_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, _, blob = sample
    header, recs = _records(blob)
    _fails(cipher, header + b"".join([recs[1], recs[0], *recs[2:]]))
    _fails(cipher, header + b"".join([recs[0], recs[1], recs[1], *recs[3:]]), start=2 * C, end=2 * C + 1)


def test_a_dropped_last_chunk_is_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, _, blob = sample
    header, recs = _records(blob)
    dropped = header + b"".join(recs[:-1])
    _fails(cipher, dropped)  # shorter than recorded
    _fails(cipher, dropped, size=len(recs[:-1]) * C)  # recorded size lied about too: the new end is not marked last


def test_truncation_anywhere_is_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, _, blob = sample
    for cut in (1, TAG_SIZE, RECORD, len(blob) - HEADER - 1, len(blob) - 1):
        _fails(cipher, blob[:-cut])
    _fails(cipher, blob[: HEADER - 1], start=2 * C, end=2 * C + 5)


def test_an_appended_chunk_or_byte_is_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, _, blob = sample
    _, recs = _records(blob)
    _fails(cipher, blob + b"\x00")
    _fails(cipher, blob + recs[0])
    _fails(cipher, blob + recs[0], start=SIZE - 1)  # any range that reaches the end checks the length
    _fails(cipher, blob + recs[-1], size=SIZE + 100)  # recorded size lied about too


def test_a_chunk_from_another_stream_is_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, data, blob = sample
    header, recs = _records(blob)
    other_object = _encrypt(StreamCipher(KEY, b"bucket\x00other\x00v1"), data)  # same key, other aad
    rewritten = _encrypt(cipher, data)  # same key and aad, another write (another salt)
    for other in (other_object, rewritten):
        _, theirs = _records(other)
        _fails(cipher, header + b"".join([recs[0], theirs[1], *recs[2:]]))
    _fails(cipher, other_object)


def test_wrong_key_or_aad_is_detected(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    _, _, blob = sample
    _fails(StreamCipher(KEY2, AAD), blob)
    _fails(StreamCipher(KEY, AAD + b"x"), blob)


def test_untouched_chunks_read_and_the_error_is_an_unwrap_error(
    sample: tuple[StreamCipher, bytes, bytes],
) -> None:
    cipher, data, blob = sample
    flipped = bytearray(blob)
    flipped[HEADER + 3 * RECORD + 5] ^= 1
    assert _read(cipher, bytes(flipped), SIZE, 0, 2 * C) == data[: 2 * C]  # ranges vouch only for what they read
    with pytest.raises(UnwrapError):
        _read(cipher, bytes(flipped), SIZE, 3 * C, 3 * C + 1)


def test_no_plaintext_of_a_bad_chunk_is_yielded(sample: tuple[StreamCipher, bytes, bytes]) -> None:
    cipher, data, blob = sample
    flipped = bytearray(blob)
    flipped[HEADER + RECORD + 5] ^= 1
    got: list[bytes] = []
    with pytest.raises(StreamIntegrityError):
        for piece in cipher.decrypt_range(_reader(bytes(flipped)), SIZE):
            got.append(piece)
    assert b"".join(got) == data[:C]


# -- DSSE: two layers ----------------------------------------------------------------------------------------------


def test_double_round_trips_and_ranges() -> None:
    cipher = StreamCipher.double(KEY, KEY2, AAD)
    data = os.urandom(3 * C + 7)
    blob = _encrypt(cipher, data)
    assert len(blob) == cipher.ciphertext_size(len(data)) == HEADER + len(data) + 4 * 2 * TAG_SIZE
    assert _read(cipher, blob, len(data)) == data
    assert _read(cipher, blob, len(data), C - 1, 2 * C + 1) == data[C - 1 : 2 * C + 1]


def test_double_needs_both_keys_in_order() -> None:
    cipher = StreamCipher.double(KEY, KEY2, AAD)
    blob = _encrypt(cipher, b"two layers")
    for wrong in (StreamCipher.double(KEY2, KEY, AAD), StreamCipher.double(KEY, os.urandom(32), AAD)):
        _fails(wrong, blob, size=10)
    _fails(StreamCipher(KEY, AAD), blob[: HEADER + 10 + TAG_SIZE], size=10)  # a single layer is another format
    assert _read(cipher, blob, 10) == b"two layers"


def test_bad_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        StreamCipher.double(KEY, KEY, AAD)  # equal layers would cancel each other's keystream
    with pytest.raises(ValueError):
        StreamCipher(b"k" * 16, AAD)


# -- memory --------------------------------------------------------------------------------------------------------


def _peak_growth(run: Callable[[Callable[[], None]], None]) -> int:
    proc = psutil.Process()
    base: int = proc.memory_info().rss
    peak = base

    def sample() -> None:
        nonlocal peak
        peak = max(peak, int(proc.memory_info().rss))

    run(sample)
    return peak - base


def test_encrypting_512_mb_from_a_generator_keeps_memory_flat() -> None:
    piece = os.urandom(1 << 20)
    cipher = StreamCipher(KEY, AAD)

    def source() -> Iterator[bytes]:
        for _ in range(512):
            yield piece

    def run(sample: Callable[[], None]) -> None:
        total = 0
        for i, record in enumerate(cipher.encrypt(source())):
            total += len(record)
            if i % 256 == 0:
                sample()
        assert total == cipher.ciphertext_size(512 << 20)

    assert _peak_growth(run) < 8 << 20


def test_decrypting_a_large_file_keeps_memory_flat(tmp_path: os.PathLike[str]) -> None:
    size = 64 << 20
    cipher = StreamCipher(KEY, AAD)
    path = os.path.join(tmp_path, "blob")
    piece = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for record in cipher.encrypt(piece for _ in range(64)):
            f.write(record)
    fd = os.open(path, os.O_RDONLY)
    try:

        def run(sample: Callable[[], None]) -> None:
            total = 0
            for i, plain in enumerate(cipher.decrypt_range(lambda o, n: os.pread(fd, n, o), size)):
                total += len(plain)
                if i % 64 == 0:
                    sample()
            assert total == size

        assert _peak_growth(run) < 8 << 20
    finally:
        os.close(fd)


def test_cached_read_keys_never_open_another_objects_stream() -> None:
    """Reads reuse a body's derived layers (``_derived_for_reading``); the cache is keyed by key, salt and binding,
    so a body read once still refuses another key, another binding, or a header whose salt was changed."""
    key, other = os.urandom(32), os.urandom(32)
    blob = b"".join(StreamCipher(key, b"object-a").encrypt([b"secret" * 100]))
    for _ in range(3):
        assert StreamCipher(key, b"object-a").decrypt(blob) == b"secret" * 100
    with pytest.raises(StreamIntegrityError):
        StreamCipher(key, b"object-b").decrypt(blob)
    with pytest.raises(StreamIntegrityError):
        StreamCipher(other, b"object-a").decrypt(blob)
    tampered = blob[:1] + bytes([blob[1] ^ 1]) + blob[2:]
    with pytest.raises(StreamIntegrityError):
        StreamCipher(key, b"object-a").decrypt(tampered)
    double = b"".join(StreamCipher.double(key, other, b"object-a").encrypt([b"x"]))
    assert StreamCipher.double(key, other, b"object-a").decrypt(double) == b"x"
    with pytest.raises(StreamIntegrityError):
        StreamCipher.double(other, key, b"object-a").decrypt(double)
