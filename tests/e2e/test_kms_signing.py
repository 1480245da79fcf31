"""Sign/Verify for every signing key spec and algorithm, MACs, GetPublicKey and DeriveSharedSecret through boto3,
with AWS's errors on the negative paths."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from botocore.config import Config

from tests.support.errors import code_message_of_call as error_of
from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess

NO_VALIDATION = Config(parameter_validation=False)

SIGNING: dict[str, list[str]] = {
    "RSA_2048": [
        "RSASSA_PSS_SHA_256",
        "RSASSA_PSS_SHA_384",
        "RSASSA_PSS_SHA_512",
        "RSASSA_PKCS1_V1_5_SHA_256",
        "RSASSA_PKCS1_V1_5_SHA_384",
        "RSASSA_PKCS1_V1_5_SHA_512",
    ],
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
    "ECC_NIST_EDWARDS25519": ["ED25519_SHA_512", "ED25519_PH_SHA_512"],
    "ML_DSA_44": ["ML_DSA_SHAKE_256"],
    "ML_DSA_65": ["ML_DSA_SHAKE_256"],
    "ML_DSA_87": ["ML_DSA_SHAKE_256"],
}
PAIRS = [(spec, alg) for spec, algs in SIGNING.items() for alg in algs]
DIGESTS = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms", config=NO_VALIDATION)


_KEYS: dict[tuple[str, str, str], dict[str, Any]] = {}


def shared_key(kms: Any, spec: str, usage: str = "SIGN_VERIFY") -> dict[str, Any]:
    """Keys the read-only tests share (per server), so each spec is generated once."""
    cache_key = (kms.meta.endpoint_url, spec, usage)
    if cache_key not in _KEYS:
        _KEYS[cache_key] = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    return _KEYS[cache_key]


def digest_for(algorithm: str, message: bytes) -> bytes:
    return DIGESTS[algorithm[-3:]](message).digest()


@pytest.mark.parametrize(("spec", "algorithm"), PAIRS)
def test_sign_verify(kms: Any, spec: str, algorithm: str) -> None:
    key = shared_key(kms, spec)
    assert algorithm in key["SigningAlgorithms"]
    message = b"message to sign " + spec.encode()
    kinds: list[tuple[str, bytes]] = []
    if algorithm != "ED25519_PH_SHA_512":
        kinds.append(("RAW", message))
    if algorithm.startswith(("RSASSA", "ECDSA", "ED25519_PH")):
        kinds.append(("DIGEST", digest_for(algorithm, message)))
    for message_type, payload in kinds:
        args = {"KeyId": key["KeyId"], "Message": payload, "MessageType": message_type, "SigningAlgorithm": algorithm}
        signed = kms.sign(**args)
        assert signed["KeyId"] == key["Arn"] and signed["SigningAlgorithm"] == algorithm
        verified = kms.verify(Signature=signed["Signature"], **args)
        assert verified["SignatureValid"] is True and verified["KeyId"] == key["Arn"]
        tampered = bytearray(signed["Signature"])
        tampered[len(tampered) // 2] ^= 0x01
        code, text = error_of(kms.verify, Signature=bytes(tampered), **args)
        assert (code, text) == ("KMSInvalidSignatureException", "")
        other = {**args, "Message": bytes(len(payload))}
        assert code_of(kms.verify, Signature=signed["Signature"], **other) == "KMSInvalidSignatureException"
        if message_type == "DIGEST":
            short = {**args, "Message": payload[:-1]}
            code, text = error_of(kms.sign, **short)
            assert (code, text) == ("ValidationException", f"Digest is invalid length for algorithm {algorithm}.")


def test_raw_message_limit(kms: Any) -> None:
    key = shared_key(kms, "ECC_NIST_P256")
    args = {"KeyId": key["KeyId"], "SigningAlgorithm": "ECDSA_SHA_256"}
    kms.sign(Message=b"m" * 4096, **args)
    assert code_of(kms.sign, Message=b"m" * 4097, **args) == "ValidationException"


def test_message_type_rules(kms: Any) -> None:
    ed = shared_key(kms, "ECC_NIST_EDWARDS25519")
    ml = shared_key(kms, "ML_DSA_44")
    ec = shared_key(kms, "ECC_NIST_P256")
    digest = hashlib.sha512(b"m").digest()
    cases = [
        (ed, "ED25519_SHA_512", "DIGEST", digest),
        (ed, "ED25519_PH_SHA_512", "RAW", b"m"),
        (ml, "ML_DSA_SHAKE_256", "DIGEST", digest),
        (ml, "ML_DSA_SHAKE_256", "EXTERNAL_MU", b"x" * 32),
        (ec, "ECDSA_SHA_256", "EXTERNAL_MU", b"x" * 64),
    ]
    for key, algorithm, message_type, message in cases:
        args = {"KeyId": key["KeyId"], "SigningAlgorithm": algorithm, "MessageType": message_type}
        assert code_of(kms.sign, Message=message, **args) == "ValidationException", (algorithm, message_type)


def test_ml_dsa_external_mu(kms: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import mldsa
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    key = shared_key(kms, "ML_DSA_65")
    public = load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, mldsa.MLDSA65PublicKey)
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(b"external mu message")
    mu = hasher.finalize()
    args = {"KeyId": key["KeyId"], "SigningAlgorithm": "ML_DSA_SHAKE_256", "MessageType": "EXTERNAL_MU"}
    signature = kms.sign(Message=mu, **args)["Signature"]
    public.verify(signature, b"external mu message")  # an EXTERNAL_MU signature is an ordinary ML-DSA signature
    assert kms.verify(Message=mu, Signature=signature, **args)["SignatureValid"] is True
    raw = {**args, "MessageType": "RAW", "Message": b"external mu message"}
    assert kms.verify(Signature=signature, **raw)["SignatureValid"] is True


def test_sign_wrong_usage_algorithm_and_state(kms: Any) -> None:
    symmetric = kms.create_key()["KeyMetadata"]
    mac = shared_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")
    ec = shared_key(kms, "ECC_NIST_P256")
    code, message = error_of(kms.sign, KeyId=symmetric["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert code == "InvalidKeyUsageException"
    assert message == f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Sign."
    assert code_of(kms.sign, KeyId=mac["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == (
        "InvalidKeyUsageException"
    )
    code, message = error_of(kms.sign, KeyId=ec["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_384")
    assert (code, message) == (
        "InvalidKeyUsageException",
        "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.",
    )
    args = {"KeyId": ec["KeyId"], "Message": b"m", "Signature": b"s", "SigningAlgorithm": "RSASSA_PSS_SHA_256"}
    assert code_of(kms.verify, **args) == "InvalidKeyUsageException"
    fresh = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    ok = {"KeyId": fresh["KeyId"], "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}
    assert code_of(kms.sign, DryRun=True, **ok) == "DryRunOperationException"
    kms.disable_key(KeyId=fresh["KeyId"])
    assert code_of(kms.sign, **ok) == "DisabledException"
    assert code_of(kms.get_public_key, KeyId=fresh["KeyId"]) == "DisabledException"


# -- MACs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", ["224", "256", "384", "512"])
def test_generate_verify_mac(kms: Any, bits: str) -> None:
    key = shared_key(kms, f"HMAC_{bits}", "GENERATE_VERIFY_MAC")
    algorithm = f"HMAC_SHA_{bits}"
    out = kms.generate_mac(KeyId=key["KeyId"], Message=b"mac me", MacAlgorithm=algorithm)
    assert out["KeyId"] == key["Arn"] and out["MacAlgorithm"] == algorithm and len(out["Mac"]) == int(bits) // 8
    again = kms.generate_mac(KeyId=key["KeyId"], Message=b"mac me", MacAlgorithm=algorithm)["Mac"]
    assert again == out["Mac"]
    verified = kms.verify_mac(KeyId=key["KeyId"], Message=b"mac me", Mac=out["Mac"], MacAlgorithm=algorithm)
    assert verified["MacValid"] is True and verified["KeyId"] == key["Arn"]
    bad = {"KeyId": key["KeyId"], "Message": b"mac me!", "Mac": out["Mac"], "MacAlgorithm": algorithm}
    assert error_of(kms.verify_mac, **bad) == ("KMSInvalidMacException", "")
    other = "HMAC_SHA_256" if bits != "256" else "HMAC_SHA_512"
    code, message = error_of(kms.generate_mac, KeyId=key["KeyId"], Message=b"m", MacAlgorithm=other)
    assert (code, message) == (
        "InvalidKeyUsageException",
        f"Algorithm {other} is incompatible with key spec HMAC_{bits}.",
    )
    big = {"KeyId": key["KeyId"], "Message": b"m" * 4097, "MacAlgorithm": algorithm}
    assert code_of(kms.generate_mac, **big) == "ValidationException"


def test_mac_wrong_usage(kms: Any) -> None:
    symmetric = kms.create_key()["KeyMetadata"]
    code, message = error_of(kms.generate_mac, KeyId=symmetric["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert (code, message) == (
        "InvalidKeyUsageException",
        f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.",
    )


# -- GetPublicKey, DeriveSharedSecret ------------------------------------------------------------------------


@pytest.mark.parametrize("spec", list(SIGNING))
def test_get_public_key_signing(kms: Any, spec: str) -> None:
    key = shared_key(kms, spec)
    out = kms.get_public_key(KeyId=key["KeyId"])
    assert out["KeyId"] == key["Arn"] and out["KeySpec"] == spec and out["KeyUsage"] == "SIGN_VERIFY"
    assert out["SigningAlgorithms"] == SIGNING[spec]
    assert "EncryptionAlgorithms" not in out
    assert out.get("CustomerMasterKeySpec") == (None if spec.startswith(("ML_DSA", "ECC_NIST_ED")) else spec)


def test_get_public_key_other_usages(kms: Any) -> None:
    rsa = shared_key(kms, "RSA_2048", "ENCRYPT_DECRYPT")
    out = kms.get_public_key(KeyId=rsa["KeyId"])
    assert out["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    agree = shared_key(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    assert kms.get_public_key(KeyId=agree["KeyId"])["KeyAgreementAlgorithms"] == ["ECDH"]
    for key in (kms.create_key()["KeyMetadata"], shared_key(kms, "HMAC_256", "GENERATE_VERIFY_MAC")):
        assert code_of(kms.get_public_key, KeyId=key["KeyId"]) == "UnsupportedOperationException"


def test_derive_shared_secret_errors(kms: Any) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    agree = shared_key(kms, "ECC_NIST_P256", "KEY_AGREEMENT")
    signing = shared_key(kms, "ECC_NIST_P256")
    peer = ec.generate_private_key(ec.SECP384R1()).public_key()
    wrong_curve = peer.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    base = {"KeyId": agree["KeyId"], "KeyAgreementAlgorithm": "ECDH"}
    assert code_of(kms.derive_shared_secret, PublicKey=b"not a key", **base) == "ValidationException"
    assert code_of(kms.derive_shared_secret, PublicKey=wrong_curve, **base) == "ValidationException"
    assert code_of(kms.derive_shared_secret, PublicKey=b"k", KeyId=agree["KeyId"], KeyAgreementAlgorithm="X") == (
        "ValidationException"
    )
    code, message = error_of(kms.derive_shared_secret, PublicKey=wrong_curve, **{**base, "KeyId": signing["KeyId"]})
    assert code == "InvalidKeyUsageException"
    assert message == f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret."
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b"doc"}
    assert code_of(kms.derive_shared_secret, PublicKey=wrong_curve, Recipient=recipient, **base) == (
        "UnsupportedOperationException"
    )
