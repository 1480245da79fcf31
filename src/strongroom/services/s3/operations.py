"""S3's operations table: one row per implemented operation.

Every object operation (its input names a ``Key``, plus DeleteObjects) is a CloudTrail data event: recorded only for
trails that select it, never in event history. S3 calls run in the worker threads — bodies stream, and writes wait on
the blob store and the database — except GetObject and HeadObject, which run on the event loop where reads may (on
SQLite, as other services' reads do): a small GET's two thread hand-offs cost more than its work, and a large body is
still read and decrypted in the worker threads (``server/app.py``). Bodies: PutObject and UploadPart stream (never
held in memory; their 5 GiB limits are the operations' own, checked as the body is written); every other operation's
XML body is read whole, within the service's limit (``server/limits.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations


def _bucket(name: str, **kw: object) -> Operation:
    return Operation(name, resource="Bucket", on_loop=False, **kw)  # type: ignore[arg-type]


def _object(name: str, **kw: object) -> Operation:
    kw.setdefault("on_loop", False)
    return Operation(name, resource="Key", data_event=True, **kw)  # type: ignore[arg-type]


OPERATIONS: Mapping[str, Operation] = operations(
    # buckets.py
    _bucket("CreateBucket"),
    _bucket("DeleteBucket"),
    _bucket("HeadBucket", read_only=True),
    _bucket("GetBucketLocation"),
    _bucket("PutBucketVersioning"),
    _bucket("GetBucketVersioning"),
    _bucket("PutBucketOwnershipControls"),
    _bucket("GetBucketOwnershipControls"),
    _bucket("DeleteBucketOwnershipControls"),
    # configs.py
    _bucket("PutBucketPolicy"),
    _bucket("GetBucketPolicy"),
    _bucket("DeleteBucketPolicy"),
    _bucket("GetBucketPolicyStatus"),
    _bucket("PutPublicAccessBlock"),
    _bucket("GetPublicAccessBlock"),
    _bucket("DeletePublicAccessBlock"),
    _bucket("PutBucketEncryption"),
    _bucket("GetBucketEncryption"),
    _bucket("DeleteBucketEncryption"),
    _bucket("PutBucketTagging"),
    _bucket("GetBucketTagging"),
    _bucket("DeleteBucketTagging"),
    _bucket("PutBucketCors"),
    _bucket("GetBucketCors"),
    _bucket("DeleteBucketCors"),
    _bucket("PutBucketLifecycleConfiguration"),
    _bucket("GetBucketLifecycleConfiguration"),
    _bucket("DeleteBucketLifecycle"),
    _bucket("PutBucketNotificationConfiguration"),
    _bucket("GetBucketNotificationConfiguration"),
    _bucket("GetBucketAcl"),
    _bucket("PutBucketAcl"),
    # listing.py
    Operation("ListBuckets", on_loop=False),
    _bucket("ListObjects"),
    _bucket("ListObjectsV2"),
    _bucket("ListObjectVersions"),
    # objects.py
    _object("PutObject"),
    _object("GetObject", on_loop=True),
    _object("HeadObject", read_only=True, on_loop=True),
    _object("DeleteObject"),
    Operation("DeleteObjects", resource="Bucket", on_loop=False, data_event=True),
    _object("CopyObject"),
    _object("GetObjectAttributes"),
    # tagging.py
    _object("PutObjectTagging"),
    _object("GetObjectTagging"),
    _object("DeleteObjectTagging"),
    # locking.py
    _bucket("PutObjectLockConfiguration"),
    _bucket("GetObjectLockConfiguration"),
    _object("PutObjectRetention"),
    _object("GetObjectRetention"),
    _object("PutObjectLegalHold"),
    _object("GetObjectLegalHold"),
    # multipart.py
    _object("CreateMultipartUpload"),
    _object("UploadPart"),
    _object("UploadPartCopy"),
    _object("CompleteMultipartUpload"),
    _object("AbortMultipartUpload"),
    _object("ListParts"),
    _bucket("ListMultipartUploads"),
    # replication.py
    _bucket("PutBucketReplication"),
    _bucket("GetBucketReplication"),
    _bucket("DeleteBucketReplication"),
)
