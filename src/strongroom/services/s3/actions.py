"""S3's authorization table: the IAM actions each S3 operation needs, on which resource, and the S3 condition keys
a request supplies.

Sources, all AWS's: the Service Authorization Reference for Amazon S3 ("Actions, resources, and condition keys for
Amazon S3", whose "API operations" table maps each operation to its actions), the S3 User Guide's "Required
permissions for Amazon S3 API operations", "Amazon S3 condition keys" and "Blocking public access", and the
"Permissions" section of each operation in the S3 API reference (the same text botocore's model carries as the
operation's documentation). A row's ``why`` quotes AWS's reason wherever the action is not simply ``s3:<Operation>``.

Resources, in partition ``aws``: ``bucket`` is ``arn:aws:s3:::{Bucket}``, ``object`` is ``arn:aws:s3:::{Bucket}/{Key}``
(the key as stored, not URL-encoded), ``*`` for ListBuckets. This module is pure data and logic: the service's access
module adds the bucket policy, the bucket owner's account and Block Public Access (``public.py``) to these checks.

Not in the table (:data:`SKIPPED`, each with its reason): operations of S3 Express One Zone directory buckets, S3
Select and S3 Object Lambda. Dependent actions on other services that AWS lists for some operations (``kms:*`` for
SSE-KMS objects, ``s3tables:*`` for S3 Metadata tables) are not S3's to check here: KMS checks its own calls.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote

from strongroom.core.clock import clock

PARTITION = "aws"

Scope = Literal["bucket", "object", "*"]

# s3:authType values (S3 User Guide, "Amazon S3 condition keys"): how the request was authenticated.
AUTH_HEADER = "REST-HEADER"  # Authorization header
AUTH_QUERY = "REST-QUERY-STRING"  # presigned URL
AUTH_POST = "POST"  # browser-based POST upload form
# s3:signatureversion values.
SIGV2 = "AWS"
SIGV4 = "AWS4-HMAC-SHA256"

_DAY_SECONDS = 86400


@dataclass(frozen=True, slots=True)
class Row:
    """What one operation needs.

    ``actions`` are checked on the row's resource; when the request names a ``VersionId`` and ``versioned`` is set,
    ``versioned`` replaces them. ``extras`` are ``(action, when)`` pairs checked on the same resource when the
    request sets what ``when`` names (see :data:`_WHEN`). ``source``: the ``CopySource`` object must also be readable.
    ``per_key``: DeleteObjects, checked for each listed key. ``passes_role``: the member path of an IAM role the
    operation hands to S3, which needs ``iam:PassRole`` on that role.
    """

    actions: tuple[str, ...]
    scope: Scope
    versioned: tuple[str, ...] | None = None
    extras: tuple[tuple[str, str], ...] = ()
    source: bool = False
    per_key: bool = False
    passes_role: tuple[str, ...] = ()
    why: str = ""


def _bucket(action: str, why: str = "", **more: Any) -> Row:
    return Row((action,), "bucket", why=why, **more)


def _object(action: str, versioned: str | None = None, why: str = "", **more: Any) -> Row:
    return Row((action,), "object", (versioned,) if versioned else None, why=why, **more)


# Headers of an object write that set more than the object itself (PutObject, CopyObject, CreateMultipartUpload).
# The SAR's API operations table lists s3:PutObjectAcl, s3:PutObjectLegalHold, s3:PutObjectRetention and
# s3:PutObjectTagging for these writes; PutObject's Permissions section: "s3:PutObjectAcl - To successfully change
# the objects ACL of your PutObject request, you must have the s3:PutObjectAcl. s3:PutObjectTagging - To
# successfully set the tag-set with your PutObject request, you must have the s3:PutObjectTagging."
_WRITE_EXTRAS = (
    ("s3:PutObjectAcl", "acl"),
    ("s3:PutObjectTagging", "tagging"),
    ("s3:PutObjectLegalHold", "legal-hold"),
    ("s3:PutObjectRetention", "retention"),
)
# "Bypassing a Governance Retention configuration requires the s3:BypassGovernanceRetention permission."
_BYPASS = (("s3:BypassGovernanceRetention", "bypass-governance"),)

_GET_VERSION_WHY = (
    "GetObject: 'If you include a versionId in your request header, you must have the s3:GetObjectVersion "
    "permission to access a specific version of an object. The s3:GetObject permission is not required in this "
    "scenario.'"
)

TABLE: dict[str, Row] = {
    # --- the account's bucket list ---------------------------------------------------------------------------------
    "ListBuckets": Row(
        ("s3:ListAllMyBuckets",),
        "*",
        why="'To grant IAM permission to use this operation, you must add the s3:ListAllMyBuckets policy action.'",
    ),
    # --- buckets ---------------------------------------------------------------------------------------------------
    "CreateBucket": _bucket(
        "s3:CreateBucket",
        extras=(
            ("s3:PutBucketAcl", "acl"),
            ("s3:PutBucketObjectLockConfiguration", "object-lock-enabled"),
            ("s3:PutBucketVersioning", "object-lock-enabled"),
            ("s3:PutBucketOwnershipControls", "object-ownership"),
        ),
        why="'if you specify an access control list (ACL) and set it to public-read, public-read-write, "
        "authenticated-read, or if you explicitly specify any other custom ACLs, both s3:CreateBucket and "
        "s3:PutBucketAcl permissions are required ... if you set the ACL to private, or if you don't specify any "
        "ACLs, only the s3:CreateBucket permission is required'; 'if you set x-amz-bucket-object-lock-enabled to "
        "true, the s3:PutBucketObjectLockConfiguration and s3:PutBucketVersioning permissions are required'; 'If "
        "your CreateBucket request includes the x-amz-object-ownership header, then the "
        "s3:PutBucketOwnershipControls permission is required.'",
    ),
    "DeleteBucket": _bucket("s3:DeleteBucket"),
    "HeadBucket": _bucket(
        "s3:ListBucket", "'To use this operation, you must have permissions to perform the s3:ListBucket action.'"
    ),
    "GetBucketLocation": _bucket("s3:GetBucketLocation"),
    "ListObjects": _bucket("s3:ListBucket", "User Guide: s3:ListBucket covers 'GET Bucket (List Objects)'."),
    "ListObjectsV2": _bucket("s3:ListBucket", "'You must have permission to perform the s3:ListBucket action.'"),
    "ListObjectVersions": _bucket(
        "s3:ListBucketVersions", "'you must have permission to perform the s3:ListBucketVersions action.'"
    ),
    "ListMultipartUploads": _bucket(
        "s3:ListBucketMultipartUploads", "User Guide: s3:ListBucketMultipartUploads covers 'List Multipart Uploads'."
    ),
    # bucket policy and Block Public Access
    "GetBucketPolicy": _bucket("s3:GetBucketPolicy"),
    "PutBucketPolicy": _bucket("s3:PutBucketPolicy"),
    "DeleteBucketPolicy": _bucket("s3:DeleteBucketPolicy"),
    "GetBucketPolicyStatus": _bucket("s3:GetBucketPolicyStatus"),
    "GetPublicAccessBlock": _bucket(
        "s3:GetBucketPublicAccessBlock", "'you must have the s3:GetBucketPublicAccessBlock permission.'"
    ),
    "PutPublicAccessBlock": _bucket(
        "s3:PutBucketPublicAccessBlock", "'you must have the s3:PutBucketPublicAccessBlock permission.'"
    ),
    "DeletePublicAccessBlock": _bucket(
        "s3:PutBucketPublicAccessBlock",
        "'DELETE bucket Block Public Access settings: s3:PutBucketPublicAccessBlock'; 'The DELETE operations require "
        "the same permissions as the PUT operations.'",
    ),
    # ACLs and ownership
    "GetBucketAcl": _bucket("s3:GetBucketAcl"),
    "PutBucketAcl": _bucket("s3:PutBucketAcl"),
    "GetBucketOwnershipControls": _bucket("s3:GetBucketOwnershipControls"),
    "PutBucketOwnershipControls": _bucket("s3:PutBucketOwnershipControls"),
    "DeleteBucketOwnershipControls": _bucket(
        "s3:PutBucketOwnershipControls", "'you must have the s3:PutBucketOwnershipControls permission.'"
    ),
    # default encryption
    "GetBucketEncryption": _bucket(
        "s3:GetEncryptionConfiguration", "'The s3:GetEncryptionConfiguration permission is required in a policy.'"
    ),
    "PutBucketEncryption": _bucket(
        "s3:PutEncryptionConfiguration", "'The s3:PutEncryptionConfiguration permission is required in a policy.'"
    ),
    "DeleteBucketEncryption": _bucket(
        "s3:PutEncryptionConfiguration",
        "'The s3:PutEncryptionConfiguration permission is required in a policy.' (no separate delete action)",
    ),
    # versioning, Object Lock
    "GetBucketVersioning": _bucket("s3:GetBucketVersioning"),
    "PutBucketVersioning": _bucket("s3:PutBucketVersioning"),
    "GetObjectLockConfiguration": _bucket(
        "s3:GetBucketObjectLockConfiguration", "SAR: the bucket's Object Lock configuration is a bucket action."
    ),
    "PutObjectLockConfiguration": _bucket(
        "s3:PutBucketObjectLockConfiguration", "SAR: the bucket's Object Lock configuration is a bucket action."
    ),
    # lifecycle
    "GetBucketLifecycle": _bucket(
        "s3:GetLifecycleConfiguration", "'you must have permission to perform the s3:GetLifecycleConfiguration action.'"
    ),
    "GetBucketLifecycleConfiguration": _bucket(
        "s3:GetLifecycleConfiguration", "'a user must have the s3:GetLifecycleConfiguration permission.'"
    ),
    "PutBucketLifecycle": _bucket(
        "s3:PutLifecycleConfiguration", "'users must get the s3:PutLifecycleConfiguration permission.'"
    ),
    "PutBucketLifecycleConfiguration": _bucket(
        "s3:PutLifecycleConfiguration", "'a user must have the s3:PutLifecycleConfiguration permission.'"
    ),
    "DeleteBucketLifecycle": _bucket(
        "s3:PutLifecycleConfiguration", "'a user must have the s3:PutLifecycleConfiguration permission.'"
    ),
    # replication
    "GetBucketReplication": _bucket(
        "s3:GetReplicationConfiguration", "'This action requires permissions for the s3:GetReplicationConfiguration'"
    ),
    "PutBucketReplication": _bucket(
        "s3:PutReplicationConfiguration",
        "'you must have s3:PutReplicationConfiguration permissions for the bucket'; 'the user or role performing "
        "the action must have the iam:PassRole permission' (for ReplicationConfiguration.Role).",
        passes_role=("ReplicationConfiguration", "Role"),
    ),
    "DeleteBucketReplication": _bucket(
        "s3:PutReplicationConfiguration", "'you must have permissions to perform the s3:PutReplicationConfiguration'"
    ),
    # CORS, website, notifications, logging, tagging, request payment, acceleration
    "GetBucketCors": _bucket("s3:GetBucketCORS", "'you must have permission to perform the s3:GetBucketCORS action.'"),
    "PutBucketCors": _bucket("s3:PutBucketCORS", "'you must be allowed to perform the s3:PutBucketCORS action.'"),
    "DeleteBucketCors": _bucket(
        "s3:PutBucketCORS", "'you must have permission to perform the s3:PutBucketCORS action.'"
    ),
    "GetBucketWebsite": _bucket("s3:GetBucketWebsite"),
    "PutBucketWebsite": _bucket("s3:PutBucketWebsite"),
    "DeleteBucketWebsite": _bucket("s3:DeleteBucketWebsite", "S3 keeps a separate delete action for websites."),
    "GetBucketNotification": _bucket("s3:GetBucketNotification", "the deprecated form of the action below"),
    "GetBucketNotificationConfiguration": _bucket(
        "s3:GetBucketNotification", "'with the s3:GetBucketNotification permission.'"
    ),
    "PutBucketNotification": _bucket("s3:PutBucketNotification", "the deprecated form of the action below"),
    "PutBucketNotificationConfiguration": _bucket(
        "s3:PutBucketNotification", "'with the required s3:PutBucketNotification permission.'"
    ),
    "GetBucketLogging": _bucket("s3:GetBucketLogging"),
    "PutBucketLogging": _bucket("s3:PutBucketLogging"),
    "GetBucketTagging": _bucket("s3:GetBucketTagging"),
    "PutBucketTagging": _bucket("s3:PutBucketTagging"),
    "DeleteBucketTagging": _bucket(
        "s3:PutBucketTagging", "'you must have permission to perform the s3:PutBucketTagging action.'"
    ),
    "GetBucketRequestPayment": _bucket("s3:GetBucketRequestPayment"),
    "PutBucketRequestPayment": _bucket("s3:PutBucketRequestPayment"),
    "GetBucketAccelerateConfiguration": _bucket(
        "s3:GetAccelerateConfiguration", "'you must have permission to perform the s3:GetAccelerateConfiguration'"
    ),
    "PutBucketAccelerateConfiguration": _bucket(
        "s3:PutAccelerateConfiguration", "'you must have permission to perform the s3:PutAccelerateConfiguration'"
    ),
    "GetBucketAbac": _bucket("s3:GetBucketAbac"),
    "PutBucketAbac": _bucket(
        "s3:PutBucketAbac", "'You must have s3:PutBucketABAC permission' (actions are case-blind)"
    ),
    # analytics, inventory, metrics, Intelligent-Tiering: one Get and one Put action each (List and Delete share them)
    "GetBucketAnalyticsConfiguration": _bucket(
        "s3:GetAnalyticsConfiguration", "'you must have permissions to perform the s3:GetAnalyticsConfiguration'"
    ),
    "ListBucketAnalyticsConfigurations": _bucket(
        "s3:GetAnalyticsConfiguration", "'you must have permissions to perform the s3:GetAnalyticsConfiguration'"
    ),
    "PutBucketAnalyticsConfiguration": _bucket(
        "s3:PutAnalyticsConfiguration", "'you must have permissions to perform the s3:PutAnalyticsConfiguration'"
    ),
    "DeleteBucketAnalyticsConfiguration": _bucket(
        "s3:PutAnalyticsConfiguration", "'you must have permissions to perform the s3:PutAnalyticsConfiguration'"
    ),
    "GetBucketInventoryConfiguration": _bucket(
        "s3:GetInventoryConfiguration", "'The s3:GetInventoryConfiguration permission is required in a policy.'"
    ),
    "ListBucketInventoryConfigurations": _bucket(
        "s3:GetInventoryConfiguration", "'The s3:GetInventoryConfiguration permission is required in a policy.'"
    ),
    "PutBucketInventoryConfiguration": _bucket(
        "s3:PutInventoryConfiguration", "'The s3:PutInventoryConfiguration permission is required in a policy.'"
    ),
    "DeleteBucketInventoryConfiguration": _bucket(
        "s3:PutInventoryConfiguration", "'The s3:PutInventoryConfiguration permission is required in a policy.'"
    ),
    "GetBucketMetricsConfiguration": _bucket(
        "s3:GetMetricsConfiguration", "'The s3:GetMetricsConfiguration permission is required in a policy.'"
    ),
    "ListBucketMetricsConfigurations": _bucket(
        "s3:GetMetricsConfiguration", "'The s3:GetMetricsConfiguration permission is required in a policy.'"
    ),
    "PutBucketMetricsConfiguration": _bucket(
        "s3:PutMetricsConfiguration", "'The s3:PutMetricsConfiguration permission is required in a policy.'"
    ),
    "DeleteBucketMetricsConfiguration": _bucket(
        "s3:PutMetricsConfiguration", "'The s3:PutMetricsConfiguration permission is required in a policy.'"
    ),
    "GetBucketIntelligentTieringConfiguration": _bucket(
        "s3:GetIntelligentTieringConfiguration", "SAR: one Get action for the configurations"
    ),
    "ListBucketIntelligentTieringConfigurations": _bucket(
        "s3:GetIntelligentTieringConfiguration", "SAR: one Get action for the configurations"
    ),
    "PutBucketIntelligentTieringConfiguration": _bucket(
        "s3:PutIntelligentTieringConfiguration",
        "'you do not have the s3:PutIntelligentTieringConfiguration bucket permission to set the configuration'",
    ),
    "DeleteBucketIntelligentTieringConfiguration": _bucket(
        "s3:PutIntelligentTieringConfiguration", "SAR: one Put action for the configurations"
    ),
    # S3 Metadata (the s3tables:* actions AWS also lists act on S3 Tables, which Strongroom does not serve)
    "CreateBucketMetadataConfiguration": _bucket(
        "s3:CreateBucketMetadataTableConfiguration",
        "'s3:CreateBucketMetadataTableConfiguration The IAM policy action name is the same for the V1 and V2 API "
        "operations'; 'iam:PassRole - required if you include an AnnotationTableConfiguration with an IAM role.'",
        passes_role=("MetadataConfiguration", "AnnotationTableConfiguration", "Role"),
    ),
    "CreateBucketMetadataTableConfiguration": _bucket("s3:CreateBucketMetadataTableConfiguration"),
    "GetBucketMetadataConfiguration": _bucket(
        "s3:GetBucketMetadataTableConfiguration", "'you must have the s3:GetBucketMetadataTableConfiguration'"
    ),
    "GetBucketMetadataTableConfiguration": _bucket("s3:GetBucketMetadataTableConfiguration"),
    "DeleteBucketMetadataConfiguration": _bucket(
        "s3:DeleteBucketMetadataTableConfiguration", "'you must have the s3:DeleteBucketMetadataTableConfiguration'"
    ),
    "DeleteBucketMetadataTableConfiguration": _bucket("s3:DeleteBucketMetadataTableConfiguration"),
    "UpdateBucketMetadataAnnotationTableConfiguration": _bucket(
        "s3:UpdateBucketMetadataAnnotationTableConfiguration",
        "'If you are specifying or changing the IAM role, you must also have iam:PassRole permission for the role.'",
        passes_role=("AnnotationTableConfiguration", "Role"),
    ),
    "UpdateBucketMetadataInventoryTableConfiguration": _bucket("s3:UpdateBucketMetadataInventoryTableConfiguration"),
    "UpdateBucketMetadataJournalTableConfiguration": _bucket("s3:UpdateBucketMetadataJournalTableConfiguration"),
    # --- objects ---------------------------------------------------------------------------------------------------
    "GetObject": _object("s3:GetObject", "s3:GetObjectVersion", _GET_VERSION_WHY),
    "HeadObject": _object(
        "s3:GetObject",
        "s3:GetObjectVersion",
        "'To use HEAD, you must have the s3:GetObject permission.' A version is read with s3:GetObjectVersion "
        "(User Guide: s3:GetObjectVersion covers GET Object and HEAD Object of a specific version).",
    ),
    "GetObjectAttributes": Row(
        ("s3:GetObject", "s3:GetObjectAttributes"),
        "object",
        ("s3:GetObjectVersion", "s3:GetObjectVersionAttributes"),
        why="'If you pass a version ID in your request, you need both the s3:GetObjectVersion and "
        "s3:GetObjectVersionAttributes permissions. If you do not pass a version ID in your request, you need the "
        "s3:GetObject and s3:GetObjectAttributes permissions.'",
    ),
    "GetObjectTorrent": _object("s3:GetObjectTorrent"),
    "PutObject": _object(
        "s3:PutObject", extras=_WRITE_EXTRAS, why="extra actions for ACL, tagging and Object Lock headers"
    ),
    "CopyObject": _object(
        "s3:PutObject",
        extras=_WRITE_EXTRAS,
        source=True,
        why="'you must have s3:GetObject permission to read the source object that is being copied ... you must "
        "have s3:PutObject permission to write the object copy to the destination bucket.' A source versionId reads "
        "with s3:GetObjectVersion (the SAR lists both for CopyObject).",
    ),
    "DeleteObject": _object(
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "'s3:DeleteObjectVersion - To delete a specific version of an object from a versioning-enabled bucket, you "
        "must have the s3:DeleteObjectVersion permission.'",
        extras=_BYPASS,
    ),
    "DeleteObjects": _object(
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "checked for every key: s3:DeleteObject, or s3:DeleteObjectVersion for a key with a VersionId",
        extras=_BYPASS,
        per_key=True,
    ),
    "GetObjectAcl": _object(
        "s3:GetObjectAcl",
        "s3:GetObjectVersionAcl",
        "User Guide: s3:GetObjectVersionAcl is 'GET ACL (for a Specific Version of the Object)'.",
    ),
    "PutObjectAcl": _object(
        "s3:PutObjectAcl",
        "s3:PutObjectVersionAcl",
        "User Guide: s3:PutObjectVersionAcl is 'PUT Object ACL (for a Specific Version of the Object)'.",
    ),
    "GetObjectTagging": _object(
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "'To retrieve tags of any other version, use the versionId query parameter. You also need permission for "
        "the s3:GetObjectVersionTagging action.'",
    ),
    "PutObjectTagging": _object(
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "'To put tags of any other version, use the versionId query parameter. You also need permission for the "
        "s3:PutObjectVersionTagging action.'",
    ),
    "DeleteObjectTagging": _object(
        "s3:DeleteObjectTagging",
        "s3:DeleteObjectVersionTagging",
        "'To delete tags of a specific object version ... You will need permission for the "
        "s3:DeleteObjectVersionTagging action.'",
    ),
    "GetObjectRetention": _object("s3:GetObjectRetention"),
    "PutObjectRetention": _object(
        "s3:PutObjectRetention",
        extras=_BYPASS,
        why="'Users or accounts require the s3:PutObjectRetention permission in order to place an Object Retention "
        "configuration on objects. Bypassing a Governance Retention configuration requires the "
        "s3:BypassGovernanceRetention permission.'",
    ),
    "GetObjectLegalHold": _object("s3:GetObjectLegalHold"),
    "PutObjectLegalHold": _object("s3:PutObjectLegalHold"),
    "RestoreObject": _object("s3:RestoreObject"),
    "UpdateObjectEncryption": _object("s3:UpdateObjectEncryption"),
    "GetObjectAnnotation": _object("s3:GetObjectAnnotation"),
    "PutObjectAnnotation": _object("s3:PutObjectAnnotation"),
    "DeleteObjectAnnotation": _object("s3:DeleteObjectAnnotation"),
    "ListObjectAnnotations": _object("s3:ListObjectAnnotations"),
    # multipart uploads: the parts and the completion are writes of the object
    "CreateMultipartUpload": _object(
        "s3:PutObject",
        extras=_WRITE_EXTRAS,
        why="User Guide: s3:PutObject covers 'Initiate Multipart Upload'; the upload's ACL, tagging and Object Lock "
        "headers are the same as PutObject's.",
    ),
    "UploadPart": _object("s3:PutObject", why="User Guide: s3:PutObject covers 'Upload Part'."),
    "UploadPartCopy": _object(
        "s3:PutObject",
        source=True,
        why="'you must have the s3:GetObject permission to read the source object that is being copied ... you "
        "must have the s3:PutObject permission to write the object copy to the destination bucket.'",
    ),
    "CompleteMultipartUpload": _object(
        "s3:PutObject", why="User Guide: s3:PutObject covers 'Complete Multipart Upload'."
    ),
    "AbortMultipartUpload": _object("s3:AbortMultipartUpload"),
    "ListParts": _object(
        "s3:ListMultipartUploadParts", why="User Guide: s3:ListMultipartUploadParts covers 'List Parts'."
    ),
}

# Operations of botocore's s3 model that are not about general purpose buckets or their objects.
SKIPPED: dict[str, str] = {
    "CreateSession": "S3 Express One Zone: sessions for directory buckets (s3express:CreateSession)",
    "ListDirectoryBuckets": "S3 Express One Zone: lists directory buckets (s3express:ListAllMyDirectoryBuckets)",
    "RenameObject": "S3 Express One Zone: 'Renames an existing object in a directory bucket' only",
    "SelectObjectContent": "S3 Select (SQL over one object; AWS closed it to new customers)",
    "WriteGetObjectResponse": "S3 Object Lambda: the response of an Object Lambda function",
}


# --- when extras apply -------------------------------------------------------------------------------------------

_GRANT_MEMBERS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")


# Canned ACLs that grant nothing beyond the owners: AWS's own log-delivery bucket policies (CloudTrail, ELB, VPC flow
# logs) grant only s3:PutObject to writers that send x-amz-acl: bucket-owner-full-control.
_OWNER_ONLY_ACLS = frozenset({"private", "bucket-owner-full-control"})


def _sets_acl(params: Mapping[str, Any]) -> bool:
    """An ACL that grants someone else: CreateBucket's documented rule, applied to the object writes as well."""
    acl = params.get("ACL")
    return (acl is not None and acl not in _OWNER_ONLY_ACLS) or any(params.get(m) for m in _GRANT_MEMBERS)


