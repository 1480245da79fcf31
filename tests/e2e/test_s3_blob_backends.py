"""The blob stores for several nodes, through a real server: bodies in the database, and on an S3-compatible store
(moto's server standing in for MinIO or another S3). Either way only ciphertext leaves the server."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.s3_support import MIB, files_containing, rows_containing
from tests.support.moto import moto_server
from tests.support.server import ServerProcess

MARKER = b"BLOB-BACKEND-MARKER-" + uuid.uuid4().hex.encode()


def _body(size: int) -> bytes:
    """``size`` bytes with the marker repeated through it (so every encrypted chunk would show it, if it leaked)."""
    unit = MARKER + os.urandom(1000)
    return (unit * (size // len(unit) + 1))[:size]


def _round_trip(server: ServerProcess) -> None:
    s3 = server.client("s3")
    bucket = f"blobs-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    small, large = _body(100_000), _body(12 * MIB)
    s3.put_object(Bucket=bucket, Key="small", Body=small)
    s3.upload_fileobj(
        _Reader(large), bucket, "large", Config=boto3.s3.transfer.TransferConfig(multipart_chunksize=5 * MIB)
    )
    assert s3.get_object(Bucket=bucket, Key="small")["Body"].read() == small
    got = s3.get_object(Bucket=bucket, Key="large")["Body"].read()
    assert hashlib.sha256(got).digest() == hashlib.sha256(large).digest()
    assert (
        s3.get_object(Bucket=bucket, Key="large", Range="bytes=6000000-6000099")["Body"].read()
        == (large[6000000:6000100])
    )
    s3.delete_object(Bucket=bucket, Key="small")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        end = len(self.data) if n < 0 else self.pos + n
        out, self.pos = self.data[self.pos : end], min(end, len(self.data))
        return out


def test_bodies_in_the_database(make_server: Callable[..., ServerProcess], backend: str) -> None:
    server = make_server("--blob-store", "database", backend=backend)
    server.start()
    _round_trip(server)
    assert not (server.data_dir / "s3").exists() or not any((server.data_dir / "s3").rglob("*.*"))
    assert rows_containing(server, [MARKER]) == []
    assert files_containing(server.data_dir, [MARKER]) == []


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with moto_server(tmp_path_factory.mktemp("moto")) as endpoint:
        yield endpoint


def test_bodies_on_an_s3_compatible_store(
    make_server: Callable[..., ServerProcess], moto: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    backing = boto3.client(
        "s3", endpoint_url=moto, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    store_bucket = f"strongroom-blobs-{uuid.uuid4().hex[:8]}"
    backing.create_bucket(Bucket=store_bucket)
    # credentials reach the server through its environment, never its command line
    monkeypatch.setenv("STRONGROOM_BLOB_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("STRONGROOM_BLOB_SECRET_ACCESS_KEY", "s")
    server = make_server("--blob-store", f"s3://{store_bucket}/node-a?endpoint={moto}&region=us-east-1")
    server.start()
    _round_trip(server)
    stored: list[dict[str, Any]] = backing.list_objects_v2(Bucket=store_bucket).get("Contents", [])
    assert stored and all(o["Key"].startswith("node-a/") for o in stored)
    read = 0
    for obj in stored:
        try:
            body = backing.get_object(Bucket=store_bucket, Key=obj["Key"])["Body"].read()
        except backing.exceptions.NoSuchKey:
            continue  # the deleted object's blob, collected by the orphan job meanwhile
        read += 1
        assert MARKER not in body
    assert read >= 2  # the large object's parts at least
    assert files_containing(server.data_dir, [MARKER]) == []
    assert rows_containing(server, [MARKER]) == []
