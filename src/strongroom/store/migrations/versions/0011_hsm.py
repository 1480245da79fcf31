"""hsm: KMS custom key stores (AWS_CLOUDHSM over PKCS#11 tokens) and the keys that live on their tokens

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kms_custom_key_stores",
        sa.Column("custom_key_store_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("store_type", sa.String(length=32), nullable=False),
        sa.Column("cluster_id", sa.String(length=24), nullable=False),
        sa.Column("trust_anchor", sa.Text(), nullable=False),
        sa.Column("password_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("connection_state", sa.String(length=16), nullable=False),
        sa.Column("connection_error_code", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("custom_key_store_id", name=op.f("pk_kms_custom_key_stores")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_kms_custom_key_stores_account_region_name"),
    )
    op.create_table(
        "kms_hsm_keys",
        sa.Column("key_arn", sa.String(length=256), nullable=False),
        sa.Column("custom_key_store_id", sa.String(length=64), nullable=False),
        sa.Column("object_label", sa.String(length=128), nullable=False),
        sa.Column("prior_state", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["key_arn"], ["kms_keys.arn"], name=op.f("fk_kms_hsm_keys_key_arn_kms_keys"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("key_arn", name=op.f("pk_kms_hsm_keys")),
    )
    op.create_index("ix_kms_hsm_keys_store", "kms_hsm_keys", ["custom_key_store_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_kms_hsm_keys_store", table_name="kms_hsm_keys")
    op.drop_table("kms_hsm_keys")
    op.drop_table("kms_custom_key_stores")
