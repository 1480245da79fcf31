"""Key lifecycle: create, describe, list (and, in the same family, enable/disable, deletion, description)."""

from __future__ import annotations

import json
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from strongroom.services.kms import materials as mat
from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, default_policy, key_arn
from strongroom.services.kms.errors import (
    MalformedPolicyDocumentException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord, new_material_id
from strongroom.services.kms.specs import DEFAULT_USAGE, KEY_SPECS, UNSUPPORTED_KEY_SPECS

if TYPE_CHECKING:
    from strongroom.server.context import RequestContext


def new_key_id(multi_region: bool) -> str:
    return "mrk-" + secrets.token_hex(16) if multi_region else str(uuid.uuid4())


def check_policy_document(policy: str) -> None:
    try:
        doc = json.loads(policy)
    except ValueError:
        raise MalformedPolicyDocumentException(
            "The new key policy will not allow you to update the key policy in the future."
        ) from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise MalformedPolicyDocumentException("Policy contains a statement with no principal.")


class KeyOperations(KmsBase):
    def create_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        spec = request.get("KeySpec")
        legacy_spec = request.get("CustomerMasterKeySpec")
        if spec and legacy_spec:
            raise ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec in the same request.")
        spec = spec or legacy_spec or "SYMMETRIC_DEFAULT"
        if spec in UNSUPPORTED_KEY_SPECS:
            raise UnsupportedOperationException(UNSUPPORTED_KEY_SPECS[spec])
        usage = request.get("KeyUsage") or DEFAULT_USAGE
        info = KEY_SPECS[spec]
        if usage not in info.usages:
            if "KeyUsage" not in request and len(info.usages) == 1:
                usage = info.usages[0]
            else:
                raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
        origin = request.get("Origin") or "AWS_KMS"
        if origin == "EXTERNAL_KEY_STORE":
            raise UnsupportedOperationException("External key stores (XKS) are not supported by Strongroom.")
        if origin == "AWS_CLOUDHSM" or request.get("CustomKeyStoreId"):
            raise UnsupportedOperationException("Custom key stores are not supported by Strongroom yet.")
        policy = request.get("Policy") or default_policy(ctx.account_id)
        check_policy_document(policy)
        multi_region = bool(request.get("MultiRegion"))
        record = self.insert_key(
            ctx,
            spec=spec,
            usage=usage,
            origin=origin,
            description=request.get("Description", ""),
            policy=policy,
            multi_region=multi_region,
            tags=request.get("Tags") or [],
            key_manager="CUSTOMER",
        )
        return {"KeyMetadata": self.key_metadata(record)}

    def insert_key(
        self,
        ctx: RequestContext,
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

        if conn is not None:
            write(conn)
        else:
            with self.runtime.store.write() as c:
                write(c)
        record = self.keys.by_arn(arn, conn)
        assert record is not None
        return record

    def describe_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
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
            stmt = stmt.where(model.keys.c.key_id > self.decode_marker(marker))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:limit]
        out: dict[str, Any] = {"Keys": [{"KeyId": r.key_id, "KeyArn": r.arn} for r in page], "Truncated": False}
        if len(rows) > limit:
            out["Truncated"] = True
            out["NextMarker"] = self.encode_marker(page[-1].key_id)
        return out
