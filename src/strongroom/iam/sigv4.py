"""Server-side verification of AWS Signature Version 4 (header and presigned query-string forms).

The canonical request is rebuilt the way botocore's ``SigV4Auth`` builds it for non-S3 services (dot-segment
and double-slash removal, then ``quote(path, safe='/~')`` over the already percent-encoded path, i.e. double
encoding), so that anything botocore signs verifies here byte for byte. Derived signing keys are cached, so a
verification after the first for a (secret, date, region, service) costs one HMAC plus two SHA-256 hashes.

Failures raise ``SigV4Error`` carrying a protocol-independent ``kind``; ``to_aws_error`` turns a kind into the
code, status and wording that AWS uses for the calling service's protocol (one table, ``_ERRORS``).
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
from dataclasses import dataclass
from email.utils import parsedate_tz
from functools import cache, lru_cache
from time import gmtime, strftime
from typing import Final, Literal
from urllib.parse import quote, unquote_to_bytes

from strongroom.core.clock import wall_time
from strongroom.core.errors import AwsError
from strongroom.protocol.http import HttpRequest

ALGORITHM: Final = "AWS4-HMAC-SHA256"
TERMINATOR: Final = "aws4_request"
UNSIGNED_PAYLOAD: Final = "UNSIGNED-PAYLOAD"
EMPTY_SHA256: Final = hashlib.sha256(b"").hexdigest()
SKEW_SECONDS: Final = 300  # AWS's ±5 minutes
MAX_PRESIGN_EXPIRES: Final = 604800  # one week, AWS's ceiling for X-Amz-Expires

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z")
_AUTH_SPLIT = re.compile(r"[,\s]+")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_ISO_BASIC: Final = "%Y%m%dT%H%M%SZ"
_QUERY_AUTH_PARAMS: Final = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature")


class SigV4Error(Exception):
    """A request whose signature cannot be accepted; ``kind`` selects the AWS error via ``to_aws_error``."""

    def __init__(self, kind: str, message: str | None = None) -> None:
        self.kind = kind
        self.message = message
        # str(exc) is what callers put on the wire: AWS's text only, never the internal kind.
        known = _ERRORS.get(kind)
        super().__init__(message or (known["json"][2] if known else kind))

    def to_aws_error(self, protocol: str) -> AwsError:
        return to_aws_error(self.kind, protocol, self.message)


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """What the client claims: who signed, for which scope, over which headers."""

    access_key_id: str
    date: str  # YYYYMMDD from the credential scope
    region: str
    service: str  # signing name
    signed_headers: str  # verbatim, e.g. "content-type;host;x-amz-date"
    signature: str
    amz_date: str | None  # ISO-8601 basic; None when neither X-Amz-Date nor Date was sent
    session_token: str | None
    presigned: bool
    expires: int | None = None  # X-Amz-Expires, presigned only

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{TERMINATOR}"


# --- errors: one table, (kind, protocol family) -> (code, status, default message) -------------------------

_SIG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_BAD_TOKEN = "The security token included in the request is invalid."
_EXPIRED_TOKEN = "The security token included in the request is expired"
_INCOMPLETE = "The request signature does not conform to AWS standards."
_NO_DATE = "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."

# awsJson and rpcv2-cbor front ends answer 400 for every auth failure (observed on KMS, Secrets Manager,
# DynamoDB, Kinesis); rest-json front ends (Lambda, GuardDuty, ...) answer 403; query services (IAM, STS)
# answer 403 except IncompleteSignature (400).
_ERRORS: Final[dict[str, dict[str, tuple[str, int, str]]]] = {
    "incomplete": {
        "query": ("IncompleteSignature", 400, _INCOMPLETE),
        "json": ("IncompleteSignatureException", 400, _INCOMPLETE),
        "rest-json": ("IncompleteSignatureException", 403, _INCOMPLETE),
    },
    "missing_date": {
        "query": ("IncompleteSignature", 400, _NO_DATE),
        "json": ("IncompleteSignatureException", 400, _NO_DATE),
        "rest-json": ("IncompleteSignatureException", 403, _NO_DATE),
    },
    "unsigned_header": {
        "query": ("IncompleteSignature", 400, _INCOMPLETE),
        "json": ("IncompleteSignatureException", 400, _INCOMPLETE),
        "rest-json": ("IncompleteSignatureException", 403, _INCOMPLETE),
    },
    "mismatch": {
        "query": ("SignatureDoesNotMatch", 403, _SIG_MISMATCH),
        "json": ("InvalidSignatureException", 400, _SIG_MISMATCH),
        "rest-json": ("InvalidSignatureException", 403, _SIG_MISMATCH),
    },
    "expired": {
        "query": ("SignatureDoesNotMatch", 403, "Signature expired"),
        "json": ("InvalidSignatureException", 400, "Signature expired"),
        "rest-json": ("InvalidSignatureException", 403, "Signature expired"),
    },
    "unknown_key": {
        "query": ("InvalidClientTokenId", 403, _BAD_TOKEN),
        "json": ("UnrecognizedClientException", 400, _BAD_TOKEN),
        "rest-json": ("UnrecognizedClientException", 403, _BAD_TOKEN),
    },
    "expired_token": {
        "query": ("ExpiredToken", 403, _EXPIRED_TOKEN),
        "json": ("ExpiredTokenException", 400, _EXPIRED_TOKEN),
        "rest-json": ("ExpiredTokenException", 403, _EXPIRED_TOKEN),
    },
    "missing_auth": {
        "query": ("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        "json": ("MissingAuthenticationTokenException", 400, "Missing Authentication Token"),
        "rest-json": ("MissingAuthenticationTokenException", 403, "Missing Authentication Token"),
    },
}

_PROTOCOL_FAMILY: Final = {"query": "query", "json": "json", "smithy-rpc-v2-cbor": "json", "rest-json": "rest-json"}

KINDS: Final = frozenset(_ERRORS)


def to_aws_error(kind: str, protocol: str, message: str | None = None) -> AwsError:
    """The AWS error for a SigV4 failure ``kind`` as a service speaking ``protocol`` reports it."""
    try:
        code, status, default = _ERRORS[kind][_PROTOCOL_FAMILY[protocol]]
    except KeyError:
        raise ValueError(f"unknown SigV4 error kind {kind!r} or protocol {protocol!r}") from None
    return AwsError(message or default, code=code, status=status, sender_fault=True)


# --- parsing ----------------------------------------------------------------------------------------------


def parse_credentials(request: HttpRequest) -> SignatureInfo | None:
    """Read the claimed signature from the request; None when it carries no SigV4 material at all."""
    auth = request.headers.get("authorization")
    qs = request.query_string
    query_auth = "X-Amz-" in qs and any(f"{name}=" in qs for name in ("X-Amz-Signature", "X-Amz-Credential"))
    if auth is None and not query_auth:
        return None
    if auth is not None and query_auth:
        raise SigV4Error(
            "incomplete",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
            "Signature query string parameter or the Authorization header should be specified",
        )
    if auth is not None:
        return _parse_header_auth(request, auth)
    return _parse_query_auth(request)


def _parse_header_auth(request: HttpRequest, auth: str) -> SignatureInfo:
    algorithm, _, rest = auth.strip().partition(" ")
    params: dict[str, str] = {}
    # AWS splits on commas and whitespace alike, so a stray space inside a value is reported as a broken pair.
    for part in _AUTH_SPLIT.split(rest):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise SigV4Error(
                "incomplete",
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{auth}'.",
            )
        params[key] = value
    amz_date = _header_date(request)
    missing = [
        f"Authorization header requires '{p}' parameter."
        for p in ("Credential", "Signature", "SignedHeaders")
        if p not in params
    ]
    if missing:
        if amz_date is None:
            missing.append(_NO_DATE)
        raise SigV4Error("incomplete", " ".join(missing) + f" Authorization={auth}")
    if algorithm != ALGORITHM:
        raise SigV4Error("incomplete", f"Unsupported AWS 'algorithm': '{algorithm}'.")
    access_key, date, region, service = _parse_scope(params["Credential"])
    return SignatureInfo(
        access_key_id=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=params["SignedHeaders"],
        signature=params["Signature"],
        amz_date=amz_date,
        session_token=request.headers.get("x-amz-security-token"),
        presigned=False,
    )


def _parse_query_auth(request: HttpRequest) -> SignatureInfo:
    params = dict(request.query_params())
    for name in (*_QUERY_AUTH_PARAMS, "X-Amz-Date"):
        if name not in params:
            raise SigV4Error(
                "incomplete",
                f"AWS query-string parameters must include '{name}'. Re-examine the query-string parameters.",
            )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SigV4Error("incomplete", f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'.")
    amz_date = params["X-Amz-Date"]
    _check_iso_basic(amz_date)
    expires: int | None = None
    if "X-Amz-Expires" in params:
        raw = params["X-Amz-Expires"]
        if not raw.isdigit():
            raise SigV4Error("incomplete", f"X-Amz-Expires should be a number, not '{raw}'.")
        expires = int(raw)
        if expires > MAX_PRESIGN_EXPIRES:
            raise SigV4Error("incomplete", "X-Amz-Expires must be less than a week (in seconds) that is 604800")
    access_key, date, region, service = _parse_scope(params["X-Amz-Credential"])
    return SignatureInfo(
        access_key_id=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=params["X-Amz-SignedHeaders"],
        signature=params["X-Amz-Signature"],
        amz_date=amz_date,
        session_token=params.get("X-Amz-Security-Token"),
        presigned=True,
        expires=expires,
    )


def _parse_scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0]:
        raise SigV4Error("incomplete", f"Credential should be scoped to a valid region, not '{credential}'. ")
    access_key, date, region, service, terminator = parts
    if len(date) != 8 or not date.isdigit():
        raise SigV4Error("incomplete", f"Date must be in ISO-8601 'basic format'. Got '{date}'. ")
    if not region:
        raise SigV4Error("incomplete", "Credential should be scoped to a valid region. ")
    if not service:
        raise SigV4Error("incomplete", "Credential should be scoped to correct service. ")
    if terminator != TERMINATOR:
        raise SigV4Error(
            "incomplete", f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{terminator}'. "
        )
    return access_key, date, region, service


def _header_date(request: HttpRequest) -> str | None:
    """The request timestamp in ISO-8601 basic form: X-Amz-Date wins, else the HTTP Date header."""
    amz = request.headers.get("x-amz-date")
    if amz is not None:
        amz = amz.strip()
        _check_iso_basic(amz)
        return amz
    http_date = request.headers.get("date")
    if http_date is None:
        return None
    parsed = parsedate_tz(http_date)
    if parsed is None:
        raise SigV4Error("incomplete", f"Date must be in ISO-8601 'basic format'. Got '{http_date}'. ")
    epoch = calendar.timegm(parsed[:9]) - (parsed[9] or 0)
    return strftime(_ISO_BASIC, gmtime(epoch))


def _check_iso_basic(value: str) -> None:
    if not _AMZ_DATE.fullmatch(value):
        raise SigV4Error(
            "incomplete",
            f"Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601",
        )


def amz_epoch(amz_date: str) -> int:
    """The epoch seconds of an ISO-8601 basic timestamp (X-Amz-Date, already checked by ``_check_iso_basic``).

    Raises ``SigV4Error("incomplete")`` for digits in the right places that name no time (month 13): callers that
    answer in another dialect (``iam.sigv4_s3``) re-word it with its message.
    """
    try:
        return calendar.timegm(
            (
                int(amz_date[0:4]),
                int(amz_date[4:6]),
                int(amz_date[6:8]),
                int(amz_date[9:11]),
                int(amz_date[11:13]),
                int(amz_date[13:15]),
                0,
                0,
                0,
            )
        )
    except ValueError:  # digits in the right places but e.g. month 13
        raise SigV4Error("incomplete", f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. ") from None


def _fmt(epoch: float) -> str:
    return strftime(_ISO_BASIC, gmtime(epoch))


# --- verification -----------------------------------------------------------------------------------------


def verify(
    request: HttpRequest,
    info: SignatureInfo,
    secret_access_key: str,
    now: float | None = None,
    *,
    service: str | None = None,
    allow_unsigned_payload: bool = False,
) -> None:
    """Accept the request or raise ``SigV4Error``.

    ``service`` is the signing name of the service the request was routed to; a signature scoped to another
    service is refused as AWS refuses it (None skips that check, for the test vectors' made-up service).
    ``now`` defaults to wall time: clients sign with real time, so a test-advanced server clock must not
    make every request look expired. ``allow_unsigned_payload`` is for operations modelled as
    ``v4-unsigned-body``; none of the in-scope services has one, so by default a body is always hashed.
    """
    if info.amz_date is None:
        raise SigV4Error("missing_date", _NO_DATE)
    if info.amz_date[:8] != info.date:
        raise SigV4Error(
            "mismatch",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{info.date}' != '{info.amz_date[:8]}', from '{info.amz_date}'.",
        )
    check_scope(info, service)
    _check_time(info, wall_time() if now is None else now)
    signed = info.signed_headers.split(";")
    _check_signed_headers(request, info, signed)
    expected = _signature(request, info, signed, secret_access_key, allow_unsigned_payload)
    if not hmac.compare_digest(expected, info.signature.encode("ascii", "replace")):
        raise SigV4Error("mismatch", _SIG_MISMATCH)


def check_scope(info: SignatureInfo, service: str | None) -> None:
    """The credential scope must name the service called and a region AWS could have.

    AWS answers a signature scoped to another service, or to a region its endpoint does not serve, with the
    signature-mismatch error and these texts (e.g. "Credential should be scoped to correct service: 'kms'. ").
    One Strongroom endpoint serves every region, so "a region AWS could have" is: a region of one of AWS's
    partitions, judged by the partition's region pattern in botocore's data (so regions newer than the
    installed botocore still work, and ``mars-1`` or ``local`` do not).
    """
    if service is not None and info.service != service:
        raise SigV4Error("mismatch", f"Credential should be scoped to correct service: '{service}'. ")
    if not is_valid_region(info.region):
        raise SigV4Error("mismatch", f"Credential should be scoped to a valid region, not '{info.region}'. ")


@cache
def _region_patterns() -> tuple[re.Pattern[str], ...]:
    from botocore.loaders import create_loader

    data = create_loader().load_data("partitions")
    return tuple(re.compile(p["regionRegex"]) for p in data["partitions"])


@lru_cache(maxsize=256)
def is_valid_region(region: str) -> bool:
    """Whether ``region`` is a region name of one of AWS's partitions (us-east-1, eu-west-1, cn-north-1, ...)."""
    return any(p.fullmatch(region) for p in _region_patterns())


# Where a signing time stands against the clock (``time_window``); None is "inside the window".
TimeVerdict = Literal["early", "expired", "stale"]


def time_window(
    signed_at: float, now: float, *, skew: float = SKEW_SECONDS, expires: int | None = None
) -> TimeVerdict | None:
    """Judge a request signed at ``signed_at`` against ``now`` (epoch seconds; the wall clock, see ``verify``).

    ``"early"``: signed more than ``skew`` seconds ahead of now. With ``expires`` (a presigned request's
    X-Amz-Expires) the request is good until ``signed_at + expires``, after which it is ``"expired"``; without it
    (header auth) it is ``"stale"`` once signed more than ``skew`` ago. The rule is the same everywhere; only the skew
    (S3 allows 15 minutes, the other services 5) and the errors' wording differ, so the callers word the verdict.
    """
    if signed_at > now + skew:
        return "early"
    if expires is not None:
        return "expired" if now > signed_at + expires else None
    return "stale" if signed_at < now - skew else None


def _check_time(info: SignatureInfo, now: float) -> None:
    assert info.amz_date is not None
    expires = info.expires if info.presigned else None
    verdict = time_window(amz_epoch(info.amz_date), now, expires=expires)
    if verdict == "early":
        raise SigV4Error(
            "expired",
            f"Signature not yet current: {info.amz_date} is still later than {_fmt(now + SKEW_SECONDS)} "
            f"({_fmt(now)} + 5 min.)",
        )
    if verdict == "expired":
        assert expires is not None
        raise SigV4Error(
            "expired",
            f"Signature expired: {info.amz_date} is now earlier than {_fmt(now - expires)} "
            f"({_fmt(now)} - {expires} sec.)",
        )
    if verdict == "stale":
        raise SigV4Error(
            "expired",
            f"Signature expired: {info.amz_date} is now earlier than {_fmt(now - SKEW_SECONDS)} ({_fmt(now)} - 5 min.)",
        )


def _check_signed_headers(request: HttpRequest, info: SignatureInfo, signed: list[str]) -> None:
    """Host must always be signed; with header auth, so must every x-amz-* header and Content-Type.

    The json protocols route on X-Amz-Target and decode by Content-Type, so leaving either unsigned would let
    a man in the middle change the operation under a valid signature. botocore and the other SDKs sign all of
    them, so this costs no compatibility.
    """
    if "host" not in signed:
        raise SigV4Error("unsigned_header", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
    if info.presigned:
        return
    unsigned = sorted(
        name for name in request.headers if (name.startswith("x-amz-") or name == "content-type") and name not in signed
    )
    if unsigned:
        raise SigV4Error(
            "unsigned_header", "There were headers present in the request which were not signed: " + ", ".join(unsigned)
        )


def _signature(
    request: HttpRequest, info: SignatureInfo, signed: list[str], secret: str, allow_unsigned_payload: bool
) -> bytes:
    canonical = canonical_request(request, info, signed, allow_unsigned_payload)
    assert info.amz_date is not None
    string_to_sign = "\n".join(
        (ALGORITHM, info.amz_date, info.scope, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    )
    key = signing_key(secret, info.date, info.region, info.service)
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest().encode("ascii")


@lru_cache(maxsize=4096)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """kSigning, cached: it only changes daily per credential, and deriving it is four HMACs."""
    key = hmac.new(f"AWS4{secret}".encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_request(
    request: HttpRequest, info: SignatureInfo, signed: list[str] | None = None, allow_unsigned_payload: bool = False
) -> str:
    """The canonical request as botocore's SigV4Auth / SigV4QueryAuth builds it for non-S3 services."""
    if signed is None:
        signed = info.signed_headers.split(";")
    headers = request.headers
    lines = [
        request.method.upper(),
        canonical_path(request.path),
        canonical_query(request.query_string, drop_signature=info.presigned),
    ]
    for name in signed:
        lines.append(f"{name}:{' '.join(headers.get(name, '').split())}")
    lines.append("")
    lines.append(info.signed_headers)
    lines.append(_payload_hash(request, allow_unsigned_payload))
    return "\n".join(lines)


def canonical_path(path: str) -> str:
    """botocore's ``_normalize_url_path``: remove dot segments and empty segments, then encode once more."""
    return quote(_remove_dot_segments(path) or "/", safe="/~")


def _remove_dot_segments(url: str) -> str:
    # Mirrors botocore.utils.remove_dot_segments, which also collapses consecutive slashes.
    if not url:
        return ""
    out: list[str] = []
    for seg in url.split("/"):
        if seg and seg != ".":
            if seg == "..":
                if out:
                    out.pop()
            else:
                out.append(seg)
    first = "/" if url[0] == "/" else ""
    last = "/" if url[-1] == "/" and out else ""
    return first + "/".join(out) + last


def canonical_query(query_string: str, *, drop_signature: bool = False) -> str:
    """Pairs re-encoded per RFC 3986 (only unreserved characters left bare), sorted by key then value.

    botocore uses the already-encoded query verbatim; re-encoding is the identity on its output and also
    accepts clients that encode less strictly (e.g. a bare UTF-8 or '/' in a value).
    """
    if not query_string:
        return ""
    pairs: list[tuple[str, str]] = []
    for piece in query_string.split("&"):
        key, _, value = piece.partition("=")
        if drop_signature and key == "X-Amz-Signature":
            continue
        pairs.append((_rfc3986(key), _rfc3986(value)))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def _rfc3986(component: str) -> str:
    return quote(unquote_to_bytes(component), safe="-_.~")


def _payload_hash(request: HttpRequest, allow_unsigned_payload: bool) -> str:
    """The declared x-amz-content-sha256 when present (after checking it against the body), else sha256(body)."""
    declared = request.headers.get("x-amz-content-sha256")
    if declared is None:
        return hashlib.sha256(request.body).hexdigest() if request.body else EMPTY_SHA256
    if declared == UNSIGNED_PAYLOAD and allow_unsigned_payload:
        return declared
    actual = hashlib.sha256(request.body).hexdigest()
    if not _HEX64.fullmatch(declared) or declared.lower() != actual:
        # Hashing the real body makes any mismatch (including an unwanted UNSIGNED-PAYLOAD) fail the signature.
        return actual
    return declared
