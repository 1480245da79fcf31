"""ML-KEM keys through boto3: CreateKey/DescribeKey/GetPublicKey, Encapsulate/Decapsulate interoperating with
cryptography's ML-KEM both ways, and AWS's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from cryptography.hazmat.primitives.asymmetric import mlkem as openssl
from cryptography.hazmat.primitives.serialization import load_der_public_key

from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms", config=Config(parameter_validation=False))


def _key(kms: Any, spec: str) -> str:
    meta = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    assert meta["KeySpec"] == spec and meta["EncapsulationAlgorithms"] == ["ML_KEM"]
    return str(meta["KeyId"])


def test_ml_kem_interoperates_with_cryptography(kms: Any) -> None:
    for spec in ("ML_KEM_768", "ML_KEM_1024"):
        key_id = _key(kms, spec)
        out = kms.get_public_key(KeyId=key_id)
        assert out["KeyUsage"] == "ENCAPSULATE_DECAPSULATE" and out["EncapsulationAlgorithms"] == ["ML_KEM"]
        public = load_der_public_key(out["PublicKey"])
        assert isinstance(public, openssl.MLKEM768PublicKey | openssl.MLKEM1024PublicKey)
        # A client encapsulates locally to KMS's public key; Decapsulate recovers the same secret.
        secret, ciphertext = public.encapsulate()
        got = kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=ciphertext, EncapsulationAlgorithm="ML_KEM")
        assert got["SharedSecret"] == secret and got["EncapsulationAlgorithm"] == "ML_KEM"
        # KMS encapsulates; the ciphertext decapsulates to the same secret (through KMS: only it has the key).
        enc = kms.encapsulate(KeyId=key_id, EncapsulationAlgorithm="ML_KEM")
        assert len(enc["SharedSecret"]) == 32
        back = kms.decapsulate(
            KeyId=key_id, SharedSecretCiphertextBlob=enc["SharedSecretCiphertextBlob"], EncapsulationAlgorithm="ML_KEM"
        )
        assert back["SharedSecret"] == enc["SharedSecret"]


def test_ml_kem_512_and_errors(kms: Any) -> None:
    key_id = _key(kms, "ML_KEM_512")
    enc = kms.encapsulate(KeyId=key_id, EncapsulationAlgorithm="ML_KEM")
    assert len(enc["SharedSecretCiphertextBlob"]) == 768
    blob = enc["SharedSecretCiphertextBlob"]
    assert (
        kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=blob, EncapsulationAlgorithm="ML_KEM")["SharedSecret"]
        == enc["SharedSecret"]
    )
    # Implicit rejection: an altered ciphertext answers a different secret, not an error.
    altered = bytes([blob[0] ^ 1]) + blob[1:]
    other = kms.decapsulate(KeyId=key_id, SharedSecretCiphertextBlob=altered, EncapsulationAlgorithm="ML_KEM")
    assert other["SharedSecret"] != enc["SharedSecret"]
    assert code_of(
        kms.decapsulate, KeyId=key_id, SharedSecretCiphertextBlob=b"x" * 10, EncapsulationAlgorithm="ML_KEM"
    ) == ("InvalidCiphertextException")
    assert code_of(kms.encrypt, KeyId=key_id, Plaintext=b"x") == "InvalidKeyUsageException"
    assert code_of(kms.create_key, KeySpec="ML_KEM_768", KeyUsage="SIGN_VERIFY") == "ValidationException"
    assert code_of(kms.create_key, KeySpec="ML_KEM_768") == "ValidationException"
    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    assert code_of(kms.encapsulate, KeyId=symmetric, EncapsulationAlgorithm="ML_KEM") == "InvalidKeyUsageException"
    assert code_of(kms.encapsulate, KeyId=key_id, EncapsulationAlgorithm="RSA") == "ValidationException"
    assert code_of(kms.encapsulate, KeyId=key_id, EncapsulationAlgorithm="ML_KEM", DryRun=True) == (
        "DryRunOperationException"
    )
    kms.disable_key(KeyId=key_id)
    assert code_of(kms.encapsulate, KeyId=key_id, EncapsulationAlgorithm="ML_KEM") == "DisabledException"
    assert code_of(kms.encapsulate, KeyId="alias/none", EncapsulationAlgorithm="ML_KEM") == "NotFoundException"
