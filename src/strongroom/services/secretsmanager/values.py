"""Secret values through KMS: a data key per version from GenerateDataKey, AES-256-GCM here, as AWS does.

The data key is generated under the secret's key (``aws/secretsmanager`` unless the caller chose one) with the
encryption context ``{"SecretARN": arn, "SecretVersionId": version_id}``; only its KMS ciphertext is stored,
so every read is a KMS Decrypt made as the caller, through ``ctx.call`` (key policy, grants, kms:ViaService and
the audit trail apply).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.core.errors import AwsError
from strongroom.services.kms.managed import aws_managed_key
from strongroom.services.secretsmanager.base import Version
from strongroom.services.secretsmanager.errors import (
    AccessDeniedException,
    DecryptionFailure,
    EncryptionFailure,
    InvalidRequestException,
    ResourceNotFoundException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_VALUE_BYTES = 65536
KMS_ACCESS_DENIED = "Access to KMS is not allowed"
ENCRYPT_FAILED = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key "
    "is available, enabled, and not in an invalid state."
)
DECRYPT_FAILED = (
    "Secrets Manager can't decrypt the protected secret text using the provided KMS key. Check that the KMS key "
    "is available, enabled, and not in an invalid state."
)


def _aad(arn: str, version_id: str) -> bytes:
    return f"{arn}\x00{version_id}".encode()


def context_of(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


def key_for(ctx: RequestContext, arn: str, kms_key_id: str | None) -> str:
    """The key a new version is encrypted under: the caller's, or the AWS managed key created on first use.

    The managed key is the secret's account's (``arn``), not the caller's: a caller from another account writing
    through the resource policy is then refused by that key's policy, as AWS refuses it.
    """
    if kms_key_id:
        return kms_key_id
    return aws_managed_key(ctx.runtime, arn.split(":")[4], ctx.region, "secretsmanager").arn


def _kms_error(exc: AwsError, failure: type[AwsError], message: str) -> AwsError:
    if exc.code == "AccessDeniedException":
        return AccessDeniedException(KMS_ACCESS_DENIED)
    if exc.code == "NotFoundException":
        return ResourceNotFoundException(f"Secrets Manager can't find the specified KMS key. {exc.message}".strip())
    if exc.code in ("DisabledException", "KMSInvalidStateException"):
        return InvalidRequestException(message) if failure is EncryptionFailure else failure(message)
    return failure(message)


def encrypt(
    ctx: RequestContext, arn: str, version_id: str, plaintext: bytes, kms_key_id: str | None
) -> tuple[str, bytes, bytes]:
    """(key ARN, wrapped data key, nonce + ciphertext) for one version's value."""
    key_id = key_for(ctx, arn, kms_key_id)
    try:
        out = ctx.call(
            "kms",
            "GenerateDataKey",
            {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": context_of(arn, version_id)},
        )
    except AwsError as exc:
        raise _kms_error(exc, EncryptionFailure, ENCRYPT_FAILED) from None
    nonce = os.urandom(12)
    sealed = AESGCM(out["Plaintext"]).encrypt(nonce, plaintext, _aad(arn, version_id))
    return str(out["KeyId"]), bytes(out["CiphertextBlob"]), nonce + sealed


def decrypt(ctx: RequestContext, version: Version) -> bytes:
    """One version's plaintext; KMS decides whether the caller may have it."""
    try:
        out = ctx.call(
            "kms",
            "Decrypt",
            {
                "CiphertextBlob": version.data_key,
                "KeyId": version.kms_key_arn,
                "EncryptionContext": context_of(version.arn, version.version_id),
            },
        )
    except AwsError as exc:
        raise _kms_error(exc, DecryptionFailure, DECRYPT_FAILED) from None
    try:
        return AESGCM(out["Plaintext"]).decrypt(
            version.blob[:12], version.blob[12:], _aad(version.arn, version.version_id)
        )
    except InvalidTag:
        raise DecryptionFailure(DECRYPT_FAILED) from None
