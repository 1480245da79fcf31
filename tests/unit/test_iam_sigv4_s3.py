"""S3's request authentication: AWS's worked examples, what boto3 really sends, signed aws-chunked bodies, SigV2,
and each failure with S3's error code, status and wording."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import random
import time
from calendar import timegm
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from strongroom.iam.sigv4 import SignatureInfo
from strongroom.iam.sigv4_s3 import (
    PAYLOAD_SHA256,
    S3_KINDS,
    STREAMING_SIGNED,
    STREAMING_SIGNED_TRAILER,
    STREAMING_UNSIGNED_TRAILER,
    UNSIGNED_PAYLOAD,
    V2_SUB_RESOURCES,
    ChunkChain,
    S3Auth,
    S3AuthError,
    V2Info,
    body_reader,
    canonical_paths,
    parse_s3,
    parse_v2,
    s3_canonical_request,
    s3_error,
    stored_content_encoding,
    v2_strings_to_sign,
    verify_s3,
    verify_v2,
)
from strongroom.protocol import checksums
from strongroom.protocol.chunked import ChunkedError
from strongroom.protocol.http import HttpRequest

DATA = Path(__file__).resolve().parents[1] / "data" / "sigv4_s3"
VECTORS: dict[str, Any] = json.loads((DATA / "aws_examples.json").read_text())
EX_AK = VECTORS["credentials"]["access_key_id"]
EX_SK = VECTORS["credentials"]["secret_access_key"]
EX_NOW = float(timegm(time.strptime(VECTORS["now"], "%Y-%m-%dT%H:%M:%SZ")))
EMPTY = hashlib.sha256(b"").hexdigest()

AK, SK, TOKEN = "AKIDSTRONGROOM000001", "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ/+x", "FQoGZXIvYXdzEBYaD+token/=="

# --- helpers ----------------------------------------------------------------------------------------------------------


def vector_request(v: dict[str, Any], authorization: str | None = None) -> HttpRequest:
    headers = dict(v["headers"])
    if authorization:
        headers["authorization"] = authorization
    return HttpRequest(v["method"], v["path"], v["query"], headers, v.get("body", "").encode())


def v4_header(signature: str, signed_headers: str) -> str:
    scope = f"{EX_AK}/20130524/us-east-1/s3/aws4_request"
    return f"AWS4-HMAC-SHA256 Credential={scope},SignedHeaders={signed_headers},Signature={signature}"


def check_s3(request: HttpRequest, secret: str = SK, now: float | None = None, **kw: Any) -> S3Auth:
    info = parse_s3(request)
    assert isinstance(info, SignatureInfo)
    return verify_s3(request, info, secret, now, **kw)


def check_v2(request: HttpRequest, bucket: str | None, secret: str = SK, now: float | None = None) -> V2Info:
    info = parse_s3(request)
    assert isinstance(info, V2Info)
    verify_v2(request, info, secret, now, bucket_from_host=bucket)
    return info


def failure(fn: Any) -> S3AuthError:
    with pytest.raises(S3AuthError) as exc:
        fn()
    return exc.value


def from_url(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b"") -> HttpRequest:
    parts = urlsplit(url)
    return HttpRequest(method, parts.path, parts.query, {"host": parts.netloc, **(headers or {})}, body)


def from_botocore(req: Any) -> HttpRequest:
    parts = urlsplit(req.url)
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = req.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(req.method, parts.path, parts.query, headers, body)


class _Captured(Exception):
    pass


def capture(call: Any, endpoint: str = "https://s3.us-east-1.amazonaws.com", **config: Any) -> HttpRequest:
    """The request a real boto3 S3 client sends (serializers, checksum handlers, signer), stopped before the wire."""
    seen: list[HttpRequest] = []

    def hook(request: Any, **_: Any) -> None:
        seen.append(from_botocore(request))
        raise _Captured

    client = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        aws_session_token=config.pop("token", None),
        config=Config(retries={"max_attempts": 0}, **config),
    )
    client.meta.events.register("before-send", hook)
    with pytest.raises(_Captured):
        call(client)
    return seen[0]


def presigner(signature_version: str = "s3v4", style: str = "virtual") -> Any:
    return boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        config=Config(signature_version=signature_version, s3={"addressing_style": style}),
    )


def read_body(request: HttpRequest, auth: S3Auth | None, also: tuple[str, ...] = ()) -> tuple[bytes, dict[str, str]]:
    body = body_reader(io.BytesIO(request.body), request.headers, auth, also=also)
    parts = []
    while piece := body.read(7001):
        parts.append(piece)
    return b"".join(parts), body.checksums


# A signer for aws-chunked bodies written from AWS's description, independent of the module under test, checked
# against AWS's example below before it is used to build other bodies.


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def derive_key(secret: str, date: str, region: str = "us-east-1") -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def sign_chunked(
    payload: bytes, size: int, key: bytes, amz_date: str, seed: str, trailers: dict[str, str] | None = None
) -> tuple[bytes, list[str]]:
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    previous, signatures, out = seed, [], bytearray()
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)] + [b""]
    for piece in pieces:
        sts = "\n".join(
            ("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY, hashlib.sha256(piece).hexdigest())
        )
        previous = _hmac(key, sts).hex()
        signatures.append(previous)
        out += b"%x;chunk-signature=%s\r\n" % (len(piece), previous.encode())
        if piece or trailers is None:
            out += piece + b"\r\n"
    if trailers is not None:
        canonical = "".join(f"{k}:{v}\n" for k, v in sorted(trailers.items()))
        sts = "\n".join(
            ("AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256(canonical.encode()).hexdigest())
        )
        signatures.append(_hmac(key, sts).hex())
        out += canonical.replace("\n", "\r\n").encode()
        out += f"x-amz-trailer-signature:{signatures[-1]}\r\n\r\n".encode()
    return bytes(out), signatures


# --- (1) AWS's worked examples ------------------------------------------------------------------------------------


@pytest.mark.parametrize("v", VECTORS["sigv4_header"], ids=lambda v: v["name"])
def test_aws_header_examples(v: dict[str, Any]) -> None:
    request = vector_request(v, v4_header(v["signature"], v["signed_headers"]))
    info = parse_s3(request)
    assert isinstance(info, SignatureInfo)
    payload = v["headers"]["x-amz-content-sha256"]
    assert v["canonical_request"] in [
        s3_canonical_request(request, info, payload, p) for p in canonical_paths(v["path"])
    ]
    auth = verify_s3(request, info, EX_SK, EX_NOW)
    assert (auth.payload_mode, auth.content_sha256, auth.region) == (PAYLOAD_SHA256, payload, "us-east-1")
    assert read_body(request, auth)[0] == request.body
    # Any change breaks it.
    request.headers["x-amz-date"] = "20130524T000001Z"
    assert failure(lambda: check_s3(request, EX_SK, EX_NOW)).kind == "mismatch"


def test_aws_example_path_is_signed_strictly_encoded() -> None:
    """AWS's PUT example sends "test$file.text" and signs "/test%24file.text": the second canonical form."""
    assert canonical_paths("/test$file.text") == ("/test$file.text", "/test%24file.text")
    assert canonical_paths("/a%20b/%C3%BC//x~") == ("/a%20b/%C3%BC//x~",)
    assert canonical_paths("/a%2fb") == ("/a%2fb", "/a%2Fb")  # an encoded slash stays one
    assert canonical_paths("") == ("/",)


