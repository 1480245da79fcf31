"""KMS custom key stores (AWS_CLOUDHSM) backed by real SoftHSM2 tokens, end to end with boto3."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from strongroom.core.config import sqlite_url
from strongroom.services.kms import model
from strongroom.store.engine import Store
from tests.support.errors import code_of as code
from tests.support.server import ServerProcess
from tests.support.softhsm import SoftHsm, make_softhsm

PIN = "kmsuser-pin-1"


@pytest.fixture
def hsm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SoftHsm:
    return make_softhsm(tmp_path / "softhsm", monkeypatch)


CLUSTER, OTHER_CLUSTER, MISSING_CLUSTER = "cluster-abcdefghijk", "cluster-bcdefghijkl", "cluster-cdefghijklm"


def trust_anchor() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strongroom test HSM anchor")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def hsm_server(make_server: Any, hsm: SoftHsm, backend: str) -> ServerProcess:
    hsm.add_token("kms-store", PIN)
    hsm.add_token("kms-other", PIN)
    srv: ServerProcess = make_server("--test-mode", backend=backend)
    (srv.data_dir / "strongroom.toml").write_text(
        f'[hsm.clusters.{CLUSTER}]\nmodule = "{hsm.module}"\ntoken_label = "kms-store"\n'
        f'[hsm.clusters.{OTHER_CLUSTER}]\nmodule = "{hsm.module}"\ntoken_label = "kms-other"\n'
    )
    srv.start()
    return srv


def test_custom_key_store_end_to_end(hsm_server: ServerProcess, hsm: SoftHsm) -> None:
    srv = hsm_server
    kms = srv.client("kms")
    anchor = trust_anchor()
    store_id = kms.create_custom_key_store(
        CustomKeyStoreName="hsm-one", CloudHsmClusterId=CLUSTER, TrustAnchorCertificate=anchor, KeyStorePassword=PIN
    )["CustomKeyStoreId"]
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]
    assert entry["ConnectionState"] == "DISCONNECTED" and entry["CloudHsmClusterId"] == CLUSTER
    assert entry["CustomKeyStoreType"] == "AWS_CLOUDHSM" and entry["TrustAnchorCertificate"] == anchor

    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"

    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_custom_key_stores(CustomKeyStoreName="hsm-one")["CustomKeyStores"][0]["ConnectionState"] == (
        "CONNECTED"
    )
    meta = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id, Description="in the HSM")["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Origin"] == "AWS_CLOUDHSM" and meta["CustomKeyStoreId"] == store_id
    assert meta["CloudHsmClusterId"] == CLUSTER and meta["KeyState"] == "Enabled"
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["CloudHsmClusterId"] == CLUSTER and described["CustomKeyStoreId"] == store_id

    blob = kms.encrypt(KeyId=key_id, Plaintext=b"on the token", EncryptionContext={"a": "b"})["CiphertextBlob"]
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    assert out["Plaintext"] == b"on the token" and out["KeyId"] == meta["Arn"]
    with pytest.raises(ClientError) as err:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "c"})
    assert code(err) == "InvalidCiphertextException"
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]
    without = kms.generate_data_key_without_plaintext(KeyId=key_id, NumberOfBytes=16)
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 16
    software_key = kms.create_key()["KeyMetadata"]["KeyId"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "b"}, DestinationKeyId=software_key)[
        "CiphertextBlob"
    ]
    back = kms.re_encrypt(CiphertextBlob=moved, DestinationKeyId=key_id)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=back)["Plaintext"] == b"on the token"
    assert len(kms.generate_random(NumberOfBytes=24, CustomKeyStoreId=store_id)["Plaintext"]) == 24

    # the key is a non-extractable token object labelled with its id; the database holds no material for it
    listing = hsm.secret_keys("kms-store", PIN)
    assert f"label:      {key_id}" in listing and "never extractable" in listing
    store = Store(srv.database_url or sqlite_url(srv.data_dir.resolve()))
    try:
        with store.read() as conn:
            materials = conn.execute(select(model.materials).where(model.materials.c.key_arn == meta["Arn"])).all()
    finally:
        store.dispose()
    assert materials == []

    # disconnected: the key is Unavailable and every cryptographic call answers AWS's errors
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Unavailable"
    for call in (
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"}),
        lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert code(err) == "KMSInvalidStateException"
        assert "unavailable" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"
    with pytest.raises(ClientError) as err:
        kms.generate_random(NumberOfBytes=8, CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"
    with pytest.raises(ClientError) as err:
        kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"
    with pytest.raises(ClientError) as err:
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreHasCMKsException"

    # reconnected: the key is back and its old ciphertext decrypts
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"on the token"
    with pytest.raises(ClientError) as err:
        kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword="another-pin")
    assert code(err) == "CustomKeyStoreInvalidStateException"
    kms.update_custom_key_store(CustomKeyStoreId=store_id, NewCustomKeyStoreName="hsm-renamed")
    with pytest.raises(ClientError) as err:
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"

    # deleting the key destroys the token object
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    srv.advance(8 * 86400)
    with pytest.raises(ClientError) as err:
        kms.describe_key(KeyId=key_id)
    assert code(err) == "NotFoundException"
    assert f"label:      {key_id}" not in hsm.secret_keys("kms-store", PIN)
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    with pytest.raises(ClientError) as err:
        kms.describe_custom_key_stores(CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreNotFoundException"


def test_custom_key_store_errors(hsm_server: ServerProcess) -> None:
    kms = hsm_server.client("kms")
    raw = hsm_server.client("kms", config=botocore.config.Config(parameter_validation=False))
    anchor = trust_anchor()

    def create(name: str, cluster: str, password: str = PIN, pem: str = anchor) -> str:
        return str(
            kms.create_custom_key_store(
                CustomKeyStoreName=name,
                CloudHsmClusterId=cluster,
                TrustAnchorCertificate=pem,
                KeyStorePassword=password,
            )["CustomKeyStoreId"]
        )

    with pytest.raises(ClientError) as err:
        create("nowhere", MISSING_CLUSTER)
    assert code(err) == "CloudHsmClusterNotFoundException"
    with pytest.raises(ClientError) as err:
        create("bad-anchor", OTHER_CLUSTER, pem="-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n")
    assert code(err) == "IncorrectTrustAnchorException"
    with pytest.raises(ClientError) as err:
        raw.create_custom_key_store(
            CustomKeyStoreName="xks",
            CustomKeyStoreType="EXTERNAL_KEY_STORE",
            XksProxyUriEndpoint="https://xks.example.com",
            XksProxyUriPath="/kms/xks/v1",
            XksProxyConnectivity="PUBLIC_ENDPOINT",
            XksProxyAuthenticationCredential={"AccessKeyId": "A" * 20, "RawSecretAccessKey": "B" * 43},
        )
    assert code(err) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId="cks-1234567890abcdef0", XksKeyId="k1")
    assert code(err) == "UnsupportedOperationException"

    wrong = create("wrong-pin", OTHER_CLUSTER, password="not-the-pin")
    with pytest.raises(ClientError) as err:
        create("second", OTHER_CLUSTER)
    assert code(err) == "CloudHsmClusterInUseException"
    with pytest.raises(ClientError) as err:
        create("wrong-pin", CLUSTER)
    assert code(err) == "CustomKeyStoreNameInUseException"

    kms.connect_custom_key_store(CustomKeyStoreId=wrong)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=wrong)["CustomKeyStores"][0]
    assert entry["ConnectionState"] == "FAILED" and entry["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    with pytest.raises(ClientError) as err:
        kms.connect_custom_key_store(CustomKeyStoreId=wrong)
    assert code(err) == "CustomKeyStoreInvalidStateException"
    kms.disconnect_custom_key_store(CustomKeyStoreId=wrong)
    kms.update_custom_key_store(CustomKeyStoreId=wrong, KeyStorePassword=PIN)
    kms.connect_custom_key_store(CustomKeyStoreId=wrong)
    assert kms.describe_custom_key_stores(CustomKeyStoreId=wrong)["CustomKeyStores"][0]["ConnectionState"] == (
        "CONNECTED"
    )
    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=wrong, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    assert code(err) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId="cks-00000000000000000")
    assert code(err) == "CustomKeyStoreNotFoundException"
    with pytest.raises(ClientError) as err:
        kms.connect_custom_key_store(CustomKeyStoreId="cks-00000000000000000")
    assert code(err) == "CustomKeyStoreNotFoundException"
    with pytest.raises(ClientError) as err:
        kms.describe_custom_key_stores(CustomKeyStoreName="no-such-store")
    assert code(err) == "CustomKeyStoreNotFoundException"
    second = create("listing", CLUSTER)
    listed = kms.describe_custom_key_stores(Limit=1)
    assert listed["Truncated"] is True and len(listed["CustomKeyStores"]) == 1
    rest = kms.describe_custom_key_stores(Marker=listed["NextMarker"])
    assert {s["CustomKeyStoreId"] for s in listed["CustomKeyStores"] + rest["CustomKeyStores"]} == {wrong, second}


def test_password_is_checked_on_a_token_the_seal_is_logged_in_to(
    make_server: Any, hsm: SoftHsm, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    """PKCS#11 login is per process: with the seal logged in to the token, C_Login of the store's session
    answers "already logged in" whatever the PIN. A wrong KeyStorePassword must still fail the connection."""
    hsm.add_token("shared", PIN)
    monkeypatch.setenv("STRONGROOM_HSM_PIN", PIN)
    srv: ServerProcess = make_server("--test-mode", backend=backend, init=False)
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    (srv.data_dir / "strongroom.toml").write_text(
        f'[seal]\nprovider = "pkcs11"\nmodule = "{hsm.module}"\ntoken_label = "shared"\n'
        'key_label = "strongroom-root"\npin_env = "STRONGROOM_HSM_PIN"\n'
        f'[hsm.clusters.{CLUSTER}]\nmodule = "{hsm.module}"\ntoken_label = "shared"\n'
        f'[hsm.clusters.{OTHER_CLUSTER}]\nmodule = "{hsm.module}"\ntoken_label = "shared"\n'
    )
    srv.init()
    srv.start()
    kms = srv.client("kms")
    sealed_key = kms.create_key()["KeyMetadata"]["KeyId"]  # the seal is logged in to the token now
    blob = kms.encrypt(KeyId=sealed_key, Plaintext=b"under the seal")["CiphertextBlob"]
    anchor = trust_anchor()
    store_id = kms.create_custom_key_store(
        CustomKeyStoreName="shared-token",
        CloudHsmClusterId=CLUSTER,
        TrustAnchorCertificate=anchor,
        KeyStorePassword="not-the-pin",
    )["CustomKeyStoreId"]

    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]
    assert entry["ConnectionState"] == "FAILED" and entry["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    with pytest.raises(ClientError) as err:
        kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)
    assert code(err) == "CustomKeyStoreInvalidStateException"
    assert "not-the-pin" not in srv.logs()

    # the failed check logged nothing out: the seal still works
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under the seal"

    # the right password connects, on the token the seal shares
    kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    kms.update_custom_key_store(CustomKeyStoreId=store_id, KeyStorePassword=PIN)
    kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]
    assert entry["ConnectionState"] == "CONNECTED" and "ConnectionErrorCode" not in entry
    key_id = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store_id)["KeyMetadata"]["KeyId"]
    on_token = kms.encrypt(KeyId=key_id, Plaintext=b"on the token")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=on_token)["Plaintext"] == b"on the token"

    # a second store on the same token, while the first is connected: its wrong password fails too
    other = kms.create_custom_key_store(
        CustomKeyStoreName="shared-token-2",
        CloudHsmClusterId=OTHER_CLUSTER,
        TrustAnchorCertificate=anchor,
        KeyStorePassword="still-not-the-pin",
    )["CustomKeyStoreId"]
    kms.connect_custom_key_store(CustomKeyStoreId=other)
    entry = kms.describe_custom_key_stores(CustomKeyStoreId=other)["CustomKeyStores"][0]
    assert entry["ConnectionState"] == "FAILED" and entry["ConnectionErrorCode"] == "INVALID_CREDENTIALS"
    assert kms.decrypt(CiphertextBlob=on_token)["Plaintext"] == b"on the token"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"under the seal"
