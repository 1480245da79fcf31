"""S3 multipart uploads end to end: 100 MB through the AWS CLI and boto3's transfer manager (with checksums), the
low-level calls (ListParts, ListMultipartUploads, Abort, UploadPartCopy) and every refusal of Complete."""

from __future__ import annotations

import base64
import hashlib
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
from boto3.s3.transfer import TransferConfig

from tests.e2e.s3_support import MIB, aws, new_bucket, random_file, sha256_file
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

BIG = 100 * MIB
PART = 8 * MIB  # boto3's and the CLI's default part size


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    return new_bucket(s3, "mp")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return random_file(tmp_path_factory.mktemp("mp") / "big.bin", BIG, seed=7)


def _parts(path: Path, size: int = PART) -> list[bytes]:
    out = []
    with path.open("rb") as f:
        while piece := f.read(size):
            out.append(piece)
    return out


def _multipart_etag(parts: list[bytes]) -> str:
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def test_aws_cli_cp_100mb(server: ServerProcess, s3: Any, bucket: str, big_file: Path, tmp_path: Path) -> None:
    aws(server, "s3", "cp", str(big_file), f"s3://{bucket}/cli/big.bin")
    head = s3.head_object(Bucket=bucket, Key="cli/big.bin")
    assert head["ContentLength"] == BIG
    assert head["ETag"] == _multipart_etag(_parts(big_file))
    out = tmp_path / "back.bin"
    aws(server, "s3", "cp", f"s3://{bucket}/cli/big.bin", str(out))
    assert sha256_file(out) == sha256_file(big_file)


def test_upload_file_100mb_crc32_default(s3: Any, bucket: str, big_file: Path, tmp_path: Path) -> None:
    s3.upload_file(str(big_file), bucket, "boto/big.bin")
    parts = _parts(big_file)
    head = s3.head_object(Bucket=bucket, Key="boto/big.bin", ChecksumMode="ENABLED")
    assert head["ContentLength"] == BIG and head["ETag"] == _multipart_etag(parts)
    # boto3 asks for CRC32 by default: the object's checksum is the CRC32 of the parts' CRC32s, "-N".
    crcs = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
    expected = base64.b64encode(zlib.crc32(crcs).to_bytes(4, "big")).decode() + f"-{len(parts)}"
    assert head["ChecksumCRC32"] == expected and head["ChecksumType"] == "COMPOSITE"
    out = tmp_path / "back.bin"
    s3.download_file(bucket, "boto/big.bin", str(out))
    assert sha256_file(out) == sha256_file(big_file)
    # A ranged read across a part boundary, and one part by number.
    got = s3.get_object(Bucket=bucket, Key="boto/big.bin", Range=f"bytes={PART - 10}-{PART + 9}")
    assert got["Body"].read() == parts[0][-10:] + parts[1][:10]
    second = s3.get_object(Bucket=bucket, Key="boto/big.bin", PartNumber=2)
    assert second["Body"].read() == parts[1]
    assert second["PartsCount"] == len(parts) and second["ContentRange"] == f"bytes {PART}-{2 * PART - 1}/{BIG}"
    exc = raised_by(s3.head_object, Bucket=bucket, Key="boto/big.bin", PartNumber=len(parts) + 1)
    assert error_of(exc)[0::2] == ("416", 416)
    exc = raised_by(s3.get_object, Bucket=bucket, Key="boto/big.bin", PartNumber=len(parts) + 1)
    assert error_of(exc)[0::2] == ("InvalidPartNumber", 416)
    exc = raised_by(s3.get_object, Bucket=bucket, Key="boto/big.bin", PartNumber=1, Range="bytes=0-1")
    assert error_of(exc) == ("InvalidRequest", "Cannot specify both Range header and partNumber query parameter.", 400)


