"""What KMS tells the world when it acts on its own: an AwsServiceEvent record and an EventBridge event.

Scheduled actions (deletion at the end of the waiting period, automatic rotation, expiry of imported
material) have no caller; AWS records them in CloudTrail as service events and publishes them on the
default event bus, and so do we.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from strongroom.services.kms import events as kms_events

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime
    from strongroom.services.kms.keystore import KeyRecord

log = logging.getLogger("strongroom.kms")


def _publish(kind: str, send: Callable[[], object]) -> None:
    try:
        send()
    except Exception:  # the action is done and audited; a lost notification must not undo or repeat it
        log.exception("could not publish %s event", kind)


def key_deleted(runtime: ServiceRuntime, record: KeyRecord, at: datetime) -> None:
    runtime.audit.service_event(
        "kms", "DeleteKey", record.account_id, record.region, [record.arn], {"keyId": record.arn}, at=at
    )
    _publish("deletion", lambda: kms_events.publish_deletion(runtime, record.arn, time=at))


def key_rotated(runtime: ServiceRuntime, record: KeyRecord, material_id: str | None, at: datetime) -> None:
    details = {"keyId": record.arn, "rotationType": "AUTOMATIC"}
    runtime.audit.service_event("kms", "RotateKey", record.account_id, record.region, [record.arn], details, at=at)
    _publish("rotation", lambda: kms_events.publish_rotation(runtime, record.arn, material_id, "AUTOMATIC", time=at))


def material_expired(runtime: ServiceRuntime, record: KeyRecord, material_id: str, at: datetime) -> None:
    details = {"keyId": record.arn, "keyMaterialId": material_id}
    runtime.audit.service_event(
        "kms", "DeleteExpiredKeyMaterial", record.account_id, record.region, [record.arn], details, at=at
    )
    _publish("expiration", lambda: kms_events.publish_material_expiration(runtime, record.arn, material_id, time=at))
