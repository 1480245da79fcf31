"""CloudTrail Lake's tables: event data stores, queries and their results, channels, dashboards, imports,
and resource policies. The events themselves stay in
the audit trail (``audit_events``): an event data store is a view over them (docs/cloudtrail.md)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

event_data_stores = Table(
    "cloudtrail_event_data_stores",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("store_id", String(64), nullable=False),
    Column("name", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("spec", Text, nullable=False),  # selectors, multi-Region, retention, protection, KMS key, billing (JSON)
    Column("windows", Text, nullable=False),  # ingestion windows [[start, stop-or-null], ...] (JSON, ISO times)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_cloudtrail_eds_account", "account_id", "region"),
)

queries = Table(
    "cloudtrail_queries",
    metadata,
    Column("query_id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("store_arns", Text, nullable=False),  # JSON list
    Column("statement", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("error", Text, nullable=True),
    Column("columns", Text, nullable=True),  # JSON list
    Column("rows", Text, nullable=True),  # JSON list of lists
    Column("scanned", BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0),
    Column("bytes_scanned", BigInteger().with_variant(Integer, "sqlite"), nullable=False, default=0),
    Column("millis", Integer, nullable=False, default=0),
    Column("delivery_uri", String(1024), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_cloudtrail_queries_account", "account_id", "region", "created_at"),
)

# Channels, dashboards, imports and resource policies: stored as given, round-tripped (JSON documents).
lake_resources = Table(
    "cloudtrail_lake_resources",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("kind", String(16), nullable=False),  # channel | dashboard | import
    Column("name", String(256), nullable=False),
    Column("doc", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_cloudtrail_lake_resources_kind", "account_id", "region", "kind"),
)

resource_policies = Table(
    "cloudtrail_resource_policies",
    metadata,
    Column("resource_arn", String(512), primary_key=True),
    Column("policy", Text, nullable=False),
)
