"""Sensitive data findings in AWS's form, from the engine's ``ObjectResult`` for one S3 object.

Type: ``SensitiveData:S3Object/Credentials|Financial|Personal`` when the object holds one managed category,
``/CustomIdentifier`` when only custom identifiers matched, ``/Multiple`` for more than one category (custom
identifiers count as one). Severity, as AWS's "Severity scoring for sensitive data findings" lays it out per
category and number of occurrences: credentials High at any count; financial information Medium for one occurrence,
High for more; personal information Low for one, Medium for 2–99, High for 100 or more; a custom identifier the
severity of its highest ``severityLevels`` threshold the count reaches (no finding below the lowest: that
identifier's detections are dropped); a Multiple finding the highest severity among its parts.
"""

from __future__ import annotations

from typing import Any

from strongroom.sensitive.contract import CustomIdentifier, Detection, ObjectResult
from strongroom.sensitive.results import classification_result
from strongroom.services.macie2.base import SEVERITIES, SEVERITY_SCORES

CUSTOM = "CUSTOM_IDENTIFIER"
_TYPES = {
    "CREDENTIALS": "SensitiveData:S3Object/Credentials",
    "FINANCIAL_INFORMATION": "SensitiveData:S3Object/Financial",
    "PERSONAL_INFORMATION": "SensitiveData:S3Object/Personal",
    CUSTOM: "SensitiveData:S3Object/CustomIdentifier",
}
_TITLES = {
    "SensitiveData:S3Object/Credentials": "The S3 object contains credentials data.",
    "SensitiveData:S3Object/Financial": "The S3 object contains financial information.",
    "SensitiveData:S3Object/Personal": "The S3 object contains personal information.",
    "SensitiveData:S3Object/CustomIdentifier": "The S3 object contains text that matches the detection criteria "
    "of a custom data identifier.",
    "SensitiveData:S3Object/Multiple": "The S3 object contains multiple categories of sensitive data.",
}


def managed_severity(category: str, count: int) -> int:
    if category == "CREDENTIALS":
        return 3
    if category == "FINANCIAL_INFORMATION":
        return 2 if count == 1 else 3
    return 1 if count == 1 else (2 if count < 100 else 3)


def custom_severity(custom: CustomIdentifier | None, count: int) -> int | None:
    levels = custom.severity_levels if custom is not None else (("MEDIUM", 1),)
    reached = [SEVERITY_SCORES[severity] for severity, threshold in levels if count >= threshold]
    return max(reached) if reached else None


def finding_type(categories: set[str]) -> str:
    if len(categories) == 1:
        return _TYPES[next(iter(categories))]
    return "SensitiveData:S3Object/Multiple"


def object_finding(
    account_id: str,
    region: str,
    *,
    job_id: str | None,
    job_arn: str | None,
    s3_bucket: dict[str, Any],
    s3_object: dict[str, Any],
    result: ObjectResult,
    customs: dict[str, CustomIdentifier],
    location: str | None,
    origin: str = "SENSITIVE_DATA_DISCOVERY_JOB",
) -> tuple[dict[str, Any], dict[str, list[str]]] | None:
    """(finding body, samples by type) for an object with sensitive data; None when it has none."""
    managed: dict[str, list[Detection]] = {}
    custom: list[tuple[Detection, int]] = []
    severities: list[int] = []
    for detection in result.detections:
        if detection.count <= 0:
            continue
        if detection.category == CUSTOM:
            score = custom_severity(customs.get(detection.type), detection.count)
            if score is not None:
                custom.append((detection, score))
                severities.append(score)
        else:
            managed.setdefault(detection.category, []).append(detection)
            severities.append(managed_severity(detection.category, detection.count))
    categories = set(managed) | ({CUSTOM} if custom else set())
    if not categories:
        return None
    # Per category the severity follows the category's total count (AWS scores the category, not each type).
    severities += [managed_severity(cat, sum(d.count for d in found)) for cat, found in managed.items()]
    score = max(severities)
    kind = finding_type(categories)
    # The engine's ClassificationResult (what ``strongroom macie scan`` prints for the same bytes), with each custom
    # identifier's ARN and name, and without the custom detections below their identifier's lowest threshold.
    classification = classification_result(result)
    kept = {id(d) for d, _ in custom}
    customs_out = []
    for detection in result.detections:
        if detection.category == CUSTOM and id(detection) in kept:
            known = customs.get(detection.type)
            customs_out.append(
                {
                    "arn": known.arn if known else detection.type,
                    "count": detection.count,
                    "name": known.name if known else detection.type,
                    "occurrences": detection.occurrences,
                }
            )
    classification["customDataIdentifiers"] = {
        "detections": customs_out,
        "totalCount": sum(c["count"] for c in customs_out),
    }
    details: dict[str, Any] = {"originType": origin, "result": classification}
    if job_id is not None:
        details.update(jobArn=job_arn, jobId=job_id)
    if location:
        details["detailedResultsLocation"] = location
    body = {
        "accountId": account_id,
        "region": region,
        "category": "CLASSIFICATION",
        "type": kind,
        "title": _TITLES[kind],
        "description": f"{_TITLES[kind][:-1]} ({s3_object['path']}).",
        "severity": {"score": score, "description": SEVERITIES[score]},
        "classificationDetails": details,
        "resourcesAffected": {"s3Bucket": s3_bucket, "s3Object": s3_object},
    }
    samples: dict[str, list[str]] = {}
    for found in managed.values():
        for d in found:
            if d.samples:
                samples[d.type] = list(d.samples[:10])
    for d, _ in custom:
        if d.samples:
            name = customs[d.type].name if d.type in customs else d.type
            samples[name] = list(d.samples[:10])
    return body, samples
