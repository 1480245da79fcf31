"""events: EventBridge buses, rules, targets, connections, API destinations, tags, outbox, log target

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events_api_destinations",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("connection_arn", sa.String(length=400), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("http_method", sa.String(length=16), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_api_destinations")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_events_api_destinations_account_region_name"),
    )
    op.create_table(
        "events_buses",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kms_key", sa.String(length=2048), nullable=True),
        sa.Column("dead_letter_arn", sa.String(length=1600), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_buses")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_events_buses_account_region_name"),
    )
    op.create_table(
        "events_connections",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("auth_type", sa.String(length=32), nullable=False),
        sa.Column("auth_public", sa.Text(), nullable=False),
        sa.Column("auth_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_connections")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_events_connections_account_region_name"),
    )
    op.create_table(
        "events_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("outbox_id", sa.String(length=64), nullable=False),
        sa.Column("rule_arn", sa.String(length=700), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events_log")),
        sa.UniqueConstraint("outbox_id", name="uq_events_log_outbox_id"),
    )
    op.create_index("ix_events_log_name", "events_log", ["name", "seq"], unique=False)
    op.create_table(
        "events_outbox",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("rule_arn", sa.String(length=700), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("target_arn", sa.String(length=1600), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("target_spec", sa.Text(), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dead_letter_arn", sa.String(length=1600), nullable=True),
        sa.Column("dead_reason", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events_outbox")),
    )
    op.create_index("ix_events_outbox_state", "events_outbox", ["state", "next_attempt_at"], unique=False)
    op.create_table(
        "events_rules",
        sa.Column("arn", sa.String(length=700), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("bus_name", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("event_pattern", sa.Text(), nullable=True),
        sa.Column("schedule_expression", sa.String(length=256), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("role_arn", sa.String(length=1600), nullable=True),
        sa.Column("managed_by", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_rules")),
    )
    op.create_index("ix_events_rules_bus", "events_rules", ["account_id", "region", "bus_name"], unique=False)
    op.create_table(
        "events_tags",
        sa.Column("resource_arn", sa.String(length=1600), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("tag_value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", "tag_key", name=op.f("pk_events_tags")),
    )
    op.create_table(
        "events_targets",
        sa.Column("rule_arn", sa.String(length=700), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("arn", sa.String(length=1600), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("rule_arn", "target_id", name=op.f("pk_events_targets")),
    )


def downgrade() -> None:
    op.drop_table("events_targets")
    op.drop_table("events_tags")
    op.drop_index("ix_events_rules_bus", table_name="events_rules")
    op.drop_table("events_rules")
    op.drop_index("ix_events_outbox_state", table_name="events_outbox")
    op.drop_table("events_outbox")
    op.drop_index("ix_events_log_name", table_name="events_log")
    op.drop_table("events_log")
    op.drop_table("events_connections")
    op.drop_table("events_buses")
    op.drop_table("events_api_destinations")
