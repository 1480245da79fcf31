"""iam: users, groups, roles, managed and inline policies, attachments, tags, STS sessions, key last use

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("iam_access_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_service", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("last_used_region", sa.String(length=32), nullable=True))

    op.create_table(
        "iam_users",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("permissions_boundary", sa.String(length=2048), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "name_key", name=op.f("pk_iam_users")),
        sa.UniqueConstraint("user_id", name=op.f("uq_iam_users_user_id")),
    )
    op.create_table(
        "iam_groups",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("group_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "name_key", name=op.f("pk_iam_groups")),
        sa.UniqueConstraint("group_id", name=op.f("uq_iam_groups_group_id")),
    )
    op.create_table(
        "iam_group_members",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("group_key", sa.String(length=128), nullable=False),
        sa.Column("user_key", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "group_key", "user_key", name=op.f("pk_iam_group_members")),
    )
    with op.batch_alter_table("iam_group_members", schema=None) as batch_op:
        batch_op.create_index("ix_iam_group_members_user", ["account_id", "user_key"], unique=False)

    op.create_table(
        "iam_roles",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("arn", sa.String(length=1024), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assume_role_policy", sa.Text(), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("max_session_duration", sa.Integer(), nullable=False),
        sa.Column("permissions_boundary", sa.String(length=2048), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_region", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "name_key", name=op.f("pk_iam_roles")),
        sa.UniqueConstraint("role_id", name=op.f("uq_iam_roles_role_id")),
    )
    op.create_table(
        "iam_policies",
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name_key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("policy_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("default_version", sa.String(length=16), nullable=False),
        sa.Column("next_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_iam_policies")),
        sa.UniqueConstraint("policy_id", name=op.f("uq_iam_policies_policy_id")),
    )
    with op.batch_alter_table("iam_policies", schema=None) as batch_op:
        batch_op.create_index("ix_iam_policies_account_name", ["account_id", "name_key"], unique=True)

    op.create_table(
        "iam_policy_versions",
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.Column("version_id", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_arn"],
            ["iam_policies.arn"],
            name=op.f("fk_iam_policy_versions_policy_arn_iam_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_arn", "version_id", name=op.f("pk_iam_policy_versions")),
    )
    op.create_table(
        "iam_attachments",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("entity_type", sa.String(length=8), nullable=False),
        sa.Column("entity_key", sa.String(length=128), nullable=False),
        sa.Column("policy_arn", sa.String(length=2048), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "entity_type", "entity_key", "policy_arn", name=op.f("pk_iam_attachments")
        ),
    )
    with op.batch_alter_table("iam_attachments", schema=None) as batch_op:
        batch_op.create_index("ix_iam_attachments_policy", ["policy_arn"], unique=False)

    op.create_table(
        "iam_inline_policies",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("entity_type", sa.String(length=8), nullable=False),
        sa.Column("entity_key", sa.String(length=128), nullable=False),
        sa.Column("policy_name", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "account_id", "entity_type", "entity_key", "policy_name", name=op.f("pk_iam_inline_policies")
        ),
    )
    op.create_table(
        "iam_tags",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("entity_type", sa.String(length=8), nullable=False),
        sa.Column("entity_key", sa.String(length=2048), nullable=False),
        sa.Column("key_lower", sa.String(length=128), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("tag_value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "entity_type", "entity_key", "key_lower", name=op.f("pk_iam_tags")),
    )
    op.create_table(
        "iam_sessions",
        sa.Column("access_key_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role_arn", sa.String(length=2048), nullable=True),
        sa.Column("role_id", sa.String(length=32), nullable=True),
        sa.Column("role_name", sa.String(length=64), nullable=True),
        sa.Column("session_name", sa.String(length=64), nullable=True),
        sa.Column("user_name", sa.String(length=64), nullable=True),
        sa.Column("source_access_key_id", sa.String(length=128), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("policy_arns", sa.Text(), nullable=True),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("transitive_tag_keys", sa.Text(), nullable=True),
        sa.Column("source_identity", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("access_key_id", name=op.f("pk_iam_sessions")),
    )
    with op.batch_alter_table("iam_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_iam_sessions_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("iam_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_iam_sessions_expires")
    op.drop_table("iam_sessions")
    op.drop_table("iam_tags")
    op.drop_table("iam_inline_policies")
    with op.batch_alter_table("iam_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_iam_attachments_policy")
    op.drop_table("iam_attachments")
    op.drop_table("iam_policy_versions")
    with op.batch_alter_table("iam_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_iam_policies_account_name")
    op.drop_table("iam_policies")
    op.drop_table("iam_roles")
    with op.batch_alter_table("iam_group_members", schema=None) as batch_op:
        batch_op.drop_index("ix_iam_group_members_user")
    op.drop_table("iam_group_members")
    op.drop_table("iam_groups")
    op.drop_table("iam_users")
    with op.batch_alter_table("iam_access_keys", schema=None) as batch_op:
        batch_op.drop_column("last_used_region")
        batch_op.drop_column("last_used_service")
        batch_op.drop_column("last_used_at")
