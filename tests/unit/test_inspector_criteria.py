"""Inspector's FilterCriteria and sortCriteria over stored findings (services/inspector2/criteria.py)."""

from __future__ import annotations

from typing import Any

from strongroom.services.inspector2 import criteria


def _finding(vuln: str, severity: str, score: float | None, seen: str, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "findingArn": f"arn:aws:inspector2:us-east-1:111122223333:finding/{vuln}",
        "awsAccountId": "111122223333",
        "type": "PACKAGE_VULNERABILITY",
        "severity": severity,
        "status": "ACTIVE",
        "title": f"{vuln} - requests",
        "lastObservedAt": seen,
        "firstObservedAt": seen,
        "resources": [
            {
                "type": "AWS_LAMBDA_FUNCTION",
                "id": "arn:aws:lambda:us-east-1:111122223333:function:f",
                "tags": {"team": "payments"},
                "details": {"awsLambdaFunction": {"functionName": "f", "runtime": "python3.12", "layers": []}},
            }
        ],
        "packageVulnerabilityDetails": {
            "vulnerabilityId": vuln,
            "source": "NVD",
            "vulnerablePackages": [{"name": "requests", "version": "2.19.0", "filePath": "a/METADATA"}],
            "relatedVulnerabilities": ["GHSA-x"],
        },
        **extra,
    }
    if score is not None:
        out["inspectorScore"] = score
    return out


A = _finding("CVE-2018-18074", "HIGH", 7.5, "2026-01-02T00:00:00+00:00")
B = _finding("CVE-2023-32681", "MEDIUM", 6.1, "2026-01-03T00:00:00+00:00")
C = _finding("CVE-2020-0001", "CRITICAL", None, "2026-01-01T00:00:00+00:00", status="SUPPRESSED")


def _eq(value: str) -> list[dict[str, str]]:
    return [{"comparison": "EQUALS", "value": value}]


def test_string_filters_or_within_a_field_and_across_fields() -> None:
    both = {"vulnerabilityId": [*_eq("CVE-2018-18074"), *_eq("CVE-2023-32681")]}
    assert [criteria.matches(f, both) for f in (A, B, C)] == [True, True, False]
    narrowed = {**both, "severity": _eq("HIGH")}
    assert [criteria.matches(f, narrowed) for f in (A, B)] == [True, False]
    prefix = {"title": [{"comparison": "PREFIX", "value": "CVE-2023"}]}
    assert [criteria.matches(f, prefix) for f in (A, B)] == [False, True]
    not_both = {
        "vulnerabilityId": [{"comparison": "NOT_EQUALS", "value": v} for v in ("CVE-2018-18074", "CVE-2020-0001")]
    }
    assert [criteria.matches(f, not_both) for f in (A, B, C)] == [False, True, False]
    assert criteria.matches(A, {}) and criteria.matches(A, {"severity": []})


def test_dates_numbers_maps_packages_and_absent_fields() -> None:
    window = {"lastObservedAt": [{"startInclusive": "2026-01-02T00:00:00Z", "endInclusive": "2026-01-02T23:59:59Z"}]}
    assert [criteria.matches(f, window) for f in (A, B)] == [True, False]
    scores = {"inspectorScore": [{"lowerInclusive": 7.0}]}
    assert [criteria.matches(f, scores) for f in (A, B, C)] == [True, False, False]  # C has no score
    tags = {"resourceTags": [{"comparison": "EQUALS", "key": "team", "value": "payments"}]}
    assert criteria.matches(A, tags)
    assert not criteria.matches(A, {"resourceTags": [{"comparison": "EQUALS", "key": "team", "value": "x"}]})
    package = {"vulnerablePackages": [{"name": _eq("requests")[0], "version": _eq("2.19.0")[0]}]}
    assert criteria.matches(A, package)
    assert not criteria.matches(A, {"vulnerablePackages": [{"name": _eq("requests")[0], "version": _eq("2.31.0")[0]}]})
    assert criteria.matches(A, {"lambdaFunctionName": _eq("f"), "lambdaFunctionRuntime": _eq("python3.12")})
    # EC2 / ECR fields: Lambda findings never match them, and always pass their NOT_EQUALS
    assert not criteria.matches(A, {"ecrImageHash": _eq("sha256:x")})
    assert criteria.matches(A, {"ecrImageHash": [{"comparison": "NOT_EQUALS", "value": "sha256:x"}]})


def test_sort_orders() -> None:
    assert [f["severity"] for f in criteria.sort([B, A, C], None)] == ["CRITICAL", "HIGH", "MEDIUM"]
    by_score = criteria.sort([A, B, C], {"field": "INSPECTOR_SCORE", "sortOrder": "ASC"})
    assert [f.get("inspectorScore") for f in by_score] == [None, 6.1, 7.5]
    by_seen = criteria.sort([A, B, C], {"field": "LAST_OBSERVED_AT", "sortOrder": "DESC"})
    assert [f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in by_seen] == [
        "CVE-2023-32681",
        "CVE-2018-18074",
        "CVE-2020-0001",
    ]
