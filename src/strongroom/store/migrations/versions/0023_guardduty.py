"""guardduty: detectors, findings, filters, IP and threat-intel sets, publishing destinations, members and
organization administrators, tags, the detection engine's state

Revision ID: 0023
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guardduty_destinations",
        sa.Column("destination_id", sa.String(length=32), nullable=False),
        sa.Column("detector_id", sa.String(length=32), nullable=False),
        sa.Column("destination_type", sa.String(length=8), nullable=False),
        sa.Column("destination_arn", sa.String(length=1024), nullable=False),
        sa.Column("kms_key_arn", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.String(length=48), nullable=False),
        sa.Column("failure_start", sa.BigInteger(), nullable=True),
        sa.Column("exported_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("destination_id", name=op.f("pk_guardduty_destinations")),
    )
    op.create_table(
        "guardduty_detectors",
        sa.Column("detector_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("detector_id", name=op.f("pk_guardduty_detectors")),
        sa.UniqueConstraint("account_id", "region", name="uq_guardduty_detectors_account_region"),
    )
    op.create_table(
        "guardduty_engine_state",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "key", name=op.f("pk_guardduty_engine_state")),
    )
    op.create_table(
        "guardduty_filters",
        sa.Column("detector_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("detector_id", "name", name=op.f("pk_guardduty_filters")),
    )
    op.create_table(
        "guardduty_findings",
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("detector_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.Float(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("dedup_key", sa.String(length=256), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("publish_pending", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_guardduty_findings")),
    )
    op.create_index("ix_guardduty_findings_dedup", "guardduty_findings", ["detector_id", "dedup_key"], unique=False)
    op.create_index(
        "ix_guardduty_findings_detector_updated", "guardduty_findings", ["detector_id", "updated_at"], unique=False
    )
    op.create_table(
        "guardduty_lists",
        sa.Column("list_id", sa.String(length=32), nullable=False),
        sa.Column("detector_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("expected_owner", sa.String(length=12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_guardduty_lists")),
    )
    op.create_index("ix_guardduty_lists_detector", "guardduty_lists", ["detector_id", "kind"], unique=False)
    op.create_table(
        "guardduty_members",
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("admin_detector_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("invitation_id", sa.String(length=64), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_organization", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("admin_account", "region", "account_id", name=op.f("pk_guardduty_members")),
    )
    op.create_index("ix_guardduty_members_account", "guardduty_members", ["account_id", "region"], unique=False)
    op.create_table(
        "guardduty_org_admins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("auto_enable", sa.String(length=8), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "region", name=op.f("pk_guardduty_org_admins")),
    )
    op.create_table(
        "guardduty_tags",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_guardduty_tags")),
    )


def downgrade() -> None:
    op.drop_table("guardduty_tags")
    op.drop_table("guardduty_org_admins")
    op.drop_table("guardduty_members")
    op.drop_table("guardduty_lists")
    op.drop_table("guardduty_findings")
    op.drop_table("guardduty_filters")
    op.drop_table("guardduty_engine_state")
    op.drop_table("guardduty_detectors")
    op.drop_table("guardduty_destinations")
