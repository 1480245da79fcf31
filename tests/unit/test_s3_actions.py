"""S3's authorization table and request condition keys (services/s3/actions.py).

The expected rows are AWS's: the Service Authorization Reference's "API operations" table, the S3 User Guide's
"Required permissions for Amazon S3 API operations" and the Permissions section of each API reference page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import botocore.session
import pytest
from botocore.handlers import handle_copy_source_param

from strongroom.iam.policy import AuthorizationRequest, PrincipalInfo, PrincipalType, evaluate, parse_policy
from strongroom.services.s3 import actions
from strongroom.services.s3.actions import (
    SKIPPED,
    TABLE,
    AuthFacts,
    CopySource,
    InvalidCopySource,
    parse_copy_source,
    request_conditions,
    s3_checks,
)

MODEL = botocore.session.get_session().get_service_model("s3")
B = "arn:aws:s3:::bkt"
O = "arn:aws:s3:::bkt/dir/file.txt"  # noqa: E741
BK = {"Bucket": "bkt"}
OK = {"Bucket": "bkt", "Key": "dir/file.txt"}
NOW = datetime(2025, 1, 1, tzinfo=UTC)


# --- the table against botocore's model --------------------------------------------------------------------------


def test_every_row_is_a_model_operation() -> None:
    names = set(MODEL.operation_names)
    assert set(TABLE) <= names
    assert set(SKIPPED) <= names
    assert not set(TABLE) & set(SKIPPED)


def test_every_model_operation_is_decided() -> None:
    """A new botocore operation must be placed in the table or among the skipped ones, with its reason."""
    assert set(MODEL.operation_names) == set(TABLE) | set(SKIPPED)


def test_rows_are_well_formed() -> None:
    for name, row in TABLE.items():
        members = set(MODEL.operation_model(name).input_shape.members)
        assert all(a.startswith("s3:") and a[3:].isalnum() for a in row.actions), name
        assert row.scope in ("bucket", "object", "*"), name
        if row.scope == "object" and not row.per_key:
            assert "Key" in members, name
        if row.scope == "bucket":
            assert "Bucket" in members, name
        if row.versioned is not None and not row.per_key:
            assert "VersionId" in members and len(row.versioned) == len(row.actions), name
        for _, when in row.extras:
            assert when in actions._WHEN, name
        if row.source:
            assert "CopySource" in members, name
        if row.passes_role:
            assert row.passes_role[0] in members, name
        if not any(a == f"s3:{name}" for a in row.actions):
            assert row.why, f"{name}: a row whose action is not its name says why"


# --- spot checks against AWS's tables (operation, params, expected checks) ------------------------------------------

SPOT_CHECKS: list[tuple[str, dict[str, Any], list[tuple[str, str]]]] = [
    ("ListBuckets", {}, [("s3:ListAllMyBuckets", "*")]),
    ("CreateBucket", BK, [("s3:CreateBucket", B)]),
    ("DeleteBucket", BK, [("s3:DeleteBucket", B)]),
    ("HeadBucket", BK, [("s3:ListBucket", B)]),
    ("ListObjects", BK, [("s3:ListBucket", B)]),
    ("ListObjectsV2", {**BK, "Prefix": "a/"}, [("s3:ListBucket", B)]),
    ("ListObjectVersions", BK, [("s3:ListBucketVersions", B)]),
    ("ListMultipartUploads", BK, [("s3:ListBucketMultipartUploads", B)]),
    ("GetBucketLocation", BK, [("s3:GetBucketLocation", B)]),
    ("GetBucketPolicy", BK, [("s3:GetBucketPolicy", B)]),
    ("PutBucketPolicy", {**BK, "Policy": "{}"}, [("s3:PutBucketPolicy", B)]),
    ("DeleteBucketPolicy", BK, [("s3:DeleteBucketPolicy", B)]),
    ("GetBucketPolicyStatus", BK, [("s3:GetBucketPolicyStatus", B)]),
    ("PutBucketEncryption", BK, [("s3:PutEncryptionConfiguration", B)]),
    ("GetBucketEncryption", BK, [("s3:GetEncryptionConfiguration", B)]),
    ("DeleteBucketEncryption", BK, [("s3:PutEncryptionConfiguration", B)]),
    ("PutPublicAccessBlock", BK, [("s3:PutBucketPublicAccessBlock", B)]),
    ("GetPublicAccessBlock", BK, [("s3:GetBucketPublicAccessBlock", B)]),
    ("DeletePublicAccessBlock", BK, [("s3:PutBucketPublicAccessBlock", B)]),
    ("PutBucketOwnershipControls", BK, [("s3:PutBucketOwnershipControls", B)]),
    ("GetBucketOwnershipControls", BK, [("s3:GetBucketOwnershipControls", B)]),
    ("DeleteBucketOwnershipControls", BK, [("s3:PutBucketOwnershipControls", B)]),
    ("PutBucketVersioning", BK, [("s3:PutBucketVersioning", B)]),
    ("GetBucketVersioning", BK, [("s3:GetBucketVersioning", B)]),
    ("PutBucketLifecycleConfiguration", BK, [("s3:PutLifecycleConfiguration", B)]),
    ("GetBucketLifecycleConfiguration", BK, [("s3:GetLifecycleConfiguration", B)]),
    ("DeleteBucketLifecycle", BK, [("s3:PutLifecycleConfiguration", B)]),
    ("GetBucketReplication", BK, [("s3:GetReplicationConfiguration", B)]),
    ("DeleteBucketReplication", BK, [("s3:PutReplicationConfiguration", B)]),
    ("PutBucketCors", BK, [("s3:PutBucketCORS", B)]),
    ("GetBucketCors", BK, [("s3:GetBucketCORS", B)]),
    ("DeleteBucketCors", BK, [("s3:PutBucketCORS", B)]),
    ("PutBucketNotificationConfiguration", BK, [("s3:PutBucketNotification", B)]),
    ("GetBucketNotificationConfiguration", BK, [("s3:GetBucketNotification", B)]),
    ("PutObjectLockConfiguration", BK, [("s3:PutBucketObjectLockConfiguration", B)]),
    ("GetObjectLockConfiguration", BK, [("s3:GetBucketObjectLockConfiguration", B)]),
    ("PutBucketTagging", BK, [("s3:PutBucketTagging", B)]),
    ("GetBucketTagging", BK, [("s3:GetBucketTagging", B)]),
    ("DeleteBucketTagging", BK, [("s3:PutBucketTagging", B)]),
    ("PutBucketAcl", BK, [("s3:PutBucketAcl", B)]),
    ("GetBucketAcl", BK, [("s3:GetBucketAcl", B)]),
    ("DeleteBucketWebsite", BK, [("s3:DeleteBucketWebsite", B)]),
    ("ListBucketAnalyticsConfigurations", BK, [("s3:GetAnalyticsConfiguration", B)]),
    ("DeleteBucketInventoryConfiguration", {**BK, "Id": "i"}, [("s3:PutInventoryConfiguration", B)]),
    ("ListBucketMetricsConfigurations", BK, [("s3:GetMetricsConfiguration", B)]),
    ("DeleteBucketIntelligentTieringConfiguration", {**BK, "Id": "i"}, [("s3:PutIntelligentTieringConfiguration", B)]),
    ("GetBucketAccelerateConfiguration", BK, [("s3:GetAccelerateConfiguration", B)]),
    ("GetObject", OK, [("s3:GetObject", O)]),
    ("HeadObject", OK, [("s3:GetObject", O)]),
    ("PutObject", OK, [("s3:PutObject", O)]),
    ("DeleteObject", OK, [("s3:DeleteObject", O)]),
    ("GetObjectAttributes", OK, [("s3:GetObject", O), ("s3:GetObjectAttributes", O)]),
    ("GetObjectAcl", OK, [("s3:GetObjectAcl", O)]),
    ("PutObjectAcl", OK, [("s3:PutObjectAcl", O)]),
    ("GetObjectTagging", OK, [("s3:GetObjectTagging", O)]),
    ("PutObjectTagging", OK, [("s3:PutObjectTagging", O)]),
    ("DeleteObjectTagging", OK, [("s3:DeleteObjectTagging", O)]),
    ("PutObjectRetention", OK, [("s3:PutObjectRetention", O)]),
    ("GetObjectRetention", OK, [("s3:GetObjectRetention", O)]),
    ("PutObjectLegalHold", OK, [("s3:PutObjectLegalHold", O)]),
    ("GetObjectLegalHold", OK, [("s3:GetObjectLegalHold", O)]),
    ("RestoreObject", OK, [("s3:RestoreObject", O)]),
    ("CreateMultipartUpload", OK, [("s3:PutObject", O)]),
    ("UploadPart", {**OK, "UploadId": "u", "PartNumber": 1}, [("s3:PutObject", O)]),
    ("CompleteMultipartUpload", {**OK, "UploadId": "u"}, [("s3:PutObject", O)]),
    ("AbortMultipartUpload", {**OK, "UploadId": "u"}, [("s3:AbortMultipartUpload", O)]),
    ("ListParts", {**OK, "UploadId": "u"}, [("s3:ListMultipartUploadParts", O)]),
]


@pytest.mark.parametrize(("operation", "params", "expected"), SPOT_CHECKS, ids=[c[0] for c in SPOT_CHECKS])
def test_spot_checks(operation: str, params: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert s3_checks(operation, params) == expected


# --- version variants ----------------------------------------------------------------------------------------------

VERSIONED: list[tuple[str, list[str]]] = [
    ("GetObject", ["s3:GetObjectVersion"]),
    ("HeadObject", ["s3:GetObjectVersion"]),
    ("DeleteObject", ["s3:DeleteObjectVersion"]),
    ("GetObjectTagging", ["s3:GetObjectVersionTagging"]),
    ("PutObjectTagging", ["s3:PutObjectVersionTagging"]),
    ("DeleteObjectTagging", ["s3:DeleteObjectVersionTagging"]),
    ("GetObjectAcl", ["s3:GetObjectVersionAcl"]),
    ("PutObjectAcl", ["s3:PutObjectVersionAcl"]),
    ("GetObjectAttributes", ["s3:GetObjectVersion", "s3:GetObjectVersionAttributes"]),
    # no version-specific action exists for these: the version is the s3:VersionId condition key's
    ("GetObjectRetention", ["s3:GetObjectRetention"]),
    ("PutObjectLegalHold", ["s3:PutObjectLegalHold"]),
    ("RestoreObject", ["s3:RestoreObject"]),
]


@pytest.mark.parametrize(("operation", "expected"), VERSIONED, ids=[v[0] for v in VERSIONED])
def test_version_variants(operation: str, expected: list[str]) -> None:
    assert s3_checks(operation, {**OK, "VersionId": "v1"}) == [(a, O) for a in expected]


def test_an_empty_version_id_is_no_version() -> None:
    assert s3_checks("GetObject", {**OK, "VersionId": ""}) == [("s3:GetObject", O)]


# --- conditional extras --------------------------------------------------------------------------------------------


def test_put_object_extras() -> None:
    assert s3_checks("PutObject", {**OK, "ACL": "public-read"}) == [("s3:PutObject", O), ("s3:PutObjectAcl", O)]
    assert s3_checks("PutObject", {**OK, "ACL": "private"}) == [("s3:PutObject", O)]
    assert s3_checks("PutObject", {**OK, "GrantRead": 'id="abc"'})[1] == ("s3:PutObjectAcl", O)
    assert s3_checks("PutObject", {**OK, "Tagging": "a=1"}) == [("s3:PutObject", O), ("s3:PutObjectTagging", O)]
    assert s3_checks("PutObject", {**OK, "Tagging": ""}) == [("s3:PutObject", O)]
    locked = {**OK, "ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": NOW, "ObjectLockLegalHoldStatus": "ON"}
    assert s3_checks("PutObject", locked) == [
        ("s3:PutObject", O),
        ("s3:PutObjectLegalHold", O),
        ("s3:PutObjectRetention", O),
    ]
    assert s3_checks("CreateMultipartUpload", {**OK, "Tagging": "a=1"})[1] == ("s3:PutObjectTagging", O)


def test_governance_bypass() -> None:
    assert s3_checks("PutObjectRetention", {**OK, "BypassGovernanceRetention": True}) == [
        ("s3:PutObjectRetention", O),
        ("s3:BypassGovernanceRetention", O),
    ]
    assert s3_checks("PutObjectRetention", {**OK, "BypassGovernanceRetention": False}) == [("s3:PutObjectRetention", O)]
    assert s3_checks("DeleteObject", {**OK, "VersionId": "v", "BypassGovernanceRetention": True}) == [
        ("s3:DeleteObjectVersion", O),
        ("s3:BypassGovernanceRetention", O),
    ]


def test_create_bucket_extras() -> None:
    assert s3_checks("CreateBucket", {**BK, "ACL": "private"}) == [("s3:CreateBucket", B)]
    assert s3_checks("CreateBucket", {**BK, "ACL": "public-read"}) == [("s3:CreateBucket", B), ("s3:PutBucketAcl", B)]
    assert s3_checks("CreateBucket", {**BK, "GrantWrite": 'id="x"'}) == [("s3:CreateBucket", B), ("s3:PutBucketAcl", B)]
    assert s3_checks("CreateBucket", {**BK, "ObjectLockEnabledForBucket": True}) == [
        ("s3:CreateBucket", B),
        ("s3:PutBucketObjectLockConfiguration", B),
        ("s3:PutBucketVersioning", B),
    ]
    assert s3_checks("CreateBucket", {**BK, "ObjectLockEnabledForBucket": False}) == [("s3:CreateBucket", B)]
    assert s3_checks("CreateBucket", {**BK, "ObjectOwnership": "BucketOwnerEnforced"}) == [
        ("s3:CreateBucket", B),
        ("s3:PutBucketOwnershipControls", B),
    ]


def test_pass_role() -> None:
    role = "arn:aws:iam::111122223333:role/replication"
    params = {**BK, "ReplicationConfiguration": {"Role": role, "Rules": []}}
    assert s3_checks("PutBucketReplication", params) == [
        ("s3:PutReplicationConfiguration", B),
        ("iam:PassRole", role),
    ]
    assert s3_checks("PutBucketReplication", {**BK, "ReplicationConfiguration": {"Rules": []}}) == [
        ("s3:PutReplicationConfiguration", B)
    ]
    metadata = {**BK, "MetadataConfiguration": {"AnnotationTableConfiguration": {"Role": role}}}
    assert s3_checks("CreateBucketMetadataConfiguration", metadata)[-1] == ("iam:PassRole", role)
    update = {**BK, "AnnotationTableConfiguration": {"ConfigurationState": "ENABLED", "Role": role}}
    assert s3_checks("UpdateBucketMetadataAnnotationTableConfiguration", update)[-1] == ("iam:PassRole", role)


def test_delete_objects_checks_every_key() -> None:
    params = {
        **BK,
        "Delete": {"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v2"}, {"Key": "a"}, {"Key": "c d+e"}]},
    }
    assert s3_checks("DeleteObjects", params) == [
        ("s3:DeleteObject", "arn:aws:s3:::bkt/a"),
        ("s3:DeleteObjectVersion", "arn:aws:s3:::bkt/b"),
        ("s3:DeleteObject", "arn:aws:s3:::bkt/c d+e"),
    ]
    bypass = {**params, "BypassGovernanceRetention": True}
    assert ("s3:BypassGovernanceRetention", "arn:aws:s3:::bkt/b") in s3_checks("DeleteObjects", bypass)


def test_delete_objects_without_keys_still_checks() -> None:
    assert s3_checks("DeleteObjects", {**BK, "Delete": {"Objects": []}}) == [("s3:DeleteObject", B)]


def test_operations_outside_the_table_get_the_general_rule() -> None:
    assert s3_checks("CreateSession", BK) == [("s3:CreateSession", "*")]


# --- CopyObject / UploadPartCopy --------------------------------------------------------------------------------------


def _wire(source: dict[str, str]) -> str:
    """The x-amz-copy-source header botocore sends for a CopySource dict."""
    params: dict[str, Any] = {"CopySource": dict(source)}
    handle_copy_source_param(params)
    return str(params["CopySource"])


COPY_SOURCES: list[tuple[str, CopySource]] = [
    ("src/key.txt", CopySource("src", "key.txt")),
    ("/src/key.txt", CopySource("src", "key.txt")),
    ("src/a/b/c", CopySource("src", "a/b/c")),
    ("src/key?versionId=3HL4kqtJlcpXroDTDmJ", CopySource("src", "key", "3HL4kqtJlcpXroDTDmJ")),
    ("src/with%20space%2Band%3Fquery.txt", CopySource("src", "with space+and?query.txt")),
    ("src/plus+stays", CopySource("src", "plus+stays")),
    ("src/%E2%82%AC.txt?versionId=v", CopySource("src", "€.txt", "v")),
    ("src/key?versionId=", CopySource("src", "key")),
    (_wire({"Bucket": "src", "Key": "dir/é x?y#z.txt"}), CopySource("src", "dir/é x?y#z.txt")),
    (_wire({"Bucket": "src", "Key": "k k", "VersionId": "v 1"}), CopySource("src", "k k", "v 1")),
]


@pytest.mark.parametrize(("header", "expected"), COPY_SOURCES, ids=[c[0] for c in COPY_SOURCES])
def test_parse_copy_source(header: str, expected: CopySource) -> None:
    assert parse_copy_source(header) == expected


@pytest.mark.parametrize(
    "header",
    ["", "/", "src", "src/", "/src", "?versionId=v", "arn:aws:s3:us-west-2:123456789012:accesspoint/ap/object/k"],
)
def test_parse_copy_source_refuses_what_names_no_object(header: str) -> None:
    with pytest.raises(InvalidCopySource, match="sourcebucket/sourcekey"):
        parse_copy_source(header)


def test_copy_object_reads_the_source() -> None:
    params = {**OK, "CopySource": "src/a%20b.txt"}
    assert s3_checks("CopyObject", params) == [("s3:PutObject", O), ("s3:GetObject", "arn:aws:s3:::src/a b.txt")]
    versioned = {**OK, "CopySource": "src/a?versionId=v9", "ACL": "public-read"}
    assert s3_checks("CopyObject", versioned) == [
        ("s3:PutObject", O),
        ("s3:PutObjectAcl", O),
        ("s3:GetObjectVersion", "arn:aws:s3:::src/a"),
    ]
    # an ACL that grants nothing beyond the owners needs no s3:PutObjectAcl: AWS's log-delivery bucket policies
    # (CloudTrail, ELB) grant only s3:PutObject to writers that send bucket-owner-full-control
    owners = {**OK, "CopySource": "src/a", "ACL": "bucket-owner-full-control"}
    assert s3_checks("CopyObject", owners) == [("s3:PutObject", O), ("s3:GetObject", "arn:aws:s3:::src/a")]
    part = {**OK, "CopySource": "/src/a", "UploadId": "u", "PartNumber": 2}
    assert s3_checks("UploadPartCopy", part) == [("s3:PutObject", O), ("s3:GetObject", "arn:aws:s3:::src/a")]
    with pytest.raises(InvalidCopySource):
        s3_checks("UploadPartCopy", {**part, "CopySource": "src"})


# --- condition keys ----------------------------------------------------------------------------------------------


def test_object_write_condition_keys() -> None:
    params = {
        **OK,
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
        "ACL": "bucket-owner-full-control",
        "GrantFullControl": 'id="abc"',
        "StorageClass": "STANDARD_IA",
        "Tagging": "Project=Blue&Empty=&a%20b=c%26d",
        "ObjectLockMode": "COMPLIANCE",
        "ObjectLockRetainUntilDate": NOW + timedelta(days=10, minutes=1),
        "ObjectLockLegalHoldStatus": "OFF",
        "ChecksumAlgorithm": "SHA256",
    }
    assert request_conditions("PutObject", params, now=NOW) == {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:us-east-1:111122223333:key/k",
        "s3:x-amz-acl": "bucket-owner-full-control",
        "s3:x-amz-grant-full-control": 'id="abc"',
        "s3:x-amz-storage-class": "STANDARD_IA",
        "s3:object-lock-mode": "COMPLIANCE",
        "s3:object-lock-legal-hold": "OFF",
        "s3:RequestObjectTag/Project": "Blue",
        "s3:RequestObjectTag/Empty": "",
        "s3:RequestObjectTag/a b": "c&d",
        "s3:RequestObjectTagKeys": ["Project", "Empty", "a b"],
        "s3:object-lock-retain-until-date": "2025-01-11T00:01:00Z",
        "s3:object-lock-remaining-retention-days": 11,  # a part of a day counts as a day
    }


def test_remaining_retention_days() -> None:
    def days(until: datetime) -> Any:
        params = {"Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": until}}
        return request_conditions("PutObjectRetention", {**OK, **params}, now=NOW)[
            "s3:object-lock-remaining-retention-days"
        ]

    assert days(NOW + timedelta(days=10)) == 10
    assert days(NOW + timedelta(seconds=1)) == 1
    assert days(NOW - timedelta(days=3)) == 0
    assert days(datetime(2025, 1, 31)) == 30  # a naive datetime is UTC, as botocore's timestamps are
    assert days("2025-01-03T00:00:00Z") == 2  # type: ignore[arg-type]
    got = request_conditions("PutObject", {**OK, "ObjectLockRetainUntilDate": "not a date"}, now=NOW)
    assert "s3:object-lock-retain-until-date" not in got


def test_retention_and_legal_hold_bodies() -> None:
    until = NOW + timedelta(days=1)
    got = request_conditions(
        "PutObjectRetention", {**OK, "VersionId": "v", "Retention": {"Mode": "GOVERNANCE", "RetainUntilDate": until}}
    )
    assert got["s3:object-lock-mode"] == "GOVERNANCE"
    assert got["s3:object-lock-retain-until-date"] == "2025-01-02T00:00:00Z"
    assert got["s3:VersionId"] == "v"
    assert request_conditions("PutObjectLegalHold", {**OK, "LegalHold": {"Status": "ON"}}) == {
        "s3:object-lock-legal-hold": "ON"
    }


def test_put_object_tagging_tag_set() -> None:
    params = {**OK, "Tagging": {"TagSet": [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": ""}]}}
    assert request_conditions("PutObjectTagging", params) == {
        "s3:RequestObjectTag/k1": "v1",
        "s3:RequestObjectTag/k2": "",
        "s3:RequestObjectTagKeys": ["k1", "k2"],
    }
    # bucket tags are not object tags
    assert request_conditions("PutBucketTagging", {**BK, "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}}) == {}


def test_listing_condition_keys() -> None:
    params = {**BK, "Prefix": "home/", "Delimiter": "/", "MaxKeys": 50}
    expected = {"s3:prefix": "home/", "s3:delimiter": "/", "s3:max-keys": 50}
    for op in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        assert request_conditions(op, params) == expected
    # the console lists a bucket's root with an empty prefix, which AWS's examples allow with "s3:prefix": [""]
    assert request_conditions("ListObjectsV2", {**BK, "Prefix": ""}) == {"s3:prefix": ""}
    assert request_conditions("ListObjectsV2", BK) == {}
    assert request_conditions("ListMultipartUploads", {**BK, "Prefix": "p"}) == {}
    assert request_conditions("ListBuckets", {"Prefix": "p"}) == {}


def test_copy_condition_keys() -> None:
    params = {**OK, "CopySource": "/src/public/a%20b.jpg?versionId=v", "MetadataDirective": "REPLACE"}
    assert request_conditions("CopyObject", params) == {
        "s3:x-amz-copy-source": "src/public/a b.jpg",
        "s3:x-amz-metadata-directive": "REPLACE",
    }
    assert request_conditions("CopyObject", {**OK, "CopySource": "nokey"}) == {}


def test_create_bucket_location_constraint() -> None:
    params = {**BK, "CreateBucketConfiguration": {"LocationConstraint": "sa-east-1"}, "ACL": "private"}
    assert request_conditions("CreateBucket", params) == {
        "s3:LocationConstraint": "sa-east-1",
        "s3:x-amz-acl": "private",
    }


def test_sse_c_and_version_id() -> None:
    params = {**OK, "VersionId": "v", "SSECustomerAlgorithm": "AES256", "SSECustomerKey": "secret"}
    assert request_conditions("GetObject", params) == {
        "s3:VersionId": "v",
        "s3:x-amz-server-side-encryption-customer-algorithm": "AES256",
    }


def test_signature_keys() -> None:
    facts = AuthFacts(actions.AUTH_QUERY, actions.SIGV4, 120_000, "1.3")
    headers = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD", "Host": "bkt.s3.amazonaws.com"}
    assert request_conditions("GetObject", OK, headers, facts) == {
        "s3:authType": "REST-QUERY-STRING",
        "s3:signatureversion": "AWS4-HMAC-SHA256",
        "s3:signatureAge": 120_000,
        "s3:TlsVersion": "1.3",
        "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD",
    }
    plain = request_conditions("GetObject", OK, {}, AuthFacts(actions.AUTH_HEADER, actions.SIGV2, 0))
    assert plain == {"s3:authType": "REST-HEADER", "s3:signatureversion": "AWS", "s3:signatureAge": 0}
    assert request_conditions("GetObject", OK, None, AuthFacts()) == {}  # anonymous


# --- the keys as the evaluator reads them (AWS's example policies) ---------------------------------------------------

DAVE = PrincipalInfo("arn:aws:iam::111122223333:user/Dave", "111122223333", PrincipalType.IAM_USER)


def _decide(policy: dict[str, Any], operation: str, params: dict[str, Any]) -> bool:
    doc = parse_policy(policy)
    results = [
        evaluate(
            AuthorizationRequest(
                DAVE, action, [resource], request_conditions(operation, params), identity_policies=[doc]
            )
        )
        for action, resource in s3_checks(operation, params)
    ]
    return all(r.allowed for r in results)


def test_prefix_policy_from_the_user_guide() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::bkt",
                "Condition": {"StringEquals": {"s3:prefix": ["", "home/"], "s3:delimiter": ["/"]}},
            }
        ],
    }
    assert _decide(policy, "ListObjectsV2", {**BK, "Prefix": "home/", "Delimiter": "/"})
    assert _decide(policy, "ListObjectsV2", {**BK, "Prefix": "", "Delimiter": "/"})
    assert not _decide(policy, "ListObjectsV2", {**BK, "Prefix": "other/", "Delimiter": "/"})
    assert not _decide(policy, "ListObjectsV2", BK)


def test_deny_unencrypted_uploads() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::bkt/*"},
            {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::bkt/*",
                "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "AES256"}},
            },
        ],
    }
    assert _decide(policy, "PutObject", {**OK, "ServerSideEncryption": "AES256"})
    assert not _decide(policy, "PutObject", OK)


def test_request_tag_keys_are_multivalued() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:PutObject", "s3:PutObjectTagging"],
                "Resource": "arn:aws:s3:::bkt/*",
                "Condition": {"ForAllValues:StringLike": {"s3:RequestObjectTagKeys": ["Project", "Owner"]}},
            }
        ],
    }
    assert _decide(policy, "PutObject", {**OK, "Tagging": "Project=x&Owner=y"})
    assert not _decide(policy, "PutObject", {**OK, "Tagging": "Project=x&Secret=y"})


def test_copy_source_policy_from_the_user_guide() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "arn:aws:s3:::*"},
            {
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::bkt/*",
                "Condition": {"StringNotLike": {"s3:x-amz-copy-source": "awsexamplebucket1/public/*"}},
            },
        ],
    }
    assert _decide(policy, "CopyObject", {**OK, "CopySource": "awsexamplebucket1/public/PublicHappyFace1.jpg"})
    assert not _decide(policy, "CopyObject", {**OK, "CopySource": "awsexamplebucket1/private/x.jpg"})


def test_version_id_policy_from_the_user_guide() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObjectVersion", "Resource": O},
            {
                "Effect": "Deny",
                "Action": "s3:GetObjectVersion",
                "Resource": O,
                "Condition": {"StringNotEquals": {"s3:VersionId": "AaaHbAQitwiL_h47_44lRO2DDfLlBO5e"}},
            },
        ],
    }
    assert _decide(policy, "GetObject", {**OK, "VersionId": "AaaHbAQitwiL_h47_44lRO2DDfLlBO5e"})
    assert not _decide(policy, "GetObject", {**OK, "VersionId": "other"})
    assert not _decide(policy, "GetObject", OK)  # the current version needs s3:GetObject
