"""GuardDuty's FindingCriteria and SortCriteria (``services/guardduty/criteria.py``) over member-form findings."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from strongroom.core.errors import AwsError
from strongroom.services.guardduty import criteria

SHAPE = botocore.session.get_session().get_service_model("guardduty").shape_for("Finding")


def _finding(fid: str, kind: str, severity: float, archived: bool, updated: str, ip: str) -> dict[str, Any]:
    return {
        "Id": fid,
        "Type": kind,
        "Severity": severity,
        "UpdatedAt": updated,
        "Resource": {"ResourceType": "AccessKey", "AccessKeyDetails": {"UserName": "alice"}},
        "Service": {
            "Archived": archived,
            "Action": {"AwsApiCallAction": {"RemoteIpDetails": {"IpAddressV4": ip}}},
        },
    }


FINDINGS = [
    _finding("a", "Stealth:IAMUser/CloudTrailLoggingDisabled", 2.0, False, "2026-01-01T00:00:00.000Z", "198.51.100.1"),
    _finding("b", "PenTest:IAMUser/KaliLinux", 5.0, True, "2026-01-02T00:00:00.000Z", "198.51.100.2"),
    _finding("c", "Policy:IAMUser/RootCredentialUsage", 8.0, False, "2026-01-03T00:00:00.000Z", "203.0.113.9"),
]


def _ids(criterion: dict[str, Any]) -> list[str]:
    resolved = criteria.check(criterion, SHAPE)
    return [f["Id"] for f in FINDINGS if criteria.matches(f, resolved)]


def test_paths_resolve_wire_names_to_members() -> None:
    assert criteria.resolve(SHAPE, "service.action.awsApiCallAction.remoteIpDetails.ipAddressV4") == (
        "Service",
        "Action",
        "AwsApiCallAction",
        "RemoteIpDetails",
        "IpAddressV4",
    )
    assert criteria.resolve(SHAPE, "resource.instanceDetails.networkInterfaces.privateIpAddress")[-1] == (
        "PrivateIpAddress"
    )
    with pytest.raises(AwsError) as exc:
        criteria.resolve(SHAPE, "service.nope")
    assert exc.value.code == "BadRequestException"


def test_conditions() -> None:
    assert _ids({"type": {"Eq": ["PenTest:IAMUser/KaliLinux"]}}) == ["b"]
    assert _ids({"type": {"Neq": ["PenTest:IAMUser/KaliLinux"]}}) == ["a", "c"]
    assert _ids({"severity": {"Gte": 5}}) == ["b", "c"]
    assert _ids({"severity": {"GreaterThan": 5}}) == ["c"]
    assert _ids({"severity": {"Eq": ["8"]}}) == ["c"]
    assert _ids({"service.archived": {"Equals": ["true"]}}) == ["b"]
    assert _ids({"updatedAt": {"LessThan": 1767312000000}}) == ["a"]  # 2026-01-02T00:00:00Z in ms
    assert _ids({"resource.accessKeyDetails.userName": {"Eq": ["alice"]}, "severity": {"Lt": 5}}) == ["a"]
    assert _ids({"service.action.awsApiCallAction.remoteIpDetails.ipAddressV4": {"Matches": ["198.51.*"]}}) == [
        "a",
        "b",
    ]
    assert _ids({"service.action.awsApiCallAction.remoteIpDetails.ipAddressV4": {"NotMatches": ["198.51.*"]}}) == ["c"]
    assert _ids({"resource.s3BucketDetails.name": {"Eq": ["x"]}}) == []


def test_sorting() -> None:
    by = criteria.sort_key(criteria.resolve(SHAPE, "severity"))
    assert [f["Id"] for f in sorted(FINDINGS, key=by, reverse=True)] == ["c", "b", "a"]
    by = criteria.sort_key(criteria.resolve(SHAPE, "updatedAt"))
    assert [f["Id"] for f in sorted(FINDINGS, key=by)] == ["a", "b", "c"]
    by = criteria.sort_key(criteria.resolve(SHAPE, "type"))
    assert [f["Id"] for f in sorted(FINDINGS, key=by)] == ["b", "c", "a"]
