"""Helpers for the S3 end-to-end tests: bucket names, the AWS CLI, hand-signed aws-chunked bodies, and scans of
everything the server stores for plaintext."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import select

from tests.e2e.access_support import second_account
from tests.support.server import REPO, ServerProcess, clean_env

STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MIB = 1024 * 1024


def unique(prefix: str = "b") -> str:
    """A bucket name no other test (or earlier run against the same server) uses."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_bucket(s3: Any, prefix: str = "b", **kwargs: Any) -> str:
    name = unique(prefix)
    s3.create_bucket(Bucket=name, **kwargs)
    return name


# -- the second account ----------------------------------------------------------------------------------------------

_SECOND: dict[str, tuple[str, dict[str, Any]]] = {}


def other_account(server: ServerProcess) -> tuple[str, dict[str, Any]]:
    """One second account per server (created on first use): its id and root credentials."""
    key = str(server.data_dir)
    if key not in _SECOND:
        _SECOND[key] = second_account(server)
    return _SECOND[key]


def s3_for(server: ServerProcess, creds: dict[str, Any], **kwargs: Any) -> Any:
    return server.client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
        **kwargs,
    )


# -- the AWS CLI -----------------------------------------------------------------------------------------------------


def aws(
    server: ServerProcess, *args: str, check: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``aws <args>`` against the server with the session's root credentials, nothing from the developer's setup."""
    env = clean_env()
    env.update(
        AWS_ACCESS_KEY_ID=server.access_key,
        AWS_SECRET_ACCESS_KEY=server.secret_key,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_MAX_ATTEMPTS="1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    done = subprocess.run(
        [str(REPO / ".venv" / "bin" / "aws"), *args], capture_output=True, text=True, env=env, timeout=timeout
    )
    if check and done.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while piece := f.read(MIB):
            digest.update(piece)
    return digest.hexdigest()


def random_file(path: Path, size: int, seed: int = 0) -> Path:
    """``size`` pseudo-random bytes (fast: a 1 MiB random block repeated with a counter, so no two MiB are equal)."""
    block = hashlib.sha256(str(seed).encode()).digest() * (MIB // 32)
    with path.open("wb") as f:
        for i in range(0, size, MIB):
            piece = i.to_bytes(8, "big") + block[8:]
            f.write(piece[: min(MIB, size - i)])
    return path


# -- raw requests: hand-signed streaming bodies ----------------------------------------------------------------------


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = "us-east-1") -> bytes:
    key = _hmac(f"AWS4{secret}".encode(), date)
    for part in (region, "s3", "aws4_request"):
        key = _hmac(key, part)
    return key


def chunked_body(payload: bytes, chunk: int, key: bytes, amz_date: str, seed: str, region: str = "us-east-1") -> bytes:
    """An aws-chunked body with each chunk's signature chained from ``seed`` (the request's own signature), as the
    S3 User Guide's "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks"
    describes it."""
    scope = f"{amz_date[:8]}/{region}/s3/aws4_request"
    previous, out = seed, bytearray()
    for piece in [payload[i : i + chunk] for i in range(0, len(payload), chunk)] + [b""]:
        sts = "\n".join(
            ("AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, EMPTY_SHA256, hashlib.sha256(piece).hexdigest())
        )
        previous = _hmac(key, sts).hex()
        out += b"%x;chunk-signature=%s\r\n" % (len(piece), previous.encode()) + piece + b"\r\n"
    return bytes(out)


def streaming_put(
    server: ServerProcess, bucket: str, key: str, payload: bytes, *, chunk: int = 64 * 1024, tamper: bool = False
) -> urllib3.BaseHTTPResponse:
    """PUT an object with a ``STREAMING-AWS4-HMAC-SHA256-PAYLOAD`` body signed chunk by chunk (``tamper`` flips a
    byte of the payload after signing)."""
    url = f"{server.endpoint}/{bucket}/{key}"
    headers = {
        "X-Amz-Content-SHA256": STREAMING_SIGNED,
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(payload)),
    }
    request = AWSRequest(method="PUT", url=url, headers=headers)
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    seed = prepared.headers["Authorization"].rsplit("Signature=", 1)[1]
    amz_date = prepared.headers["X-Amz-Date"]
    body = chunked_body(payload, chunk, signing_key(server.secret_key, amz_date[:8]), amz_date, seed)
    if tamper:
        at = body.index(b"\r\n") + 2 + len(payload) // 3
        body = body[:at] + bytes([body[at] ^ 1]) + body[at + 1 :]
    sent = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()}
    sent["Content-Length"] = str(len(body))
    return urllib3.PoolManager().request("PUT", url, body=body, headers=sent, retries=False)


def error_code(response: urllib3.BaseHTTPResponse) -> str:
    text = response.data.decode(errors="replace")
    start = text.find("<Code>")
    return text[start + 6 : text.find("</Code>")] if start >= 0 else ""


# -- plaintext at rest -----------------------------------------------------------------------------------------------


def files_containing(root: Path, needles: Iterable[bytes]) -> list[str]:
    """Every file under ``root`` holding one of ``needles`` (files are read in overlapping pieces: blobs are big)."""
    wanted = list(needles)
    overlap = max(len(n) for n in wanted)
    hits = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        try:
            f = path.open("rb")
        except FileNotFoundError:
            continue  # a blob the orphan job collected meanwhile
        with f:
            tail = b""
            while piece := f.read(8 * MIB):
                window = tail + piece
                if any(n in window for n in wanted):
                    hits.append(str(path))
                    break
                tail = window[-overlap:]
    return hits


def rows_containing(server: ServerProcess, needles: Iterable[bytes]) -> list[str]:
    """Every database row (any table of the server's schema) whose values hold one of ``needles``: for PostgreSQL,
    whose files are not under the data dir."""
    from strongroom.core.config import sqlite_url
    from strongroom.store.engine import Store
    from strongroom.store.schema import all_tables

    wanted = list(needles)
    store = Store(server.database_url or sqlite_url(server.data_dir.resolve()))
    hits = []
    try:
        with store.read() as conn:
            for table in all_tables().sorted_tables:
                for row in conn.execute(select(table)):
                    for value in row:
                        if isinstance(value, bytes | bytearray | memoryview):
                            raw = bytes(value)
                        elif isinstance(value, str):
                            raw = value.encode()
                        else:
                            raw = json.dumps(value, default=str).encode()
                        if any(n in raw for n in wanted):
                            hits.append(f"{table.name}: {str(row)[:200]}")
    finally:
        store.dispose()
    return hits
