"""macie: invitations (members outside the organization) and usage (bytes classified per run)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "macie2_invitations",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("invitation_id", sa.String(length=32), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "admin_account", name=op.f("pk_macie2_invitations")),
    )
    op.create_table(
        "macie2_usage",
        sa.Column("usage_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("usage_type", sa.String(length=40), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("objects", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("usage_id", name=op.f("pk_macie2_usage")),
    )
    with op.batch_alter_table("macie2_usage", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_usage_account", ["account_id", "region", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("macie2_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_usage_account")
    op.drop_table("macie2_usage")
    op.drop_table("macie2_invitations")
