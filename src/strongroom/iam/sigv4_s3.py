"""Amazon S3's forms of request authentication: SigV4 as S3 signs it, aws-chunked signature chains, and SigV2.

S3 differs from the other services that ``iam.sigv4`` verifies in five ways, all mirrored from botocore's
``S3SigV4Auth`` / ``S3SigV4QueryAuth`` / ``HmacV1Auth`` / ``HmacV1QueryAuth`` so that what boto3 signs verifies here:

- the canonical URI is the path as sent: no dot-segment removal, no second encoding (object keys may contain
  ``//``, ``./`` or ``%2F`` and are still distinct keys);
- the payload hash is the ``x-amz-content-sha256`` header verbatim, which header auth must send: a hex SHA-256 that
  the body is checked against while it streams (``protocol.chunked.HashingReader``), ``UNSIGNED-PAYLOAD``, or one
  of the ``STREAMING-*`` values announcing an aws-chunked body whose chunks (and trailer) carry a signature chain
  seeded by the request's signature (``S3Auth.chunk_verifier``). Presigned URLs sign ``UNSIGNED-PAYLOAD``;
- the clock may be off by 15 minutes (``RequestTimeTooSkewed``), not 5, and presigned URLs expire as S3 says;
- the legacy Signature Version 2 (``Authorization: AWS AKID:sig`` and ``?AWSAccessKeyId=&Expires=&Signature=``)
  is still accepted, over S3's canonicalized resource (bucket, key and the sub-resources of the query);
- failures are answered as S3's rest-xml errors (``s3_error``): ``SignatureDoesNotMatch``, ``InvalidAccessKeyId``,
  ``AccessDenied``, ``AuthorizationHeaderMalformed``, ... with S3's wording and extra elements.

The header parsing, the derived-key cache (``signing_key``), the query canonicalization, the region rule and the
request-time window (``time_window``, here with S3's skew) are ``iam.sigv4``'s. The pipeline calls ``parse_s3``
(V4, V2 or anonymous), looks the access key up, then ``verify_s3`` or ``verify_v2``, and reads the body through
``body_reader``.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_tz
from time import gmtime, strftime
from typing import Any, Final
from urllib.parse import quote, unquote, unquote_to_bytes

from strongroom.core.clock import wall_time
from strongroom.core.errors import AwsError
from strongroom.iam.sigv4 import (
    ALGORITHM,
    EMPTY_SHA256,
    SignatureInfo,
    SigV4Error,
    amz_epoch,
    canonical_query,
    is_valid_region,
    parse_credentials,
    signing_key,
    time_window,
)
from strongroom.protocol.checksums import algorithm_of_header
from strongroom.protocol.chunked import (
    AwsChunkedReader,
    ChecksumReader,
    ChunkedError,
    HashingReader,
    LengthReader,
)
from strongroom.protocol.http import BodyStream, HttpRequest

SERVICE: Final = "s3"
SKEW_SECONDS: Final = 900  # S3's MaxAllowedSkewMilliseconds is 900000

UNSIGNED_PAYLOAD: Final = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED: Final = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_SIGNED_TRAILER: Final = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
STREAMING_UNSIGNED_TRAILER: Final = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAMING_ECDSA: Final = (
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
)
PAYLOAD_SHA256: Final = "SHA256"  # S3Auth.payload_mode when x-amz-content-sha256 is a hex digest
STREAMING_MODES: Final = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER})
SIGNED_CHUNK_MODES: Final = frozenset({STREAMING_SIGNED, STREAMING_SIGNED_TRAILER})

# The query parameters botocore's HmacV1Auth puts in the canonicalized resource (its QSAOfInterest, in its order);
# S3's documented list is a subset. A client must sign exactly what the server rebuilds, so botocore's list rules.
V2_SUB_RESOURCES: Final = frozenset(
    {
        "accelerate",
        "acl",
        "cors",
        "defaultObjectAcl",
        "location",
        "logging",
        "partNumber",
        "policy",
        "requestPayment",
        "torrent",
        "versioning",
        "versionId",
        "versions",
        "website",
        "uploads",
        "uploadId",
        "response-content-type",
        "response-content-language",
        "response-expires",
        "response-cache-control",
        "response-content-disposition",
        "response-content-encoding",
        "delete",
        "lifecycle",
        "tagging",
        "restore",
        "storageClass",
        "notification",
        "replication",
        "analytics",
        "metrics",
        "inventory",
        "select",
        "select-type",
        "object-lock",
    }
)
_V2_QUERY_PARAMS: Final = ("AWSAccessKeyId", "Expires", "Signature")
_ISO: Final = "%Y-%m-%dT%H:%M:%SZ"

# --- errors -----------------------------------------------------------------------------------------------

_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
_CONTENT_SHA256_VALUES = (
    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, "
    "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER "
    "or a valid sha256 value."
)
_NO_DATE = "AWS authentication requires a valid Date or x-amz-date header"

# kind -> (code, status, default message). The first eight are iam.sigv4's kinds (its _ERRORS), as S3 answers them;
# the rest are S3's own.
_S3_ERRORS: Final[dict[str, tuple[str, int, str]]] = {
    "incomplete": (
        "AuthorizationHeaderMalformed",
        400,
        "The authorization header is malformed; the authorization header requires three components: "
        "Credential, SignedHeaders, and Signature.",
    ),
    "missing_date": ("AccessDenied", 403, _NO_DATE),
    "unsigned_header": ("AccessDenied", 403, "There were headers present in the request which were not signed"),
    "mismatch": ("SignatureDoesNotMatch", 403, _SIG_MISMATCH),
    "expired": (
        "RequestTimeTooSkewed",
        403,
        "The difference between the request time and the current time is too large.",
    ),
    "unknown_key": ("InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."),
    "expired_token": ("ExpiredToken", 400, "The provided token has expired."),
    "missing_auth": ("AccessDenied", 403, "Access Denied"),
    "invalid_token": ("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
    "malformed_query": (
        "AuthorizationQueryParametersError",
        400,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, "
        "X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
    ),
    "presign_expired": ("AccessDenied", 403, "Request has expired"),
    "not_yet_valid": ("AccessDenied", 403, "Request is not yet valid"),
    "missing_content_sha256": ("InvalidRequest", 400, "Missing required header for this request: x-amz-content-sha256"),
    "invalid_content_sha256": ("InvalidArgument", 400, _CONTENT_SHA256_VALUES),
    "missing_header": ("MissingSecurityHeader", 400, "Your request was missing a required header"),
    "invalid_argument": ("InvalidArgument", 400, "Unsupported Authorization Type"),
    "v2_query": (
        "AccessDenied",
        403,
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
    ),
    "not_implemented": ("NotImplemented", 501, "A header you provided implies functionality that is not implemented"),
}
_S3_ERRORS["skewed"] = _S3_ERRORS["expired"]

S3_KINDS: Final = frozenset(_S3_ERRORS)


def s3_error(kind: str, message: str | None = None, **fields: Any) -> AwsError:
    """The rest-xml error S3 answers for an authentication failure ``kind`` (iam.sigv4's kinds or S3's own)."""
    try:
        code, status, default = _S3_ERRORS[kind]
    except KeyError:
        raise ValueError(f"unknown S3 authentication error kind {kind!r}") from None
    return AwsError(message or default, code=code, status=status, sender_fault=status < 500, **fields)


class S3AuthError(SigV4Error):
    """A SigV4Error whose kind may be one of S3's own and that carries S3's extra error elements."""

    def __init__(self, kind: str, message: str | None = None, **fields: Any) -> None:
        super().__init__(kind, message or _S3_ERRORS[kind][2])
        self.fields = fields

    def to_aws_error(self, protocol: str = "rest-xml") -> AwsError:
        """S3 speaks rest-xml only; ``protocol`` is accepted for the SigV4Error interface and ignored."""
        return s3_error(self.kind, self.message, **self.fields)


# --- parsing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class V2Info:
    """What a Signature Version 2 request claims."""

    access_key_id: str
    signature: str  # base64 HMAC-SHA1
    presigned: bool
    expires: int | None = None  # epoch seconds (query form only)
    session_token: str | None = None


def parse_s3(request: HttpRequest) -> SignatureInfo | V2Info | None:
    """The claimed credentials of an S3 request: SigV4 (header or query), SigV2 (header or query), or None.

    Malformed material raises ``S3AuthError`` with S3's code for it (AuthorizationHeaderMalformed for a V4 header,
    AuthorizationQueryParametersError for a V4 query, InvalidArgument for an unknown scheme or a bad V2 header).
    """
    auth = request.headers.get("authorization")
    params = _query_names(request.query_string)
    v2_query = "AWSAccessKeyId" in params or ("Signature" in params and "Expires" in params)
    v4_query = any(name in params for name in ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"))
    if auth is not None and (v2_query or v4_query):
        raise S3AuthError(
            "invalid_argument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
            "parameter or the Authorization header should be specified",
            ArgumentName="Authorization",
            ArgumentValue=auth,
        )
    if auth is not None:
        scheme = auth.strip().split(" ", 1)[0]
        if scheme == "AWS":
            return parse_v2(request)
        if scheme == "AWS4-ECDSA-P256-SHA256":
            raise S3AuthError("not_implemented", "Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not implemented.")
        if scheme != ALGORITHM:
            raise S3AuthError("invalid_argument", ArgumentName="Authorization", ArgumentValue=auth)
    elif v2_query and not v4_query:
        return parse_v2(request)
    elif not v4_query:
        return None
    try:
        info = parse_credentials(request)
    except SigV4Error as exc:
        raise S3AuthError("malformed_query" if auth is None else "incomplete", exc.message) from None
    if info is not None and info.presigned and info.expires is None:
        raise S3AuthError("malformed_query")
    return info


def parse_v2(request: HttpRequest) -> V2Info | None:
    """SigV2 material of a request (``Authorization: AWS AKID:sig`` or the query form), or None."""
    auth = request.headers.get("authorization")
    if auth is not None:
        scheme, _, credential = auth.strip().partition(" ")
        if scheme != "AWS":
            return None
        access_key, colon, signature = credential.strip().rpartition(":")
        if not colon or not access_key or not signature:
            raise S3AuthError(
                "invalid_argument",
                "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
                ArgumentName="Authorization",
                ArgumentValue=auth,
            )
        return V2Info(access_key, signature, False, None, request.headers.get("x-amz-security-token"))
    params = _query_values(request.query_string)
    if not any(name in params for name in _V2_QUERY_PARAMS):
        return None
    if not all(params.get(name) for name in _V2_QUERY_PARAMS):
        raise S3AuthError("v2_query")
    expires = params["Expires"]
    if not expires.isdigit():
        raise S3AuthError("v2_query", f"Invalid date (should be seconds since epoch): {expires}")
    token = params.get("x-amz-security-token") or request.headers.get("x-amz-security-token")
    return V2Info(params["AWSAccessKeyId"], params["Signature"], True, int(expires), token)


def _query_names(query_string: str) -> set[str]:
    return {unquote(piece.partition("=")[0]) for piece in query_string.split("&") if piece}


def _query_values(query_string: str) -> dict[str, str]:
    """Decoded pairs, '+' kept literal: a base64 signature's '+' is data, and botocore encodes spaces as %20."""
    out: dict[str, str] = {}
    for piece in query_string.split("&"):
        if piece:
            key, _, value = piece.partition("=")
            out.setdefault(unquote(key), unquote(value))
    return out


