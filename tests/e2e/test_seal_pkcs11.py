"""The PKCS#11 seal against a real SoftHSM2 token: unsealed by the token at start, sealed without it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess, clean_env, strongroom
from tests.support.softhsm import SoftHsm, make_softhsm

PIN = "seal-pin-4711"


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    return make_softhsm(tmp_path / "softhsm", monkeypatch)


def write_seal_config(data_dir: Path, hsm: SoftHsm, token: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "strongroom.toml").write_text(
        f'[seal]\nprovider = "pkcs11"\nmodule = "{hsm.module}"\ntoken_label = "{token}"\n'
        'key_label = "strongroom-root"\npin_env = "STRONGROOM_HSM_PIN"\n'
    )


def test_token_seal_unseals_itself_and_stays_sealed_without_the_token(
    make_server: Any, hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch
) -> None:
    hsm.add_token("seal", PIN)
    monkeypatch.setenv("STRONGROOM_HSM_PIN", PIN)
    srv: ServerProcess = make_server(init=False)
    write_seal_config(srv.data_dir, hsm, "seal")
    srv.init()
    assert not (srv.data_dir / "root.key").exists()
    assert json.loads((srv.data_dir / "seal.json").read_text())["provider"] == "pkcs11"
    assert PIN not in (srv.data_dir / "seal.json").read_text()

    srv.start()
    status, health = srv.admin("GET", "health")
    assert status == 200 and health["sealed"] is False and health["seal"]["provider"] == "pkcs11"
    kms = srv.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"sealed by the token")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed by the token"

    listing = hsm.secret_keys("seal", PIN)
    assert "label:      strongroom-root" in listing and "never extractable" in listing

    # restart with the token still there: unsealed again, old ciphertext decrypts
    srv.stop()
    srv.start()
    assert srv.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"sealed by the token"

    # the token is gone: the server starts, sealed, and says why
    srv.stop()
    hsm.remove_token("seal")
    srv.start()
    status, health = srv.admin("GET", "health")
    assert status == 200 and health["sealed"] is True
    assert "token" in health["seal"]["reason"]
    with pytest.raises(ClientError) as err:
        srv.client("kms").list_keys()
    assert err.value.response["Error"]["Code"] == "KMSInternalException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert "Strongroom is sealed" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        srv.client("sts").get_caller_identity()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503

    out = strongroom("status", "--data-dir", str(srv.data_dir), env=clean_env(), check=False).stdout
    assert "pkcs11" in out and "sealed" in out and "unsealed" not in out.split("server:")[0]

    # unseal asks the running server to retry; without the token it stays sealed
    retry = strongroom("unseal", "--data-dir", str(srv.data_dir), "--port", str(srv.port), env=clean_env(), check=False)
    assert retry.returncode == 1 and "still sealed" in retry.stderr


def test_wrong_pin_leaves_the_server_sealed(make_server: Any, hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
    hsm.add_token("seal2", PIN)
    monkeypatch.setenv("STRONGROOM_HSM_PIN", PIN)
    srv: ServerProcess = make_server(init=False)
    write_seal_config(srv.data_dir, hsm, "seal2")
    srv.init()
    monkeypatch.setenv("STRONGROOM_HSM_PIN", "not-the-pin")
    srv.start()
    _, health = srv.admin("GET", "health")
    assert health["sealed"] is True and "INVALID_CREDENTIALS" in health["seal"]["reason"]
    assert "not-the-pin" not in srv.logs()
