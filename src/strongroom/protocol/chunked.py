"""S3 request bodies as streams: ``aws-chunked`` decoding and the checks S3 makes while it reads a body.

``Content-Encoding: aws-chunked`` (x-amz-content-sha256 ``STREAMING-*``) frames the payload as

    <hex size>[;chunk-signature=<64 hex>]\\r\\n<size bytes>\\r\\n ... 0[;chunk-signature=<64 hex>]\\r\\n
    [<trailer name>:<value>\\r\\n ... [x-amz-trailer-signature:<64 hex>\\r\\n]]\\r\\n

``AwsChunkedReader`` turns that back into the payload while it is read, checking the chunk signatures (through a
verifier that the signing code supplies), the declared decoded length and the checksum trailers. The other readers
check plain bodies: ``HashingReader`` the declared x-amz-content-sha256, ``ChecksumReader`` the x-amz-checksum-*
headers and Content-MD5, ``LengthReader`` that Content-Length bytes arrived.

Each reader takes its bytes from a ``protocol.http.BodyStream`` (the request's body, or another reader: every reader
is a BodyStream itself, so they stack) and always asks it for a bounded size, never "all". Every reader streams: it
never holds more than one read-ahead block (``READ_BLOCK``) plus one chunk header line, whatever the chunk size, and
the payload bytes pass through as they arrive. A failure of any check is raised as a
``ChunkedError`` (an ``AwsError`` carrying S3's code, status, text and extra elements) at the latest by the read that
would have reported the end of the body, so a consumer that commits only after seeing EOF (``b""``) never commits a
body that fails a check. A failed check discards the request; the readers are not reusable after raising.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from strongroom.core.errors import AwsError
from strongroom.protocol import checksums
from strongroom.protocol.http import BodyStream

READ_BLOCK: Final = 64 * 1024
# A chunk header is "<hex>;chunk-signature=<64 hex>" (~90 bytes) and a trailer line "x-amz-checksum-sha512:<88>"
# (~110 bytes): 4 KiB leaves room for chunk extensions other clients may add, and bounds what a garbage body can
# make us buffer while we look for a line end.
MAX_LINE: Final = 4096
# botocore frames 1 MiB chunks, the Java, Go and CRT signers 64-128 KiB. Data streams through unbuffered, so this is
# not a memory bound; it rejects absurd sizes (a corrupt or hostile header) before we start waiting for the bytes.
MAX_CHUNK_SIZE: Final = 64 * 1024 * 1024
# S3's rule for signed chunks: every chunk but the last data chunk carries at least 8 KiB.
MIN_SIGNED_CHUNK_SIZE: Final = 8192
MAX_TRAILERS: Final = 16
EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()
TRAILER_SIGNATURE: Final = "x-amz-trailer-signature"

_TRUNCATED = "The request body terminated unexpectedly"
_SHORT = "You did not provide the number of bytes specified by the Content-Length HTTP header."
_SHA_MISMATCH = "The provided 'x-amz-content-sha256' header does not match what was computed."
_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
_MULTIPLE = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
_UNSUPPORTED_TRAILER = "The value specified in the x-amz-trailer header is not supported"
_STATUS: Final = {"SignatureDoesNotMatch": 403, "AccessDenied": 403, "NotImplemented": 501}


class ChunkedError(AwsError):
    """A body failing S3's framing or integrity checks; ``code`` is S3's error code, ``fields`` its extra elements."""

    def __init__(self, code: str, message: str, *, status: int | None = None, **fields: Any) -> None:
        status = status if status is not None else _STATUS.get(code, 400)
        super().__init__(message, code=code, status=status, sender_fault=status < 500, **fields)


class ChunkVerifier(Protocol):
    """Checks the signature chain of a signed aws-chunked body (supplied by ``iam.sigv4_s3``); raises on a mismatch.

    A chunk is given by the SHA-256 of its data rather than the data itself, so that the reader can hash the chunk as
    it streams through instead of holding it whole.
    """

    def chunk(self, chunk_sha256: str, signature: str) -> None: ...

    def trailer(self, trailer_block: bytes, signature: str) -> None: ...


def bad_digest(algorithm: str, **fields: Any) -> ChunkedError:
    return ChunkedError("BadDigest", f"The {algorithm} you specified did not match the calculated checksum.", **fields)


def invalid_checksum_value(name: str, *, trailing: bool = False) -> ChunkedError:
    where = "trailing header" if trailing else "header"
    return ChunkedError("InvalidRequest", f"Value for {name} {where} is invalid.")


def trailer_checksum(trailer_names: Iterable[str]) -> str | None:
    """The checksum algorithm that an x-amz-trailer list declares, validated as S3 does (one checksum, nothing else)."""
    names = [n.strip().lower() for n in trailer_names if n.strip()]
    algorithms = [checksums.algorithm_of_header(n) for n in names]
    if any(alg is None for alg in algorithms):
        raise ChunkedError("InvalidRequest", _UNSUPPORTED_TRAILER)
    if len(algorithms) > 1:
        raise ChunkedError("InvalidRequest", _MULTIPLE)
    return algorithms[0] if algorithms else None


class AwsChunkedReader:
    """The decoded payload of an aws-chunked body, read incrementally; ``trailers`` is filled once EOF is returned.

    ``verifier`` is given for the signed forms (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]) and then every chunk
    must carry a chunk-signature, and trailers an x-amz-trailer-signature; without it signatures are ignored.
    ``decoded_length`` is x-amz-decoded-content-length; ``trailer_names`` is x-amz-trailer (a checksum trailer is
    computed over the decoded bytes and compared at the end). ``min_chunk_size`` defaults to S3's 8 KiB for signed
    bodies and to none for unsigned ones.
    """

    def __init__(
        self,
        raw: BodyStream,
        *,
        verifier: ChunkVerifier | None = None,
        decoded_length: int | None = None,
        trailer_names: Iterable[str] = (),
        min_chunk_size: int | None = None,
    ) -> None:
        self._raw = raw
        self._verifier = verifier
        self._decoded_length = decoded_length
        self._trailer_names = frozenset(n.strip().lower() for n in trailer_names if n.strip())
        algorithm = trailer_checksum(self._trailer_names)
        self._checksum = checksums.new(algorithm) if algorithm else None
        # the algorithms ``checksums`` will hold at EOF (a consumer need not compute them again)
        self.planned: frozenset[str] = frozenset({checksums.normalize(algorithm)} if algorithm else ())
        self._min_chunk = (MIN_SIGNED_CHUNK_SIZE if verifier else 0) if min_chunk_size is None else min_chunk_size
        self._buf = bytearray()
        self._remaining = 0  # data bytes left in the current chunk
        self._in_data = False
        self._done = False
        self._chunk_hash = hashlib.sha256() if verifier else None
        self._signature = ""
        self._chunks = 0
        self._small_chunk: int | None = None  # size of the previous data chunk when it was below the minimum
        self.decoded = 0
        self.trailers: dict[str, str] = {}
        self.checksums: dict[str, str] = {}  # algorithm -> base64, computed over the payload, once at EOF

    # The digests of the payload this reader computes (see ``LengthReader.digests``): its trailer checksum only. The
    # reader it reads from sees the framed body, not the payload, so its digests are not passed on.
    @property
    def planned_digests(self) -> frozenset[str]:
        return self.planned

    @property
    def digests(self) -> dict[str, str]:
        return self.checksums

    def read(self, n: int = -1) -> bytes:
        if n == 0 or self._done:
            return b""
        out = bytearray()
        while not self._done and (n < 0 or len(out) < n):
            if self._in_data:
                want = self._remaining if n < 0 else min(self._remaining, n - len(out))
                data = self._take(want)
                self._consume(data)
                out += data
                if self._remaining == 0:
                    self._end_chunk()
            else:
                self._next_chunk()
        return bytes(out)

    # --- framing ----------------------------------------------------------------------------------------------

    def _take(self, want: int) -> bytes:
        if self._buf:
            data = bytes(self._buf[:want])
            del self._buf[: len(data)]
            return data
        data = self._raw.read(want)
        if not data:
            raise ChunkedError("IncompleteBody", _TRUNCATED)
        return data

    def _consume(self, data: bytes) -> None:
        self._remaining -= len(data)
        self.decoded += len(data)
        if self._chunk_hash is not None:
            self._chunk_hash.update(data)
        if self._checksum is not None:
            self._checksum.update(data)

    def _line(self) -> bytes | None:
        """The next CRLF-terminated line without its CRLF; None at a clean EOF (nothing buffered)."""
        while True:
            end = self._buf.find(b"\r\n")
            if end >= 0:
                if end > MAX_LINE:
                    break
                line = bytes(self._buf[:end])
                del self._buf[: end + 2]
                return line
            if len(self._buf) > MAX_LINE:
                break
            more = self._raw.read(READ_BLOCK)
            if not more:
                if self._buf:
                    raise ChunkedError("IncompleteBody", _TRUNCATED)
                return None
            self._buf += more
        raise ChunkedError("InvalidRequest", f"An aws-chunked header line is longer than {MAX_LINE} bytes.")

    def _end_chunk(self) -> None:
        while len(self._buf) < 2:
            more = self._raw.read(READ_BLOCK)
            if not more:
                raise ChunkedError("IncompleteBody", _TRUNCATED)
            self._buf += more
        if self._buf[:2] != b"\r\n":
            raise ChunkedError("InvalidRequest", "An aws-chunked chunk is not followed by CRLF.")
        del self._buf[:2]
        self._in_data = False
        if self._verifier is not None and self._chunk_hash is not None:
            self._verifier.chunk(self._chunk_hash.hexdigest(), self._signature)
            self._chunk_hash = hashlib.sha256()

    def _next_chunk(self) -> None:
        line = self._line()
        if line is None:
            raise ChunkedError("IncompleteBody", _TRUNCATED)
        size, signature = _parse_chunk_header(line)
        if self._verifier is not None:
            if signature is None:
                raise ChunkedError("SignatureDoesNotMatch", _SIG_MISMATCH)
            self._signature = signature
        self._chunks += 1
        if size and self._small_chunk is not None:
            raise ChunkedError(
                "InvalidChunkSizeError",
                f"Only the last chunk is allowed to have a size less than {self._min_chunk} bytes",
                Chunk=str(self._chunks),
                BadChunkSize=str(self._small_chunk),
            )
        if size and size < self._min_chunk:
            self._small_chunk = size
        if self._decoded_length is not None and self.decoded + size > self._decoded_length:
            raise _length_error(self._decoded_length, self.decoded + size)
        if size:
            self._remaining = size
            self._in_data = True
            return
        if self._verifier is not None:
            self._verifier.chunk(EMPTY_SHA256, self._signature)
        if self._decoded_length is not None and self.decoded != self._decoded_length:
            raise _length_error(self._decoded_length, self.decoded)
        self._read_trailers()
        self._done = True

    def _read_trailers(self) -> None:
        values: dict[str, str] = {}
        signature: str | None = None
        while True:
            line = self._line()
            if not line:  # the empty line that ends the body, or EOF in its place (some clients omit it)
                break
            if len(values) >= MAX_TRAILERS:
                raise ChunkedError("InvalidRequest", "Too many trailing headers.")
            name, sep, value = line.partition(b":")
            if not sep:
                raise ChunkedError("InvalidRequest", "A trailing header of the aws-chunked body is malformed.")
            try:
                key, text = name.strip().lower().decode("ascii"), value.strip().decode("ascii")
            except UnicodeDecodeError:
                raise ChunkedError(
                    "InvalidRequest", "A trailing header of the aws-chunked body is malformed."
                ) from None
            if key == TRAILER_SIGNATURE:
                signature = text
            elif key not in self._trailer_names or key in values:
                raise ChunkedError("InvalidRequest", f"The trailing header {key} was not declared in x-amz-trailer.")
            else:
                values[key] = text
        if self._buf or self._raw.read(1):
            raise ChunkedError("InvalidRequest", "The request body continues after the end of the aws-chunked data.")
        if self._verifier is not None and (values or signature is not None):
            if signature is None:
                raise ChunkedError("SignatureDoesNotMatch", _SIG_MISMATCH)
            block = "".join(f"{k}:{v}\n" for k, v in sorted(values.items())).encode("ascii")
            self._verifier.trailer(block, signature)
        missing = sorted(self._trailer_names - values.keys())
        if missing:
            raise ChunkedError(
                "InvalidRequest", f"The trailing header {missing[0]} declared in x-amz-trailer is missing."
            )
        self.trailers = values
        if self._checksum is not None:
            header = checksums.header_name(self._checksum.algorithm)
            claimed = values[header]
            if checksums.decode(self._checksum.algorithm, claimed) is None:
                raise invalid_checksum_value(header, trailing=True)
            actual = self._checksum.b64()
            if not hmac.compare_digest(actual, claimed):
                raise bad_digest(self._checksum.algorithm)
            self.checksums[self._checksum.algorithm] = actual


def _parse_chunk_header(line: bytes) -> tuple[int, str | None]:
    size_hex, _, extensions = line.partition(b";")
    if not 0 < len(size_hex) <= 16 or not all(c in b"0123456789abcdefABCDEF" for c in size_hex):
        raise ChunkedError("InvalidRequest", "An aws-chunked chunk size is not a hexadecimal number.")
    size = int(size_hex, 16)
    if size > MAX_CHUNK_SIZE:
        raise ChunkedError("InvalidChunkSizeError", f"An aws-chunked chunk may carry at most {MAX_CHUNK_SIZE} bytes.")
    signature: str | None = None
    for extension in extensions.split(b";") if extensions else ():
        key, _, value = extension.partition(b"=")
        if key.strip() == b"chunk-signature":
            signature = value.strip().decode("ascii", "replace")
    return size, signature


def _length_error(expected: int, provided: int) -> ChunkedError:
    return ChunkedError("IncompleteBody", _SHORT, NumberBytesExpected=str(expected), NumberBytesProvided=str(provided))


# --- plain bodies ---------------------------------------------------------------------------------------------


class LengthReader:
    """Passes a plain body through; Content-Length bytes must arrive, and no more are read.

    Subclasses add checks over the bytes (``_update``) and at the end (``_finish``). With ``content_length`` the end
    is reached with the last byte, so the read that returns it also runs the final check.

    ``digests`` (algorithm -> base64, complete once the end was read) holds what a reader hashes the payload with for
    its own checks, the ``planned_digests``: a consumer that needs one of them (the reader above, the code storing the
    body) takes it instead of hashing the payload a second time.
    """

    def __init__(self, raw: BodyStream, content_length: int | None = None) -> None:
        self._raw = raw
        self._expected = content_length
        self._left = content_length
        self._seen = 0
        self._done = False
        self.planned_digests: frozenset[str] = frozenset()
        self.digests: dict[str, str] = {}

    @property
    def bytes_read(self) -> int:
        return self._seen

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            parts = []
            while piece := self.read(READ_BLOCK):
                parts.append(piece)
            return b"".join(parts)
        if n == 0 or self._done:
            return b""
        if self._left is not None:
            n = min(n, self._left)
            if n == 0:
                self._end()
                return b""
        data = self._raw.read(n)
        if not data:
            if self._left:
                assert self._expected is not None
                raise ChunkedError(
                    "IncompleteBody",
                    _SHORT,
                    NumberBytesExpected=str(self._expected),
                    NumberBytesProvided=str(self._seen),
                )
            self._end()
            return b""
        self._seen += len(data)
        self._update(data)
        if self._left is not None:
            self._left -= len(data)
            if self._left <= 0:
                self._end()
        return data

    def _end(self) -> None:
        self._done = True
        self._finish()

    def _update(self, data: bytes) -> None:
        pass

    def _finish(self) -> None:
        pass


class HashingReader(LengthReader):
    """Checks a plain body against the x-amz-content-sha256 it was signed with; its SHA-256 is the ``SHA256``
    digest (a SHA256 checksum of the same bytes)."""

    def __init__(self, raw: BodyStream, expected_sha256_hex: str, content_length: int | None = None) -> None:
        super().__init__(raw, content_length)
        self._claimed = expected_sha256_hex.lower()
        self._hash = hashlib.sha256()
        self.planned_digests = frozenset({"SHA256"})

    def _update(self, data: bytes) -> None:
        self._hash.update(data)

    def _finish(self) -> None:
        actual = self._hash.hexdigest()
        if not hmac.compare_digest(actual, self._claimed):
            raise ChunkedError(
                "XAmzContentSHA256Mismatch",
                _SHA_MISMATCH,
                ClientComputedContentSHA256=self._claimed,
                S3ComputedContentSHA256=actual,
            )
        self.digests["SHA256"] = base64.b64encode(self._hash.digest()).decode("ascii")


class ChecksumReader(LengthReader):
    """Checks a plain body against its x-amz-checksum-* header and Content-MD5, and computes more checksums.

    ``expected`` maps an algorithm to the base64 value the client sent (at most one: S3 refuses several); ``also``
    names algorithms to compute without a claim (S3 stores CRC64NVME for objects uploaded without a checksum). The
    values are in ``checksums`` once the end is reached. Malformed claims are refused here, before any byte is read.

    Read over another reader of this module and without a ``content_length`` of its own (its end is then that
    reader's end, so the other reader's digests are complete when this one needs them), it takes what that reader
    digests anyway (a signed payload's SHA-256) rather than hashing the bytes again; ``digests`` passes them on, with
    the MD5 that Content-MD5 was checked against.
    """

    def __init__(
        self,
        raw: BodyStream,
        expected: Mapping[str, str],
        content_length: int | None = None,
        *,
        content_md5: str | None = None,
        also: Iterable[str] = (),
    ) -> None:
        super().__init__(raw, content_length)
        claims = {checksums.normalize(alg): value.strip() for alg, value in expected.items()}
        if len(claims) > 1:
            raise ChunkedError("InvalidRequest", _MULTIPLE)
        for alg, value in claims.items():
            if checksums.decode(alg, value) is None:
                raise invalid_checksum_value(checksums.header_name(alg))
        self._claims = claims
        self._md5_claim: str | None = None
        if content_md5 is not None:
            if checksums.decode("MD5", content_md5) is None:
                raise ChunkedError("InvalidDigest", "The Content-MD5 you specified is not valid.")
            self._md5_claim = content_md5.strip()
        self._inner = raw if content_length is None and isinstance(raw, LengthReader | AwsChunkedReader) else None
        given = self._inner.planned_digests if self._inner is not None else frozenset()
        self._wanted = sorted({*claims, *(checksums.normalize(a) for a in also)})
        self._running = {alg: checksums.new(alg) for alg in self._wanted if alg not in given}
        # the algorithms ``checksums`` will hold at EOF (a consumer need not compute them again)
        self.planned: frozenset[str] = frozenset(self._wanted)
        # Content-MD5's MD5, unless an MD5 checksum is computed anyway
        md5_given = self._md5_claim is None or "MD5" in given or "MD5" in self._running
        self._md5 = None if md5_given else checksums.new("MD5")
        self.planned_digests = given | self.planned | ({"MD5"} if self._md5_claim is not None else frozenset())
        self.checksums: dict[str, str] = {}

    def _update(self, data: bytes) -> None:
        for c in self._running.values():
            c.update(data)
        if self._md5 is not None:
            self._md5.update(data)

    def _finish(self) -> None:
        given = self._inner.digests if self._inner is not None else {}
        computed = {alg: self._running[alg].b64() if alg in self._running else given[alg] for alg in self._wanted}
        digests = {**given, **computed}
        if self._md5_claim is not None:
            actual = self._md5.b64() if self._md5 is not None else digests["MD5"]
            if not hmac.compare_digest(actual, self._md5_claim):
                raise ChunkedError(
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                    ExpectedDigest=self._md5_claim,
                    CalculatedDigest=actual,
                )
            digests["MD5"] = actual
        for alg, claimed in self._claims.items():
            if not hmac.compare_digest(computed[alg], claimed):
                raise bad_digest(alg)
        self.checksums = computed
        self.digests = digests
