"""secretsmanager: secrets (primaries and replicas) and their encrypted versions

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "secretsmanager_secrets",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("kms_key_id", sa.String(length=2048), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deletion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("rotation_lambda_arn", sa.String(length=2048), nullable=True),
        sa.Column("rotation_rules", sa.Text(), nullable=True),
        sa.Column("last_rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_rotation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rotation_failed", sa.Boolean(), nullable=False),
        sa.Column("primary_region", sa.String(length=32), nullable=True),
        sa.Column("replicas", sa.Text(), nullable=False),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_secretsmanager_secrets")),
        sa.UniqueConstraint("arn", name=op.f("uq_secretsmanager_secrets_arn")),
    )
    op.create_table(
        "secretsmanager_versions",
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("stages", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("kms_key_arn", sa.String(length=2048), nullable=False),
        sa.Column("data_key", sa.LargeBinary(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("binary", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("arn", "version_id", name=op.f("pk_secretsmanager_versions")),
    )


def downgrade() -> None:
    op.drop_table("secretsmanager_versions")
    op.drop_table("secretsmanager_secrets")
