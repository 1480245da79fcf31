"""wafv2: web ACLs, rule groups, IP sets, regex pattern sets, associations, logging, samples, rate keys, API keys

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wafv2_entities",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=True),
        sa.Column("lock_token", sa.String(length=36), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("refs", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_wafv2_entities")),
        sa.UniqueConstraint("account_id", "region", "scope", "kind", "name", name="uq_wafv2_entities_name"),
    )
    op.create_index(
        "ix_wafv2_entities_account_kind", "wafv2_entities", ["account_id", "region", "scope", "kind"], unique=False
    )
    op.create_table(
        "wafv2_tags",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_wafv2_tags")),
    )
    op.create_table(
        "wafv2_associations",
        sa.Column("resource_arn", sa.String(length=512), nullable=False),
        sa.Column("web_acl_arn", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", name=op.f("pk_wafv2_associations")),
    )
    op.create_index("ix_wafv2_associations_web_acl", "wafv2_associations", ["web_acl_arn"], unique=False)
    op.create_table(
        "wafv2_logging",
        sa.Column("web_acl_arn", sa.String(length=512), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("web_acl_arn", name=op.f("pk_wafv2_logging")),
    )
    op.create_table(
        "wafv2_permission_policies",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_wafv2_permission_policies")),
    )
    op.create_table(
        "wafv2_samples",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("web_acl_arn", sa.String(length=512), nullable=False),
        sa.Column("metric_name", sa.String(length=255), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_wafv2_samples")),
    )
    op.create_index(
        "ix_wafv2_samples_acl_metric_at", "wafv2_samples", ["web_acl_arn", "metric_name", "at"], unique=False
    )
    op.create_table(
        "wafv2_rate_keys",
        sa.Column("web_acl_arn", sa.String(length=512), nullable=False),
        sa.Column("rule_group", sa.String(length=128), nullable=False),
        sa.Column("rule_name", sa.String(length=128), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("ip_version", sa.String(length=4), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("web_acl_arn", "rule_group", "rule_name", "address", name=op.f("pk_wafv2_rate_keys")),
    )
    op.create_table(
        "wafv2_api_keys",
        sa.Column("key_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("token_domains", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_wafv2_api_keys")),
        sa.UniqueConstraint("key_digest", name=op.f("uq_wafv2_api_keys_key_digest")),
    )
    op.create_index("ix_wafv2_api_keys_account", "wafv2_api_keys", ["account_id", "region", "scope"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wafv2_api_keys_account", table_name="wafv2_api_keys")
    op.drop_table("wafv2_api_keys")
    op.drop_table("wafv2_rate_keys")
    op.drop_index("ix_wafv2_samples_acl_metric_at", table_name="wafv2_samples")
    op.drop_table("wafv2_samples")
    op.drop_table("wafv2_permission_policies")
    op.drop_table("wafv2_logging")
    op.drop_index("ix_wafv2_associations_web_acl", table_name="wafv2_associations")
    op.drop_table("wafv2_associations")
    op.drop_index("ix_wafv2_entities_account_kind", table_name="wafv2_entities")
    op.drop_table("wafv2_entities")