def test_aws_presigned_example() -> None:
    v = VECTORS["sigv4_presigned"]
    request = vector_request(v)
    auth = check_s3(request, EX_SK, EX_NOW)
    assert (auth.presigned, auth.payload_mode, auth.access_key_id) == (True, UNSIGNED_PAYLOAD, EX_AK)
    check_s3(request, EX_SK, EX_NOW + v["expires"] - 1)
    err = failure(lambda: check_s3(request, EX_SK, EX_NOW + v["expires"] + 1))
    assert err.kind == "presign_expired"
    aws = err.to_aws_error()
    assert (aws.code, aws.status, aws.message) == ("AccessDenied", 403, "Request has expired")
    assert aws.fields == {
        "X-Amz-Expires": "86400",
        "Expires": "2013-05-25T00:00:00Z",
        "ServerTime": "2013-05-25T00:00:01Z",
    }


def test_aws_streaming_example() -> None:
    v = VECTORS["sigv4_streaming"]
    request = vector_request(v, v4_header(v["seed_signature"], v["signed_headers"]))
    auth = check_s3(request, EX_SK, EX_NOW)
    assert (auth.payload_mode, auth.decoded_length, auth.seed_signature) == (
        STREAMING_SIGNED,
        66560,
        v["seed_signature"],
    )
    # The independent signer reproduces AWS's chunk signatures and Content-Length...
    payload = v["payload_byte"].encode() * sum(c["size"] for c in v["chunks"])
    body, signatures = sign_chunked(
        payload, 65536, derive_key(EX_SK, "20130524"), "20130524T000000Z", v["seed_signature"]
    )
    assert signatures == [c["signature"] for c in v["chunks"]]
    assert len(body) == int(v["headers"]["content-length"])
    # ... and the server decodes that body, checking each signature on the way.
    request.body = body
    assert read_body(request, auth) == (payload, {})
    # A flipped byte in the data fails its chunk's signature.
    tampered = bytearray(body)
    tampered[100] ^= 1
    request.body = bytes(tampered)
    with pytest.raises(ChunkedError) as exc:
        read_body(request, auth)
    assert (exc.value.code, exc.value.status) == ("SignatureDoesNotMatch", 403)


