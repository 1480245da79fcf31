"""`strongroom seal migrate` file -> pkcs11 -> file while the server runs: every key decrypts its old ciphertexts."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, clean_env, strongroom
from tests.support.softhsm import SoftHsm, make_softhsm

PIN = "migrate-pin-1"


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    return make_softhsm(tmp_path / "softhsm", monkeypatch)


def _prefixes(srv: ServerProcess) -> set[bytes]:
    db = sqlite3.connect(srv.data_dir / "strongroom.db")
    try:
        rows = db.execute("SELECT sealed FROM kms_key_materials WHERE sealed IS NOT NULL").fetchall()
        rows += db.execute("SELECT secret_sealed FROM iam_access_keys").fetchall()
    finally:
        db.close()
    return {bytes(r[0])[:1] for r in rows}


def test_file_to_pkcs11_to_file(make_server: Any, hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
    hsm.add_token("migrate", PIN)
    monkeypatch.setenv("STRONGROOM_HSM_PIN", PIN)
    srv: ServerProcess = make_server()
    srv.start()
    kms = srv.client("kms")
    ciphertexts: list[tuple[str, bytes, bytes]] = []

    def encrypt_some(tag: str) -> None:
        key = kms.create_key(Description=tag)["KeyMetadata"]["KeyId"]
        kms.rotate_key_on_demand(KeyId=key)  # two material versions
        for i in range(2):
            plain = f"{tag} secret {i}".encode()
            ciphertexts.append((key, plain, kms.encrypt(KeyId=key, Plaintext=plain)["CiphertextBlob"]))

    def check_all(server: ServerProcess) -> None:
        client = server.client("kms")
        for key, plain, blob in ciphertexts:
            out = client.decrypt(CiphertextBlob=blob)
            assert out["Plaintext"] == plain and out["KeyId"].endswith(key)

    encrypt_some("before")
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signature = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert _prefixes(srv) == {b"\x01"}

    # to the token, while the server keeps serving
    env = clean_env()
    result = strongroom(
        "seal", "migrate", "--data-dir", str(srv.data_dir), "--to-provider", "pkcs11",
        "--module", hsm.module, "--token-label", "migrate", "--pin-env", "STRONGROOM_HSM_PIN",
        env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "re-wrapping" in result.stderr and "kms_key_materials.sealed" in result.stdout
    assert _prefixes(srv) == {b"\x02"}
    assert not (srv.data_dir / "root.key").exists() and (srv.data_dir / "root.key.retired").exists()
    assert json.loads((srv.data_dir / "seal.json").read_text())["provider"] == "pkcs11"
    # the running server follows: new keys are sealed by the token, old ones still decrypt
    encrypt_some("during")
    check_all(srv)
    assert _prefixes(srv) == {b"\x02"}
    assert srv.admin("GET", "health")[1]["seal"]["provider"] == "pkcs11"

    srv.stop()
    srv.start()
    check_all(srv)
    assert srv.client("kms").verify(KeyId=signing, Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")[
        "SignatureValid"
    ]

    # and back to a (new) key file
    result = strongroom(
        "seal", "migrate", "--data-dir", str(srv.data_dir), "--to-provider", "file", "--quiet", env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert _prefixes(srv) == {b"\x01"}
    assert (srv.data_dir / "root.key").exists()
    encrypt_some("after")
    srv.stop()
    srv.start()
    check_all(srv)
    _, health = srv.admin("GET", "health")
    assert health["seal"] == {"provider": "file", "sealed": False}

    again = strongroom(
        "seal", "migrate", "--data-dir", str(srv.data_dir), "--to-provider", "file", "--key-file", "root.key",
        env=env, check=False,
    )  # fmt: skip
    assert again.returncode == 1 and "already sealed" in again.stderr
