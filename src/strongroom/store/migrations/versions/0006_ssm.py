"""ssm: Parameter Store parameters, their versions, tags, resource policies and service settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ssm_parameters",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("arn", sa.String(length=1100), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=256), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("data_type", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allowed_pattern", sa.Text(), nullable=True),
        sa.Column("policies", sa.Text(), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_user", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_ssm_parameters")),
    )
    op.create_index("ix_ssm_parameters_arn", "ssm_parameters", ["arn"], unique=False)
    op.create_table(
        "ssm_parameter_versions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=256), nullable=True),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("data_type", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("allowed_pattern", sa.Text(), nullable=True),
        sa.Column("policies", sa.Text(), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_user", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "version", name=op.f("pk_ssm_parameter_versions")),
    )
    op.create_table(
        "ssm_parameter_tags",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("tag_value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", "tag_key", name=op.f("pk_ssm_parameter_tags")),
    )
    op.create_table(
        "ssm_resource_policies",
        sa.Column("resource_arn", sa.String(length=1100), nullable=False),
        sa.Column("policy_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", "policy_id", name=op.f("pk_ssm_resource_policies")),
    )
    op.create_index("ix_ssm_resource_policies_account", "ssm_resource_policies", ["account_id", "region"], unique=False)
    op.create_table(
        "ssm_service_settings",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("setting_id", sa.String(length=256), nullable=False),
        sa.Column("value", sa.String(length=4096), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_user", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "setting_id", name=op.f("pk_ssm_service_settings")),
    )


def downgrade() -> None:
    op.drop_table("ssm_service_settings")
    op.drop_index("ix_ssm_resource_policies_account", table_name="ssm_resource_policies")
    op.drop_table("ssm_resource_policies")
    op.drop_table("ssm_parameter_tags")
    op.drop_table("ssm_parameter_versions")
    op.drop_index("ix_ssm_parameters_arn", table_name="ssm_parameters")
    op.drop_table("ssm_parameters")
