"""Custom key stores of type AWS_CLOUDHSM, backed by PKCS#11 tokens (SoftHSM2 in tests, a real HSM in production).

A store's CloudHsmClusterId names a "cluster" configured in strongroom.toml::

    [hsm.clusters.cluster-abcdefghijk]
    module = "/usr/lib/softhsm/libsofthsm2.so"
    token_label = "kms-store-1"
    trust_anchor_file = "/etc/strongroom/anchor.pem"   # optional: CreateCustomKeyStore must match it

KeyStorePassword is the token's user PIN, stored sealed. A key created in the store is an AES-256 object
generated inside the token, labelled with the KMS key id, sensitive and never extractable; Encrypt, Decrypt,
ReEncrypt and the data key operations run AES-GCM on the token through ``token_backend`` (the seam that
crypto.py consults by the key's origin). The ciphertext keeps KMS's blob layout (ciphertext.py), so
Decrypt finds the key from the blob as for any other key. While the store is disconnected its keys show
KeyState Unavailable and refuse cryptographic operations with KMSInvalidStateException, as on AWS.
Connecting is synchronous here (AWS answers at once and connects in the background).
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any

from cryptography import x509
from sqlalchemy import Connection, Row, func, select, update

from strongroom.core.errors import AwsError, error_class
from strongroom.keyring.tokens import TokenAuthError, TokenError, TokenSession
from strongroom.services.kms import ciphertext as ct
from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase
from strongroom.services.kms.errors import (
    CustomKeyStoreNotFoundException,
    InvalidCiphertextException,
    InvalidMarkerException,
    KMSInternalException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord, new_material_id

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime
    from strongroom.services.kms.keys import KeyOperations

log = logging.getLogger("strongroom.kms.hsm")

CloudHsmClusterInUseException = error_class("CloudHsmClusterInUseException")
CloudHsmClusterInvalidConfigurationException = error_class("CloudHsmClusterInvalidConfigurationException")
CloudHsmClusterNotActiveException = error_class("CloudHsmClusterNotActiveException")
CloudHsmClusterNotFoundException = error_class("CloudHsmClusterNotFoundException")
CloudHsmClusterNotRelatedException = error_class("CloudHsmClusterNotRelatedException")
CustomKeyStoreHasCMKsException = error_class("CustomKeyStoreHasCMKsException")
CustomKeyStoreInvalidStateException = error_class("CustomKeyStoreInvalidStateException")
CustomKeyStoreNameInUseException = error_class("CustomKeyStoreNameInUseException")
IncorrectTrustAnchorException = error_class("IncorrectTrustAnchorException")

CONNECTED, CONNECTING, DISCONNECTED, DISCONNECTING, FAILED = (
    "CONNECTED",
    "CONNECTING",
    "DISCONNECTED",
    "DISCONNECTING",
    "FAILED",
)
CLOUDHSM = "AWS_CLOUDHSM"
XKS_UNSUPPORTED = "External key stores (EXTERNAL_KEY_STORE) are not supported by Strongroom; see docs/hsm.md."
_MARKER_PREFIX = "cks:"


def _password_aad(store_id: str) -> bytes:
    return f"kms:custom-key-store:{store_id}".encode()


def _not_found(store_id: str | None = None, name: str | None = None) -> AwsError:
    what = store_id or name or ""
    return CustomKeyStoreNotFoundException(f"Custom key store {what} does not exist.")


def cluster_config(runtime: ServiceRuntime, cluster_id: str) -> dict[str, Any] | None:
    clusters = (runtime.config.extra.get("hsm") or {}).get("clusters") or {}
    found = clusters.get(cluster_id)
    return dict(found) if isinstance(found, dict) else None


# -- per-node token sessions ------------------------------------------------------------------------------


class HsmSessions:
    """This node's logged-in session per connected store, opened on first use and dropped on disconnect."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._lock = threading.Lock()
        self._sessions: dict[str, TokenSession] = {}

    def open_for(self, row: Row[Any]) -> TokenSession:
        """Log in to the store's token with its PIN; raises TokenError with an AWS ConnectionErrorCode."""
        cluster = cluster_config(self.runtime, row.cluster_id)
        if cluster is None or "token_label" not in cluster:
            raise TokenError("CLUSTER_NOT_FOUND", f"{row.cluster_id} is not configured in [hsm.clusters]")
        pin = self.runtime.seal.unwrap(row.password_sealed, _password_aad(row.custom_key_store_id)).decode()
        from strongroom.keyring.hsm import DEFAULT_MODULE

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


