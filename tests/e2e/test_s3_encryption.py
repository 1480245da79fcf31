"""S3 server-side encryption end to end: SSE-S3 by default, SSE-KMS (a customer key, the aws/s3 key, bucket
defaults), DSSE-KMS, SSE-C (blocked on new buckets, then allowed), and no plaintext anywhere the server stores."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.s3_support import MIB, files_containing, new_bucket, random_file, rows_containing, sha256_file
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

ALLOW_SSE_C = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
        }
    ]
}


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3, "enc")


def sse_c(raw: bytes) -> dict[str, Any]:
    """boto3 base64-encodes the key and adds its MD5 itself."""
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": raw}


def test_sse_s3_is_the_default(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert put["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in put
    for call in (s3.head_object, s3.get_object):
        assert call(Bucket=bucket, Key="k")["ServerSideEncryption"] == "AES256"
    explicit = s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ServerSideEncryption="AES256")
    assert explicit["ServerSideEncryption"] == "AES256"


def test_sse_kms_with_a_customer_key(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key(Description="s3 objects")["KeyMetadata"]
    context = {"project": "strongroom"}
    put = s3.put_object(
        Bucket=bucket,
        Key="kms",
        Body=b"kms body",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["KeyId"],
        SSEKMSEncryptionContext=base64.b64encode(json.dumps(context).encode()).decode(),
    )
    assert put["ServerSideEncryption"] == "aws:kms" and put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="kms")
    assert got["Body"].read() == b"kms body"
    assert got["SSEKMSKeyId"] == key["Arn"] and got["ServerSideEncryption"] == "aws:kms"
    # The alias and the ARN name the same key.
    kms.create_alias(AliasName=f"alias/s3-{uuid.uuid4().hex[:8]}", TargetKeyId=key["KeyId"])
    alias = kms.list_aliases(KeyId=key["KeyId"])["Aliases"][0]["AliasName"]
    by_alias = s3.put_object(Bucket=bucket, Key="alias", Body=b"a", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias)
    assert by_alias["SSEKMSKeyId"] == key["Arn"]
    with_bucket_key = s3.put_object(
        Bucket=bucket,
        Key="bk",
        Body=b"b",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["Arn"],
        BucketKeyEnabled=True,
    )
    assert with_bucket_key["BucketKeyEnabled"] is True
    assert s3.head_object(Bucket=bucket, Key="bk")["BucketKeyEnabled"] is True
    # A disabled key: reads (and writes) fail with KMS's reason; HEAD needs no key and still answers.
    kms.disable_key(KeyId=key["KeyId"])
    try:
        exc = raised_by(s3.get_object, Bucket=bucket, Key="kms")
        assert error_of(exc)[0::2] == ("KMS.DisabledException", 400)
        assert s3.head_object(Bucket=bucket, Key="kms")["SSEKMSKeyId"] == key["Arn"]
        exc = raised_by(
            s3.put_object, Bucket=bucket, Key="new", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
        )
        assert error_of(exc)[0::2] == ("KMS.DisabledException", 400)
    finally:
        kms.enable_key(KeyId=key["KeyId"])
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"kms body"


def test_sse_kms_refusals(s3: Any, bucket: str) -> None:
    exc = raised_by(
        s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/missing"
    )
    assert error_of(exc)[0::2] == ("KMS.NotFoundException", 400)
    missing = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert (
        code_of(s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=missing)
        == "KMS.NotFoundException"
    )
    # A key id without aws:kms is refused.
    exc = raised_by(s3.put_object, Bucket=bucket, Key="k", Body=b"x", SSEKMSKeyId=missing)
    assert error_of(exc)[0::2] == ("InvalidArgument", 400)
    # Context: base64 JSON of strings, no aws: keys.
    bad = base64.b64encode(b"[1, 2]").decode()
    exc = raised_by(
        s3.put_object, Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSEncryptionContext=bad
    )
    assert error_of(exc)[0::2] == ("InvalidArgument", 400)
    assert code_of(s3.head_object, Bucket=bucket, Key="k") == "404"


def test_sse_kms_with_the_aws_managed_key(server: ServerProcess, s3: Any, kms: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="managed", Body=b"m", ServerSideEncryption="aws:kms")
    arn = put["SSEKMSKeyId"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert aliases["alias/aws/s3"] == arn.rsplit("/", 1)[1]
    assert kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["KeyManager"] == "AWS"
    assert s3.get_object(Bucket=bucket, Key="managed")["Body"].read() == b"m"
    # The same key for every object of the account.
    again = s3.put_object(Bucket=new_bucket(s3, "enc"), Key="k", Body=b"x", ServerSideEncryption="aws:kms")
    assert again["SSEKMSKeyId"] == arn
    # KMS records S3's calls on the caller's behalf, bound to the object by its encryption context.
    for name in ("GenerateDataKey", "Decrypt"):
        record = _kms_record(server, name, f"arn:aws:s3:::{bucket}/managed")
        assert record["userIdentity"]["invokedBy"] == "s3.amazonaws.com"
        assert record["requestParameters"]["keyId"] == arn


def _kms_record(server: ServerProcess, event_name: str, object_arn: str) -> dict[str, Any]:
    """The CloudTrail record of the KMS call S3 made for ``object_arn`` (records are written asynchronously)."""
    trail = server.client("cloudtrail")
    deadline = time.monotonic() + 10
    while True:
        attrs = [{"AttributeKey": "EventName", "AttributeValue": event_name}]
        for event in trail.lookup_events(LookupAttributes=attrs, MaxResults=50)["Events"]:
            record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
            context = (record.get("requestParameters") or {}).get("encryptionContext") or {}
            if context.get("aws:s3:arn") == object_arn:
                return record
        assert time.monotonic() < deadline, f"no {event_name} record for {object_arn}"
        time.sleep(0.1)


def test_dsse_kms(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    body = os.urandom(200_000)
    put = s3.put_object(
        Bucket=bucket, Key="dsse", Body=body, ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=key["KeyId"]
    )
    assert put["ServerSideEncryption"] == "aws:kms:dsse" and put["SSEKMSKeyId"] == key["Arn"]
    got = s3.get_object(Bucket=bucket, Key="dsse", Range="bytes=70000-140000")
    assert got["Body"].read() == body[70000:140001] and got["ServerSideEncryption"] == "aws:kms:dsse"
    managed = s3.put_object(Bucket=bucket, Key="dsse2", Body=b"x", ServerSideEncryption="aws:kms:dsse")
    assert managed["ServerSideEncryption"] == "aws:kms:dsse"


def test_bucket_default_encryption_with_a_kms_key(s3: Any, kms: Any, bucket: str) -> None:
    key = kms.create_key()["KeyMetadata"]
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key["Arn"]}
    assert rule["BucketKeyEnabled"] is True
    assert rule["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}
    put = s3.put_object(Bucket=bucket, Key="d", Body=b"default")
    assert (put["ServerSideEncryption"], put["SSEKMSKeyId"], put["BucketKeyEnabled"]) == ("aws:kms", key["Arn"], True)
    # A request's own choice wins over the default.
    assert s3.put_object(Bucket=bucket, Key="s", Body=b"x", ServerSideEncryption="AES256")["ServerSideEncryption"] == (
        "AES256"
    )
    # Multipart uploads and copies follow the default too.
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")
    assert upload["ServerSideEncryption"] == "aws:kms" and upload["SSEKMSKeyId"] == key["Arn"]
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload["UploadId"])
    copy = s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "s"})
    assert copy["ServerSideEncryption"] == "aws:kms"
    # Invalid configurations.
    exc = raised_by(
        s3.put_bucket_encryption,
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key["Arn"]}}]
        },
    )
    assert error_of(exc)[0::2] == ("InvalidArgument", 400)


def test_sse_c_blocked_on_a_new_bucket(s3: Any, bucket: str) -> None:
    exc = raised_by(s3.put_object, Bucket=bucket, Key="c", Body=b"x", **sse_c(os.urandom(32)))
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    exc = raised_by(s3.create_multipart_upload, Bucket=bucket, Key="c", **sse_c(os.urandom(32)))
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    assert code_of(s3.head_object, Bucket=bucket, Key="c") == "404"


def test_sse_c_once_allowed(s3: Any, bucket: str) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ALLOW_SSE_C)
    raw = os.urandom(32)
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, **sse_c(raw))
    assert put["SSECustomerAlgorithm"] == "AES256" and "ServerSideEncryption" not in put
    # Without the key: HEAD 400 (no body), GET InvalidRequest.
    assert error_of(raised_by(s3.head_object, Bucket=bucket, Key="c"))[0::2] == ("400", 400)
    exc = raised_by(s3.get_object, Bucket=bucket, Key="c")
    assert error_of(exc) == (
        "InvalidRequest",
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to "
        "retrieve the object.",
        400,
    )
    # With a wrong key: 403.
    wrong = sse_c(os.urandom(32))
    assert error_of(raised_by(s3.head_object, Bucket=bucket, Key="c", **wrong))[0::2] == ("403", 403)
    assert error_of(raised_by(s3.get_object, Bucket=bucket, Key="c", **wrong))[0::2] == ("AccessDenied", 403)
    # With the right key.
    head = s3.head_object(Bucket=bucket, Key="c", **sse_c(raw))
    assert head["SSECustomerKeyMD5"] == put["SSECustomerKeyMD5"] and head["ContentLength"] == len(body)
    got = s3.get_object(Bucket=bucket, Key="c", Range="bytes=1000-1999", **sse_c(raw))
    assert got["Body"].read() == body[1000:2000]
    # A key on an object that has none is refused too.
    s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert code_of(s3.get_object, Bucket=bucket, Key="plain", **sse_c(raw)) == "InvalidRequest"
    # SSE-C and a server-side mode together, a short key, a wrong MD5.
    both = {**sse_c(raw), "ServerSideEncryption": "AES256"}
    assert code_of(s3.put_object, Bucket=bucket, Key="x", Body=b"x", **both) == "InvalidArgument"
    short = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": os.urandom(16)}
    assert code_of(s3.put_object, Bucket=bucket, Key="x", Body=b"x", **short) == "InvalidArgument"
    md5 = {
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": base64.b64encode(raw).decode(),
        "SSECustomerKeyMD5": base64.b64encode(b"0" * 16).decode(),
    }
    assert code_of(s3.put_object, Bucket=bucket, Key="x", Body=b"x", **md5) == "InvalidArgument"
    # Copying out needs the source key, and the copy can be re-encrypted server-side.
    assert code_of(s3.copy_object, Bucket=bucket, Key="out", CopySource={"Bucket": bucket, "Key": "c"}) == (
        "InvalidRequest"
    )
    s3.copy_object(
        Bucket=bucket,
        Key="out",
        CopySource={"Bucket": bucket, "Key": "c"},
        CopySourceSSECustomerAlgorithm="AES256",
        CopySourceSSECustomerKey=raw,
    )
    assert s3.get_object(Bucket=bucket, Key="out")["Body"].read() == body
    # Blocking SSE-C again leaves existing SSE-C objects readable with their key.
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="c", **sse_c(raw))["Body"].read() == body


def test_sse_c_multipart(s3: Any, bucket: str, tmp_path: Path) -> None:
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ALLOW_SSE_C)
    raw = os.urandom(32)
    # The transfer manager passes the key to every call (create, parts, complete; then ranged GETs).
    src = random_file(tmp_path / "src.bin", 20 * MIB, seed=3)
    s3.upload_file(str(src), bucket, "tm", ExtraArgs=sse_c(raw))
    s3.download_file(bucket, "tm", str(tmp_path / "back.bin"), ExtraArgs=sse_c(raw))
    assert sha256_file(tmp_path / "back.bin") == sha256_file(src)
    assert code_of(s3.head_object, Bucket=bucket, Key="tm") == "400"
    # Each part needs the upload's key; Complete takes it when sent (and checks it) and does without it when the
    # upload has no checksum algorithm, as older clients complete.
    upload = s3.create_multipart_upload(Bucket=bucket, Key="low", **sse_c(raw))["UploadId"]
    args = {"Bucket": bucket, "Key": "low", "UploadId": upload, "PartNumber": 1, "Body": b"part"}
    exc = raised_by(s3.upload_part, **args)
    assert error_of(exc)[0::2] == ("InvalidRequest", 400)
    assert code_of(s3.upload_part, **args, **sse_c(os.urandom(32))) == "AccessDenied"
    etag = s3.upload_part(**args, **sse_c(raw))["ETag"]
    chosen = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    exc = raised_by(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="low",
        UploadId=upload,
        MultipartUpload=chosen,
        **sse_c(os.urandom(32)),
    )
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    s3.complete_multipart_upload(Bucket=bucket, Key="low", UploadId=upload, MultipartUpload=chosen)
    assert s3.get_object(Bucket=bucket, Key="low", **sse_c(raw))["Body"].read() == b"part"


def test_no_plaintext_at_rest(server: ServerProcess, s3: Any, kms: Any) -> None:
    """Every way a body can be written (each SSE mode, multipart, copies) leaves no plaintext in any file under the
    data dir (blobs, database, WAL, log) or any database row."""
    marker = f"STRONGROOM-PLAINTEXT-{uuid.uuid4().hex}".encode()
    bucket = new_bucket(s3, "atrest")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ALLOW_SSE_C)
    key = kms.create_key()["KeyMetadata"]
    body = (marker + os.urandom(1000)) * 20
    raw = os.urandom(32)
    modes: dict[str, dict[str, Any]] = {
        "sse-s3": {},
        "sse-kms": {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key["Arn"]},
        "sse-kms-managed": {"ServerSideEncryption": "aws:kms"},
        "dsse-kms": {"ServerSideEncryption": "aws:kms:dsse", "SSEKMSKeyId": key["Arn"]},
        "sse-c": sse_c(raw),
    }
    for name, extra in modes.items():
        s3.put_object(Bucket=bucket, Key=f"put/{name}", Body=body, Metadata={"m": "meta"}, **extra)
        # Multipart: the marker straddles the part boundary.
        part1 = os.urandom(5 * MIB - len(marker) // 2) + marker[: len(marker) // 2]
        part2 = marker[len(marker) // 2 :] + body
        upload = s3.create_multipart_upload(Bucket=bucket, Key=f"mp/{name}", **extra)["UploadId"]
        part_extra = sse_c(raw) if name == "sse-c" else {}
        etags = [
            s3.upload_part(Bucket=bucket, Key=f"mp/{name}", UploadId=upload, PartNumber=n, Body=data, **part_extra)[
                "ETag"
            ]
            for n, data in ((1, part1), (2, part2))
        ]
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=f"mp/{name}",
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in enumerate(etags, 1)]},
            **part_extra,
        )
        assert s3.get_object(Bucket=bucket, Key=f"mp/{name}", **part_extra)["Body"].read() == part1 + part2
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put/sse-kms"})
    leftover = s3.create_multipart_upload(Bucket=bucket, Key="unfinished")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="unfinished", UploadId=leftover, PartNumber=1, Body=body)
    for name in modes:
        read_key = sse_c(raw) if name == "sse-c" else {}
        assert s3.get_object(Bucket=bucket, Key=f"put/{name}", **read_key)["Body"].read() == body
    server.advance(1)  # lets the audit writer settle
    needles = [marker, base64.b64encode(body[:300])]
    assert files_containing(server.data_dir, needles) == []
    assert rows_containing(server, needles) == []
    # The scans do see what is stored in the clear: the bucket's name, and the credentials file's secret.
    assert rows_containing(server, [b"mp/sse-kms", bucket.encode()])
    assert str(server.data_dir / "credentials") in files_containing(server.data_dir, [server.secret_key.encode()])
