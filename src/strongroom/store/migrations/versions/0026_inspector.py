"""inspector: account enablement, the advisory database, coverage, findings, filters, reports

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inspector2_account_state",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "resource_type", name=op.f("pk_inspector2_account_state")),
    )
    op.create_table(
        "inspector2_advisories",
        sa.Column("advisory_id", sa.String(length=128), nullable=False),
        sa.Column("modified", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("advisory_id", name=op.f("pk_inspector2_advisories")),
    )
    op.create_table(
        "inspector2_advisory_packages",
        sa.Column("ecosystem", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("advisory_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("ecosystem", "name", "advisory_id", name=op.f("pk_inspector2_advisory_packages")),
    )
    op.create_table(
        "inspector2_coverage",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=256), nullable=False),
        sa.Column("scan_type", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=False),
        sa.Column("status_code", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=True),
        sa.Column("db_version", sa.String(length=128), nullable=True),
        sa.Column("metadata", sa.Text(), nullable=False),
        sa.Column("last_scanned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "account_id", "region", "resource_id", "scan_type", name=op.f("pk_inspector2_coverage")
        ),
    )
    op.create_table(
        "inspector2_database",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=128), nullable=False),
        sa.Column("advisories", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspector2_database")),
    )
    op.create_table(
        "inspector2_filters",
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_inspector2_filters")),
        sa.UniqueConstraint("account_id", "region", "name", name="uq_inspector2_filters_name"),
    )
    op.create_table(
        "inspector2_findings",
        sa.Column("finding_arn", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("resource_id", sa.String(length=256), nullable=False),
        sa.Column("dedup_key", sa.String(length=512), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("inspector_score", sa.Float(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("first_observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("finding_arn", name=op.f("pk_inspector2_findings")),
        sa.UniqueConstraint("account_id", "region", "dedup_key", name="uq_inspector2_findings_dedup"),
    )
    op.create_index(
        "ix_inspector2_findings_resource", "inspector2_findings", ["account_id", "region", "resource_id"], unique=False
    )
    op.create_table(
        "inspector2_reports",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_inspector2_reports")),
    )

    op.create_table(
        "inspector2_org_admins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("auto_enable", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "region", name=op.f("pk_inspector2_org_admins")),
    )
    op.create_table(
        "inspector2_members",
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("admin_account", "region", "account_id", name=op.f("pk_inspector2_members")),
    )
    op.create_index("ix_inspector2_members_account", "inspector2_members", ["account_id", "region"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_inspector2_members_account", table_name="inspector2_members")
    op.drop_table("inspector2_members")
    op.drop_table("inspector2_org_admins")
    op.drop_index("ix_inspector2_findings_resource", table_name="inspector2_findings")
    op.drop_table("inspector2_reports")
    op.drop_table("inspector2_findings")
    op.drop_table("inspector2_filters")
    op.drop_table("inspector2_database")
    op.drop_table("inspector2_coverage")
    op.drop_table("inspector2_advisory_packages")
    op.drop_table("inspector2_advisories")
    op.drop_table("inspector2_account_state")
