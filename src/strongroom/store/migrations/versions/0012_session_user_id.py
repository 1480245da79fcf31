"""iam: bind GetSessionToken sessions to the user's unique id, as role sessions are bound to the role's

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("iam_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("iam_sessions", schema=None) as batch_op:
        batch_op.drop_column("user_id")
