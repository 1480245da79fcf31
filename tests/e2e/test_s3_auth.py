"""How S3 requests authenticate, end to end: presigned URLs (SigV4 and SigV2, GET and PUT, expired, tampered), SigV2
headers, unsigned payloads, aws-chunked bodies (signed chunk by chunk, or unsigned with a checksum trailer), session
credentials, virtual-hosted addressing, and the errors for a wrong secret or an unknown key."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import botocore.auth
import botocore.crt.auth
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.e2e.s3_support import error_code, new_bucket, streaming_put
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

HTTP = urllib3.PoolManager(retries=False)
# botocore presigns S3 URLs with SigV2 in us-east-1 unless told otherwise; users who want SigV4 say so.
V4 = Config(signature_version="s3v4")


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3", config=V4)


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3, "auth")


def _sent_headers(client: Any, event: str) -> list[dict[str, str]]:
    """Capture what botocore puts on the wire for ``event`` (e.g. ``before-send.s3.PutObject``)."""
    seen: list[dict[str, str]] = []

    def hook(request: Any, **_: Any) -> None:
        seen.append({k.lower(): (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()})

    client.meta.events.register(event, hook)
    return seen


# -- presigned URLs ----------------------------------------------------------------------------------------------------


def test_presigned_get_and_put(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=b"presigned body")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/a b+c.txt"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url
    got = HTTP.request("GET", url)
    assert (got.status, got.data) == (200, b"presigned body")
    ranged = HTTP.request("GET", url, headers={"Range": "bytes=0-8"})
    assert (ranged.status, ranged.data) == (206, b"presigned")
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "uploaded", "ContentType": "text/plain"}, ExpiresIn=300
    )
    put = HTTP.request("PUT", put_url, body=b"via presigned PUT", headers={"Content-Type": "text/plain"})
    assert put.status == 200, put.data
    head = s3.head_object(Bucket=bucket, Key="uploaded")
    assert head["ContentType"] == "text/plain" and head["ContentLength"] == len(b"via presigned PUT")
    # A signed header left out (Content-Type was signed) fails the signature.
    unsigned = HTTP.request("PUT", put_url, body=b"x", headers={"Content-Type": "application/json"})
    assert (unsigned.status, error_code(unsigned)) == (403, "SignatureDoesNotMatch")
    # The URL of one key does not open another.
    parts = urlsplit(url)
    other = urlunsplit(parts._replace(path=parts.path.replace("a%20b", "a%20c")))
    forged = HTTP.request("GET", other)
    assert (forged.status, error_code(forged)) == (403, "SignatureDoesNotMatch")


def test_expired_presigned_url(monkeypatch: pytest.MonkeyPatch, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    signed_at = datetime.now(UTC) - timedelta(hours=2)

    def two_hours_ago(remove_tzinfo: bool = True) -> datetime:
        return signed_at.replace(tzinfo=None) if remove_tzinfo else signed_at

    # botocore signs with awscrt when it is installed, else with its own signer: both read the clock here.
    monkeypatch.setattr(botocore.auth, "get_current_datetime", two_hours_ago)
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", two_hours_ago)
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=3600)
    monkeypatch.undo()
    expired = HTTP.request("GET", url)
    assert (expired.status, error_code(expired)) == (403, "AccessDenied")
    assert b"Request has expired" in expired.data
    # Seven days is the longest a SigV4 URL may live.
    too_long = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    refused = HTTP.request("GET", too_long)
    assert (refused.status, error_code(refused)) == (400, "AuthorizationQueryParametersError")


def test_presigned_with_a_wrong_secret(server: ServerProcess, bucket: str) -> None:
    liar = server.client("s3", aws_secret_access_key="not-the-secret-" + "x" * 25, config=V4)
    url = liar.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    refused = HTTP.request("GET", url)
    assert (refused.status, error_code(refused)) == (403, "SignatureDoesNotMatch")


def test_sigv2_presigned_url_and_headers(server: ServerProcess, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="v2 key", Body=b"sigv2")
    v2 = server.client("s3", config=Config(signature_version="s3"))
    url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2 key"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url and "Expires=" in url
    got = HTTP.request("GET", url)
    assert (got.status, got.data) == (200, b"sigv2")
    # SigV2 header authentication (Authorization: AWS key:signature) for ordinary calls.
    seen = _sent_headers(v2, "before-send.s3.PutObject")
    v2.put_object(Bucket=bucket, Key="by-v2", Body=b"written with sigv2", Metadata={"m": "1"})
    assert seen[0]["authorization"].startswith(f"AWS {server.access_key}:")
    assert v2.get_object(Bucket=bucket, Key="by-v2")["Body"].read() == b"written with sigv2"
    assert [c["Key"] for c in v2.list_objects(Bucket=bucket)["Contents"]] == ["by-v2", "v2 key"]
    liar = server.client("s3", config=Config(signature_version="s3"), aws_secret_access_key="wrong" * 8)
    exc = raised_by(liar.get_object, Bucket=bucket, Key="v2 key")
    assert error_of(exc)[0::2] == ("SignatureDoesNotMatch", 403)
    bad_url = liar.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2 key"})
    refused = HTTP.request("GET", bad_url)
    assert (refused.status, error_code(refused)) == (403, "SignatureDoesNotMatch")


# -- payloads ----------------------------------------------------------------------------------------------------------


def test_what_botocore_sends_over_http(server: ServerProcess, bucket: str) -> None:
    """Over plain HTTP botocore signs the payload (a hex SHA-256) and sends a CRC32 header by default; with payload
    signing off it sends UNSIGNED-PAYLOAD. The server takes both, and checks the checksum either way."""
    body = b"payload over http"
    signed = server.client("s3")
    seen = _sent_headers(signed, "before-send.s3.PutObject")
    signed.put_object(Bucket=bucket, Key="signed", Body=body)
    assert seen[0]["x-amz-content-sha256"] == hashlib.sha256(body).hexdigest()
    assert seen[0]["x-amz-checksum-crc32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    unsigned = server.client("s3", config=Config(s3={"payload_signing_enabled": False}))
    seen = _sent_headers(unsigned, "before-send.s3.PutObject")
    unsigned.put_object(Bucket=bucket, Key="unsigned", Body=body)
    assert seen[0]["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    assert unsigned.get_object(Bucket=bucket, Key="unsigned")["Body"].read() == body
    # Unsigned, the body is still held to the checksum it claims.
    wrong = base64.b64encode(zlib.crc32(b"other").to_bytes(4, "big")).decode()
    exc = raised_by(unsigned.put_object, Bucket=bucket, Key="bad", Body=body, ChecksumCRC32=wrong)
    assert error_of(exc)[0::2] == ("BadDigest", 400)
    # No checksum at all (when_required): S3 still gives the object its default CRC64NVME.
    bare = server.client("s3", config=Config(request_checksum_calculation="when_required"))
    bare.put_object(Bucket=bucket, Key="bare", Body=body)
    head = bare.head_object(Bucket=bucket, Key="bare", ChecksumMode="ENABLED")
    assert "ChecksumCRC64NVME" in head


def test_payload_hash_mismatch(server: ServerProcess, bucket: str) -> None:
    url = f"{server.endpoint}/{bucket}/mismatch"
    request = AWSRequest(
        method="PUT",
        url=url,
        data=b"the real body",
        headers={"X-Amz-Content-SHA256": hashlib.sha256(b"another body").hexdigest()},
    )
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    response = HTTP.request("PUT", url, body=b"the real body", headers=dict(prepared.headers))
    assert (response.status, error_code(response)) == (400, "XAmzContentSHA256Mismatch")
    assert server.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_streaming_signed_chunks(server: ServerProcess, s3: Any, bucket: str) -> None:
    payload = os.urandom(300_000)
    response = streaming_put(server, bucket, "chunked", payload, chunk=64 * 1024)
    assert response.status == 200, response.data
    got = s3.get_object(Bucket=bucket, Key="chunked")
    assert got["Body"].read() == payload and got["ContentLength"] == len(payload)
    assert "ContentEncoding" not in got  # aws-chunked is how it travelled, not what it is
    # One flipped byte breaks that chunk's signature; nothing is stored.
    tampered = streaming_put(server, bucket, "tampered", payload, tamper=True)
    assert (tampered.status, error_code(tampered)) == (403, "SignatureDoesNotMatch")
    exc = raised_by(s3.head_object, Bucket=bucket, Key="tampered")
    assert error_of(exc)[0::2] == ("404", 404)


def _unsigned_trailer_put(server: ServerProcess, url: str, payload: bytes, crc: str) -> urllib3.BaseHTTPResponse:
    headers = {
        "X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "X-Amz-Trailer": "x-amz-checksum-crc32",
        "X-Amz-Decoded-Content-Length": str(len(payload)),
    }
    request = AWSRequest(method="PUT", url=url, headers=headers)
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    sent = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.prepare().headers.items()}
    body = b"".join(
        b"%x\r\n%s\r\n" % (len(piece), piece)
        for piece in (payload[i : i + 50_000] for i in range(0, len(payload), 50_000))
    )
    body += f"0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    sent["Content-Length"] = str(len(body))
    return HTTP.request("PUT", url, body=body, headers=sent)


def test_streaming_unsigned_payload_with_trailer(server: ServerProcess, s3: Any, bucket: str) -> None:
    """What botocore sends over HTTPS (STREAMING-UNSIGNED-PAYLOAD-TRAILER, the CRC32 in a trailer), by hand."""
    payload = os.urandom(120_000)
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    response = _unsigned_trailer_put(server, f"{server.endpoint}/{bucket}/trailer", payload, crc)
    assert response.status == 200, response.data
    assert response.headers["x-amz-checksum-crc32"] == crc
    head = s3.head_object(Bucket=bucket, Key="trailer", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == crc and head["ContentLength"] == len(payload)
    assert s3.get_object(Bucket=bucket, Key="trailer")["Body"].read() == payload
    wrong = base64.b64encode(zlib.crc32(b"x").to_bytes(4, "big")).decode()
    refused = _unsigned_trailer_put(server, f"{server.endpoint}/{bucket}/bad-trailer", payload, wrong)
    assert (refused.status, error_code(refused)) == (400, "BadDigest")


# -- credentials -------------------------------------------------------------------------------------------------------


def test_wrong_secret_and_unknown_key(server: ServerProcess, bucket: str) -> None:
    liar = server.client("s3", aws_secret_access_key="wrong-secret-" + "y" * 27)
    exc = raised_by(liar.list_objects_v2, Bucket=bucket)
    code, message, status = error_of(exc)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    assert message.startswith("The request signature we calculated does not match the signature you provided.")
    exc = raised_by(liar.put_object, Bucket=bucket, Key="k", Body=b"x")
    assert error_of(exc)[0::2] == ("SignatureDoesNotMatch", 403)
    stranger = server.client("s3", aws_access_key_id="AKIAUNKNOWNKEY000000")
    exc = raised_by(stranger.list_buckets)
    assert error_of(exc) == (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
    )
    assert exc.value.response["Error"]["AWSAccessKeyId"] == "AKIAUNKNOWNKEY000000"
    assert error_of(raised_by(stranger.head_bucket, Bucket=bucket))[0::2] == ("403", 403)


def test_session_credentials(server: ServerProcess, bucket: str) -> None:
    creds = server.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    session = server.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        config=V4,
    )
    session.put_object(Bucket=bucket, Key="from-session", Body=b"x")
    url = session.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "from-session"})
    assert "X-Amz-Security-Token=" in url and HTTP.request("GET", url).data == b"x"
    tokenless = server.client(
        "s3", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"]
    )
    exc = raised_by(tokenless.get_object, Bucket=bucket, Key="from-session")
    assert error_of(exc)[0::2] == ("InvalidAccessKeyId", 403)


def test_virtual_hosted_addressing(server: ServerProcess, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="vhost/key", Body=b"virtual")
    host = f"{bucket}.s3.localhost:{server.port}"
    request = AWSRequest(method="GET", url=f"http://{host}/vhost/key")
    request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(b"").hexdigest()
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.prepare().headers.items()}
    headers["Host"] = host
    got = HTTP.request("GET", f"{server.endpoint}/vhost/key", headers=headers)
    assert (got.status, got.data) == (200, b"virtual")
