"""Trails delivering into an S3 bucket of the server, as CloudTrail does: the bucket policy and key policy AWS
documents, SSE-KMS log files under the trail's key, signed digests with their signature as object metadata,
``strongroom audit validate`` reading the bucket, and CreateTrail refusing a bucket or key CloudTrail may not use."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import policy
from tests.e2e.s3_support import new_bucket
from tests.support.errors import code_of
from tests.support.server import ServerProcess, strongroom

HOUR = 3600
CLOUDTRAIL = {"Service": "cloudtrail.amazonaws.com"}


@pytest.fixture
def srv(make_server: Any) -> Iterator[ServerProcess]:
    server: ServerProcess = make_server("--test-mode")
    server.start()
    yield server


def server_now(server: ServerProcess) -> datetime:
    _, body = server.admin("GET", "clock")
    return datetime.fromisoformat(body["now"].replace("Z", "+00:00"))


def acl_check(bucket: str, **condition: Any) -> dict[str, Any]:
    return {
        "Sid": "AWSCloudTrailAclCheck20150319",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": "s3:GetBucketAcl",
        "Resource": f"arn:aws:s3:::{bucket}",
        **({"Condition": {"StringEquals": condition}} if condition else {}),
    }


def write(bucket: str, account: str, prefix: str = "", action: str = "s3:PutObject", **more: str) -> dict[str, Any]:
    """AWS's ``AWSCloudTrailWrite20150319`` statement ("Amazon S3 bucket policy for CloudTrail")."""
    return {
        "Sid": "AWSCloudTrailWrite20150319",
        "Effect": "Allow",
        "Principal": CLOUDTRAIL,
        "Action": action,
        "Resource": f"arn:aws:s3:::{bucket}/{prefix}AWSLogs/{account}/*",
        "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **more}},
    }


def trail_bucket_policy(bucket: str, account: str, prefix: str = "") -> str:
    """AWS's documented policy, plus s3:PutObjectAcl under the same condition: Strongroom's S3 still asks for it
    when a write carries ``x-amz-acl: bucket-owner-full-control`` (see test_exact_documented_policies)."""
    return policy(
        acl_check(bucket),
        write(bucket, account, prefix),
        dict(write(bucket, account, prefix, action="s3:PutObjectAcl"), Sid="PutObjectAclUntilS3Ignores"),
    )


