"""Macie's pure parts: finding criteria and sort, finding types and severities, job schedules, object scoping and
sampling, policy finding types from bucket facts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.sensitive.contract import CustomIdentifier, Detection, ObjectResult
from strongroom.services.macie2 import criteria
from strongroom.services.macie2.buckets import policy_types
from strongroom.services.macie2.findingjson import custom_severity, managed_severity, object_finding
from strongroom.services.macie2.jobs import next_run
from strongroom.services.macie2.runner import in_scope, sampled

BODY: dict[str, Any] = {
    "type": "SensitiveData:S3Object/Multiple",
    "archived": False,
    "severity": {"score": 3, "description": "High"},
    "createdAt": "2026-12-07T01:00:00.000Z",
    "classificationDetails": {
        "result": {"sensitiveData": [{"detections": [{"type": "EMAIL_ADDRESS"}, {"type": "CREDIT_CARD_NUMBER"}]}]}
    },
}


def test_criteria_paths_operators_and_errors() -> None:
    assert criteria.values_at(BODY, "classificationDetails.result.sensitiveData.detections.type") == [
        "EMAIL_ADDRESS",
        "CREDIT_CARD_NUMBER",
    ]
    match = criteria.compile_criteria
    assert match({"classificationDetails.result.sensitiveData.detections.type": {"eq": ["EMAIL_ADDRESS"]}})(BODY)
    assert not match({"type": {"neq": ["SensitiveData:S3Object/Multiple"]}})(BODY)
    assert match({"archived": {"eq": ["false"]}, "severity.score": {"gte": 3, "lt": 4}})(BODY)
    stamp = datetime(2026, 12, 7, 1, tzinfo=UTC).timestamp() * 1000
    assert match({"createdAt": {"gte": stamp}})(BODY) and not match({"createdAt": {"gt": stamp}})(BODY)
    assert not match({"missing.field": {"eq": ["x"]}})(BODY)
    with pytest.raises(AwsError) as exc:
        match({"type": {}})
    assert exc.value.code == "ValidationException"
    low = {**BODY, "severity": {"score": 1}}
    assert [b["severity"]["score"] for b in criteria.ordered([low, BODY], {"attributeName": "severity.score"})] == [
        1,
        3,
    ]
    assert criteria.ordered([low, BODY], {"attributeName": "severity.score", "orderBy": "DESC"})[0] is BODY


def test_severities_and_types() -> None:
    assert managed_severity("CREDENTIALS", 1) == 3
    assert [managed_severity("FINANCIAL_INFORMATION", n) for n in (1, 2)] == [2, 3]
    assert [managed_severity("PERSONAL_INFORMATION", n) for n in (1, 2, 99, 100)] == [1, 2, 2, 3]
    custom = CustomIdentifier("c", "arn:c", "emp", "x", severity_levels=(("LOW", 2), ("HIGH", 5)))
    assert [custom_severity(custom, n) for n in (1, 2, 5)] == [None, 1, 3]
    assert custom_severity(None, 1) == 2  # AWS's default: MEDIUM from one occurrence

    def finding(*detections: Detection) -> Any:
        result = ObjectResult("text/plain", 10, "COMPLETE", detections=list(detections))
        return object_finding(
            "111111111111",
            "us-east-1",
            job_id="j",
            job_arn="arn:j",
            s3_bucket={},
            s3_object={"path": "b/k"},
            result=result,
            customs={"c": custom},
            location=None,
        )

    email = Detection("EMAIL_ADDRESS", "PERSONAL_INFORMATION", 1, {"lineRanges": []}, ["a@b.c"])
    body, samples = finding(email)
    assert body["type"] == "SensitiveData:S3Object/Personal" and body["severity"] == {"score": 1, "description": "Low"}
    assert samples == {"EMAIL_ADDRESS": ["a@b.c"]}
    below = Detection("c", "CUSTOM_IDENTIFIER", 1, {}, ["x"])
    assert finding(below) is None  # under the custom identifier's lowest threshold: no finding
    custom_hit = Detection("c", "CUSTOM_IDENTIFIER", 5, {}, ["x"])
    body, samples = finding(email, custom_hit)
    assert body["type"] == "SensitiveData:S3Object/Multiple" and body["severity"]["score"] == 3
    detections = body["classificationDetails"]["result"]["customDataIdentifiers"]["detections"]
    assert detections[0]["name"] == "emp" and detections[0]["arn"] == "arn:c"
    assert samples["emp"] == ["x"]


def test_schedules() -> None:
    at = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # a Monday
    assert next_run({"dailySchedule": {}}, at) == datetime(2026, 12, 8, tzinfo=UTC)
    assert next_run({"weeklySchedule": {"dayOfWeek": "MONDAY"}}, at) == datetime(2026, 12, 14, tzinfo=UTC)
    assert next_run({"monthlySchedule": {"dayOfMonth": 31}}, datetime(2027, 2, 1, tzinfo=UTC)) == datetime(
        2027, 2, 28, tzinfo=UTC
    )


def test_scoping_and_sampling() -> None:
    item = {"Key": "data/people.CSV", "Size": 100, "LastModified": datetime(2026, 1, 1, tzinfo=UTC), "ETag": '"e"'}
    ext = {"simpleScopeTerm": {"key": "OBJECT_EXTENSION", "comparator": "EQ", "values": ["csv"]}}
    big = {"simpleScopeTerm": {"key": "OBJECT_SIZE", "comparator": "GT", "values": ["1000"]}}
    old = {
        "simpleScopeTerm": {"key": "OBJECT_LAST_MODIFIED_DATE", "comparator": "LT", "values": ["2026-06-01T00:00:00Z"]}
    }
    tag = {"tagScopeTerm": {"key": "TAG", "comparator": "EQ", "tagValues": [{"key": "class", "value": "pii"}]}}
    assert in_scope({"includes": {"and": [ext, old]}}, item, None)
    assert not in_scope({"includes": {"and": [ext, big]}}, item, None)
    assert not in_scope({"excludes": {"and": [ext]}}, item, None)
    assert in_scope({"excludes": {"and": [ext, big]}}, item, None)  # excluded only when every term holds
    assert in_scope({"includes": {"and": [tag]}}, item, {"class": "pii"})
    assert not in_scope({"includes": {"and": [tag]}}, item, {"class": "public"})
    keys = [{"Key": f"k{i}", "ETag": "e"} for i in range(1000)]
    kept = sum(sampled(30, "b", k) for k in keys)
    assert 250 < kept < 350 and sampled(100, "b", keys[0])
    assert [sampled(30, "b", k) for k in keys] == [sampled(30, "b", k) for k in keys]  # the same each run


def test_policy_types() -> None:
    facts: dict[str, Any] = {
        "public": True,
        "shared_accounts": ["222222222222"],
        "replication_accounts": ["333333333333"],
        "encryption_type": "NONE",
        "bucket_bpa": {"BlockPublicAcls": False},
        "account": "111111111111",
    }
    assert policy_types(facts) == [
        "Policy:IAMUser/S3BucketPublic",
        "Policy:IAMUser/S3BucketSharedExternally",
        "Policy:IAMUser/S3BucketReplicatedExternally",
        "Policy:IAMUser/S3BucketEncryptionDisabled",
        "Policy:IAMUser/S3BlockPublicAccessDisabled",
    ]
    quiet = {**facts, "public": False, "shared_accounts": [], "replication_accounts": ["111111111111"]}
    quiet.update(encryption_type="AES256", bucket_bpa={"BlockPublicAcls": True})
    assert policy_types(quiet) == []
