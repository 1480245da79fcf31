"""S3 buckets through boto3 and the AWS CLI: naming rules, regions, ownership across accounts, listing, deletion,
versioning, ownership controls and the defaults of a new bucket."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.s3_support import aws, new_bucket, other_account, s3_for, unique
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


# -- creating -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ab",  # too short
        "a" * 64,  # too long
        "UpperCase1",
        "under_score",
        "-starts-with-hyphen",
        "ends-with-hyphen-",
        "two..dots",
        "192.168.10.20",  # formatted as an IP address
        "xn--reserved-prefix",
        "sthree-reserved",
        "amzn-s3-demo-bucket1",
        "reserved-suffix-s3alias",
        "reserved--ol-s3",
        "reserved.mrap",
    ],
)
def test_invalid_bucket_names(s3: Any, name: str) -> None:
    exc = raised_by(s3.create_bucket, Bucket=name)
    assert error_of(exc) == ("InvalidBucketName", "The specified bucket is not valid.", 400)
    assert exc.value.response["Error"]["BucketName"] == name


def test_valid_names_at_the_limits(s3: Any) -> None:
    shortest = "a" + uuid.uuid4().hex[:2]
    longest = ("l" + uuid.uuid4().hex).ljust(63, "z")
    dotted = unique("dots.in.name")
    for name in (shortest, longest, dotted):
        out = s3.create_bucket(Bucket=name)
        assert out["Location"] == f"/{name}"
        s3.head_bucket(Bucket=name)
        s3.delete_bucket(Bucket=name)
    assert code_of(s3.head_bucket, Bucket=shortest) == "404"


def test_location_constraints(server: ServerProcess, s3: Any) -> None:
    eu = server.client("s3", region="eu-west-1")
    # A regional endpoint needs the matching constraint.
    exc = raised_by(eu.create_bucket, Bucket=unique("loc"))
    assert error_of(exc) == (
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint this request was "
        "sent to.",
        400,
    )
    exc = raised_by(
        eu.create_bucket, Bucket=unique("loc"), CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    assert error_of(exc)[0] == "IllegalLocationConstraintException"
    name = unique("loc")
    made = eu.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert made["Location"] == f"http://{name}.s3.amazonaws.com/"
    assert eu.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    assert s3.head_bucket(Bucket=name)["BucketRegion"] == "eu-west-1"
    # us-east-1 reports an empty LocationConstraint.
    home = new_bucket(s3, "loc")
    assert s3.get_bucket_location(Bucket=home)["LocationConstraint"] is None
    assert s3.head_bucket(Bucket=home)["BucketRegion"] == "us-east-1"


_VALIDATED_BY_S3 = [
    pytest.param(
        "create_bucket",
        {"CreateBucketConfiguration": {"LocationConstraint": "us-east-1"}},
        ("InvalidLocationConstraint", "The specified location-constraint is not valid"),
        id="us-east-1-constraint",
    ),
    pytest.param(
        "put_bucket_versioning",
        {"VersioningConfiguration": {"Status": "Disabled"}},
        ("MalformedXML", MALFORMED_XML),
        id="versioning-disabled",
    ),
    pytest.param(
        "put_bucket_ownership_controls",
        {"OwnershipControls": {"Rules": []}},
        ("MalformedXML", MALFORMED_XML),
        id="ownership-no-rules",
    ),
    pytest.param(
        "put_object",
        {"Key": "k", "Body": b"x", "ServerSideEncryption": "bogus"},
        ("InvalidArgument", "The encryption method specified is not supported"),
        id="unknown-sse",
    ),
    pytest.param(
        "put_object_legal_hold",
        {"Key": "k", "LegalHold": {"Status": "MAYBE"}},
        ("MalformedXML", MALFORMED_XML),
        id="legal-hold-status",
    ),
]


@pytest.mark.parametrize(("method", "kwargs", "expected"), _VALIDATED_BY_S3)
def test_s3_never_answers_validation_exception(
    s3: Any, method: str, kwargs: dict[str, Any], expected: tuple[str, str]
) -> None:
    if method == "create_bucket":
        name = unique("val")
    else:
        name = new_bucket(s3, "val", ObjectLockEnabledForBucket=True)
        s3.put_object(Bucket=name, Key="k", Body=b"x")
    exc = raised_by(getattr(s3, method), Bucket=name, **kwargs)
    assert error_of(exc)[:2] == expected


def test_recreating_a_bucket(server: ServerProcess, s3: Any) -> None:
    # In us-east-1, re-creating a bucket you own answers 200 (S3's legacy behaviour); elsewhere
    # BucketAlreadyOwnedByYou; another account always gets BucketAlreadyExists.
    home = new_bucket(s3, "again")
    assert s3.create_bucket(Bucket=home)["Location"] == f"/{home}"
    eu = server.client("s3", region="eu-west-1")
    name = unique("again")
    config = {"LocationConstraint": "eu-west-1"}
    eu.create_bucket(Bucket=name, CreateBucketConfiguration=config)
    exc = raised_by(eu.create_bucket, Bucket=name, CreateBucketConfiguration=config)
    assert error_of(exc) == (
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
    )
    # us-east-1 endpoint, bucket in another region: still "yours", not a silent success.
    assert code_of(s3.create_bucket, Bucket=name) == "BucketAlreadyOwnedByYou"


def test_another_account_gets_bucket_already_exists(server: ServerProcess, s3: Any) -> None:
    home = new_bucket(s3, "taken")
    _, creds = other_account(server)
    exc = raised_by(s3_for(server, creds).create_bucket, Bucket=home)
    assert error_of(exc) == (
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users of the system. "
        "Please select a different name and try again.",
        409,
    )


def test_create_with_acls_under_bucket_owner_enforced(s3: Any) -> None:
    exc = raised_by(s3.create_bucket, Bucket=unique("acl"), ACL="public-read")
    assert error_of(exc)[0] == "InvalidBucketAclWithObjectOwnership"
    name = new_bucket(s3, "acl", ACL="private")
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]


# -- defaults of a new bucket -----------------------------------------------------------------------------------------


def test_defaults_of_a_new_bucket(s3: Any) -> None:
    name = new_bucket(s3, "defaults")
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules == [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BucketKeyEnabled": False,
            "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
        }
    ]
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    assert code_of(s3.get_bucket_policy, Bucket=name) == "NoSuchBucketPolicy"
    assert code_of(s3.get_bucket_tagging, Bucket=name) == "NoSuchTagSet"
    assert code_of(s3.get_object_lock_configuration, Bucket=name) == "ObjectLockConfigurationNotFoundError"
    acl = s3.get_bucket_acl(Bucket=name)
    assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
    # Deleting the encryption configuration restores SSE-S3: encryption is never off.
    s3.delete_bucket_encryption(Bucket=name)
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


# -- head, list, delete -----------------------------------------------------------------------------------------------


def test_head_and_missing_buckets(s3: Any) -> None:
    name = new_bucket(s3, "head")
    out = s3.head_bucket(Bucket=name)
    assert out["BucketRegion"] == "us-east-1" and out["BucketArn"] == f"arn:aws:s3:::{name}"
    missing = unique("missing")
    assert error_of(raised_by(s3.head_bucket, Bucket=missing))[0::2] == ("404", 404)
    exc = raised_by(s3.get_bucket_location, Bucket=missing)
    assert error_of(exc) == ("NoSuchBucket", "The specified bucket does not exist", 404)
    assert exc.value.response["Error"]["BucketName"] == missing
    assert code_of(s3.delete_bucket, Bucket=missing) == "NoSuchBucket"
    assert code_of(s3.list_objects_v2, Bucket=missing) == "NoSuchBucket"


def test_expected_bucket_owner(server: ServerProcess, s3: Any) -> None:
    name = new_bucket(s3, "owner")
    me = server.client("sts").get_caller_identity()["Account"]
    s3.head_bucket(Bucket=name, ExpectedBucketOwner=me)
    other, _ = other_account(server)
    assert error_of(raised_by(s3.head_bucket, Bucket=name, ExpectedBucketOwner=other))[0::2] == ("403", 403)
    assert code_of(s3.get_bucket_versioning, Bucket=name, ExpectedBucketOwner=other) == "AccessDenied"


def test_list_buckets_shows_only_own_buckets(server: ServerProcess, s3: Any) -> None:
    mine = new_bucket(s3, "mine")
    _, creds = other_account(server)
    theirs_client = s3_for(server, creds)
    theirs = new_bucket(theirs_client, "theirs")
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert mine in names and theirs not in names
    their_names = {b["Name"] for b in theirs_client.list_buckets()["Buckets"]}
    assert theirs in their_names and mine not in their_names
    # Prefix and paging (MaxBuckets / ContinuationToken).
    prefix = unique("page")
    made = sorted(new_bucket(s3, prefix) for _ in range(3))
    first = s3.list_buckets(Prefix=prefix, MaxBuckets=2)
    assert [b["Name"] for b in first["Buckets"]] == made[:2] and first["Prefix"] == prefix
    rest = s3.list_buckets(Prefix=prefix, MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
    assert [b["Name"] for b in rest["Buckets"]] == made[2:] and "ContinuationToken" not in rest
    # The other account cannot even see that the bucket holds anything.
    assert code_of(theirs_client.list_objects_v2, Bucket=mine) == "AccessDenied"


def test_delete_bucket_not_empty(s3: Any) -> None:
    name = new_bucket(s3, "del")
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    exc = raised_by(s3.delete_bucket, Bucket=name)
    assert error_of(exc) == ("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
    s3.delete_object(Bucket=name, Key="k")
    # An unfinished multipart upload keeps the bucket too.
    upload = s3.create_multipart_upload(Bucket=name, Key="mp")["UploadId"]
    assert code_of(s3.delete_bucket, Bucket=name) == "BucketNotEmpty"
    s3.abort_multipart_upload(Bucket=name, Key="mp", UploadId=upload)
    s3.delete_bucket(Bucket=name)
    assert code_of(s3.get_bucket_location, Bucket=name) == "NoSuchBucket"
    # The name is free again, for anyone.
    s3.create_bucket(Bucket=name)


def test_delete_versioned_bucket_needs_every_version_gone(s3: Any) -> None:
    name = new_bucket(s3, "delv")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=name, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=name, Key="k")["VersionId"]
    assert code_of(s3.delete_bucket, Bucket=name) == "BucketNotEmpty"  # a delete marker and a version remain
    s3.delete_object(Bucket=name, Key="k", VersionId=version)
    assert code_of(s3.delete_bucket, Bucket=name) == "BucketNotEmpty"  # the delete marker remains
    s3.delete_object(Bucket=name, Key="k", VersionId=marker)
    s3.delete_bucket(Bucket=name)


def test_aws_cli_mb_rb(server: ServerProcess, s3: Any, tmp_path: Any) -> None:
    name = unique("cli")
    assert f"make_bucket: {name}" in aws(server, "s3", "mb", f"s3://{name}").stdout
    s3.put_object(Bucket=name, Key="dir/f.txt", Body=b"hello")
    failed = aws(server, "s3", "rb", f"s3://{name}", check=False)
    assert failed.returncode != 0 and "BucketNotEmpty" in failed.stderr
    aws(server, "s3", "rb", f"s3://{name}", "--force")
    assert name not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


# -- versioning and ownership controls --------------------------------------------------------------------------------


def test_versioning_states(s3: Any) -> None:
    name = new_bucket(s3, "ver")
    assert "Status" not in s3.get_bucket_versioning(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=name, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=name, Key="k", Body=b"two")["VersionId"]
    assert v1 != v2 and len(v1) == 32
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    # Suspended: writes replace the "null" version; earlier versions stay.
    s3.put_object(Bucket=name, Key="k", Body=b"three")
    s3.put_object(Bucket=name, Key="k", Body=b"four")
    versions = s3.list_object_versions(Bucket=name)["Versions"]
    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (v2, False), (v1, False)]
    assert s3.get_object(Bucket=name, Key="k", VersionId="null")["Body"].read() == b"four"
    assert s3.get_object(Bucket=name, Key="k", VersionId=v1)["Body"].read() == b"one"
    # Back to Enabled: new writes get version ids again, the "null" version stays.
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    v5 = s3.put_object(Bucket=name, Key="k", Body=b"five")["VersionId"]
    ids = [v["VersionId"] for v in s3.list_object_versions(Bucket=name)["Versions"]]
    assert ids == [v5, "null", v2, v1]


def test_versioning_mfa_delete_refused(s3: Any) -> None:
    name = new_bucket(s3, "mfa")
    exc = raised_by(
        s3.put_bucket_versioning,
        Bucket=name,
        VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
        MFA="arn:aws:iam::123456789012:mfa/user 123456",
    )
    assert error_of(exc)[0::2] == ("InvalidRequest", 400)


def test_ownership_controls(s3: Any) -> None:
    name = new_bucket(s3, "own")
    for value in ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
        rules = s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"]
        assert rules == [{"ObjectOwnership": value}]
    # ACLs disabled: a public canned ACL is refused; once ACLs are enabled, Block Public Access still refuses it.
    assert code_of(s3.put_bucket_acl, Bucket=name, ACL="public-read") == "AccessControlListNotSupported"
    s3.put_bucket_ownership_controls(
        Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}
    )
    assert code_of(s3.put_bucket_acl, Bucket=name, ACL="public-read") == "AccessDenied"
    s3.put_bucket_acl(Bucket=name, ACL="private")
    s3.delete_bucket_ownership_controls(Bucket=name)