def test_upload_file_sha256(s3: Any, bucket: str, big_file: Path, tmp_path: Path) -> None:
    config = TransferConfig(multipart_chunksize=16 * MIB)
    s3.upload_file(str(big_file), bucket, "sha/big.bin", ExtraArgs={"ChecksumAlgorithm": "SHA256"}, Config=config)
    parts = _parts(big_file, 16 * MIB)
    digests = [hashlib.sha256(p).digest() for p in parts]
    expected = base64.b64encode(hashlib.sha256(b"".join(digests)).digest()).decode() + f"-{len(parts)}"
    head = s3.head_object(Bucket=bucket, Key="sha/big.bin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"] == expected and head["ETag"] == _multipart_etag(parts)
    attributes = s3.get_object_attributes(
        Bucket=bucket, Key="sha/big.bin", ObjectAttributes=["ObjectParts", "Checksum", "ObjectSize"], MaxParts=2
    )
    assert attributes["ObjectSize"] == BIG
    assert attributes["Checksum"] == {"ChecksumSHA256": expected, "ChecksumType": "COMPOSITE"}
    object_parts = attributes["ObjectParts"]
    assert object_parts["TotalPartsCount"] == len(parts) and object_parts["IsTruncated"] is True
    assert [(p["PartNumber"], p["Size"]) for p in object_parts["Parts"]] == [(1, 16 * MIB), (2, 16 * MIB)]
    assert object_parts["Parts"][0]["ChecksumSHA256"] == base64.b64encode(digests[0]).decode()
    rest = s3.get_object_attributes(
        Bucket=bucket,
        Key="sha/big.bin",
        ObjectAttributes=["ObjectParts"],
        PartNumberMarker=object_parts["NextPartNumberMarker"],
    )["ObjectParts"]
    assert [p["PartNumber"] for p in rest["Parts"]] == list(range(3, len(parts) + 1))
    assert rest["IsTruncated"] is False
    out = tmp_path / "back.bin"
    s3.download_file(bucket, "sha/big.bin", str(out))
    assert sha256_file(out) == sha256_file(big_file)


def test_list_parts_uploads_and_abort(s3: Any, bucket: str) -> None:
    made = s3.create_multipart_upload(
        Bucket=bucket, Key="dir/one", Metadata={"m": "1"}, ContentType="text/plain", ChecksumAlgorithm="SHA256"
    )
    upload = made["UploadId"]
    assert made["ChecksumAlgorithm"] == "SHA256" and made["ServerSideEncryption"] == "AES256"
    other = s3.create_multipart_upload(Bucket=bucket, Key="two")["UploadId"]
    bodies = {n: os.urandom(1000 + n) for n in (1, 2, 3)}
    for n, body in bodies.items():
        out = s3.upload_part(
            Bucket=bucket, Key="dir/one", UploadId=upload, PartNumber=n, Body=body, ChecksumAlgorithm="SHA256"
        )
        assert out["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
        assert out["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(body).digest()).decode()
    listed = s3.list_parts(Bucket=bucket, Key="dir/one", UploadId=upload)
    assert [(p["PartNumber"], p["Size"]) for p in listed["Parts"]] == [(n, len(b)) for n, b in bodies.items()]
    assert listed["IsTruncated"] is False and listed["ChecksumAlgorithm"] == "SHA256"
    first = s3.list_parts(Bucket=bucket, Key="dir/one", UploadId=upload, MaxParts=2)
    assert [p["PartNumber"] for p in first["Parts"]] == [1, 2] and first["IsTruncated"] is True
    rest = s3.list_parts(Bucket=bucket, Key="dir/one", UploadId=upload, PartNumberMarker=first["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    uploads = s3.list_multipart_uploads(Bucket=bucket)
    assert sorted((u["Key"], u["UploadId"]) for u in uploads["Uploads"]) == [("dir/one", upload), ("two", other)]
    grouped = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["dir/"]
    assert [u["Key"] for u in grouped["Uploads"]] == ["two"]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket, Prefix="dir/")["Uploads"]] == ["dir/one"]
    # Uploads are not objects.
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    assert code_of(s3.head_object, Bucket=bucket, Key="dir/one") == "404"
    # Abort: the upload and its parts are gone.
    s3.abort_multipart_upload(Bucket=bucket, Key="dir/one", UploadId=upload)
    exc = raised_by(s3.list_parts, Bucket=bucket, Key="dir/one", UploadId=upload)
    assert error_of(exc)[0::2] == ("NoSuchUpload", 404)
    assert code_of(s3.abort_multipart_upload, Bucket=bucket, Key="dir/one", UploadId=upload) == "NoSuchUpload"
    assert code_of(s3.upload_part, Bucket=bucket, Key="dir/one", UploadId=upload, PartNumber=4, Body=b"x") == (
        "NoSuchUpload"
    )
    # An upload id belongs to its key.
    assert code_of(s3.list_parts, Bucket=bucket, Key="dir/other", UploadId=other) == "NoSuchUpload"
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=bucket)["Uploads"]] == ["two"]
    s3.abort_multipart_upload(Bucket=bucket, Key="two", UploadId=other)


