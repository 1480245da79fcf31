"""organizations: organizations, roots and OUs, member accounts, account creation requests, handshakes, SCP/RCP
policies and attachments, enabled policy types, delegated administrators, trusted access, tags

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations_accounts",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("parent_id", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("joined_method", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_organizations_accounts")),
    )
    op.create_index(
        "ix_organizations_accounts_org_parent", "organizations_accounts", ["org_id", "parent_id"], unique=False
    )
    op.create_table(
        "organizations_attachments",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("policy_id", sa.String(length=140), nullable=False),
        sa.Column("target_id", sa.String(length=80), nullable=False),
        sa.Column("policy_type", sa.String(length=40), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "policy_id", "target_id", name=op.f("pk_organizations_attachments")),
    )
    op.create_index(
        "ix_organizations_attachments_target", "organizations_attachments", ["org_id", "target_id"], unique=False
    )
    op.create_table(
        "organizations_create_account_status",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("account_name", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=True),
        sa.Column("failure_reason", sa.String(length=64), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_organizations_create_account_status")),
    )
    op.create_index(
        "ix_organizations_create_status_org", "organizations_create_account_status", ["org_id"], unique=False
    )
    op.create_table(
        "organizations_delegated_admins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("service_principal", sa.String(length=128), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_id", "account_id", "service_principal", name=op.f("pk_organizations_delegated_admins")
        ),
    )
    op.create_table(
        "organizations_handshakes",
        sa.Column("handshake_id", sa.String(length=40), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("target_account_id", sa.String(length=12), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("handshake_id", name=op.f("pk_organizations_handshakes")),
    )
    op.create_index("ix_organizations_handshakes_org", "organizations_handshakes", ["org_id"], unique=False)
    op.create_index(
        "ix_organizations_handshakes_target", "organizations_handshakes", ["target_account_id"], unique=False
    )
    op.create_table(
        "organizations_nodes",
        sa.Column("node_id", sa.String(length=80), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("parent_id", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_organizations_nodes")),
    )
    op.create_index("ix_organizations_nodes_org_parent", "organizations_nodes", ["org_id", "parent_id"], unique=False)
    op.create_table(
        "organizations_orgs",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("management_account_id", sa.String(length=12), nullable=False),
        sa.Column("root_id", sa.String(length=40), nullable=False),
        sa.Column("feature_set", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_organizations_orgs")),
        sa.UniqueConstraint("management_account_id", name=op.f("uq_organizations_orgs_management_account_id")),
    )
    op.create_table(
        "organizations_policies",
        sa.Column("policy_id", sa.String(length=140), nullable=False),
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.String(length=512), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("policy_id", name=op.f("pk_organizations_policies")),
    )
    op.create_index("ix_organizations_policies_org", "organizations_policies", ["org_id"], unique=False)
    op.create_table(
        "organizations_policy_types",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "type", name=op.f("pk_organizations_policy_types")),
    )
    op.create_table(
        "organizations_service_access",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("service_principal", sa.String(length=128), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "service_principal", name=op.f("pk_organizations_service_access")),
    )
    op.create_table(
        "organizations_tags",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=140), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "resource_id", "key", name=op.f("pk_organizations_tags")),
    )


def downgrade() -> None:
    op.drop_table("organizations_tags")
    op.drop_table("organizations_service_access")
    op.drop_table("organizations_policy_types")
    op.drop_index("ix_organizations_policies_org", table_name="organizations_policies")
    op.drop_table("organizations_policies")
    op.drop_table("organizations_orgs")
    op.drop_index("ix_organizations_nodes_org_parent", table_name="organizations_nodes")
    op.drop_table("organizations_nodes")
    op.drop_index("ix_organizations_handshakes_target", table_name="organizations_handshakes")
    op.drop_index("ix_organizations_handshakes_org", table_name="organizations_handshakes")
    op.drop_table("organizations_handshakes")
    op.drop_table("organizations_delegated_admins")
    op.drop_index("ix_organizations_create_status_org", table_name="organizations_create_account_status")
    op.drop_table("organizations_create_account_status")
    op.drop_index("ix_organizations_attachments_target", table_name="organizations_attachments")
    op.drop_table("organizations_attachments")
    op.drop_index("ix_organizations_accounts_org_parent", table_name="organizations_accounts")
    op.drop_table("organizations_accounts")
