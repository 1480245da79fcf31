"""aws-chunked decoding and the plain-body checks, over bodies that botocore's own AwsChunkedWrapper produces."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import zlib
from typing import Any

import pytest
from botocore import httpchecksum

from strongroom.protocol import checksums
from strongroom.protocol.chunked import (
    MAX_LINE,
    READ_BLOCK,
    AwsChunkedReader,
    ChecksumReader,
    ChunkedError,
    HashingReader,
    LengthReader,
)

# --- helpers ----------------------------------------------------------------------------------------------------


class Trickle:
    """A raw body that hands out at most ``step`` bytes per read (as a socket does) and records the reads."""

    def __init__(self, data: bytes, step: int = 1 << 30) -> None:
        self._io = io.BytesIO(data)
        self._step = step
        self.asked: list[int] = []

    def read(self, size: int, /) -> bytes:
        self.asked.append(size)
        return self._io.read(min(size, self._step))

    def left(self) -> int:
        return len(self._io.getbuffer()) - self._io.tell()


def botocore_body(payload: bytes, algorithm: str = "crc32", chunk_size: int | None = None) -> tuple[bytes, str]:
    """The aws-chunked body botocore sends for an unsigned-trailer upload, and its x-amz-trailer."""
    name = f"x-amz-checksum-{algorithm}"
    wrapper = httpchecksum.AwsChunkedWrapper(
        io.BytesIO(payload),
        checksum_cls=httpchecksum._CHECKSUM_CLS[algorithm],
        checksum_name=name,
        chunk_size=chunk_size,
    )
    return wrapper.read(), name


def frame(chunks: list[bytes], trailers: str = "", *, final: bool = True) -> bytes:
    out = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    if final:
        out += b"0\r\n" + trailers.encode() + b"\r\n"
    return out


def read_all(reader: Any, n: int) -> bytes:
    parts = []
    while piece := reader.read(n):
        assert n < 0 or len(piece) <= n
        parts.append(piece)
    assert reader.read(n) == b""
    return b"".join(parts)


def error_of(fn: Any) -> ChunkedError:
    with pytest.raises(ChunkedError) as exc:
        fn()
    return exc.value


class Recorder:
    """A ChunkVerifier that accepts everything and records what it was asked, or refuses one chunk."""

    def __init__(self, refuse: int | None = None) -> None:
        self.chunks: list[tuple[str, str]] = []
        self.trailers: list[tuple[bytes, str]] = []
        self._refuse = refuse

    def chunk(self, chunk_sha256: str, signature: str) -> None:
        if self._refuse == len(self.chunks):
            raise ChunkedError("SignatureDoesNotMatch", "refused")
        self.chunks.append((chunk_sha256, signature))

    def trailer(self, trailer_block: bytes, signature: str) -> None:
        self.trailers.append((trailer_block, signature))


SIG = "f" * 64

# --- decoding botocore's bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(httpchecksum._CHECKSUM_CLS))
@pytest.mark.parametrize("size", [0, 1, 8191, 1024 * 1024 + 3])
def test_decodes_botocore_bodies(algorithm: str, size: int) -> None:
    payload = random.Random(size).randbytes(size)
    body, trailer = botocore_body(payload, algorithm)
    reader = AwsChunkedReader(Trickle(body, 1000), decoded_length=size, trailer_names=[trailer])
    assert read_all(reader, 65536) == payload
    claimed = checksums.compute(algorithm, payload)
    assert reader.trailers == {trailer: claimed}
    assert reader.checksums == {checksums.normalize(algorithm): claimed}
    assert reader.decoded == size


@pytest.mark.parametrize("read_size", [-1, 1, 7, 4096, 10**9])
@pytest.mark.parametrize("step", [1, 3, 1 << 30])
def test_any_read_and_arrival_pattern(read_size: int, step: int) -> None:
    payload = random.Random(3).randbytes(20_000)
    body, trailer = botocore_body(payload, "crc32c", chunk_size=8192)
    reader = AwsChunkedReader(Trickle(body, step), trailer_names=[trailer])
    assert read_all(reader, read_size) == payload
    assert reader.read(0) == b""


def test_without_trailer_and_with_declared_length() -> None:
    payload = b"x" * 10_000
    body = frame([payload[:9000], payload[9000:]])
    reader = AwsChunkedReader(io.BytesIO(body), decoded_length=10_000)
    assert reader.read() == payload
    assert reader.trailers == {} and reader.checksums == {}


def test_final_crlf_may_be_missing() -> None:
    body = frame([b"abc"])[:-2]
    assert AwsChunkedReader(io.BytesIO(body)).read() == b"abc"
    body, trailer = botocore_body(b"abc")
    assert AwsChunkedReader(io.BytesIO(body[:-2]), trailer_names=[trailer]).read() == b"abc"


def test_chunk_extensions_and_uppercase_hex() -> None:
    body = (
        b"A;foo=bar;chunk-signature="
        + SIG.encode()
        + b"\r\n0123456789\r\n0;chunk-signature="
        + SIG.encode()
        + b"\r\n\r\n"
    )
    rec = Recorder()
    reader = AwsChunkedReader(io.BytesIO(body), verifier=rec, decoded_length=10)
    assert reader.read() == b"0123456789"
    assert rec.chunks == [(hashlib.sha256(b"0123456789").hexdigest(), SIG), (hashlib.sha256(b"").hexdigest(), SIG)]


def test_streams_without_holding_chunks() -> None:
    """A 3 MiB chunk passes through in reads no larger than asked, with only a small read-ahead for headers."""
    payload = b"z" * (3 * 1024 * 1024)
    raw = Trickle(frame([payload]))
    reader = AwsChunkedReader(raw)
    first = reader.read(1000)
    assert first == payload[:1000]
    assert max(raw.asked) <= max(READ_BLOCK, 1000)
    assert raw.left() > len(payload) - 2 * READ_BLOCK  # the rest is still in the "socket"
    assert len(first + read_all(reader, 65536)) == len(payload)


# --- signatures (through the verifier interface) --------------------------------------------------------------------


def signed_frame(chunks: list[bytes], trailer_lines: list[str] | None = None, sig: str = SIG) -> bytes:
    out = b"".join(b"%x;chunk-signature=%s\r\n%s\r\n" % (len(c), sig.encode(), c) for c in chunks)
    out += b"0;chunk-signature=%s\r\n" % sig.encode()
    if trailer_lines is not None:
        out += "".join(f"{line}\r\n" for line in trailer_lines).encode()
    return out + b"\r\n"


def test_verifier_sees_every_chunk_then_the_trailer() -> None:
    payload = b"p" * 20_000
    crc = checksums.compute("CRC32", payload)
    body = signed_frame(
        [payload[:10_000], payload[10_000:]], [f"x-amz-checksum-crc32:{crc}", f"x-amz-trailer-signature:{SIG}"]
    )
    rec = Recorder()
    reader = AwsChunkedReader(io.BytesIO(body), verifier=rec, trailer_names=["x-amz-checksum-crc32"])
    assert read_all(reader, 3000) == payload
    assert [c[0] for c in rec.chunks] == [
        hashlib.sha256(payload[:10_000]).hexdigest(),
        hashlib.sha256(payload[10_000:]).hexdigest(),
        hashlib.sha256(b"").hexdigest(),
    ]
    assert rec.trailers == [(f"x-amz-checksum-crc32:{crc}\n".encode(), SIG)]


def test_verifier_refusal_stops_the_body() -> None:
    body = signed_frame([b"a" * 9000, b"b" * 9000])
    reader = AwsChunkedReader(io.BytesIO(body), verifier=Recorder(refuse=1))
    assert error_of(reader.read).code == "SignatureDoesNotMatch"


def test_signed_chunk_without_signature() -> None:
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(frame([b"abc"])), verifier=Recorder()).read())
    assert (err.code, err.status) == ("SignatureDoesNotMatch", 403)


def test_signed_trailer_without_signature() -> None:
    crc = checksums.compute("CRC32", b"abc")
    body = signed_frame([b"abc"], [f"x-amz-checksum-crc32:{crc}"])
    reader = AwsChunkedReader(io.BytesIO(body), verifier=Recorder(), trailer_names=["x-amz-checksum-crc32"])
    assert error_of(reader.read).code == "SignatureDoesNotMatch"


def test_unsigned_body_ignores_signatures() -> None:
    crc = checksums.compute("CRC32", b"abc")
    body = signed_frame([b"abc"], [f"x-amz-checksum-crc32:{crc}", f"x-amz-trailer-signature:{SIG}"])
    reader = AwsChunkedReader(io.BytesIO(body), trailer_names=["x-amz-checksum-crc32"])
    assert reader.read() == b"abc"
    assert reader.trailers == {"x-amz-checksum-crc32": crc}


def test_only_the_last_signed_chunk_may_be_small() -> None:
    ok = signed_frame([b"a" * 8192, b"b" * 10])
    assert AwsChunkedReader(io.BytesIO(ok), verifier=Recorder()).read() == b"a" * 8192 + b"b" * 10
    bad = signed_frame([b"a" * 3, b"b" * 2])
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(bad), verifier=Recorder()).read())
    assert err.code == "InvalidChunkSizeError" and err.status == 400
    assert err.message == "Only the last chunk is allowed to have a size less than 8192 bytes"
    assert err.fields == {"Chunk": "2", "BadChunkSize": "3"}
    # Unsigned bodies have no minimum (botocore may send a short read as a chunk); it can be asked for explicitly.
    assert AwsChunkedReader(io.BytesIO(frame([b"a" * 3, b"b" * 2]))).read() == b"aaabb"
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(frame([b"a" * 3, b"b"])), min_chunk_size=4).read())
    assert err.code == "InvalidChunkSizeError"


# --- framing errors ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [1, 3, 5, 8, 12, 20, 25])
def test_truncated_bodies(cut: int) -> None:
    body, trailer = botocore_body(b"0123456789" * 2)
    assert len(body) > 30
    reader = AwsChunkedReader(io.BytesIO(body[:cut]), trailer_names=[trailer])
    err = error_of(lambda: read_all(reader, 4))
    assert (err.code, err.message) == ("IncompleteBody", "The request body terminated unexpectedly")


def test_truncated_in_trailer_line() -> None:
    body, trailer = botocore_body(b"abc")
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(body[:-6]), trailer_names=[trailer]).read())
    assert err.code == "IncompleteBody"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"xyz\r\nabc\r\n0\r\n\r\n", "InvalidRequest"),  # not hex
        (b"\r\n", "InvalidRequest"),  # empty size
        (b"-3\r\nabc\r\n0\r\n\r\n", "InvalidRequest"),
        (b" 3\r\nabc\r\n0\r\n\r\n", "InvalidRequest"),
        (b"11111111111111111\r\n", "InvalidRequest"),  # 17 hex digits
        (b"4000001\r\n", "InvalidChunkSizeError"),  # 64 MiB + 1
        (b"3\r\nabcX\r\n0\r\n\r\n", "InvalidRequest"),  # data longer than declared
        (b"3\r\nab\r\n0\r\n\r\n", "InvalidRequest"),  # shorter: CRLF expected where "\n0" is
        (b"3\r\nabc\r\n0\r\n\r\nextra", "InvalidRequest"),  # bytes after the end
        (b"3\r\nabc\r\n0\r\nno-colon\r\n\r\n", "InvalidRequest"),
        (b"3" + b"0" * MAX_LINE + b"\r\n", "InvalidRequest"),  # header line too long
        (b"3;" + b"x" * (2 * READ_BLOCK), "InvalidRequest"),  # no line end at all
    ],
)
def test_malformed_framing(body: bytes, code: str) -> None:
    err = error_of(lambda: AwsChunkedReader(Trickle(body, 100)).read())
    assert err.code == code and err.status == 400


def test_decoded_length_must_match() -> None:
    body = frame([b"abcde"])
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(body), decoded_length=3).read())
    assert err.code == "IncompleteBody"
    assert err.message == "You did not provide the number of bytes specified by the Content-Length HTTP header."
    assert err.fields == {"NumberBytesExpected": "3", "NumberBytesProvided": "5"}
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(body), decoded_length=9).read())
    assert err.fields == {"NumberBytesExpected": "9", "NumberBytesProvided": "5"}


# --- trailers ---------------------------------------------------------------------------------------------------------


def test_checksum_trailer_mismatch() -> None:
    wrong = checksums.compute("CRC32", b"other")
    body = frame([b"abc"], f"x-amz-checksum-crc32:{wrong}\r\n")
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(body), trailer_names=["x-amz-checksum-crc32"]).read())
    assert (err.code, err.status) == ("BadDigest", 400)
    assert err.message == "The CRC32 you specified did not match the calculated checksum."


@pytest.mark.parametrize("value", ["", "AAAA", "!!!!!!==", checksums.compute("SHA256", b"abc")])
def test_checksum_trailer_invalid_value(value: str) -> None:
    body = frame([b"abc"], f"x-amz-checksum-crc32:{value}\r\n")
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(body), trailer_names=["x-amz-checksum-crc32"]).read())
    assert (err.code, err.message) == ("InvalidRequest", "Value for x-amz-checksum-crc32 trailing header is invalid.")


def test_trailer_names_are_checked() -> None:
    crc = checksums.compute("CRC32", b"abc")
    undeclared = frame([b"abc"], f"x-amz-checksum-crc32:{crc}\r\n")
    assert error_of(lambda: AwsChunkedReader(io.BytesIO(undeclared)).read()).code == "InvalidRequest"
    missing = frame([b"abc"])
    reader = AwsChunkedReader(io.BytesIO(missing), trailer_names=["x-amz-checksum-crc32"])
    assert "missing" in error_of(reader.read).message
    twice = frame([b"abc"], f"x-amz-checksum-crc32:{crc}\r\nx-amz-checksum-crc32:{crc}\r\n")
    reader = AwsChunkedReader(io.BytesIO(twice), trailer_names=["x-amz-checksum-crc32"])
    assert error_of(reader.read).code == "InvalidRequest"
    spaced = frame([b"abc"], f"X-Amz-Checksum-CRC32 : {crc} \r\n")
    reader = AwsChunkedReader(io.BytesIO(spaced), trailer_names=[" X-Amz-Checksum-Crc32"])
    assert reader.read() == b"abc" and reader.trailers == {"x-amz-checksum-crc32": crc}


def test_unsupported_or_several_trailers_are_refused_up_front() -> None:
    err = error_of(lambda: AwsChunkedReader(io.BytesIO(b""), trailer_names=["x-amz-meta-foo"]))
    assert err.message == "The value specified in the x-amz-trailer header is not supported"
    err = error_of(
        lambda: AwsChunkedReader(io.BytesIO(b""), trailer_names=["x-amz-checksum-crc32", "x-amz-checksum-sha1"])
    )
    assert err.message == "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."


def test_too_many_trailer_lines() -> None:
    lines = "".join(f"x-amz-checksum-crc32:{i}\r\n" for i in range(40))
    err = error_of(
        lambda: AwsChunkedReader(io.BytesIO(frame([b"a"], lines)), trailer_names=["x-amz-checksum-crc32"]).read()
    )
    assert err.code == "InvalidRequest"


# --- plain bodies -----------------------------------------------------------------------------------------------------


def test_length_reader() -> None:
    raw = Trickle(b"abcdefXYZ", 2)
    reader = LengthReader(raw, 6)
    assert read_all(reader, 4) == b"abcdef"
    assert raw.left() == 3 and reader.bytes_read == 6  # never read past Content-Length
    err = error_of(lambda: LengthReader(io.BytesIO(b"abc"), 5).read())
    assert err.code == "IncompleteBody"
    assert err.message == "You did not provide the number of bytes specified by the Content-Length HTTP header."
    assert err.fields == {"NumberBytesExpected": "5", "NumberBytesProvided": "3"}
    assert LengthReader(io.BytesIO(b"abc")).read() == b"abc"
    assert LengthReader(io.BytesIO(b""), 0).read(10) == b""


def test_hashing_reader() -> None:
    data = b"Welcome to Amazon S3."
    good = hashlib.sha256(data).hexdigest()
    assert read_all(HashingReader(Trickle(data, 4), good.upper(), len(data)), 5) == data
    assert HashingReader(io.BytesIO(data), good).read() == data
    err = error_of(lambda: HashingReader(io.BytesIO(data + b"!"), good).read())
    assert (err.code, err.status) == ("XAmzContentSHA256Mismatch", 400)
    assert err.message == "The provided 'x-amz-content-sha256' header does not match what was computed."
    assert err.fields == {
        "ClientComputedContentSHA256": good,
        "S3ComputedContentSHA256": hashlib.sha256(data + b"!").hexdigest(),
    }


def test_hashing_reader_fails_on_the_read_that_returns_the_last_byte() -> None:
    data = b"0123456789"
    reader = HashingReader(io.BytesIO(data), "0" * 64, len(data))
    assert reader.read(6) == b"012345"
    assert error_of(lambda: reader.read(6)).code == "XAmzContentSHA256Mismatch"


def test_checksum_reader() -> None:
    data = random.Random(5).randbytes(100_000)
    claim = {"crc32": checksums.compute("CRC32", data)}
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    reader = ChecksumReader(Trickle(data, 999), claim, len(data), content_md5=md5, also=["crc64nvme"])
    assert read_all(reader, 4096) == data
    assert reader.checksums == {"CRC32": claim["crc32"], "CRC64NVME": checksums.compute("CRC64NVME", data)}


def test_checksum_reader_failures() -> None:
    data = b"hello"
    bad = {"SHA256": checksums.compute("SHA256", b"other")}
    err = error_of(lambda: ChecksumReader(io.BytesIO(data), bad).read())
    assert (err.code, err.message) == ("BadDigest", "The SHA256 you specified did not match the calculated checksum.")
    err = error_of(lambda: ChecksumReader(io.BytesIO(data), {"CRC32C": "nope"}))
    assert (err.code, err.message) == ("InvalidRequest", "Value for x-amz-checksum-crc32c header is invalid.")
    two = {"CRC32": checksums.compute("CRC32", data), "SHA1": checksums.compute("SHA1", data)}
    assert "Multiple checksum" in error_of(lambda: ChecksumReader(io.BytesIO(data), two)).message
    err = error_of(lambda: ChecksumReader(io.BytesIO(data), {}, content_md5="xyz"))
    assert (err.code, err.message) == ("InvalidDigest", "The Content-MD5 you specified is not valid.")
    wrong_md5 = base64.b64encode(hashlib.md5(b"x").digest()).decode()
    err = error_of(lambda: ChecksumReader(io.BytesIO(data), {}, content_md5=wrong_md5).read())
    assert (err.code, err.message) == ("BadDigest", "The Content-MD5 you specified did not match what we received.")
    assert err.fields["ExpectedDigest"] == wrong_md5


def test_checksum_reader_over_a_chunked_body() -> None:
    """Readers compose: a header checksum is checked over the decoded payload."""
    payload = b"q" * 50_000
    body = frame([payload[:30_000], payload[30_000:]])
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    reader = ChecksumReader(AwsChunkedReader(io.BytesIO(body), decoded_length=50_000), {"CRC32": crc})
    assert read_all(reader, 8192) == payload
    assert reader.checksums == {"CRC32": crc}


def test_checksum_reader_takes_the_digests_of_the_reader_below(monkeypatch: pytest.MonkeyPatch) -> None:
    """A signed payload's SHA-256 is its SHA256 checksum: the HashingReader hashes the bytes once and the
    ChecksumReader above it checks the claim with that digest; both, and Content-MD5's MD5, are passed on."""
    data = random.Random(6).randbytes(70_000)
    sha = checksums.compute("SHA256", data)
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    other = checksums.compute("SHA256", b"other")
    real_new = checksums.new

    def no_second_sha256(algorithm: str) -> checksums.Checksum:
        assert checksums.normalize(algorithm) != "SHA256", "SHA-256 hashed a second time"
        return real_new(algorithm)

    monkeypatch.setattr(checksums, "new", no_second_sha256)

    def reader(claim: str, body: bytes = data, **kw: Any) -> ChecksumReader:
        hashing = HashingReader(Trickle(body, 999), hashlib.sha256(data).hexdigest(), len(body))
        return ChecksumReader(hashing, {"SHA256": claim}, **kw)

    checked = reader(sha, content_md5=md5)
    assert checked.planned == {"SHA256"} and checked.planned_digests == {"SHA256", "MD5"}
    assert read_all(checked, 4096) == data
    assert checked.checksums == {"SHA256": sha}
    assert checked.digests == {"SHA256": sha, "MD5": md5}
    err = error_of(lambda: reader(other).read())
    assert (err.code, err.message) == ("BadDigest", "The SHA256 you specified did not match the calculated checksum.")
    # the payload hash is checked first, as before
    assert error_of(lambda: reader(sha, data[:-1] + b"!").read()).code == "XAmzContentSHA256Mismatch"


