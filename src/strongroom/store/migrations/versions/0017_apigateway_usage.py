"""apigateway: usage-plan quota counters (the data plane's per key, plan and period request counts)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "apigw_usage",
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("plan_id", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.String(length=32), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_id", "plan_id", "period_start", name=op.f("pk_apigw_usage")),
    )


def downgrade() -> None:
    op.drop_table("apigw_usage")