# --- SigV4, S3 flavour ------------------------------------------------------------------------------------


class ChunkChain:
    """The verifier of an aws-chunked body's signature chain (``protocol.chunked.ChunkVerifier``).

    Chunk n is signed over the lines ``AWS4-HMAC-SHA256-PAYLOAD``, date, scope, signature n-1, sha256(""),
    sha256(data), starting from the request's (seed) signature; the trailer over ``AWS4-HMAC-SHA256-TRAILER``, date,
    scope, the final chunk's signature, sha256(canonical trailers). Each check is one HMAC with the cached key.
    """

    def __init__(self, key: bytes, amz_date: str, scope: str, seed_signature: str) -> None:
        self._key = key
        self._prefix = f"{amz_date}\n{scope}\n"
        self.previous = seed_signature

    def chunk(self, chunk_sha256: str, signature: str) -> None:
        sts = f"AWS4-HMAC-SHA256-PAYLOAD\n{self._prefix}{self.previous}\n{EMPTY_SHA256}\n{chunk_sha256}"
        self.previous = self._check(sts, signature)

    def trailer(self, trailer_block: bytes, signature: str) -> None:
        sts = f"AWS4-HMAC-SHA256-TRAILER\n{self._prefix}{self.previous}\n{hashlib.sha256(trailer_block).hexdigest()}"
        self.previous = self._check(sts, signature)

    def _check(self, string_to_sign: str, signature: str) -> str:
        expected = hmac.new(self._key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise ChunkedError("SignatureDoesNotMatch", _SIG_MISMATCH, StringToSign=string_to_sign)
        return expected


@dataclass(frozen=True, slots=True)
class S3Auth:
    """A verified S3 SigV4 request: who signed it and how its body must be read."""

    access_key_id: str
    payload_mode: str  # PAYLOAD_SHA256, UNSIGNED_PAYLOAD or one of STREAMING_MODES
    seed_signature: str
    signing_key: bytes = field(repr=False)
    scope: str
    amz_date: str
    region: str
    presigned: bool
    session_token: str | None = None
    content_sha256: str | None = None  # the declared hex digest when payload_mode is PAYLOAD_SHA256
    decoded_length: int | None = None  # x-amz-decoded-content-length of a streaming body
    trailer_names: tuple[str, ...] = ()  # x-amz-trailer

    @property
    def streaming(self) -> bool:
        return self.payload_mode in STREAMING_MODES

    @property
    def signed_chunks(self) -> bool:
        return self.payload_mode in SIGNED_CHUNK_MODES

    def chunk_verifier(self) -> ChunkChain:
        """A fresh verifier for this request's aws-chunked signature chain (signed streaming modes only)."""
        if not self.signed_chunks:
            raise ValueError(f"{self.payload_mode} bodies carry no chunk signatures")
        return ChunkChain(self.signing_key, self.amz_date, self.scope, self.seed_signature)


def canonical_paths(path: str) -> tuple[str, ...]:
    """The canonical URIs to try: the path as sent (what botocore signs), then each segment encoded per RFC 3986.

    The second form is what the AWS spec prescribes for S3 (encode every byte but the unreserved ones, once); it
    differs from the wire form only for clients that send reserved characters bare, and those sign the strict form.
    Segments are re-encoded one by one so that an encoded slash (``%2F``) inside a key stays one.
    """
    raw = path or "/"
    if _UNRESERVED_PATH.fullmatch(raw):  # nothing to encode and nothing encoded: the strict form is the same
        return (raw,)
    strict = "/".join(quote(unquote_to_bytes(segment), safe="~") for segment in raw.split("/"))
    return (raw,) if strict == raw else (raw, strict)


_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_UNRESERVED_PATH = re.compile(r"[A-Za-z0-9\-._~/]*")


def s3_canonical_request(request: HttpRequest, info: SignatureInfo, payload: str, path: str | None = None) -> str:
    """The canonical request as botocore's S3SigV4Auth / S3SigV4QueryAuth build it."""
    headers = request.headers
    lines = [
        request.method.upper(),
        path if path is not None else (request.path or "/"),
        canonical_query(request.query_string, drop_signature=info.presigned),
    ]
    for name in info.signed_headers.split(";"):
        lines.append(f"{name}:{' '.join(headers.get(name, '').split())}")
    lines.append("")
    lines.append(info.signed_headers)
    lines.append(payload)
    return "\n".join(lines)


def verify_s3(
    request: HttpRequest, info: SignatureInfo, secret: str, now: float | None = None, *, region: str | None = None
) -> S3Auth:
    """Accept an S3 SigV4 request (header or presigned) or raise ``S3AuthError``.

    ``region`` is the region the bucket lives in, when the caller knows it (S3 refuses a scope naming another).
    ``now`` defaults to wall time, as for the other services.
    """
    query = info.presigned
    malformed = "malformed_query" if query else "incomplete"
    if info.amz_date is None:
        raise S3AuthError("missing_date")
    if info.amz_date[:8] != info.date:
        if query:
            message = (
                f'Invalid credential date "{info.date}". '
                f'This date is not the same as X-Amz-Date: "{info.amz_date[:8]}".'
            )
        else:
            message = (
                "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."
            )
        raise S3AuthError(malformed, message)
    _check_scope(info, region, malformed)
    _check_time(info, wall_time() if now is None else now)
    _check_signed_headers(request, info)
    mode, payload, declared = _payload(request, info)
    key = signing_key(secret, info.date, info.region, info.service)
    first: tuple[str, str] | None = None
    for path in canonical_paths(request.path):
        canonical = s3_canonical_request(request, info, payload, path)
        sts = "\n".join((ALGORITHM, info.amz_date, info.scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest()))
        expected = hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, info.signature.lower()):
            break
        first = first or (canonical, sts)
    else:
        assert first is not None
        raise S3AuthError(
            "mismatch",
            AWSAccessKeyId=info.access_key_id,
            StringToSign=first[1],
            SignatureProvided=info.signature,
            CanonicalRequest=first[0],
        )
    decoded_length: int | None = None
    trailers: tuple[str, ...] = ()
    if mode in STREAMING_MODES:
        raw_length = request.headers.get("x-amz-decoded-content-length")
        if raw_length is None:
            if mode in SIGNED_CHUNK_MODES:  # botocore's unsigned-trailer bodies omit it when the length is unknown
                raise S3AuthError("missing_header", MissingHeaderName="x-amz-decoded-content-length")
        elif not raw_length.strip().isdigit():
            raise S3AuthError(
                "invalid_argument",
                "Invalid x-amz-decoded-content-length",
                ArgumentName="x-amz-decoded-content-length",
                ArgumentValue=raw_length,
            )
        else:
            decoded_length = int(raw_length)
        trailers = _names(request.headers.get("x-amz-trailer", ""))
    return S3Auth(
        access_key_id=info.access_key_id,
        payload_mode=mode,
        seed_signature=info.signature.lower(),
        signing_key=key,
        scope=info.scope,
        amz_date=info.amz_date,
        region=info.region,
        presigned=info.presigned,
        session_token=info.session_token,
        content_sha256=declared,
        decoded_length=decoded_length,
        trailer_names=trailers,
    )


