"""A finding draft (``detection.contract.FindingDraft``) as AWS's finding (schema 2.0), in the API's member form.

This is the one place that builds a finding from a draft: when the detection engine's own
``strongroom.detection.findings.to_finding`` lands, ``to_finding`` below becomes a call to it (converted to the
member form with ``from_wire`` if it answers AWS's JSON, camelCase). The wire form (``to_wire``) is what
EventBridge's ``detail`` and the S3 exports carry, as on AWS.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

from strongroom.detection.contract import FindingDraft
from strongroom.protocol.codecs.json import JsonDecoder, JsonEncoder

SCHEMA_VERSION = "2.0"
_ENCODER = JsonEncoder()
_DECODER = JsonDecoder()


def iso(moment: datetime) -> str:
    """AWS's finding timestamps: ``2024-05-01T12:00:00.123Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def finding_arn(partition: str, region: str, account_id: str, detector_id: str, finding_id: str) -> str:
    return f"arn:{partition}:guardduty:{region}:{account_id}:detector/{detector_id}/finding/{finding_id}"


def to_finding(draft: FindingDraft, detector_id: str, finding_id: str, now: datetime) -> dict[str, Any]:
    """A new finding for ``draft`` (Count 1, first and last seen the draft's event times)."""
    partition = "aws"
    first = draft.event_first_seen or draft.event_time
    service: dict[str, Any] = {
        "ServiceName": "guardduty",
        "DetectorId": detector_id,
        "ResourceRole": "TARGET",
        "FeatureName": "CloudTrail",
        **draft.service,
        "Archived": False,
        "Count": 1,
        "EventFirstSeen": iso(first),
        "EventLastSeen": iso(draft.event_time),
    }
    if draft.signals and "AdditionalInfo" not in service:
        service["AdditionalInfo"] = {"Value": json.dumps({"signals": draft.signals}, default=str), "Type": "default"}
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "AccountId": draft.account_id,
        "Region": draft.region,
        "Partition": partition,
        "Id": finding_id,
        "Arn": finding_arn(partition, draft.region, draft.account_id, detector_id, finding_id),
        "Type": draft.type,
        "Resource": draft.resource,
        "Service": service,
        "Severity": float(draft.severity),
        "CreatedAt": iso(now),
        "UpdatedAt": iso(now),
        "Title": draft.title,
        "Description": draft.description,
    }


def repeat(finding: dict[str, Any], draft: FindingDraft, now: datetime) -> dict[str, Any]:
    """``finding`` seen again: Count + 1, EventLastSeen and UpdatedAt move (AWS's aggregation of repeats)."""
    service = dict(finding.get("Service") or {})
    service["Count"] = int(service.get("Count") or 1) + 1
    service["EventLastSeen"] = iso(draft.event_time)
    if draft.service.get("Action") is not None:
        service["Action"] = draft.service["Action"]
    return {**finding, "Service": service, "UpdatedAt": iso(now)}


def dump(finding: dict[str, Any]) -> str:
    """The stored text of a finding: timestamps (the few ``Timestamp`` members, e.g. ``S3BucketDetails.CreatedAt``)
    as ISO 8601, turned back into datetimes by ``load``."""
    return json.dumps(finding, default=_iso_default)


def _iso_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def load(finding_shape: Shape, text: str) -> dict[str, Any]:
    out: dict[str, Any] = _revive(finding_shape, json.loads(text))
    return out


def _revive(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        return {k: (_revive(members[k], v) if k in members else v) for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_revive(shape.member, v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _revive(shape.value, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def to_wire(finding_shape: Shape, finding: dict[str, Any]) -> dict[str, Any]:
    """AWS's finding JSON (camelCase), as EventBridge and the S3 exports carry it."""
    out: dict[str, Any] = _ENCODER.encode(finding_shape, finding)
    return out


def from_wire(finding_shape: Shape, wire: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _DECODER.decode(finding_shape, wire)
    return out
