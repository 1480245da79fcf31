"""S3 Bucket Keys: one KMS data key per bucket for a while, instead of one KMS call per object.

AWS: with ``BucketKeyEnabled``, S3 asks KMS for a bucket-level key (encryption context ``aws:s3:arn`` = the bucket's
ARN) and uses it, for a time-limited period, to protect each object's own data key, cutting KMS requests. Here the
bucket-level key is kept for ``TTL`` seconds per (caller, bucket, KMS key, context): the cache is per caller, so a
caller is still authorized by KMS (``kms:GenerateDataKey`` to write, ``kms:Decrypt`` to read) at least once per
period — a key policy that revokes a caller takes effect within ``TTL``, as AWS documents for Bucket Keys.

The object's data key is wrapped (AES-256-GCM, bound to the object's key id) under the bucket-level key; the stored
blob is ``len(kms ciphertext) | kms ciphertext | nonce | wrapped data key``.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
import time
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

TTL = 300.0  # seconds a bucket-level key is reused
_MAX_ENTRIES = 10_000


def _aad(kid: str) -> bytes:
    return f"strongroom/s3/bucket-key/{kid}".encode()


class BucketKeys:
    """The process's bucket-level keys; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writes: dict[tuple[str, ...], tuple[str, bytes, bytes, float]] = {}
        self._reads: dict[tuple[str, str], tuple[bytes, float]] = {}

    def _trim(self) -> None:
        if len(self._writes) + len(self._reads) > _MAX_ENTRIES:
            self._writes.clear()
            self._reads.clear()

    def wrap(
        self, ctx: RequestContext, *, bucket_arn: str, key_id: str, context: dict[str, str], kid: str, data_key: bytes
    ) -> tuple[str, bytes]:
        """(KMS key ARN, stored blob) protecting ``data_key`` under the bucket's current bucket-level key."""
        full_context = {"aws:s3:arn": bucket_arn, **context}
        cache_key = (ctx.principal.arn or ctx.principal.principal_id, bucket_arn, key_id, json.dumps(context))
        now = time.monotonic()
        with self._lock:
            hit = self._writes.get(cache_key)
        if hit is None or hit[3] < now:
            out: dict[str, Any] = ctx.call(
                "kms",
                "GenerateDataKey",
                {"KeyId": key_id, "KeySpec": "AES_256", "EncryptionContext": full_context},
                via="s3",
            )
            hit = (str(out["KeyId"]), bytes(out["CiphertextBlob"]), bytes(out["Plaintext"]), now + TTL)
            with self._lock:
                self._trim()
                self._writes[cache_key] = hit
                self._reads[(cache_key[0], hashlib.sha256(hit[1]).hexdigest())] = (hit[2], hit[3])
        arn, ciphertext, plaintext, _ = hit
        nonce = os.urandom(12)
        sealed = AESGCM(plaintext).encrypt(nonce, data_key, _aad(kid))
        return arn, struct.pack(">H", len(ciphertext)) + ciphertext + nonce + sealed

    def unwrap(
        self,
        ctx: RequestContext,
        blob: bytes,
        *,
        bucket_arn: str,
        key_id: str | None,
        context: dict[str, str],
        kid: str,
    ) -> bytes:
        """The object's data key: the bucket-level key (cached, else KMS ``Decrypt`` as the caller), then AES-GCM."""
        (length,) = struct.unpack(">H", blob[:2])
        ciphertext, nonce, sealed = blob[2 : 2 + length], blob[2 + length : 14 + length], blob[14 + length :]
        cache_key = (ctx.principal.arn or ctx.principal.principal_id, hashlib.sha256(ciphertext).hexdigest())
        now = time.monotonic()
        with self._lock:
            hit = self._reads.get(cache_key)
        if hit is None or hit[1] < now:
            params: dict[str, Any] = {
                "CiphertextBlob": ciphertext,
                "EncryptionContext": {"aws:s3:arn": bucket_arn, **context},
            }
            if key_id:
                params["KeyId"] = key_id
            out: dict[str, Any] = ctx.call("kms", "Decrypt", params, via="s3")
            hit = (bytes(out["Plaintext"]), now + TTL)
            with self._lock:
                self._trim()
                self._reads[cache_key] = hit
        return AESGCM(hit[0]).decrypt(nonce, sealed, _aad(kid))
