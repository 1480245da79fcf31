"""A draft as AWS's finding JSON (schema 2.0) — shared by the guardduty service (GetFindings, EventBridge's
``GuardDuty Finding`` detail, exports) and ``strongroom guardduty analyze``, so both print the same finding."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from strongroom.detection.contract import FindingDraft

SCHEMA_VERSION = "2.0"


def iso(moment: datetime) -> str:
    """GuardDuty's timestamp format: ``2024-07-31T13:06:24.000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def finding_id(detector_id: str, dedup_key: str) -> str:
    """32 hex characters, like AWS's finding ids; stable for one detector and one dedup key."""
    return hashlib.sha256(f"{detector_id}/{dedup_key}".encode()).hexdigest()[:32]


def to_finding(
    draft: FindingDraft,
    *,
    detector_id: str = "",
    finding_id_: str | None = None,
    count: int = 1,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    archived: bool = False,
    partition: str = "aws",
    feedback: str | None = None,
) -> dict[str, Any]:
    """AWS's ``Finding`` for ``draft``. ``count``/``first_seen``/``last_seen`` are the deduplicated finding's (a
    repeat updates them, not a new finding); times default to the draft's event time."""
    detector = detector_id or str(draft.service.get("DetectorId") or "")
    ident = finding_id_ or finding_id(detector, draft.dedup_key)
    first = first_seen or draft.event_first_seen or draft.event_time
    last = last_seen or draft.event_time
    service: dict[str, Any] = dict(draft.service)
    service.update(
        {
            "ServiceName": "guardduty",
            "DetectorId": detector,
            "Archived": archived,
            "Count": count,
            "EventFirstSeen": iso(first),
            "EventLastSeen": iso(last),
            "ResourceRole": service.get("ResourceRole", "TARGET"),
        }
    )
    if feedback:
        service["UserFeedback"] = feedback
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "AccountId": draft.account_id,
        "Region": draft.region,
        "Partition": partition,
        "Id": ident,
        "Arn": f"arn:{partition}:guardduty:{draft.region}:{draft.account_id}:detector/{detector}/finding/{ident}",
        "Type": draft.type,
        "Resource": draft.resource,
        "Service": service,
        "Severity": draft.severity,
        "CreatedAt": iso(created_at or first),
        "UpdatedAt": iso(updated_at or last),
        "Title": draft.title,
        "Description": draft.description,
    }
