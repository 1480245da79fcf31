"""audit: CloudTrail event records, their resources, trails, delivered files, digest signing keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event_resources",
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("resource_type", sa.String(length=128), nullable=True),
        sa.Column("resource_name", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "position", name=op.f("pk_audit_event_resources")),
    )
    op.create_index(
        "ix_audit_event_resources_account_name", "audit_event_resources", ["account_id", "resource_name"], unique=False
    )
    op.create_index(
        "ix_audit_event_resources_account_type", "audit_event_resources", ["account_id", "resource_type"], unique=False
    )
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_name", sa.String(length=128), nullable=False),
        sa.Column("event_source", sa.String(length=128), nullable=False),
        sa.Column("event_type", sa.String(length=32), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(length=256), nullable=True),
        sa.Column("access_key_id", sa.String(length=128), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_events_event_id")),
    )
    op.create_index("ix_audit_events_account_key", "audit_events", ["account_id", "access_key_id"], unique=False)
    op.create_index("ix_audit_events_account_name", "audit_events", ["account_id", "event_name"], unique=False)
    op.create_index("ix_audit_events_account_seq", "audit_events", ["account_id", "seq"], unique=False)
    op.create_index("ix_audit_events_account_time", "audit_events", ["account_id", "event_time"], unique=False)
    op.create_index("ix_audit_events_account_user", "audit_events", ["account_id", "username"], unique=False)
    op.create_table(
        "audit_signing_keys",
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sealed_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_audit_signing_keys")),
    )
    op.create_table(
        "audit_trail_files",
        sa.Column("trail_arn", sa.String(length=512), nullable=False),
        sa.Column("s3_object", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hash_value", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=1024), nullable=True),
        sa.Column("oldest_event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("newest_event_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("digested", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("trail_arn", "s3_object", name=op.f("pk_audit_trail_files")),
    )
    op.create_index(
        "ix_audit_trail_files_trail_kind",
        "audit_trail_files",
        ["trail_arn", "kind", "region", "delivered_at"],
        unique=False,
    )
    op.create_table(
        "audit_trails",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("s3_bucket_name", sa.String(length=255), nullable=False),
        sa.Column("s3_key_prefix", sa.String(length=1024), nullable=True),
        sa.Column("sns_topic_name", sa.String(length=256), nullable=True),
        sa.Column("include_global_service_events", sa.Boolean(), nullable=False),
        sa.Column("is_multi_region_trail", sa.Boolean(), nullable=False),
        sa.Column("log_file_validation_enabled", sa.Boolean(), nullable=False),
        sa.Column("cloud_watch_logs_log_group_arn", sa.String(length=1024), nullable=True),
        sa.Column("cloud_watch_logs_role_arn", sa.String(length=1024), nullable=True),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("is_logging", sa.Boolean(), nullable=False),
        sa.Column("start_logging_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_logging_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latest_delivery_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latest_delivery_error", sa.Text(), nullable=True),
        sa.Column("latest_digest_delivery_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("event_selectors", sa.Text(), nullable=True),
        sa.Column("advanced_event_selectors", sa.Text(), nullable=True),
        sa.Column("insight_selectors", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("cursor_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_audit_trails")),
    )
    op.create_index("ix_audit_trails_account_name", "audit_trails", ["account_id", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_audit_trails_account_name", table_name="audit_trails")
    op.drop_table("audit_trails")
    op.drop_index("ix_audit_trail_files_trail_kind", table_name="audit_trail_files")
    op.drop_table("audit_trail_files")
    op.drop_table("audit_signing_keys")
    op.drop_index("ix_audit_events_account_user", table_name="audit_events")
    op.drop_index("ix_audit_events_account_time", table_name="audit_events")
    op.drop_index("ix_audit_events_account_seq", table_name="audit_events")
    op.drop_index("ix_audit_events_account_name", table_name="audit_events")
    op.drop_index("ix_audit_events_account_key", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_audit_event_resources_account_type", table_name="audit_event_resources")
    op.drop_index("ix_audit_event_resources_account_name", table_name="audit_event_resources")
    op.drop_table("audit_event_resources")
