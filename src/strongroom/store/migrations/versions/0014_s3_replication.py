"""s3: the replication queue and its per-rule counters

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

KEY = sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "s3_replication_queue",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("destination", sa.String(length=63), nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("rule_id", sa.String(length=255), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "version_id", "destination", name=op.f("pk_s3_replication_queue")),
    )
    op.create_index("ix_s3_replication_queue_status", "s3_replication_queue", ["bucket", "status", "key"], unique=False)
    op.create_table(
        "s3_replication_metrics",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("rule_id", sa.String(length=255), nullable=False),
        sa.Column("completed_operations", sa.BigInteger(), nullable=False),
        sa.Column("completed_bytes", sa.BigInteger(), nullable=False),
        sa.Column("failed_operations", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "rule_id", name=op.f("pk_s3_replication_metrics")),
    )


def downgrade() -> None:
    op.drop_table("s3_replication_metrics")
    op.drop_index("ix_s3_replication_queue_status", table_name="s3_replication_queue")
    op.drop_table("s3_replication_queue")
