"""Key lifecycle: create, describe, list, enable/disable, description, last usage, and deletion.

ScheduleKeyDeletion puts the key in PendingDeletion and schedules a ``kms-delete`` job at its DeletionDate;
the job deletes the key row, every row that references it (material versions, tags, grants, ...) and its
aliases. A multi-Region primary key that still has replicas waits in PendingReplicaDeletion instead; its own
waiting period starts when its last replica is deleted, as AWS documents.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from sqlalchemy import Connection, delete, select, update

from strongroom.keyring.tokens import TokenError
from strongroom.scheduler.jobs import JobResult
from strongroom.services.kms import materials as mat
from strongroom.services.kms import model, notify
from strongroom.services.kms.base import KmsBase, check_state, default_policy, key_arn
from strongroom.services.kms.errors import (
    CustomKeyStoreInvalidStateException,
    KMSInternalException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord, alias_scope, new_material_id
from strongroom.services.kms.policies import check_policy_document, store_policy_meta
from strongroom.services.kms.specs import DEFAULT_USAGE, KEY_SPECS, UNSUPPORTED_KEY_SPECS
from strongroom.services.kms.tags import check_tags
from strongroom.services.kms.token_keys import (
    CLOUDHSM,
    CONNECTED,
    destroy_token_key,
    store_not_found,
    store_row,
)

if TYPE_CHECKING:
    from strongroom.scheduler.jobs import JobContext
    from strongroom.services.base.runtime import RequestContext

DELETE_JOB = "kms-delete"
MIN_PENDING_WINDOW_DAYS = 7
MAX_PENDING_WINDOW_DAYS = 30
DEFAULT_PENDING_WINDOW_DAYS = 30
_LIST_MARKER_KIND = "keys"

__all__ = ["DELETE_JOB", "KeyOperations", "check_policy_document", "new_key_id"]


class CallContext(Protocol):
    """What creating a key needs from its caller: a request, or a service creating an AWS managed key."""

    @property
    def account_id(self) -> str: ...

    @property
    def region(self) -> str: ...

    def now(self) -> datetime: ...


def new_key_id(multi_region: bool) -> str:
    return "mrk-" + secrets.token_hex(16) if multi_region else str(uuid.uuid4())


def _usage_for(spec: str, request: dict[str, Any]) -> str:
    if not request.get("KeyUsage") and spec != "SYMMETRIC_DEFAULT":
        # AWS's CreateKey: KeyUsage "is optional when you are creating a symmetric encryption KMS key;
        # otherwise, it is required" -- even for specs that allow a single usage (HMAC, secp256k1, ...).
        raise ValidationException(
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
        )
    usage: str = request.get("KeyUsage") or DEFAULT_USAGE
    info = KEY_SPECS[spec]
    if usage in info.usages:
        return usage
    if spec == "SYMMETRIC_DEFAULT":
        raise ValidationException(
            f"The operation failed because the KeyUsage value of the CMK is {usage}. "
            "To perform this operation, the KeyUsage value must be ENCRYPT_DECRYPT."
        )
    raise ValidationException(
        f"KeyUsage {usage} is not compatible with KeySpec {spec}. Valid key usages: {', '.join(info.usages)}"
    )


class KeyOperations(KmsBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {DELETE_JOB: "run_key_deletion"}

    # -- create, describe, list ----------------------------------------------------------------------------

    def create_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        spec = request.get("KeySpec")
        legacy_spec = request.get("CustomerMasterKeySpec")
        if spec and legacy_spec:
            raise ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec in the same request.")
        spec = spec or legacy_spec or "SYMMETRIC_DEFAULT"
        if spec in UNSUPPORTED_KEY_SPECS:
            raise UnsupportedOperationException(UNSUPPORTED_KEY_SPECS[spec])
        usage = _usage_for(spec, request)
        origin = request.get("Origin") or "AWS_KMS"
        if origin == "EXTERNAL_KEY_STORE" or request.get("XksKeyId"):
            raise UnsupportedOperationException("External key stores (XKS) are not supported by Strongroom.")
        if origin == "AWS_CLOUDHSM" or request.get("CustomKeyStoreId"):
            return {"KeyMetadata": self.key_metadata(self._create_token_key(ctx, request, spec, usage))}
        tags = request.get("Tags") or []
        check_tags(tags)
        policy = request.get("Policy") or default_policy(ctx.account_id)
        check_policy_document(policy)
        record = self.insert_key(
            ctx,
            spec=spec,
            usage=usage,
            origin=origin,
            description=request.get("Description", ""),
            policy=policy,
            multi_region=bool(request.get("MultiRegion")),
            tags=tags,
            key_manager="CUSTOMER",
            bypass_lockout=bool(request.get("BypassPolicyLockoutSafetyCheck")),
        )
        return {"KeyMetadata": self.key_metadata(record)}

    def _create_token_key(self, ctx: RequestContext, request: dict[str, Any], spec: str, usage: str) -> KeyRecord:
        """CreateKey with Origin=AWS_CLOUDHSM and CustomKeyStoreId: an AES-256 object on the store's token."""
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
        tags = request.get("Tags") or []
        check_tags(tags)
        policy = request.get("Policy") or default_policy(ctx.account_id)
        check_policy_document(policy)
        runtime = self.runtime
        with runtime.store.read() as conn:
            row = store_row(conn, ctx.account_id, ctx.region, store_id)
        if row is None:
            raise store_not_found(store_id)
        if row.connection_state != CONNECTED:
            raise CustomKeyStoreInvalidStateException(
                f"Custom key store {store_id} is not connected. Its ConnectionState is {row.connection_state}."
            )
        session = self.hsm.session(store_id)
        with runtime.store.write() as conn:
            record = self.insert_key(
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
                model.hsm_keys.insert().values(
                    key_arn=record.arn, custom_key_store_id=store_id, object_label=record.key_id
                )
            )
            try:
                session.generate_key(record.key_id)  # inside the transaction: no key row without its token object
            except TokenError:
                raise KMSInternalException("The HSM could not generate the key.") from None
        self.keys.forget([record.arn])
        fresh = self.keys.by_arn(record.arn)
        assert fresh is not None
        return fresh

    def insert_key(
        self,
        ctx: CallContext,
        *,
        spec: str,
        usage: str,
        origin: str,
        description: str,
        policy: str,
        multi_region: bool,
        tags: list[dict[str, str]],
        key_manager: str,
        conn: Connection | None = None,
        bypass_lockout: bool = False,
    ) -> KeyRecord:
        """Create the key row and, unless its material is imported later, its first material version."""
        key_id = new_key_id(multi_region)
        arn = key_arn(ctx.account_id, ctx.region, key_id)
        now = ctx.now()
        material_id: str | None = None
        public_key: bytes | None = None
        sealed: bytes | None = None
        if origin == "AWS_KMS":
            material, public_key = mat.generate(spec)
            material_id = new_material_id()
            sealed = self.keys.seal_material(arn, material_id, material)
        row = {
            "arn": arn,
            "key_id": key_id,
            "account_id": ctx.account_id,
            "region": ctx.region,
            "description": description,
            "key_usage": usage,
            "key_spec": spec,
            "origin": origin,
            "key_manager": key_manager,
            "state": "Enabled" if origin == "AWS_KMS" else "PendingImport",
            "created_at": now,
            "multi_region": multi_region,
            "primary_arn": arn if multi_region else None,
            "policy": policy,
            "rotation_enabled": False,
            "current_material_id": material_id,
            "public_key": public_key,
        }

        def write(c: Connection) -> None:
            c.execute(model.keys.insert().values(**row))
            if sealed is not None:
                c.execute(
                    model.materials.insert().values(
                        key_arn=arn, material_id=material_id, sealed=sealed, created_at=now, imported=False, seq=1
                    )
                )
            if tags:
                c.execute(
                    model.tags.insert(),
                    [{"key_arn": arn, "tag_key": t["TagKey"], "tag_value": t["TagValue"]} for t in tags],
                )
            if bypass_lockout:
                store_policy_meta(c, arn, bypass=True, now=now)

        if conn is not None:
            write(conn)
        else:
            with self.runtime.store.write() as c:
                write(c)
        record = self.keys.by_arn(arn, conn)
        assert record is not None
        return record

    def describe_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        # GrantTokens are accepted and, with grants not yet enforced, need no checking.
        record = self.find_key(ctx, request["KeyId"])
        return {"KeyMetadata": self.key_metadata(record)}

    def list_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        limit = request.get("Limit") or 100
        marker = request.get("Marker")
        stmt = (
            select(model.keys.c.key_id, model.keys.c.arn)
            .where(model.keys.c.account_id == ctx.account_id, model.keys.c.region == ctx.region)
            .order_by(model.keys.c.key_id)
            .limit(limit + 1)
        )
        if marker:
            stmt = stmt.where(model.keys.c.key_id > self.decode_marker(_LIST_MARKER_KIND, marker))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:limit]
        out: dict[str, Any] = {"Keys": [{"KeyId": r.key_id, "KeyArn": r.arn} for r in page], "Truncated": False}
        if len(rows) > limit:
            out["Truncated"] = True
            out["NextMarker"] = self.encode_marker(_LIST_MARKER_KIND, page[-1].key_id)
        return out

    # -- state and description ----------------------------------------------------------------------------

    def _set_key(self, record: KeyRecord, conn: Connection, **values: Any) -> None:
        conn.execute(update(model.keys).where(model.keys.c.arn == record.arn).values(**values))
        self.keys.changed(conn, [record.arn])

    def _change(self, record: KeyRecord, **values: Any) -> None:
        with self.runtime.store.write() as conn:
            self._set_key(record, conn, **values)
        self.keys.forget([record.arn])

    def enable_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        if record.state != "Enabled":
            self._change(record, state="Enabled")
        return {}

    def disable_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        if record.state != "Disabled":
            self._change(record, state="Disabled")
        return {}

    def update_key_description(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        self._change(record, description=request["Description"])
        return {}

    def get_key_last_usage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """From ``last_used_at``, which the cryptographic operations keep; tracking starts when the key does."""
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        usage: dict[str, Any] = {}
        if record.last_used_at is not None:
            usage["Timestamp"] = record.last_used_at
        return {
            "KeyId": record.key_id,
            "KeyLastUsage": usage,
            "TrackingStartDate": record.created_at,
            "KeyCreationDate": record.created_at,
        }

    # -- deletion -------------------------------------------------------------------------------------------

    def schedule_key_deletion(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        days = request.get("PendingWindowInDays")
        days = DEFAULT_PENDING_WINDOW_DAYS if days is None else days
        if days < MIN_PENDING_WINDOW_DAYS:
            raise ValidationException(
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
                f"constraint: Member must have value greater than or equal to {MIN_PENDING_WINDOW_DAYS}"
            )
        if days > MAX_PENDING_WINDOW_DAYS:
            raise ValidationException(
                f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
                f"constraint: Member must have value less than or equal to {MAX_PENDING_WINDOW_DAYS}"
            )
        with self.runtime.store.write() as conn:
            if record.is_primary and self._replica_arns(conn, record.arn):
                # The primary's waiting period begins only when its last replica is deleted.
                self._set_key(
                    record, conn, state="PendingReplicaDeletion", pending_window_days=days, deletion_date=None
                )
                out: dict[str, Any] = {"KeyId": record.arn, "KeyState": "PendingReplicaDeletion"}
            else:
                due = ctx.now() + timedelta(days=days)
                self._set_key(record, conn, state="PendingDeletion", pending_window_days=days, deletion_date=due)
                self.runtime.scheduler.schedule(DELETE_JOB, record.arn, due, {"key_arn": record.arn}, conn=conn)
                out = {"KeyId": record.arn, "KeyState": "PendingDeletion", "DeletionDate": due}
        self.keys.forget([record.arn])
        out["PendingWindowInDays"] = days
        return out

    def cancel_key_deletion(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        with self.runtime.store.write() as conn:
            # AWS leaves a key whose deletion was cancelled disabled.
            self._set_key(record, conn, state="Disabled", deletion_date=None, pending_window_days=None)
            self.runtime.scheduler.cancel(DELETE_JOB, record.arn, conn=conn)
        self.keys.forget([record.arn])
        return {"KeyId": record.arn}

    @staticmethod
    def _replica_arns(conn: Connection, primary: str) -> list[str]:
        rows = conn.execute(
            select(model.keys.c.arn).where(model.keys.c.primary_arn == primary, model.keys.c.arn != primary)
        ).all()
        return [r.arn for r in rows]

    def run_key_deletion(self, job: JobContext) -> JobResult | None:
        """Scheduler handler: delete the key if it is still pending deletion and due (idempotent)."""
        arn = job.payload.get("key_arn") or job.key
        with self.runtime.store.write() as conn:
            record = self.keys.by_arn(arn, conn)
            if record is None or record.state != "PendingDeletion" or record.deletion_date is None:
                return None  # already deleted, or the deletion was cancelled
            if record.deletion_date > job.now:
                return JobResult.again(record.deletion_date)
            if record.origin == "AWS_CLOUDHSM":  # its material is an object on a custom key store's token
                destroy_token_key(self.hsm, record)
            self.delete_key_rows(conn, record, job.now)
        self.keys.forget([a for a in (arn, record.primary_arn) if a] + [alias_scope(record.account_id, record.region)])
        notify.key_deleted(self.runtime, record, record.deletion_date)
        return None

    def delete_key_rows(self, conn: Connection, record: KeyRecord, now: datetime) -> None:
        """Remove the key and everything that names it, inside the caller's transaction.

        Every table with a foreign key to ``kms_keys.arn`` is cleared explicitly (so a family's new table needs
        no change here), then aliases, which name the key by id. A replica's primary waiting for its replicas
        starts its own waiting period when the last one goes.
        """
        for table in reversed(model.keys.metadata.sorted_tables):
            for fk in table.foreign_keys:
                if fk.column is model.keys.c.arn:
                    conn.execute(delete(table).where(fk.parent == record.arn))
        conn.execute(
            delete(model.aliases).where(
                model.aliases.c.account_id == record.account_id,
                model.aliases.c.region == record.region,
                model.aliases.c.key_id == record.key_id,
            )
        )
        conn.execute(delete(model.keys).where(model.keys.c.arn == record.arn))
        self.keys.changed(conn, [record.arn, alias_scope(record.account_id, record.region)])
        primary_arn = record.primary_arn
        if record.multi_region and primary_arn and primary_arn != record.arn:
            primary = self.keys.by_arn(primary_arn, conn)
            waiting = primary is not None and primary.state == "PendingReplicaDeletion"
            if primary is not None and waiting and not self._replica_arns(conn, primary_arn):
                days = primary.pending_window_days or DEFAULT_PENDING_WINDOW_DAYS
                due = now + timedelta(days=days)
                self._set_key(primary, conn, state="PendingDeletion", deletion_date=due)
                self.runtime.scheduler.schedule(DELETE_JOB, primary_arn, due, {"key_arn": primary_arn}, conn=conn)
