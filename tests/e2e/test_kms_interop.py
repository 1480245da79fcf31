"""Interop with tools Strongroom did not write: `cryptography`, the `openssl` command line, RFC 8032's published
Ed25519ph vector and the AWS Encryption SDK, all against keys served by the real server."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from strongroom.services.kms import asymmetric
from tests.support.server import ServerProcess

HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}

# Every signing algorithm of every key spec; openssl 3.0 verifies all but ML-DSA and Ed25519ph (3.5/3.2 add them).
SIGNING = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_2048", "RSASSA_PSS_SHA_384"),
    ("RSA_2048", "RSASSA_PSS_SHA_512"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
    ("RSA_4096", "RSASSA_PSS_SHA_512"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"),
    ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512"),
    ("ML_DSA_44", "ML_DSA_SHAKE_256"),
    ("ML_DSA_65", "ML_DSA_SHAKE_256"),
    ("ML_DSA_87", "ML_DSA_SHAKE_256"),
]
OPENSSL_CANNOT = {"ML_DSA_SHAKE_256", "ED25519_PH_SHA_512"}

_KEYS: dict[tuple[str, str, str], dict[str, Any]] = {}


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


def shared_key(kms: Any, spec: str, usage: str) -> dict[str, Any]:
    cache_key = (kms.meta.endpoint_url, spec, usage)
    if cache_key not in _KEYS:
        _KEYS[cache_key] = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
    return _KEYS[cache_key]


def verify_with_cryptography(public: Any, algorithm: str, message: bytes, signature: bytes) -> None:
    """Raises InvalidSignature unless `cryptography` accepts the signature as AWS defines the algorithm."""
    if algorithm == "ML_DSA_SHAKE_256" or algorithm == "ED25519_SHA_512":
        public.verify(signature, message)
        return
    if algorithm == "ED25519_PH_SHA_512":
        # No Ed25519ph in cryptography; check the signature is not also a pure Ed25519 one and rely on
        # the RFC 8032 vector test below for the algorithm itself.
        assert asymmetric.ed25519ph_verify(public.public_bytes_raw(), message, signature)
        return
    digest = HASHES[algorithm[-3:]]()
    if isinstance(public, rsa.RSAPublicKey):
        pad: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
            if "PSS" in algorithm
            else padding.PKCS1v15()
        )
        public.verify(signature, message, pad, digest)
    else:
        public.verify(signature, message, ec.ECDSA(digest))


def verify_with_openssl(tmp: Path, public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    (tmp / "pub.der").write_bytes(public_der)
    (tmp / "msg").write_bytes(message)
    (tmp / "sig").write_bytes(signature)
    if algorithm.startswith("ED25519"):
        cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "pub.der", "-rawin"]
        cmd += ["-in", "msg", "-sigfile", "sig"]
    else:
        cmd = ["openssl", "dgst", f"-sha{algorithm[-3:]}", "-keyform", "DER", "-verify", "pub.der"]
        cmd += ["-signature", "sig"]
        if "PSS" in algorithm:
            cmd += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
        cmd += ["msg"]
    result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, check=False)
    said = result.stdout + result.stderr
    assert result.returncode == 0 and ("Verified OK" in said or "Verified Successfully" in said), said


@pytest.mark.parametrize(("spec", "algorithm"), SIGNING)
def test_signatures_verify_elsewhere(kms: Any, tmp_path: Path, spec: str, algorithm: str) -> None:
    key = shared_key(kms, spec, "SIGN_VERIFY")
    public_der = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    public = serialization.load_der_public_key(public_der)
    message = b"interop message for " + algorithm.encode()
    if algorithm == "ED25519_PH_SHA_512":
        # AWS takes a SHA-512 digest and prehashes it again (Sign API reference): Ed25519ph over the digest.
        message = hashlib.sha512(message).digest()
        signed = kms.sign(KeyId=key["KeyId"], Message=message, MessageType="DIGEST", SigningAlgorithm=algorithm)
    else:
        signed = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
    verify_with_cryptography(public, algorithm, message, signed["Signature"])
    if algorithm.startswith(("RSASSA", "ECDSA")):
        # A DIGEST-mode signature is the same signature over the same message.
        digest = HASHES[algorithm[-3:]]()
        prehashed = hashlib.new(digest.name, message).digest()
        by_digest = kms.sign(KeyId=key["KeyId"], Message=prehashed, MessageType="DIGEST", SigningAlgorithm=algorithm)
        verify_with_cryptography(public, algorithm, message, by_digest["Signature"])
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(by_digest["Signature"], prehashed, ec.ECDSA(Prehashed(digest)))
    if algorithm in OPENSSL_CANNOT:
        return
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command line")
    verify_with_openssl(tmp_path, public_der, algorithm, message, signed["Signature"])
    with pytest.raises(AssertionError):  # and openssl does refuse a signature over other bytes
        verify_with_openssl(tmp_path, public_der, algorithm, message + b"!", signed["Signature"])


def test_ed25519ph_matches_rfc8032_vector() -> None:
    """RFC 8032 section 7.3, test 'abc': the Ed25519ph code Strongroom signs with reproduces it."""
    seed = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
    public = ed25519.Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    assert public.hex() == "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf"
    signature = asymmetric.ed25519ph_sign(seed, b"abc")
    assert signature.hex() == (
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
        "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
    )
    assert asymmetric.ed25519ph_verify(public, b"abc", signature)
    assert not asymmetric.ed25519ph_verify(public, b"abd", signature)
    # The same arithmetic without the prefix is pure Ed25519, which `cryptography` checks independently.
    key = ed25519.Ed25519PrivateKey.generate()
    assert asymmetric.eddsa_sign(key.private_bytes_raw(), b"m", b"") == key.sign(b"m")


@pytest.mark.parametrize("spec", ["RSA_2048", "RSA_3072"])
def test_local_rsa_oaep_encryption_decrypts(kms: Any, spec: str) -> None:
    key = shared_key(kms, spec, "ENCRYPT_DECRYPT")
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    for algorithm, digest in (("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())):
        blob = public.encrypt(
            b"encrypted outside KMS", padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
        )
        out = kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"], EncryptionAlgorithm=algorithm)
        assert out["Plaintext"] == b"encrypted outside KMS" and out["EncryptionAlgorithm"] == algorithm


@pytest.mark.parametrize(
    ("spec", "curve"),
    [("ECC_NIST_P256", ec.SECP256R1), ("ECC_NIST_P384", ec.SECP384R1), ("ECC_NIST_P521", ec.SECP521R1)],
)
def test_derive_shared_secret_equals_local_ecdh(kms: Any, spec: str, curve: type[ec.EllipticCurve]) -> None:
    key = shared_key(kms, spec, "KEY_AGREEMENT")
    kms_public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    mine = ec.generate_private_key(curve())
    mine_der = mine.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    out = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=mine_der)
    assert out["SharedSecret"] == mine.exchange(ec.ECDH(), kms_public)
    assert out["KeyId"] == key["Arn"] and out["KeyAgreementAlgorithm"] == "ECDH" and out["KeyOrigin"] == "AWS_KMS"


def test_data_key_pair_private_keys_load_and_match(kms: Any) -> None:
    key = kms.create_key()["KeyMetadata"]
    for pair_spec in ("RSA_3072", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519"):
        out = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=pair_spec)
        private = serialization.load_der_private_key(out["PrivateKeyPlaintext"], password=None)
        public = serialization.load_der_public_key(out["PublicKey"])
        if isinstance(private, ed25519.Ed25519PrivateKey):
            assert isinstance(public, ed25519.Ed25519PublicKey)
            public.verify(private.sign(b"pair"), b"pair")
        elif isinstance(private, rsa.RSAPrivateKey):
            assert isinstance(public, rsa.RSAPublicKey)
            assert private.public_key().public_numbers() == public.public_numbers()
        else:
            assert isinstance(private, ec.EllipticCurvePrivateKey) and isinstance(public, ec.EllipticCurvePublicKey)
            assert private.public_key().public_numbers() == public.public_numbers()


def test_aws_encryption_sdk_round_trip(server: ServerProcess, kms: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Encryption SDK calls GenerateDataKey and Decrypt itself and checks the KeyId ARN KMS answers."""
    import aws_encryption_sdk
    from aws_encryption_sdk.identifiers import CommitmentPolicy

    key = kms.create_key(Description="encryption sdk")["KeyMetadata"]
    other = kms.create_key(Description="encryption sdk second")["KeyMetadata"]
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
    session = botocore.session.Session()
    session.set_credentials(server.access_key, server.secret_key)
    client = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)
    provider = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key["Arn"], other["Arn"]], botocore_session=session
    )
    plaintext = b"enveloped through Strongroom " * 500
    sealed, header = client.encrypt(source=plaintext, key_provider=provider, encryption_context={"app": "interop"})
    assert len(header.encrypted_data_keys) == 2
    opened, decrypt_header = client.decrypt(source=sealed, key_provider=provider)
    assert opened == plaintext
    assert decrypt_header.encryption_context["app"] == "interop"
    # Only the second key: the SDK decrypts with the data key it wrapped under that one.
    only_other = aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(key_ids=[other["Arn"]], botocore_session=session)
    assert client.decrypt(source=sealed, key_provider=only_other)[0] == plaintext
