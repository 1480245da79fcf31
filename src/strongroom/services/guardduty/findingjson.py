"""Findings in the API's member form: built from a draft by the detection engine's own builder, stored, sent.

There is one finding builder, ``strongroom.detection.findings.to_finding`` — the one ``strongroom guardduty
analyze`` prints with — so the live and offline paths answer the same finding for the same records. It answers
AWS's finding JSON with the API's member names (``Type``, ``Service.Count`` …) and timestamps as ISO text; this
module turns that into the stored member form (``Timestamp`` members as datetimes, ``member``), keeps it as text
(``dump`` / ``load``), and converts it to the wire form (``to_wire``: camelCase, what EventBridge's ``detail`` and
the S3 exports carry, as on AWS).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.model import Shape

from strongroom.detection.contract import FindingDraft
from strongroom.detection.findings import to_finding
from strongroom.protocol.codecs.json import JsonEncoder

_ENCODER = JsonEncoder()


def new(shape: Shape, draft: FindingDraft, detector_id: str, finding_id: str, now: datetime) -> dict[str, Any]:
    """A new finding for ``draft`` (Count 1; first and last seen the draft's event times; created ``now``)."""
    built = to_finding(draft, detector_id=detector_id, finding_id_=finding_id, created_at=now, updated_at=now)
    return member(shape, built)


def repeat(shape: Shape, finding: dict[str, Any], draft: FindingDraft, now: datetime) -> dict[str, Any]:
    """``finding`` seen again: rebuilt from the latest draft with Count + 1, EventFirstSeen/EventLastSeen widened,
    its id, CreatedAt, archived state and feedback kept (AWS's aggregation of repeats; the analyzer folds so)."""
    return repeat_many(shape, finding, [draft], now)


def repeat_many(shape: Shape, finding: dict[str, Any], drafts: Sequence[FindingDraft], now: datetime) -> dict[str, Any]:
    """``repeat`` for each of ``drafts`` in turn, in one step: the last draft's content, Count + len(drafts), the
    seen-window widened over them all (the same finding as repeating one by one)."""
    service = finding.get("Service") or {}
    first = _parse(service.get("EventFirstSeen"))
    last = _parse(service.get("EventLastSeen"))
    for draft in drafts:
        draft_first = draft.event_first_seen or draft.event_time
        first = min(first, draft_first) if first else draft_first
        last = max(last, draft.event_time) if last else draft.event_time
    built = to_finding(
        drafts[-1],
        detector_id=str(service.get("DetectorId") or ""),
        finding_id_=str(finding["Id"]),
        count=int(service.get("Count") or 1) + len(drafts),
        first_seen=first,
        last_seen=last,
        created_at=_parse(finding.get("CreatedAt")) or now,
        updated_at=now,
        archived=bool(service.get("Archived")),
        partition=str(finding.get("Partition") or "aws"),
        feedback=service.get("UserFeedback") or None,
    )
    return member(shape, built)


def _parse(text: Any) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def member(shape: Shape, finding: dict[str, Any]) -> dict[str, Any]:
    """The builder's finding in the stored member form: ``Timestamp`` members (e.g. an attack sequence's
    ``Signals[].FirstSeenAt``) as datetimes, as the response encoder wants them."""
    out: dict[str, Any] = _revive(shape, finding)
    return out


def dump(finding: dict[str, Any]) -> str:
    """The stored text of a finding: timestamps (the few ``Timestamp`` members, e.g. ``S3BucketDetails.CreatedAt``)
    as ISO 8601, turned back into datetimes by ``load``."""
    return json.dumps(finding, default=_iso_default)


def _iso_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def load(finding_shape: Shape, text: str) -> dict[str, Any]:
    return member(finding_shape, json.loads(text))


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
