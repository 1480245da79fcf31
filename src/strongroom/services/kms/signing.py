"""Signing, MACs, public keys, key agreement and key encapsulation: Sign, Verify, GenerateMac, VerifyMac,
GetPublicKey, DeriveSharedSecret, Encapsulate, Decapsulate.

Private keys are parsed from the cached DER material on each call (cheap next to the signature itself), so a
cache hit reads no database row.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from strongroom.services.kms import asymmetric as asym
from strongroom.services.kms import materials as mat
from strongroom.services.kms import mlkem
from strongroom.services.kms.base import KmsBase, dry_run
from strongroom.services.kms.crypto import incompatible, reject_recipient, require_usage
from strongroom.services.kms.errors import (
    InvalidCiphertextException,
    KMSInvalidMacException,
    KMSInvalidSignatureException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord
from strongroom.services.kms.specs import KEY_SPECS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_MAC_HASHES = {"HMAC_SHA_224": "sha224", "HMAC_SHA_256": "sha256", "HMAC_SHA_384": "sha384", "HMAC_SHA_512": "sha512"}

# CustomerMasterKeySpec (deprecated twin of KeySpec) only has the specs that existed when it was retired.
_LEGACY_SPECS = frozenset(
    {
        "RSA_2048",
        "RSA_3072",
        "RSA_4096",
        "ECC_NIST_P256",
        "ECC_NIST_P384",
        "ECC_NIST_P521",
        "ECC_SECG_P256K1",
        "SYMMETRIC_DEFAULT",
        "HMAC_224",
        "HMAC_256",
        "HMAC_384",
        "HMAC_512",
        "SM2",
    }
)


def check_message_type(algorithm: str, message_type: str, message: bytes) -> None:
    """AWS's rules tying MessageType to the signing algorithm (Sign/Verify API reference, MessageType)."""
    if message_type == "EXTERNAL_MU":
        if algorithm != "ML_DSA_SHAKE_256":
            raise ValidationException(f"MessageType EXTERNAL_MU is not valid for signing algorithm {algorithm}.")
        if len(message) != asym.EXTERNAL_MU_LENGTH:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
        return
    if algorithm == "ED25519_SHA_512" and message_type != "RAW":
        raise ValidationException("ED25519_SHA_512 signing algorithm requires MessageType RAW.")
    if algorithm == "ED25519_PH_SHA_512" and message_type != "DIGEST":
        raise ValidationException("ED25519_PH_SHA_512 signing algorithm requires MessageType DIGEST.")
    if message_type == "DIGEST":
        expected = asym.digest_length(algorithm)
        if expected is None:
            raise ValidationException(f"MessageType DIGEST is not valid for signing algorithm {algorithm}.")
        if len(message) != expected:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")


