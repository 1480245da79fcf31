"""Inspector's ``FilterCriteria`` (ListFindings, filters, reports, aggregations) and ``sortCriteria``, over findings
in the stored form (the API's member names, timestamps as ISO 8601 text).

As AWS documents the filter semantics: fields combine with AND; within one field, the ``EQUALS`` / ``PREFIX``
filters combine with OR and the ``NOT_EQUALS`` ones with AND. A date filter holds when the value lies within
``startInclusive``..``endInclusive`` (either may be missing), a number filter within ``lowerInclusive``..
``upperInclusive``; a map filter (``resourceTags``) names a key and a value; a package filter holds when one
vulnerable package satisfies every part it gives. A field the finding does not have (the EC2 / ECR / network /
code-repository ones, on Lambda findings) matches no positive filter and every ``NOT_EQUALS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

Finding = Mapping[str, Any]


def _resources(f: Finding) -> list[Mapping[str, Any]]:
    return list(f.get("resources") or [])


def _lambda(f: Finding) -> list[Mapping[str, Any]]:
    out = []
    for resource in _resources(f):
        details = (resource.get("details") or {}).get("awsLambdaFunction")
        if details:
            out.append(details)
    return out


def _pvd(f: Finding) -> Mapping[str, Any]:
    return f.get("packageVulnerabilityDetails") or {}


def _cvd(f: Finding) -> Mapping[str, Any]:
    return f.get("codeVulnerabilityDetails") or {}


def _one(value: Any) -> list[Any]:
    return [] if value is None else [value]


# Field -> the finding's values for it (a list: several resources, packages or tags answer several).
_STRING_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "findingArn": lambda f: _one(f.get("findingArn")),
    "awsAccountId": lambda f: _one(f.get("awsAccountId")),
    "findingType": lambda f: _one(f.get("type")),
    "severity": lambda f: _one(f.get("severity")),
    "findingStatus": lambda f: _one(f.get("status")),
    "title": lambda f: _one(f.get("title")),
    "resourceType": lambda f: [r.get("type") for r in _resources(f)],
    "resourceId": lambda f: [r.get("id") for r in _resources(f)],
    "vulnerabilityId": lambda f: _one(_pvd(f).get("vulnerabilityId")),
    "vulnerabilitySource": lambda f: _one(_pvd(f).get("source")),
    "vendorSeverity": lambda f: _one(_pvd(f).get("vendorSeverity")),
    "relatedVulnerabilities": lambda f: list(_pvd(f).get("relatedVulnerabilities") or []),
    "fixAvailable": lambda f: _one(f.get("fixAvailable")),
    "exploitAvailable": lambda f: _one(f.get("exploitAvailable")),
    "lambdaFunctionName": lambda f: [d.get("functionName") for d in _lambda(f)],
    "lambdaFunctionLayers": lambda f: [layer for d in _lambda(f) for layer in d.get("layers") or []],
    "lambdaFunctionRuntime": lambda f: [d.get("runtime") for d in _lambda(f)],
    "lambdaFunctionExecutionRoleArn": lambda f: [d.get("executionRoleArn") for d in _lambda(f)],
    "codeVulnerabilityDetectorName": lambda f: _one(_cvd(f).get("detectorName")),
    "codeVulnerabilityDetectorTags": lambda f: list(_cvd(f).get("detectorTags") or []),
    "codeVulnerabilityFilePath": lambda f: _one((_cvd(f).get("filePath") or {}).get("filePath")),
    "cloudProvider": lambda f: [r.get("provider") for r in _resources(f)],
    "cloudProviderRegion": lambda f: [r.get("region") for r in _resources(f)],
    "cloudProviderAccountId": lambda f: [r.get("providerAccountId") for r in _resources(f)],
    "cloudServerlessFunctionName": lambda f: [d.get("functionName") for d in _lambda(f)],
    "cloudServerlessFunctionRuntime": lambda f: [d.get("runtime") for d in _lambda(f)],
    "cloudServerlessFunctionExecutionRole": lambda f: [d.get("executionRoleArn") for d in _lambda(f)],
}

_DATE_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "firstObservedAt": lambda f: _one(f.get("firstObservedAt")),
    "lastObservedAt": lambda f: _one(f.get("lastObservedAt")),
    "updatedAt": lambda f: _one(f.get("updatedAt")),
    "lambdaFunctionLastModifiedAt": lambda f: [d.get("lastModifiedAt") for d in _lambda(f)],
    "cloudServerlessFunctionLastModifiedAt": lambda f: [d.get("lastModifiedAt") for d in _lambda(f)],
}

_NUMBER_FIELDS: dict[str, Callable[[Finding], list[Any]]] = {
    "inspectorScore": lambda f: _one(f.get("inspectorScore")),
    "epssScore": lambda f: _one((f.get("epss") or {}).get("score")),
}

_PACKAGE_PARTS = {
    "name": "name",
    "version": "version",
    "release": "release",
    "architecture": "arch",
    "sourceLayerHash": "sourceLayerHash",
    "sourceLambdaLayerArn": "sourceLambdaLayerArn",
    "filePath": "filePath",
}


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _string_holds(flt: Mapping[str, Any], value: Any) -> bool:
    if value is None:
        return False
    text, wanted = str(value), str(flt.get("value", ""))
    comparison = flt.get("comparison")
    if comparison == "PREFIX":
        return text.startswith(wanted)
    return text == wanted  # EQUALS (and NOT_EQUALS, negated by the caller)


def string_field(filters: Iterable[Mapping[str, Any]], values: list[Any]) -> bool:
    """One field's StringFilterList: positives OR'ed, NOT_EQUALS AND'ed."""
    positives: list[Mapping[str, Any]] = []
    negatives: list[Mapping[str, Any]] = []
    for flt in filters:
        (negatives if flt.get("comparison") == "NOT_EQUALS" else positives).append(flt)
    if positives and not any(_string_holds(p, v) for p in positives for v in values):
        return False
    return all(not _string_holds(n, v) for n in negatives for v in values)


