"""Encryption operations: Encrypt, Decrypt, ReEncrypt, the data key generators and GenerateRandom.

Symmetric ciphertext is the blob of ciphertext.py; asymmetric (RSA) ciphertext is plain RSAES-OAEP, so data
encrypted elsewhere with GetPublicKey's key decrypts here, as on AWS. Keys and material come from the
KeyStore cache: on a cache hit no operation here reads the database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.services.kms import asymmetric as asym
from strongroom.services.kms import ciphertext as ct
from strongroom.services.kms import materials as mat
from strongroom.services.kms.base import KmsBase, check_state, dry_run
from strongroom.services.kms.errors import (
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    KeyUnavailableException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord
from strongroom.services.kms.specs import (
    KEY_SPECS,
    RSA_OAEP_MAX_PLAINTEXT,
    SYMMETRIC_MAX_PLAINTEXT,
    UNSUPPORTED_PAIR_SPECS,
)
from strongroom.services.kms.token_keys import token_backend, token_random

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SYMMETRIC = "SYMMETRIC_DEFAULT"
DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}
DATA_KEY_PAIR_SPECS = frozenset(
    {
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "ECC_NIST_P256",
        "ECC_NIST_P384",
        "ECC_NIST_P521",
        "ECC_SECG_P256K1",
        "ECC_NIST_EDWARDS25519",
    }
)
INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation."
RECIPIENT_UNSUPPORTED = (
    "Recipient (AWS Nitro Enclaves attestation) is not supported by Strongroom: there is no enclave to attest."
)
ASYMMETRIC_CONTEXT = "EncryptionContext is not supported when encrypting/decrypting with asymmetric CMKs."


def reject_recipient(request: dict[str, Any]) -> None:
    if request.get("Recipient"):
        raise UnsupportedOperationException(RECIPIENT_UNSUPPORTED)


def require_usage(record: KeyRecord, usage: str, operation: str) -> None:
    if record.key_usage != usage:
        raise InvalidKeyUsageException(
            f"{record.arn} key usage is {record.key_usage} which is not valid for {operation}."
        )


def incompatible(algorithm: str, record: KeyRecord) -> AwsError:
    return InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {record.key_spec}.")


def null_member(name: str) -> AwsError:
    return ValidationException(
        f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
    )


@dataclass(frozen=True, slots=True)
class Opened:
    """What decrypting a ciphertext learned: the plaintext, whose key, which algorithm and key version."""

    plaintext: bytes
    record: KeyRecord
    algorithm: str
    material_id: str | None


class CryptoOperations(KmsBase):
    # -- building blocks ------------------------------------------------------------------------------------

    def _encryption_key(self, ctx: RequestContext, key_ref: str, algorithm: str, operation: str) -> KeyRecord:
        record = self.usable_key(ctx, key_ref, operation=operation)
        require_usage(record, "ENCRYPT_DECRYPT", operation)
        if algorithm not in KEY_SPECS[record.key_spec].encryption:
            raise incompatible(algorithm, record)
        return record

    def _check_plaintext(
        self, record: KeyRecord, algorithm: str, plaintext: bytes, context: dict[str, str] | None
    ) -> None:
        if algorithm == SYMMETRIC:
            if len(plaintext) > SYMMETRIC_MAX_PLAINTEXT:
                raise ValidationException(
                    "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {SYMMETRIC_MAX_PLAINTEXT}"
                )
            return
        limit = RSA_OAEP_MAX_PLAINTEXT[(record.key_spec, algorithm)]
        if len(plaintext) > limit:
            raise ValidationException(
                f"Algorithm {algorithm} and key spec {record.key_spec} cannot encrypt data larger than {limit} bytes."
            )
        if context:
            raise ValidationException(ASYMMETRIC_CONTEXT)

    def _seal(
        self, record: KeyRecord, algorithm: str, plaintext: bytes, context: dict[str, str] | None
    ) -> tuple[bytes, str | None]:
        """Ciphertext and the key version used (None for RSA, whose key has one version)."""
        if algorithm == SYMMETRIC:
            material_id = record.current_material_id
            if material_id is None:
                raise KeyUnavailableException(f"{record.arn} has no key material available.")
            header = ct.Header(record.account_id, record.key_id, material_id)
            backend = token_backend(self.hsm, record)
            if backend is not None:  # custom key store: the token encrypts
                return backend.seal(header, plaintext, context), material_id
            return ct.seal(header, self._material(record, material_id), plaintext, context), material_id
        private = mat.load_private_key(self._material(record))
        return private.public_key().encrypt(plaintext, asym.oaep(algorithm)), None

    def _open(
        self,
        ctx: RequestContext,
        blob: bytes,
        key_ref: str | None,
        context: dict[str, str] | None,
        algorithm: str,
        operation: str,
    ) -> Opened:
        """Decrypt as Decrypt (and ReEncrypt's source side) do, with AWS's errors."""
        if algorithm != SYMMETRIC:
            if not key_ref:
                raise ValidationException(f"KeyId is required when EncryptionAlgorithm is {algorithm}.")
            record = self._encryption_key(ctx, key_ref, algorithm, operation)
            if context:
                raise ValidationException(ASYMMETRIC_CONTEXT)
            private = mat.load_private_key(self._material(record))
            try:
                plaintext = private.decrypt(blob, asym.oaep(algorithm))
            except ValueError:
                raise InvalidCiphertextException("") from None
            return Opened(plaintext, record, algorithm, None)

        # Symmetric: the blob names its key (account + key id); look it up in the caller's region, so a
        # blob from another region (other than a multi-Region key's) finds nothing.
        try:
            header, offset = ct.parse_header(blob)
        except ct.MalformedCiphertext:
            raise InvalidCiphertextException("") from None
        found = self.keys.by_id(header.account_id, ctx.region, header.key_id)
        if key_ref:
            requested = self.find_key(ctx, key_ref, operation=operation)
            if found is None or requested.arn != found.arn:
                raise IncorrectKeyException(INCORRECT_KEY)
        if found is None:
            raise InvalidCiphertextException("")
        record = found
        check_state(record, operation)
        if record.key_spec != SYMMETRIC or record.key_usage != "ENCRYPT_DECRYPT":
            raise InvalidCiphertextException("")
        backend = token_backend(self.hsm, record)
        if backend is not None:  # custom key store: the token decrypts
            return Opened(backend.open(blob, offset, context), record, SYMMETRIC, header.material_id)
        material = self.keys.material(record, header.material_id)
        if material is None:
            raise InvalidCiphertextException("")
        try:
            plaintext = ct.open_blob(blob, offset, material, context)
        except ct.MalformedCiphertext:
            raise InvalidCiphertextException("") from None
        return Opened(plaintext, record, SYMMETRIC, header.material_id)

    def _blob(self, ctx: RequestContext, request: dict[str, Any], member: str, key_member: str) -> bytes | None:
        """The ciphertext, or None for DryRun with IGNORE_CIPHERTEXT (only the key is checked then)."""
        blob = request.get(member)
        if blob is not None:
            return bytes(blob)
        if request.get("DryRun") and "IGNORE_CIPHERTEXT" in (request.get("DryRunModifiers") or []):
            key_ref = request.get(key_member)
            if not key_ref:
                raise ValidationException(f"{key_member} is required when DryRunModifiers is IGNORE_CIPHERTEXT.")
            record = self.usable_key(ctx, key_ref)
            require_usage(record, "ENCRYPT_DECRYPT", ctx.operation)
            return None
        raise null_member(member[0].lower() + member[1:])

    # -- operations -----------------------------------------------------------------------------------------

    def encrypt(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        algorithm = request.get("EncryptionAlgorithm") or SYMMETRIC
        record = self._encryption_key(ctx, request["KeyId"], algorithm, "Encrypt")
        plaintext, context = request["Plaintext"], request.get("EncryptionContext")
        self._check_plaintext(record, algorithm, plaintext, context)
        dry_run(request)
        blob, _ = self._seal(record, algorithm, plaintext, context)
        self.note_key_use(ctx, record)
        return {"CiphertextBlob": blob, "KeyId": record.arn, "EncryptionAlgorithm": algorithm}

    def decrypt(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        reject_recipient(request)
        blob = self._blob(ctx, request, "CiphertextBlob", "KeyId")
        if blob is None:
            dry_run(request)
        assert blob is not None
        opened = self._open(
            ctx,
            blob,
            request.get("KeyId"),
            request.get("EncryptionContext"),
            request.get("EncryptionAlgorithm") or SYMMETRIC,
            "Decrypt",
        )
        dry_run(request)
        self.note_key_use(ctx, opened.record)
        out: dict[str, Any] = {
            "KeyId": opened.record.arn,
            "Plaintext": opened.plaintext,
            "EncryptionAlgorithm": opened.algorithm,
        }
        if opened.material_id is not None:
            out["KeyMaterialId"] = opened.material_id
        return out

    def re_encrypt(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        blob = self._blob(ctx, request, "CiphertextBlob", "SourceKeyId")
        dest_algorithm = request.get("DestinationEncryptionAlgorithm") or SYMMETRIC
        destination = self._encryption_key(ctx, request["DestinationKeyId"], dest_algorithm, "ReEncrypt")
        dest_context = request.get("DestinationEncryptionContext")
        if dest_algorithm != SYMMETRIC and dest_context:
            raise ValidationException(ASYMMETRIC_CONTEXT)
        if blob is None:
            dry_run(request)
        assert blob is not None
        opened = self._open(
            ctx,
            blob,
            request.get("SourceKeyId"),
            request.get("SourceEncryptionContext"),
            request.get("SourceEncryptionAlgorithm") or SYMMETRIC,
            "ReEncrypt",
        )
        self._check_plaintext(destination, dest_algorithm, opened.plaintext, dest_context)
        dry_run(request)
        new_blob, dest_material = self._seal(destination, dest_algorithm, opened.plaintext, dest_context)
        self.note_key_use(ctx, opened.record)
        self.note_key_use(ctx, destination)
        out: dict[str, Any] = {
            "CiphertextBlob": new_blob,
            "SourceKeyId": opened.record.arn,
            "KeyId": destination.arn,
            "SourceEncryptionAlgorithm": opened.algorithm,
            "DestinationEncryptionAlgorithm": dest_algorithm,
        }
        if opened.material_id is not None:
            out["SourceKeyMaterialId"] = opened.material_id
        if dest_material is not None:
            out["DestinationKeyMaterialId"] = dest_material
        return out

    # -- data keys ------------------------------------------------------------------------------------------

    def _data_key_target(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> KeyRecord:
        record = self.usable_key(ctx, request["KeyId"], operation=operation)
        require_usage(record, "ENCRYPT_DECRYPT", operation)
        if record.key_spec != SYMMETRIC:
            raise InvalidKeyUsageException(f"{record.arn} key spec {record.key_spec} is not valid for {operation}.")
        return record

    def _data_key(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> dict[str, Any]:
        record = self._data_key_target(ctx, request, operation)
        spec, count = request.get("KeySpec"), request.get("NumberOfBytes")
        if (spec is None) == (count is None):
            raise ValidationException("Please specify either number of bytes or key spec.")
        length: int = DATA_KEY_BYTES[spec] if spec is not None else request["NumberOfBytes"]
        plaintext = os.urandom(length)
        dry_run(request)
        blob, material_id = self._seal(record, SYMMETRIC, plaintext, request.get("EncryptionContext"))
        self.note_key_use(ctx, record)
        return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": record.arn, "KeyMaterialId": material_id}

    def generate_data_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        reject_recipient(request)
        return self._data_key(ctx, request, "GenerateDataKey")

    def generate_data_key_without_plaintext(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        out = self._data_key(ctx, request, "GenerateDataKeyWithoutPlaintext")
        del out["Plaintext"]
        return out

    def _data_key_pair(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> dict[str, Any]:
        record = self._data_key_target(ctx, request, operation)
        pair_spec = request["KeyPairSpec"]
        if pair_spec not in DATA_KEY_PAIR_SPECS:
            reason = UNSUPPORTED_PAIR_SPECS.get(pair_spec, f"KeyPairSpec {pair_spec} is not supported by Strongroom")
            raise UnsupportedOperationException(reason)
        dry_run(request)
        private = mat.generate_private_key(pair_spec)
        private_der, public_der = mat.private_der(private), mat.public_der(private)
        blob, material_id = self._seal(record, SYMMETRIC, private_der, request.get("EncryptionContext"))
        self.note_key_use(ctx, record)
        return {
            "PrivateKeyCiphertextBlob": blob,
            "PrivateKeyPlaintext": private_der,
            "PublicKey": public_der,
            "KeyId": record.arn,
            "KeyPairSpec": pair_spec,
            "KeyMaterialId": material_id,
        }

    def generate_data_key_pair(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        reject_recipient(request)
        return self._data_key_pair(ctx, request, "GenerateDataKeyPair")

    def generate_data_key_pair_without_plaintext(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        out = self._data_key_pair(ctx, request, "GenerateDataKeyPairWithoutPlaintext")
        del out["PrivateKeyPlaintext"]
        return out

    def generate_random(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        reject_recipient(request)
        count = request.get("NumberOfBytes")
        if count is None:
            raise ValidationException("NumberOfBytes is required.")
        store_id = request.get("CustomKeyStoreId")
        if store_id:
            return {"Plaintext": token_random(self.hsm, ctx.account_id, ctx.region, store_id, count)}
        return {"Plaintext": os.urandom(count)}
