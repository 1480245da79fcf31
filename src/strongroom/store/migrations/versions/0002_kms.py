"""kms

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kms_aliases",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_kms_aliases")),
    )
    op.create_table(
        "kms_key_changes",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_kms_key_changes")),
    )
    op.create_table(
        "kms_keys",
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("key_usage", sa.String(length=32), nullable=False),
        sa.Column("key_spec", sa.String(length=32), nullable=False),
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("key_manager", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deletion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending_window_days", sa.Integer(), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiration_model", sa.String(length=32), nullable=True),
        sa.Column("multi_region", sa.Boolean(), nullable=False),
        sa.Column("primary_arn", sa.String(length=256), nullable=True),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.Column("rotation_enabled", sa.Boolean(), nullable=False),
        sa.Column("rotation_period_days", sa.Integer(), nullable=True),
        sa.Column("next_rotation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_demand_rotation_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("current_material_id", sa.String(length=64), nullable=True),
        sa.Column("custom_key_store_id", sa.String(length=64), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_kms_keys")),
        sa.UniqueConstraint("account_id", "region", "key_id", name="uq_kms_keys_account_region_key"),
    )
    with op.batch_alter_table("kms_keys", schema=None) as batch_op:
        batch_op.create_index("ix_kms_keys_primary", ["primary_arn"], unique=False)

    op.create_table(
        "kms_grants",
        sa.Column("grant_id", sa.String(length=128), nullable=False),
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("grantee_principal", sa.String(length=256), nullable=False),
        sa.Column("retiring_principal", sa.String(length=256), nullable=True),
        sa.Column("issuing_account", sa.String(length=256), nullable=False),
        sa.Column("operations", sa.Text(), nullable=False),
        sa.Column("constraints", sa.Text(), nullable=True),
        sa.Column("token", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("grantee_is_service", sa.Boolean(), nullable=False),
        sa.Column("retiring_is_service", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_grants_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("grant_id", name=op.f("pk_kms_grants")),
    )
    with op.batch_alter_table("kms_grants", schema=None) as batch_op:
        batch_op.create_index("ix_kms_grants_key", ["key_arn"], unique=False)

    op.create_table(
        "kms_import_tokens",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("wrapping_algorithm", sa.String(length=32), nullable=False),
        sa.Column("wrapping_key_spec", sa.String(length=16), nullable=False),
        sa.Column("private_key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_import_tokens_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_kms_import_tokens")),
    )
    op.create_table(
        "kms_key_materials",
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("material_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rotation_type", sa.String(length=16), nullable=True),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.Column("import_state", sa.String(length=16), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expiration_model", sa.String(length=32), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_key_materials_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_arn", "material_id", name=op.f("pk_kms_key_materials")),
    )
    op.create_table(
        "kms_key_policy_meta",
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("bypass_lockout_check", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_key_policy_meta_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_arn", name=op.f("pk_kms_key_policy_meta")),
    )
    op.create_table(
        "kms_tags",
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("tag_value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_tags_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_arn", "tag_key", name=op.f("pk_kms_tags")),
    )


def downgrade() -> None:
    op.drop_table("kms_tags")
    op.drop_table("kms_key_policy_meta")
    op.drop_table("kms_key_materials")
    op.drop_table("kms_import_tokens")
    with op.batch_alter_table("kms_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_kms_grants_key")

    op.drop_table("kms_grants")
    with op.batch_alter_table("kms_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_kms_keys_primary")

    op.drop_table("kms_keys")
    op.drop_table("kms_key_changes")
    op.drop_table("kms_aliases")
