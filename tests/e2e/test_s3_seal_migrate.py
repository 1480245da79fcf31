"""`strongroom seal migrate` re-wraps S3's SSE-S3 data keys (objects and unfinished multipart uploads) with the rest:
every object still opens afterwards, and an upload begun before the move completes after it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, clean_env, strongroom
from tests.support.softhsm import SoftHsm, make_softhsm

PIN = "s3-migrate-pin"
MIB = 1024 * 1024


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    return make_softhsm(tmp_path / "softhsm", monkeypatch)


def _sealed_prefixes(srv: ServerProcess) -> set[bytes]:
    db = sqlite3.connect(srv.data_dir / "strongroom.db")
    try:
        rows = db.execute("SELECT sealed_key FROM s3_objects WHERE sealed_key IS NOT NULL").fetchall()
        rows += db.execute("SELECT sealed_key FROM s3_uploads WHERE sealed_key IS NOT NULL").fetchall()
    finally:
        db.close()
    return {bytes(r[0])[:1] for r in rows}


def test_sse_s3_keys_follow_the_seal(make_server: Any, hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
    hsm.add_token("s3migrate", PIN)
    monkeypatch.setenv("STRONGROOM_HSM_PIN", PIN)
    srv: ServerProcess = make_server()
    srv.start()
    s3 = srv.client("s3")
    s3.create_bucket(Bucket="migrating")
    objects = {f"k{i}": f"object {i} before the move".encode() * 1000 for i in range(3)}
    for key, body in objects.items():
        assert s3.put_object(Bucket="migrating", Key=key, Body=body)["ServerSideEncryption"] == "AES256"
    upload = s3.create_multipart_upload(Bucket="migrating", Key="unfinished")["UploadId"]
    first = s3.upload_part(Bucket="migrating", Key="unfinished", UploadId=upload, PartNumber=1, Body=b"a" * 5 * MIB)
    assert _sealed_prefixes(srv) == {b"\x01"}

    result = strongroom(
        "seal", "migrate", "--data-dir", str(srv.data_dir), "--to-provider", "pkcs11",
        "--module", hsm.module, "--token-label", "s3migrate", "--pin-env", "STRONGROOM_HSM_PIN",
        env=clean_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "s3_objects.sealed_key" in result.stdout and "s3_uploads.sealed_key" in result.stdout
    assert _sealed_prefixes(srv) == {b"\x02"}

    for server in (srv, None):
        if server is None:  # and after a restart on the new seal
            srv.stop()
            srv.start()
        client = srv.client("s3")
        for key, body in objects.items():
            assert client.get_object(Bucket="migrating", Key=key)["Body"].read() == body
    s3 = srv.client("s3")
    part2 = s3.upload_part(Bucket="migrating", Key="unfinished", UploadId=upload, PartNumber=2, Body=b"b" * 10)
    s3.complete_multipart_upload(
        Bucket="migrating",
        Key="unfinished",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": first["ETag"]}, {"PartNumber": 2, "ETag": part2["ETag"]}]},
    )
    assert s3.get_object(Bucket="migrating", Key="unfinished")["Body"].read() == b"a" * 5 * MIB + b"b" * 10
    assert _sealed_prefixes(srv) == {b"\x02"}