def test_aws_chunk_and_trailer_chain() -> None:
    """The chain verifier on its own, over AWS's example plus aws-c-auth's trailing-headers vector."""
    v = VECTORS["sigv4_streaming"]
    key = derive_key(EX_SK, "20130524")
    chain = ChunkChain(key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", v["seed_signature"])
    for c in v["chunks"]:
        chain.chunk(hashlib.sha256(b"a" * c["size"]).hexdigest(), c["signature"])
    chain.trailer(v["trailer"]["canonical_block"].encode(), v["trailer"]["signature"])
    chain2 = ChunkChain(key, "20130524T000000Z", "20130524/us-east-1/s3/aws4_request", v["seed_signature"])
    with pytest.raises(ChunkedError):
        chain2.chunk(hashlib.sha256(b"a" * 65535).hexdigest(), v["chunks"][0]["signature"])


@pytest.mark.parametrize("v", VECTORS["sigv2"], ids=lambda v: v["name"])
def test_aws_sigv2_examples(v: dict[str, Any]) -> None:
    headers = dict(v["headers"])
    if "AWSAccessKeyId" not in v["query"]:
        headers["authorization"] = f"AWS {EX_AK}:{v['signature']}"
    request = HttpRequest(v["method"], v["path"], v["query"], headers)
    info = parse_s3(request)
    assert isinstance(info, V2Info) and info.signature == v["signature"]
    assert v["string_to_sign"] in v2_strings_to_sign(request, info, bucket_from_host=v["bucket_from_host"])
    date = headers.get("x-amz-date") or headers.get("date")
    now = parsedate_to_datetime(date).timestamp() if date else 1175139000.0  # the query example expires 620 s later
    verify_v2(request, info, EX_SK, now, bucket_from_host=v["bucket_from_host"])
    with pytest.raises(S3AuthError):
        verify_v2(request, info, EX_SK + "x", now, bucket_from_host=v["bucket_from_host"])


# --- (2) what boto3 sends ------------------------------------------------------------------------------------------

KEYS = ["plain.txt", "a b/ü//x+y~!*'()", "./d/../k", "日本語/テスト?#%.bin", "trailing/", "%2F literal"]


@pytest.mark.parametrize("style", ["virtual", "path"])
@pytest.mark.parametrize("key", KEYS)
def test_boto3_put_object_unsigned_trailer(key: str, style: str) -> None:
    payload = random.Random(key).randbytes(70_000)
    request = capture(
        lambda c: c.put_object(Bucket="bkt", Key=key, Body=payload, Metadata={"m": "a  b"}),
        s3={"addressing_style": style},
    )
    assert request.headers["x-amz-content-sha256"] == STREAMING_UNSIGNED_TRAILER
    auth = check_s3(request)
    assert auth.trailer_names == ("x-amz-checksum-crc32",) and auth.decoded_length == len(payload)
    data, sums = read_body(request, auth, also=("CRC64NVME",))
    assert data == payload
    assert sums == {"CRC32": checksums.compute("CRC32", payload), "CRC64NVME": checksums.compute("CRC64NVME", payload)}
    assert stored_content_encoding(request.headers["content-encoding"]) is None


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "XXHASH128"])
def test_boto3_checksum_algorithms(algorithm: str) -> None:
    payload = b"x" * 5000
    request = capture(lambda c: c.put_object(Bucket="bkt", Key="k", Body=payload, ChecksumAlgorithm=algorithm))
    auth = check_s3(request)
    assert read_body(request, auth)[1] == {algorithm: checksums.compute(algorithm, payload)}


def test_boto3_over_http_signs_the_payload_and_sends_the_checksum_header() -> None:
    payload = b"hello over http"
    request = capture(
        lambda c: c.upload_part(Bucket="bkt", Key="k", UploadId="u/1+", PartNumber=3, Body=payload),
        endpoint="http://127.0.0.1:4566",
        token=TOKEN,
    )
    auth = check_s3(request)
    assert auth.payload_mode == PAYLOAD_SHA256 and auth.session_token == TOKEN
    assert read_body(request, auth)[0] == payload
    # The declared hash covers the body: change the body and reading it fails.
    request.body = b"hello over HTTP"
    with pytest.raises(ChunkedError) as exc:
        read_body(request, auth)
    assert exc.value.code in {"XAmzContentSHA256Mismatch", "BadDigest"}


