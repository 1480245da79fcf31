"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion.

Related multi-Region keys are rows of ``kms_keys`` with the same account and ``mrk-`` key id in different
regions; ``primary_arn`` on each names the current primary. A replica gets every material version of the
primary under the same material ids (ciphertext headers name them), each sealed under the replica's own ARN,
so ciphertext from one region decrypts in the other. Policy, tags, description and state are the replica's own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, check_state, default_policy, key_arn
from strongroom.services.kms.errors import (
    AlreadyExistsException,
    DisabledException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keys import check_policy_document
from strongroom.services.kms.keystore import KeyRecord
from strongroom.services.kms.tags import check_tags, write_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


class MultiRegionOperations(KmsBase):
    def _primary_key(self, ctx: RequestContext, key_ref: str) -> KeyRecord:
        record = self.find_key(ctx, key_ref)
        if not record.multi_region:
            raise UnsupportedOperationException(f"{record.arn} is not a multi-Region key.")
        if not record.is_primary:
            raise UnsupportedOperationException(f"{record.arn} is not a multi-Region primary key.")
        return record

    def replicate_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        primary = self._primary_key(ctx, request["KeyId"])
        region = request["ReplicaRegion"]
        if region == primary.region:
            raise ValidationException(
                f"The replica Region {region} must be different from the primary key's Region {primary.region}."
            )
        check_state(primary, ctx.operation)
        if primary.state == "Disabled":
            raise DisabledException(f"{primary.arn} is disabled.")
        policy = request.get("Policy") or default_policy(ctx.account_id)
        check_policy_document(policy)
        tags = request.get("Tags") or []
        check_tags(tags)
        arn = key_arn(primary.account_id, region, primary.key_id)
        now = ctx.now()
        with self.runtime.store.write() as conn:
            if conn.execute(select(model.keys.c.arn).where(model.keys.c.arn == arn)).first() is not None:
                raise AlreadyExistsException(f"{arn} already exists")
            external = primary.origin == "EXTERNAL"
            conn.execute(
                model.keys.insert().values(
                    arn=arn,
                    key_id=primary.key_id,
                    account_id=primary.account_id,
                    region=region,
                    description=request.get("Description", ""),
                    key_usage=primary.key_usage,
                    key_spec=primary.key_spec,
                    origin=primary.origin,
                    key_manager=primary.key_manager,
                    # AWS passes through Creating in the background; here the replica is ready at once.
                    state="PendingImport" if external else "Enabled",
                    created_at=now,
                    multi_region=True,
                    primary_arn=primary.arn,
                    policy=policy,
                    rotation_enabled=primary.rotation_enabled,
                    rotation_period_days=primary.rotation_period_days,
                    next_rotation_at=primary.next_rotation_at,
                    current_material_id=None if external else primary.current_material_id,
                    public_key=primary.public_key,
                )
            )
            if not external:
                rows = conn.execute(select(model.materials).where(model.materials.c.key_arn == primary.arn)).all()
                for row in rows:
                    if row.sealed is None:
                        continue
                    plain = self.keys.seal.unwrap(row.sealed, model.material_aad(primary.arn, row.material_id))
                    conn.execute(
                        model.materials.insert().values(
                            key_arn=arn,
                            material_id=row.material_id,
                            sealed=self.keys.seal_material(arn, row.material_id, plain),
                            created_at=row.created_at,
                            rotation_type=row.rotation_type,
                            imported=row.imported,
                            import_state=row.import_state,
                            valid_to=row.valid_to,
                            expiration_model=row.expiration_model,
                            seq=row.seq,
                            description=row.description,
                        )
                    )
            write_tags(conn, arn, tags)
            self.keys.changed(conn, [arn, primary.arn])
        self.keys.forget([arn, primary.arn])
        replica = self.keys.by_arn(arn)
        assert replica is not None
        metadata = self.key_metadata(replica)
        # AWS answers while the replica is still Creating, before its key material is synchronized: its
        # documented response has no CurrentKeyMaterialId (DescribeKey shows it once the replica is ready).
        metadata.pop("CurrentKeyMaterialId", None)
        return {"ReplicaKeyMetadata": metadata, "ReplicaPolicy": policy, "ReplicaTags": tags}

    def update_primary_region(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        primary = self._primary_key(ctx, request["KeyId"])
        check_state(primary, ctx.operation)
        region = request["PrimaryRegion"]
        if region == primary.region:
            return {}  # already the primary there: nothing to change
        new_arn = key_arn(primary.account_id, region, primary.key_id)
        with self.runtime.store.write() as conn:
            row = conn.execute(select(model.keys).where(model.keys.c.arn == new_arn)).first()
            if row is None:
                raise NotFoundException(f"Key '{new_arn}' does not exist")
            check_state(KeyRecord.from_row(row), ctx.operation)
            related = (
                conn.execute(
                    select(model.keys.c.arn).where(
                        model.keys.c.account_id == primary.account_id, model.keys.c.key_id == primary.key_id
                    )
                )
                .scalars()
                .all()
            )
            conn.execute(update(model.keys).where(model.keys.c.arn.in_(related)).values(primary_arn=new_arn))
            self.keys.changed(conn, related)
        self.keys.forget(related)
        return {}
