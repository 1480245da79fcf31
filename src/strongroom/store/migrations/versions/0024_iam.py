"""iam: one table for IAM's smaller resources (OIDC/SAML providers, MFA devices, login profiles, instance profiles,
certificates, SSH keys, service credentials, account settings, reports) and the MFA time of a session

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "iam_objects",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "key", name=op.f("pk_iam_objects")),
    )
    op.add_column("iam_sessions", sa.Column("mfa_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("iam_sessions") as batch:
        batch.drop_column("mfa_at")
    op.drop_table("iam_objects")