def _check_scope(info: SignatureInfo, region: str | None, malformed: str) -> None:
    prefix = (
        "Error parsing the X-Amz-Credential parameter; "
        if malformed == "malformed_query"
        else ("The authorization header is malformed; ")
    )
    if info.service != SERVICE:
        raise S3AuthError(malformed, f'{prefix}incorrect service "{info.service}". This endpoint belongs to "s3".')
    if region is not None and info.region != region:
        raise S3AuthError(
            malformed, f"{prefix}the region '{info.region}' is wrong; expecting '{region}'", Region=region
        )
    if not is_valid_region(info.region):
        raise S3AuthError(malformed, f"{prefix}the region '{info.region}' is wrong; expecting 'us-east-1'")


def _iso(epoch: float) -> str:
    return strftime(_ISO, gmtime(epoch))


def _check_time(info: SignatureInfo, now: float) -> None:
    """``iam.sigv4``'s time window with S3's skew, answered in S3's words."""
    assert info.amz_date is not None
    try:
        signed_at = amz_epoch(info.amz_date)
    except SigV4Error as exc:
        raise S3AuthError("malformed_query" if info.presigned else "incomplete", exc.message) from None
    expires = info.expires if info.presigned else None
    if info.presigned:
        assert expires is not None  # parse_s3 refuses a presigned URL without X-Amz-Expires
    verdict = time_window(signed_at, now, skew=SKEW_SECONDS, expires=expires)
    if verdict is None:
        return
    if expires is None:  # header auth: S3 words "too early" and "too late" alike
        raise _skewed(info.amz_date, now)
    if verdict == "early":
        raise S3AuthError("not_yet_valid", **{"X-Amz-Date": info.amz_date, "Expires": _iso(signed_at + expires)})
    raise S3AuthError(
        "presign_expired",
        **{"X-Amz-Expires": str(expires), "Expires": _iso(signed_at + expires), "ServerTime": _iso(now)},
    )


