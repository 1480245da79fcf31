"""Custom key stores of type AWS_CLOUDHSM, backed by PKCS#11 tokens (SoftHSM2 in tests, a real HSM in production).

A store's CloudHsmClusterId names a "cluster" configured in strongroom.toml::

    [hsm.clusters.cluster-abcdefghijk]
    module = "/usr/lib/softhsm/libsofthsm2.so"
    token_label = "kms-store-1"
    trust_anchor_file = "/etc/strongroom/anchor.pem"   # optional: CreateCustomKeyStore must match it

KeyStorePassword is the token's user PIN, stored sealed. A key created in the store is an AES-256 object
generated inside the token, labelled with the KMS key id, sensitive and never extractable; Encrypt, Decrypt,
ReEncrypt and the data key operations run AES-GCM on the token through ``token_keys.token_backend`` (the seam
that crypto.py consults by the key's origin). The ciphertext keeps KMS's blob layout (ciphertext.py), so
Decrypt finds the key from the blob as for any other key. While the store is disconnected its keys show
KeyState Unavailable and refuse cryptographic operations with KMSInvalidStateException, as on AWS.
Connecting is synchronous here (AWS answers at once and connects in the background).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from sqlalchemy import Connection, Row, func, select, update

from strongroom.keyring.tokens import TokenError
from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase
from strongroom.services.kms.errors import (
    CloudHsmClusterInUseException,
    CloudHsmClusterInvalidConfigurationException,
    CloudHsmClusterNotFoundException,
    CloudHsmClusterNotRelatedException,
    CustomKeyStoreHasCMKsException,
    CustomKeyStoreInvalidStateException,
    CustomKeyStoreNameInUseException,
    IncorrectTrustAnchorException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.token_keys import (
    CLOUDHSM,
    CONNECTED,
    CONNECTING,
    DISCONNECTED,
    DISCONNECTING,
    FAILED,
    cluster_config,
    store_not_found,
    store_row,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

XKS_UNSUPPORTED = "External key stores (EXTERNAL_KEY_STORE) are not supported by Strongroom; see docs/hsm.md."
_MARKER_KIND = "cks"


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
        row = store_row(conn, ctx.account_id, ctx.region, store_id)
        if row is None:
            raise store_not_found(store_id)
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
                        request["KeyStorePassword"].encode(), model.custom_key_store_password_aad(store_id)
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
            stmt = stmt.where(t.c.custom_key_store_id > self.decode_marker(_MARKER_KIND, marker))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        if (store_id or name) and not rows:
            raise store_not_found(store_id, name)
        page = rows[:limit]
        out: dict[str, Any] = {"CustomKeyStores": [self._entry(r) for r in page], "Truncated": len(rows) > limit}
        if len(rows) > limit:
            out["NextMarker"] = self.encode_marker(_MARKER_KIND, page[-1].custom_key_store_id)
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
        sessions = self.hsm
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
        self.hsm.drop(store_id)
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
                    request["KeyStorePassword"].encode(), model.custom_key_store_password_aad(store_id)
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
