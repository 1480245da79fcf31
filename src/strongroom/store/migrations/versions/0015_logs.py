"""logs: CloudWatch Logs groups, their data keys, streams, events and tags

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "logs_groups",
        sa.Column("arn", sa.String(length=600), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("kms_key_id", sa.String(length=256), nullable=True),
        sa.Column("log_group_class", sa.String(length=32), nullable=False),
        sa.Column("deletion_protection", sa.Boolean(), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_logs_groups")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_logs_groups_name"),
    )
    op.create_table(
        "logs_data_keys",
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("group_arn", sa.String(length=600), nullable=False),
        sa.Column("kms_key_id", sa.String(length=256), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("kms_blob", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_logs_data_keys")),
    )
    op.create_index("ix_logs_data_keys_group", "logs_data_keys", ["group_arn"], unique=False)
    op.create_table(
        "logs_streams",
        sa.Column("group_arn", sa.String(length=600), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("first_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_event_ms", sa.BigInteger(), nullable=True),
        sa.Column("last_ingestion_ms", sa.BigInteger(), nullable=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("group_arn", "name", name=op.f("pk_logs_streams")),
    )
    op.create_table(
        "logs_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("group_arn", sa.String(length=600), nullable=False),
        sa.Column("stream_name", sa.String(length=512), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_ms", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logs_events")),
    )
    op.create_index(
        "ix_logs_events_stream", "logs_events", ["group_arn", "stream_name", "timestamp_ms", "id"], unique=False
    )
    op.create_index("ix_logs_events_group", "logs_events", ["group_arn", "timestamp_ms", "id"], unique=False)
    op.create_table(
        "logs_tags",
        sa.Column("group_arn", sa.String(length=600), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("group_arn", "key", name=op.f("pk_logs_tags")),
    )


def downgrade() -> None:
    op.drop_table("logs_tags")
    op.drop_index("ix_logs_events_group", table_name="logs_events")
    op.drop_index("ix_logs_events_stream", table_name="logs_events")
    op.drop_table("logs_events")
    op.drop_table("logs_streams")
    op.drop_index("ix_logs_data_keys_group", table_name="logs_data_keys")
    op.drop_table("logs_data_keys")
    op.drop_table("logs_groups")
