"""The events AWS KMS sends to EventBridge itself (not via CloudTrail), with the detail shapes AWS documents.

KMS calls these when it rotates key material, deletes a key whose waiting period ended, or deletes imported
key material that expired; they go to the default bus of the key's account and Region, source ``aws.kms``,
with the key ARN as the only resource.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from strongroom.events.bus import build_event, publish

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

SOURCE = "aws.kms"
ROTATION = "KMS CMK Rotation"
DELETION = "KMS CMK Deletion"
MATERIAL_EXPIRATION = "KMS Imported Key Material Expiration"


def _parts(key_arn: str) -> tuple[str, str, str]:
    """(region, account, key id) of ``arn:aws:kms:REGION:ACCOUNT:key/ID``."""
    fields = key_arn.split(":", 5)
    if len(fields) != 6 or fields[2] != "kms" or not fields[5].startswith("key/"):
        raise ValueError(f"not a KMS key ARN: {key_arn}")
    return fields[3], fields[4], fields[5][len("key/") :]


def rotation_detail(
    key_arn: str, key_material_id: str | None = None, rotation_type: str | None = None
) -> dict[str, Any]:
    detail: dict[str, Any] = {"key-id": _parts(key_arn)[2]}
    if key_material_id:
        detail["key-material-id"] = key_material_id
    if rotation_type:
        detail["rotation-type"] = rotation_type  # AUTOMATIC | ON_DEMAND
    return detail


def deletion_detail(key_arn: str) -> dict[str, Any]:
    return {"key-id": _parts(key_arn)[2]}


def expiration_detail(key_arn: str, key_material_id: str | None = None) -> dict[str, Any]:
    detail: dict[str, Any] = {"key-id": _parts(key_arn)[2]}
    if key_material_id:
        detail["key-material-id"] = key_material_id
    return detail


def rotation_event(
    key_arn: str, key_material_id: str | None = None, rotation_type: str | None = None, time: datetime | None = None
) -> dict[str, Any]:
    """The whole event as a rule sees it (useful for TestEventPattern and tests)."""
    region, account, _ = _parts(key_arn)
    return build_event(
        account, region, SOURCE, ROTATION, rotation_detail(key_arn, key_material_id, rotation_type), [key_arn], time
    )


def publish_rotation(
    runtime: ServiceRuntime,
    key_arn: str,
    key_material_id: str | None = None,
    rotation_type: str | None = None,
    time: datetime | None = None,
) -> str:
    region, account, _ = _parts(key_arn)
    detail = rotation_detail(key_arn, key_material_id, rotation_type)
    return publish(runtime, account, region, SOURCE, ROTATION, detail, [key_arn], time=time)


def publish_deletion(runtime: ServiceRuntime, key_arn: str, time: datetime | None = None) -> str:
    region, account, _ = _parts(key_arn)
    return publish(runtime, account, region, SOURCE, DELETION, deletion_detail(key_arn), [key_arn], time=time)


def publish_material_expiration(
    runtime: ServiceRuntime, key_arn: str, key_material_id: str | None = None, time: datetime | None = None
) -> str:
    region, account, _ = _parts(key_arn)
    detail = expiration_detail(key_arn, key_material_id)
    return publish(runtime, account, region, SOURCE, MATERIAL_EXPIRATION, detail, [key_arn], time=time)