def key_policy(account: str, source: dict[str, str] | None = None) -> str:
    """The parts of "Configure AWS KMS key policies for CloudTrail" a trail needs to encrypt its log files."""
    condition: dict[str, Any] = {
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{account}:trail/*"}
    }
    if source:
        condition["StringEquals"] = source
    return policy(
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "Allow CloudTrail to encrypt logs",
            "Effect": "Allow",
            "Principal": CLOUDTRAIL,
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": condition,
        },
        {
            "Sid": "Allow CloudTrail to describe key",
            "Effect": "Allow",
            "Principal": CLOUDTRAIL,
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
    )


def validate(server: ServerProcess, trail: str, start: datetime, end: datetime) -> tuple[int, str]:
    result = strongroom(
        "audit",
        "validate",
        "--data-dir",
        str(server.data_dir),
        *(["--database-url", server.database_url] if server.database_url else []),
        "--trail",
        trail,
        "--start-time",
        start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--end-time",
        end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def keys_in(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(o["Key"] for page in pages for o in page.get("Contents", []))


def test_trail_delivers_into_its_bucket_encrypted_signed_and_validated(srv: ServerProcess) -> None:
    s3, ct, kms = srv.client("s3"), srv.client("cloudtrail"), srv.client("kms")
    account = srv.client("sts").get_caller_identity()["Account"]
    bucket = new_bucket(s3, "trail")
    s3.put_bucket_policy(Bucket=bucket, Policy=trail_bucket_policy(bucket, account, "pre/"))
    key = kms.create_key(Description="trail logs", Policy=key_policy(account))["KeyMetadata"]
    start = server_now(srv) - timedelta(minutes=5)

    created = ct.create_trail(
        Name="to-s3", S3BucketName=bucket, S3KeyPrefix="pre", KmsKeyId=key["KeyId"], EnableLogFileValidation=True
    )
    assert created["KmsKeyId"] == key["Arn"]  # resolved to the key ARN, as CloudTrail answers it
    ct.start_logging(Name="to-s3")
    for round_ in range(2):
        for i in range(2):
            kms.create_key(Description=f"round {round_} key {i}")
        srv.advance(HOUR + 60)
    end = server_now(srv) + timedelta(minutes=5)

    assert not (srv.data_dir / "trails" / bucket).exists()  # nothing in the directory fallback
    status = ct.get_trail_status(Name="to-s3")
    assert "LatestDeliveryError" not in status and "LatestDigestDeliveryTime" in status
    logs = keys_in(s3, bucket, f"pre/AWSLogs/{account}/CloudTrail/us-east-1/")
    digests = keys_in(s3, bucket, f"pre/AWSLogs/{account}/CloudTrail-Digest/us-east-1/")
    assert len(logs) >= 2 and len(digests) >= 2

    log_head = s3.head_object(Bucket=bucket, Key=logs[0])
    assert log_head["ServerSideEncryption"] == "aws:kms" and log_head["SSEKMSKeyId"] == key["Arn"]
    assert log_head["ContentType"] == "application/json" and log_head["ContentEncoding"] == "gzip"
    records = [
        r
        for k in logs
        for r in json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))["Records"]
    ]
    assert sum(1 for r in records if r["eventName"] == "CreateKey" and r.get("errorCode") is None) == 4
    digest_head = s3.head_object(Bucket=bucket, Key=digests[-1])
    assert digest_head["ServerSideEncryption"] == "AES256"  # "Digest files are encrypted with ... SSE-S3"
    assert digest_head["Metadata"]["signature-algorithm"] == "SHA256withRSA"
    assert len(digest_head["Metadata"]["signature"]) == 512
    newest = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=digests[-1])["Body"].read()))
    assert newest["digestS3Bucket"] == bucket and newest["digestS3Object"] == digests[-1]
    assert newest["previousDigestS3Object"] == digests[-2]

    # CloudTrail checked the key as itself when the trail was created, and encrypts as itself since
    generated = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GenerateDataKey"}])
    identities = [json.loads(e["CloudTrailEvent"])["userIdentity"] for e in generated["Events"]]
    assert identities and all(i["type"] == "AWSService" for i in identities)

    code, out = validate(srv, "to-s3", start, end)
    assert code == 0, out
    assert "INVALID" not in out and f"s3://{bucket}/{logs[0]}\tvalid" in out
    assert f"{len(digests)}/{len(digests)} digest files valid" in out

    # an object of the bucket overwritten by someone who may write it: the chain of digests shows it
    original = s3.get_object(Bucket=bucket, Key=logs[0])["Body"].read()
    content = bytearray(gzip.decompress(original))
    content[content.index(b"round")] = ord("R")
    s3.put_object(Bucket=bucket, Key=logs[0], Body=gzip.compress(bytes(content)))
    code, out = validate(srv, "to-s3", start, end)
    assert code == 1 and "hash value doesn't match" in out and logs[0] in out, out

    # a digest deleted from the bucket
    s3.put_object(Bucket=bucket, Key=logs[0], Body=original)
    s3.delete_object(Bucket=bucket, Key=digests[0])
    code, out = validate(srv, "to-s3", start, end)
    assert code == 1 and "not found" in out and digests[0] in out, out


def test_delivery_failures_are_reported_and_retried(srv: ServerProcess) -> None:
    s3, ct, kms = srv.client("s3"), srv.client("cloudtrail"), srv.client("kms")
    account = srv.client("sts").get_caller_identity()["Account"]
    bucket = new_bucket(s3, "retry")
    good = trail_bucket_policy(bucket, account)
    s3.put_bucket_policy(Bucket=bucket, Policy=good)
    ct.create_trail(Name="retried", S3BucketName=bucket)
    ct.start_logging(Name="retried")
    s3.delete_bucket_policy(Bucket=bucket)  # CloudTrail may no longer write
    kms.create_key(Description="kept for the next delivery")
    srv.advance(600)
    assert ct.get_trail_status(Name="retried")["LatestDeliveryError"] == "AccessDenied"
    assert keys_in(s3, bucket, "AWSLogs/") == []
    s3.put_bucket_policy(Bucket=bucket, Policy=good)
    srv.advance(600)
    assert "LatestDeliveryError" not in ct.get_trail_status(Name="retried")
    logs = keys_in(s3, bucket, f"AWSLogs/{account}/CloudTrail/")
    names = [
        r["eventName"]
        for k in logs
        for r in json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))["Records"]
    ]
    assert "CreateKey" in names and "DeleteBucketPolicy" in names  # nothing lost while the bucket refused
    # without a KmsKeyId the bucket's default encryption applies (SSE-S3 for a new bucket)
    assert s3.head_object(Bucket=bucket, Key=logs[0])["ServerSideEncryption"] == "AES256"


def test_create_trail_checks_the_bucket_and_key_policies(srv: ServerProcess) -> None:
    s3, ct, kms = srv.client("s3"), srv.client("cloudtrail"), srv.client("kms")
    account = srv.client("sts").get_caller_identity()["Account"]
    no_policy = new_bucket(s3, "nopol")
    acl_only = new_bucket(s3, "aclonly")
    s3.put_bucket_policy(Bucket=acl_only, Policy=policy(acl_check(acl_only)))
    other_prefix = new_bucket(s3, "prefix")
    s3.put_bucket_policy(Bucket=other_prefix, Policy=trail_bucket_policy(other_prefix, account, "elsewhere/"))
    no_acl_condition = new_bucket(s3, "nocond")
    s3.put_bucket_policy(
        Bucket=no_acl_condition,
        Policy=policy(acl_check(no_acl_condition), write(no_acl_condition, account, **{"s3:x-amz-acl": "private"})),
    )
    for bucket, prefix in ((no_policy, None), (acl_only, None), (other_prefix, "pre"), (no_acl_condition, None)):
        with pytest.raises(ClientError) as exc:
            ct.create_trail(Name="refused", S3BucketName=bucket, **({"S3KeyPrefix": prefix} if prefix else {}))
        assert code_of(exc) == "InsufficientS3BucketPolicyException", bucket
        assert bucket in str(exc.value)
    assert ct.list_trails()["Trails"] == []

    good = new_bucket(s3, "good")
    s3.put_bucket_policy(Bucket=good, Policy=trail_bucket_policy(good, account))
    plain_key = kms.create_key(Description="no cloudtrail statement")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="refused", S3BucketName=good, KmsKeyId=plain_key)
    assert code_of(exc) == "InsufficientEncryptionPolicyException"
    with pytest.raises(ClientError) as exc:
        ct.create_trail(Name="refused", S3BucketName=good, KmsKeyId="alias/no-such-key")
    assert code_of(exc) == "KmsKeyNotFoundException"

    ct.create_trail(Name="accepted", S3BucketName=good)
    with pytest.raises(ClientError) as exc:
        ct.update_trail(Name="accepted", S3BucketName=no_policy)
    assert code_of(exc) == "InsufficientS3BucketPolicyException"
    assert ct.get_trail(Name="accepted")["Trail"]["S3BucketName"] == good
    kms.create_alias(
        AliasName="alias/trail-key", TargetKeyId=kms.create_key(Policy=key_policy(account))["KeyMetadata"]["KeyId"]
    )
    updated = ct.update_trail(Name="accepted", KmsKeyId="alias/trail-key")
    assert updated["KmsKeyId"].startswith(f"arn:aws:kms:us-east-1:{account}:key/")

    # a bucket name that is no S3 bucket here: the documented fallback, a directory, nothing checked
    fallback = ct.create_trail(Name="directory", S3BucketName="not-an-s3-bucket-here", KmsKeyId="alias/anything")
    assert fallback["KmsKeyId"] == "alias/anything"


def test_exact_documented_policies(srv: ServerProcess) -> None:
    """AWS's current policies word for word: the bucket's write statement and the key's encrypt statement both
    condition on aws:SourceArn, and the bucket grants s3:PutObject only."""
    s3, ct, kms = srv.client("s3"), srv.client("cloudtrail"), srv.client("kms")
    account = srv.client("sts").get_caller_identity()["Account"]
    trail_arn = f"arn:aws:cloudtrail:us-east-1:{account}:trail/exact"
    bucket = new_bucket(s3, "exact")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            acl_check(bucket, **{"aws:SourceArn": trail_arn}), write(bucket, account, **{"aws:SourceArn": trail_arn})
        ),
    )
    key = kms.create_key(Policy=key_policy(account, {"aws:SourceArn": trail_arn}))["KeyMetadata"]
    ct.create_trail(Name="exact", S3BucketName=bucket, KmsKeyId=key["Arn"])
    ct.start_logging(Name="exact")
    srv.advance(600)
    assert keys_in(s3, bucket, f"AWSLogs/{account}/CloudTrail/")
