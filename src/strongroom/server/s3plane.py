"""S3's way through the pipeline: its forms of authentication and its streaming bodies.

S3 requests are routed, authorized, served and audited like every other call (``Pipeline.handle``); what differs
is done here, once the route says ``rest-xml``:

* authentication: SigV4 as S3 signs it (header or presigned, ``iam/sigv4_s3.py``), SigV2 (header or query), or
  none: an anonymous caller, whom only a bucket policy can let in (the authorizer evaluates S3's access table for
  anonymous callers too);
* the body: read through ``sigv4_s3.body_reader`` (payload hash, aws-chunked signature chain and trailers,
  checksums, Content-Length), streaming for PutObject / UploadPart (the provider reads it as it writes the blob),
  read whole within the operation's limit for everything else (XML documents);
* the addressing: a virtual-hosted request (``bucket.s3.host``) is signed over its own path, then decoded as the
  path-style path that names the bucket.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from strongroom.core.clock import wall_time
from strongroom.core.context import Principal
from strongroom.iam import sigv4_s3
from strongroom.protocol.checksums import DIGEST_SIZES, HEADER_PREFIX
from strongroom.protocol.http import HttpRequest
from strongroom.protocol.s3route import virtual_bucket
from strongroom.server import limits

if TYPE_CHECKING:
    from strongroom.protocol.router import Route
    from strongroom.services.base.runtime import ServiceRuntime

ANONYMOUS = Principal("Anonymous", "", "", "anonymous")
_STREAMING_OPERATIONS = frozenset({"PutObject", "UploadPart"})
_WHOLE_OBJECT_CHECKSUMS = frozenset({"CompleteMultipartUpload"})
# An x-amz-content-sha256 an empty body meets without being read.
_EMPTY_PAYLOADS = frozenset({None, "UNSIGNED-PAYLOAD", hashlib.sha256(b"").hexdigest()})
# Headers that make an empty body worth checking (a checksum, a length, a chunked encoding or trailer to meet).
# (``x-amz-checksum-mode``, which GetObject sends, is not one.)
_BODY_CLAIMS = ("content-md5", "x-amz-trailer", "x-amz-sdk-checksum-", "x-amz-decoded-")
_CHECKSUM_HEADERS = frozenset(HEADER_PREFIX + alg.lower() for alg in DIGEST_SIZES)  # names arrive lower-cased


@lru_cache(maxsize=1024)
def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def authenticate(
    runtime: ServiceRuntime, request: HttpRequest, route: Route
) -> tuple[Principal, str, dict[str, Any], sigv4_s3.S3Auth | None]:
    """(caller, region, facts for the request context, the SigV4 verification) of an S3 request.

    Raises S3's error for the failure (``sigv4_s3.s3_error``).
    """
    config = runtime.config
    try:
        info = sigv4_s3.parse_s3(request)
    except sigv4_s3.S3AuthError as exc:
        raise exc.to_aws_error() from None
    extras: dict[str, Any] = {
        "secure_transport": request.scheme == "https",
        "loopback": is_loopback(request.client_ip),
    }
    auth: sigv4_s3.S3Auth | None = None
    if info is None:
        principal, region = ANONYMOUS, config.default_region
        extras["s3_auth"] = None
    else:
        key = None if config.dev else runtime.accounts.lookup(info.access_key_id)
        if not config.dev and (key is None or key.status != "Active"):
            raise sigv4_s3.s3_error("unknown_key", AWSAccessKeyId=info.access_key_id)
        now = wall_time()
        try:
            if isinstance(info, sigv4_s3.V2Info):
                region = config.default_region
                if key is not None:
                    session_error = key.session_error(info.session_token, now)
                    if session_error is not None:
                        raise sigv4_s3.S3AuthError(session_error)
                    sigv4_s3.verify_v2(request, info, key.secret_access_key, bucket_from_host=virtual_bucket(request))
                extras["s3_auth"] = ("AWS", "REST-QUERY-STRING" if info.presigned else "REST-HEADER", None)
            else:
                region = info.region
                if key is not None:
                    session_error = key.session_error(info.session_token, now)
                    if session_error is not None:
                        raise sigv4_s3.S3AuthError(session_error)
                    auth = sigv4_s3.verify_s3(request, info, key.secret_access_key)
                extras["s3_auth"] = (
                    "AWS4-HMAC-SHA256",
                    "REST-QUERY-STRING" if info.presigned else "REST-HEADER",
                    info.amz_date,
                )
        except sigv4_s3.S3AuthError as exc:
            raise exc.to_aws_error() from None
        if config.dev:
            principal = _dev_principal(runtime, info.access_key_id)
        else:
            assert key is not None
            runtime.accounts.touch(key, "s3", region)
            principal = key.principal()
    extras["s3_headers"] = {"x-amz-content-sha256": request.headers.get("x-amz-content-sha256", "")}
    return principal, region, extras, auth


def _dev_principal(runtime: ServiceRuntime, access_key_id: str) -> Principal:
    accounts = runtime.accounts
    if len(access_key_id) == 12 and access_key_id.isdigit():
        if not accounts.account_exists(access_key_id):
            accounts.create_account(access_key_id, name=f"dev-{access_key_id}")
        return Principal.root(access_key_id, access_key_id)
    return Principal.root(accounts.init_account() or "000000000000", access_key_id)


def prepare_body(request: HttpRequest, route: Route, auth: sigv4_s3.S3Auth | None, *, cap: int | None = None) -> None:
    """Wrap the raw body in S3's checks; read it whole (at most ``cap`` bytes, when given) unless the operation
    streams it. A streamed body is read only by the operation, after authorization."""
    headers = request.headers
    name = route.operation.name
    if request.stream is None and not request.body and name not in _STREAMING_OPERATIONS and _nothing_to_check(headers):
        return  # most reads (GET, HEAD, List*): the checks below would read no byte and find nothing
    raw = request.stream if request.stream is not None else io.BytesIO(request.body)
    if route.operation.name in _WHOLE_OBJECT_CHECKSUMS:
        # these operations' x-amz-checksum-* headers describe the object they complete, not their XML body
        headers = {k: v for k, v in headers.items() if not k.startswith("x-amz-checksum-")}
    body = sigv4_s3.body_reader(raw, headers, auth)
    if name in _STREAMING_OPERATIONS:
        request.stream = body
        return
    service = route.service.service_name
    limit = limits.body_limit(service, name) if cap is None else min(cap, limits.body_limit(service, name))
    chunks: list[bytes] = []
    size = 0
    while True:
        piece = body.read(256 * 1024)
        if not piece:
            break
        size += len(piece)
        if size > limit:
            raise limits.too_large(limit, service, name)
        chunks.append(piece)
    request.body = b"".join(chunks)
    request.stream = None


def _nothing_to_check(headers: dict[str, str]) -> bool:
    """An empty body whose headers claim nothing the body reader would check (same outcome, without its layers)."""
    if headers.get("x-amz-content-sha256") not in _EMPTY_PAYLOADS or headers.get("content-length", "0") != "0":
        return False
    if "aws-chunked" in headers.get("content-encoding", ""):
        return False
    return not any(name in _CHECKSUM_HEADERS or name.startswith(_BODY_CLAIMS) for name in headers)


def path_style(request: HttpRequest, route: Route) -> None:
    """Rewrite a virtual-hosted request's path to the path-style one the codec decodes (after the signature check)."""
    bucket = virtual_bucket(request) if route.service.service_name == "s3" else None
    if bucket is not None:
        path = request.path or "/"
        request.path = f"/{bucket}{path}" if path != "/" else f"/{bucket}"