def _skewed(request_time: str, now: float) -> S3AuthError:
    return S3AuthError(
        "skewed", RequestTime=request_time, ServerTime=_iso(now), MaxAllowedSkewMilliseconds=str(SKEW_SECONDS * 1000)
    )


def _check_signed_headers(request: HttpRequest, info: SignatureInfo) -> None:
    """Host must be signed, and every x-amz-* header sent (S3 checks this for presigned URLs too).

    Unlike the json services, S3 routes on method, path and query only, so an unsigned Content-Type cannot change
    the operation; S3 and botocore leave it optional, and so do we.
    """
    signed = set(info.signed_headers.split(";"))
    if "host" not in signed:
        raise S3AuthError(
            "incomplete" if not info.presigned else "malformed_query",
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        )
    unsigned = sorted(name for name in request.headers if name.startswith("x-amz-") and name not in signed)
    if unsigned:
        raise S3AuthError("unsigned_header", HeadersNotSigned=", ".join(unsigned))


def _payload(request: HttpRequest, info: SignatureInfo) -> tuple[str, str, str | None]:
    """(payload mode, the payload line of the canonical request, the declared hex digest or None)."""
    if info.presigned:
        value = _query_values(request.query_string).get("X-Amz-Content-Sha256", UNSIGNED_PAYLOAD)
    else:
        header = request.headers.get("x-amz-content-sha256")
        if header is None:
            raise S3AuthError("missing_content_sha256")
        value = header.strip()
    if value == UNSIGNED_PAYLOAD or value in STREAMING_MODES:
        return value, value, None
    if _HEX64.fullmatch(value):
        return PAYLOAD_SHA256, value, value.lower()
    if value in STREAMING_ECDSA:
        raise S3AuthError("not_implemented", f"x-amz-content-sha256 {value} (SigV4A chunk signing) is not implemented.")
    raise S3AuthError("invalid_content_sha256", ArgumentName="x-amz-content-sha256", ArgumentValue=value)


