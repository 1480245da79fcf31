"""Imported key material through boto3: wrapping keys, import, re-import, deletion, expiry (clock advanced)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from tests.support.errors import code_of as error_code
from tests.support.server import ServerProcess

DAY = 86400
_HASH = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def raw_kms(server: ServerProcess) -> Any:
    return server.client("kms", config=botocore.config.Config(parameter_validation=False))


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """Encrypt key material the way AWS's import instructions (and the AWS CLI + OpenSSL recipe) describe."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    digest = _HASH[algorithm.rsplit("_", 2)[-2] + "_" + algorithm.rsplit("_", 1)[-1]]
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=digest()), algorithm=digest(), label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def params(kms: Any, key_id: str, algorithm: str = "RSAES_OAEP_SHA_256", spec: str = "RSA_2048") -> dict[str, Any]:
    return dict(kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec))


def do_import(
    kms: Any, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256", **kwargs: Any
) -> dict[str, Any]:
    p = params(kms, key_id, algorithm)
    kwargs.setdefault("ExpirationModel", "KEY_MATERIAL_DOES_NOT_EXPIRE")
    return dict(
        kms.import_key_material(
            KeyId=key_id,
            ImportToken=p["ImportToken"],
            EncryptedKeyMaterial=wrap(p["PublicKey"], algorithm, material),
            **kwargs,
        )
    )


def external_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    meta = dict(kms.create_key(Origin="EXTERNAL", **kwargs)["KeyMetadata"])
    assert meta["KeyState"] == "PendingImport" and meta["Origin"] == "EXTERNAL"
    return meta


def server_now(server: ServerProcess) -> datetime:
    """The server's clock, which other tests of the session may have moved ahead of the wall clock."""
    return datetime.fromisoformat(server.advance(0)["now"].replace("Z", "+00:00"))


