"""No key material and no plaintext anywhere on disk: database, WAL, logs, the whole data directory."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

from strongroom.core.config import sqlite_url
from strongroom.keyring.seal import FileSeal
from strongroom.services.kms.keystore import KeyStore
from strongroom.services.kms.specs import KEY_SPECS
from strongroom.store.engine import Store
from tests.e2e.test_kms_import import do_import, external_key
from tests.support.server import ServerProcess


def _forms(secret: bytes) -> list[bytes]:
    """The ways a secret could leak: raw, hex, base64 (and a 16-byte window of long ones, e.g. inside PEM)."""
    forms = [secret, secret.hex().encode(), base64.b64encode(secret)]
    if len(secret) > 48:
        forms.append(base64.b64encode(secret[16:64]))  # base64 alignment-independent middle chunk
    return forms


def _all_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file())


def test_no_material_or_plaintext_on_disk(make_server: Any) -> None:
    srv: ServerProcess = make_server()
    srv.start()
    kms = srv.client("kms")
    secrets: list[bytes] = []
    records = []
    for spec, info in KEY_SPECS.items():
        if spec == "RSA_4096":
            continue  # slow to generate; RSA_2048/3072 cover the format
        for usage in info.usages:
            records.append(kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"])
    imported = external_key(kms)
    material = os.urandom(32)
    do_import(kms, imported["KeyId"], material)
    secrets.append(material)
    symmetric = next(r for r in records if r["KeySpec"] == "SYMMETRIC_DEFAULT")
    for i in range(5):
        plaintext = f"known plaintext number {i} — do not store".encode() + os.urandom(8)
        secrets.append(plaintext)
        blob = kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=plaintext, EncryptionContext={"k": "v"})[
            "CiphertextBlob"
        ]
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})["Plaintext"] == plaintext
    data_key = kms.generate_data_key(KeyId=symmetric["KeyId"], KeySpec="AES_256")["Plaintext"]
    secrets.append(data_key)
    pair = kms.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="ECC_NIST_P256")
    secrets.append(pair["PrivateKeyPlaintext"])

    # the server's own view of every key's material, read with the data dir's root key
    store = Store(sqlite_url(srv.data_dir.resolve()))
    keystore = KeyStore(store, FileSeal(srv.data_dir / "root.key"))
    try:
        for meta in [*records, imported]:
            record = keystore.by_arn(meta["Arn"])
            assert record is not None
            key_material = keystore.material(record)
            assert key_material
            secrets.append(key_material)
    finally:
        store.dispose()
    srv.stop()

    haystack = _all_bytes(srv.data_dir)
    assert len(haystack) > 10_000
    for secret in secrets:
        for form in _forms(secret):
            assert form not in haystack, "a secret was found on disk"
