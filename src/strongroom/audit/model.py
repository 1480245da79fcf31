"""The audit tables: event records, their resources (for LookupEvents), trails, delivered files, signing keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

# ``audit_events.event_type`` of a data event (S3 object calls): LookupEvents shows management events only, and
# this column is how it tells them apart without reading every record (the record itself says "AwsApiCall").
DATA_EVENT_ROW_TYPE = "Data:AwsApiCall"
# ``audit_events.event_type`` of a CloudTrail Insights event (the record's own eventType).
INSIGHT_EVENT_TYPE = "AwsCloudTrailInsight"

# SQLite only auto-increments an INTEGER PRIMARY KEY (the rowid); PostgreSQL gets a 64-bit identity.
_SEQ = BigInteger().with_variant(Integer(), "sqlite")

events = Table(
    "audit_events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False, unique=True),
    Column("account_id", String(12), nullable=True),  # NULL: a request that claimed no known account
    Column("region", String(32), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("event_name", String(128), nullable=False),
    Column("event_source", String(128), nullable=False),
    Column("event_type", String(32), nullable=False),  # the record's eventType, or DATA_EVENT_ROW_TYPE
    Column("read_only", Boolean, nullable=False),
    Column("username", String(256), nullable=True),
    Column("access_key_id", String(128), nullable=True),
    Column("record", Text, nullable=False),  # the CloudTrail record as JSON
    Index("ix_audit_events_account_time", "account_id", "event_time"),
    Index("ix_audit_events_account_seq", "account_id", "seq"),
    # LookupEvents by one of these attributes reads the newest page straight off its index: the filter, then
    # (event_time, seq) in the page's order, so a rare user or key costs a page, not a scan of the trail.
    Index("ix_audit_events_account_name_time", "account_id", "event_name", "event_time", "seq"),
    Index("ix_audit_events_account_user_time", "account_id", "username", "event_time", "seq"),
    Index("ix_audit_events_account_key_time", "account_id", "access_key_id", "event_time", "seq"),
    # Few values, but a burst of one kind (a million Encrypts) would otherwise stand between a lookup and its page.
    Index("ix_audit_events_account_source_time", "account_id", "event_source", "event_time", "seq"),
    Index("ix_audit_events_account_read_only_time", "account_id", "read_only", "event_time", "seq"),
)

event_resources = Table(
    "audit_event_resources",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("account_id", String(12), nullable=True),
    Column("resource_type", String(128), nullable=True),
    Column("resource_name", String(1024), nullable=False),
    # The event's time, copied so LookupEvents by ResourceName / ResourceType pages off these indexes newest
    # first (NULL only on rows written before migration 0029 that it could not match to their event).
    Column("event_time", UtcDateTime(), nullable=True),
    Index("ix_audit_event_resources_account_name_time", "account_id", "resource_name", "event_time"),
    Index("ix_audit_event_resources_account_type_time", "account_id", "resource_type", "event_time"),
)

trails = Table(
    "audit_trails",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),  # home region
    Column("name", String(128), nullable=False),
    Column("s3_bucket_name", String(255), nullable=False),
    Column("s3_key_prefix", String(1024), nullable=True),
    Column("sns_topic_name", String(256), nullable=True),
    Column("include_global_service_events", Boolean, nullable=False),
    Column("is_multi_region_trail", Boolean, nullable=False),
    Column("log_file_validation_enabled", Boolean, nullable=False),
    Column("cloud_watch_logs_log_group_arn", String(1024), nullable=True),
    Column("cloud_watch_logs_role_arn", String(1024), nullable=True),
    Column("kms_key_id", String(2048), nullable=True),
    Column("is_logging", Boolean, nullable=False),
    Column("start_logging_time", UtcDateTime(), nullable=True),
    Column("stop_logging_time", UtcDateTime(), nullable=True),
    Column("latest_delivery_time", UtcDateTime(), nullable=True),
    Column("latest_delivery_error", Text, nullable=True),
    Column("latest_digest_delivery_time", UtcDateTime(), nullable=True),
    Column("event_selectors", Text, nullable=True),  # JSON as PutEventSelectors stored it
    Column("advanced_event_selectors", Text, nullable=True),
    Column("insight_selectors", Text, nullable=True),
    Column("tags", Text, nullable=False),  # JSON list of {"Key","Value"}
    Column("cursor_seq", BigInteger, nullable=False),  # the last audit_events.seq considered for delivery
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_audit_trails_account_name", "account_id", "name", unique=True),
)

trail_files = Table(
    "audit_trail_files",
    metadata,
    Column("trail_arn", String(512), primary_key=True),
    Column("s3_object", String(1024), primary_key=True),
    Column("kind", String(8), nullable=False),  # log | digest
    Column("region", String(32), nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=False),
    Column("hash_value", String(64), nullable=False),  # SHA-256 (hex) of the uncompressed content
    Column("signature", String(1024), nullable=True),  # digests only
    Column("oldest_event_time", UtcDateTime(), nullable=True),
    Column("newest_event_time", UtcDateTime(), nullable=True),
    Column("digested", Boolean, nullable=False),  # logs: listed in a digest already
    Index("ix_audit_trail_files_trail_kind", "trail_arn", "kind", "region", "delivered_at"),
)

signing_keys = Table(
    "audit_signing_keys",
    metadata,
    Column("fingerprint", String(32), primary_key=True),
    Column("public_key", LargeBinary, nullable=False),  # DER PKCS#1 RSAPublicKey, as ListPublicKeys returns it
    Column("sealed_private_key", LargeBinary, nullable=False),  # PKCS#8 DER wrapped under the root key
    Column("valid_from", UtcDateTime(), nullable=False),
    Column("valid_to", UtcDateTime(), nullable=True),
)


def signing_key_aad(fingerprint: str) -> bytes:
    """The associated data sealing a digest signing key's private key: binds it to its fingerprint."""
    return f"strongroom:audit-digest-key:{fingerprint}".encode()


def _signing_key_aad(row: Any) -> bytes:
    return signing_key_aad(row.fingerprint)


register_sealed_column(signing_keys, "sealed_private_key", _signing_key_aad)