def state(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


def test_parameters_for_import(server: ServerProcess, kms: Any) -> None:
    key = external_key(kms)
    p = params(kms, key["KeyId"], "RSA_AES_KEY_WRAP_SHA_256", "RSA_3072")
    assert p["KeyId"] == key["Arn"]
    public = serialization.load_der_public_key(p["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 3072
    lifetime = p["ParametersValidTo"] - server_now(server)
    assert timedelta(hours=23) < lifetime <= timedelta(hours=24, minutes=1)
    assert p["ImportToken"]


@pytest.mark.parametrize(
    ("algorithm", "spec", "code"),
    [
        ("RSAES_PKCS1_V1_5", "RSA_2048", "UnsupportedOperationException"),
        ("SM2PKE", "SM2", "UnsupportedOperationException"),
        ("RSAES_OAEP_SHA_256", "RSA_1024", "ValidationException"),
    ],
)
def test_parameters_refused(raw_kms: Any, algorithm: str, spec: str, code: str) -> None:
    key = external_key(raw_kms)
    with pytest.raises(ClientError) as exc:
        raw_kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm=algorithm, WrappingKeySpec=spec)
    assert error_code(exc) == code


def test_not_external(kms: Any) -> None:
    key = dict(kms.create_key()["KeyMetadata"])
    with pytest.raises(ClientError) as exc:
        params(kms, key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as exc:
        kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"


@pytest.mark.parametrize(
    "algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]
)
def test_import_symmetric_and_use(kms: Any, algorithm: str) -> None:
    key = external_key(kms)
    material = os.urandom(32)
    out = do_import(kms, key["KeyId"], material, algorithm)
    assert out["KeyId"] == key["Arn"] and len(out["KeyMaterialId"]) == 64
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Enabled"
    assert meta["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert meta["CurrentKeyMaterialId"] == out["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_delete_and_reimport_same_material(kms: Any) -> None:
    key = external_key(kms)
    material = os.urandom(32)
    first = do_import(kms, key["KeyId"], material)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"survives")["CiphertextBlob"]
    deleted = kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert deleted["KeyId"] == key["Arn"] and deleted["KeyMaterialId"] == first["KeyMaterialId"]
    assert state(kms, key["KeyId"]) == "PendingImport"
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(exc) == "KMSInvalidStateException"
    rotations = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["ImportState"] for r in rotations] == ["PENDING_IMPORT"]
    with pytest.raises(ClientError) as exc:
        do_import(kms, key["KeyId"], os.urandom(32))
    assert error_code(exc) == "IncorrectKeyMaterialException"
    again = do_import(kms, key["KeyId"], material, KeyMaterialId=first["KeyMaterialId"])
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    assert state(kms, key["KeyId"]) == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"survives"


def test_token_errors(server: ServerProcess, kms: Any) -> None:
    key, other = external_key(kms), external_key(kms)
    material = os.urandom(32)
    p = params(kms, key["KeyId"])
    wrapped = wrap(p["PublicKey"], "RSAES_OAEP_SHA_256", material)
    common = {"EncryptedKeyMaterial": wrapped, "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    with pytest.raises(ClientError) as exc:
        kms.import_key_material(KeyId=other["KeyId"], ImportToken=p["ImportToken"], **common)
    assert error_code(exc) == "InvalidImportTokenException"
    with pytest.raises(ClientError) as exc:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=b"garbage" * 10, **common)
    assert error_code(exc) == "InvalidImportTokenException"
    with pytest.raises(ClientError) as exc:
        kms.import_key_material(
            KeyId=key["KeyId"],
            ImportToken=p["ImportToken"],
            EncryptedKeyMaterial=os.urandom(256),
            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        )
    assert error_code(exc) == "InvalidCiphertextException"
    server.advance(DAY + 60)
    with pytest.raises(ClientError) as exc:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=p["ImportToken"], **common)
    assert error_code(exc) == "ExpiredImportTokenException"


def test_wrong_material_size(kms: Any) -> None:
    key = external_key(kms)
    with pytest.raises(ClientError) as exc:
        do_import(kms, key["KeyId"], os.urandom(16))
    assert error_code(exc) == "IncorrectKeyMaterialException"


def test_valid_to_rules(server: ServerProcess, kms: Any) -> None:
    key = external_key(kms)
    material = os.urandom(32)
    now = server_now(server)
    bad: list[dict[str, Any]] = [
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES"},
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now - timedelta(hours=1)},
        {"ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": now + timedelta(days=366)},
        {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE", "ValidTo": now + timedelta(days=3)},
    ]
    for kwargs in bad:
        with pytest.raises(ClientError) as exc:
            do_import(kms, key["KeyId"], material, **kwargs)
        assert error_code(exc) == "ValidationException", kwargs
    assert state(kms, key["KeyId"]) == "PendingImport"


def test_material_expires(server: ServerProcess, kms: Any) -> None:
    key = external_key(kms)
    valid_to = server_now(server) + timedelta(days=3)
    out = do_import(kms, key["KeyId"], os.urandom(32), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert abs(meta["ValidTo"] - valid_to) < timedelta(seconds=1)
    entry = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"][0]
    assert entry["KeyMaterialId"] == out["KeyMaterialId"] and entry["ImportState"] == "IMPORTED"
    assert entry["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    server.advance(2 * DAY)
    assert state(kms, key["KeyId"]) == "Enabled"
    server.advance(DAY + 60)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingImport" and "ValidTo" not in meta
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_code(exc) == "KMSInvalidStateException"


def test_reimport_changes_expiry(server: ServerProcess, kms: Any) -> None:
    key = external_key(kms)
    material = os.urandom(32)
    soon = server_now(server) + timedelta(days=1)
    do_import(kms, key["KeyId"], material, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=soon)
    do_import(kms, key["KeyId"], material)  # reimport without expiry
    server.advance(2 * DAY)
    assert state(kms, key["KeyId"]) == "Enabled"


def test_hmac_import(kms: Any) -> None:
    key = external_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    material = os.urandom(64)
    do_import(kms, key["KeyId"], material)
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    import hmac

    assert mac == hmac.new(material, b"m", "sha256").digest()
    other = external_key(kms, KeySpec="HMAC_512", KeyUsage="GENERATE_VERIFY_MAC")
    with pytest.raises(ClientError) as exc:
        do_import(kms, other["KeyId"], os.urandom(32))
    assert error_code(exc) == "IncorrectKeyMaterialException"
    with pytest.raises(ClientError) as exc:
        do_import(kms, other["KeyId"], os.urandom(64), ImportType="NEW_KEY_MATERIAL")
    assert error_code(exc) == "ValidationException"


def test_asymmetric_import(kms: Any) -> None:
    key = external_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    do_import(kms, key["KeyId"], der, "RSA_AES_KEY_WRAP_SHA_256")
    public = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    assert public == private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sig = kms.sign(KeyId=key["KeyId"], Message=b"hello", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(sig, b"hello", ec.ECDSA(hashes.SHA256()))
    wrong = external_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as exc:
        do_import(kms, wrong["KeyId"], der, "RSA_AES_KEY_WRAP_SHA_256")
    assert error_code(exc) == "IncorrectKeyMaterialException"
    # Asymmetric keys take their first material only.
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ClientError) as exc:
        do_import(kms, key["KeyId"], other, "RSA_AES_KEY_WRAP_SHA_256")
    assert error_code(exc) == "IncorrectKeyMaterialException"
    do_import(kms, key["KeyId"], der, "RSA_AES_KEY_WRAP_SHA_1")
    assert state(kms, key["KeyId"]) == "Enabled"


def test_new_key_material_and_on_demand_rotation(kms: Any) -> None:
    key = external_key(kms)
    first = do_import(kms, key["KeyId"], os.urandom(32), KeyMaterialDescription="first")
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"one")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "KMSInvalidStateException"
    second = do_import(kms, key["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    listed = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"]) for r in listed] == [
        (first["KeyMaterialId"], "CURRENT"),
        (second["KeyMaterialId"], "PENDING_ROTATION"),
    ]
    assert listed[0]["KeyMaterialDescription"] == "first"
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == second["KeyMaterialId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"]) for r in rotations] == [(second["KeyMaterialId"], "ON_DEMAND")]
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"one"
    # Deleting an old version makes the key unusable until it is reimported.
    kms.delete_imported_key_material(KeyId=key["KeyId"], KeyMaterialId=first["KeyMaterialId"])
    assert state(kms, key["KeyId"]) == "PendingImport"


def test_delete_unknown_material_id(kms: Any) -> None:
    key = external_key(kms)
    do_import(kms, key["KeyId"], os.urandom(32))
    with pytest.raises(ClientError) as exc:
        kms.delete_imported_key_material(KeyId=key["KeyId"], KeyMaterialId="ab" * 32)
    assert error_code(exc) == "NotFoundException"


def test_pending_deletion_keeps_state(kms: Any) -> None:
    key = external_key(kms)
    do_import(kms, key["KeyId"], os.urandom(32))
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert state(kms, key["KeyId"]) == "PendingDeletion"
    with pytest.raises(ClientError) as exc:
        params(kms, key["KeyId"])
    assert error_code(exc) == "KMSInvalidStateException"