_sessions_lock = threading.Lock()


def hsm_for(runtime: ServiceRuntime) -> HsmSessions:
    """The runtime's sessions, kept on the runtime itself so they live and die with it."""
    with _sessions_lock:
        found: HsmSessions | None = getattr(runtime, "_kms_hsm_sessions", None)
        if found is None:
            found = HsmSessions(runtime)
            setattr(runtime, "_kms_hsm_sessions", found)  # noqa: B010 - Runtime declares no such field
        return found


# -- the seam crypto.py uses ------------------------------------------------------------------------------


class TokenCipher:
    """Symmetric ciphertext computed by the token: KMS's header, a salt, then the token's AES-GCM output."""

    def __init__(self, runtime: ServiceRuntime, record: KeyRecord) -> None:
        self.runtime = runtime
        self.record = record

    def _session(self) -> TokenSession:
        store_id = self.record.custom_key_store_id
        if not store_id:
            raise KMSInternalException(f"{self.record.arn} names no custom key store.")
        return hsm_for(self.runtime).session(store_id)

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


def token_backend(runtime: ServiceRuntime, record: KeyRecord) -> TokenCipher | None:
    """The cipher for keys whose material lives on a token (origin AWS_CLOUDHSM); None for every other key."""
    if record.origin != CLOUDHSM:
        return None
    return TokenCipher(runtime, record)


def token_random(runtime: ServiceRuntime, account_id: str, region: str, store_id: str, count: int) -> bytes:
    """GenerateRandom with CustomKeyStoreId: random bytes from the store's token."""
    with runtime.store.read() as conn:
        row = _store_row(conn, account_id, region, store_id)
    if row is None:
        raise _not_found(store_id)
    if row.connection_state != CONNECTED:
        raise CustomKeyStoreInvalidStateException(f"Custom key store {store_id} is not connected.")
    try:
        return hsm_for(runtime).session(store_id).random(count)
    except TokenError:
        raise KMSInternalException("The HSM could not generate random bytes.") from None


def destroy_token_key(runtime: ServiceRuntime, record: KeyRecord) -> None:
    """The kms-delete job: destroy the key's token object (if the store is connected; else it is left, as AWS
    leaves key material in a disconnected CloudHSM cluster for the operator to delete)."""
    store_id = record.custom_key_store_id
    if not store_id:
        return
    try:
        hsm_for(runtime).session(store_id).destroy_key(record.key_id)
    except Exception as exc:  # never block the KMS key's deletion on the HSM
        log.error("token object not destroyed", extra={"key": record.arn, "error": type(exc).__name__})


