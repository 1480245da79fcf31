"""Access control on S3, end to end: identity policies against KMS permissions, bucket policies with S3's condition
keys, Block Public Access against anonymous callers, other accounts, and explicit denies."""

from __future__ import annotations

import json
from typing import Any

import botocore
import pytest
import urllib3
from botocore.config import Config

from tests.e2e.access_support import allow, deny, make_user, policy
from tests.e2e.s3_support import new_bucket, other_account, s3_for
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

OPEN = {"BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3, "acc")


def anonymous(server: ServerProcess) -> Any:
    return server.client("s3", config=Config(signature_version=botocore.UNSIGNED))


def bucket_policy(*statements: dict[str, Any]) -> str:
    return policy(*statements)


def test_user_without_kms_decrypt(server: ServerProcess, s3: Any, iam: Any, bucket: str) -> None:
    key = server.client("kms").create_key()["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="kms", Body=b"secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    s3.put_object(Bucket=bucket, Key="plain", Body=b"open")
    user = make_user(iam, allow("s3:*", "*"))
    theirs = s3_for(server, user)
    # HEAD needs no key; GET needs kms:Decrypt on the object's key.
    assert theirs.head_object(Bucket=bucket, Key="kms")["SSEKMSKeyId"] == key["Arn"]
    exc = raised_by(theirs.get_object, Bucket=bucket, Key="kms")
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403)
    assert "kms:Decrypt" in message
    assert theirs.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"open"
    # Writing with the key needs kms:GenerateDataKey too; SSE-S3 needs nothing from KMS.
    exc = raised_by(
        theirs.put_object, Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
    )
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    theirs.put_object(Bucket=bucket, Key="k3", Body=b"x")
    # Granting kms:Decrypt opens the object.
    iam.put_user_policy(
        UserName=user["Name"], PolicyName="kms", PolicyDocument=policy(allow("kms:Decrypt", key["Arn"]))
    )
    assert theirs.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"secret"


def test_user_policy_scoped_to_a_prefix(server: ServerProcess, s3: Any, iam: Any, bucket: str) -> None:
    user = make_user(
        iam,
        allow(["s3:GetObject", "s3:PutObject"], f"arn:aws:s3:::{bucket}/home/*"),
        allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", Condition={"StringLike": {"s3:prefix": "home/*"}}),
    )
    theirs = s3_for(server, user)
    theirs.put_object(Bucket=bucket, Key="home/a", Body=b"x")
    assert theirs.get_object(Bucket=bucket, Key="home/a")["Body"].read() == b"x"
    assert code_of(theirs.put_object, Bucket=bucket, Key="elsewhere", Body=b"x") == "AccessDenied"
    assert [c["Key"] for c in theirs.list_objects_v2(Bucket=bucket, Prefix="home/")["Contents"]] == ["home/a"]
    assert code_of(theirs.list_objects_v2, Bucket=bucket) == "AccessDenied"
    assert code_of(theirs.delete_object, Bucket=bucket, Key="home/a") == "AccessDenied"
    assert code_of(theirs.list_buckets) == "AccessDenied"
    assert code_of(theirs.put_bucket_policy, Bucket=bucket, Policy=bucket_policy(allow("s3:*", "*"))) == (
        "AccessDenied"
    )


def test_bucket_policy_requires_sse_kms(server: ServerProcess, s3: Any, bucket: str) -> None:
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=bucket_policy(
            deny(
                "s3:PutObject",
                f"arn:aws:s3:::{bucket}/*",
                Principal="*",
                Condition={"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}},
            )
        ),
    )
    exc = raised_by(s3.put_object, Bucket=bucket, Key="plain", Body=b"x")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert code_of(s3.put_object, Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256") == (
        "AccessDenied"
    )
    put = s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    assert put["ServerSideEncryption"] == "aws:kms"
    # Multipart uploads are PutObject too.
    assert code_of(s3.create_multipart_upload, Bucket=bucket, Key="mp") == "AccessDenied"
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ServerSideEncryption="aws:kms")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload)
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Effect"] == "Deny"
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


def test_public_policy_block_public_access_and_anonymous_reads(server: ServerProcess, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="public.txt", Body=b"for everyone")
    anon = anonymous(server)
    # Without a policy, anonymous callers get nothing.
    assert error_of(raised_by(anon.get_object, Bucket=bucket, Key="public.txt"))[0::2] == ("AccessDenied", 403)
    public = bucket_policy(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*", Principal="*"))
    # BlockPublicPolicy (on by default) refuses the public policy itself.
    exc = raised_by(s3.put_bucket_policy, Bucket=bucket, Policy=public)
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert "BlockPublicPolicy" in error_of(exc)[1]
    assert code_of(s3.get_bucket_policy, Bucket=bucket) == "NoSuchBucketPolicy"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=OPEN)
    s3.put_bucket_policy(Bucket=bucket, Policy=public)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    assert anon.get_object(Bucket=bucket, Key="public.txt")["Body"].read() == b"for everyone"
    plain = urllib3.PoolManager().request("GET", f"{server.endpoint}/{bucket}/public.txt")
    assert (plain.status, plain.data) == (200, b"for everyone")
    # The policy grants reads only.
    assert code_of(anon.put_object, Bucket=bucket, Key="x", Body=b"x") == "AccessDenied"
    assert code_of(anon.list_objects_v2, Bucket=bucket) == "AccessDenied"
    assert code_of(anon.delete_object, Bucket=bucket, Key="public.txt") == "AccessDenied"
    # RestrictPublicBuckets shuts anonymous callers out again; the owner keeps access.
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={**OPEN, "RestrictPublicBuckets": True})
    assert code_of(anon.get_object, Bucket=bucket, Key="public.txt") == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="public.txt")["Body"].read() == b"for everyone"
    # Deleting the Block Public Access configuration lifts it.
    s3.delete_public_access_block(Bucket=bucket)
    assert code_of(s3.get_public_access_block, Bucket=bucket) == "NoSuchPublicAccessBlockConfiguration"
    assert anon.get_object(Bucket=bucket, Key="public.txt")["Body"].read() == b"for everyone"


def test_secure_transport_deny(server: ServerProcess, s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=bucket_policy(
            deny(
                ["s3:GetObject", "s3:PutObject"],
                f"arn:aws:s3:::{bucket}/*",
                Principal="*",
                Condition={"Bool": {"aws:SecureTransport": "false"}},
            )
        ),
    )
    # Strongroom is reached over plain HTTP here: every object read and write is refused, even the owner's.
    exc = raised_by(s3.get_object, Bucket=bucket, Key="k")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert code_of(s3.put_object, Bucket=bucket, Key="k2", Body=b"x") == "AccessDenied"
    assert s3.head_bucket(Bucket=bucket)["BucketRegion"] == "us-east-1"  # not covered by the statement
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_other_account_needs_a_bucket_policy(server: ServerProcess, s3: Any, bucket: str) -> None:
    other, creds = other_account(server)
    theirs = s3_for(server, creds)
    s3.put_object(Bucket=bucket, Key="shared", Body=b"shared")
    assert error_of(raised_by(theirs.get_object, Bucket=bucket, Key="shared"))[0::2] == ("AccessDenied", 403)
    assert code_of(theirs.put_object, Bucket=bucket, Key="theirs", Body=b"x") == "AccessDenied"
    assert error_of(raised_by(theirs.head_bucket, Bucket=bucket))[0::2] == ("403", 403)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=bucket_policy(
            allow(
                ["s3:GetObject", "s3:PutObject"],
                f"arn:aws:s3:::{bucket}/*",
                Principal={"AWS": f"arn:aws:iam::{other}:root"},
            ),
            allow("s3:ListBucket", f"arn:aws:s3:::{bucket}", Principal={"AWS": other}),
        ),
    )
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    assert theirs.get_object(Bucket=bucket, Key="shared")["Body"].read() == b"shared"
    theirs.put_object(Bucket=bucket, Key="theirs", Body=b"from the other account")
    assert [c["Key"] for c in theirs.list_objects_v2(Bucket=bucket)["Contents"]] == ["shared", "theirs"]
    # What the policy does not grant stays closed.
    assert code_of(theirs.delete_object, Bucket=bucket, Key="shared") == "AccessDenied"
    assert code_of(theirs.get_bucket_policy, Bucket=bucket) == "AccessDenied"
    # The bucket owner owns what the other account wrote (BucketOwnerEnforced) and can read it.
    assert s3.get_object(Bucket=bucket, Key="theirs")["Body"].read() == b"from the other account"


def test_other_account_user_needs_both_policies(server: ServerProcess, s3: Any, bucket: str) -> None:
    other, creds = other_account(server)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=bucket_policy(allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*", Principal={"AWS": other})),
    )
    their_iam = server.client(
        "iam", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"]
    )
    nobody = make_user(their_iam)
    assert code_of(s3_for(server, nobody).get_object, Bucket=bucket, Key="k") == "AccessDenied"
    reader = make_user(their_iam, allow("s3:GetObject", "*"))
    assert s3_for(server, reader).get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_explicit_deny_on_the_object_wins(server: ServerProcess, s3: Any, iam: Any, bucket: str) -> None:
    user = make_user(iam, allow("s3:*", "*"))
    theirs = s3_for(server, user)
    for key in ("open.txt", "secret.txt"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=bucket_policy(
            allow("s3:*", [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"], Principal={"AWS": user["Arn"]}),
            deny(["s3:GetObject", "s3:DeleteObject"], f"arn:aws:s3:::{bucket}/secret.txt", Principal="*"),
        ),
    )
    assert theirs.get_object(Bucket=bucket, Key="open.txt")["Body"].read() == b"open.txt"
    exc = raised_by(theirs.get_object, Bucket=bucket, Key="secret.txt")
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDenied", 403) and "explicit deny" in message
    # The Deny binds the bucket owner's own account too (only the policy itself stays manageable).
    assert code_of(s3.get_object, Bucket=bucket, Key="secret.txt") == "AccessDenied"
    # DeleteObjects answers the denied key as an error entry, the others as deleted.
    out = theirs.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "open.txt"}, {"Key": "secret.txt"}]})
    assert [d["Key"] for d in out["Deleted"]] == ["open.txt"]
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("secret.txt", "AccessDenied")]
    # A Deny in the user's own policy wins over the bucket policy's Allow.
    iam.put_user_policy(UserName=user["Name"], PolicyName="no-put", PolicyDocument=policy(deny("s3:PutObject", "*")))
    assert code_of(theirs.put_object, Bucket=bucket, Key="new", Body=b"x") == "AccessDenied"


def test_copy_needs_read_on_the_source(server: ServerProcess, s3: Any, iam: Any, bucket: str) -> None:
    source = new_bucket(s3, "accsrc")
    s3.put_object(Bucket=source, Key="k", Body=b"x")
    user = make_user(iam, allow("s3:PutObject", f"arn:aws:s3:::{bucket}/*"))
    theirs = s3_for(server, user)
    exc = raised_by(theirs.copy_object, Bucket=bucket, Key="copy", CopySource={"Bucket": source, "Key": "k"})
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    iam.put_user_policy(
        UserName=user["Name"],
        PolicyName="read",
        PolicyDocument=policy(allow("s3:GetObject", f"arn:aws:s3:::{source}/*")),
    )
    theirs.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": source, "Key": "k"})
    assert s3.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"x"
