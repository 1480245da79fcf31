"""GuardDuty's signature detectors, family by family, on the hand-written records of
tests/unit/detection_cases/vectors.json (each vector: records merged over a base record, the finding types they
must raise — no more, no fewer)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from strongroom.detection.contract import DetectorSettings, ThreatList
from strongroom.detection.engine import build_engine
from strongroom.detection.state import MemoryStateStore

DATA = Path(__file__).parent / "detection_cases" / "vectors.json"
SPEC = json.loads(DATA.read_text())


def _settings(raw: dict[str, Any]) -> DetectorSettings:
    def lists(key: str) -> tuple[ThreatList, ...]:
        return tuple(ThreatList(t["name"], frozenset(t["entries"])) for t in raw.get(key, ()))

    return DetectorSettings(
        "123456789012",
        detector_id="d0",
        threats=lists("threats"),
        trusted=lists("trusted"),
        s3_data_events=raw.get("s3_data_events", True),
    )


def run_vector(vector: dict[str, Any]) -> list[Any]:
    engine = build_engine(_settings(vector.get("settings", {})), MemoryStateStore())
    drafts = []
    for override in vector["records"]:
        drafts.extend(engine.process({**SPEC["base"], **override}))
    return drafts


@pytest.mark.parametrize("vector", SPEC["vectors"], ids=[v["name"] for v in SPEC["vectors"]])
def test_vector(vector: dict[str, Any]) -> None:
    drafts = run_vector(vector)
    assert sorted({d.type for d in drafts}) == sorted(vector["expect"]), [d.title for d in drafts]


def test_every_family_has_vectors() -> None:
    families = {v["family"] for v in SPEC["vectors"]}
    assert families >= {"stealth", "policy", "pentest", "threat-ip", "instance", "s3", "kms"}


def test_drafts_carry_aws_finding_parts() -> None:
    [draft] = run_vector(next(v for v in SPEC["vectors"] if v["name"] == "StopLogging"))
    assert draft.severity == 2.0
    assert draft.title == "AWS CloudTrail trail main was disabled."
    assert draft.resource["ResourceType"] == "AccessKey"
    assert draft.resource["AccessKeyDetails"] == {
        "AccessKeyId": "AKIAEXAMPLEKEY000001",
        "PrincipalId": "AIDAEXAMPLEUSER00001",
        "UserName": "mallory",
        "UserType": "IAMUser",
    }
    call = draft.service["Action"]["AwsApiCallAction"]
    assert call["Api"] == "StopLogging" and call["ServiceName"] == "cloudtrail.amazonaws.com"
    assert call["CallerType"] == "Remote IP"
    assert call["RemoteIpDetails"] == {"IpAddressV4": "198.51.100.7"}  # no geo/ASN: no database is shipped
    assert draft.account_id == "123456789012" and draft.region == "us-east-1"


def test_threat_list_evidence_and_s3_resource() -> None:
    [draft] = run_vector(next(v for v in SPEC["vectors"] if v["name"] == "S3 data event from a threat list"))
    assert draft.resource["ResourceType"] == "S3Bucket"
    assert draft.resource["S3BucketDetails"][0]["Name"] == "reports"
    details = draft.service["Evidence"]["ThreatIntelligenceDetails"]
    assert details == [{"ThreatListName": "bad-actors", "ThreatNames": ["CustomThreatList"]}]
    assert draft.severity == 8.0


def test_same_type_resource_actor_same_dedup_key() -> None:
    vector = next(v for v in SPEC["vectors"] if v["name"] == "StopLogging")
    twice = {**vector, "records": vector["records"] * 2}
    first, second = run_vector(twice)
    assert first.dedup_key == second.dedup_key
    other = run_vector({**vector, "records": [{**vector["records"][0], "requestParameters": {"name": "other"}}]})
    assert other[0].dedup_key != first.dedup_key