def test_checksum_reader_digests_what_it_cannot_take() -> None:
    """With a Content-Length of its own its end may come before the reader below has finished, and an aws-chunked
    reader's own reader digests the framed body, not the payload: either way the ChecksumReader hashes itself."""
    data = b"w" * 20_000
    sha = checksums.compute("SHA256", data)
    hashing = HashingReader(io.BytesIO(data), hashlib.sha256(data).hexdigest())
    reader = ChecksumReader(hashing, {"SHA256": sha}, len(data))
    assert read_all(reader, 4096) == data and reader.checksums == {"SHA256": sha}
    body = frame([data[:9000], data[9000:]])
    framed = HashingReader(io.BytesIO(body), hashlib.sha256(body).hexdigest(), len(body))
    chunked = AwsChunkedReader(framed, decoded_length=len(data))
    assert chunked.planned_digests == frozenset()
    reader = ChecksumReader(chunked, {"SHA256": sha})
    assert read_all(reader, 4096) == data
    assert reader.checksums == {"SHA256": sha} and reader.digests == {"SHA256": sha}


def test_error_is_an_aws_error() -> None:
    err = ChunkedError("SignatureDoesNotMatch", "m", StringToSign="s")
    assert (err.code, err.status, err.sender_fault, err.fields) == (
        "SignatureDoesNotMatch",
        403,
        True,
        {"StringToSign": "s"},
    )
    err = ChunkedError("NotImplemented", "m")
    assert (err.status, err.sender_fault) == (501, False)
    assert ChunkedError("BadDigest", "m", status=409).status == 409
