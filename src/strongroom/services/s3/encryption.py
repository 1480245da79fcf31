"""Server-side encryption of object bodies: which mode a write uses, its data key, and opening that key to read.

Every body is encrypted; the modes differ in who holds the key that wraps the per-object data key:

* ``AES256`` (SSE-S3): a random data key wrapped under the seal (the root of trust), bound to a random key id.
* ``aws:kms`` (SSE-KMS) and ``aws:kms:dsse`` (DSSE-KMS): the data key comes from KMS ``GenerateDataKey`` under the
  named key (``alias/aws/s3`` by default) with the encryption context ``aws:s3:arn`` (plus the caller's context),
  called in-process as the caller, so the caller needs ``kms:GenerateDataKey`` to write and ``kms:Decrypt`` to read,
  key policies and grants apply, and KMS records both calls with ``invokedBy: s3.amazonaws.com``. DSSE-KMS asks for
  64 bytes: two independent keys for the two layers.
* ``SSE-C``: a random data key wrapped (AES-256-GCM) under the customer's key, which is checked against its MD5,
  used, and forgotten: without it the object cannot be opened, and a wrong key fails the wrap's authentication.

The ``encryption`` JSON column holds only public facts (mode, key ARN, bucket key flag, the caller's context, the key
id); the wrapped key is the ``sealed_key`` column for SSE-S3 (so ``seal migrate`` re-wraps it), ``wrapped_key`` for
the others (``Encryption.columns``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.core.errors import AwsError
from strongroom.services.kms.managed import aws_managed_key
from strongroom.services.s3.bucket_keys import BucketKeys
from strongroom.services.s3.data_keys import DataKeys
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import sse_s3_aad

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext
    from strongroom.services.s3.runtime import S3Runtime

# Bucket-level keys are per process: each node asks KMS for its own (as each S3 host does on AWS).
BUCKET_KEYS = BucketKeys()
# SSE-KMS data keys reused per caller for a short while, the caller authorized on every read (data_keys.py).
DATA_KEYS = DataKeys()

SSE_S3 = "AES256"
SSE_KMS = "aws:kms"
DSSE_KMS = "aws:kms:dsse"
SSE_C = "SSE-C"
_SERVER_MODES = frozenset({SSE_S3, SSE_KMS, DSSE_KMS})
_KMS_MODES = frozenset({SSE_KMS, DSSE_KMS})


@dataclass(slots=True)
class Encryption:
    """How one object (or multipart upload) is encrypted: public facts plus the wrapped data key."""

    mode: str
    kid: str  # random id the wrap is bound to
    wrapped: bytes
    kms_key_id: str | None = None  # key ARN
    bucket_key: bool = False
    context: dict[str, str] = field(default_factory=dict)  # the caller's SSEKMSEncryptionContext, if any
    arn: str = ""  # the aws:s3:arn the KMS context binds
    # the data key is wrapped under a bucket-level key (bucket_keys.py), not by KMS directly
    bucket_key_wrap: bool = False

    @property
    def bucket_arn(self) -> str:
        return self.arn.split("/", 1)[0]

    def facts(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.mode, "kid": self.kid, "arn": self.arn}
        if self.kms_key_id:
            out["kms_key_id"] = self.kms_key_id
        if self.bucket_key:
            out["bucket_key"] = True
        if self.bucket_key_wrap:
            out["bucket_key_wrap"] = True
        if self.context:
            out["context"] = self.context
        return out

    @staticmethod
    def from_facts(facts: dict[str, Any], wrapped: bytes | None) -> Encryption:
        return Encryption(
            facts.get("mode", SSE_S3),
            facts.get("kid", ""),
            wrapped or b"",
            facts.get("kms_key_id"),
            bool(facts.get("bucket_key")),
            dict(facts.get("context") or {}),
            facts.get("arn", ""),
            bool(facts.get("bucket_key_wrap")),
        )

    @staticmethod
    def of_row(row: Any) -> Encryption:
        """The encryption of an object or upload row (its ``encryption`` JSON and key columns)."""
        facts = orjson.loads(row["encryption"] or "{}")
        wrapped = row["sealed_key"] if facts.get("mode", SSE_S3) == SSE_S3 else row["wrapped_key"]
        return Encryption.from_facts(facts, wrapped)

    def columns(self) -> dict[str, Any]:
        """The row's ``encryption``, ``sealed_key`` and ``wrapped_key`` columns."""
        sealed = self.mode == SSE_S3
        return {
            "encryption": json.dumps(self.facts()),
            "sealed_key": self.wrapped if sealed else None,
            "wrapped_key": None if sealed else self.wrapped,
        }

    def kms_context(self) -> dict[str, str]:
        return {"aws:s3:arn": self.arn, **self.context}

    def output(self, customer_md5: str | None = None) -> dict[str, Any]:
        """The response members every object operation echoes."""
        if self.mode == SSE_C:
            return {"SSECustomerAlgorithm": "AES256", "SSECustomerKeyMD5": customer_md5}
        out: dict[str, Any] = {"ServerSideEncryption": self.mode}
        if self.mode in _KMS_MODES:
            out["SSEKMSKeyId"] = self.kms_key_id
            if self.bucket_key:
                out["BucketKeyEnabled"] = True
        return out


