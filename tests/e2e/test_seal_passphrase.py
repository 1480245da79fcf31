"""The passphrase seal: sealed at start without the passphrase; `strongroom unseal` unseals the running server."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess, clean_env, strongroom

PASSPHRASE = "correct horse battery staple 42"


def test_passphrase_seal(make_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    srv: ServerProcess = make_server(init=False)
    srv.data_dir.mkdir(parents=True)
    (srv.data_dir / "strongroom.toml").write_text('[seal]\nprovider = "passphrase"\n')
    monkeypatch.setenv("STRONGROOM_PASSPHRASE", PASSPHRASE)
    srv.init()
    state = (srv.data_dir / "seal.json").read_text()
    assert json.loads(state)["provider"] == "passphrase" and PASSPHRASE not in state
    assert not (srv.data_dir / "root.key").exists()

    # with the passphrase in the environment the server unseals at start
    srv.start()
    kms = srv.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"behind a passphrase")["CiphertextBlob"]
    srv.stop()

    # without it: sealed, every call answers 503
    monkeypatch.delenv("STRONGROOM_PASSPHRASE")
    srv.start()
    _, health = srv.admin("GET", "health")
    assert health["sealed"] is True and health["seal"]["provider"] == "passphrase"
    with pytest.raises(ClientError) as err:
        srv.client("kms").decrypt(CiphertextBlob=blob)
    assert err.value.response["Error"]["Code"] == "KMSInternalException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    status = strongroom("status", "--data-dir", str(srv.data_dir), "--port", str(srv.port), env=clean_env()).stdout
    assert "passphrase" in status and "running, passphrase, sealed" in status

    # the unseal endpoint refuses requests a browser could forge
    http = urllib3.PoolManager()
    resp = http.request("POST", srv.endpoint + "/_strongroom/unseal", body=b'{"passphrase": "x"}')
    assert resp.status == 415

    args = ("unseal", "--data-dir", str(srv.data_dir), "--port", str(srv.port))
    wrong = strongroom(*args, env={**clean_env(), "STRONGROOM_PASSPHRASE": "wrong passphrase"}, check=False)
    assert wrong.returncode == 1 and "not correct" in wrong.stderr
    assert srv.admin("GET", "health")[1]["sealed"] is True

    right = strongroom(*args, env={**clean_env(), "STRONGROOM_PASSPHRASE": PASSPHRASE}, check=False)
    assert right.returncode == 0, right.stderr
    assert srv.admin("GET", "health")[1]["sealed"] is False
    assert srv.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"behind a passphrase"
    # the passphrase reached neither the logs nor the audit trail's storage
    assert PASSPHRASE not in srv.logs()
    srv.stop()
    haystack = b"".join(p.read_bytes() for p in srv.data_dir.rglob("*") if p.is_file())
    assert PASSPHRASE.encode() not in haystack
