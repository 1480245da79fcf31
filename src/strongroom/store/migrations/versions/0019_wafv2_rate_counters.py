"""wafv2: rate-based rule counters shared by every node (per counter digest and time bucket)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wafv2_rate_counters",
        sa.Column("counter", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("counter", "bucket", name=op.f("pk_wafv2_rate_counters")),
    )
    op.create_index("ix_wafv2_rate_counters_expires", "wafv2_rate_counters", ["expires"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_wafv2_rate_counters_expires", table_name="wafv2_rate_counters")
    op.drop_table("wafv2_rate_counters")
