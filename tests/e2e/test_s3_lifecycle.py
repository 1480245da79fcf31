"""S3 Lifecycle on the server clock, through boto3 against a real test-mode server: objects expire, versions are
delete-marked and then removed, expired delete markers and incomplete uploads go, Object Lock holds, EventBridge
hears "Object Deleted" with reason "Lifecycle Expiration", CloudTrail has the service's own record.

One server per backend for the module (its own: moving the clock of the session's shared server would expire other
tests' credentials and keys). Each test works in its own buckets and measures days from objects it has just written,
so the order the tests run in does not matter.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.e2e.s3_support import new_bucket
from tests.support.errors import code_of_call
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

DAY = 86400.0


@pytest.fixture(scope="module")
def lc_server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    url = None if backend == "sqlite" else fresh_database(request.getfixturevalue("postgres_url"))
    srv = ServerProcess(Path(tmp_path_factory.mktemp(f"s3-lifecycle-{backend}")), url, ["--test-mode"])
    srv.init()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def s3(lc_server: ServerProcess) -> Any:
    return lc_server.client("s3")


def server_now(server: ServerProcess) -> datetime:
    status, body = server.admin("GET", "clock")
    assert status == 200, body
    return datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))


def put_rules(s3: Any, bucket: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": list(rules)})


def keys_of(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def versions_of(s3: Any, bucket: str) -> list[tuple[str, str, bool, bool]]:
    """(key, version id, is latest, is delete marker), by key, versions before delete markers."""
    out = s3.list_object_versions(Bucket=bucket)
    found = [(v["Key"], v["VersionId"], v["IsLatest"], False) for v in out.get("Versions", [])]
    found += [(m["Key"], m["VersionId"], m["IsLatest"], True) for m in out.get("DeleteMarkers", [])]
    return sorted(found, key=lambda v: (v[0], v[3], v[1]))


def s3_event_log(server: ServerProcess, bucket: str) -> str:
    """A rule sending the bucket's aws.s3 events to a log target; returns the log's name."""
    s3 = server.client("s3")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    name = unique("s3-lifecycle")
    events = server.client("events")
    pattern = {"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "log", "Arn": log_target(server, name)}])
    return name


def deleted_events(server: ServerProcess, log: str, at_least: int) -> list[dict[str, Any]]:
    def found() -> list[dict[str, Any]]:
        got = [e for e in log_entries(server, log) if e["detail-type"] == "Object Deleted"]
        return got if len(got) >= at_least else []

    return list(wait_for(found, timeout=20, nudge=lambda: server.advance(0)))


# -- unversioned buckets ---------------------------------------------------------------------------------------------


def test_days_expire_objects_after_the_next_midnight(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-days")
    log = s3_event_log(lc_server, bucket)
    for key in ("logs/a.txt", "logs/b.txt", "keep/c.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * 10)
    put_rules(
        s3, bucket, {"ID": "logs-3d", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 3}}
    )

    lc_server.advance(2 * DAY)  # at most 2 days old: the earliest expiry is 3 days after creation, rounded up
    assert keys_of(s3, bucket) == ["keep/c.txt", "logs/a.txt", "logs/b.txt"]
    lc_server.advance(2 * DAY)  # 4 days: past creation + 3 days rounded to the next midnight
    assert keys_of(s3, bucket) == ["keep/c.txt"]
    assert code_of_call(s3.head_object, Bucket=bucket, Key="logs/a.txt") == "404"
    assert s3.get_object(Bucket=bucket, Key="keep/c.txt")["Body"].read() == b"x" * 10

    events = deleted_events(lc_server, log, 2)
    assert sorted(e["detail"]["object"]["key"] for e in events) == ["logs/a.txt", "logs/b.txt"]
    detail = events[0]["detail"]
    assert detail["reason"] == "Lifecycle Expiration"
    assert detail["deletion-type"] == "Permanently Deleted"
    assert detail["requester"] == "s3.amazonaws.com"
    assert "source-ip-address" not in detail  # only for events a request caused
    assert "version-id" not in detail["object"]  # unversioned
    assert events[0]["source"] == "aws.s3" and events[0]["resources"] == [f"arn:aws:s3:::{bucket}"]

    # The configuration is unchanged and the job goes on: a new object expires in its turn.
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["ID"] == "logs-3d"
    s3.put_object(Bucket=bucket, Key="logs/later.txt", Body=b"y")
    lc_server.advance(4 * DAY)
    assert keys_of(s3, bucket) == ["keep/c.txt"]


def test_filters_tags_and_sizes(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-filter")
    s3.put_object(Bucket=bucket, Key="small-tmp", Body=b"x" * 10, Tagging="env=tmp")
    s3.put_object(Bucket=bucket, Key="large-tmp", Body=b"x" * 1000, Tagging="env=tmp")
    s3.put_object(Bucket=bucket, Key="small-prod", Body=b"x" * 10, Tagging="env=prod")
    s3.put_object(Bucket=bucket, Key="small-untagged", Body=b"x" * 10)
    put_rules(
        s3,
        bucket,
        {
            "ID": "small-tmp",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "", "Tags": [{"Key": "env", "Value": "tmp"}], "ObjectSizeLessThan": 100}},
            "Expiration": {"Days": 1},
        },
    )
    lc_server.advance(3 * DAY)
    assert keys_of(s3, bucket) == ["large-tmp", "small-prod", "small-untagged"]


def test_date_rule_disabled_rule_and_deleted_configuration(lc_server: ServerProcess, s3: Any) -> None:
    dated, disabled, removed = (new_bucket(s3, p) for p in ("lc-date", "lc-off", "lc-gone"))
    for bucket in (dated, disabled, removed):
        s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    day = (server_now(lc_server) + timedelta(days=2)).date()
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    put_rules(s3, dated, {"ID": "date", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": midnight}})
    put_rules(s3, disabled, {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}})
    put_rules(s3, removed, {"ID": "gone", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    s3.delete_bucket_lifecycle(Bucket=removed)

    lc_server.advance(1 * DAY)  # the date is at least a day away still
    assert keys_of(s3, dated) == ["k"]
    lc_server.advance(2 * DAY)
    assert keys_of(s3, dated) == []
    assert keys_of(s3, disabled) == ["k"]
    assert keys_of(s3, removed) == ["k"]
    # A date-based rule is not a one-time action: what is written after the date expires too.
    s3.put_object(Bucket=dated, Key="after", Body=b"x")
    lc_server.advance(1 * DAY)
    assert keys_of(s3, dated) == []


# -- versioned buckets -----------------------------------------------------------------------------------------------


def test_versioned_expiration_adds_a_delete_marker_then_noncurrent_versions_go(
    lc_server: ServerProcess, s3: Any
) -> None:
    bucket = new_bucket(s3, "lc-ver")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    log = s3_event_log(lc_server, bucket)
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    put_rules(
        s3,
        bucket,
        {
            "ID": "versions",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": 1},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 3},
        },
    )
    lc_server.advance(2 * DAY)
    listed = versions_of(s3, bucket)
    assert [(k, latest, marker) for k, _, latest, marker in listed] == [("k", False, False), ("k", True, True)]
    assert [vid for _, vid, _, marker in listed if not marker] == [first]
    assert code_of_call(s3.head_object, Bucket=bucket, Key="k") == "404"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=first)["Body"].read() == b"one"
    (event,) = deleted_events(lc_server, log, 1)
    assert event["detail"]["deletion-type"] == "Delete Marker Created"
    assert event["detail"]["reason"] == "Lifecycle Expiration"
    marker_id = next(vid for _, vid, _, marker in listed if marker)
    assert event["detail"]["object"]["version-id"] == marker_id

    lc_server.advance(5 * DAY)  # noncurrent for 3 days: removed; the marker left alone is old enough for Days=1
    assert versions_of(s3, bucket) == []
    events = deleted_events(lc_server, log, 3)
    assert sorted(e["detail"]["deletion-type"] for e in events) == [
        "Delete Marker Created",
        "Permanently Deleted",
        "Permanently Deleted",
    ]


def test_newer_noncurrent_versions_are_kept(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-newer")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=str(i).encode())["VersionId"] for i in range(5)]
    put_rules(
        s3,
        bucket,
        {
            "ID": "keep-2",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 2},
        },
    )
    lc_server.advance(3 * DAY)
    remaining = [vid for _, vid, _, _ in versions_of(s3, bucket)]
    assert sorted(remaining) == sorted(ids[2:])  # the current version and the 2 newest noncurrent ones
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"4"


def test_expired_object_delete_markers_are_removed(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-eodm")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in ("alone", "with-history"):
        vid = s3.put_object(Bucket=bucket, Key=key, Body=b"x")["VersionId"]
        s3.delete_object(Bucket=bucket, Key=key)  # a delete marker over it
        if key == "alone":
            s3.delete_object(Bucket=bucket, Key=key, VersionId=vid)  # now the marker is the only version
    put_rules(
        s3, bucket, {"ID": "eodm", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True}}
    )
    lc_server.advance(1 * DAY)
    keys = [(k, marker) for k, _, _, marker in versions_of(s3, bucket)]
    assert keys == [("with-history", False), ("with-history", True)]


def test_suspended_bucket_gets_a_null_delete_marker(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-susp")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"null version")
    put_rules(s3, bucket, {"ID": "exp", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    lc_server.advance(3 * DAY)
    # The null version is replaced by a null delete marker; the versioned one stays, noncurrent.
    assert versions_of(s3, bucket) == [("k", kept, False, False), ("k", "null", True, True)]


# -- Object Lock -----------------------------------------------------------------------------------------------------


def test_locked_versions_survive_but_get_delete_markers(lc_server: ServerProcess, s3: Any) -> None:
    bucket = unique("lc-lock")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    until = server_now(lc_server) + timedelta(days=30)
    held = s3.put_object(Bucket=bucket, Key="held", Body=b"h", ObjectLockLegalHoldStatus="ON")["VersionId"]
    retained = s3.put_object(
        Bucket=bucket, Key="retained", Body=b"r", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    free = s3.put_object(Bucket=bucket, Key="free", Body=b"f")["VersionId"]
    put_rules(
        s3,
        bucket,
        {
            "ID": "all",
            "Status": "Enabled",
            "Filter": {},
            "Expiration": {"Days": 1},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        },
    )
    lc_server.advance(2 * DAY)  # every current version gets a delete marker, locked or not
    assert keys_of(s3, bucket) == []
    lc_server.advance(3 * DAY)  # noncurrent for long enough: only the unlocked version goes
    left = {(k, vid) for k, vid, _, marker in versions_of(s3, bucket) if not marker}
    assert left == {("held", held), ("retained", retained)}
    assert free not in {vid for _, vid, _, _ in versions_of(s3, bucket)}

    s3.put_object_legal_hold(Bucket=bucket, Key="held", VersionId=held, LegalHold={"Status": "OFF"})
    lc_server.advance(1 * DAY)
    left = {(k, vid) for k, vid, _, marker in versions_of(s3, bucket) if not marker}
    assert left == {("retained", retained)}
    lc_server.advance(30 * DAY)  # the retention has ended
    assert versions_of(s3, bucket) == []


# -- multipart uploads -----------------------------------------------------------------------------------------------


def test_incomplete_multipart_uploads_are_aborted(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-mpu")
    stale = s3.create_multipart_upload(Bucket=bucket, Key="tmp/big.bin")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="tmp/big.bin", UploadId=stale, PartNumber=1, Body=b"p" * 1024)
    other = s3.create_multipart_upload(Bucket=bucket, Key="keep/big.bin")["UploadId"]
    put_rules(
        s3,
        bucket,
        {
            "ID": "abort-1",
            "Status": "Enabled",
            "Filter": {"Prefix": "tmp/"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
        },
    )
    lc_server.advance(3 * DAY)
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [("keep/big.bin", other)]
    assert code_of_call(s3.list_parts, Bucket=bucket, Key="tmp/big.bin", UploadId=stale) == "NoSuchUpload"


# -- CloudTrail ------------------------------------------------------------------------------------------------------


def test_cloudtrail_records_the_lifecycle_actions(lc_server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "lc-trail")
    s3.put_object(Bucket=bucket, Key="gone", Body=b"x")
    put_rules(s3, bucket, {"ID": "trail", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}})
    lc_server.advance(3 * DAY)
    trail = lc_server.client("cloudtrail")

    def found() -> list[dict[str, Any]]:
        events = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LifecycleExpiration"}]
        )["Events"]
        records = [json.loads(e["CloudTrailEvent"]) for e in events]
        return [r for r in records if r["serviceEventDetails"]["bucketName"] == bucket]

    (record,) = wait_for(found, timeout=20)
    assert record["eventType"] == "AwsServiceEvent"
    assert record["eventSource"] == "s3.amazonaws.com"
    details = record["serviceEventDetails"]
    assert details["bucketName"] == bucket
    assert details["counts"] == {"objectsExpired": 1}
    assert details["actions"] == [{"operation": "S3.EXPIRE.OBJECT", "key": "gone", "ruleId": "trail"}]
