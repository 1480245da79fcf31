"""Key rotation: Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations.

A rotation adds a material version (``seq`` + 1) and points ``current_material_id`` at it; older versions stay
so their ciphertexts keep decrypting. Related multi-Region keys rotate together, in one transaction, with the
same material id (ciphertext headers name it) sealed under each key's own ARN. Scheduled rotation is one
``kms-rotate`` job per key (per multi-Region key set), keyed by account and key id so it survives
UpdatePrimaryRegion. AWS managed keys are picked up by a daily ``kms-rotate-managed`` sweep and rotate yearly.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from strongroom.core.clock import clock
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.kms import model, notify
from strongroom.services.kms.base import KmsBase, check_state
from strongroom.services.kms.errors import (
    ConflictException,
    InvalidMarkerException,
    KMSInvalidStateException,
    LimitExceededException,
    UnsupportedOperationException,
)
from strongroom.services.kms.keystore import KeyRecord, new_material_id

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

log = logging.getLogger(__name__)

DEFAULT_ROTATION_DAYS = 365
MANAGED_ROTATION_DAYS = 365  # AWS managed keys rotate yearly (since May 2022)
MAX_ON_DEMAND_ROTATIONS = 25  # AWS KMS resource quota "On-demand rotations", not adjustable
DEFAULT_LIST_LIMIT = 100
_MARKER_KIND = "rot"
ROTATE_JOB = "kms-rotate"
MANAGED_SWEEP_JOB = "kms-rotate-managed"
MANAGED_SWEEP_EVERY = timedelta(days=1)


def rotation_job_key(record: KeyRecord) -> str:
    """One job per key, or per set of related multi-Region keys (they share account and key id)."""
    return f"{record.account_id}:{record.key_id}"


def related_records(conn: Connection, record: KeyRecord) -> list[KeyRecord]:
    """The key itself, or every related multi-Region key (primary first)."""
    if not record.multi_region:
        row = conn.execute(select(model.keys).where(model.keys.c.arn == record.arn)).first()
        return [KeyRecord.from_row(row)] if row is not None else []
    rows = conn.execute(
        select(model.keys).where(model.keys.c.account_id == record.account_id, model.keys.c.key_id == record.key_id)
    ).all()
    records = [KeyRecord.from_row(r) for r in rows]
    return sorted(records, key=lambda r: (not r.is_primary, r.region))


def next_seq(conn: Connection, key_arn: str) -> int:
    current = conn.execute(
        select(func.coalesce(func.max(model.materials.c.seq), 0)).where(model.materials.c.key_arn == key_arn)
    ).scalar_one()
    return int(current) + 1


def rotation_unsupported(record: KeyRecord) -> str | None:
    """AWS's reason a key cannot rotate (automatic or on demand), or None."""
    if record.key_spec != "SYMMETRIC_DEFAULT":
        return f"{record.arn} is not a symmetric encryption KMS key."
    if record.custom_key_store_id:
        return f"{record.arn} is in a custom key store which is not valid for this operation."
    if record.origin != "AWS_KMS":
        return f"{record.arn} origin is {record.origin} which is not valid for this operation."
    return None


