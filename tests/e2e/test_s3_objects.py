"""S3 objects through boto3 and the AWS CLI: put/get/head/delete, metadata and content headers, ranges, conditional
reads and writes, copies, DeleteObjects, GetObjectAttributes, tagging, and keys that look like paths."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.s3_support import aws, new_bucket
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

PRECONDITION = "At least one of the pre-conditions you specified did not hold"


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3, "obj")


# -- put / get / head / delete ----------------------------------------------------------------------------------------


def test_put_get_head_delete(server: ServerProcess, s3: Any, bucket: str) -> None:
    body = b"hello, strongroom" * 100
    put = s3.put_object(Bucket=bucket, Key="greeting.txt", Body=body)
    md5 = hashlib.md5(body).hexdigest()
    assert put["ETag"] == f'"{md5}"' and put["ServerSideEncryption"] == "AES256"
    assert "VersionId" not in put
    got = s3.get_object(Bucket=bucket, Key="greeting.txt")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body) and got["ETag"] == put["ETag"]
    assert got["ContentType"] == "binary/octet-stream" and got["AcceptRanges"] == "bytes"
    head = s3.head_object(Bucket=bucket, Key="greeting.txt")
    assert head["ContentLength"] == len(body) and head["ETag"] == put["ETag"]
    assert head["LastModified"] == got["LastModified"]
    assert head["LastModified"].microsecond == 0
    # the server's clock, which other tests of the session may have moved forward
    server_now = datetime.fromisoformat(server.admin("GET", "clock")[1]["now"].replace("Z", "+00:00"))
    assert abs(head["LastModified"] - server_now) < timedelta(minutes=5)
    # Overwrite, then delete (deleting twice, or a key never written, is a success).
    s3.put_object(Bucket=bucket, Key="greeting.txt", Body=b"v2")
    assert s3.get_object(Bucket=bucket, Key="greeting.txt")["Body"].read() == b"v2"
    assert s3.delete_object(Bucket=bucket, Key="greeting.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.delete_object(Bucket=bucket, Key="greeting.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    exc = raised_by(s3.get_object, Bucket=bucket, Key="greeting.txt")
    assert error_of(exc) == ("NoSuchKey", "The specified key does not exist.", 404)
    assert exc.value.response["Error"]["Key"] == "greeting.txt"
    assert error_of(raised_by(s3.head_object, Bucket=bucket, Key="greeting.txt"))[0::2] == ("404", 404)


def test_empty_object(s3: Any, bucket: str) -> None:
    put = s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    assert put["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b"" and got["ContentLength"] == 0
    # A range on an empty object answers the (empty) object, as S3 does.
    assert s3.get_object(Bucket=bucket, Key="empty", Range="bytes=0-10")["Body"].read() == b""


def test_metadata_and_content_headers_round_trip(s3: Any, bucket: str) -> None:
    expires = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    s3.put_object(
        Bucket=bucket,
        Key="doc.html",
        Body=b"<html></html>",
        Metadata={"Owner": "team-a", "spaces": "a  b", "empty": ""},
        ContentType="text/html; charset=utf-8",
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="doc.html"',
        ContentLanguage="fr-CA",
        ContentEncoding="identity",
        Expires=expires,
        WebsiteRedirectLocation="/other.html",
        StorageClass="STANDARD_IA",
    )
    for call in (s3.head_object, s3.get_object):
        out = call(Bucket=bucket, Key="doc.html")
        assert out["Metadata"] == {"owner": "team-a", "spaces": "a  b", "empty": ""}
        assert out["ContentType"] == "text/html; charset=utf-8"
        assert out["CacheControl"] == "max-age=60"
        assert out["ContentDisposition"] == 'attachment; filename="doc.html"'
        assert out["ContentLanguage"] == "fr-CA"
        assert out["ContentEncoding"] == "identity"
        assert out["ExpiresString"] == "Tue, 06 May 2031 07:08:09 GMT"
        assert out["WebsiteRedirectLocation"] == "/other.html"
        assert out["StorageClass"] == "STANDARD_IA"
    # response-* query parameters override what GetObject answers, not what is stored.
    got = s3.get_object(
        Bucket=bucket,
        Key="doc.html",
        ResponseContentType="application/octet-stream",
        ResponseContentDisposition="inline",
        ResponseCacheControl="no-store",
        ResponseContentLanguage="en",
        ResponseExpires=datetime(2040, 1, 1, tzinfo=UTC),
    )
    assert got["ContentType"] == "application/octet-stream" and got["ContentDisposition"] == "inline"
    assert got["CacheControl"] == "no-store" and got["ContentLanguage"] == "en"
    assert got["ExpiresString"] == "Sun, 01 Jan 2040 00:00:00 GMT"
    assert s3.head_object(Bucket=bucket, Key="doc.html")["ContentType"] == "text/html; charset=utf-8"


def test_metadata_too_large_and_key_too_long(s3: Any, bucket: str) -> None:
    exc = raised_by(s3.put_object, Bucket=bucket, Key="m", Body=b"x", Metadata={"big": "v" * 2100})
    assert error_of(exc) == ("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size", 400)
    exc = raised_by(s3.put_object, Bucket=bucket, Key="k" * 1025, Body=b"x")
    assert error_of(exc) == ("KeyTooLongError", "Your key is too long", 400)
    s3.put_object(Bucket=bucket, Key="k" * 1024, Body=b"x")
    s3.put_object(Bucket=bucket, Key="é" * 512, Body=b"x")  # 1024 bytes of UTF-8
    assert code_of(s3.put_object, Bucket=bucket, Key="é" * 513, Body=b"x") == "KeyTooLongError"


def test_content_md5_and_checksums(s3: Any, bucket: str) -> None:
    body = b"integrity matters"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=good)
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    exc = raised_by(s3.put_object, Bucket=bucket, Key="md5", Body=body, ContentMD5=bad)
    assert error_of(exc) == ("BadDigest", "The Content-MD5 you specified did not match what we received.", 400)
    assert code_of(s3.put_object, Bucket=bucket, Key="md5", Body=body, ContentMD5="not-base64!") == "InvalidDigest"
    # The failed writes left the first version in place.
    assert s3.get_object(Bucket=bucket, Key="md5")["Body"].read() == body
    sha = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="sha", Body=body, ChecksumSHA256=sha)
    assert put["ChecksumSHA256"] == sha
    head = s3.head_object(Bucket=bucket, Key="sha", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == sha and head["ChecksumType"] == "FULL_OBJECT"
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    exc = raised_by(s3.put_object, Bucket=bucket, Key="sha2", Body=body, ChecksumSHA256=wrong)
    assert error_of(exc)[0::2] == ("BadDigest", 400)
    assert code_of(s3.head_object, Bucket=bucket, Key="sha2") == "404"


def test_object_acls_on_writes(s3: Any, bucket: str) -> None:
    # ACLs disabled (BucketOwnerEnforced): only the owner-only canned ACLs are accepted.
    s3.put_object(Bucket=bucket, Key="owner", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object(Bucket=bucket, Key="private", Body=b"x", ACL="private")
    for call, extra in (
        (s3.put_object, {"Body": b"x"}),
        (s3.create_multipart_upload, {}),
        (s3.copy_object, {"CopySource": {"Bucket": bucket, "Key": "owner"}}),
    ):
        exc = raised_by(call, Bucket=bucket, Key="public", ACL="public-read", **extra)
        assert error_of(exc) == ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
    exc = raised_by(s3.put_object, Bucket=bucket, Key="public", Body=b"x", GrantRead='id="abc"')
    assert error_of(exc)[0] == "AccessControlListNotSupported"
    # ACLs enabled: Block Public Access still refuses a public ACL.
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    exc = raised_by(s3.put_object, Bucket=bucket, Key="public", Body=b"x", ACL="public-read")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    everyone = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'
    assert code_of(s3.put_object, Bucket=bucket, Key="public", Body=b"x", GrantRead=everyone) == "AccessDenied"
    assert code_of(s3.head_object, Bucket=bucket, Key="public") == "404"
    s3.put_object(Bucket=bucket, Key="authenticated", Body=b"x", ACL="private")


# -- ranges ------------------------------------------------------------------------------------------------------------


def test_ranges(s3: Any, bucket: str) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB: ranges cross the stored chunks
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    cases = {
        "bytes=0-0": (0, 1),
        "bytes=10-19": (10, 20),
        "bytes=65530-65545": (65530, 65546),
        "bytes=1000000-": (1000000, len(body)),
        "bytes=-100": (len(body) - 100, len(body)),
        "bytes=-5000000": (0, len(body)),  # a suffix longer than the object is the whole object
        "bytes=1048570-99999999": (1048570, len(body)),  # an end past the object is clamped
    }
    for header, (start, end) in cases.items():
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["Body"].read() == body[start:end], header
        assert got["ContentRange"] == f"bytes {start}-{end - 1}/{len(body)}", header
        assert got["ContentLength"] == end - start
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    for header in (f"bytes={len(body)}-", f"bytes={len(body) + 5}-{len(body) + 10}"):
        exc = raised_by(s3.get_object, Bucket=bucket, Key="r", Range=header)
        assert error_of(exc) == ("InvalidRange", "The requested range is not satisfiable", 416)
        assert exc.value.response["Error"]["ActualObjectSize"] == str(len(body))
    # A header S3 cannot parse is ignored: the whole object, 200.
    whole = s3.get_object(Bucket=bucket, Key="r", Range="bytes=5-2")
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 200 and whole["ContentLength"] == len(body)
    head = s3.head_object(Bucket=bucket, Key="r", Range="bytes=-10")
    assert head["ContentLength"] == 10 and head["ContentRange"] == f"bytes {len(body) - 10}-{len(body) - 1}/{len(body)}"


# -- conditional requests ----------------------------------------------------------------------------------------------


def test_conditional_reads(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="c", Body=b"conditional")["ETag"]
    modified = s3.head_object(Bucket=bucket, Key="c")["LastModified"]
    before, after = modified - timedelta(hours=1), modified + timedelta(hours=1)
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag)["Body"].read() == b"conditional"
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag.strip('"'))["ETag"] == etag
    exc = raised_by(s3.get_object, Bucket=bucket, Key="c", IfMatch='"0123"')
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION, 412)
    assert exc.value.response["Error"]["Condition"] == "If-Match"
    assert error_of(raised_by(s3.head_object, Bucket=bucket, Key="c", IfMatch='"0123"'))[0::2] == ("412", 412)
    # If-None-Match / If-Modified-Since: 304 without a body.
    for kwargs in ({"IfNoneMatch": etag}, {"IfModifiedSince": after}, {"IfNoneMatch": "*"}):
        for call in (s3.get_object, s3.head_object):
            exc = raised_by(call, Bucket=bucket, Key="c", **kwargs)
            assert error_of(exc)[0::2] == ("304", 304), kwargs
    assert s3.get_object(Bucket=bucket, Key="c", IfNoneMatch='"other"')["ETag"] == etag
    assert s3.get_object(Bucket=bucket, Key="c", IfModifiedSince=before)["ETag"] == etag
    exc = raised_by(s3.get_object, Bucket=bucket, Key="c", IfUnmodifiedSince=before)
    assert error_of(exc)[0::2] == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="c", IfUnmodifiedSince=after)["ETag"] == etag
    # S3's documented combinations: If-Match true wins over If-Unmodified-Since false (200); If-None-Match false
    # wins over If-Modified-Since true (304).
    assert s3.get_object(Bucket=bucket, Key="c", IfMatch=etag, IfUnmodifiedSince=before)["ETag"] == etag
    exc = raised_by(s3.get_object, Bucket=bucket, Key="c", IfNoneMatch=etag, IfModifiedSince=before)
    assert error_of(exc)[0::2] == ("304", 304)


def test_conditional_writes(s3: Any, bucket: str) -> None:
    first = s3.put_object(Bucket=bucket, Key="w", Body=b"first", IfNoneMatch="*")["ETag"]
    exc = raised_by(s3.put_object, Bucket=bucket, Key="w", Body=b"second", IfNoneMatch="*")
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION, 412)
    assert exc.value.response["Error"]["Condition"] == "If-None-Match"
    assert s3.get_object(Bucket=bucket, Key="w")["Body"].read() == b"first"
    # If-Match: only over the version the writer read.
    exc = raised_by(s3.put_object, Bucket=bucket, Key="w", Body=b"second", IfMatch='"00000000000000000000000000000000"')
    assert error_of(exc)[0::2] == ("PreconditionFailed", 412)
    second = s3.put_object(Bucket=bucket, Key="w", Body=b"second", IfMatch=first)["ETag"]
    assert code_of(s3.put_object, Bucket=bucket, Key="w", Body=b"third", IfMatch=first) == "PreconditionFailed"
    assert code_of(s3.put_object, Bucket=bucket, Key="never-written", Body=b"x", IfMatch=first) == "NoSuchKey"
    # A conditional delete.
    assert code_of(s3.delete_object, Bucket=bucket, Key="w", IfMatch=first) == "PreconditionFailed"
    s3.delete_object(Bucket=bucket, Key="w", IfMatch=second)
    # Once deleted, If-None-Match: * may create it again.
    s3.put_object(Bucket=bucket, Key="w", Body=b"again", IfNoneMatch="*")


# -- copies ------------------------------------------------------------------------------------------------------------


def test_copy_metadata_directives(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"payload", Metadata={"a": "1"}, ContentType="text/plain", Tagging="t=1"
    )
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == s3.head_object(Bucket=bucket, Key="src")["ETag"]
    head = s3.head_object(Bucket=bucket, Key="copy")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/plain"
    assert s3.get_object_tagging(Bucket=bucket, Key="copy")["TagSet"] == [{"Key": "t", "Value": "1"}]
    s3.copy_object(
        Bucket=bucket,
        Key="replaced",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
        TaggingDirective="REPLACE",
        Tagging="u=2",
    )
    head = s3.head_object(Bucket=bucket, Key="replaced")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "application/json"
    assert s3.get_object_tagging(Bucket=bucket, Key="replaced")["TagSet"] == [{"Key": "u", "Value": "2"}]
    assert s3.get_object(Bucket=bucket, Key="replaced")["Body"].read() == b"payload"
    # To another bucket, with a key that needs encoding.
    other = new_bucket(s3, "copyto")
    s3.copy_object(Bucket=other, Key="x y/ü+%", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=other, Key="x y/ü+%")["Body"].read() == b"payload"


def test_copy_to_itself(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="self", Body=b"me", Metadata={"v": "1"})
    exc = raised_by(s3.copy_object, Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidRequest", 400)
    assert message.startswith("This copy request is illegal because it is trying to copy an object to itself")
    # Changing the metadata (or the storage class, or the encryption) makes it legal.
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource={"Bucket": bucket, "Key": "self"},
        MetadataDirective="REPLACE",
        Metadata={"v": "2"},
    )
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "2"}
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, StorageClass="STANDARD_IA")
    assert s3.head_object(Bucket=bucket, Key="self")["StorageClass"] == "STANDARD_IA"


def test_copy_re_encrypts(server: ServerProcess, s3: Any, bucket: str) -> None:
    key = server.client("kms").create_key(Description="copy target")["KeyMetadata"]
    s3.put_object(Bucket=bucket, Key="plain", Body=b"re-encrypt me")
    out = s3.copy_object(
        Bucket=bucket,
        Key="kms",
        CopySource={"Bucket": bucket, "Key": "plain"},
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["KeyId"],
    )
    assert out["ServerSideEncryption"] == "aws:kms" and out["SSEKMSKeyId"] == key["Arn"]
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"re-encrypt me"
    # In place, SSE-S3 -> SSE-KMS is a legal change; and back with the bucket default.
    s3.copy_object(
        Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "plain"}, ServerSideEncryption="aws:kms"
    )
    assert s3.head_object(Bucket=bucket, Key="plain")["ServerSideEncryption"] == "aws:kms"
    s3.copy_object(Bucket=bucket, Key="back", CopySource={"Bucket": bucket, "Key": "kms"})
    assert s3.head_object(Bucket=bucket, Key="back")["ServerSideEncryption"] == "AES256"
    assert s3.get_object(Bucket=bucket, Key="back")["Body"].read() == b"re-encrypt me"


def test_copy_failures(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"x")["ETag"]
    exc = raised_by(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "missing"})
    assert error_of(exc)[0::2] == ("NoSuchKey", 404)
    exc = raised_by(s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": "no-such-bucket-zz9", "Key": "k"})
    assert error_of(exc)[0::2] == ("NoSuchBucket", 404)
    exc = raised_by(
        s3.copy_object,
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceIfMatch='"abc"',
    )
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION, 412)
    exc = raised_by(
        s3.copy_object,
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceIfNoneMatch=etag,
    )
    assert error_of(exc)[0::2] == ("PreconditionFailed", 412)
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, CopySourceIfMatch=etag)
    exc = raised_by(
        s3.copy_object, Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, IfNoneMatch="*"
    )
    assert error_of(exc)[0::2] == ("PreconditionFailed", 412)


# -- DeleteObjects -----------------------------------------------------------------------------------------------------


def test_delete_objects(s3: Any, bucket: str) -> None:
    keys = ["a", "b c", "ü/d", "e+f"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in [*keys[:2], "never-there"]]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["a", "b c", "never-there"]
    assert "Errors" not in out
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[2:]], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    # Versioned: a delete marker per key, or a version removed for good.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="v", Body=b"x")["VersionId"]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "v"}]})
    assert out["Deleted"][0]["DeleteMarker"] is True and out["Deleted"][0]["DeleteMarkerVersionId"]
    out = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "v", "VersionId": version}]})
    assert out["Deleted"] == [{"Key": "v", "VersionId": version}]
    assert code_of(s3.get_object, Bucket=bucket, Key="v", VersionId=version) == "NoSuchVersion"


def test_delete_objects_limits(s3: Any, bucket: str) -> None:
    objects = [{"Key": f"k{i}"} for i in range(1001)]
    exc = raised_by(s3.delete_objects, Bucket=bucket, Delete={"Objects": objects})
    assert error_of(exc)[0::2] == ("MalformedXML", 400)
    assert code_of(s3.delete_objects, Bucket="no-such-bucket-zz9", Delete={"Objects": [{"Key": "a"}]}) == "NoSuchBucket"
    # botocore lets an empty list through a required member; on the wire no <Object> is left, and S3 answers the
    # body as not matching its schema (as AWS does for an empty DeleteObjects), as it does for other required
    # elements missing: a CORS rule without AllowedMethod, a lifecycle or encryption configuration without rules
    exc = raised_by(s3.delete_objects, Bucket=bucket, Delete={"Objects": []})
    assert error_of(exc)[0::2] == ("MalformedXML", 400)
    cors = {"CORSRules": [{"AllowedMethods": [], "AllowedOrigins": ["*"]}]}
    assert code_of(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration=cors) == "MalformedXML"
    empty = {"Rules": []}
    assert code_of(s3.put_bucket_lifecycle_configuration, Bucket=bucket, LifecycleConfiguration=empty) == "MalformedXML"
    sse = {"Rules": []}
    assert code_of(s3.put_bucket_encryption, Bucket=bucket, ServerSideEncryptionConfiguration=sse) == "MalformedXML"


# -- GetObjectAttributes and tagging -----------------------------------------------------------------------------------


def test_get_object_attributes(s3: Any, bucket: str) -> None:
    body = b"attributes"
    put = s3.put_object(Bucket=bucket, Key="attr", Body=body, ChecksumAlgorithm="SHA256", StorageClass="STANDARD_IA")
    out = s3.get_object_attributes(
        Bucket=bucket, Key="attr", ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass", "ObjectParts"]
    )
    assert out["ETag"] == put["ETag"].strip('"')
    assert out["ObjectSize"] == len(body) and out["StorageClass"] == "STANDARD_IA"
    assert out["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert "ObjectParts" not in out  # a single-part object has none
    only_size = s3.get_object_attributes(Bucket=bucket, Key="attr", ObjectAttributes=["ObjectSize"])
    assert "ETag" not in only_size and only_size["ObjectSize"] == len(body)
    assert code_of(s3.get_object_attributes, Bucket=bucket, Key="nope", ObjectAttributes=["ETag"]) == "NoSuchKey"


def test_object_tagging(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="t", Body=b"x", Tagging="team=a%20b&env=prod&empty=")
    tags = s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("empty", ""), ("env", "prod"), ("team", "a b")]
    assert s3.head_object(Bucket=bucket, Key="t")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "3"
    assert s3.get_object(Bucket=bucket, Key="t")["TagCount"] == 3
    s3.put_object_tagging(Bucket=bucket, Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "only", "Value": "one"}]
    s3.delete_object_tagging(Bucket=bucket, Key="t")
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == []
    # Refusals.
    eleven = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    exc = raised_by(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging=eleven)
    assert error_of(exc) == ("InvalidTag", "Object tags cannot be greater than 10", 400)
    dup = {"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}
    assert code_of(s3.put_object_tagging, Bucket=bucket, Key="t", Tagging=dup) == "InvalidTag"
    assert code_of(s3.put_object, Bucket=bucket, Key="t2", Body=b"x", Tagging="aws:reserved=1") == "InvalidTag"
    assert code_of(s3.put_object, Bucket=bucket, Key="t2", Body=b"x", Tagging="k=1&k=2") == "InvalidTag"
    assert code_of(s3.put_object, Bucket=bucket, Key="t2", Body=b"x", Tagging="k=" + "v" * 257) == "InvalidTag"
    assert code_of(s3.head_object, Bucket=bucket, Key="t2") == "404"
    assert code_of(s3.get_object_tagging, Bucket=bucket, Key="missing") == "NoSuchKey"


# -- keys that look like paths -----------------------------------------------------------------------------------------

PATH_LIKE_KEYS = [
    "a//b",
    "//leading",
    "/abs/path",
    "../escape",
    "../../../../../../etc/strongroom-{id}",
    "x/../../y",
    "..",
    ".",
    "./dot",
    "trailing/",
    "%2e%2e/encoded",
    "back\\slash\\..\\up",
]


def test_path_like_keys_stay_keys(server: ServerProcess, s3: Any, bucket: str) -> None:
    marker = uuid.uuid4().hex
    keys = [k.replace("{id}", marker) for k in PATH_LIKE_KEYS]
    blob_root = server.data_dir / "s3" / "blobs"

    def outside_blobs() -> set[Path]:
        # Everything but the blob folder, what it holds, and its parents (made with the first object ever written).
        return {
            p for p in server.data_dir.rglob("*") if blob_root not in (p, *p.parents) and p not in blob_root.parents
        }

    before = outside_blobs()
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert outside_blobs() == before  # no new file or folder anywhere but under the blob folder
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode(), key
        assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == len(key.encode())
    listed = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(listed) == sorted(keys)
    # Nothing but opaque blob files under the blob folder, and nothing named after a key anywhere.
    blob_files = [p for p in blob_root.rglob("*") if p.is_file()]
    assert len(blob_files) >= len(keys)  # the file blob store (the default) holds them all
    for path in blob_files:
        assert re.fullmatch(r"[0-9a-f]{32}", path.name), path
        assert path.relative_to(blob_root).parts == (path.name[:2], path.name[2:4], path.name), path
    # The "../" keys name /etc/strongroom-<marker> relative to a naive path join: no such file, anywhere near.
    assert not list(server.data_dir.parent.rglob(f"*{marker}*"))
    assert not list(Path("/etc").glob(f"*{marker}*")) and not list(Path("/tmp").glob(f"*{marker}*"))
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


# -- the AWS CLI -------------------------------------------------------------------------------------------------------


def test_aws_cli_object_commands(server: ServerProcess, s3: Any, bucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src.txt"
    src.write_bytes(b"cli body\n")
    aws(server, "s3", "cp", str(src), f"s3://{bucket}/dir/a b.txt", "--content-type", "text/plain")
    assert s3.head_object(Bucket=bucket, Key="dir/a b.txt")["ContentType"] == "text/plain"
    aws(server, "s3", "mv", f"s3://{bucket}/dir/a b.txt", f"s3://{bucket}/moved.txt")
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["moved.txt"]
    aws(server, "s3", "cp", f"s3://{bucket}/moved.txt", str(tmp_path / "back.txt"))
    assert (tmp_path / "back.txt").read_bytes() == b"cli body\n"
    missing = aws(server, "s3api", "get-object", "--bucket", bucket, "--key", "nope", str(tmp_path / "x"), check=False)
    assert missing.returncode != 0 and "NoSuchKey" in missing.stderr
