"""Unauthenticated requests cannot amplify into disk or memory (issue 15, item 5).

Stored audit fields are bounded; bodies are capped per operation, and a request without a credential the
server knows is held to a small allowance decided from its headers, before its body is read; repeated
authentication failures from one source are throttled without touching other sources.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import botocore.config
import psutil
import pytest
import sqlalchemy as sa
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from strongroom.core.config import sqlite_url
from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1})
UNAUTHENTICATED_LIMIT = 512 * 1024


def stored_record(srv: ServerProcess, request_id: str, timeout: float = 5.0) -> tuple[dict[str, Any], int]:
    """The stored record of a request (from the database: unauthenticated calls belong to no account)."""
    engine = sa.create_engine(srv.database_url or sqlite_url(srv.data_dir.resolve()))
    try:
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT record FROM audit_events WHERE record LIKE :id"), {"id": f"%{request_id}%"}
                ).all()
            if rows:
                text = str(rows[0][0])
                return dict(json.loads(text)), len(text)
            if time.monotonic() > deadline:
                raise AssertionError(f"no record for request {request_id}")
            time.sleep(0.05)
    finally:
        engine.dispose()


def test_a_huge_user_agent_is_bounded_in_the_record(server: ServerProcess) -> None:
    http = urllib3.PoolManager()
    agent = "A" * (48 * 1024)  # the largest the front end lets through is 64 KiB of head (Shield Standard)
    resp = http.request(
        "POST",
        server.endpoint + "/",
        body=b"{}",
        headers={
            "X-Amz-Target": "TrentService.ListKeys",
            "Content-Type": "application/x-amz-json-1.1",
            "User-Agent": agent,
        },
        retries=False,
    )
    assert resp.status == 400
    assert json.loads(resp.data)["__type"] == "MissingAuthenticationTokenException"
    record, size = stored_record(server, resp.headers["x-amzn-RequestId"])
    assert record["userAgent"] == agent[:1024]
    assert size < 8 * 1024
    assert record["errorCode"] == "MissingAuthenticationTokenException"


def test_oversized_request_parameters_are_omitted_as_cloudtrail_does(server: ServerProcess) -> None:
    # A signed call whose parameters pass validation yet render past 100 KB: the record says so instead.
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    context = {f"k{i:03d}": "v" * 2000 for i in range(60)}  # ~120 KB of encryption context
    response = kms.encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=context)
    record, size = stored_record(server, response["ResponseMetadata"]["RequestId"])
    assert record["requestParameters"]["omitted"] is True
    assert record["requestParameters"]["originalSize"] > 100 * 1024
    assert size < 8 * 1024


# -- bodies ------------------------------------------------------------------------------------------------


def _post_unsigned(port: int, size: int, results: list[tuple[int, bytes]], errors: list[BaseException]) -> None:
    """POST ``size`` bytes without credentials; keep sending until the server answers or hangs up."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            head = (
                "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.Encrypt\r\n"
                f"Content-Type: application/x-amz-json-1.1\r\nContent-Length: {size}\r\n\r\n"
            )
            sock.sendall(head.encode())
            chunk = b"x" * (1024 * 1024)
            sent = 0
            sock.settimeout(0.05)
            reply = b""
            while sent < size:
                try:
                    sock.sendall(chunk[: min(len(chunk), size - sent)])
                    sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    break
                try:
                    reply += sock.recv(65536)
                    if reply:
                        break
                except TimeoutError:
                    continue
            sock.settimeout(10)
            while b"\r\n\r\n" not in reply:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
            head_text, _, body = reply.partition(b"\r\n\r\n")
            status = int(head_text.split(b" ", 2)[1])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head_text.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                data = sock.recv(65536)
                if not data:
                    break
                body += data
            results.append((status, body))
    except BaseException as exc:  # reported by the test, in its thread
        errors.append(exc)


def test_large_unsigned_posts_are_refused_without_buffering(make_server: Any) -> None:
    srv: ServerProcess = make_server()
    srv.start()
    proc = psutil.Process(srv.proc.pid if srv.proc else 0)
    kms = srv.client("kms")
    kms.list_keys()  # warm up: models, providers, the first connection
    before = proc.memory_info().rss
    results: list[tuple[int, bytes]] = []
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_post_unsigned, args=(srv.port, 75 * 1024 * 1024, results, errors)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert len(results) == 4
    for status, body in results:
        assert status == 413
        assert b"RequestEntityTooLargeException" in body
        assert f"Request must be smaller than {UNAUTHENTICATED_LIMIT} bytes for the Encrypt operation.".encode() in body
    grown = proc.memory_info().rss - before
    assert grown < 64 * 1024 * 1024, f"server RSS grew by {grown / 1e6:.0f} MB"
    assert kms.list_keys()["Keys"] is not None  # still serving


