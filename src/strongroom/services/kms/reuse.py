"""Checks for a service that reuses a data key KMS already opened for the same caller (S3's data-key cache).

S3 keeps the plaintext data key of an SSE-KMS object for a short while after a complete KMS ``Decrypt`` gave it
(``services/s3/data_keys.py``). Before each reuse the caller is authorized for ``kms:Decrypt`` exactly as that call
would be (``reuse_call``: key policy, IAM policies, grants, the encryption context and ``kms:ViaService``), and
the key must still be one ``Decrypt`` may use: ``usable_for_decrypt`` raises what ``Decrypt`` would raise for the
key's current state (disabled, pending deletion, pending import, deleted), so such a key stops reads at once, as
it does on AWS. Key records come from the KMS key store's cache, which sees a change made by another node within
its poll period (``keystore.POLL_SECONDS``), as every KMS call does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from strongroom.services.kms.base import check_state
from strongroom.services.kms.errors import NotFoundException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime
    from strongroom.services.kms.keystore import KeyRecord, KeyStore


class _Keys(Protocol):
    keys: KeyStore

    def note_key_use(self, ctx: RequestContext, record: KeyRecord) -> None: ...


def usable_for_decrypt(runtime: ServiceRuntime, ctx: RequestContext, key_arn: str) -> bool:
    """True when ``Decrypt`` may use ``key_arn`` now; raises KMS's error when its state forbids it. False when the
    key is not one whose data keys may be reused (a custom key store's: its token must be asked every time).

    ``ctx`` is the authorized callee context (``reuse_call``): the use is noted on the key as ``Decrypt`` notes
    it (GetKeyLastUsage)."""
    provider: _Keys | None = runtime.providers.provider("kms")  # type: ignore[assignment]
    if provider is None:
        return False
    record = provider.keys.by_arn(key_arn)
    if record is None:
        raise NotFoundException(f"Key '{key_arn}' does not exist")
    check_state(record, "Decrypt")
    if record.custom_key_store_id is not None:
        return False
    provider.note_key_use(ctx, record)
    return True
