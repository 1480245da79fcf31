"""KMS encryption operations through boto3 against the real server: Encrypt, Decrypt, ReEncrypt, the data key
generators and GenerateRandom, with AWS's error codes on every negative path."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from tests.support.errors import code_message_of_call as error_of
from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess

NO_VALIDATION = Config(parameter_validation=False)


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms", config=NO_VALIDATION)


def new_key(kms: Any, spec: str = "SYMMETRIC_DEFAULT", usage: str = "ENCRYPT_DECRYPT") -> dict[str, Any]:
    return kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]


# -- symmetric -------------------------------------------------------------------------------------------


def test_encrypt_decrypt_without_key_id_and_context_order(kms: Any) -> None:
    key = new_key(kms)
    context = {"purpose": "test", "tenant": "a", "z": "ü"}
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext=context)
    assert out["KeyId"] == key["Arn"]
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    reordered = dict(reversed(list(context.items())))
    plain = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=reordered)
    assert plain["Plaintext"] == b"secret"
    assert plain["KeyId"] == key["Arn"]
    assert plain["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert len(plain["KeyMaterialId"]) == 64
    # Any identifier of the right key is accepted.
    kms.create_alias(AliasName=f"alias/crypto-{key['KeyId']}", TargetKeyId=key["KeyId"])
    for ref in (key["KeyId"], key["Arn"], f"alias/crypto-{key['KeyId']}"):
        got = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext=context, KeyId=ref)
        assert got["Plaintext"] == b"secret"
    by_alias = kms.encrypt(KeyId=f"alias/crypto-{key['KeyId']}", Plaintext=b"x")
    assert by_alias["KeyId"] == key["Arn"]


def test_every_ciphertext_is_fresh(kms: Any) -> None:
    key = new_key(kms)
    a = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    b = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"same")["CiphertextBlob"]
    assert a != b


def test_wrong_missing_or_extra_context(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext={"a": "1"})["CiphertextBlob"]
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"
    assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"a": "2"}) == "InvalidCiphertextException"
    extra = {"a": "1", "b": "2"}
    assert code_of(kms.decrypt, CiphertextBlob=blob, EncryptionContext=extra) == "InvalidCiphertextException"
    plain = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    assert code_of(kms.decrypt, CiphertextBlob=plain, EncryptionContext={"a": "1"}) == "InvalidCiphertextException"
    # No context and an empty one are the same, as on AWS.
    assert kms.decrypt(CiphertextBlob=plain, EncryptionContext={})["Plaintext"] == b"p"


def test_garbage_truncated_and_tampered_ciphertext(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"payload")["CiphertextBlob"]
    for bad in (b"garbage", blob[:-1], blob[:20], blob[:-1] + bytes([blob[-1] ^ 1]), b"\x02" + blob[1:]):
        assert code_of(kms.decrypt, CiphertextBlob=bad) == "InvalidCiphertextException"


def test_key_id_of_another_key(kms: Any) -> None:
    key, other = new_key(kms), new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    code, message = error_of(kms.decrypt, CiphertextBlob=blob, KeyId=other["KeyId"])
    assert code == "IncorrectKeyException"
    assert message == "The key ID in the request does not identify a CMK that can perform this operation."
    assert code_of(kms.decrypt, CiphertextBlob=blob, KeyId="alias/does-not-exist") == "NotFoundException"


def test_ciphertext_from_another_region(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    west = server.client("kms", region="us-west-2")
    assert code_of(west.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"


def test_plaintext_limit(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4096)["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x" * 4096
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097) == "ValidationException"


def test_wrong_usage_and_algorithm(kms: Any) -> None:
    symmetric = new_key(kms)
    signing = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    mac = new_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    code, message = error_of(kms.encrypt, KeyId=signing["KeyId"], Plaintext=b"p")
    assert code == "InvalidKeyUsageException"
    assert message == f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."
    assert code_of(kms.encrypt, KeyId=mac["KeyId"], Plaintext=b"p") == "InvalidKeyUsageException"
    code, message = error_of(
        kms.encrypt, KeyId=symmetric["KeyId"], Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )
    assert code == "InvalidKeyUsageException"
    assert message == "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT."
    assert code_of(kms.generate_data_key, KeyId=mac["KeyId"], NumberOfBytes=32) == "InvalidKeyUsageException"
    bad = {"KeyId": symmetric["KeyId"], "Plaintext": b"p", "EncryptionAlgorithm": "NOPE"}
    assert code_of(kms.encrypt, **bad) == "ValidationException"


def test_key_states(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    code, message = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p")
    assert (code, message) == ("DisabledException", f"{key['Arn']} is disabled.")
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "DisabledException"
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], KeySpec="AES_256") == "DisabledException"
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p", DryRun=True) == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "KMSInvalidStateException"
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p") == "KMSInvalidStateException"
    server.advance(8 * 86400)
    # The key is gone: its ciphertext names a key that no longer exists.
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"


def test_old_versions_decrypt_after_rotation(kms: Any) -> None:
    key = new_key(kms)
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old", EncryptionContext={"v": "1"})
    old_material = kms.decrypt(CiphertextBlob=before["CiphertextBlob"], EncryptionContext={"v": "1"})["KeyMaterialId"]
    try:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("RotateKeyOnDemand is not built yet")
        raise
    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new")["CiphertextBlob"]
    new_material = kms.decrypt(CiphertextBlob=after)["KeyMaterialId"]
    assert new_material != old_material
    old = kms.decrypt(CiphertextBlob=before["CiphertextBlob"], EncryptionContext={"v": "1"})
    assert (old["Plaintext"], old["KeyMaterialId"]) == (b"old", old_material)


# -- asymmetric encryption --------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072"])
def test_rsa_encrypt_decrypt(kms: Any, spec: str) -> None:
    key = new_key(kms, spec)
    assert key["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    limits = {"RSA_2048": (214, 190), "RSA_3072": (342, 318)}[spec]
    for algorithm, limit in zip(("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"), limits, strict=True):
        out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"r" * limit, EncryptionAlgorithm=algorithm)
        assert out["KeyId"] == key["Arn"] and out["EncryptionAlgorithm"] == algorithm
        blob = out["CiphertextBlob"]
        got = kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm)
        assert got["Plaintext"] == b"r" * limit and got["KeyId"] == key["Arn"]
        code, message = error_of(
            kms.encrypt, KeyId=key["KeyId"], Plaintext=b"r" * (limit + 1), EncryptionAlgorithm=algorithm
        )
        assert code == "ValidationException"
        assert message == f"Algorithm {algorithm} and key spec {spec} cannot encrypt data larger than {limit} bytes."
    # The other OAEP hash, no algorithm, no key: each fails as on AWS.
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    wrong = {"CiphertextBlob": blob, "KeyId": key["KeyId"], "EncryptionAlgorithm": "RSAES_OAEP_SHA_1"}
    assert code_of(kms.decrypt, **wrong) == "InvalidCiphertextException"
    assert code_of(kms.decrypt, CiphertextBlob=blob, KeyId=key["KeyId"]) == "InvalidCiphertextException"
    assert code_of(kms.decrypt, CiphertextBlob=blob) == "InvalidCiphertextException"
    no_key = {"CiphertextBlob": blob, "EncryptionAlgorithm": "RSAES_OAEP_SHA_256"}
    assert code_of(kms.decrypt, **no_key) == "ValidationException"
    with_context = {**no_key, "KeyId": key["KeyId"], "EncryptionContext": {"a": "b"}}
    assert code_of(kms.decrypt, **with_context) == "ValidationException"
    assert code_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p") == "InvalidKeyUsageException"
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=16) == "InvalidKeyUsageException"


# -- data keys --------------------------------------------------------------------------------------------


def test_generate_data_key(kms: Any) -> None:
    key = new_key(kms)
    for kwargs, size in (({"KeySpec": "AES_256"}, 32), ({"KeySpec": "AES_128"}, 16), ({"NumberOfBytes": 1}, 1)):
        out = kms.generate_data_key(KeyId=key["KeyId"], EncryptionContext={"k": "v"}, **kwargs)
        assert len(out["Plaintext"]) == size and out["KeyId"] == key["Arn"]
        got = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"k": "v"})
        assert got["Plaintext"] == out["Plaintext"]
        assert out["KeyMaterialId"] == got["KeyMaterialId"]
    big = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=1024)
    assert len(big["Plaintext"]) == 1024
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        code, message = error_of(kms.generate_data_key, KeyId=key["KeyId"], **kwargs)
        assert (code, message) == ("ValidationException", "Please specify either number of bytes or key spec.")
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=1025) == "ValidationException"
    assert code_of(kms.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=0) == "ValidationException"
    without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert "Plaintext" not in without and without["KeyId"] == key["Arn"]
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 32


PAIR_SPECS = ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"]


@pytest.mark.parametrize("pair_spec", PAIR_SPECS)
def test_generate_data_key_pair(kms: Any, pair_spec: str) -> None:
    key = new_key(kms)
    out = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=pair_spec, EncryptionContext={"p": pair_spec})
    assert out["KeyId"] == key["Arn"] and out["KeyPairSpec"] == pair_spec
    private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert public == out["PublicKey"]
    got = kms.decrypt(CiphertextBlob=out["PrivateKeyCiphertextBlob"], EncryptionContext={"p": pair_spec})
    assert got["Plaintext"] == out["PrivateKeyPlaintext"]
    bare = {"CiphertextBlob": out["PrivateKeyCiphertextBlob"]}
    assert code_of(kms.decrypt, **bare) == "InvalidCiphertextException"
    without = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec=pair_spec)
    assert "PrivateKeyPlaintext" not in without
    loaded = serialization.load_der_private_key(
        kms.decrypt(CiphertextBlob=without["PrivateKeyCiphertextBlob"])["Plaintext"], password=None
    )
    assert (
        loaded.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        == without["PublicKey"]
    )


def test_generate_data_key_pair_rsa_4096_and_unsupported(kms: Any) -> None:
    key = new_key(kms)
    out = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec="RSA_4096")
    assert len(out["PublicKey"]) > 500
    for spec in ("SM2", "ML_KEM_768"):
        assert code_of(kms.generate_data_key_pair, KeyId=key["KeyId"], KeyPairSpec=spec) == (
            "UnsupportedOperationException"
        )
    rsa = new_key(kms, "ECC_NIST_P256", "SIGN_VERIFY")
    bad = {"KeyId": rsa["KeyId"], "KeyPairSpec": "ECC_NIST_P256"}
    assert code_of(kms.generate_data_key_pair, **bad) == "InvalidKeyUsageException"


# -- ReEncrypt ----------------------------------------------------------------------------------------------


def test_re_encrypt(kms: Any) -> None:
    source, destination = new_key(kms), new_key(kms)
    rsa = new_key(kms, "RSA_2048")
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"move me", EncryptionContext={"s": "1"})["CiphertextBlob"]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "1"},
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"d": "2"},
    )
    assert out["SourceKeyId"] == source["Arn"] and out["KeyId"] == destination["Arn"]
    assert out["SourceEncryptionAlgorithm"] == out["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    moved = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"d": "2"})
    assert moved["Plaintext"] == b"move me" and moved["KeyId"] == destination["Arn"]
    # Symmetric to RSA and back.
    to_rsa = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"s": "1"},
        DestinationKeyId=rsa["Arn"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    back = kms.re_encrypt(
        CiphertextBlob=to_rsa["CiphertextBlob"],
        SourceKeyId=rsa["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=source["KeyId"],
    )
    assert back["SourceKeyId"] == rsa["Arn"]
    assert kms.decrypt(CiphertextBlob=back["CiphertextBlob"])["Plaintext"] == b"move me"
    wrong = {"CiphertextBlob": blob, "DestinationKeyId": destination["KeyId"]}
    assert code_of(kms.re_encrypt, **wrong) == "InvalidCiphertextException"
    incorrect = {**wrong, "SourceEncryptionContext": {"s": "1"}, "SourceKeyId": destination["KeyId"]}
    assert code_of(kms.re_encrypt, **incorrect) == "IncorrectKeyException"
    assert code_of(kms.re_encrypt, CiphertextBlob=blob) == "ValidationException"
    dry = {**wrong, "SourceEncryptionContext": {"s": "1"}, "DryRun": True}
    assert code_of(kms.re_encrypt, **dry) == "DryRunOperationException"


# -- GenerateRandom, DryRun, Recipient ------------------------------------------------------------------------


def test_generate_random(kms: Any) -> None:
    for size in (1, 32, 1024):
        assert len(kms.generate_random(NumberOfBytes=size)["Plaintext"]) == size
    assert error_of(kms.generate_random) == ("ValidationException", "NumberOfBytes is required.")
    assert code_of(kms.generate_random, NumberOfBytes=0) == "ValidationException"
    assert code_of(kms.generate_random, NumberOfBytes=1025) == "ValidationException"
    store = {"NumberOfBytes": 8, "CustomKeyStoreId": "cks-1234567890abcdef0"}
    assert code_of(kms.generate_random, **store) == "CustomKeyStoreNotFoundException"


def test_dry_run(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    code, message = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"p", DryRun=True)
    assert (code, message) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
    assert code_of(kms.decrypt, CiphertextBlob=blob, DryRun=True) == "DryRunOperationException"
    assert code_of(kms.decrypt, CiphertextBlob=b"garbage", DryRun=True) == "InvalidCiphertextException"
    ignore = {"KeyId": key["KeyId"], "DryRun": True, "DryRunModifiers": ["IGNORE_CIPHERTEXT"]}
    assert code_of(kms.decrypt, **ignore) == "DryRunOperationException"
    assert code_of(kms.decrypt) == "ValidationException"
    for call, kwargs in (
        (kms.generate_data_key, {"NumberOfBytes": 8}),
        (kms.generate_data_key_without_plaintext, {"KeySpec": "AES_128"}),
        (kms.generate_data_key_pair, {"KeyPairSpec": "ECC_NIST_P256"}),
        (kms.generate_data_key_pair_without_plaintext, {"KeyPairSpec": "ECC_NIST_P256"}),
    ):
        assert code_of(call, KeyId=key["KeyId"], DryRun=True, **kwargs) == "DryRunOperationException"


def test_recipient_is_unsupported(kms: Any) -> None:
    key = new_key(kms)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"doc"}
    for call, kwargs in (
        (kms.decrypt, {"CiphertextBlob": blob}),
        (kms.generate_data_key, {"KeyId": key["KeyId"], "NumberOfBytes": 8}),
        (kms.generate_data_key_pair, {"KeyId": key["KeyId"], "KeyPairSpec": "ECC_NIST_P256"}),
        (kms.generate_random, {"NumberOfBytes": 8}),
    ):
        code, message = error_of(call, Recipient=recipient, **kwargs)
        assert code == "UnsupportedOperationException" and "Recipient" in message


def test_grant_tokens_accepted_and_last_usage(kms: Any) -> None:
    key = new_key(kms)
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p", GrantTokens=["token-a"])
    kms.decrypt(CiphertextBlob=out["CiphertextBlob"], GrantTokens=["token-a"])
    usage = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert usage["KeyLastUsage"].get("Timestamp") is not None