@dataclass(frozen=True, slots=True)
class CustomerKey:
    key: bytes
    md5: str


def customer_key(params: dict[str, Any], prefix: str = "") -> CustomerKey | None:
    """The SSE-C key a request carries (``prefix`` "CopySource" for the source of a copy), checked as S3 checks it."""
    algorithm = params.get(f"{prefix}SSECustomerAlgorithm")
    raw = params.get(f"{prefix}SSECustomerKey")
    md5 = params.get(f"{prefix}SSECustomerKeyMD5")
    if algorithm is None and raw is None and md5 is None:
        return None
    if algorithm is None:
        raise error(
            "InvalidArgument",
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm.",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue="null",
        )
    if algorithm != "AES256":
        raise error(
            "InvalidEncryptionAlgorithmError",
            "The Encryption request you specified is not valid. Supported value: AES256.",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue=str(algorithm),
        )
    if raw is None:
        raise error(
            "InvalidArgument",
            "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate "
            "secret key.",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue="null",
        )
    try:
        key = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise error(
            "InvalidArgument",
            "The secret key was invalid for the specified algorithm.",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue="null",
        )
    actual = base64.b64encode(hashlib.md5(key).digest()).decode()
    if md5 is not None and md5 != actual:
        raise error(
            "InvalidArgument",
            "The calculated MD5 hash of the key did not match the hash that was provided.",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue="null",
        )
    return CustomerKey(key, actual)


def _sse_c_aad(kid: str) -> bytes:
    return f"strongroom/s3/sse-c/{kid}".encode()


def _kms_error(exc: AwsError) -> AwsError:
    """A KMS failure as S3 reports it to its caller."""
    if exc.code == "AccessDeniedException":
        return error("AccessDenied", exc.message or "Access Denied")
    if exc.code in ("NotFoundException", "DisabledException", "KMSInvalidStateException", "InvalidKeyUsageException"):
        name = {"InvalidKeyUsageException": "KMS.InvalidKeyUsageException"}.get(exc.code, f"KMS.{exc.code}")
        if name not in ("KMS.NotFoundException", "KMS.DisabledException", "KMS.KMSInvalidStateException"):
            return error("InvalidArgument", exc.message)
        return error(name, exc.message)
    return exc


def requested_mode(params: dict[str, Any], default: dict[str, Any] | None) -> tuple[str, str | None, bool]:
    """(mode, KMS key id, bucket key) for a write: the request's headers, else the bucket's default, else SSE-S3."""
    mode = params.get("ServerSideEncryption")
    key_id = params.get("SSEKMSKeyId")
    bucket_key = params.get("BucketKeyEnabled")
    if mode is None and key_id is not None:
        raise error(
            "InvalidArgument",
            "Specifying a KMS key id requires server side encryption with KMS (aws:kms or aws:kms:dsse).",
            ArgumentName="x-amz-server-side-encryption-aws-kms-key-id",
            ArgumentValue=str(key_id),
        )
    if mode is None and default:
        mode = default.get("SSEAlgorithm")
        key_id = default.get("KMSMasterKeyID")
        if bucket_key is None:
            bucket_key = default.get("BucketKeyEnabled", False)
    mode = mode or SSE_S3
    if mode not in _SERVER_MODES:
        raise error(
            "InvalidArgument",
            "The encryption method specified is not supported",
            ArgumentName="x-amz-server-side-encryption",
            ArgumentValue=str(mode),
        )
    if mode == SSE_S3:
        key_id = None
    return mode, key_id, bool(bucket_key) and mode in _KMS_MODES


