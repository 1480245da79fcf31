"""SigV4 verification against AWS's published test vectors, botocore's own signers, and each failure kind."""

from __future__ import annotations

import json
import time
from calendar import timegm
from pathlib import Path
from time import strptime
from typing import Any
from urllib.parse import quote, urlsplit

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from strongroom.iam.sigv4 import (
    SignatureInfo,
    SigV4Error,
    _remove_dot_segments,
    amz_epoch,
    canonical_request,
    is_valid_region,
    parse_credentials,
    time_window,
    to_aws_error,
    verify,
)
from strongroom.protocol.http import HttpRequest

# AWS's test vectors, copied into the repository with their LICENSE and SOURCE.md so a fresh clone runs them.
SUITE = Path(__file__).resolve().parents[1] / "data" / "sigv4-test-suite"
VECTORS = sorted(p.name for p in SUITE.iterdir() if (p / "context.json").exists())

AK, SK, TOKEN = "AKIDSTRONGROOM000001", "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IQ/+x", "FQoGZXIvYXdzEBYaD+token/=="


# --- helpers ----------------------------------------------------------------------------------------------


def parse_http(raw: bytes) -> HttpRequest:
    """Turn a test-suite request file into the HttpRequest the ASGI layer would hand us."""
    head, _, body = raw.partition(b"\n\n")
    lines = head.decode("utf-8").split("\n")
    method, _, rest = lines[0].partition(" ")
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers: dict[str, str] = {}
    last = ""
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):  # obsolete line folding: continuation of the previous header
            headers[last] += " " + line.strip()
            continue
        name, _, value = line.partition(":")
        last = name.strip().lower()
        headers[last] = f"{headers[last]},{value}" if last in headers else value
    return HttpRequest(method=method, path=path, query_string=query, headers=headers, body=body)


def context(name: str) -> dict[str, Any]:
    ctx: dict[str, Any] = json.loads((SUITE / name / "context.json").read_text())
    return ctx


def context_now(ctx: dict[str, Any]) -> float:
    return float(timegm(strptime(ctx["timestamp"], "%Y-%m-%dT%H:%M:%SZ")))


def load(name: str, kind: str) -> HttpRequest:
    return parse_http((SUITE / name / f"{kind}-signed-request.txt").read_bytes())


def check(request: HttpRequest, secret: str, now: float | None = None) -> SignatureInfo:
    info = parse_credentials(request)
    assert info is not None
    verify(request, info, secret, now)
    return info


def kind_of(request: HttpRequest, secret: str, now: float | None = None) -> str:
    with pytest.raises(SigV4Error) as exc:
        check(request, secret, now)
    return exc.value.kind


def skip_reason(name: str, kind: str, request: HttpRequest) -> str | None:
    ctx = context(name)
    if not ctx.get("normalize", True) and _remove_dot_segments(request.path) != request.path:
        return "unnormalized path (S3 signing); botocore normalizes paths for every other service"
    if kind == "query" and ctx.get("omit_session_token"):
        return "token appended to the query after signing (IoT-style); botocore signs it for non-S3 services"
    return None


# --- (1) AWS test vectors ---------------------------------------------------------------------------------


@pytest.mark.skipif(not VECTORS, reason="sigv4 test suite not present")
@pytest.mark.parametrize("kind", ["header", "query"])
@pytest.mark.parametrize("name", VECTORS)
def test_vector_verifies(name: str, kind: str) -> None:
    ctx = context(name)
    request = load(name, kind)
    if reason := skip_reason(name, kind, request):
        pytest.skip(reason)
    secret, now = ctx["credentials"]["secret_access_key"], context_now(ctx)
    if kind == "header" and ctx.get("omit_session_token"):
        # An unsigned X-Amz-Security-Token header is refused rather than ignored.
        assert kind_of(request, secret, now) == "unsigned_header"
        return
    expected = (SUITE / name / f"{kind}-canonical-request.txt").read_text()
    info = parse_credentials(request)
    assert info is not None
    assert canonical_request(request, info) == expected
    assert info.access_key_id == ctx["credentials"]["access_key_id"]
    assert (info.region, info.service, info.presigned) == (ctx["region"], ctx["service"], kind == "query")
    assert info.session_token == ctx["credentials"].get("token")
    verify(request, info, secret, now)