def test_body_digests_are_not_checksums_of_the_object() -> None:
    """A signed payload is hashed once; its SHA-256 is offered in ``digests`` (for the code storing the body) but is
    no checksum the request asked for, so ``checksums`` leaves it out."""
    payload = b"hash me once"
    request = capture(lambda c: c.put_object(Bucket="bkt", Key="k", Body=payload), endpoint="http://127.0.0.1:4566")
    auth = check_s3(request)
    body = body_reader(io.BytesIO(request.body), request.headers, auth)
    assert body.read() == payload and body.read() == b""
    crc = checksums.compute("CRC32", payload)  # botocore's default, sent as a header
    assert body.checksums == {"CRC32": crc} and body.planned_checksums == {"CRC32"}
    assert body.digests == {"CRC32": crc, "SHA256": checksums.compute("SHA256", payload)}
    assert body.planned_digests == {"CRC32", "SHA256"}


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_objects_v2(Bucket="bkt", Prefix="ü a/", Delimiter="/", StartAfter="x+y"),
        lambda c: c.get_object(Bucket="bkt", Key="a b//c", Range="bytes=0-9", VersionId="v+/="),
        lambda c: c.delete_objects(Bucket="bkt", Delete={"Objects": [{"Key": "a"}, {"Key": "b ü"}]}),
        lambda c: c.put_bucket_tagging(Bucket="bkt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}),
        lambda c: c.create_multipart_upload(Bucket="bkt", Key="k", ChecksumAlgorithm="SHA256"),
        lambda c: c.list_buckets(),
    ],
)
@pytest.mark.parametrize("style", ["virtual", "path"])
def test_boto3_operations_verify(call: Any, style: str) -> None:
    request = capture(call, s3={"addressing_style": style}, token=TOKEN)
    auth = check_s3(request)
    assert auth.session_token == TOKEN
    read_body(request, auth)


@pytest.mark.parametrize("style", ["virtual", "path"])
@pytest.mark.parametrize("key", KEYS)
def test_boto3_presigned_v4(key: str, style: str) -> None:
    client = presigner("s3v4", style)
    url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": "bkt", "Key": key, "ResponseContentDisposition": 'attachment; filename="x y.txt"'},
        ExpiresIn=120,
    )
    auth = check_s3(from_url(url))
    assert auth.presigned and auth.payload_mode == UNSIGNED_PAYLOAD
    assert failure(lambda: check_s3(from_url(url), now=time.time() + 200)).kind == "presign_expired"
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": "bkt", "Key": key, "ContentType": "text/plain", "Metadata": {"m": "v"}}
    )
    signed = {"content-type": "text/plain", "x-amz-meta-m": "v"}
    request = from_url(url, "PUT", signed, b"any body")
    auth = check_s3(request)
    assert read_body(request, auth)[0] == b"any body"
    # The signed headers must come along unchanged, and no unsigned x-amz-* header may be added.
    assert failure(lambda: check_s3(from_url(url, "PUT", {**signed, "x-amz-meta-m": "w"}))).kind == "mismatch"
    err = failure(lambda: check_s3(from_url(url, "PUT", {**signed, "x-amz-acl": "public-read"})))
    assert err.kind == "unsigned_header" and err.fields == {"HeadersNotSigned": "x-amz-acl"}


@pytest.mark.parametrize("style", ["virtual", "path"])
@pytest.mark.parametrize("key", KEYS)
def test_boto3_presigned_v2(key: str, style: str) -> None:
    client = presigner("s3", style)
    bucket = "bkt" if style == "virtual" else None
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": "bkt", "Key": key, "VersionId": "v+1", "ResponseContentType": "a/b c"}
    )
    info = check_v2(from_url(url), bucket)
    assert info.presigned and info.access_key_id == AK
    url = client.generate_presigned_url(
        "put_object", Params={"Bucket": "bkt", "Key": key, "ContentType": "text/plain", "Metadata": {"m": "v"}}
    )
    check_v2(from_url(url, "PUT"), bucket)  # content-type and x-amz-meta-m travel in the query
    check_v2(from_url(url, "PUT", {"content-type": "text/plain"}), bucket)
    with pytest.raises(S3AuthError):
        check_v2(from_url(url, "PUT", {"content-type": "text/html"}), bucket)
    with pytest.raises(S3AuthError):
        check_v2(from_url(url, "PUT"), "other" if bucket else "bkt")


@pytest.mark.parametrize("style", ["virtual", "path"])
def test_boto3_sigv2_clients(style: str) -> None:
    bucket = "bkt" if style == "virtual" else None
    for call in (
        lambda c: c.get_object(Bucket="bkt", Key="a b/ü", VersionId="v+1", ResponseContentType="text/plain"),
        lambda c: c.get_object_acl(Bucket="bkt", Key="k"),
        lambda c: c.list_objects(Bucket="bkt", Prefix="p/"),
        lambda c: c.put_object(Bucket="bkt", Key="k", Body=b"data", ContentType="text/plain", Metadata={"a": "b"}),
    ):
        request = capture(call, signature_version="s3", s3={"addressing_style": style}, token=TOKEN)
        info = check_v2(request, bucket)
        assert info.session_token == TOKEN
        data, _ = read_body(request, None)
        assert data == request.body or request.headers.get("content-encoding") == "aws-chunked"


