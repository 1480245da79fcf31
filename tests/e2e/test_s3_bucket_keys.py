"""S3 Bucket Keys: one KMS data key per bucket for a while instead of one KMS call per object, still authorized."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.s3_support import new_bucket
from tests.support.errors import code_of as code
from tests.support.server import ServerProcess


def _kms_calls(server: ServerProcess, event_name: str, key_arn: str) -> list[dict[str, Any]]:
    """KMS records of ``event_name`` made through S3 under ``key_arn``."""
    server.advance(0)  # stores every record queued so far
    ct = server.client("cloudtrail")
    found = []
    pages = ct.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_arn}]
    )
    for page in pages:
        for event in page["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            invoked_by = record["userIdentity"].get("invokedBy")
            if record["eventName"] == event_name and invoked_by == "s3.amazonaws.com":
                found.append(record)
    return found


@pytest.fixture
def setup(server: ServerProcess) -> tuple[Any, str, str]:
    s3, kms = server.client("s3"), server.client("kms")
    key_arn = kms.create_key(Description=f"bucket-key-{uuid.uuid4().hex[:6]}")["KeyMetadata"]["Arn"]
    bucket = new_bucket(s3, "bk")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    return s3, bucket, key_arn


def test_objects_share_one_kms_data_key(server: ServerProcess, setup: tuple[Any, str, str]) -> None:
    s3, bucket, key_arn = setup
    for i in range(5):
        put = s3.put_object(Bucket=bucket, Key=f"k{i}", Body=f"object {i}".encode())
        assert put["ServerSideEncryption"] == "aws:kms" and put["BucketKeyEnabled"] is True
        assert put["SSEKMSKeyId"] == key_arn
    for i in range(5):
        got = s3.get_object(Bucket=bucket, Key=f"k{i}")
        assert got["Body"].read() == f"object {i}".encode() and got["BucketKeyEnabled"] is True
    generated = _kms_calls(server, "GenerateDataKey", key_arn)
    assert len(generated) == 1, "five objects, one bucket-level data key"
    # the bucket-level key is bound to the bucket's ARN, as AWS documents for Bucket Keys
    context = generated[0]["requestParameters"]["encryptionContext"]
    assert context == {"aws:s3:arn": f"arn:aws:s3:::{bucket}"}
    assert _kms_calls(server, "Decrypt", key_arn) == []  # the writer's own reads reuse the key it was given


def test_a_caller_denied_the_key_is_still_denied_the_object(server: ServerProcess, setup: tuple[Any, str, str]) -> None:
    s3, bucket, key_arn = setup
    s3.put_object(Bucket=bucket, Key="secret", Body=b"bucket key MARKER")
    user = make_user(server.client("iam"), allow("s3:*"), deny("kms:*", key_arn))
    theirs = client_for(server, "s3", user)
    assert theirs.head_object(Bucket=bucket, Key="secret")["BucketKeyEnabled"] is True  # HEAD needs no key
    with pytest.raises(ClientError) as err:
        theirs.get_object(Bucket=bucket, Key="secret")
    assert code(err) == "AccessDenied"
    with pytest.raises(ClientError) as err:
        theirs.put_object(Bucket=bucket, Key="theirs", Body=b"x")
    assert code(err) == "AccessDenied"
    # and one who may use the key reads it, with a Decrypt of its own
    reader = make_user(server.client("iam"), allow("s3:*"), allow(["kms:Decrypt"], key_arn))
    assert client_for(server, "s3", reader).get_object(Bucket=bucket, Key="secret")["Body"].read() == (
        b"bucket key MARKER"
    )
    assert any(r["userIdentity"]["arn"] == reader["Arn"] for r in _kms_calls(server, "Decrypt", key_arn))