class RotationOperations(KmsBase):
    scheduled_jobs = {ROTATE_JOB: "_run_rotation_job", MANAGED_SWEEP_JOB: "_run_managed_sweep"}

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self._start_managed_sweep()

    def reset(self) -> None:
        super().reset()
        self._start_managed_sweep()

    def _start_managed_sweep(self) -> None:
        scheduler = self.runtime.scheduler
        try:
            if scheduler.get_job(MANAGED_SWEEP_JOB, "all") is None:
                scheduler.schedule(MANAGED_SWEEP_JOB, "all", self._now())
        except Exception:  # the store may not be migrated yet in tooling that builds providers
            log.warning("could not schedule the AWS managed key rotation sweep", exc_info=True)

    @staticmethod
    def _now() -> datetime:
        return clock.now()

    # -- checks -------------------------------------------------------------------------------------------

    def _rotatable_key(self, ctx: RequestContext, key_ref: str) -> KeyRecord:
        record = self.find_key(ctx, key_ref)
        reason = rotation_unsupported(record)
        if reason is not None:
            raise UnsupportedOperationException(reason)
        if record.multi_region and not record.is_primary:
            raise UnsupportedOperationException(f"{record.arn} is not a multi-Region primary key.")
        check_state(record, ctx.operation)
        return record

    # -- automatic rotation ---------------------------------------------------------------------------------

    def enable_key_rotation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._rotatable_key(ctx, request["KeyId"])
        period = request.get("RotationPeriodInDays") or DEFAULT_ROTATION_DAYS
        now = ctx.now()
        next_at = now + timedelta(days=period)
        if record.rotation_enabled and record.next_rotation_at and record.rotation_period_days:
            # Changing the period keeps the schedule's anchor (the last rotation or the enable date).
            anchor = record.next_rotation_at - timedelta(days=record.rotation_period_days)
            next_at = max(now, anchor + timedelta(days=period))
        with self.runtime.store.write() as conn:
            arns = self._set_rotation(conn, record, enabled=True, period=period, next_at=next_at)
            self.runtime.scheduler.schedule(
                ROTATE_JOB, rotation_job_key(record), next_at, {"arn": record.arn}, conn=conn
            )
        self.keys.forget(arns)
        return {}

    def disable_key_rotation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self._rotatable_key(ctx, request["KeyId"])
        with self.runtime.store.write() as conn:
            arns = self._set_rotation(conn, record, enabled=False, period=record.rotation_period_days, next_at=None)
            self.runtime.scheduler.cancel(ROTATE_JOB, rotation_job_key(record), conn=conn)
        self.keys.forget(arns)
        return {}

    def _set_rotation(
        self, conn: Connection, record: KeyRecord, *, enabled: bool, period: int | None, next_at: datetime | None
    ) -> list[str]:
        """Rotation status is shared by related multi-Region keys: set it on all of them."""
        arns = [r.arn for r in related_records(conn, record)]
        conn.execute(
            update(model.keys)
            .where(model.keys.c.arn.in_(arns))
            .values(rotation_enabled=enabled, rotation_period_days=period, next_rotation_at=next_at)
        )
        self.keys.changed(conn, arns)
        return arns

    def get_key_rotation_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        out: dict[str, Any] = {"KeyId": record.arn, "KeyRotationEnabled": False}
        # Keys that cannot rotate answer "not enabled" (AWS stopped answering UnsupportedOperationException).
        if rotation_unsupported(record) is not None or record.state == "PendingDeletion":
            return out
        if record.key_manager == "AWS":
            out["KeyRotationEnabled"] = True
            out["RotationPeriodInDays"] = MANAGED_ROTATION_DAYS
            out["NextRotationDate"] = record.next_rotation_at or self._managed_next(record)
        elif record.rotation_enabled:
            out["KeyRotationEnabled"] = True
            out["RotationPeriodInDays"] = record.rotation_period_days or DEFAULT_ROTATION_DAYS
            if record.next_rotation_at is not None:
                out["NextRotationDate"] = record.next_rotation_at
        if record.on_demand_rotation_at is not None:
            out["OnDemandRotationStartDate"] = record.on_demand_rotation_at
        return out

    def _managed_next(self, record: KeyRecord) -> datetime:
        next_at = record.created_at + timedelta(days=MANAGED_ROTATION_DAYS)
        while next_at < self._now():
            next_at += timedelta(days=MANAGED_ROTATION_DAYS)
        return next_at

    # -- on demand ------------------------------------------------------------------------------------------

    def rotate_key_on_demand(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        if record.key_spec != "SYMMETRIC_DEFAULT" or record.custom_key_store_id:
            raise UnsupportedOperationException(rotation_unsupported(record) or "")
        if record.origin == "EXTERNAL" and record.multi_region:
            raise UnsupportedOperationException(
                f"{record.arn} is a multi-Region key with imported key material which is not valid for this operation."
            )
        if record.origin not in ("AWS_KMS", "EXTERNAL"):
            raise UnsupportedOperationException(rotation_unsupported(record) or "")
        if record.multi_region and not record.is_primary:
            raise UnsupportedOperationException(f"{record.arn} is not a multi-Region primary key.")
        check_state(record, ctx.operation)
        now = ctx.now()
        with self.runtime.store.write() as conn:
            done = conn.execute(
                select(func.count()).where(
                    model.materials.c.key_arn == record.arn, model.materials.c.rotation_type == "ON_DEMAND"
                )
            ).scalar_one()
            if done >= MAX_ON_DEMAND_ROTATIONS:
                raise LimitExceededException(
                    f"The on-demand rotations quota ({MAX_ON_DEMAND_ROTATIONS}) for {record.arn} has been reached."
                )
            if record.origin == "EXTERNAL":
                arns = self._promote_pending_import(conn, record, now)
            else:
                arns = self.rotate_in(conn, record, "ON_DEMAND", now)
        self.keys.forget(arns)
        return {"KeyId": record.arn}

    def _promote_pending_import(self, conn: Connection, record: KeyRecord, now: datetime) -> list[str]:
        """Imported keys rotate to the newest material imported with ImportType NEW_KEY_MATERIAL."""
        current_seq = conn.execute(
            select(model.materials.c.seq).where(
                model.materials.c.key_arn == record.arn, model.materials.c.material_id == record.current_material_id
            )
        ).scalar_one_or_none()
        pending = conn.execute(
            select(model.materials.c.material_id)
            .where(
                model.materials.c.key_arn == record.arn,
                model.materials.c.seq > (current_seq or 0),
                model.materials.c.sealed.is_not(None),
            )
            .order_by(model.materials.c.seq.desc())
        ).first()
        if pending is None:
            raise KMSInvalidStateException(
                f"{record.arn} has no key material in PENDING_ROTATION state. "
                "Import new key material with ImportType NEW_KEY_MATERIAL first."
            )
        self._make_current(conn, record, pending.material_id, record.current_material_id)
        conn.execute(
            update(model.materials)
            .where(model.materials.c.key_arn == record.arn, model.materials.c.material_id == pending.material_id)
            .values(rotation_type="ON_DEMAND", created_at=now)
        )
        valid_to, model_name = conn.execute(
            select(model.materials.c.valid_to, model.materials.c.expiration_model).where(
                model.materials.c.key_arn == record.arn, model.materials.c.material_id == pending.material_id
            )
        ).one()
        conn.execute(
            update(model.keys)
            .where(model.keys.c.arn == record.arn)
            .values(valid_to=valid_to, expiration_model=model_name)
        )
        self.keys.changed(conn, [record.arn])
        return [record.arn]

    def _make_current(self, conn: Connection, record: KeyRecord, material_id: str, expected: str | None) -> None:
        """Compare-and-set: a concurrent rotation of the same key loses with ConflictException."""
        changed = conn.execute(
            update(model.keys)
            .where(model.keys.c.arn == record.arn, model.keys.c.current_material_id == expected)
            .values(current_material_id=material_id, on_demand_rotation_at=None)
        ).rowcount
        if changed != 1:
            raise ConflictException(f"A key rotation is already in progress for {record.arn}. Try again later.")

    def rotate_in(self, conn: Connection, record: KeyRecord, rotation_type: str, now: datetime) -> list[str]:
        """Add one new material version to the key and every related multi-Region key; returns their ARNs."""
        material = os.urandom(32)
        material_id = new_material_id()
        related = related_records(conn, record)
        for rec in related:
            conn.execute(
                model.materials.insert().values(
                    key_arn=rec.arn,
                    material_id=material_id,
                    sealed=self.keys.seal_material(rec.arn, material_id, material),
                    created_at=now,
                    rotation_type=rotation_type,
                    imported=False,
                    seq=next_seq(conn, rec.arn),
                )
            )
            self._make_current(conn, rec, material_id, rec.current_material_id)
        arns = [r.arn for r in related]
        self.keys.changed(conn, arns)
        return arns

    # -- listing --------------------------------------------------------------------------------------------

    def list_key_rotations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        if record.key_spec != "SYMMETRIC_DEFAULT" or record.custom_key_store_id:
            raise UnsupportedOperationException(rotation_unsupported(record) or "")
        check_state(record, ctx.operation)
        include_all = request.get("IncludeKeyMaterial") == "ALL_KEY_MATERIAL"
        limit = request.get("Limit") or DEFAULT_LIST_LIMIT
        start = 0
        if request.get("Marker"):
            decoded = self.decode_marker(_MARKER_KIND, request["Marker"])
            if not decoded.isdigit():
                raise self._bad_marker()
            start = int(decoded)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.materials)
                .where(model.materials.c.key_arn == record.arn, model.materials.c.seq > start)
                .order_by(model.materials.c.seq)
            ).all()
            current_seq = max((r.seq for r in rows if r.material_id == record.current_material_id), default=None)
            if current_seq is None and record.current_material_id:
                current_seq = conn.execute(
                    select(model.materials.c.seq).where(
                        model.materials.c.key_arn == record.arn,
                        model.materials.c.material_id == record.current_material_id,
                    )
                ).scalar_one_or_none()
        entries: list[tuple[int, dict[str, Any]]] = []
        for row in rows:
            pending = current_seq is not None and row.seq > current_seq
            if not include_all and (row.rotation_type is None or pending):
                continue
            entries.append((row.seq, self._rotation_entry(record, row, current_seq)))
        page = entries[:limit]
        out: dict[str, Any] = {"Rotations": [e for _, e in page], "Truncated": len(entries) > limit}
        if len(entries) > limit:
            out["NextMarker"] = self.encode_marker(_MARKER_KIND, str(page[-1][0]))
        return out

    @staticmethod
    def _bad_marker() -> Exception:
        return InvalidMarkerException("The request contains an invalid marker.")

    @staticmethod
    def _rotation_entry(record: KeyRecord, row: Any, current_seq: int | None) -> dict[str, Any]:
        if row.material_id == record.current_material_id:
            state = "CURRENT"
        elif current_seq is not None and row.seq > current_seq:
            state = "PENDING_ROTATION"
        else:
            state = "NON_CURRENT"
        entry: dict[str, Any] = {"KeyId": record.arn, "KeyMaterialId": row.material_id, "KeyMaterialState": state}
        if row.rotation_type is not None:
            entry["RotationDate"] = row.created_at
            entry["RotationType"] = row.rotation_type
        if record.origin == "EXTERNAL":
            entry["ImportState"] = "IMPORTED" if row.sealed is not None else "PENDING_IMPORT"
            if row.expiration_model:
                entry["ExpirationModel"] = row.expiration_model
            if row.valid_to is not None:
                entry["ValidTo"] = row.valid_to
            if row.description:
                entry["KeyMaterialDescription"] = row.description
        return entry

    # -- scheduled ------------------------------------------------------------------------------------------

    def _run_rotation_job(self, job: JobContext) -> JobResult | None:
        """Rotate when due; a disabled or pending-deletion key is retried daily and rotates once usable again."""
        account_id, key_id = job.key.split(":", 1)
        with self.runtime.store.write() as conn:
            rows = conn.execute(
                select(model.keys).where(model.keys.c.account_id == account_id, model.keys.c.key_id == key_id)
            ).all()
            records = [KeyRecord.from_row(r) for r in rows]
            primary = next((r for r in records if not r.multi_region or r.is_primary), None)
            if primary is None or not primary.rotation_enabled or primary.next_rotation_at is None:
                return None  # deleted, or rotation was disabled
            if primary.state != "Enabled":
                return JobResult.again(job.now + timedelta(days=1))
            period = primary.rotation_period_days or DEFAULT_ROTATION_DAYS
            due = primary.next_rotation_at
            if due > job.now:
                return JobResult.again(due)  # re-enabled with a later date since this job was written
            arns = self.rotate_in(conn, primary, "AUTOMATIC", due)
            next_at = due + timedelta(days=period)
            conn.execute(update(model.keys).where(model.keys.c.arn.in_(arns)).values(next_rotation_at=next_at))
            rotated = [
                KeyRecord.from_row(r) for r in conn.execute(select(model.keys).where(model.keys.c.arn.in_(arns)))
            ]
        self.keys.forget(arns)
        for record in rotated:
            notify.key_rotated(self.runtime, record, record.current_material_id, due)
        return JobResult.again(next_at)

    def _run_managed_sweep(self, job: JobContext) -> JobResult | None:
        """Give every AWS managed key its yearly rotation schedule (those keys are created by other services)."""
        with self.runtime.store.write() as conn:
            rows = conn.execute(
                select(model.keys).where(
                    model.keys.c.key_manager == "AWS",
                    model.keys.c.key_spec == "SYMMETRIC_DEFAULT",
                    model.keys.c.next_rotation_at.is_(None),
                )
            ).all()
            for row in rows:
                record = KeyRecord.from_row(row)
                next_at = record.created_at + timedelta(days=MANAGED_ROTATION_DAYS)
                arns = self._set_rotation(conn, record, enabled=True, period=MANAGED_ROTATION_DAYS, next_at=next_at)
                self.runtime.scheduler.schedule(
                    ROTATE_JOB, rotation_job_key(record), next_at, {"arn": record.arn}, conn=conn
                )
                self.keys.forget(arns)
        return JobResult.again(job.now + MANAGED_SWEEP_EVERY)