def _sets_retention(params: Mapping[str, Any]) -> bool:
    return params.get("ObjectLockMode") is not None or params.get("ObjectLockRetainUntilDate") is not None


_WHEN: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "acl": _sets_acl,
    "tagging": lambda p: bool(p.get("Tagging")),
    "legal-hold": lambda p: p.get("ObjectLockLegalHoldStatus") is not None,
    "retention": _sets_retention,
    "bypass-governance": lambda p: p.get("BypassGovernanceRetention") is True,
    "object-lock-enabled": lambda p: p.get("ObjectLockEnabledForBucket") is True,
    "object-ownership": lambda p: p.get("ObjectOwnership") is not None,
}


# --- resources ---------------------------------------------------------------------------------------------------


def bucket_arn(bucket: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"arn:{PARTITION}:s3:::{bucket}/{key}"


class InvalidCopySource(ValueError):
    """``x-amz-copy-source`` names no bucket and key; ``str(err)`` is S3's InvalidArgument message."""


@dataclass(frozen=True, slots=True)
class CopySource:
    bucket: str
    key: str
    version_id: str | None = None

    @property
    def arn(self) -> str:
        return object_arn(self.bucket, self.key)

    @property
    def condition_value(self) -> str:
        """``s3:x-amz-copy-source``: ``bucket/key`` as AWS's examples match it (``awsexamplebucket1/public/*``)."""
        return f"{self.bucket}/{self.key}"


_COPY_SOURCE_MESSAGE = "Copy Source must mention the source bucket and key: sourcebucket/sourcekey"


def parse_copy_source(value: str) -> CopySource:
    """``CopySource`` (the ``x-amz-copy-source`` header): ``[/]bucket/key[?versionId=id]``, the key URL-encoded.

    A ``?`` in a key arrives encoded (``%3F``), so the first raw ``?`` starts the query; ``+`` is a literal plus, as
    in any URL path. Access point ARNs as sources are refused: Strongroom has no access points.
    """
    raw = value[1:] if value.startswith("/") else value
    path, sep, query = raw.partition("?")
    version_id = None
    if sep:
        version_id = dict(parse_qsl(query, keep_blank_values=True)).get("versionId") or None
    bucket, slash, key = unquote(path).partition("/")
    if not bucket or not slash or not key or bucket.startswith("arn:"):
        raise InvalidCopySource(_COPY_SOURCE_MESSAGE)
    return CopySource(bucket, key, version_id)


# --- the checks --------------------------------------------------------------------------------------------------


def _member(params: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = params
    for name in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(name)
    return value


def _add(out: dict[tuple[str, str], None], action: str, resource: str) -> None:
    out[(action, resource)] = None  # a dict keeps the first-seen order and drops repeats (DeleteObjects' keys)


def _object_checks(
    row: Row, params: Mapping[str, Any], key: str, version_id: Any, out: dict[tuple[str, str], None]
) -> None:
    resource = object_arn(str(params.get("Bucket", "")), key)
    actions = row.versioned if version_id and row.versioned else row.actions
    for action in actions:
        _add(out, action, resource)
    for action, when in row.extras:
        if _WHEN[when](params):
            _add(out, action, resource)


def s3_checks(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The ``(action, resource ARN)`` pairs the call needs, all of which must be allowed.

    ``params`` is the operation's input as botocore names its members. An operation outside :data:`TABLE` gets the
    server's general rule (``s3:<Operation>`` on ``*``). Raises :class:`InvalidCopySource` for a CopyObject or
    UploadPartCopy whose source names no object.
    """
    row = TABLE.get(operation)
    if row is None:
        return [(f"s3:{operation}", "*")]
    out: dict[tuple[str, str], None] = {}
    if row.scope == "*":
        for action in row.actions:
            _add(out, action, "*")
    elif row.scope == "bucket":
        resource = bucket_arn(str(params.get("Bucket", "")))
        for action in row.actions:
            _add(out, action, resource)
        for action, when in row.extras:
            if _WHEN[when](params):
                _add(out, action, resource)
    elif row.per_key:
        delete = params.get("Delete")
        objects = delete.get("Objects") if isinstance(delete, Mapping) else None
        for entry in objects or ():
            if isinstance(entry, Mapping):
                _object_checks(row, params, str(entry.get("Key", "")), entry.get("VersionId"), out)
        if not out:  # no keys: still one check, so that no call is ever authorized by an empty list
            _add(out, row.actions[0], bucket_arn(str(params.get("Bucket", ""))))
    else:
        _object_checks(row, params, str(params.get("Key", "")), params.get("VersionId"), out)
    if row.source:
        source = parse_copy_source(str(params.get("CopySource", "")))
        _add(out, "s3:GetObjectVersion" if source.version_id else "s3:GetObject", source.arn)
    if row.passes_role:
        role = _member(params, row.passes_role)
        if isinstance(role, str) and role:
            _add(out, "iam:PassRole", role)
    return list(out)


# --- condition keys ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthFacts:
    """How the request was signed, for the s3:authType, s3:signatureversion, s3:signatureAge and s3:TlsVersion keys.

    All None for an anonymous request (no signature, so none of these keys). ``signature_age_ms``: milliseconds
    since the signature's date (``X-Amz-Date``). ``tls_version`` (``"1.2"``, ``"1.3"``) only over TLS.
    """

    auth_type: str | None = None
    signature_version: str | None = None
    signature_age_ms: int | None = None
    tls_version: str | None = None


# Top-level input members whose value is the condition key's value as sent (the key is named after the header).
_MEMBER_KEYS: dict[str, str] = {
    "ServerSideEncryption": "s3:x-amz-server-side-encryption",
    "SSEKMSKeyId": "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "SSECustomerAlgorithm": "s3:x-amz-server-side-encryption-customer-algorithm",
    "ACL": "s3:x-amz-acl",
    "GrantFullControl": "s3:x-amz-grant-full-control",
    "GrantRead": "s3:x-amz-grant-read",
    "GrantReadACP": "s3:x-amz-grant-read-acp",
    "GrantWrite": "s3:x-amz-grant-write",
    "GrantWriteACP": "s3:x-amz-grant-write-acp",
    "MetadataDirective": "s3:x-amz-metadata-directive",
    "StorageClass": "s3:x-amz-storage-class",
    "WebsiteRedirectLocation": "s3:x-amz-website-redirect-location",
    "VersionId": "s3:VersionId",
    "ObjectLockMode": "s3:object-lock-mode",
    "ObjectLockLegalHoldStatus": "s3:object-lock-legal-hold",
}
# s3:prefix, s3:delimiter and s3:max-keys belong to the listing actions (s3:ListBucket, s3:ListBucketVersions).
_LISTINGS = frozenset({"ListObjects", "ListObjectsV2", "ListObjectVersions"})
# Object writes whose Tagging member is the x-amz-tagging header ("k1=v1&k2=v2"); PutObjectTagging has a TagSet.
_TAGGED_WRITES = frozenset({"PutObject", "CopyObject", "CreateMultipartUpload"})
_COPIES = frozenset({"CopyObject", "UploadPartCopy"})


def _iso(value: datetime) -> str:
    moment = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _remaining_days(until: datetime, now: datetime) -> int:
    """Whole days to ``until``, a part of a day counting as a day (so a cap of N days refuses N days and a minute),
    and 0 for a date already past."""
    moment = until if until.tzinfo else until.replace(tzinfo=UTC)
    seconds = (moment - now).total_seconds()
    return max(0, math.ceil(seconds / _DAY_SECONDS))


def _request_tags(operation: str, params: Mapping[str, Any]) -> list[tuple[str, str]] | None:
    tagging = params.get("Tagging")
    if operation in _TAGGED_WRITES and isinstance(tagging, str):
        return parse_qsl(tagging, keep_blank_values=True)
    if operation == "PutObjectTagging" and isinstance(tagging, Mapping):
        tag_set = tagging.get("TagSet") or ()
        return [(str(t.get("Key", "")), str(t.get("Value", ""))) for t in tag_set if isinstance(t, Mapping)]
    return None


def request_conditions(
    operation: str,
    params: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    facts: AuthFacts | None = None,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The S3 condition keys this request supplies (AWS's spelling; the evaluator matches names case-blind).

    A key is present only when the request carries what it names: a policy's ``Null`` test and the negated operators
    (``StringNotEquals`` on a missing key is true, the usual Deny of unencrypted uploads) depend on it. ``now``
    (default: the server clock) dates s3:object-lock-remaining-retention-days. ``headers`` supplies what is no input
    member: ``x-amz-content-sha256``.
    """
    out: dict[str, Any] = {}
    for member, value in params.items():  # a request names a few members; the table lists fifteen
        key = _MEMBER_KEYS.get(member)
        if key is not None and isinstance(value, str) and value:
            out[key] = value
    if operation in _LISTINGS:
        for member, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter")):
            if isinstance(params.get(member), str):
                out[key] = params[member]
        if isinstance(params.get("MaxKeys"), int):
            out["s3:max-keys"] = params["MaxKeys"]
    if operation in _COPIES and isinstance(params.get("CopySource"), str):
        try:
            out["s3:x-amz-copy-source"] = parse_copy_source(params["CopySource"]).condition_value
        except InvalidCopySource:
            pass  # s3_checks refuses the call
    if operation == "CreateBucket":
        location = _member(params, ("CreateBucketConfiguration", "LocationConstraint"))
        if isinstance(location, str) and location:
            out["s3:LocationConstraint"] = location
    tags = _request_tags(operation, params)
    if tags is not None:
        for tag_key, tag_value in tags:
            out[f"s3:RequestObjectTag/{tag_key}"] = tag_value
        out["s3:RequestObjectTagKeys"] = [tag_key for tag_key, _ in tags]
    _object_lock(operation, params, out, now)
    if headers:
        sha = next((v for k, v in headers.items() if k.lower() == "x-amz-content-sha256"), None)
        if sha:
            out["s3:x-amz-content-sha256"] = sha
    if facts is not None:
        _auth(facts, out)
    return out


def _object_lock(operation: str, params: Mapping[str, Any], out: dict[str, Any], now: datetime | None) -> None:
    until = params.get("ObjectLockRetainUntilDate")
    if operation == "PutObjectRetention":
        retention = params.get("Retention")
        if isinstance(retention, Mapping):
            if isinstance(retention.get("Mode"), str):
                out["s3:object-lock-mode"] = retention["Mode"]
            until = retention.get("RetainUntilDate")
    elif operation == "PutObjectLegalHold":
        status = _member(params, ("LegalHold", "Status"))
        if isinstance(status, str):
            out["s3:object-lock-legal-hold"] = status
    if isinstance(until, str):  # a codec that left the timestamp as sent
        try:
            until = datetime.fromisoformat(until)
        except ValueError:
            until = None
    if isinstance(until, datetime):
        out["s3:object-lock-retain-until-date"] = _iso(until)
        out["s3:object-lock-remaining-retention-days"] = _remaining_days(until, now or clock.now())


def _auth(facts: AuthFacts, out: dict[str, Any]) -> None:
    if facts.auth_type:
        out["s3:authType"] = facts.auth_type
    if facts.signature_version:
        out["s3:signatureversion"] = facts.signature_version
    if facts.signature_age_ms is not None:
        out["s3:signatureAge"] = facts.signature_age_ms
    if facts.tls_version:
        out["s3:TlsVersion"] = facts.tls_version
