"""The service stores findings with the detection engine's builder: a new finding and its repeats, folded live,
equal what ``strongroom guardduty analyze`` folds from the same drafts (apart from the id and the stored times)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session

from strongroom.detection.analyze import Analysis
from strongroom.detection.contract import FindingDraft
from strongroom.services.guardduty import findingjson

SHAPE = botocore.session.get_session().get_service_model("guardduty").shape_for("Finding")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _draft(minutes: int, api: str) -> FindingDraft:
    return FindingDraft(
        type="Stealth:IAMUser/CloudTrailLoggingDisabled",
        severity=2.0,
        title="AWS CloudTrail trail main was disabled.",
        description="d",
        account_id="123456789012",
        region="us-east-1",
        resource={"ResourceType": "AccessKey", "AccessKeyDetails": {"AccessKeyId": "AKIAEXAMPLE"}},
        service={"Action": {"ActionType": "AWS_API_CALL", "AwsApiCallAction": {"Api": api}}},
        dedup_key="k",
        event_time=T0 + timedelta(minutes=minutes),
    )


def _comparable(finding: dict[str, Any]) -> dict[str, Any]:
    service = {k: v for k, v in finding["Service"].items() if k != "DetectorId"}
    return {**finding, "Service": service, "Id": "", "Arn": "", "CreatedAt": "", "UpdatedAt": ""}


def test_live_folding_equals_offline_folding() -> None:
    drafts = [_draft(0, "StopLogging"), _draft(5, "DeleteTrail"), _draft(9, "StopLogging")]
    now = T0 + timedelta(hours=1)
    live = findingjson.new(SHAPE, drafts[0], "d1", "f1", now)
    for draft in drafts[1:]:
        live = findingjson.load(SHAPE, findingjson.dump(live))
        live = findingjson.repeat(SHAPE, live, draft, now + timedelta(minutes=1))
    offline = Analysis()
    for draft in drafts:
        offline.fold(draft)
    [folded] = offline.as_findings()
    assert _comparable(live) == _comparable(folded)
    assert live["Service"]["Count"] == 3 and live["Id"] == "f1" and live["Service"]["DetectorId"] == "d1"
    assert live["Service"]["EventFirstSeen"] == "2026-01-05T09:00:00.000Z"
    assert live["Service"]["EventLastSeen"] == "2026-01-05T09:09:00.000Z"
    assert live["CreatedAt"] == "2026-01-05T10:00:00.000Z" and live["UpdatedAt"] == "2026-01-05T10:01:00.000Z"


def test_repeat_keeps_archived_and_feedback() -> None:
    first = findingjson.new(SHAPE, _draft(0, "StopLogging"), "d1", "f1", T0)
    first["Service"].update(Archived=True, UserFeedback="USEFUL")
    again = findingjson.repeat(SHAPE, first, _draft(3, "StopLogging"), T0 + timedelta(minutes=3))
    assert again["Service"]["Archived"] is True and again["Service"]["UserFeedback"] == "USEFUL"
    assert again["CreatedAt"] == first["CreatedAt"] and again["Service"]["Count"] == 2