# --- SigV2 ------------------------------------------------------------------------------------------------


def v2_strings_to_sign(request: HttpRequest, info: V2Info, *, bucket_from_host: str | None) -> list[str]:
    """HmacV1's string to sign: verb, Content-MD5, Content-Type, date, x-amz-* headers, canonicalized resource.

    Some requests have two forms, and every combination is accepted (each still needs the secret):

    - with an x-amz-date header AWS documents the general rule (the Date line empty and x-amz-date among the
      x-amz-* headers, as boto2 and MinIO sign) and a worked example (x-amz-date's value on the Date line and left
      out of the x-amz-* headers);
    - a path-style request on a bucket (``/bkt``) is signed by botocore as ``/bkt/``, the bucket's resource, while
      a client signing the path as sent has ``/bkt``.
    """
    headers = request.headers
    query = _query_values(request.query_string) if info.presigned else {}
    amz: dict[str, str] = {}
    if info.presigned:  # botocore's HmacV1QueryAuth moves the signed x-amz-* headers into the query
        amz.update({k.lower(): v.strip() for k, v in query.items() if k.lower().startswith("x-amz-")})
    amz.update({k: v.strip() for k, v in headers.items() if k.startswith("x-amz-")})
    head = [
        request.method.upper(),
        headers.get("content-md5", query.get("content-md5", "")).strip(),
        headers.get("content-type", query.get("content-type", "")).strip(),
    ]
    if info.presigned:  # the Expires value stands for the date
        dates = [(query.get("Expires", ""), list(amz))]
    elif "x-amz-date" not in amz:
        dates = [(headers.get("date", ""), list(amz))]
    else:
        dates = [("", list(amz)), (amz["x-amz-date"], [k for k in amz if k != "x-amz-date"])]
    path = request.path or "/"
    if bucket_from_host:
        paths = [f"/{bucket_from_host}{path}"]
    elif path.count("/") == 1 and len(path) > 1:
        paths = [path + "/", path]
    else:
        paths = [path]
    subresources = _v2_subresources(request.query_string)
    return [
        "\n".join([*head, date.strip(), *(f"{k}:{amz[k]}" for k in sorted(names)), resource + subresources])
        for resource in paths
        for date, names in dates
    ]