def test_list_multipart_uploads_pages(s3: Any, bucket: str) -> None:
    made: dict[str, list[str]] = {}
    for key in ("a/1", "a/2", "b", "b", "b", "c/1", "d"):
        made.setdefault(key, []).append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    paginator = s3.get_paginator("list_multipart_uploads")
    for size in (1, 2, 3):
        pages = list(paginator.paginate(Bucket=bucket, PaginationConfig={"PageSize": size}))
        listed = [(u["Key"], u["UploadId"]) for page in pages for u in page.get("Uploads", [])]
        assert sorted(listed) == sorted((k, u) for k, ids in made.items() for u in ids), size
        assert [k for k, _ in listed] == ["a/1", "a/2", "b", "b", "b", "c/1", "d"]
        # With a delimiter, a page may end on a common prefix: the next one starts after all it rolled up.
        pages = list(paginator.paginate(Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": size}))
        keys = [u["Key"] for page in pages for u in page.get("Uploads", [])]
        prefixes = [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
        assert (keys, prefixes) == (["b", "b", "b", "d"], ["a/", "c/"]), size
    first = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/", MaxUploads=1)
    assert first["IsTruncated"] is True and first["NextKeyMarker"] == "a/" and "NextUploadIdMarker" not in first
    for key, ids in made.items():
        for upload in ids:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)


def test_complete_refusals(s3: Any, bucket: str) -> None:
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    big = [os.urandom(5 * MIB), os.urandom(5 * MIB)]
    small = b"tiny"
    etags = {
        n: s3.upload_part(Bucket=bucket, Key="k", UploadId=upload, PartNumber=n, Body=body)["ETag"]
        for n, body in ((1, big[0]), (2, small), (3, big[1]))
    }

    def complete(numbers: list[int], etag: dict[int, str] | None = None) -> Any:
        chosen = [{"PartNumber": n, "ETag": (etag or etags)[n]} for n in numbers]
        return s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": chosen})

    exc = raised_by(complete, numbers=[3, 1])
    assert error_of(exc) == (
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        400,
    )
    assert code_of(complete, numbers=[1, 1]) == "InvalidPartOrder"
    exc = raised_by(complete, numbers=[1, 2, 3])
    assert error_of(exc) == ("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400)
    assert exc.value.response["Error"]["PartNumber"] == "2"
    exc = raised_by(complete, numbers=[1, 3], etag={1: etags[1], 3: etags[1]})
    assert error_of(exc)[0::2] == ("InvalidPart", 400)
    assert code_of(complete, numbers=[1, 4], etag={**etags, 4: etags[3]}) == "InvalidPart"
    exc = raised_by(
        s3.complete_multipart_upload, Bucket=bucket, Key="k", UploadId=upload, MultipartUpload={"Parts": []}
    )
    assert error_of(exc)[0::2] == ("MalformedXML", 400)
    assert code_of(s3.upload_part, Bucket=bucket, Key="k", UploadId=upload, PartNumber=10001, Body=b"x") == (
        "InvalidArgument"
    )
    # After every refusal the upload is intact: a small last part is fine, parts may be skipped.
    done = complete([1, 2])
    assert done["ETag"] == _multipart_etag([big[0], small])
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == big[0] + small
    assert code_of(complete, numbers=[1, 2]) == "NoSuchUpload"


def test_complete_is_conditional(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="exists", Body=b"x")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="exists")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="exists", UploadId=upload, PartNumber=1, Body=b"y")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
    exc = raised_by(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="exists",
        UploadId=upload,
        MultipartUpload=parts,
        IfNoneMatch="*",
    )
    assert error_of(exc)[0::2] == ("PreconditionFailed", 412)
    s3.complete_multipart_upload(Bucket=bucket, Key="exists", UploadId=upload, MultipartUpload=parts)
    assert s3.get_object(Bucket=bucket, Key="exists")["Body"].read() == b"y"


def test_upload_part_copy_with_ranges(s3: Any, bucket: str) -> None:
    source = os.urandom(12 * MIB)
    s3.put_object(Bucket=bucket, Key="source", Body=source)
    upload = s3.create_multipart_upload(Bucket=bucket, Key="assembled")["UploadId"]
    first = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "source"},
        CopySourceRange=f"bytes={6 * MIB}-{12 * MIB - 1}",
    )["CopyPartResult"]
    assert first["ETag"] == f'"{hashlib.md5(source[6 * MIB :]).hexdigest()}"'
    second = s3.upload_part_copy(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        PartNumber=2,
        CopySource=f"{bucket}/source",
        CopySourceRange=f"bytes=0-{5 * MIB - 1}",
    )["CopyPartResult"]
    third = s3.upload_part(Bucket=bucket, Key="assembled", UploadId=upload, PartNumber=3, Body=b"tail")["ETag"]
    # Ranges S3 refuses.
    for bad in ("bytes=0-", "bytes=-100", "0-99"):
        exc = raised_by(
            s3.upload_part_copy,
            Bucket=bucket,
            Key="assembled",
            UploadId=upload,
            PartNumber=4,
            CopySource=f"{bucket}/source",
            CopySourceRange=bad,
        )
        assert error_of(exc)[0::2] == ("InvalidArgument", 400), bad
    exc = raised_by(
        s3.upload_part_copy,
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        PartNumber=4,
        CopySource=f"{bucket}/source",
        CopySourceRange=f"bytes={12 * MIB}-{12 * MIB + 10}",
    )
    assert error_of(exc)[0::2] == ("InvalidRange", 416)
    assert (
        code_of(
            s3.upload_part_copy,
            Bucket=bucket,
            Key="assembled",
            UploadId=upload,
            PartNumber=4,
            CopySource=f"{bucket}/missing",
        )
        == "NoSuchKey"
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="assembled",
        UploadId=upload,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": first["ETag"]},
                {"PartNumber": 2, "ETag": second["ETag"]},
                {"PartNumber": 3, "ETag": third},
            ]
        },
    )
    assert (
        s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == source[6 * MIB :] + source[: 5 * MIB] + b"tail"
    )