def create_token_key(ops: KeyOperations, ctx: RequestContext, request: dict[str, Any], spec: str, usage: str) -> Any:
    """CreateKey with Origin=AWS_CLOUDHSM and CustomKeyStoreId (called from keys.py)."""
    origin = request.get("Origin") or "AWS_KMS"
    store_id = request.get("CustomKeyStoreId")
    if origin != CLOUDHSM:
        raise UnsupportedOperationException(
            f"Origin {origin} is not valid with a CustomKeyStoreId: keys in an AWS CloudHSM key store need "
            "Origin AWS_CLOUDHSM."
        )
    if not store_id:
        raise ValidationException("A CustomKeyStoreId is required when Origin is AWS_CLOUDHSM.")
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        raise UnsupportedOperationException(
            "AWS CloudHSM key stores support only symmetric encryption keys (SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT)."
        )
    if request.get("MultiRegion"):
        raise UnsupportedOperationException("Multi-Region keys cannot be created in a custom key store.")
    from strongroom.services.kms.base import default_policy
    from strongroom.services.kms.keys import check_policy_document
    from strongroom.services.kms.tags import check_tags

    tags = request.get("Tags") or []
    check_tags(tags)
    policy = request.get("Policy") or default_policy(ctx.account_id)
    check_policy_document(policy)
    runtime = ops.runtime
    with runtime.store.read() as conn:
        row = _store_row(conn, ctx.account_id, ctx.region, store_id)
    if row is None:
        raise _not_found(store_id)
    if row.connection_state != CONNECTED:
        raise CustomKeyStoreInvalidStateException(
            f"Custom key store {store_id} is not connected. Its ConnectionState is {row.connection_state}."
        )
    session = hsm_for(runtime).session(store_id)
    with runtime.store.write() as conn:
        record = ops.insert_key(
            ctx,
            spec=spec,
            usage=usage,
            origin=CLOUDHSM,
            description=request.get("Description", ""),
            policy=policy,
            multi_region=False,
            tags=tags,
            key_manager="CUSTOMER",
            conn=conn,
            bypass_lockout=bool(request.get("BypassPolicyLockoutSafetyCheck")),
        )
        conn.execute(
            update(model.keys)
            .where(model.keys.c.arn == record.arn)
            .values(state="Enabled", custom_key_store_id=store_id, current_material_id=new_material_id())
        )
        conn.execute(
            model.hsm_keys.insert().values(key_arn=record.arn, custom_key_store_id=store_id, object_label=record.key_id)
        )
        try:
            session.generate_key(record.key_id)  # inside the transaction: no key row without its token object
        except TokenError:
            raise KMSInternalException("The HSM could not generate the key.") from None
    ops.keys.forget([record.arn])
    fresh = ops.keys.by_arn(record.arn)
    assert fresh is not None
    return fresh


def _store_row(conn: Connection, account_id: str, region: str, store_id: str) -> Row[Any] | None:
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


def _check_trust_anchor(runtime: ServiceRuntime, cluster_id: str, pem: str) -> None:
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise IncorrectTrustAnchorException(
            "The trust anchor certificate in the request is not the trust anchor certificate for the specified "
            "AWS CloudHSM cluster."
        ) from None
    expected = (cluster_config(runtime, cluster_id) or {}).get("trust_anchor_file")
    if expected:
        from pathlib import Path

        try:
            anchor = x509.load_pem_x509_certificate(Path(str(expected)).read_bytes())
        except (OSError, ValueError):
            raise CloudHsmClusterInvalidConfigurationException(
                f"The trust anchor file configured for {cluster_id} cannot be read."
            ) from None
        if anchor != cert:
            raise IncorrectTrustAnchorException(
                "The trust anchor certificate in the request is not the trust anchor certificate for the "
                "specified AWS CloudHSM cluster."
            )