HMAC_V1_URLS = [
    "https://s3.amazonaws.com/bkt/key?acl",
    "https://s3.amazonaws.com/bkt/k%20ey?versionId=a%2Bb%2Fc&response-content-disposition=inline%3B%20x",
    "https://s3.amazonaws.com/bkt/key?uploadId=u1&partNumber=2",
    "https://s3.amazonaws.com/bkt/?uploads&prefix=p&max-uploads=3",
    "https://s3.amazonaws.com/bkt/?tagging=",
    "https://s3.amazonaws.com/bkt//double//slash?select&select-type=2",
]


@pytest.mark.parametrize("url", HMAC_V1_URLS)
def test_botocore_hmac_v1_header_and_query(url: str) -> None:
    creds = Credentials(AK, SK, TOKEN)
    headers = {"Content-Type": "text/plain", "Content-MD5": "1B2M2Y8AsgTpgAmY7PhCfg==", "x-amz-meta-Foo": " bar "}
    req = AWSRequest(method="PUT", url=url, headers=headers)
    HmacV1Auth(creds).add_auth(req)
    check_v2(from_botocore(req.prepare()), None)
    req = AWSRequest(method="GET", url=url, headers={"x-amz-meta-foo": "bar"})
    HmacV1QueryAuth(creds, expires=60).add_auth(req)
    request = from_botocore(req.prepare())
    request.headers = {"host": request.headers["host"]}  # a presigned URL travels without the signer's headers
    check_v2(request, None)
    assert failure(lambda: check_v2(request, None, now=time.time() + 120)).kind == "presign_expired"


def test_sub_resources_are_botocores() -> None:
    assert set(HmacV1Auth.QSAOfInterest) == V2_SUB_RESOURCES


# --- (3) signed aws-chunked bodies from a botocore-signed seed ----------------------------------------------------


def streaming_request(
    mode: str, payload: bytes, trailers: dict[str, str] | None, *, decoded_length: bool = True
) -> tuple[HttpRequest, bytes]:
    headers = {"X-Amz-Content-SHA256": mode, "Content-Encoding": "aws-chunked"}
    if decoded_length:
        headers["X-Amz-Decoded-Content-Length"] = str(len(payload))
    if trailers:
        headers["X-Amz-Trailer"] = ",".join(trailers)
    req = AWSRequest(method="PUT", url="https://s3.us-east-1.amazonaws.com/bkt/some-key", headers=headers)
    SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)  # uses x-amz-content-sha256 verbatim
    request = from_botocore(req.prepare())
    seed = request.headers["authorization"].rsplit("Signature=", 1)[1]
    amz_date = request.headers["x-amz-date"]
    body, _ = sign_chunked(payload, 8192, derive_key(SK, amz_date[:8]), amz_date, seed, trailers)
    request.body = body
    request.headers["content-length"] = str(len(body))
    return request, body


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME", "SHA256"])
def test_signed_chunks_with_signed_trailer(algorithm: str) -> None:
    payload = random.Random(algorithm).randbytes(30_000)
    trailer = {checksums.header_name(algorithm): checksums.compute(algorithm, payload)}
    request, body = streaming_request(STREAMING_SIGNED_TRAILER, payload, trailer)
    auth = check_s3(request)
    assert auth.signed_chunks and auth.trailer_names == (checksums.header_name(algorithm),)
    assert read_body(request, auth) == (payload, {algorithm: trailer[checksums.header_name(algorithm)]})
    # A forged trailer (right checksum of other data, old signature) fails the trailer signature.
    name = checksums.header_name(algorithm)
    request.body = body.replace(trailer[name].encode(), checksums.compute(algorithm, b"other").encode())
    with pytest.raises(ChunkedError) as exc:
        read_body(request, auth)
    assert exc.value.code == "SignatureDoesNotMatch"


def test_signed_chunks_reordered_or_truncated() -> None:
    payload = b"a" * 8192 + b"b" * 8192 + b"c" * 100
    request, body = streaming_request(STREAMING_SIGNED, payload, None)
    auth = check_s3(request)
    assert read_body(request, auth)[0] == payload
    first = body.index(b"\r\n2000;") + 2
    second = body.index(b"\r\n64;") + 2
    request.body = body[first:second] + body[:first] + body[second:]  # chunks 1 and 2 swapped
    with pytest.raises(ChunkedError) as exc:
        read_body(request, auth)
    assert exc.value.code == "SignatureDoesNotMatch"
    request.body = body[:second] + body[body.index(b"\r\n0;") + 2 :]  # the last data chunk dropped
    with pytest.raises(ChunkedError):
        read_body(request, auth)


