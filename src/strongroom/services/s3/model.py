"""S3's tables: buckets, their configuration subresources, object versions, multipart uploads and their parts.

Object bodies are not here: they live encrypted in the blob store (``store/blobs.py``), one blob per segment (a
single-part object has one segment, a multipart object one per part). A row names its blobs and holds the object's
data key only wrapped: under the seal for SSE-S3, as the KMS ciphertext for SSE-KMS / DSSE-KMS, under the
customer's key for SSE-C (so without the customer's key the row opens nothing). No plaintext key, no customer key
and no hash of a customer key is ever stored.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

# Object keys sort in UTF-8 binary order, as S3 lists them: the "C" collation on PostgreSQL (SQLite compares bytes).
KEY = String(1024).with_variant(String(1024, collation="C"), "postgresql")

# Bucket names are global across accounts and Regions, as on AWS.
buckets = Table(
    "s3_buckets",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("versioning", String(16), nullable=True),  # None (never enabled) | Enabled | Suspended
    Column("mfa_delete", String(16), nullable=True),
    Column("object_lock", Boolean, nullable=False, default=False),
    Column("ownership", String(32), nullable=False, default="BucketOwnerEnforced"),
    Column("next_sequence", BigInteger, nullable=False, default=1),  # orders versions of one key
    Index("ix_s3_buckets_account", "account_id"),
)

# One JSON document per configuration subresource a bucket has (policy, encryption, tagging, cors, lifecycle, ...).
bucket_configs = Table(
    "s3_bucket_configs",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("document", Text, nullable=False),
)

# Account-level settings (s3control PublicAccessBlock).
account_configs = Table(
    "s3_account_configs",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("document", Text, nullable=False),
)

# Every version of every object, delete markers included. ``version_id`` is "null" for objects written while
# versioning was never enabled or suspended, as S3 reports them.
objects = Table(
    "s3_objects",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("bucket", String(63), nullable=False),
    Column("key", KEY, nullable=False),
    Column("version_id", String(64), nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("is_latest", Boolean, nullable=False),
    Column("delete_marker", Boolean, nullable=False, default=False),
    Column("size", BigInteger, nullable=False, default=0),
    Column("etag", String(80), nullable=False, default=""),
    Column("last_modified", UtcDateTime(), nullable=False),
    Column("owner", String(12), nullable=False),
    Column("storage_class", String(32), nullable=False, default="STANDARD"),
    Column("headers", Text, nullable=False, default="{}"),  # JSON: content-type ..., user metadata
    Column("encryption", Text, nullable=False, default="{}"),  # JSON: mode, key id, bucket key, context
    Column("wrapped_key", LargeBinary, nullable=True),  # SSE-KMS / DSSE-KMS / SSE-C data key, wrapped
    Column("sealed_key", LargeBinary, nullable=True),  # SSE-S3 data key, sealed (re-wrapped by `seal migrate`)
    Column("segments", Text, nullable=False, default="[]"),  # JSON: [{blob, size, part, etag, checksum}]
    Column("checksum", Text, nullable=False, default="{}"),  # JSON: algorithm, type, value
    Column("tags", Text, nullable=False, default="{}"),
    Column("lock_mode", String(16), nullable=True),
    Column("lock_until", UtcDateTime(), nullable=True),
    Column("legal_hold", Boolean, nullable=False, default=False),
    Column("replication_status", String(16), nullable=True),
    Index("ix_s3_objects_key", "bucket", "key", "sequence"),
    Index("ix_s3_objects_latest", "bucket", "is_latest", "key"),
)

uploads = Table(
    "s3_uploads",
    metadata,
    Column("upload_id", String(128), primary_key=True),
    Column("bucket", String(63), nullable=False),
    Column("key", KEY, nullable=False),
    Column("initiated", UtcDateTime(), nullable=False),
    Column("owner", String(12), nullable=False),
    Column("initiator_arn", String(2048), nullable=False),
    Column("storage_class", String(32), nullable=False, default="STANDARD"),
    Column("headers", Text, nullable=False, default="{}"),
    Column("encryption", Text, nullable=False, default="{}"),
    Column("wrapped_key", LargeBinary, nullable=True),
    Column("sealed_key", LargeBinary, nullable=True),
    Column("checksum_algorithm", String(16), nullable=True),
    Column("checksum_type", String(16), nullable=True),
    Column("tags", Text, nullable=False, default="{}"),
    Column("lock", Text, nullable=False, default="{}"),  # JSON: mode, until, legal hold
    Index("ix_s3_uploads_bucket", "bucket", "key"),
)

parts = Table(
    "s3_parts",
    metadata,
    Column("upload_id", String(128), primary_key=True),
    Column("part_number", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", UtcDateTime(), nullable=False),
    Column("blob", String(64), nullable=False),
    Column("checksum", Text, nullable=False, default="{}"),
)

# Blobs no row refers to any more, deleted by a job after the transaction that orphaned them has committed (a blob
# is never deleted before the row that named it is gone, so a crash leaves at worst an orphan, never a hole).
orphans = Table(
    "s3_orphan_blobs",
    metadata,
    Column("blob", String(64), primary_key=True),
    Column("since", UtcDateTime(), nullable=False),
)

# S3 replication (services/s3/replication*.py): one row per source version and destination bucket still to replicate
# (PENDING) or failed (FAILED, with AWS's failure reason); a completed one is deleted and counted below.
replication_queue = Table(
    "s3_replication_queue",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("version_id", String(64), primary_key=True),
    Column("destination", String(63), primary_key=True),
    Column("key", KEY, nullable=False),
    Column("rule_id", String(255), nullable=False),
    Column("operation", String(16), nullable=False),  # object | delete-marker | metadata
    Column("status", String(16), nullable=False),  # PENDING | FAILED
    Column("size", BigInteger, nullable=False, default=0),  # bytes an object copy moves (metrics)
    Column("origin", String(16), nullable=False, default="COMPLETED"),  # what the version reports once done
    Column("generation", Integer, nullable=False, default=1),  # moves on at each queuing: a stale run settles nothing
    Column("attempts", Integer, nullable=False, default=0),  # temporary errors met so far
    Column("reason", Text, nullable=True),  # FAILED: "<AWS failure reason>: <detail>"; PENDING: last temporary error
    Column("queued_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_s3_replication_queue_status", "bucket", "status", "key"),
)

# Replication counters per rule: operations and bytes completed, failures recorded (a re-driven success counts in both).
replication_metrics = Table(
    "s3_replication_metrics",
    metadata,
    Column("bucket", String(63), primary_key=True),
    Column("rule_id", String(255), primary_key=True),
    Column("completed_operations", BigInteger, nullable=False, default=0),
    Column("completed_bytes", BigInteger, nullable=False, default=0),
    Column("failed_operations", BigInteger, nullable=False, default=0),
)


def sse_s3_aad(kid: str) -> bytes:
    """The associated data an SSE-S3 data key is sealed with: its random key id (kept in the ``encryption`` JSON)."""
    return f"strongroom/s3/sse-s3/{kid}".encode()


def _sealed_aad(row: Any) -> bytes:
    return sse_s3_aad(str(json.loads(row.encryption).get("kid", "")))


register_sealed_column(objects, "sealed_key", _sealed_aad)
register_sealed_column(uploads, "sealed_key", _sealed_aad)