class CustomKeyStoreOperations(KmsBase):
    """Create/Describe/Connect/Disconnect/Update/DeleteCustomKeyStore."""

    def _store(self, conn: Connection, ctx: RequestContext, store_id: str) -> Row[Any]:
        row = _store_row(conn, ctx.account_id, ctx.region, store_id)
        if row is None:
            raise _not_found(store_id)
        return row

    def _require_cluster(self, cluster_id: str) -> None:
        if cluster_config(self.runtime, cluster_id) is None:
            raise CloudHsmClusterNotFoundException(f"AWS CloudHSM cluster {cluster_id} not found.")

    def _cluster_in_use(self, conn: Connection, cluster_id: str, other_than: str | None = None) -> None:
        t = model.custom_key_stores
        stmt = select(t.c.custom_key_store_id).where(t.c.cluster_id == cluster_id)
        if other_than:
            stmt = stmt.where(t.c.custom_key_store_id != other_than)
        if conn.execute(stmt).first() is not None:
            raise CloudHsmClusterInUseException(
                f"AWS CloudHSM cluster {cluster_id} is already associated with a custom key store."
            )

    def _name_in_use(self, conn: Connection, ctx: RequestContext, name: str) -> None:
        t = model.custom_key_stores
        hit = conn.execute(
            select(t.c.custom_key_store_id).where(
                t.c.account_id == ctx.account_id, t.c.region == ctx.region, t.c.name == name
            )
        ).first()
        if hit is not None:
            raise CustomKeyStoreNameInUseException(f"Custom key store name {name} is already in use.")

    def create_custom_key_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = request.get("CustomKeyStoreType") or CLOUDHSM
        if kind != CLOUDHSM:
            raise UnsupportedOperationException(XKS_UNSUPPORTED)
        for member in ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword"):
            if not request.get(member):
                raise ValidationException(f"{member} is required for a custom key store of type {CLOUDHSM}.")
        name, cluster_id = request["CustomKeyStoreName"], request["CloudHsmClusterId"]
        self._require_cluster(cluster_id)
        _check_trust_anchor(self.runtime, cluster_id, request["TrustAnchorCertificate"])
        store_id = "cks-" + secrets.token_hex(9)[:17]
        with self.runtime.store.write() as conn:
            self._name_in_use(conn, ctx, name)
            self._cluster_in_use(conn, cluster_id)
            conn.execute(
                model.custom_key_stores.insert().values(
                    custom_key_store_id=store_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    store_type=CLOUDHSM,
                    cluster_id=cluster_id,
                    trust_anchor=request["TrustAnchorCertificate"],
                    password_sealed=self.runtime.seal.wrap(
                        request["KeyStorePassword"].encode(), _password_aad(store_id)
                    ),
                    connection_state=DISCONNECTED,
                    connection_error_code=None,
                    created_at=ctx.now(),
                )
            )
        return {"CustomKeyStoreId": store_id}

    def describe_custom_key_stores(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        t = model.custom_key_stores
        limit = request.get("Limit") or 100
        stmt = (
            select(t)
            .where(t.c.account_id == ctx.account_id, t.c.region == ctx.region)
            .order_by(t.c.custom_key_store_id)
            .limit(limit + 1)
        )
        store_id, name = request.get("CustomKeyStoreId"), request.get("CustomKeyStoreName")
        if store_id:
            stmt = stmt.where(t.c.custom_key_store_id == store_id)
        if name:
            stmt = stmt.where(t.c.name == name)
        marker = request.get("Marker")
        if marker:
            after = self.decode_marker(marker)
            if not after.startswith(_MARKER_PREFIX):
                raise InvalidMarkerException("The request contains an invalid marker.")
            stmt = stmt.where(t.c.custom_key_store_id > after[len(_MARKER_PREFIX) :])
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        if (store_id or name) and not rows:
            raise _not_found(store_id, name)
        page = rows[:limit]
        out: dict[str, Any] = {"CustomKeyStores": [self._entry(r) for r in page], "Truncated": len(rows) > limit}
        if len(rows) > limit:
            out["NextMarker"] = self.encode_marker(_MARKER_PREFIX + page[-1].custom_key_store_id)
        return out

    @staticmethod
    def _entry(row: Row[Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "CustomKeyStoreId": row.custom_key_store_id,
            "CustomKeyStoreName": row.name,
            "CloudHsmClusterId": row.cluster_id,
            "TrustAnchorCertificate": row.trust_anchor,
            "ConnectionState": row.connection_state,
            "CreationDate": row.created_at,
            "CustomKeyStoreType": row.store_type,
        }
        if row.connection_state == FAILED and row.connection_error_code:
            entry["ConnectionErrorCode"] = row.connection_error_code
        return entry

    def _set_keys_available(self, conn: Connection, store_id: str, available: bool) -> list[str]:
        """Keys show Unavailable while their store is disconnected, and get their own state back after."""
        hk, keys = model.hsm_keys, model.keys
        rows = conn.execute(
            select(hk.c.key_arn, hk.c.prior_state, keys.c.state)
            .join(keys, keys.c.arn == hk.c.key_arn)
            .where(hk.c.custom_key_store_id == store_id)
        ).all()
        changed = []
        for r in rows:
            if not available and r.state in ("Enabled", "Disabled"):
                conn.execute(update(hk).where(hk.c.key_arn == r.key_arn).values(prior_state=r.state))
                conn.execute(update(keys).where(keys.c.arn == r.key_arn).values(state="Unavailable"))
                changed.append(r.key_arn)
            elif available and r.state == "Unavailable":
                conn.execute(update(keys).where(keys.c.arn == r.key_arn).values(state=r.prior_state or "Enabled"))
                conn.execute(update(hk).where(hk.c.key_arn == r.key_arn).values(prior_state=None))
                changed.append(r.key_arn)
        if changed:
            self.keys.changed(conn, changed)
        return changed

    def _set_state(self, store_id: str, state: str, code: str | None, available: bool | None) -> None:
        t = model.custom_key_stores
        with self.runtime.store.write() as conn:
            conn.execute(
                update(t)
                .where(t.c.custom_key_store_id == store_id)
                .values(connection_state=state, connection_error_code=code)
            )
            changed = self._set_keys_available(conn, store_id, available) if available is not None else []
        if changed:
            self.keys.forget(changed)

    def connect_custom_key_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store_id = request["CustomKeyStoreId"]
        with self.runtime.store.read() as conn:
            row = self._store(conn, ctx, store_id)
        if row.connection_state in (DISCONNECTING, FAILED):
            raise CustomKeyStoreInvalidStateException(
                f"Custom key store {store_id} is {row.connection_state}: disconnect it before connecting again."
            )
        if row.connection_state == CONNECTED:
            return {}
        self._set_state(store_id, CONNECTING, None, None)
        sessions = hsm_for(self.runtime)
        try:
            session = sessions.open_for(row)
        except TokenError as exc:
            self._set_state(store_id, FAILED, exc.code, None)
            return {}
        sessions.remember(store_id, session)
        self._set_state(store_id, CONNECTED, None, True)
        return {}

    def disconnect_custom_key_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store_id = request["CustomKeyStoreId"]
        with self.runtime.store.read() as conn:
            row = self._store(conn, ctx, store_id)
        if row.connection_state in (DISCONNECTED, DISCONNECTING):
            raise CustomKeyStoreInvalidStateException(f"Custom key store {store_id} is already disconnected.")
        hsm_for(self.runtime).drop(store_id)
        self._set_state(store_id, DISCONNECTED, None, False)
        return {}

    def update_custom_key_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store_id = request["CustomKeyStoreId"]
        if any(k.startswith("Xks") for k in request):
            raise UnsupportedOperationException(XKS_UNSUPPORTED)
        t = model.custom_key_stores
        values: dict[str, Any] = {}
        with self.runtime.store.write() as conn:
            row = self._store(conn, ctx, store_id)
            needs_disconnect = bool(request.get("KeyStorePassword") or request.get("CloudHsmClusterId"))
            if needs_disconnect and row.connection_state != DISCONNECTED:
                raise CustomKeyStoreInvalidStateException(
                    f"Custom key store {store_id} must be disconnected to change its password or cluster."
                )
            new_name = request.get("NewCustomKeyStoreName")
            if new_name and new_name != row.name:
                self._name_in_use(conn, ctx, new_name)
                values["name"] = new_name
            if request.get("KeyStorePassword"):
                values["password_sealed"] = self.runtime.seal.wrap(
                    request["KeyStorePassword"].encode(), _password_aad(store_id)
                )
            cluster_id = request.get("CloudHsmClusterId")
            if cluster_id and cluster_id != row.cluster_id:
                self._require_cluster(cluster_id)
                self._cluster_in_use(conn, cluster_id, other_than=store_id)
                old = cluster_config(self.runtime, row.cluster_id) or {}
                new = cluster_config(self.runtime, cluster_id) or {}
                if old.get("token_label") != new.get("token_label"):
                    raise CloudHsmClusterNotRelatedException(
                        f"AWS CloudHSM cluster {cluster_id} is not related to the cluster of {store_id}: it must "
                        "hold the same token (a backup or clone of it)."
                    )
                values["cluster_id"] = cluster_id
            if values:
                conn.execute(update(t).where(t.c.custom_key_store_id == store_id).values(**values))
        return {}

    def delete_custom_key_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store_id = request["CustomKeyStoreId"]
        t = model.custom_key_stores
        with self.runtime.store.write() as conn:
            row = self._store(conn, ctx, store_id)
            if row.connection_state != DISCONNECTED:
                raise CustomKeyStoreInvalidStateException(
                    f"Custom key store {store_id} must be disconnected before it is deleted."
                )
            count = conn.execute(
                select(func.count()).select_from(model.keys).where(model.keys.c.custom_key_store_id == store_id)
            ).scalar_one()
            if count:
                raise CustomKeyStoreHasCMKsException(
                    f"Custom key store {store_id} cannot be deleted because it contains KMS keys."
                )
            conn.execute(t.delete().where(t.c.custom_key_store_id == store_id))
        return {}