class SigningOperations(KmsBase):
    def _signing_key(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> tuple[KeyRecord, Any]:
        record = self.usable_key(ctx, request["KeyId"], operation=operation)
        require_usage(record, "SIGN_VERIFY", operation)
        algorithm = request["SigningAlgorithm"]
        if algorithm not in KEY_SPECS[record.key_spec].signing:
            raise incompatible(algorithm, record)
        check_message_type(algorithm, request.get("MessageType") or "RAW", request["Message"])
        return record, mat.load_private_key(self._material(record))

    def sign(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record, private = self._signing_key(ctx, request, "Sign")
        dry_run(request)
        algorithm = request["SigningAlgorithm"]
        signature = asym.sign(private, algorithm, request["Message"], request.get("MessageType") or "RAW")
        self.note_key_use(ctx, record)
        return {"KeyId": record.arn, "Signature": signature, "SigningAlgorithm": algorithm}

    def verify(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record, private = self._signing_key(ctx, request, "Verify")
        dry_run(request)
        algorithm = request["SigningAlgorithm"]
        message_type = request.get("MessageType") or "RAW"
        valid = asym.verify(private.public_key(), algorithm, request["Message"], message_type, request["Signature"])
        self.note_key_use(ctx, record)
        if not valid:
            raise KMSInvalidSignatureException("")
        return {"KeyId": record.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}

    # -- HMAC -----------------------------------------------------------------------------------------------

    def _mac(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> tuple[KeyRecord, bytes]:
        record = self.usable_key(ctx, request["KeyId"], operation=operation)
        require_usage(record, "GENERATE_VERIFY_MAC", operation)
        algorithm = request["MacAlgorithm"]
        if algorithm not in KEY_SPECS[record.key_spec].mac:
            raise incompatible(algorithm, record)
        dry_run(request)
        key = self._material(record)
        return record, hmac.digest(key, request["Message"], _MAC_HASHES[algorithm])

    def generate_mac(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record, mac = self._mac(ctx, request, "GenerateMac")
        self.note_key_use(ctx, record)
        return {"Mac": mac, "MacAlgorithm": request["MacAlgorithm"], "KeyId": record.arn}

    def verify_mac(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record, mac = self._mac(ctx, request, "VerifyMac")
        self.note_key_use(ctx, record)
        if not hmac.compare_digest(mac, request["Mac"]):
            raise KMSInvalidMacException("")
        return {"KeyId": record.arn, "MacValid": True, "MacAlgorithm": request["MacAlgorithm"]}

    # -- public keys and key agreement ------------------------------------------------------------------------

    def get_public_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.usable_key(ctx, request["KeyId"], operation="GetPublicKey")
        if not mat.is_asymmetric(record.key_spec):
            raise UnsupportedOperationException(
                f"{record.arn} key spec {record.key_spec} is not valid for GetPublicKey: it has no public key."
            )
        public = record.public_key or mat.public_der(mat.load_private_key(self._material(record)))
        spec = KEY_SPECS[record.key_spec]
        out: dict[str, Any] = {
            "KeyId": record.arn,
            "PublicKey": bytes(public),
            "KeySpec": record.key_spec,
            "KeyUsage": record.key_usage,
        }
        if record.key_spec in _LEGACY_SPECS:
            out["CustomerMasterKeySpec"] = record.key_spec
        if record.key_usage == "ENCRYPT_DECRYPT":
            out["EncryptionAlgorithms"] = list(spec.encryption)
        elif record.key_usage == "SIGN_VERIFY":
            out["SigningAlgorithms"] = list(spec.signing)
        elif record.key_usage == "KEY_AGREEMENT":
            out["KeyAgreementAlgorithms"] = list(spec.key_agreement)
        elif record.key_usage == "ENCAPSULATE_DECAPSULATE":
            out["EncapsulationAlgorithms"] = list(spec.encapsulation)
        return out

    def derive_shared_secret(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        reject_recipient(request)
        record = self.usable_key(ctx, request["KeyId"], operation="DeriveSharedSecret")
        require_usage(record, "KEY_AGREEMENT", "DeriveSharedSecret")
        algorithm = request["KeyAgreementAlgorithm"]
        if algorithm not in KEY_SPECS[record.key_spec].key_agreement:
            raise incompatible(algorithm, record)
        private = mat.load_private_key(self._material(record))
        try:
            peer = load_der_public_key(request["PublicKey"])
        except (ValueError, UnsupportedAlgorithm):
            raise ValidationException("PublicKey is not a valid DER-encoded X.509 SubjectPublicKeyInfo.") from None
        if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != private.curve.name:
            raise ValidationException(
                f"PublicKey is not on the curve of key spec {record.key_spec}; ECDH needs a peer key of the same curve."
            )
        dry_run(request)
        secret = private.exchange(ec.ECDH(), peer)
        self.note_key_use(ctx, record)
        return {
            "KeyId": record.arn,
            "SharedSecret": secret,
            "KeyAgreementAlgorithm": algorithm,
            "KeyOrigin": record.origin,
        }

    # -- ML-KEM key encapsulation (FIPS 203) ------------------------------------------------------------------

    def _kem_key(self, ctx: RequestContext, request: dict[str, Any], operation: str) -> KeyRecord:
        record = self.usable_key(ctx, request["KeyId"], operation=operation)
        require_usage(record, "ENCAPSULATE_DECAPSULATE", operation)
        algorithm = request["EncapsulationAlgorithm"]
        if algorithm not in KEY_SPECS[record.key_spec].encapsulation:
            raise incompatible(algorithm, record)
        return record

    def encapsulate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._kem_key(ctx, request, "Encapsulate")
        dry_run(request)
        public = record.public_key or mlkem.public_der(record.key_spec, self._material(record))
        secret, ciphertext = mlkem.encapsulate(record.key_spec, mlkem.raw_public_from_der(record.key_spec, public))
        self.note_key_use(ctx, record)
        return {
            "KeyId": record.arn,
            "SharedSecret": secret,
            "SharedSecretCiphertextBlob": ciphertext,
            "EncapsulationAlgorithm": request["EncapsulationAlgorithm"],
        }

    def decapsulate(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._kem_key(ctx, request, "Decapsulate")
        ciphertext = request["SharedSecretCiphertextBlob"]
        # AWS: the only error is a ciphertext of the wrong length for the key spec; any other ciphertext
        # (another key's, altered) yields a pseudo-random secret (FIPS 203 implicit rejection).
        if len(ciphertext) != mlkem.PARAMS[record.key_spec].ciphertext_length:
            raise InvalidCiphertextException(
                f"The ciphertext is not valid for key spec {record.key_spec}: "
                f"its length must be {mlkem.PARAMS[record.key_spec].ciphertext_length} bytes."
            )
        dry_run(request)
        secret = mlkem.decapsulate(record.key_spec, self._material(record), ciphertext)
        self.note_key_use(ctx, record)
        return {
            "KeyId": record.arn,
            "SharedSecret": secret,
            "EncapsulationAlgorithm": request["EncapsulationAlgorithm"],
        }
