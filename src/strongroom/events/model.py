"""Tables of EventBridge (the scheduler's table is in ``scheduler/model.py``)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

# -- EventBridge --------------------------------------------------------------------------------------

buses = Table(
    "events_buses",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("description", Text, nullable=True),
    Column("kms_key", String(2048), nullable=True),
    Column("dead_letter_arn", String(1600), nullable=True),
    Column("policy", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("modified_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_events_buses_account_region_name"),
)

rules = Table(
    "events_rules",
    metadata,
    Column("arn", String(700), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("bus_name", String(256), nullable=False),
    Column("name", String(64), nullable=False),
    Column("event_pattern", Text, nullable=True),
    Column("schedule_expression", String(256), nullable=True),
    Column("state", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("role_arn", String(1600), nullable=True),
    Column("managed_by", String(128), nullable=True),
    Column("created_by", String(12), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_events_rules_bus", "account_id", "region", "bus_name"),
)

# One row per (rule, target id); ``spec`` is the Target structure as PutTargets received it (JSON).
targets = Table(
    "events_targets",
    metadata,
    Column("rule_arn", String(700), primary_key=True),
    Column("target_id", String(64), primary_key=True),
    Column("arn", String(1600), nullable=False),
    Column("spec", Text, nullable=False),
)

# Secrets (API key value, password, OAuth client secret, secret invocation parameters) are only stored
# sealed under the root key with the connection ARN as associated data; ``auth_public`` holds the rest.
connections = Table(
    "events_connections",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("auth_type", String(32), nullable=False),
    Column("auth_public", Text, nullable=False),
    Column("auth_sealed", LargeBinary, nullable=False),
    Column("state", String(32), nullable=False),
    Column("state_reason", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("modified_at", UtcDateTime(), nullable=False),
    Column("authorized_at", UtcDateTime(), nullable=True),
    UniqueConstraint("account_id", "region", "name", name="uq_events_connections_account_region_name"),
)

api_destinations = Table(
    "events_api_destinations",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("connection_arn", String(400), nullable=False),
    Column("endpoint", String(2048), nullable=False),
    Column("http_method", String(16), nullable=False),
    Column("rate_limit", Integer, nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("modified_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_events_api_destinations_account_region_name"),
)

tags = Table(
    "events_tags",
    metadata,
    Column("resource_arn", String(1600), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

# The durable outbox: one row per (event, target). A scheduler job "events-deliver:<id>" drives each row;
# both are written in the transaction that accepts the event, so an accepted event is never lost.
outbox = Table(
    "events_outbox",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("rule_arn", String(700), nullable=False),
    Column("target_id", String(64), nullable=False),
    Column("target_arn", String(1600), nullable=False),
    Column("event", Text, nullable=False),  # the original event (JSON)
    Column("payload", Text, nullable=False),  # what the target receives, after Input/InputPath/InputTransformer
    Column("target_spec", Text, nullable=False),  # the target as it was when the event matched
    Column("event_time", UtcDateTime(), nullable=False),  # ingestion time: MaximumEventAgeInSeconds counts from it
    Column("state", String(16), nullable=False),  # PENDING | DELIVERED | DEAD_LETTERED
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UtcDateTime(), nullable=True),
    Column("dead_letter_arn", String(1600), nullable=True),
    Column("dead_reason", String(64), nullable=True),
    Index("ix_events_outbox_state", "state", "next_attempt_at"),
)

# What the built-in log target received, readable by `strongroom events tail` and tests.
event_log = Table(
    "events_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("outbox_id", String(64), nullable=False),
    Column("rule_arn", String(700), nullable=False),
    Column("payload", Text, nullable=False),
    Column("delivered_at", UtcDateTime(), nullable=False),
    Index("ix_events_log_name", "name", "seq"),
    UniqueConstraint("outbox_id", name="uq_events_log_outbox_id"),
)

# -- archives, replays, endpoints ------------------------------------------------------------------------

archives = Table(
    "events_archives",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(48), nullable=False),
    Column("source_arn", String(1600), nullable=False),  # the event bus whose events it keeps
    Column("description", Text, nullable=True),
    Column("event_pattern", Text, nullable=True),
    Column("retention_days", Integer, nullable=False, default=0),  # 0: kept indefinitely
    Column("kms_key", String(2048), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_events_archives_source", "source_arn"),
)

# Every event an archive kept, as the bus received it (JSON, like the outbox), by the time it was put.
archived_events = Table(
    "events_archived",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("archive_arn", String(400), nullable=False),
    Column("event_time", UtcDateTime(), nullable=False),
    Column("event", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Index("ix_events_archived_archive", "archive_arn", "event_time"),
)

replays = Table(
    "events_replays",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("source_arn", String(1600), nullable=False),  # the archive
    Column("destination", Text, nullable=False),  # the Destination structure (JSON)
    Column("event_start", UtcDateTime(), nullable=False),
    Column("event_end", UtcDateTime(), nullable=False),
    Column("state", String(16), nullable=False),
    Column("state_reason", Text, nullable=True),
    Column("last_replayed", UtcDateTime(), nullable=True),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
)

endpoints = Table(
    "events_endpoints",
    metadata,
    Column("arn", String(400), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("endpoint_id", String(64), nullable=False),
    Column("spec", Text, nullable=False),  # Description, RoutingConfig, ReplicationConfig, EventBuses, RoleArn (JSON)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("modified_at", UtcDateTime(), nullable=False),
)

register_sealed_column(connections, "auth_sealed", lambda row: str(row.arn).encode())
