"""GuardDuty's live path, with the stand-in detection engine: audit records -> engine -> findings -> EventBridge,
repeats aggregated and published at the detector's frequency, threat-intel sets reaching the engine, the engine's
state persisted, and publishing destinations receiving KMS-encrypted exports in AWS's layout."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from strongroom.services.guardduty.model import engine_state
from tests.e2e.access_support import allow, client_for, make_user
from tests.e2e.events_support import log_entries, store_of, wait_for
from tests.e2e.guardduty_support import account_with_detector, error_of, export_bucket, finding_rule, start_server
from tests.support.server import ServerProcess

STOP = "Stealth:IAMUser/CloudTrailLoggingDisabled"
MALICIOUS = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"


@pytest.fixture(scope="module")
def gd_server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    yield from start_server(backend, request, tmp_path_factory.mktemp(f"gdlive-{backend}"))


def _findings(gd: Any, detector: str, finding_type: str) -> list[dict[str, Any]]:
    ids = gd.list_findings(DetectorId=detector, FindingCriteria={"Criterion": {"type": {"Eq": [finding_type]}}})
    if not ids["FindingIds"]:
        return []
    return list(gd.get_findings(DetectorId=detector, FindingIds=ids["FindingIds"])["Findings"])


def test_stop_logging_becomes_a_finding_and_an_event(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server, FindingPublishingFrequency="FIFTEEN_MINUTES")
    log = f"gdlog-{uuid.uuid4().hex[:8]}"
    finding_rule(account, log)
    cloudtrail = account.client("cloudtrail")
    trail = f"t-{uuid.uuid4().hex[:8]}"
    cloudtrail.create_trail(Name=trail, S3BucketName=f"no-such-bucket-{uuid.uuid4().hex[:8]}")
    cloudtrail.start_logging(Name=trail)
    cloudtrail.stop_logging(Name=trail)

    found = wait_for(lambda: _findings(gd, detector, STOP))
    finding = found[0]
    assert finding["AccountId"] == account.account_id and finding["Region"] == "us-east-1"
    assert finding["Resource"]["ResourceType"] == "AccessKey"
    assert finding["Service"]["Action"]["AwsApiCallAction"]["Api"] == "StopLogging"
    assert finding["Service"]["Count"] == 1 and finding["Service"]["DetectorId"] == detector

    nudge = lambda: gd_server.advance(0)  # noqa: E731 - runs the event delivery job
    events = wait_for(lambda: log_entries(gd_server, log), nudge=nudge)
    assert len(events) == 1
    event = events[0]
    assert (event["source"], event["detail-type"]) == ("aws.guardduty", "GuardDuty Finding")
    assert event["account"] == account.account_id
    detail = event["detail"]
    assert detail["schemaVersion"] == "2.0" and detail["type"] == STOP and detail["id"] == finding["Id"]
    assert detail["service"]["count"] == 1 and detail["resource"]["resourceType"] == "AccessKey"

    # a repeat updates the finding (Count 2), and reaches the bus at the detector's frequency, not at once
    cloudtrail.start_logging(Name=trail)
    cloudtrail.stop_logging(Name=trail)
    wait_for(lambda: _findings(gd, detector, STOP)[0]["Service"]["Count"] == 2)
    assert len(_findings(gd, detector, STOP)) == 1
    gd_server.advance(0)
    assert len(log_entries(gd_server, log)) == 1
    gd_server.advance(15 * 60 + 1)
    events = wait_for(lambda: len(log_entries(gd_server, log)) >= 2 and log_entries(gd_server, log), nudge=nudge)
    assert events[1]["detail"]["id"] == finding["Id"] and events[1]["detail"]["service"]["count"] == 2

    # the engine's state is kept per account
    store = store_of(gd_server)
    try:
        with store.read() as conn:
            saved = conn.execute(
                select(engine_state.c.value).where(engine_state.c.account_id == account.account_id)
            ).scalar()
    finally:
        store.dispose()
    assert saved is not None and int(saved) > 0

    # a disabled detector finds nothing
    gd.update_detector(DetectorId=detector, Enable=False)
    other = f"t-{uuid.uuid4().hex[:8]}"
    cloudtrail.create_trail(Name=other, S3BucketName=f"no-such-bucket-{uuid.uuid4().hex[:8]}")
    cloudtrail.stop_logging(Name=other)
    gd_server.advance(0)
    assert _findings(gd, detector, STOP)[0]["Service"]["Count"] == 2


def test_threat_intel_set_reaches_the_engine_failed_reads_included(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server)
    s3 = account.client("s3")
    bucket = f"gd-ti-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="bad-ips.txt", Body=b"127.0.0.0/8\n")
    user = make_user(account.client("iam"), allow("kms:DescribeKey"))
    gd.create_threat_intel_set(
        DetectorId=detector, Name="bad-ips", Format="TXT", Location=f"s3://{bucket}/bad-ips.txt", Activate=True
    )
    # the user's only call is a read that fails: it is analysed all the same
    with pytest.raises(ClientError):
        client_for(gd_server, "kms", user).describe_key(KeyId="alias/does-not-exist")

    def users_finding() -> list[dict[str, Any]]:
        return [
            f
            for f in _findings(gd, detector, MALICIOUS)
            if f["Resource"]["AccessKeyDetails"]["AccessKeyId"] == user["AccessKeyId"]
        ]

    found = wait_for(users_finding)
    action = found[0]["Service"]["Action"]["AwsApiCallAction"]
    assert action["Api"] == "DescribeKey" and action["RemoteIpDetails"]["IpAddressV4"] == "127.0.0.1"
    assert found[0]["Severity"] == 8.0


def test_publishing_writes_kms_encrypted_exports(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server)
    bucket, key = export_bucket(account, allow_guardduty=True)
    with pytest.raises(ClientError) as exc:
        gd.create_publishing_destination(
            DetectorId=detector,
            DestinationType="S3",
            DestinationProperties={"DestinationArn": f"arn:aws:s3:{bucket}", "KmsKeyArn": key},
        )
    assert error_of(exc)[0] == "BadRequestException"
    destination = gd.create_publishing_destination(
        DetectorId=detector,
        DestinationType="S3",
        DestinationProperties={"DestinationArn": f"arn:aws:s3:::{bucket}/exports/", "KmsKeyArn": key},
    )["DestinationId"]
    assert gd.list_publishing_destinations(DetectorId=detector)["Destinations"] == [
        {"DestinationId": destination, "DestinationType": "S3", "Status": "PUBLISHING"}
    ]
    gd.create_sample_findings(DetectorId=detector, FindingTypes=[STOP, MALICIOUS])
    gd_server.advance(5 * 60 + 1)
    s3 = account.client("s3")
    prefix = f"exports/AWSLogs/{account.account_id}/GuardDuty/us-east-1/"
    listed = wait_for(
        lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents"), nudge=lambda: gd_server.advance(0)
    )
    object_key = listed[0]["Key"]
    assert object_key.endswith(".jsonl.gz") and len(object_key[len(prefix) :].split("/")) == 4  # yyyy/mm/dd/uuid
    head = s3.head_object(Bucket=bucket, Key=object_key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key
    body = s3.get_object(Bucket=bucket, Key=object_key)["Body"].read()
    lines = [json.loads(line) for line in gzip.decompress(body).decode().splitlines()]
    assert sorted(f["type"] for f in lines) == sorted([STOP, MALICIOUS])
    assert all(f["schemaVersion"] == "2.0" and f["accountId"] == account.account_id for f in lines)

    described = gd.describe_publishing_destination(DetectorId=detector, DestinationId=destination)
    assert described["Status"] == "PUBLISHING"
    assert described["DestinationProperties"] == {"DestinationArn": f"arn:aws:s3:::{bucket}/exports/", "KmsKeyArn": key}


def test_publishing_refused_by_the_bucket_policy(gd_server: ServerProcess) -> None:
    account, gd, detector = account_with_detector(gd_server)
    bucket, key = export_bucket(account, allow_guardduty=False)
    destination = gd.create_publishing_destination(
        DetectorId=detector,
        DestinationType="S3",
        DestinationProperties={"DestinationArn": f"arn:aws:s3:::{bucket}", "KmsKeyArn": key},
    )["DestinationId"]
    gd.create_sample_findings(DetectorId=detector, FindingTypes=[STOP])
    gd_server.advance(5 * 60 + 1)

    def status() -> dict[str, Any] | None:
        got = gd.describe_publishing_destination(DetectorId=detector, DestinationId=destination)
        return got if got["Status"] == "UNABLE_TO_PUBLISH_FIX_DESTINATION_PROPERTY" else None

    failed = wait_for(status, nudge=lambda: gd_server.advance(0))
    assert failed["PublishingFailureStartTimestamp"] > 0
    assert account.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    gd.delete_publishing_destination(DetectorId=detector, DestinationId=destination)
    with pytest.raises(ClientError) as exc:
        gd.describe_publishing_destination(DetectorId=detector, DestinationId=destination)
    assert error_of(exc)[0] == "BadRequestException"