def user_context(params: dict[str, Any]) -> dict[str, str]:
    """``x-amz-server-side-encryption-context``: base64 of a JSON object of strings."""
    raw = params.get("SSEKMSEncryptionContext")
    if raw is None:
        return {}
    try:
        parsed = json.loads(base64.b64decode(str(raw), validate=True))
    except (binascii.Error, ValueError):
        parsed = None
    if not isinstance(parsed, dict) or not all(isinstance(v, str) for v in parsed.values()):
        raise error(
            "InvalidArgument",
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON "
            "which represents a string-string map",
            ArgumentName="x-amz-server-side-encryption-context",
        )
    if "aws:s3:arn" in parsed:
        raise error("InvalidArgument", "Encryption context keys cannot start with 'aws:'.")
    return {str(k): str(v) for k, v in parsed.items()}


def new_key(
    ctx: RequestContext,
    runtime: S3Runtime,
    *,
    arn: str,
    owner: str,
    mode: str,
    kms_key_id: str | None,
    bucket_key: bool,
    context: dict[str, str],
    customer: CustomerKey | None,
) -> tuple[Encryption, bytes]:
    """A fresh data key for one object or upload: (how it is wrapped, the plaintext key — used, then dropped)."""
    kid = secrets.token_hex(16)
    if customer is not None:
        data_key = os.urandom(32)
        nonce = os.urandom(12)
        wrapped = nonce + AESGCM(customer.key).encrypt(nonce, data_key, _sse_c_aad(kid))
        return Encryption(SSE_C, kid, wrapped, arn=arn), data_key
    if mode == SSE_S3:
        data_key = os.urandom(32)
        return Encryption(SSE_S3, kid, runtime.seal.wrap(data_key, sse_s3_aad(kid)), arn=arn), data_key
    key = kms_key_id or aws_managed_key(runtime, owner, ctx.region, "s3").arn
    enc = Encryption(mode, kid, b"", None, bucket_key, context, arn)
    if bucket_key and mode == SSE_KMS:  # DSSE-KMS does not use bucket keys (AWS)
        data_key = os.urandom(32)
        try:
            enc.kms_key_id, enc.wrapped = BUCKET_KEYS.wrap(
                ctx, bucket_arn=enc.bucket_arn, key_id=key, context=context, kid=kid, data_key=data_key
            )
        except AwsError as exc:
            raise _kms_error(exc) from None
        enc.bucket_key_wrap = True
        return enc, data_key
    params: dict[str, Any] = {"KeyId": key, "EncryptionContext": enc.kms_context()}
    if mode == DSSE_KMS:
        params["NumberOfBytes"] = 64
    else:
        params["KeySpec"] = "AES_256"
    try:
        out = ctx.call("kms", "GenerateDataKey", params, via="s3")
    except AwsError as exc:
        raise _kms_error(exc) from None
    enc.wrapped = out["CiphertextBlob"]
    enc.kms_key_id = out["KeyId"]
    return enc, out["Plaintext"]


def open_key(ctx: RequestContext, runtime: S3Runtime, enc: Encryption, customer: CustomerKey | None) -> bytes:
    """The plaintext data key of a stored object, opened the way its mode requires (see the module docstring)."""
    if enc.mode == SSE_C:
        if customer is None:
            raise error(
                "InvalidRequest",
                "The object was stored using a form of Server Side Encryption. The correct parameters must be "
                "provided to retrieve the object.",
            )
        nonce, body = enc.wrapped[:12], enc.wrapped[12:]
        try:
            return AESGCM(customer.key).decrypt(nonce, body, _sse_c_aad(enc.kid))
        except Exception:
            raise error("AccessDenied", "Access Denied") from None
    if customer is not None:
        raise error(
            "InvalidRequest",
            "The encryption parameters are not applicable to this object.",
        )
    if enc.mode == SSE_S3:
        return runtime.seal.unwrap(enc.wrapped, sse_s3_aad(enc.kid))
    if enc.bucket_key_wrap:
        try:
            return BUCKET_KEYS.unwrap(
                ctx, enc.wrapped, bucket_arn=enc.bucket_arn, key_id=enc.kms_key_id, context=enc.context, kid=enc.kid
            )
        except AwsError as exc:
            raise _kms_error(exc) from None
    try:
        return DATA_KEYS.open(
            ctx, {"CiphertextBlob": enc.wrapped, "EncryptionContext": enc.kms_context(), "KeyId": enc.kms_key_id}
        )
    except AwsError as exc:
        raise _kms_error(exc) from None
