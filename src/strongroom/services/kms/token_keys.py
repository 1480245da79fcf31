"""The token side of AWS_CLOUDHSM custom key stores: this node's logged-in sessions, and the cipher for keys
whose material is a non-extractable object on a store's PKCS#11 token.

``token_backend`` is the seam crypto.py consults by a key's origin; keys.py creates and destroys token keys;
custom_key_stores.py holds the Create/Describe/Connect/Disconnect/Update/DeleteCustomKeyStore operations.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, select

from strongroom.core.errors import AwsError
from strongroom.keyring.hsm import DEFAULT_MODULE
from strongroom.keyring.tokens import TokenAuthError, TokenError, TokenSession
from strongroom.services.kms import ciphertext as ct
from strongroom.services.kms import model
from strongroom.services.kms.errors import (
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNotFoundException,
    InvalidCiphertextException,
    KMSInternalException,
)
from strongroom.services.kms.keystore import KeyRecord

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

log = logging.getLogger("strongroom.kms.hsm")

CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING, FAILED = (
    "CONNECTED",
    "CONNECTING",
    "DISCONNECTED",
    "DISCONNECTING",
    "FAILED",
)
CLOUDHSM = "AWS_CLOUDHSM"


def store_not_found(store_id: str | None = None, name: str | None = None) -> AwsError:
    what = store_id or name or ""
    return CustomKeyStoreNotFoundException(f"Custom key store {what} does not exist.")


def cluster_config(runtime: ServiceRuntime, cluster_id: str) -> dict[str, Any] | None:
    clusters = (runtime.config.extra.get("hsm") or {}).get("clusters") or {}
    found = clusters.get(cluster_id)
    return dict(found) if isinstance(found, dict) else None


# -- per-node token sessions ------------------------------------------------------------------------------


class HsmSessions:
    """This node's logged-in session per connected store, opened on first use and dropped on disconnect.

    One per KMS provider (``KmsBase.hsm``), so the sessions live and die with the runtime that serves KMS.
    """

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._sessions: dict[str, TokenSession] = {}

    def open_for(self, row: Row[Any]) -> TokenSession:
        """Log in to the store's token with its PIN; raises TokenError with an AWS ConnectionErrorCode."""
        cluster = cluster_config(self.runtime, row.cluster_id)
        if cluster is None or "token_label" not in cluster:
            raise TokenError("CLUSTER_NOT_FOUND", f"{row.cluster_id} is not configured in [hsm.clusters]")
        pin = self.runtime.seal.unwrap(
            row.password_sealed, model.custom_key_store_password_aad(row.custom_key_store_id)
        ).decode()
        return TokenSession(str(cluster.get("module", DEFAULT_MODULE)), str(cluster["token_label"]), pin).open()

    def remember(self, store_id: str, session: TokenSession) -> None:
        with self._lock:
            old = self._sessions.pop(store_id, None)
            self._sessions[store_id] = session
        if old is not None:
            old.close()

    def drop(self, store_id: str) -> None:
        with self._lock:
            session = self._sessions.pop(store_id, None)
        if session is not None:
            session.close()

    def session(self, store_id: str) -> TokenSession:
        with self._lock:
            session = self._sessions.get(store_id)
        if session is not None:
            return session
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(model.custom_key_stores).where(model.custom_key_stores.c.custom_key_store_id == store_id)
            ).first()
        if row is None or row.connection_state != CONNECTED:
            raise CustomKeyStoreInvalidStateException(f"Custom key store {store_id} is not connected.")
        try:
            session = self.open_for(row)
        except TokenError as exc:
            log.error("custom key store token unavailable", extra={"store": store_id, "code": exc.code})
            raise KMSInternalException(f"The HSM of custom key store {store_id} cannot be reached.") from None
        self.remember(store_id, session)
        return session

    def close_all(self) -> None:
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for s in sessions:
            s.close()


# -- the seam crypto.py uses ------------------------------------------------------------------------------


class TokenCipher:
    """Symmetric ciphertext computed by the token: KMS's header, a salt, then the token's AES-GCM output."""

    def __init__(self, sessions: HsmSessions, record: KeyRecord) -> None:
        self.sessions = sessions
        self.record = record

    def _session(self) -> TokenSession:
        store_id = self.record.custom_key_store_id
        if not store_id:
            raise KMSInternalException(f"{self.record.arn} names no custom key store.")
        return self.sessions.session(store_id)

    def seal(self, header: ct.Header, plaintext: bytes, context: dict[str, str] | None) -> bytes:
        head = header.encode()
        salt = secrets.token_bytes(16)
        try:
            body = self._session().encrypt(self.record.key_id, plaintext, head + salt + ct.canonical_context(context))
        except TokenError:
            raise KMSInternalException(f"The HSM could not encrypt with {self.record.arn}.") from None
        return head + salt + body

    def open(self, blob: bytes, offset: int, context: dict[str, str] | None) -> bytes:
        salt = blob[offset : offset + 16]
        try:
            return self._session().decrypt(
                self.record.key_id, blob[offset + 16 :], blob[:offset] + salt + ct.canonical_context(context)
            )
        except TokenAuthError:
            raise InvalidCiphertextException("") from None
        except TokenError:
            raise KMSInternalException(f"The HSM could not decrypt with {self.record.arn}.") from None


def token_backend(sessions: HsmSessions, record: KeyRecord) -> TokenCipher | None:
    """The cipher for keys whose material lives on a token (origin AWS_CLOUDHSM); None for every other key."""
    if record.origin != CLOUDHSM:
        return None
    return TokenCipher(sessions, record)


def token_random(sessions: HsmSessions, account_id: str, region: str, store_id: str, count: int) -> bytes:
    """GenerateRandom with CustomKeyStoreId: random bytes from the store's token."""
    with sessions.runtime.store.read() as conn:
        row = store_row(conn, account_id, region, store_id)
    if row is None:
        raise store_not_found(store_id)
    if row.connection_state != CONNECTED:
        raise CustomKeyStoreInvalidStateException(f"Custom key store {store_id} is not connected.")
    try:
        return sessions.session(store_id).random(count)
    except TokenError:
        raise KMSInternalException("The HSM could not generate random bytes.") from None


def destroy_token_key(sessions: HsmSessions, record: KeyRecord) -> None:
    """The kms-delete job: destroy the key's token object (if the store is connected; else it is left, as AWS
    leaves key material in a disconnected CloudHSM cluster for the operator to delete)."""
    store_id = record.custom_key_store_id
    if not store_id:
        return
    try:
        sessions.session(store_id).destroy_key(record.key_id)
    except Exception as exc:  # never block the KMS key's deletion on the HSM
        log.error("token object not destroyed", extra={"key": record.arn, "error": type(exc).__name__})


def store_row(conn: Connection, account_id: str, region: str, store_id: str) -> Row[Any] | None:
    t = model.custom_key_stores
    return conn.execute(
        select(t).where(t.c.custom_key_store_id == store_id, t.c.account_id == account_id, t.c.region == region)
    ).first()


def store_metadata(runtime: ServiceRuntime, record: KeyRecord) -> dict[str, Any]:
    """DescribeKey's CloudHsmClusterId for a key in a custom key store."""
    if not record.custom_key_store_id:
        return {}
    with runtime.store.read() as conn:
        cluster = conn.execute(
            select(model.custom_key_stores.c.cluster_id).where(
                model.custom_key_stores.c.custom_key_store_id == record.custom_key_store_id
            )
        ).scalar_one_or_none()
    return {"CloudHsmClusterId": cluster} if cluster else {}