def _v2_subresources(query_string: str) -> str:
    subresources: list[tuple[str, str | None]] = []
    for piece in query_string.split("&"):
        key, eq, value = piece.partition("=")
        if key in V2_SUB_RESOURCES:
            subresources.append((key, unquote(value) if eq else None))
    if not subresources:
        return ""
    subresources.sort(key=lambda kv: kv[0])
    return "?" + "&".join(k if v is None else f"{k}={v}" for k, v in subresources)


def verify_v2(
    request: HttpRequest, info: V2Info, secret: str, now: float | None = None, *, bucket_from_host: str | None
) -> None:
    """Accept a SigV2 request or raise ``S3AuthError``.

    ``bucket_from_host`` is the bucket named by a virtual-hosted-style Host (None for path-style requests): the
    canonicalized resource always starts with the bucket.
    """
    now = wall_time() if now is None else now
    if info.presigned:
        assert info.expires is not None
        if now > info.expires:
            raise S3AuthError("presign_expired", Expires=_iso(info.expires), ServerTime=_iso(now))
    else:
        raw = request.headers.get("x-amz-date") or request.headers.get("date")
        if raw is None:
            raise S3AuthError("missing_date")
        parsed = parsedate_tz(raw)
        if parsed is None:
            raise S3AuthError("missing_date")
        signed_at = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
        if time_window(signed_at, now, skew=SKEW_SECONDS) is not None:
            raise _skewed(raw, now)
    candidates = v2_strings_to_sign(request, info, bucket_from_host=bucket_from_host)
    provided = info.signature.encode("ascii", "replace")
    key = secret.encode("utf-8")
    for sts in candidates:
        expected = base64.b64encode(hmac.new(key, sts.encode("utf-8"), hashlib.sha1).digest())
        if hmac.compare_digest(expected, provided):
            return
    raise S3AuthError(
        "mismatch", AWSAccessKeyId=info.access_key_id, StringToSign=candidates[0], SignatureProvided=info.signature
    )