@pytest.mark.skipif(not VECTORS, reason="sigv4 test suite not present")
@pytest.mark.parametrize("mutation", ["signature", "header", "body", "path", "secret"])
@pytest.mark.parametrize("kind", ["header", "query"])
@pytest.mark.parametrize("name", VECTORS)
def test_vector_one_byte_change_fails(name: str, kind: str, mutation: str) -> None:
    ctx = context(name)
    request = load(name, kind)
    if (reason := skip_reason(name, kind, request)) or (kind == "header" and ctx.get("omit_session_token")):
        pytest.skip(reason or "refused before signature checking (see test_vector_verifies)")
    secret, now = ctx["credentials"]["secret_access_key"], context_now(ctx)
    if mutation == "signature":
        if kind == "header":
            auth = request.headers["authorization"]
            request.headers["authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")
        else:
            q = request.query_string
            request.query_string = q[:-1] + ("0" if q[-1] != "0" else "1")
    elif mutation == "header":
        request.headers["host"] = request.headers["host"][:-1] + "n"
    elif mutation == "body":
        request.body = request.body[:-1] + b"X" if request.body else b"X"
    elif mutation == "path":
        request.path = request.path + "x"
    else:
        secret = secret[:-1] + "Z"
    assert kind_of(request, secret, now) == "mismatch"


# --- (2) requests signed by botocore ----------------------------------------------------------------------


def from_botocore(req: Any) -> HttpRequest:
    """The wire form of a botocore request (prepared or not), as the server receives it."""
    parts = urlsplit(req.url)
    headers = {k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in req.headers.items()}
    headers.setdefault("host", parts.netloc)
    body = req.body or b""
    if isinstance(body, str):
        body = body.encode()
    return HttpRequest(method=req.method, path=parts.path, query_string=parts.query, headers=headers, body=body)


def sign(req: AWSRequest, service: str, token: str | None = TOKEN, presign: int | None = None) -> HttpRequest:
    creds = Credentials(AK, SK, token)
    signer = (
        SigV4QueryAuth(creds, service, "us-east-1", expires=presign)
        if presign
        else SigV4Auth(creds, service, "us-east-1")
    )
    signer.add_auth(req)
    return from_botocore(req.prepare())


def kms_request(body: bytes = b'{"KeyId": "alias/x", "Plaintext": "aGk="}') -> AWSRequest:
    return AWSRequest(
        method="POST",
        url="https://kms.us-east-1.amazonaws.com/",
        data=body,
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.Encrypt"},
    )


def test_botocore_json_with_session_token() -> None:
    info = check(sign(kms_request(), "kms"), SK)
    assert (info.access_key_id, info.session_token, info.service, info.region) == (AK, TOKEN, "kms", "us-east-1")
    assert not info.presigned


