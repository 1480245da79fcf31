"""CloudTrail data events for S3 objects: recorded only for the trails that select them (basic and advanced
selectors), for the requester's and the bucket owner's accounts, with S3's record shape, never in event history."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import select

from tests.e2e.access_support import client_for, policy
from tests.e2e.s3_support import new_bucket, other_account, s3_for
from tests.support.errors import code_of
from tests.support.server import ServerProcess

MARKER = b"DATA-EVENT-BODY-MARKER"


@pytest.fixture
def srv(make_server: Any) -> Iterator[ServerProcess]:
    server: ServerProcess = make_server("--test-mode")
    server.start()
    yield server


def flush(server: ServerProcess) -> None:
    status, body = server.admin("POST", "audit/flush")
    assert status == 200, body


def trail_records(server: ServerProcess, directory: str) -> list[dict[str, Any]]:
    """Every record the trail delivered into its directory (its bucket name is no S3 bucket of the server)."""
    found: list[dict[str, Any]] = []
    root: Path = server.data_dir / "trails" / directory
    for path in sorted(root.rglob("*.json.gz")):
        if "/CloudTrail/" in path.as_posix():
            found += json.loads(gzip.decompress(path.read_bytes()))["Records"]
    return found


def data_records(server: ServerProcess, directory: str) -> list[dict[str, Any]]:
    return [r for r in trail_records(server, directory) if r.get("eventCategory") == "Data"]


def stored_rows(server: ServerProcess, event_name: str) -> list[str]:
    """The records of ``event_name`` in the audit store, whatever their account (delivered or not)."""
    from strongroom.audit import model
    from strongroom.core.config import sqlite_url
    from strongroom.store.engine import Store

    store = Store(server.database_url or sqlite_url(server.data_dir.resolve()))
    try:
        with store.read() as conn:
            ev = model.events
            return list(conn.execute(select(ev.c.record).where(ev.c.event_name == event_name)).scalars())
    finally:
        store.dispose()


def logging_trail(ct: Any, name: str, **selectors: Any) -> str:
    """A trail delivering to the directory ``<name>-dir`` with these selectors, logging."""
    ct.create_trail(Name=name, S3BucketName=f"{name}-dir")
    ct.put_event_selectors(TrailName=name, **selectors)
    ct.start_logging(Name=name)
    return f"{name}-dir"


def s3_objects(bucket: str, prefix: str = "") -> list[dict[str, Any]]:
    return [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{bucket}/{prefix}"]}]


def test_basic_selectors_record_the_selected_objects_as_s3_records_them(srv: ServerProcess) -> None:
    s3, ct, sts = srv.client("s3"), srv.client("cloudtrail"), srv.client("sts")
    account = sts.get_caller_identity()["Account"]
    bucket, other = new_bucket(s3, "de"), new_bucket(s3, "de")
    directory = logging_trail(
        ct,
        "basic-data",
        EventSelectors=[
            {"ReadWriteType": "All", "IncludeManagementEvents": False, "DataResources": s3_objects(bucket, "logs/")}
        ],
    )
    body = MARKER + b" hello"
    put = s3.put_object(Bucket=bucket, Key="logs/a.txt", Body=body)
    assert s3.get_object(Bucket=bucket, Key="logs/a.txt")["Body"].read() == body
    s3.put_object(Bucket=bucket, Key="other/b.txt", Body=b"not selected")
    s3.put_object(Bucket=other, Key="logs/a.txt", Body=b"other bucket")
    flush(srv)

    records = trail_records(srv, directory)
    assert records and all(r["eventCategory"] == "Data" for r in records)  # no management events selected
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in records] == [
        ("PutObject", "logs/a.txt"),
        ("GetObject", "logs/a.txt"),
    ]
    put_record, get_record = records
    for record in records:
        assert record["eventSource"] == "s3.amazonaws.com" and record["eventType"] == "AwsApiCall"
        assert record["managementEvent"] is False and record["recipientAccountId"] == account
        assert record["userIdentity"]["type"] == "Root" and record["userIdentity"]["accountId"] == account
        assert record["resources"] == [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/logs/a.txt"},
            {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
        params = record["requestParameters"]
        assert params["bucketName"] == bucket and params["Host"].startswith("127.0.0.1")
        extra = record["additionalEventData"]
        assert extra["SignatureVersion"] == "SigV4" and extra["AuthenticationMethod"] == "AuthHeader"
        assert set(extra) == {
            "SignatureVersion",
            "bytesTransferredIn",
            "AuthenticationMethod",
            "x-amz-id-2",
            "bytesTransferredOut",
        }
        assert "sharedEventID" not in record and "errorCode" not in record
    assert put_record["readOnly"] is False and get_record["readOnly"] is True
    assert put_record["additionalEventData"]["bytesTransferredIn"] == len(body)
    assert get_record["additionalEventData"]["bytesTransferredOut"] == len(body)
    assert put_record["responseElements"]["x-amz-server-side-encryption"] == "AES256"
    assert get_record["responseElements"] is None
    assert put_record["requestID"] == put["ResponseMetadata"]["RequestId"]
    assert put_record["additionalEventData"]["x-amz-id-2"] == put["ResponseMetadata"]["HostId"]
    # the body is never recorded, in the trail's files or in the store
    for path in (srv.data_dir / "trails").rglob("*.json.gz"):
        assert MARKER not in gzip.decompress(path.read_bytes()), path
    assert not any(MARKER.decode() in r for r in stored_rows(srv, "PutObject") + stored_rows(srv, "GetObject"))

    # event history never shows data events, whatever the lookup
    for attributes in (
        [{"AttributeKey": "EventName", "AttributeValue": "PutObject"}],
        [{"AttributeKey": "ResourceName", "AttributeValue": f"arn:aws:s3:::{bucket}/logs/a.txt"}],
        [{"AttributeKey": "EventId", "AttributeValue": put_record["eventID"]}],
        [{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}],
    ):
        events = ct.lookup_events(LookupAttributes=attributes)["Events"]
        assert all(json.loads(e["CloudTrailEvent"])["eventCategory"] == "Management" for e in events), attributes
    s3_source = [{"AttributeKey": "EventSource", "AttributeValue": "s3.amazonaws.com"}]
    names = {e["EventName"] for e in ct.lookup_events(LookupAttributes=s3_source)["Events"]}
    assert "CreateBucket" in names and not names & {"PutObject", "GetObject"}

    # WriteOnly: reads of the same objects are no longer recorded
    ct.put_event_selectors(
        TrailName="basic-data",
        EventSelectors=[{"ReadWriteType": "WriteOnly", "DataResources": s3_objects(bucket)}],
    )
    s3.get_object(Bucket=bucket, Key="logs/a.txt")
    s3.delete_object(Bucket=bucket, Key="other/b.txt")
    flush(srv)
    seen = {r["eventID"] for r in records}
    later = [r for r in trail_records(srv, directory) if r["eventID"] not in seen]
    data = [(r["eventName"], r["requestParameters"].get("key")) for r in later if r["eventCategory"] == "Data"]
    assert data == [("DeleteObject", "other/b.txt")]
    # the trail's default management events are back with the basic selector that includes them
    assert any(r["eventName"] == "PutEventSelectors" for r in later)


def test_advanced_selectors(srv: ServerProcess) -> None:
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    bucket = new_bucket(s3, "adv")
    arn = f"arn:aws:s3:::{bucket}/"
    directory = logging_trail(
        ct,
        "advanced-data",
        AdvancedEventSelectors=[
            {
                "Name": "writes outside private/",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": [arn], "NotStartsWith": [arn + "private/"]},
                    {"Field": "readOnly", "Equals": ["false"]},
                ],
            },
            {
                "Name": "reads of reports",
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "EndsWith": [".csv"]},
                    {"Field": "eventName", "Equals": ["GetObject", "HeadObject"]},
                ],
            },
        ],
    )
    s3.put_object(Bucket=bucket, Key="public/a.csv", Body=b"a")
    s3.put_object(Bucket=bucket, Key="private/b.csv", Body=b"b")
    s3.get_object(Bucket=bucket, Key="private/b.csv")
    s3.get_object(Bucket=bucket, Key="public/a.csv")
    s3.put_object(Bucket=bucket, Key="public/c.txt", Body=b"c")
    s3.get_object(Bucket=bucket, Key="public/c.txt")
    s3.get_object_tagging(Bucket=bucket, Key="public/a.csv")
    flush(srv)
    records = trail_records(srv, directory)
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in records] == [
        ("PutObject", "public/a.csv"),
        ("GetObject", "private/b.csv"),
        ("GetObject", "public/a.csv"),
        ("PutObject", "public/c.txt"),
    ]  # only Data selectors: no management event, not even StartLogging

    # what PutEventSelectors refuses
    for bad in (
        [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}],  # no eventCategory
        [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}],  # a data selector without its type
        [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "bogus", "Equals": ["x"]}]}],
    ):
        with pytest.raises(ClientError) as exc:
            ct.put_event_selectors(TrailName="advanced-data", AdvancedEventSelectors=bad)
        assert code_of(exc) == "InvalidEventSelectorsException", bad
    for resources in (
        [{"Type": "AWS::S3::Bucket", "Values": ["arn:aws:s3:::x-bucket/"]}],
        [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::Bad_Name/"]}],
        [{"Type": "AWS::S3::Object", "Values": ["arn:aws:sqs:::x"]}],
    ):
        with pytest.raises(ClientError) as exc:
            ct.put_event_selectors(TrailName="advanced-data", EventSelectors=[{"DataResources": resources}])
        assert code_of(exc) == "InvalidEventSelectorsException", resources


def test_requester_and_bucket_owner_each_get_their_record(srv: ServerProcess) -> None:
    s3, ct, sts = srv.client("s3"), srv.client("cloudtrail"), srv.client("sts")
    owner = sts.get_caller_identity()["Account"]
    second, creds = other_account(srv)
    s3_b, ct_b = s3_for(srv, creds), client_for(srv, "cloudtrail", creds)
    bucket = new_bucket(s3, "xacct")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{second}:root"},
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ),
    )
    all_s3 = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    owner_dir = logging_trail(ct, "owner-data", EventSelectors=[{"DataResources": all_s3}])
    requester_dir = logging_trail(
        ct_b,
        "requester-data",
        EventSelectors=[{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::"]}]}],
    )

    s3_b.put_object(Bucket=bucket, Key="from-b", Body=b"b")
    s3_b.get_object(Bucket=bucket, Key="from-b")
    s3.put_object(Bucket=bucket, Key="from-owner", Body=b"a")  # not the requester account's business
    flush(srv)

    owner_records = data_records(srv, owner_dir)
    requester_records = data_records(srv, requester_dir)
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in owner_records] == [
        ("PutObject", "from-b"),
        ("GetObject", "from-b"),
        ("PutObject", "from-owner"),
    ]
    assert [(r["eventName"], r["requestParameters"]["key"]) for r in requester_records] == [
        ("PutObject", "from-b"),
        ("GetObject", "from-b"),
    ]
    for mine, theirs in zip(owner_records[:2], requester_records, strict=True):
        assert mine["recipientAccountId"] == owner and theirs["recipientAccountId"] == second
        assert mine["sharedEventID"] == theirs["sharedEventID"] and mine["eventID"] != theirs["eventID"]
        assert mine["userIdentity"]["accountId"] == theirs["userIdentity"]["accountId"] == second
        assert mine["resources"][1] == {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
    assert "sharedEventID" not in owner_records[2]

    # the owner stops logging: the requester's own trail still records its calls, the owner's does not
    ct.stop_logging(Name="owner-data")
    s3_b.get_object(Bucket=bucket, Key="from-b")
    flush(srv)
    assert len(data_records(srv, requester_dir)) == 3
    assert len(data_records(srv, owner_dir)) == 3
    # and the requester's history shows none of it
    events = ct_b.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetObject"}])
    assert events["Events"] == []


def test_nothing_is_recorded_when_no_trail_selects_data_events(srv: ServerProcess) -> None:
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    directory = logging_trail(ct, "management-only", EventSelectors=[{"ReadWriteType": "All"}])
    bucket = new_bucket(s3, "none")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.get_object(Bucket=bucket, Key="k")
    s3.head_object(Bucket=bucket, Key="k")
    flush(srv)
    names = {r["eventName"] for r in trail_records(srv, directory)}
    assert "CreateBucket" in names and not names & {"PutObject", "GetObject", "HeadObject"}
    assert stored_rows(srv, "PutObject") == [] and stored_rows(srv, "GetObject") == []


def test_a_denied_request_is_a_data_event_with_its_error(srv: ServerProcess) -> None:
    s3, ct = srv.client("s3"), srv.client("cloudtrail")
    bucket = new_bucket(s3, "deny")
    s3.put_object(Bucket=bucket, Key="secret/k", Body=b"x")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/secret/*",
            }
        ),
    )
    directory = logging_trail(
        ct, "denials", EventSelectors=[{"ReadWriteType": "ReadOnly", "DataResources": s3_objects(bucket)}]
    )
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="secret/k")
    assert code_of(exc) == "AccessDenied"
    flush(srv)
    (record,) = data_records(srv, directory)
    assert record["eventName"] == "GetObject" and record["errorCode"] == "AccessDenied"
    assert record["errorMessage"] and record["responseElements"] is None
    assert record["additionalEventData"]["bytesTransferredOut"] == 0
    assert record["resources"][0]["ARN"] == f"arn:aws:s3:::{bucket}/secret/k"
