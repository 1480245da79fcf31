"""The pure-Python ML-KEM (FIPS 203) against cryptography's (OpenSSL) for the parameter sets both have: the same
seed gives the same keys, and each side decapsulates the other's ciphertexts; ML-KEM-512 (pure Python only)
round-trips and rejects implicitly."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import mlkem as openssl

from strongroom.services.kms import mlkem

OPENSSL = {"ML_KEM_768": openssl.MLKEM768PrivateKey, "ML_KEM_1024": openssl.MLKEM1024PrivateKey}


@pytest.mark.parametrize("spec", sorted(OPENSSL))
def test_pure_python_matches_openssl(spec: str) -> None:
    params = mlkem.PARAMS[spec]
    seed = os.urandom(64)
    ek, dk = mlkem._expanded(params, seed)
    private = OPENSSL[spec].from_seed_bytes(seed)
    assert ek == private.public_key().public_bytes_raw()
    der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert mlkem.public_der(spec, seed) == der == mlkem.subject_public_key_info(spec, ek)
    secret, ciphertext = private.public_key().encapsulate()
    assert mlkem._py_decapsulate(params, dk, ciphertext) == secret
    mine, mine_ct = mlkem._py_encapsulate(params, ek, os.urandom(32))
    assert len(mine_ct) == params.ciphertext_length
    assert private.decapsulate(mine_ct) == mine


def test_ml_kem_512_round_trip_and_implicit_rejection() -> None:
    seed = mlkem.generate_seed()
    raw = mlkem.public_key("ML_KEM_512", seed)
    assert len(raw) == 800
    secret, ciphertext = mlkem.encapsulate("ML_KEM_512", raw)
    assert len(ciphertext) == 768 and len(secret) == 32
    assert mlkem.decapsulate("ML_KEM_512", seed, ciphertext) == secret
    tampered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    other = mlkem.decapsulate("ML_KEM_512", seed, tampered)
    assert len(other) == 32 and other != secret
    # Implicit rejection is deterministic: the same bad ciphertext gives the same pseudo-random secret.
    assert mlkem.decapsulate("ML_KEM_512", seed, tampered) == other
    der = mlkem.public_der("ML_KEM_512", seed)
    assert mlkem.raw_public_from_der("ML_KEM_512", der) == raw
    assert der[:2] == b"\x30\x82"
