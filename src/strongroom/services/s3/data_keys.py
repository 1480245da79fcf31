"""SSE-KMS data keys reused for a short while, per caller, instead of a KMS ``Decrypt`` on every GET.

Every read of an SSE-KMS object (without S3 Bucket Keys) needs the object's data key, which only KMS can unwrap.
A complete ``Decrypt`` (validation, authorization, the key's state, the AES-GCM open, its CloudTrail record) costs
as much again as the rest of a small GET, so the plaintext data key is kept for ``TTL`` seconds, keyed by who asked
and by exactly what was asked: (caller, KMS key ARN, wrapped key, encryption context). What is never skipped:

* the caller's ``kms:Decrypt`` authorization, on every read, with the very context the call would have
  (``reuse_call``): a key policy, IAM policy or grant that stops allowing the caller stops the next read;
* the key's state (``kms/reuse.py``): a key disabled, scheduled for deletion or deleted stops reads at once,
  with the error ``Decrypt`` gives;
* the audit record: every read is recorded as the KMS ``Decrypt`` it is on AWS (``reuse_call``), the same record a
  complete call writes — only the unwrap and the handler's work are skipped. (S3 Bucket Keys, ``bucket_keys.py``,
  are what changes the trail on AWS: one ``Decrypt`` per bucket key and period.)

The cache is per process, bounded (``MAX_ENTRIES``, oldest dropped first) and holds plaintext keys only in memory.
An overwritten or deleted object cannot be served from it: the object row, read on every GET, names the wrapped key.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import orjson

from strongroom.services.kms.reuse import usable_for_decrypt

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

TTL = 60.0  # seconds a data key is reused for one caller
MAX_ENTRIES = 4096

_Key = tuple[str, str, bytes, bytes]


class DataKeys:
    """The process's reusable SSE-KMS data keys; thread-safe."""

    def __init__(self, ttl: float = TTL, max_entries: int = MAX_ENTRIES) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._keys: dict[_Key, tuple[bytes, float]] = {}

    def clear(self) -> None:
        with self._lock:
            self._keys.clear()

    def __len__(self) -> int:
        return len(self._keys)

    def open(self, ctx: RequestContext, params: dict[str, Any]) -> bytes:
        """The plaintext data key of a KMS ``Decrypt`` of ``params`` (CiphertextBlob, EncryptionContext, KeyId)
        as ``ctx``'s caller: reused when this caller had it opened within ``TTL``, after authorizing the caller
        and checking the key again; else a complete ``Decrypt`` through S3 (``via="s3"``). KMS errors are raised."""
        key_arn = params.get("KeyId")
        if not key_arn:  # nothing to key a reuse on: KMS finds the key from the blob
            return bytes(ctx.call("kms", "Decrypt", params, via="s3")["Plaintext"])
        entry: _Key = (
            ctx.principal.arn or ctx.principal.principal_id,
            str(key_arn),
            bytes(params["CiphertextBlob"]),
            orjson.dumps(params["EncryptionContext"], option=orjson.OPT_SORT_KEYS),
        )
        now = time.monotonic()
        hit = self._keys.get(entry)
        if hit is not None and hit[1] > now:
            runtime = ctx.runtime

            def check(callee: RequestContext) -> dict[str, Any] | None:
                if not usable_for_decrypt(runtime, callee, str(key_arn)):
                    return None
                return {"KeyId": str(key_arn), "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}  # Decrypt's, less Plaintext

            if runtime.reuse_call(ctx, "kms", "Decrypt", params, via="s3", check=check):
                return hit[0]
        out = ctx.call("kms", "Decrypt", params, via="s3")
        plaintext = bytes(out["Plaintext"])
        if str(out.get("KeyId")) == key_arn:
            with self._lock:
                if len(self._keys) >= self.max_entries:
                    self._drop_oldest(now)
                self._keys[entry] = (plaintext, now + self.ttl)
        return plaintext

    def _drop_oldest(self, now: float) -> None:
        """Expired entries first; then the oldest (dicts keep insertion order) until there is room for one."""
        for k in [k for k, (_, expires) in self._keys.items() if expires <= now]:
            del self._keys[k]
        while len(self._keys) >= self.max_entries:
            del self._keys[next(iter(self._keys))]