def test_signed_streaming_requires_decoded_length() -> None:
    request, _ = streaming_request(STREAMING_SIGNED, b"x", None, decoded_length=False)
    aws = failure(lambda: check_s3(request)).to_aws_error()
    assert (aws.code, aws.status, aws.message) == (
        "MissingSecurityHeader",
        400,
        "Your request was missing a required header",
    )
    assert aws.fields == {"MissingHeaderName": "x-amz-decoded-content-length"}
    # botocore leaves it out of unsigned-trailer bodies whose length it cannot tell; those are still accepted.
    request, _ = streaming_request(STREAMING_UNSIGNED_TRAILER, b"x", None, decoded_length=False)
    assert check_s3(request).decoded_length is None


# --- (4) failures and S3's answers ---------------------------------------------------------------------------------


def signed_get(**extra_headers: str) -> HttpRequest:
    req = AWSRequest(method="GET", url="https://bkt.s3.amazonaws.com/key", headers=extra_headers)
    req.headers["X-Amz-Content-SHA256"] = EMPTY
    SigV4Auth(Credentials(AK, SK), "s3", "us-east-1").add_auth(req)
    return from_botocore(req.prepare())


def test_wrong_secret_reports_what_was_signed() -> None:
    err = failure(lambda: check_s3(signed_get(), SK + "x"))
    aws = err.to_aws_error("rest-xml")
    assert (aws.code, aws.status) == ("SignatureDoesNotMatch", 403)
    assert aws.message == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."
    )
    assert aws.fields["AWSAccessKeyId"] == AK
    assert aws.fields["CanonicalRequest"].startswith("GET\n/key\n\nhost:bkt.s3.amazonaws.com\n")
    assert aws.fields["StringToSign"].startswith("AWS4-HMAC-SHA256\n")
    assert str(err) == aws.message


@pytest.mark.parametrize(
    ("mutate", "kind"),
    [
        (lambda r: setattr(r, "path", "/key2"), "mismatch"),
        (lambda r: setattr(r, "query_string", "x=1"), "mismatch"),
        (lambda r: setattr(r, "method", "PUT"), "mismatch"),
        (lambda r: r.headers.update({"host": "other.s3.amazonaws.com"}), "mismatch"),
        (lambda r: r.headers.update({"x-amz-meta-new": "1"}), "unsigned_header"),
        (lambda r: r.headers.update({"content-type": "text/plain"}), None),  # not signed, allowed
        (lambda r: r.headers.pop("x-amz-content-sha256"), "missing_content_sha256"),
        (lambda r: r.headers.update({"x-amz-content-sha256": "GIBBERISH"}), "invalid_content_sha256"),
        (
            lambda r: r.headers.update({"x-amz-content-sha256": "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"}),
            "not_implemented",
        ),
        (lambda r: r.headers.pop("x-amz-date"), "missing_date"),
    ],
)
def test_request_mutations(mutate: Any, kind: str | None) -> None:
    request = signed_get()
    mutate(request)
    if kind is None:
        check_s3(request)
    else:
        assert failure(lambda: check_s3(request)).kind == kind


