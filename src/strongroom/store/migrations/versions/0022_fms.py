"""fms: the Firewall Manager administrator, policies, compliance, managed web ACLs, apps and protocols lists,
resource sets, notification channels, tags

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fms_admins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("associated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_fms_admins")),
    )
    op.create_table(
        "fms_compliance",
        sa.Column("policy_id", sa.String(length=36), nullable=False),
        sa.Column("member_account", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("violators", sa.Text(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "member_account", name=op.f("pk_fms_compliance")),
    )
    op.create_table(
        "fms_lists",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("update_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_fms_lists")),
    )
    op.create_index("ix_fms_lists_owner", "fms_lists", ["account_id", "region", "kind"], unique=False)
    op.create_table(
        "fms_managed_acls",
        sa.Column("policy_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("web_acl_arn", sa.String(length=512), nullable=False),
        sa.Column("web_acl_name", sa.String(length=128), nullable=False),
        sa.Column("web_acl_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", "account_id", name=op.f("pk_fms_managed_acls")),
    )
    op.create_table(
        "fms_notification_channels",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("topic_arn", sa.String(length=1024), nullable=False),
        sa.Column("role_arn", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", name=op.f("pk_fms_notification_channels")),
    )
    op.create_table(
        "fms_policies",
        sa.Column("policy_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("service_type", sa.String(length=40), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("update_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", name=op.f("pk_fms_policies")),
    )
    op.create_index("ix_fms_policies_owner", "fms_policies", ["account_id", "region"], unique=False)
    op.create_table(
        "fms_resource_set_items",
        sa.Column("set_id", sa.String(length=22), nullable=False),
        sa.Column("uri", sa.String(length=1024), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("set_id", "uri", name=op.f("pk_fms_resource_set_items")),
    )
    op.create_table(
        "fms_resource_sets",
        sa.Column("set_id", sa.String(length=22), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=256), nullable=True),
        sa.Column("resource_types", sa.Text(), nullable=False),
        sa.Column("update_token", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("set_id", name=op.f("pk_fms_resource_sets")),
    )
    op.create_index("ix_fms_resource_sets_owner", "fms_resource_sets", ["account_id", "region"], unique=False)
    op.create_table(
        "fms_tags",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_fms_tags")),
    )


def downgrade() -> None:
    op.drop_table("fms_tags")
    op.drop_index("ix_fms_resource_sets_owner", table_name="fms_resource_sets")
    op.drop_table("fms_resource_sets")
    op.drop_table("fms_resource_set_items")
    op.drop_index("ix_fms_policies_owner", table_name="fms_policies")
    op.drop_table("fms_policies")
    op.drop_table("fms_notification_channels")
    op.drop_table("fms_managed_acls")
    op.drop_index("ix_fms_lists_owner", table_name="fms_lists")
    op.drop_table("fms_lists")
    op.drop_table("fms_compliance")
    op.drop_table("fms_admins")