def test_unknown_access_key_cannot_send_a_large_body(server: ServerProcess) -> None:
    kms = server.client(
        "kms",
        config=NO_VALIDATION,
        aws_access_key_id="AKIAUNKNOWNUNKNOWN00",
        aws_secret_access_key="x" * 40,
    )
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId="alias/any", Plaintext=b"x" * (UNAUTHENTICATED_LIMIT + 1))
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err["Error"]["Code"] == "RequestEntityTooLargeException"
    assert (
        err["Error"]["Message"]
        == f"Request must be smaller than {UNAUTHENTICATED_LIMIT} bytes for the Encrypt operation."
    )


def test_over_limit_signed_body_gets_the_aws_error(server: ServerProcess) -> None:
    kms, ct = server.client("kms", config=NO_VALIDATION), server.client("cloudtrail")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key_id, Plaintext=b"x" * (600 * 1024))
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err["Error"]["Code"] == "RequestEntityTooLargeException"
    assert err["Error"]["Message"] == "Request must be smaller than 524288 bytes for the Encrypt operation."
    # within the limit but past the model's 4096 bytes: the ordinary validation error
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key_id, Plaintext=b"x" * 5000)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    # the refused call is recorded under the account whose key it claimed
    request_id = err["ResponseMetadata"]["RequestId"]
    deadline = time.monotonic() + 5
    while True:
        attrs = [{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}]
        records = [json.loads(e["CloudTrailEvent"]) for e in ct.lookup_events(LookupAttributes=attrs)["Events"]]
        found = [r for r in records if r["requestID"] == request_id]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert found and found[0]["errorCode"] == "RequestEntityTooLargeException"

    lam = server.client("lambda", config=NO_VALIDATION)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="no-such-function", Payload=b"x" * (6_291_456 + 1))
    err = exc.value.response
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert err["Error"]["Code"] == "RequestTooLargeException"
    assert err["Error"]["Message"] == "Request must be smaller than 6291456 bytes for the InvokeFunction operation."


# -- authentication failures -----------------------------------------------------------------------------------


def _signed_from(srv: ServerProcess, source: str, secret: str) -> tuple[int, str]:
    """A signed KMS ListKeys sent from ``source`` (another loopback address: another client to the server)."""
    request = AWSRequest(
        method="POST",
        url=srv.endpoint + "/",
        data=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(Credentials(srv.access_key, secret), "kms", "us-east-1").add_auth(request)
    pool = urllib3.HTTPConnectionPool("127.0.0.1", srv.port, source_address=(source, 0), retries=False)
    resp = pool.request("POST", "/", body=b"{}", headers=dict(request.headers.items()))
    pool.close()
    return resp.status, str(json.loads(resp.data).get("__type", "")) if resp.data else ""


def test_a_flood_of_bad_signatures_is_throttled_without_touching_other_sources(make_server: Any) -> None:
    srv: ServerProcess = make_server("--auth-failure-burst", "5", "--auth-failure-rate", "0.5")
    srv.start()
    outcomes = [_signed_from(srv, "127.0.0.2", "wrong" * 8) for _ in range(12)]
    assert outcomes[:5] == [(400, "InvalidSignatureException")] * 5
    assert outcomes[5:] == [(400, "ThrottlingException")] * 7
    # the flooding source is refused before its signature is checked, even with the right secret ...
    assert _signed_from(srv, "127.0.0.2", srv.secret_key) == (400, "ThrottlingException")
    # ... while another source is served as usual
    assert _signed_from(srv, "127.0.0.1", srv.secret_key) == (200, "")
    assert srv.client("kms").list_keys()["Keys"] is not None
    # the bucket refills at the configured rate
    time.sleep(2.5)
    assert _signed_from(srv, "127.0.0.2", srv.secret_key) == (200, "")


def test_a_chunked_unsigned_body_is_cut_off_at_the_limit(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.Encrypt\r\n"
            b"Content-Type: application/x-amz-json-1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"x" * 65536
        try:
            for _ in range(64):  # 4 MB, far past the allowance, unless the server hangs up first
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        while True:
            try:
                data = sock.recv(65536)
            except ConnectionResetError:  # the server hung up on the rest of the body after answering
                break
            if not data:
                break
            reply += data
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"RequestEntityTooLargeException" in reply