def test_content_sha256_errors_in_s3_wording() -> None:
    request = signed_get()
    request.headers.pop("x-amz-content-sha256")
    aws = failure(lambda: check_s3(request)).to_aws_error()
    assert (aws.code, aws.status, aws.message) == (
        "InvalidRequest",
        400,
        "Missing required header for this request: x-amz-content-sha256",
    )
    request.headers["x-amz-content-sha256"] = "GIBBERISH"
    aws = failure(lambda: check_s3(request)).to_aws_error()
    assert (aws.code, aws.status) == ("InvalidArgument", 400)
    assert aws.message.startswith("x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert aws.fields == {"ArgumentName": "x-amz-content-sha256", "ArgumentValue": "GIBBERISH"}
    request.headers["x-amz-content-sha256"] = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"
    assert failure(lambda: check_s3(request)).to_aws_error().status == 501


def test_clock_skew_is_fifteen_minutes() -> None:
    request = signed_get()
    check_s3(request, now=time.time() + 14 * 60)
    check_s3(request, now=time.time() - 14 * 60)
    err = failure(lambda: check_s3(request, now=time.time() + 16 * 60))
    aws = err.to_aws_error()
    assert (aws.code, aws.status) == ("RequestTimeTooSkewed", 403)
    assert aws.message == "The difference between the request time and the current time is too large."
    assert aws.fields["MaxAllowedSkewMilliseconds"] == "900000"
    assert aws.fields["RequestTime"] == request.headers["x-amz-date"]
    assert failure(lambda: check_s3(request, now=time.time() - 16 * 60)).kind == "skewed"


def test_scope_checks() -> None:
    request = signed_get()
    err = failure(lambda: check_s3(request, region="eu-west-1"))
    aws = err.to_aws_error()
    assert (aws.code, aws.status) == ("AuthorizationHeaderMalformed", 400)
    assert aws.message == (
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'"
    )
    assert aws.fields == {"Region": "eu-west-1"}
    req = AWSRequest(method="GET", url="https://bkt.s3.amazonaws.com/key", headers={"X-Amz-Content-SHA256": EMPTY})
    SigV4Auth(Credentials(AK, SK), "kms", "us-east-1").add_auth(req)
    aws = failure(lambda: check_s3(from_botocore(req.prepare()))).to_aws_error()
    assert aws.code == "AuthorizationHeaderMalformed" and 'incorrect service "kms"' in aws.message
    req = AWSRequest(method="GET", url="https://bkt.s3.amazonaws.com/key", headers={"X-Amz-Content-SHA256": EMPTY})
    SigV4Auth(Credentials(AK, SK), "s3", "mars-1").add_auth(req)
    assert failure(lambda: check_s3(from_botocore(req.prepare()))).kind == "incomplete"


def test_credential_date_must_match() -> None:
    request = signed_get()
    request.headers["authorization"] = request.headers["authorization"].replace(
        f"/{request.headers['x-amz-date'][:8]}/", "/20000101/"
    )
    aws = failure(lambda: check_s3(request)).to_aws_error()
    assert aws.code == "AuthorizationHeaderMalformed" and "Invalid credential date" in aws.message


def test_presigned_parameters() -> None:
    url = presigner().generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"}, ExpiresIn=60)
    request = from_url(url)
    request.query_string = "&".join(p for p in request.query_string.split("&") if not p.startswith("X-Amz-Expires"))
    aws = failure(lambda: parse_s3(request)).to_aws_error()
    assert (aws.code, aws.status) == ("AuthorizationQueryParametersError", 400)
    assert "X-Amz-Expires parameters" in aws.message
    request = from_url(url)
    request.query_string = request.query_string.replace("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=HMAC")
    assert failure(lambda: parse_s3(request)).to_aws_error().code == "AuthorizationQueryParametersError"
    err = failure(lambda: check_s3(from_url(url), now=time.time() - 3600))
    assert err.kind == "not_yet_valid" and err.to_aws_error().message == "Request is not yet valid"


def test_auth_scheme_selection() -> None:
    assert parse_s3(HttpRequest("GET", "/bkt/k", "versionId=1", {"host": "h"})) is None
    both = from_url(presigner().generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"}))
    both.headers["authorization"] = "AWS AK:sig"
    aws = failure(lambda: parse_s3(both)).to_aws_error()
    assert aws.code == "InvalidArgument" and aws.message.startswith("Only one auth mechanism allowed")
    bearer = HttpRequest("GET", "/", "", {"host": "h", "authorization": "Bearer abc"})
    aws = failure(lambda: parse_s3(bearer)).to_aws_error()
    assert (aws.code, aws.message, aws.fields["ArgumentName"]) == (
        "InvalidArgument",
        "Unsupported Authorization Type",
        "Authorization",
    )
    sigv4a = HttpRequest("GET", "/", "", {"host": "h", "authorization": "AWS4-ECDSA-P256-SHA256 Credential=x"})
    assert failure(lambda: parse_s3(sigv4a)).to_aws_error().status == 501
    broken = HttpRequest("GET", "/", "", {"host": "h", "authorization": "AWS4-HMAC-SHA256 Credential=AK/x"})
    assert failure(lambda: parse_s3(broken)).to_aws_error().code == "AuthorizationHeaderMalformed"


def test_sigv2_failures() -> None:
    aws = failure(lambda: parse_v2(HttpRequest("GET", "/", "", {"authorization": "AWS AKIDONLY"}))).to_aws_error()
    assert (aws.code, aws.message) == (
        "InvalidArgument",
        "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
    )
    partial = HttpRequest("GET", "/b/k", "AWSAccessKeyId=AK&Signature=abc", {})
    aws = failure(lambda: parse_v2(partial)).to_aws_error()
    assert (aws.code, aws.status) == ("AccessDenied", 403)
    assert parse_v2(HttpRequest("GET", "/", "", {"authorization": "AWS4-HMAC-SHA256 x"})) is None
    assert parse_v2(HttpRequest("GET", "/", "acl", {})) is None
    request = capture(
        lambda c: c.get_object(Bucket="bkt", Key="k"), signature_version="s3", s3={"addressing_style": "path"}
    )
    info = parse_v2(request)
    assert info is not None
    err = failure(lambda: verify_v2(request, info, SK, time.time() + 3600, bucket_from_host=None))
    assert err.to_aws_error().code == "RequestTimeTooSkewed"
    no_date = HttpRequest(request.method, request.path, "", {k: v for k, v in request.headers.items() if k != "date"})
    err = failure(lambda: verify_v2(no_date, info, SK, bucket_from_host=None))
    assert err.to_aws_error().message == "AWS authentication requires a valid Date or x-amz-date header"
    err = failure(lambda: verify_v2(request, info, SK + "x", bucket_from_host=None))
    assert err.to_aws_error().fields["StringToSign"].startswith("GET\n\n\n")


# --- (5) the body reader's header checks -----------------------------------------------------------------------------


def test_body_reader_header_checks() -> None:
    data = b"payload"
    plain = {"content-length": str(len(data))}
    assert read_body(HttpRequest("PUT", "/b/k", "", plain, data), None)[0] == data
    bad = {**plain, "x-amz-checksum-crc32": "nope"}
    with pytest.raises(ChunkedError) as exc:
        read_body(HttpRequest("PUT", "/b/k", "", bad, data), None)
    assert exc.value.message == "Value for x-amz-checksum-crc32 header is invalid."
    mixed = {**plain, "x-amz-checksum-crc32": checksums.compute("CRC32", data), "x-amz-sdk-checksum-algorithm": "SHA1"}
    with pytest.raises(ChunkedError) as exc:
        read_body(HttpRequest("PUT", "/b/k", "", mixed, data), None)
    assert exc.value.message == "Value for x-amz-sdk-checksum-algorithm header is invalid."
    short = {"content-length": "10"}
    with pytest.raises(ChunkedError) as exc:
        read_body(HttpRequest("PUT", "/b/k", "", short, data), None)
    assert exc.value.code == "IncompleteBody"


def test_body_reader_decodes_aws_chunked_without_streaming_mode() -> None:
    """SDKs that frame aws-chunked under UNSIGNED-PAYLOAD (or SigV2) are decoded from Content-Encoding."""
    body = b"5\r\nhello\r\n0\r\n\r\n"
    headers = {"content-encoding": "gzip, aws-chunked", "content-length": str(len(body))}
    assert read_body(HttpRequest("PUT", "/b/k", "", headers, body), None)[0] == b"hello"
    assert stored_content_encoding("gzip, aws-chunked") == "gzip"
    assert stored_content_encoding(None) is None


def test_chunk_verifier_only_for_signed_chunks() -> None:
    request = capture(lambda c: c.put_object(Bucket="bkt", Key="k", Body=b"x"))
    auth = check_s3(request)
    with pytest.raises(ValueError):
        auth.chunk_verifier()


# --- (6) the error table ----------------------------------------------------------------------------------------------

S3_ERROR_CASES = [
    ("mismatch", "SignatureDoesNotMatch", 403),
    ("unknown_key", "InvalidAccessKeyId", 403),
    ("incomplete", "AuthorizationHeaderMalformed", 400),
    ("malformed_query", "AuthorizationQueryParametersError", 400),
    ("missing_date", "AccessDenied", 403),
    ("unsigned_header", "AccessDenied", 403),
    ("expired", "RequestTimeTooSkewed", 403),
    ("skewed", "RequestTimeTooSkewed", 403),
    ("presign_expired", "AccessDenied", 403),
    ("expired_token", "ExpiredToken", 400),
    ("invalid_token", "InvalidToken", 400),
    ("missing_auth", "AccessDenied", 403),
    ("missing_content_sha256", "InvalidRequest", 400),
    ("invalid_content_sha256", "InvalidArgument", 400),
    ("missing_header", "MissingSecurityHeader", 400),
    ("not_implemented", "NotImplemented", 501),
]


@pytest.mark.parametrize(("kind", "code", "status"), S3_ERROR_CASES)
def test_s3_error_table(kind: str, code: str, status: int) -> None:
    aws = s3_error(kind)
    assert (aws.code, aws.status, aws.sender_fault) == (code, status, status < 500)
    assert aws.message


def test_s3_error_texts() -> None:
    assert s3_error("unknown_key").message == "The AWS Access Key Id you provided does not exist in our records."
    assert s3_error("presign_expired").message == "Request has expired"
    assert s3_error("mismatch", "custom").message == "custom"
    assert s3_error("missing_header", MissingHeaderName="x").fields == {"MissingHeaderName": "x"}
    assert {k for k, *_ in S3_ERROR_CASES} <= S3_KINDS
    with pytest.raises(ValueError):
        s3_error("nope")