# --- the body ---------------------------------------------------------------------------------------------


class S3Body:
    """The payload of an S3 request as a stream, with every check S3 makes on it; see ``body_reader``."""

    def __init__(self, outer: ChecksumReader, chunked: AwsChunkedReader | None) -> None:
        self._outer = outer
        self._chunked = chunked

    def read(self, n: int = -1) -> bytes:
        return self._outer.read(n)

    @property
    def checksums(self) -> dict[str, str]:
        """Algorithm -> base64 of every checksum computed (claimed or asked for); complete once EOF was read."""
        return {**(self._chunked.checksums if self._chunked else {}), **self._outer.checksums}

    @property
    def trailers(self) -> dict[str, str]:
        return dict(self._chunked.trailers) if self._chunked else {}

    @property
    def planned_checksums(self) -> frozenset[str]:
        """The algorithms ``checksums`` will hold once the end is read."""
        return self._outer.planned | (self._chunked.planned if self._chunked else frozenset())

    @property
    def digests(self) -> dict[str, str]:
        """Algorithm -> base64 of every digest of the payload the checks computed: ``checksums``, and what a check
        hashed the payload with anyway (a signed payload's SHA256, Content-MD5's MD5). Complete once EOF was read.

        Unlike ``checksums`` these are not claims the request made about its object, only values a consumer takes
        instead of hashing the payload again.
        """
        return dict(self._outer.digests)

    @property
    def planned_digests(self) -> frozenset[str]:
        """The algorithms ``digests`` will hold once the end is read: a consumer need not compute them again."""
        return self._outer.planned_digests