def test_multipart_with_sse_kms_and_tags(server: ServerProcess, s3: Any, bucket: str) -> None:
    key = server.client("kms").create_key()["KeyMetadata"]
    made = s3.create_multipart_upload(
        Bucket=bucket,
        Key="kms",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key["Arn"],
        Tagging="a=1",
        Metadata={"x": "y"},
    )
    assert made["SSEKMSKeyId"] == key["Arn"]
    part = s3.upload_part(Bucket=bucket, Key="kms", UploadId=made["UploadId"], PartNumber=1, Body=b"secret")
    assert part["ServerSideEncryption"] == "aws:kms"
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="kms",
        UploadId=made["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["ServerSideEncryption"] == "aws:kms" and done["SSEKMSKeyId"] == key["Arn"]
    head = s3.head_object(Bucket=bucket, Key="kms")
    assert head["Metadata"] == {"x": "y"} and head["SSEKMSKeyId"] == key["Arn"]
    assert s3.get_object_tagging(Bucket=bucket, Key="kms")["TagSet"] == [{"Key": "a", "Value": "1"}]
    assert s3.get_object(Bucket=bucket, Key="kms")["Body"].read() == b"secret"


def _full_object_upload(s3: Any, bucket: str, key: str) -> tuple[str, list[dict[str, Any]], bytes]:
    made = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")
    assert (made["ChecksumAlgorithm"], made["ChecksumType"]) == ("CRC32", "FULL_OBJECT")
    bodies = [os.urandom(5 * MIB), os.urandom(1000)]
    parts = []
    for n, body in enumerate(bodies, 1):
        out = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=made["UploadId"], PartNumber=n, Body=body, ChecksumAlgorithm="CRC32"
        )
        parts.append({"PartNumber": n, "ETag": out["ETag"], "ChecksumCRC32": out["ChecksumCRC32"]})
    return made["UploadId"], parts, b"".join(bodies)


def _crc32(data: bytes) -> str:
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def test_full_object_crc32_without_a_claim(s3: Any, bucket: str) -> None:
    upload, parts, whole = _full_object_upload(s3, bucket, "full")
    done = s3.complete_multipart_upload(Bucket=bucket, Key="full", UploadId=upload, MultipartUpload={"Parts": parts})
    # The parts' CRC32s combine into the CRC32 of the whole object (no "-N": it is the object's own checksum).
    assert (done["ChecksumCRC32"], done["ChecksumType"]) == (_crc32(whole), "FULL_OBJECT")
    head = s3.head_object(Bucket=bucket, Key="full", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == _crc32(whole)
    # SHA256 cannot be FULL_OBJECT.
    exc = raised_by(
        s3.create_multipart_upload, Bucket=bucket, Key="x", ChecksumAlgorithm="SHA256", ChecksumType="FULL_OBJECT"
    )
    assert error_of(exc)[0::2] == ("InvalidRequest", 400)


def test_full_object_crc32_wrong_claim(s3: Any, bucket: str) -> None:
    upload, parts, whole = _full_object_upload(s3, bucket, "full-bad")
    exc = raised_by(
        s3.complete_multipart_upload,
        Bucket=bucket,
        Key="full-bad",
        UploadId=upload,
        MultipartUpload={"Parts": parts},
        ChecksumCRC32=_crc32(whole + b"x"),
        ChecksumType="FULL_OBJECT",
    )
    assert error_of(exc)[0::2] == ("BadDigest", 400)
    assert code_of(s3.head_object, Bucket=bucket, Key="full-bad") == "404"


def test_full_object_crc32_right_claim(s3: Any, bucket: str) -> None:
    upload, parts, whole = _full_object_upload(s3, bucket, "full-claimed")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="full-claimed",
        UploadId=upload,
        MultipartUpload={"Parts": parts},
        ChecksumCRC32=_crc32(whole),
        ChecksumType="FULL_OBJECT",
        MpuObjectSize=len(whole),
    )
    assert done["ChecksumCRC32"] == _crc32(whole)
