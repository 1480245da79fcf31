"""One CloudTrail record per request (success, invalid, not implemented, bad signature) and LookupEvents."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False)
RECORD_FIELDS = {
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "requestParameters",
    "responseElements",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "eventCategory",
}


def lookup(ct: Any, key: str, value: str, **kwargs: Any) -> list[dict[str, Any]]:
    attrs = [{"AttributeKey": key, "AttributeValue": value}]
    return list(ct.lookup_events(LookupAttributes=attrs, **kwargs)["Events"])


def record_of(event: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(event["CloudTrailEvent"]))


def by_request_id(ct: Any, request_id: str, event_name: str) -> dict[str, Any]:
    """The record of one request, waiting briefly for read-only/failed calls, which are not waited for."""
    deadline = time.monotonic() + 5
    while True:
        for event in lookup(ct, "EventName", event_name, MaxResults=50):
            record = record_of(event)
            if record["requestID"] == request_id:
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no record for request {request_id}")
        time.sleep(0.05)


@pytest.fixture
def ct(server: ServerProcess) -> Any:
    return server.client("cloudtrail")


def test_successful_mutation_is_recorded_before_it_is_acknowledged(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    response = kms.create_key(Description="audited key", Tags=[{"TagKey": "team", "TagValue": "blue"}])
    meta = response["KeyMetadata"]
    # no waiting: a mutating call is acknowledged only once its record is durable
    events = lookup(ct, "ResourceName", meta["Arn"])
    assert [e["EventName"] for e in events] == ["CreateKey"]
    event = events[0]
    assert event["ReadOnly"] == "false"
    assert event["Username"] == "root"
    assert event["AccessKeyId"] == server.access_key
    assert event["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": meta["Arn"]}]
    record = record_of(event)
    assert set(record) >= RECORD_FIELDS
    assert record["eventVersion"] >= "1.09"
    assert record["requestID"] == response["ResponseMetadata"]["RequestId"]
    assert record["eventID"] == event["EventId"]
    assert record["eventSource"] == "kms.amazonaws.com"
    assert record["eventType"] == "AwsApiCall" and record["eventCategory"] == "Management"
    assert record["managementEvent"] is True and record["readOnly"] is False
    assert record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{meta['AWSAccountId']}:root"
    assert record["recipientAccountId"] == meta["AWSAccountId"]
    assert record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1"
    assert record["userAgent"].startswith("Boto3/")
    assert record["requestParameters"] == {
        "description": "audited key",
        "tags": [{"tagKey": "team", "tagValue": "blue"}],
    }
    assert record["responseElements"]["keyMetadata"]["keyId"] == meta["KeyId"]
    assert record["resources"] == [{"accountId": meta["AWSAccountId"], "type": "AWS::KMS::Key", "ARN": meta["Arn"]}]
    assert "errorCode" not in record


def test_read_only_call_has_no_response_elements(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    rid = kms.describe_key(KeyId=key_id)["ResponseMetadata"]["RequestId"]
    record = by_request_id(ct, rid, "DescribeKey")
    assert record["readOnly"] is True
    assert record["responseElements"] is None
    assert record["requestParameters"] == {"keyId": key_id}


def test_validation_error_is_recorded(server: ServerProcess, ct: Any) -> None:
    raw = server.client("kms", config=NO_VALIDATION)
    marker = f"bad-usage-{uuid.uuid4()}"
    with pytest.raises(ClientError) as exc:
        raw.create_key(KeyUsage="NOT_A_USAGE", Description=marker)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    record = by_request_id(ct, exc.value.response["ResponseMetadata"]["RequestId"], "CreateKey")
    assert record["errorCode"] == "ValidationException"
    assert "keyUsage" in record["errorMessage"]
    assert record["requestParameters"]["description"] == marker
    assert record["responseElements"] is None


def test_service_error_is_recorded(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        kms.enable_key(KeyId=missing)
    record = by_request_id(ct, exc.value.response["ResponseMetadata"]["RequestId"], "EnableKey")
    assert record["errorCode"] == "NotFoundException"
    assert record["errorMessage"] == exc.value.response["Error"]["Message"]
    assert record["readOnly"] is False


def test_not_implemented_operation_is_recorded(server: ServerProcess, ct: Any) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("inspector2").list_usage_totals()  # every CloudTrail operation is served now
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
    record = by_request_id(ct, exc.value.response["ResponseMetadata"]["RequestId"], "ListUsageTotals")
    assert record["errorCode"] == "NotImplemented"
    assert record["eventSource"] == "inspector2.amazonaws.com"


def test_bad_signature_is_recorded_under_the_claimed_key(server: ServerProcess, ct: Any) -> None:
    """AWS leaves failed signatures out of CloudTrail; Strongroom records them for the key owner to see."""
    forged = server.client("kms", aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as exc:
        forged.create_key(Description="forged")
    code = exc.value.response["Error"]["Code"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] in (400, 403)
    record = by_request_id(ct, exc.value.response["ResponseMetadata"]["RequestId"], "CreateKey")
    assert record["errorCode"] == code
    assert record["userIdentity"]["accessKeyId"] == server.access_key
    assert record["recipientAccountId"] == record["userIdentity"]["accountId"]
    events = lookup(ct, "AccessKeyId", server.access_key, MaxResults=50)
    assert record["eventID"] in {e["EventId"] for e in events}


def test_lookup_by_every_attribute(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    meta = kms.create_key(Description="lookup target")["KeyMetadata"]
    event = lookup(ct, "ResourceName", meta["Arn"])[0]
    cases = {
        "EventId": event["EventId"],
        "EventName": "CreateKey",
        "ReadOnly": "false",
        "Username": "root",
        "ResourceType": "AWS::KMS::Key",
        "ResourceName": meta["Arn"],
        "EventSource": "kms.amazonaws.com",
        "AccessKeyId": server.access_key,
    }
    for key, value in cases.items():
        found = lookup(ct, key, value, MaxResults=50)
        assert event["EventId"] in {e["EventId"] for e in found}, key
        for other in found:
            assert other.get(key, value) == value or key in ("ResourceType", "ResourceName"), key
    assert {e["ReadOnly"] for e in lookup(ct, "ReadOnly", "true", MaxResults=50)} == {"true"}
    assert lookup(ct, "EventId", str(uuid.uuid4())) == []


def test_lookup_time_range_and_pagination(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    start = datetime.now(UTC) - timedelta(seconds=2)
    arns = [kms.create_key(Description=f"page {i}")["KeyMetadata"]["Arn"] for i in range(7)]
    seen: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 3, "StartTime": start}
        if token:
            kwargs["NextToken"] = token
        page = ct.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}], **kwargs
        )
        seen += page["Events"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    names = [e["Resources"][0]["ResourceName"] for e in seen if e.get("Resources")]
    assert set(arns) <= set(names)
    assert pages >= 3
    assert len({e["EventId"] for e in seen}) == len(seen)  # no event twice across pages
    times = [e["EventTime"] for e in seen]
    assert times == sorted(times, reverse=True)  # newest first
    assert names.index(arns[-1]) < names.index(arns[0])
    future = server.now() + timedelta(days=1)  # the server's clock: other tests on this server move it forward
    assert ct.lookup_events(StartTime=future, EndTime=future + timedelta(hours=1))["Events"] == []
    past = ct.lookup_events(EndTime=start - timedelta(days=30), StartTime=start - timedelta(days=31))
    assert past["Events"] == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {
                "LookupAttributes": [
                    {"AttributeKey": "EventName", "AttributeValue": "CreateKey"},
                    {"AttributeKey": "Username", "AttributeValue": "root"},
                ]
            },
            "InvalidLookupAttributesException",
        ),
        (
            {"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]},
            "InvalidLookupAttributesException",
        ),
        (
            {"StartTime": datetime(2030, 1, 2, tzinfo=UTC), "EndTime": datetime(2030, 1, 1, tzinfo=UTC)},
            "InvalidTimeRangeException",
        ),
        ({"NextToken": "not-a-token"}, "InvalidNextTokenException"),
        ({"MaxResults": 51}, "ValidationException"),
    ],
)
def test_lookup_errors(server: ServerProcess, kwargs: dict[str, Any], code: str) -> None:
    raw = server.client("cloudtrail", config=NO_VALIDATION)
    with pytest.raises(ClientError) as exc:
        raw.lookup_events(**kwargs)
    assert exc.value.response["Error"]["Code"] == code


def test_next_token_is_bound_to_its_query(server: ServerProcess, ct: Any) -> None:
    kms = server.client("kms")
    for _ in range(2):
        kms.create_key()
    page = ct.lookup_events(MaxResults=1)
    with pytest.raises(ClientError) as exc:
        ct.lookup_events(
            MaxResults=1,
            NextToken=page["NextToken"],
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}],
        )
    assert exc.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_records_stay_in_their_region(server: ServerProcess) -> None:
    west = server.client("kms", region="eu-west-1")
    arn = west.create_key()["KeyMetadata"]["Arn"]
    assert lookup(server.client("cloudtrail", region="eu-west-1"), "ResourceName", arn)
    assert lookup(server.client("cloudtrail"), "ResourceName", arn) == []


def test_public_keys_are_served(server: ServerProcess) -> None:
    listed = server.client("cloudtrail").list_public_keys()["PublicKeyList"]
    assert listed and len(listed[0]["Fingerprint"]) == 32
    status, body = server.admin("GET", "audit/public-keys")
    assert status == 200
    assert {k["Fingerprint"] for k in body["PublicKeyList"]} >= {listed[0]["Fingerprint"]}