def test_botocore_query_form_body() -> None:
    req = AWSRequest(
        method="POST",
        url="https://sts.amazonaws.com/",
        data={"Action": "GetCallerIdentity", "Version": "2011-06-15", "Odd": "a b+c/ü"},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    check(sign(req, "sts", token=None), SK)


def test_botocore_path_with_encoded_slash_and_unicode() -> None:
    name = quote("fn/ü ~x", safe="")
    req = AWSRequest(
        method="POST",
        url=f"https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/{name}/invocations?Qualifier=%24LATEST",
        data=b"{}",
    )
    request = sign(req, "lambda")
    assert "%2F" in request.path
    check(request, SK)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_botocore_presigned(method: str) -> None:
    req = AWSRequest(
        method=method,
        url="https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
    )
    request = sign(req, "sts", presign=900)
    info = check(request, SK)
    assert info.presigned and info.expires == 900 and info.session_token == TOKEN


def test_botocore_presigned_form_body_moves_to_query() -> None:
    req = AWSRequest(
        method="POST",
        url="https://sts.amazonaws.com/",
        data={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    request = sign(req, "sts", token=None, presign=60)
    assert "Action=GetCallerIdentity" in request.query_string
    check(request, SK)


class _Captured(Exception):
    pass


@pytest.mark.parametrize(
    ("service", "call"),
    [
        ("kms", lambda c: c.encrypt(KeyId="alias/ü", Plaintext=b"\x00\xff")),
        ("sts", lambda c: c.get_caller_identity()),
        ("lambda", lambda c: c.get_function(FunctionName="my/fn ü")),
        ("acm-pca", lambda c: c.list_certificate_authorities()),
        ("secretsmanager", lambda c: c.get_secret_value(SecretId="a b/c")),
    ],
)
def test_real_boto3_clients_verify(service: str, call: Any) -> None:
    """The whole botocore pipeline (serializers, handlers, signer) produces requests we accept."""
    seen: list[HttpRequest] = []

    def capture(request: Any, **_: Any) -> None:
        seen.append(from_botocore(request))
        raise _Captured

    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        aws_access_key_id=AK,
        aws_secret_access_key=SK,
        aws_session_token=TOKEN,
        config=Config(retries={"max_attempts": 0}),
    )
    client.meta.events.register("before-send", capture)
    with pytest.raises(_Captured):
        call(client)
    info = check(seen[0], SK)
    assert info.service == client.meta.service_model.signing_name


# --- (3) failure kinds and their AWS errors ---------------------------------------------------------------

ERROR_CASES = [
    ("mismatch", "query", "SignatureDoesNotMatch", 403),
    ("mismatch", "json", "InvalidSignatureException", 400),
    ("mismatch", "smithy-rpc-v2-cbor", "InvalidSignatureException", 400),
    ("mismatch", "rest-json", "InvalidSignatureException", 403),
    ("expired", "query", "SignatureDoesNotMatch", 403),
    ("expired", "json", "InvalidSignatureException", 400),
    ("unknown_key", "query", "InvalidClientTokenId", 403),
    ("unknown_key", "json", "UnrecognizedClientException", 400),
    ("unknown_key", "rest-json", "UnrecognizedClientException", 403),
    ("incomplete", "query", "IncompleteSignature", 400),
    ("incomplete", "json", "IncompleteSignatureException", 400),
    ("missing_date", "query", "IncompleteSignature", 400),
    ("unsigned_header", "json", "IncompleteSignatureException", 400),
    ("expired_token", "query", "ExpiredToken", 403),
    ("expired_token", "json", "ExpiredTokenException", 400),
    ("missing_auth", "query", "MissingAuthenticationToken", 403),
    ("missing_auth", "json", "MissingAuthenticationTokenException", 400),
    ("missing_auth", "rest-json", "MissingAuthenticationTokenException", 403),
]


@pytest.mark.parametrize(("kind", "protocol", "code", "status"), ERROR_CASES)
def test_error_table(kind: str, protocol: str, code: str, status: int) -> None:
    err = to_aws_error(kind, protocol)
    assert (err.code, err.status, err.sender_fault) == (code, status, True)
    assert err.message


def test_error_messages_in_aws_wording() -> None:
    assert to_aws_error("unknown_key", "json").message == "The security token included in the request is invalid."
    assert to_aws_error("mismatch", "query").message.startswith(
        "The request signature we calculated does not match the signature you provided."
    )
    assert to_aws_error("expired_token", "json").message == "The security token included in the request is expired"
    assert to_aws_error("missing_auth", "json").message == "Missing Authentication Token"
    assert to_aws_error("mismatch", "json", "custom").message == "custom"
    with pytest.raises(ValueError):
        to_aws_error("nope", "json")
    with pytest.raises(ValueError):
        to_aws_error("mismatch", "rest-xml")


def test_unsigned_request_has_no_info() -> None:
    assert parse_credentials(HttpRequest("POST", "/", "Action=X", {"host": "h"})) is None


def test_timestamp_six_minutes_off_is_expired() -> None:
    request = sign(kms_request(), "kms")
    with pytest.raises(SigV4Error) as exc:
        check(request, SK, now=time.time() + 360)
    assert exc.value.kind == "expired"
    assert exc.value.message is not None
    assert exc.value.message.startswith("Signature expired: ") and exc.value.message.endswith(" - 5 min.)")
    err = exc.value.to_aws_error("json")
    assert (err.code, err.status) == ("InvalidSignatureException", 400)
    assert kind_of(request, SK, now=time.time() - 360) == "expired"  # signed in the future
    check(request, SK, now=time.time() + 240)


def test_expired_message_format() -> None:
    ctx = context("get-vanilla")
    with pytest.raises(SigV4Error) as exc:
        check(load("get-vanilla", "header"), SK, now=context_now(ctx) + 600)
    assert exc.value.message == (
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T124600Z - 5 min.)"
    )


def test_presigned_past_expiry_is_expired() -> None:
    request = sign(
        AWSRequest(method="GET", url="https://sts.amazonaws.com/?Action=GetCallerIdentity"), "sts", presign=60
    )
    check(request, SK, now=time.time() + 50)
    assert kind_of(request, SK, now=time.time() + 120) == "expired"


def test_time_window_and_epoch() -> None:
    """The rule iam.sigv4 and iam.sigv4_s3 share: the bounds are inclusive, only the skew differs."""
    at = amz_epoch("20150830T123600Z")
    assert at == timegm(strptime("20150830T123600Z", "%Y%m%dT%H%M%SZ"))
    assert [time_window(at, at + d) for d in (-301, -300, 0, 300, 301)] == ["early", None, None, None, "stale"]
    assert [time_window(at, at + d, skew=900) for d in (-901, -900, 900, 901)] == ["early", None, None, "stale"]
    # presigned: good until it expires, however old; too early is still too early
    assert [time_window(at, at + d, expires=3600) for d in (-301, 3600, 3601)] == ["early", None, "expired"]
    with pytest.raises(SigV4Error) as exc:
        amz_epoch("20151330T123600Z")
    assert (exc.value.kind, exc.value.message) == (
        "incomplete",
        "Date must be in ISO-8601 'basic format'. Got '20151330T123600Z'. ",
    )


def test_host_not_signed() -> None:
    request = load("get-vanilla", "header")
    ctx = context("get-vanilla")
    request.headers["authorization"] = request.headers["authorization"].replace("SignedHeaders=host;", "SignedHeaders=")
    assert kind_of(request, ctx["credentials"]["secret_access_key"], context_now(ctx)) == "unsigned_header"


def test_x_amz_target_must_be_signed() -> None:
    request = sign(kms_request(), "kms")
    request.headers["authorization"] = request.headers["authorization"].replace(";x-amz-target", "")
    with pytest.raises(SigV4Error) as exc:
        check(request, SK)
    assert exc.value.kind == "unsigned_header" and "x-amz-target" in (exc.value.message or "")


def test_missing_date() -> None:
    request = sign(kms_request(), "kms")
    del request.headers["x-amz-date"]
    assert kind_of(request, SK) == "missing_date"


def test_date_header_instead_of_x_amz_date() -> None:
    req = kms_request()
    req.headers["Date"] = "placeholder"  # botocore then signs with an RFC 1123 Date header
    request = sign(req, "kms")
    assert "x-amz-date" not in request.headers
    check(request, SK)


def test_declared_body_hash_must_match_body() -> None:
    req = kms_request()
    req.headers["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
    request = sign(req, "kms")
    assert kind_of(request, SK) == "mismatch"  # no unsigned bodies unless the operation allows them
    info = parse_credentials(request)
    assert info is not None
    verify(request, info, SK, allow_unsigned_payload=True)


BAD_AUTH = [
    "AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host",
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service, SignedHeaders=host, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws5_request, SignedHeaders=host, Signature=abc",
    "AWS4-HMAC-SHA256 Credential=AKID /20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=abc",
    "AWS4-HMAC-SHA1 Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=abc",
    "AWS AKID:c2lnbmF0dXJl",
    "Bearer eyJ0eXAiOiJKV1QifQ",
    "",
]


@pytest.mark.parametrize("auth", BAD_AUTH)
def test_malformed_authorization_is_incomplete(auth: str) -> None:
    request = HttpRequest("GET", "/", "", {"host": "h", "x-amz-date": "20150830T123600Z", "authorization": auth})
    with pytest.raises(SigV4Error) as exc:
        parse_credentials(request)
    assert exc.value.kind == "incomplete"
    err = exc.value.to_aws_error("query")
    assert (err.code, err.status) == ("IncompleteSignature", 400)


def test_missing_parameters_message_lists_each() -> None:
    request = HttpRequest("GET", "/", "", {"host": "h", "authorization": "AWS4-HMAC-SHA256 Foo=bar"})
    with pytest.raises(SigV4Error) as exc:
        parse_credentials(request)
    assert exc.value.message == (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of "
        "either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Foo=bar"
    )


@pytest.mark.parametrize("drop", ["X-Amz-Algorithm", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Credential"])
def test_presigned_missing_parameter_is_incomplete(drop: str) -> None:
    request = load("get-vanilla", "query")
    request.query_string = "&".join(p for p in request.query_string.split("&") if not p.startswith(drop + "="))
    with pytest.raises(SigV4Error) as exc:
        parse_credentials(request)
    assert exc.value.kind == "incomplete"


def test_scope_date_must_match_request_date() -> None:
    request = load("get-vanilla", "header")
    request.headers["x-amz-date"] = "20150831T000100Z"
    with pytest.raises(SigV4Error) as exc:
        check(request, context("get-vanilla")["credentials"]["secret_access_key"], now=1440979260.0)
    assert exc.value.kind == "mismatch" and "Date in Credential scope" in (exc.value.message or "")


def test_both_header_and_query_auth_rejected() -> None:
    request = load("get-vanilla", "query")
    request.headers["authorization"] = load("get-vanilla", "header").headers["authorization"]
    with pytest.raises(SigV4Error) as exc:
        parse_credentials(request)
    assert exc.value.kind == "incomplete"


# --- (5) credential scope: the service called, a region AWS could have; AWS's texts only ------------------------


def test_scope_must_name_the_service_called() -> None:
    request = sign(kms_request(), "kms")
    info = parse_credentials(request)
    assert info is not None
    verify(request, info, SK, service="kms")
    with pytest.raises(SigV4Error) as exc:
        verify(request, info, SK, service="sts")
    assert exc.value.kind == "mismatch"
    assert str(exc.value) == exc.value.message == "Credential should be scoped to correct service: 'sts'. "
    err = exc.value.to_aws_error("query")
    assert (err.code, err.status, err.message) == ("SignatureDoesNotMatch", 403, str(exc.value))


def test_scope_must_name_a_region_of_an_aws_partition() -> None:
    req = kms_request()
    SigV4Auth(Credentials(AK, SK), "kms", "mars-1").add_auth(req)
    request = from_botocore(req.prepare())
    info = parse_credentials(request)
    assert info is not None
    with pytest.raises(SigV4Error) as exc:
        verify(request, info, SK, service="kms")
    assert str(exc.value) == "Credential should be scoped to a valid region, not 'mars-1'. "
    assert exc.value.to_aws_error("json").code == "InvalidSignatureException"


@pytest.mark.parametrize(
    ("region", "valid"),
    [
        ("us-east-1", True),
        ("eu-west-1", True),
        ("ap-southeast-7", True),
        ("il-central-1", True),
        ("cn-northwest-1", True),
        ("us-gov-east-1", True),
        ("us-iso-east-1", True),
        ("eusc-de-east-1", True),
        ("eu-south-9", True),  # not in this botocore yet, but named like the partition's regions
        ("mars-1", False),
        ("local", False),
        ("aws-global", False),
        ("us-east-1\n", False),
        ("US-EAST-1", False),
        ("", False),
    ],
)
def test_region_names(region: str, valid: bool) -> None:
    assert is_valid_region(region) is valid


def test_error_text_carries_no_internal_kind() -> None:
    # str() is what the pipeline sends to the client and the audit record: AWS's text, never "mismatch: ..."
    assert str(SigV4Error("mismatch")) == (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
    )
    assert str(SigV4Error("expired", "Signature expired: x")) == "Signature expired: x"
    request = sign(kms_request(), "kms")
    with pytest.raises(SigV4Error) as exc:
        check(request, SK, now=time.time() + 600)
    assert str(exc.value).startswith("Signature expired: ")
    with pytest.raises(SigV4Error) as exc:
        check(request, SK[:-1] + "Z")
    assert not str(exc.value).startswith("mismatch")
