"""The workloads: what each one sets up once (keys, a parameter, a secret) and the calls it then repeats."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.signing import Endpoint

Calls = list[tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Workload:
    name: str
    service: str
    provider: str | None  # the Strongroom provider package it needs, or None for always present
    setup: Callable[[Endpoint, int], Calls]  # returns ``pool`` calls (distinct inputs where the API has any)


def _kms_key(endpoint: Endpoint, **params: Any) -> str:
    return str(endpoint.client("kms").create_key(Description="bench", **params)["KeyMetadata"]["Arn"])


def _encrypt(endpoint: Endpoint, pool: int) -> Calls:
    key = _kms_key(endpoint)
    return [("encrypt", {"KeyId": key, "Plaintext": os.urandom(256)}) for _ in range(pool)]


def _decrypt(endpoint: Endpoint, pool: int) -> Calls:
    key = _kms_key(endpoint)
    kms = endpoint.client("kms")
    blobs = [kms.encrypt(KeyId=key, Plaintext=os.urandom(256))["CiphertextBlob"] for _ in range(min(pool, 16))]
    return [("decrypt", {"CiphertextBlob": blobs[i % len(blobs)], "KeyId": key}) for i in range(pool)]


def _generate_data_key(endpoint: Endpoint, pool: int) -> Calls:
    key = _kms_key(endpoint)
    return [("generate_data_key", {"KeyId": key, "KeySpec": "AES_256"}) for _ in range(pool)]


def _sign(endpoint: Endpoint, pool: int) -> Calls:
    key = _kms_key(endpoint, KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")
    return [
        ("sign", {"KeyId": key, "Message": os.urandom(32), "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256"})
        for _ in range(pool)
    ]


def _get_parameter(endpoint: Endpoint, pool: int) -> Calls:
    ssm = endpoint.client("ssm")
    ssm.put_parameter(Name="/bench/secure", Value="s" * 64, Type="SecureString", Overwrite=True)
    return [("get_parameter", {"Name": "/bench/secure", "WithDecryption": True})] * pool


def _get_secret_value(endpoint: Endpoint, pool: int) -> Calls:
    sm = endpoint.client("secretsmanager")
    arn = sm.create_secret(Name=f"bench-{os.urandom(4).hex()}", SecretString="s" * 64)["ARN"]
    return [("get_secret_value", {"SecretId": arn})] * pool


WORKLOADS = [
    Workload("KMS Encrypt (256 B)", "kms", None, _encrypt),
    Workload("KMS Decrypt", "kms", None, _decrypt),
    Workload("KMS GenerateDataKey", "kms", None, _generate_data_key),
    Workload("KMS Sign (ECC_NIST_P256)", "kms", None, _sign),
    Workload("SSM GetParameter (SecureString)", "ssm", "ssm", _get_parameter),
    Workload("Secrets Manager GetSecretValue", "secretsmanager", "secretsmanager", _get_secret_value),
]


def provider_missing(workload: Workload) -> bool:
    """True when Strongroom has no provider for the workload's service yet (being built elsewhere)."""
    if workload.provider is None:
        return False
    return importlib.util.find_spec(f"strongroom.services.{workload.provider}.provider") is None
