"""S3 listings through boto3 and the AWS CLI: ListObjects (v1) and ListObjectsV2 with prefixes, delimiters and
pagination over awkward keys, and ListObjectVersions with delete markers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.s3_support import aws, new_bucket
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

# UTF-8 byte order: "+" (0x2B) < "0" (0x30) < "a" < "c" < "ü" (0xC3 0xBC).
KEYS = ["1+1", "100%", "a/1", "a/2", "b/x/1", "c d", "ü-key"]


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def filled(s3: Any) -> str:
    bucket = new_bucket(s3, "list")
    for key in reversed(KEYS):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def _v2_pages(s3: Any, bucket: str, **kwargs: Any) -> list[tuple[list[str], list[str]]]:
    pages, token = [], None
    while True:
        out = s3.list_objects_v2(Bucket=bucket, **kwargs, **({"ContinuationToken": token} if token else {}))
        keys = [c["Key"] for c in out.get("Contents", [])]
        prefixes = [p["Prefix"] for p in out.get("CommonPrefixes", [])]
        assert out["KeyCount"] == len(keys) + len(prefixes)
        pages.append((keys, prefixes))
        if not out["IsTruncated"]:
            assert "NextContinuationToken" not in out
            return pages
        token = out["NextContinuationToken"]
        assert len(pages) < 20


def _v1_pages(s3: Any, bucket: str, **kwargs: Any) -> list[tuple[list[str], list[str]]]:
    pages, marker = [], ""
    while True:
        out = s3.list_objects(Bucket=bucket, Marker=marker, **kwargs)
        keys = [c["Key"] for c in out.get("Contents", [])]
        prefixes = [p["Prefix"] for p in out.get("CommonPrefixes", [])]
        pages.append((keys, prefixes))
        if not out["IsTruncated"]:
            return pages
        # NextMarker comes only with a delimiter; without one the client continues from the last key.
        marker = out.get("NextMarker") or keys[-1]
        if "Delimiter" not in kwargs:
            assert "NextMarker" not in out
        assert len(pages) < 20


def test_list_v2_all_keys_in_utf8_order(s3: Any, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled)
    assert [c["Key"] for c in out["Contents"]] == KEYS
    assert out["KeyCount"] == 7 and out["IsTruncated"] is False and out["MaxKeys"] == 1000
    first = out["Contents"][0]
    assert first["Size"] == 3 and first["StorageClass"] == "STANDARD" and first["ETag"].startswith('"')
    assert "Owner" not in first
    assert "Owner" in s3.list_objects_v2(Bucket=filled, FetchOwner=True)["Contents"][0]


def test_paging_two_at_a_time_v2(s3: Any, filled: str) -> None:
    assert _v2_pages(s3, filled, MaxKeys=2) == [
        (["1+1", "100%"], []),
        (["a/1", "a/2"], []),
        (["b/x/1", "c d"], []),
        (["ü-key"], []),
    ]
    # Common prefixes count toward MaxKeys, and a page that ends on one continues after everything it rolled up.
    assert _v2_pages(s3, filled, MaxKeys=2, Delimiter="/") == [
        (["1+1", "100%"], []),
        ([], ["a/", "b/"]),
        (["c d", "ü-key"], []),
    ]
    assert _v2_pages(s3, filled, MaxKeys=1, Delimiter="/", Prefix="b/") == [([], ["b/x/"])]
    assert _v2_pages(s3, filled, MaxKeys=1, Prefix="a/") == [(["a/1"], []), (["a/2"], [])]


def test_paging_two_at_a_time_v1(s3: Any, filled: str) -> None:
    assert _v1_pages(s3, filled, MaxKeys=2) == [
        (["1+1", "100%"], []),
        (["a/1", "a/2"], []),
        (["b/x/1", "c d"], []),
        (["ü-key"], []),
    ]
    assert _v1_pages(s3, filled, MaxKeys=2, Delimiter="/") == [
        (["1+1", "100%"], []),
        ([], ["a/", "b/"]),
        (["c d", "ü-key"], []),
    ]


def test_prefix_delimiter_start_after(s3: Any, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [c["Key"] for c in out["Contents"]] == ["1+1", "100%", "c d", "ü-key"]
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["a/", "b/"]
    assert out["Delimiter"] == "/"
    out = s3.list_objects_v2(Bucket=filled, Prefix="b/", Delimiter="/")
    assert "Contents" not in out and [p["Prefix"] for p in out["CommonPrefixes"]] == ["b/x/"]
    out = s3.list_objects_v2(Bucket=filled, Prefix="a/")
    assert [c["Key"] for c in out["Contents"]] == ["a/1", "a/2"] and out["Prefix"] == "a/"
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=filled, StartAfter="a/2")["Contents"]] == KEYS[4:]
    assert [c["Key"] for c in s3.list_objects(Bucket=filled, Marker="c d")["Contents"]] == ["ü-key"]
    assert "Contents" not in s3.list_objects_v2(Bucket=filled, Prefix="zzz")
    # A delimiter other than "/".
    out = s3.list_objects_v2(Bucket=filled, Delimiter=" ")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["c "]


def test_awkward_keys_round_trip(s3: Any) -> None:
    bucket = new_bucket(s3, "keys")
    keys = ["with space", "plus+sign", "per%cent", "%2F", "日本語/ファイル", "emoji-🔑", "tab\tkey", "a&b=c?d#e"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    listed = [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert listed == sorted(keys, key=lambda k: k.encode())
    assert [c["Key"] for c in s3.list_objects(Bucket=bucket)["Contents"]] == listed
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket, Prefix="per%")["Contents"]] == ["per%cent"]
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket, Prefix="plus+")["Contents"]] == ["plus+sign"]


def test_url_encoding_type_on_the_wire(server: ServerProcess, s3: Any) -> None:
    bucket = new_bucket(s3, "enc")
    s3.put_object(Bucket=bucket, Key="a b+c/ü", Body=b"x")
    raw = server.client("s3")
    seen: list[bytes] = []
    raw.meta.events.register(
        "after-call.s3.ListObjectsV2", lambda http_response, **_: seen.append(http_response.content)
    )
    out = raw.list_objects_v2(Bucket=bucket, EncodingType="url", Delimiter="/")
    assert out["EncodingType"] == "url"
    assert b"<Prefix>a%20b%2Bc/</Prefix>" in seen[0]
    # botocore decodes only when it asked for the encoding itself (it does on every listing without EncodingType).
    assert out["CommonPrefixes"] == [{"Prefix": "a%20b%2Bc/"}]
    assert s3.list_objects_v2(Bucket=bucket, Delimiter="/")["CommonPrefixes"] == [{"Prefix": "a b+c/"}]


def test_listing_limits_and_errors(s3: Any, filled: str) -> None:
    out = s3.list_objects_v2(Bucket=filled, MaxKeys=0)
    assert out["KeyCount"] == 0 and out["IsTruncated"] is False and "Contents" not in out
    assert s3.list_objects_v2(Bucket=filled, MaxKeys=5000)["MaxKeys"] == 1000
    exc = raised_by(s3.list_objects_v2, Bucket=filled, ContinuationToken="not-a-token")
    assert error_of(exc) == ("InvalidArgument", "The continuation token provided is incorrect", 400)
    assert code_of(s3.list_objects_v2, Bucket="no-such-bucket-zz9") == "NoSuchBucket"
    assert code_of(s3.list_objects, Bucket="no-such-bucket-zz9") == "NoSuchBucket"


def test_deleted_keys_leave_listings(s3: Any, filled: str) -> None:
    s3.delete_object(Bucket=filled, Key="a/1")
    s3.delete_object(Bucket=filled, Key="a/2")
    out = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["b/"]


# -- versions ----------------------------------------------------------------------------------------------------------


def test_list_object_versions_with_delete_markers(s3: Any) -> None:
    bucket = new_bucket(s3, "versions")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="doc", Body=b"1")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="doc", Body=b"22")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="doc")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    other = s3.put_object(Bucket=bucket, Key="other", Body=b"o")["VersionId"]
    out = s3.list_object_versions(Bucket=bucket)
    assert [(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in out["Versions"]] == [
        ("doc", v2, False, 2),
        ("doc", v1, False, 1),
        ("other", other, True, 1),
    ]
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in out["DeleteMarkers"]] == [("doc", marker, True)]
    # The key reads as missing; its versions are still there; the marker itself answers 405.
    exc = raised_by(s3.get_object, Bucket=bucket, Key="doc")
    assert error_of(exc)[0::2] == ("NoSuchKey", 404)
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert s3.get_object(Bucket=bucket, Key="doc", VersionId=v1)["Body"].read() == b"1"
    exc = raised_by(s3.get_object, Bucket=bucket, Key="doc", VersionId=marker)
    assert error_of(exc) == ("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)
    assert code_of(s3.head_object, Bucket=bucket, Key="doc", VersionId=marker) == "405"
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["other"]
    # Paging one entry at a time walks markers and versions in order.
    seen: list[str] = []
    kwargs: dict[str, str] = {}
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=1, **kwargs)
        entries = page.get("Versions", []) + page.get("DeleteMarkers", [])
        assert len(entries) == 1
        seen.append(entries[0]["VersionId"])
        if not page["IsTruncated"]:
            break
        kwargs = {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}
    assert seen == [marker, v2, v1, other]
    # Removing the delete marker brings the object back.
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=marker)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"22"
    # Copying an earlier version onto its own key restores it as a new version (S3 User Guide, "Restoring
    # previous versions"); copying the key onto itself without a version id and without changes is refused.
    restored = s3.copy_object(Bucket=bucket, Key="doc", CopySource={"Bucket": bucket, "Key": "doc", "VersionId": v1})
    assert restored["CopySourceVersionId"] == v1 and restored["VersionId"] not in (v1, v2)
    assert s3.get_object(Bucket=bucket, Key="doc")["Body"].read() == b"1"
    assert code_of(s3.copy_object, Bucket=bucket, Key="doc", CopySource={"Bucket": bucket, "Key": "doc"}) == (
        "InvalidRequest"
    )
    s3.delete_object(Bucket=bucket, Key="doc", VersionId=restored["VersionId"])
    # Bad version ids.
    assert code_of(s3.get_object, Bucket=bucket, Key="doc", VersionId="A" * 32) == "NoSuchVersion"
    assert code_of(s3.get_object, Bucket=bucket, Key="doc", VersionId="bad version!") == "InvalidArgument"


def test_list_object_versions_prefix_and_delimiter(s3: Any) -> None:
    bucket = new_bucket(s3, "vprefix")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for key in ("logs/1", "logs/2", "data/x", "top"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    out = s3.list_object_versions(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["data/", "logs/"]
    assert [v["Key"] for v in out["Versions"]] == ["top"]
    page = s3.list_object_versions(Bucket=bucket, Delimiter="/", MaxKeys=1)
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["data/"] and page["NextKeyMarker"] == "data/"
    rest = s3.list_object_versions(Bucket=bucket, Delimiter="/", KeyMarker="data/")
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["logs/"]
    assert [v["Key"] for v in s3.list_object_versions(Bucket=bucket, Prefix="logs/")["Versions"]] == [
        "logs/1",
        "logs/2",
    ]
    # An unversioned bucket lists its objects as "null" versions.
    plain = new_bucket(s3, "vnull")
    s3.put_object(Bucket=plain, Key="k", Body=b"x")
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=plain)["Versions"]] == ["null"]


def test_aws_cli_ls_and_sync(server: ServerProcess, s3: Any, tmp_path: Any) -> None:
    bucket = new_bucket(s3, "sync")
    src = tmp_path / "tree"
    for rel in ("a.txt", "sub/b.txt", "sub/deeper/c d.txt", "ü.txt"):
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    aws(server, "s3", "sync", str(src), f"s3://{bucket}/tree")
    keys = sorted(c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == ["tree/a.txt", "tree/sub/b.txt", "tree/sub/deeper/c d.txt", "tree/ü.txt"]
    listed = aws(server, "s3", "ls", f"s3://{bucket}/tree/").stdout
    assert "PRE sub/" in listed and "a.txt" in listed
    (src / "a.txt").unlink()
    aws(server, "s3", "sync", str(src), f"s3://{bucket}/tree", "--delete")
    assert "tree/a.txt" not in {c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    back = tmp_path / "back"
    aws(server, "s3", "sync", f"s3://{bucket}/tree", str(back))
    assert (back / "sub" / "deeper" / "c d.txt").read_text() == "sub/deeper/c d.txt"
