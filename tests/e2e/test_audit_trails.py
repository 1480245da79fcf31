"""Trails: the CloudTrail API subset, delivery to the bucket directory, the signed digest chain and tampering."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of
from tests.support.server import ServerProcess, strongroom

NO_VALIDATION = botocore.config.Config(parameter_validation=False)
HOUR = 3600


@pytest.fixture
def srv(make_server: Any) -> Iterator[ServerProcess]:
    server: ServerProcess = make_server("--test-mode")
    server.start()
    yield server


def server_now(server: ServerProcess) -> datetime:
    _, body = server.admin("GET", "clock")
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


def records_in(root: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(root.rglob("*.json.gz")):
        if "/CloudTrail/" in path.as_posix():
            found += json.loads(gzip.decompress(path.read_bytes()))["Records"]
    return found


def validate(server: ServerProcess, trail: str, start: datetime, end: datetime) -> tuple[int, str]:
    result = strongroom(
        "audit",
        "validate",
        "--data-dir",
        str(server.data_dir),
        "--trail",
        trail,
        "--start-time",
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_trail_api(srv: ServerProcess) -> None:
    ct = srv.client("cloudtrail")
    raw = srv.client("cloudtrail", config=NO_VALIDATION)
    created = ct.create_trail(Name="main-trail", S3BucketName="audit-bucket", S3KeyPrefix="pre")
    arn = created["TrailARN"]
    assert arn == f"arn:aws:cloudtrail:us-east-1:{arn.split(':')[4]}:trail/main-trail"
    assert created["IncludeGlobalServiceEvents"] is True and created["LogFileValidationEnabled"] is False
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="main-trail", S3BucketName="audit-bucket")
    assert code_of(exc) == "TrailAlreadyExistsException"
    for bad in ("ab", "-bad", "bad-", "a..b", "10.0.0.1"):
        with pytest.raises(ClientError) as exc:
            raw.create_trail(Name=bad, S3BucketName="audit-bucket")
        assert code_of(exc) == "InvalidTrailNameException", bad
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="other", S3BucketName="Bad_Bucket")
    assert code_of(exc) == "InvalidS3BucketNameException"
    with pytest.raises(ClientError) as exc:
        ct.get_trail(Name="nope-trail")
    assert code_of(exc) == "TrailNotFoundException"
    with pytest.raises(ClientError) as exc:
        ct.get_trail_status(Name="arn:aws:cloudtrail:us-east-1:123456789012:trail/x-y-z")
    assert code_of(exc) == "TrailNotFoundException"

    trail = ct.get_trail(Name=arn)["Trail"]
    assert trail["HomeRegion"] == "us-east-1" and trail["S3KeyPrefix"] == "pre"
    assert [t["Name"] for t in ct.describe_trails()["trailList"]] == ["main-trail"]
    assert ct.list_trails()["Trails"] == [{"TrailARN": arn, "Name": "main-trail", "HomeRegion": "us-east-1"}]
    assert ct.describe_trails(trailNameList=["unknown"])["trailList"] == []
    assert ct.describe_trails()["trailList"][0]["HasCustomEventSelectors"] is False

    updated = ct.update_trail(Name="main-trail", EnableLogFileValidation=True, S3KeyPrefix="")
    assert updated["LogFileValidationEnabled"] is True and "S3KeyPrefix" not in updated

    assert ct.get_trail_status(Name="main-trail")["IsLogging"] is False
    ct.start_logging(Name="main-trail")
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    ct.stop_logging(Name="main-trail")
    status = ct.get_trail_status(Name="main-trail")
    assert status["IsLogging"] is False and "StopLoggingTime" in status

    defaults = ct.get_event_selectors(TrailName="main-trail")["EventSelectors"]
    assert defaults == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "DataResources": [],
            "ExcludeManagementEventSources": [],
        }
    ]
    put = ct.put_event_selectors(
        TrailName="main-trail", EventSelectors=[{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    )
    assert put["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert ct.get_trail(Name="main-trail")["Trail"]["HasCustomEventSelectors"] is True
    with pytest.raises(ClientError) as exc:
        raw.put_event_selectors(TrailName="main-trail")
    assert code_of(exc) == "InvalidParameterCombinationException"
    advanced = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]
    got = ct.put_event_selectors(TrailName="main-trail", AdvancedEventSelectors=advanced)
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got

    with pytest.raises(ClientError) as exc:
        ct.get_insight_selectors(TrailName="main-trail")
    assert code_of(exc) == "InsightNotEnabledException"
    insights = [{"InsightType": "ApiCallRateInsight"}]
    ct.put_insight_selectors(TrailName="main-trail", InsightSelectors=insights)
    assert ct.get_insight_selectors(TrailName="main-trail")["InsightSelectors"] == insights

    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "3"}])
    ct.remove_tags(ResourceId=arn, TagsList=[{"Key": "b"}])
    assert ct.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "a", "Value": "3"}]}
    ]
    with pytest.raises(ClientError) as exc:
        ct.add_tags(ResourceId="main-trail", TagsList=[{"Key": "a", "Value": "1"}])
    assert code_of(exc) == "CloudTrailARNInvalidException"
    with pytest.raises(ClientError) as exc:
        ct.list_tags(ResourceIdList=[arn.replace("main-trail", "gone-trail")])
    assert code_of(exc) == "ResourceNotFoundException"

    ct.delete_trail(Name="main-trail")
    assert ct.list_trails()["Trails"] == []
    with pytest.raises(ClientError) as exc:
        ct.delete_trail(Name="main-trail")
    assert code_of(exc) == "TrailNotFoundException"


def test_selectors_and_stop_logging_shape_delivery(srv: ServerProcess) -> None:
    ct, kms = srv.client("cloudtrail"), srv.client("kms")
    ct.create_trail(Name="writes", S3BucketName="writes-bucket")
    ct.put_event_selectors(TrailName="writes", EventSelectors=[{"ReadWriteType": "WriteOnly"}])
    ct.create_trail(Name="no-kms", S3BucketName="no-kms-bucket")
    ct.put_event_selectors(
        TrailName="no-kms", EventSelectors=[{"ExcludeManagementEventSources": ["kms.amazonaws.com"]}]
    )
    ct.start_logging(Name="writes")
    ct.start_logging(Name="no-kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key_id)
    ct.stop_logging(Name="writes")
    kms.create_key(Description="after the stop")
    srv.advance(600)
    base = srv.data_dir / "trails"
    writes = records_in(base / "writes-bucket")
    assert {r["eventName"] for r in writes} == {"StartLogging", "CreateKey", "StopLogging"}  # StopLogging too
    assert all(r["readOnly"] is False for r in writes)
    assert len([r for r in writes if r["eventName"] == "CreateKey"]) == 1  # nothing after the stop
    no_kms = records_in(base / "no-kms-bucket")
    assert no_kms and all(r["eventSource"] != "kms.amazonaws.com" for r in no_kms)
    status = ct.get_trail_status(Name="writes")
    assert "LatestDeliveryTime" in status


def test_lookup_window_is_90_days(srv: ServerProcess) -> None:
    ct, kms = srv.client("cloudtrail"), srv.client("kms")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    attrs = [{"AttributeKey": "ResourceName", "AttributeValue": arn}]
    assert ct.lookup_events(LookupAttributes=attrs)["Events"]
    srv.advance(89 * 86400)
    assert ct.lookup_events(LookupAttributes=attrs)["Events"]
    srv.advance(2 * 86400)
    assert ct.lookup_events(LookupAttributes=attrs)["Events"] == []


def _digests(root: Path) -> list[Path]:
    return sorted(root.rglob("*CloudTrail-Digest_*.json.gz"), key=lambda p: p.name)


def _logs(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.json.gz") if "/CloudTrail/" in p.as_posix())


def test_digest_chain_validates_and_every_tampering_is_reported(srv: ServerProcess) -> None:
    ct, kms = srv.client("cloudtrail"), srv.client("kms")
    start = server_now(srv) - timedelta(minutes=5)
    ct.create_trail(Name="signed", S3BucketName="signed-bucket", EnableLogFileValidation=True)
    ct.start_logging(Name="signed")
    for round_ in range(3):
        for i in range(3):
            kms.create_key(Description=f"round {round_} key {i}")
        srv.advance(HOUR + 60)
    end = server_now(srv) + timedelta(minutes=5)
    root = srv.data_dir / "trails" / "signed-bucket"
    digests, logs = _digests(root), _logs(root)
    assert len(digests) >= 3 and len(logs) >= 3
    newest = json.loads(gzip.decompress(digests[-1].read_bytes()))
    assert newest["digestSignatureAlgorithm"] == "SHA256withRSA"
    assert newest["previousDigestS3Object"] == digests[-2].relative_to(root).as_posix()
    assert len(newest["previousDigestSignature"]) == 512 and len(newest["previousDigestHashValue"]) == 64
    assert newest["logFiles"] and newest["logFiles"][0]["hashAlgorithm"] == "SHA-256"
    first = json.loads(gzip.decompress(digests[0].read_bytes()))
    assert first["previousDigestSignature"] is None and first["previousDigestS3Object"] is None

    code, out = validate(srv, "signed", start, end)
    assert code == 0, out
    assert "INVALID" not in out
    assert f"{len(digests)}/{len(digests)} digest files valid" in out
    assert f"{len(logs)}/{len(logs)} log files valid" in out

    backup = root.parent / "backup"
    shutil.copytree(root, backup)

    def check(expected: str) -> str:
        code, out = validate(srv, "signed", start, end)
        assert code == 1, out
        assert expected in out, out
        shutil.rmtree(root)
        shutil.copytree(backup, root)
        return out

    # one byte of a log file changed
    content = bytearray(gzip.decompress(logs[1].read_bytes()))
    content[content.index(b"round")] = ord("R")
    logs[1].write_bytes(gzip.compress(bytes(content)))
    out = check("hash value doesn't match")
    assert logs[1].name in out

    # a log file deleted
    logs[0].unlink()
    assert logs[0].name in check("INVALID: not found")

    # a digest in the middle of the chain deleted
    digests[1].unlink()
    out = check("INVALID: not found")
    assert digests[1].name in out and "Chain" in out

    # the newest digest deleted: only the server's delivery record shows it is missing
    digests[-1].unlink()
    assert digests[-1].name in check("missing")

    # a digest replaced by a forged one (log file list edited, signature kept)
    forged = json.loads(gzip.decompress(digests[1].read_bytes()))
    forged["logFiles"] = forged["logFiles"][1:]
    digests[1].write_bytes(gzip.compress(json.dumps(forged).encode()))
    assert digests[1].name in check("signature verification failed")

    # two digests swapped
    a, b = digests[0].read_bytes(), digests[1].read_bytes()
    digests[0].write_bytes(b)
    digests[1].write_bytes(a)
    assert "has been moved from its original location" in check("INVALID")

    # untouched again after the restores
    code, out = validate(srv, "signed", start, end)
    assert code == 0, out