def is_aws_chunked(headers: Mapping[str, str], auth: S3Auth | None) -> bool:
    """Whether the body is aws-chunked: a STREAMING-* payload, or Content-Encoding naming aws-chunked."""
    if auth is not None and auth.streaming:
        return True
    return "aws-chunked" in _tokens(headers.get("content-encoding", ""))


def stored_content_encoding(value: str | None) -> str | None:
    """Content-Encoding as the object keeps it: aws-chunked is transport framing, which S3 drops."""
    kept = [t for t in _tokens(value or "") if t != "aws-chunked"]
    return ",".join(kept) or None


def _tokens(value: str) -> list[str]:
    return [t.strip().lower() for t in value.split(",") if t.strip()]


def body_reader(
    raw: BodyStream, headers: Mapping[str, str], auth: S3Auth | None, *, also: Iterable[str] = ()
) -> S3Body:
    """The request body, decoded and checked as S3 does, for a SigV4 request (``auth``) or a SigV2/anonymous one.

    Content-Length (of the wire body) must be met; a signed hex payload is hashed; an aws-chunked body is decoded
    with its signature chain, decoded length and checksum trailer; x-amz-checksum-* and Content-MD5 headers are
    checked over the payload; ``also`` names checksums to compute regardless. Header problems (an invalid checksum
    value, several checksums, an unsupported trailer) raise ``ChunkedError`` here, before any byte is read.
    """
    length_header = headers.get("content-length")
    content_length = int(length_header) if length_header is not None and length_header.strip().isdigit() else None
    claims = {alg: v for k, v in headers.items() if (alg := algorithm_of_header(k)) is not None}
    inner: BodyStream
    if auth is not None and auth.payload_mode == PAYLOAD_SHA256 and auth.content_sha256 is not None:
        inner = HashingReader(raw, auth.content_sha256, content_length)
    else:
        inner = LengthReader(raw, content_length)
    chunked: AwsChunkedReader | None = None
    trailer_names = auth.trailer_names if auth is not None else _names(headers.get("x-amz-trailer", ""))
    if is_aws_chunked(headers, auth):
        decoded_length = (
            auth.decoded_length if auth is not None else _int_or_none(headers, "x-amz-decoded-content-length")
        )
        chunked = AwsChunkedReader(
            inner,
            verifier=auth.chunk_verifier() if auth is not None and auth.signed_chunks else None,
            decoded_length=decoded_length,
            trailer_names=trailer_names,
        )
        if claims and trailer_names:
            raise ChunkedError(
                "InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
            )
        inner = chunked
    sdk_algorithm = headers.get("x-amz-sdk-checksum-algorithm")
    declared = set(claims) | {alg for name in trailer_names if (alg := algorithm_of_header(name))}
    if sdk_algorithm is not None and declared and sdk_algorithm.strip().upper() not in declared:
        raise ChunkedError("InvalidRequest", "Value for x-amz-sdk-checksum-algorithm header is invalid.")
    outer = ChecksumReader(inner, claims, content_md5=headers.get("content-md5"), also=also)
    return S3Body(outer, chunked)


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip().lower() for n in value.split(",") if n.strip())


def _int_or_none(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    return int(value) if value is not None and value.strip().isdigit() else None
