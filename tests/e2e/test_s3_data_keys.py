"""SSE-KMS data keys reused across GETs (services/s3/data_keys.py): the caller is still authorized for kms:Decrypt on
every read, and a key disabled, scheduled for deletion or denied stops the very next read of an object whose data key
the server already holds."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.access_support import allow, client_for, deny, make_user, policy
from tests.e2e.s3_support import new_bucket
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess


def _decrypts(server: ServerProcess, key_arn: str, caller_arn: str) -> int:
    """KMS Decrypt records S3 made under ``key_arn`` for ``caller_arn``."""
    server.advance(0)  # stores every record queued so far
    found = 0
    pages = (
        server.client("cloudtrail")
        .get_paginator("lookup_events")
        .paginate(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_arn}])
    )
    for page in pages:
        for event in page["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            identity = record["userIdentity"]
            if (
                record["eventName"] == "Decrypt"
                and identity.get("invokedBy") == "s3.amazonaws.com"
                and identity.get("arn") == caller_arn
            ):
                found += 1
    return found


@pytest.fixture
def setup(server: ServerProcess) -> tuple[Any, Any, str, str]:
    s3, kms = server.client("s3"), server.client("kms")
    key_arn = kms.create_key(Description=f"data-keys-{uuid.uuid4().hex[:6]}")["KeyMetadata"]["Arn"]
    bucket = new_bucket(s3, "dk")
    s3.put_object(Bucket=bucket, Key="k", Body=b"reused MARKER", ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
    return s3, kms, bucket, key_arn


def _read(s3: Any, bucket: str) -> bytes:
    body: bytes = s3.get_object(Bucket=bucket, Key="k")["Body"].read()
    return body


def test_every_read_is_a_decrypt_record_of_its_caller(server: ServerProcess, setup: tuple[Any, Any, str, str]) -> None:
    _, _, bucket, key_arn = setup
    reader = make_user(server.client("iam"), allow("s3:*"), allow("kms:Decrypt", key_arn))
    theirs = client_for(server, "s3", reader)
    for _ in range(3):
        assert _read(theirs, bucket) == b"reused MARKER"
    # the first read was a complete KMS Decrypt, the others reused its data key: each is recorded as the caller's
    # Decrypt, as on AWS (S3 calls KMS for every read of an object without Bucket Keys)
    assert _decrypts(server, key_arn, reader["Arn"]) == 3
    # another caller never rides on it: a Decrypt of its own
    other = make_user(server.client("iam"), allow("s3:*"), allow("kms:Decrypt", key_arn))
    assert _read(client_for(server, "s3", other), bucket) == b"reused MARKER"
    assert _decrypts(server, key_arn, other["Arn"]) == 1


def test_a_caller_denied_later_is_denied_the_next_read(server: ServerProcess, setup: tuple[Any, Any, str, str]) -> None:
    _, _, bucket, key_arn = setup
    iam = server.client("iam")
    reader = make_user(iam, allow("s3:*"), allow("kms:Decrypt", key_arn))
    theirs = client_for(server, "s3", reader)
    assert _read(theirs, bucket) == b"reused MARKER"  # the data key is now held for this caller
    iam.put_user_policy(
        UserName=reader["Name"],
        PolicyName="p",
        PolicyDocument=policy(allow("s3:*"), deny("kms:Decrypt", key_arn)),
    )
    exc = raised_by(theirs.get_object, Bucket=bucket, Key="k")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    iam.put_user_policy(
        UserName=reader["Name"], PolicyName="p", PolicyDocument=policy(allow("s3:*"), allow("kms:Decrypt", key_arn))
    )
    assert _read(theirs, bucket) == b"reused MARKER"


def test_a_key_policy_that_stops_allowing_stops_the_next_read(
    server: ServerProcess, setup: tuple[Any, Any, str, str]
) -> None:
    s3, kms, bucket, key_arn = setup
    assert _read(s3, bucket) == b"reused MARKER"
    original = kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"]
    document = json.loads(original)
    document["Statement"].append(
        {"Sid": "NoReads", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    )
    kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=json.dumps(document))
    try:
        exc = raised_by(s3.get_object, Bucket=bucket, Key="k")
        assert error_of(exc)[0::2] == ("AccessDenied", 403)
    finally:
        kms.put_key_policy(KeyId=key_arn, PolicyName="default", Policy=original)
    assert _read(s3, bucket) == b"reused MARKER"


def test_a_key_scheduled_for_deletion_stops_the_next_read(
    server: ServerProcess, setup: tuple[Any, Any, str, str]
) -> None:
    s3, kms, bucket, key_arn = setup
    assert _read(s3, bucket) == b"reused MARKER"
    kms.schedule_key_deletion(KeyId=key_arn, PendingWindowInDays=7)
    exc = raised_by(s3.get_object, Bucket=bucket, Key="k")
    assert error_of(exc)[0::2] == ("KMS.KMSInvalidStateException", 400)
    assert s3.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == key_arn  # HEAD needs no key
    kms.cancel_key_deletion(KeyId=key_arn)  # the key comes back disabled, as on AWS
    exc = raised_by(s3.get_object, Bucket=bucket, Key="k")
    assert error_of(exc)[0::2] == ("KMS.DisabledException", 400)
    kms.enable_key(KeyId=key_arn)
    assert _read(s3, bucket) == b"reused MARKER"
