"""S3 event notifications through EventBridge, end to end: a bucket that sends to EventBridge, rules on the default
bus matching aws.s3 events, and the events PutObject, CopyObject, CompleteMultipartUpload and deletes produce."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.e2e.s3_support import new_bucket
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def rule_for(server: ServerProcess) -> Iterator[Any]:
    """Make a rule on the default bus delivering to a fresh log target; returns the log's name. Rules are dropped
    afterwards."""
    events = server.client("events")
    made: list[str] = []

    def make(pattern: dict[str, Any]) -> str:
        rule, log = unique("s3rule"), unique("s3log")
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": log_target(server, log)}])
        made.append(rule)
        return log

    yield make
    for rule in made:
        events.remove_targets(Rule=rule, Ids=["log"])
        events.delete_rule(Name=rule)


def _events(server: ServerProcess, log: str, count: int) -> list[dict[str, Any]]:
    found = wait_for(
        lambda: len(log_entries(server, log)) >= count and log_entries(server, log), nudge=lambda: server.advance(0)
    )
    return list(found)


def test_notification_configuration(s3: Any) -> None:
    bucket = new_bucket(s3, "evcfg")
    out = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "EventBridgeConfiguration" not in out
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["EventBridgeConfiguration"] == {}
    # SNS / SQS / Lambda destinations are not served: refused, and the configuration is left as it was.
    exc = raised_by(
        s3.put_bucket_notification_configuration,
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [
                {"TopicArn": "arn:aws:sns:us-east-1:123456789012:t", "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    assert error_of(exc)[0::2] == ("InvalidArgument", 400)
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["EventBridgeConfiguration"] == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_object_created_events(server: ServerProcess, s3: Any, rule_for: Any) -> None:
    bucket = new_bucket(s3, "events")
    quiet = new_bucket(s3, "noevents")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    log = rule_for(
        {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [bucket, quiet]}}}
    )
    account = server.client("sts").get_caller_identity()["Account"]
    s3.put_object(Bucket=quiet, Key="never-announced", Body=b"x")  # no EventBridge configuration: no event
    put = s3.put_object(Bucket=bucket, Key="dir/new file.txt", Body=b"hello events")
    event = _events(server, log, 1)[0]
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["account"] == account and event["region"] == "us-east-1"
    assert event["resources"] == [f"arn:aws:s3:::{bucket}"]
    detail = event["detail"]
    assert detail["bucket"] == {"name": bucket}
    assert detail["object"]["key"] == "dir/new file.txt"
    assert detail["object"]["size"] == len(b"hello events")
    assert detail["object"]["etag"] == put["ETag"].strip('"')
    assert detail["reason"] == "PutObject" and detail["requester"] == account
    assert detail["request-id"] == put["ResponseMetadata"]["RequestId"]
    # A copy and a completed multipart upload are announced too, with their reasons.
    s3.copy_object(Bucket=bucket, Key="copied", CopySource={"Bucket": bucket, "Key": "dir/new file.txt"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket, Key="multi", UploadId=upload, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}
    )
    events = _events(server, log, 3)
    assert [(e["detail"]["object"]["key"], e["detail"]["reason"]) for e in events] == [
        ("dir/new file.txt", "PutObject"),
        ("copied", "CopyObject"),
        ("multi", "CompleteMultipartUpload"),
    ]
    sequencers = [e["detail"]["object"]["sequencer"] for e in events]
    assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3
    assert not any(e["detail"]["object"]["key"] == "never-announced" for e in log_entries(server, log))


def test_object_deleted_events(server: ServerProcess, s3: Any, rule_for: Any) -> None:
    bucket = new_bucket(s3, "evdel")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    log = rule_for({"source": ["aws.s3"], "detail-type": ["Object Deleted"], "detail": {"bucket": {"name": [bucket]}}})
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    events = _events(server, log, 2)
    assert [(e["detail"]["deletion-type"], e["detail"]["object"].get("version-id")) for e in events] == [
        ("Delete Marker Created", marker),
        ("Permanently Deleted", version),
    ]
    assert all(e["detail"]["reason"] == "DeleteObject" for e in events)