def _date_holds(flt: Mapping[str, Any], value: Any) -> bool:
    moment = as_datetime(value)
    if moment is None:
        return False
    start, end = as_datetime(flt.get("startInclusive")), as_datetime(flt.get("endInclusive"))
    return (start is None or moment >= start) and (end is None or moment <= end)


def _number_holds(flt: Mapping[str, Any], value: Any) -> bool:
    if not isinstance(value, int | float):
        return False
    low, high = flt.get("lowerInclusive"), flt.get("upperInclusive")
    return (low is None or value >= low) and (high is None or value <= high)


def _map_holds(flt: Mapping[str, Any], tags: Mapping[str, Any]) -> bool:
    key = str(flt.get("key"))
    if key not in tags:
        return False
    return "value" not in flt or tags[key] == flt.get("value")


def _package_holds(flt: Mapping[str, Any], package: Mapping[str, Any]) -> bool:
    for part, member in _PACKAGE_PARTS.items():
        sub = flt.get(part)
        if sub and not string_field([sub], [package.get(member)]):
            return False
    epoch = flt.get("epoch")
    return not (epoch and not _number_holds(epoch, package.get("epoch", 0)))


def matches(finding: Finding, criteria: Mapping[str, Any]) -> bool:
    """Whether ``finding`` satisfies every field of ``criteria`` (an empty criteria matches everything)."""
    for name, filters in criteria.items():
        if not filters:
            continue
        if name in _STRING_FIELDS:
            if not string_field(filters, _STRING_FIELDS[name](finding)):
                return False
        elif name in _DATE_FIELDS:
            values = _DATE_FIELDS[name](finding)
            if not any(_date_holds(flt, v) for flt in filters for v in values):
                return False
        elif name in _NUMBER_FIELDS:
            values = _NUMBER_FIELDS[name](finding)
            if not any(_number_holds(flt, v) for flt in filters for v in values):
                return False
        elif name == "resourceTags":
            tags = [r.get("tags") or {} for r in _resources(finding)]
            if not any(_map_holds(flt, t) for flt in filters for t in tags):
                return False
        elif name == "vulnerablePackages":
            packages = list(_pvd(finding).get("vulnerablePackages") or [])
            if not any(_package_holds(flt, p) for flt in filters for p in packages):
                return False
        elif any(flt.get("comparison") != "NOT_EQUALS" for flt in filters):
            return False  # a field Lambda findings do not have (EC2, ECR, network, code repositories, ...)
    return True


_SEVERITY_RANK = {"INFORMATIONAL": 0, "UNTRIAGED": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}

SORT_KEYS: dict[str, Callable[[Finding], Any]] = {
    "AWS_ACCOUNT_ID": lambda f: f.get("awsAccountId") or "",
    "FINDING_TYPE": lambda f: f.get("type") or "",
    "SEVERITY": lambda f: _SEVERITY_RANK.get(str(f.get("severity")), 0),
    "FIRST_OBSERVED_AT": lambda f: str(f.get("firstObservedAt") or ""),
    "LAST_OBSERVED_AT": lambda f: str(f.get("lastObservedAt") or ""),
    "FINDING_STATUS": lambda f: f.get("status") or "",
    "RESOURCE_TYPE": lambda f: (_resources(f) or [{}])[0].get("type") or "",
    "VULNERABILITY_ID": lambda f: _pvd(f).get("vulnerabilityId") or "",
    "VULNERABILITY_SOURCE": lambda f: _pvd(f).get("source") or "",
    "INSPECTOR_SCORE": lambda f: f.get("inspectorScore") or 0.0,
    "VENDOR_SEVERITY": lambda f: _pvd(f).get("vendorSeverity") or "",
    "EPSS_SCORE": lambda f: (f.get("epss") or {}).get("score") or 0.0,
}


def sort(items: list[dict[str, Any]], sort_criteria: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Findings in ``sortCriteria`` order (fields the findings lack sort as equal); ties keep the ARN order.
    Without criteria: most severe first, then the newest (the console's default)."""
    by_arn = sorted(items, key=lambda f: str(f.get("findingArn")))
    if not sort_criteria:
        by_time = sorted(by_arn, key=lambda f: str(f.get("lastObservedAt") or ""), reverse=True)
        return sorted(by_time, key=SORT_KEYS["SEVERITY"], reverse=True)
    key = SORT_KEYS.get(str(sort_criteria.get("field")), lambda _f: "")
    return sorted(by_arn, key=key, reverse=sort_criteria.get("sortOrder") == "DESC")
