"""Every log event's message is encrypted at rest under its log group's data key (AES-256-GCM).

A group's data key is wrapped one of two ways, as AWS does:

- no ``kmsKeyId``: sealed under the server's root key (``keyring/seal.py``), like every other stored secret;
- with a ``kmsKeyId``: a data key from KMS ``GenerateDataKey`` with the encryption context
  ``{"aws:logs:arn": "<log group ARN>"}``, unwrapped with KMS ``Decrypt``. These calls are made in-process
  (``ctx.call``) by CloudWatch Logs itself: the caller is the service principal ``logs.<region>.amazonaws.com``
  (CloudTrail's ``userIdentity`` ``AWSService``), so the key policy must allow that principal, as on AWS.

Unwrapped keys are cached in memory only. A KMS-wrapped key is trusted for ``KMS_RECHECK_SECONDS`` of the server
clock; the next use after that asks KMS again, so a disabled (or re-policied) key stops reads and writes within
that window. Sealed keys need no re-check: nothing can disable the root key while the server is unsealed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.logs.errors import AccessDeniedException
from strongroom.services.logs.model import data_key_aad, event_aad

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

KMS_RECHECK_SECONDS = 5.0
CACHE_ENTRIES = 4096
NONCE = 12


def service_principal(region: str) -> str:
    return f"logs.{region}.amazonaws.com"


def kms_denied(group_arn: str) -> AwsError:
    """What AWS answers when CloudWatch Logs cannot use a group's KMS key (missing, disabled, or not allowed)."""
    return AccessDeniedException(
        f"The specified KMS key does not exist or is not allowed to be used with Arn '{group_arn}'"
    )


def encryption_context(group_arn: str) -> dict[str, str]:
    return {"aws:logs:arn": group_arn}


@dataclass(slots=True)
class _Cached:
    cipher: AESGCM
    checked_at: float
    kms: bool


@dataclass(frozen=True, slots=True)
class NewKey:
    """A data key just made for a group: its row's values, and the key itself (cached)."""

    key_id: str
    kms_key_id: str | None
    sealed_key: bytes | None
    kms_blob: bytes | None


class DataKeys:
    """Makes, unwraps and caches log groups' data keys; encrypts and decrypts messages."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()

    @staticmethod
    def service_context(ctx: RequestContext, group_arn: str) -> RequestContext:
        """CloudWatch Logs acting for the group ``group_arn`` (the principal a key policy must allow)."""
        principal = context.Principal(
            "AWSService", ctx.account_id, service_principal(ctx.region), service_principal(ctx.region)
        )
        extras: dict[str, object] = {"source_account": ctx.account_id, "source_arn": group_arn}
        return context.RequestContext(
            ctx.runtime, ctx.request_id, "logs", ctx.operation, ctx.region, principal, extras=extras
        )

    def create(self, ctx: RequestContext, group_arn: str, kms_key_id: str | None) -> NewKey:
        key_id = ids.uuid4().replace("-", "")
        if kms_key_id is None:
            plain = os.urandom(32)
            sealed = self.runtime.seal.wrap(plain, data_key_aad(group_arn, key_id))
            self._remember(key_id, plain, kms=False)
            return NewKey(key_id, None, sealed, None)
        request = {"KeyId": kms_key_id, "KeySpec": "AES_256", "EncryptionContext": encryption_context(group_arn)}
        try:
            out = self.service_context(ctx, group_arn).call("kms", "GenerateDataKey", request, via="logs")
        except AwsError:
            raise kms_denied(group_arn) from None
        self._remember(key_id, bytes(out["Plaintext"]), kms=True)
        return NewKey(key_id, kms_key_id, None, bytes(out["CiphertextBlob"]))

    def cipher(self, ctx: RequestContext, group_arn: str, row: Any) -> AESGCM:
        """The AES-GCM cipher of the data key ``row`` (a ``data_keys`` row), from the cache while it is fresh."""
        now = clock.time()
        with self._lock:
            cached = self._cache.get(row.key_id)
            if cached is not None and (not cached.kms or now - cached.checked_at < KMS_RECHECK_SECONDS):
                self._cache.move_to_end(row.key_id)
                return cached.cipher
        if row.kms_blob is None:
            plain = self.runtime.seal.unwrap(bytes(row.sealed_key), data_key_aad(group_arn, row.key_id))
            return self._remember(row.key_id, plain, kms=False)
        request = {
            "CiphertextBlob": bytes(row.kms_blob),
            "KeyId": row.kms_key_id,
            "EncryptionContext": encryption_context(group_arn),
        }
        try:
            out = self.service_context(ctx, group_arn).call("kms", "Decrypt", request, via="logs")
        except AwsError:
            with self._lock:
                self._cache.pop(row.key_id, None)
            raise kms_denied(group_arn) from None
        return self._remember(row.key_id, bytes(out["Plaintext"]), kms=True)

    def _remember(self, key_id: str, plain: bytes, *, kms: bool) -> AESGCM:
        cipher = AESGCM(plain)
        with self._lock:
            self._cache[key_id] = _Cached(cipher, clock.time(), kms)
            self._cache.move_to_end(key_id)
            while len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        return cipher


def seal_message(cipher: AESGCM, group_arn: str, stream: str, timestamp_ms: int, message: str) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + cipher.encrypt(nonce, message.encode(), event_aad(group_arn, stream, timestamp_ms))


def open_message(cipher: AESGCM, group_arn: str, stream: str, timestamp_ms: int, blob: bytes) -> str:
    data = bytes(blob)
    return cipher.decrypt(data[:NONCE], data[NONCE:], event_aad(group_arn, stream, timestamp_ms)).decode()
