"""macie: sessions, custom data identifiers, allow lists, classification jobs, findings (sealed samples), findings
filters, members and organization administrators, settings (reveal, export, automated discovery, bucket scores),
tags

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "macie2_allow_lists",
        sa.Column("list_id", sa.String(length=22), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("status_code", sa.String(length=32), nullable=False),
        sa.Column("status_description", sa.Text(), nullable=True),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_macie2_allow_lists")),
    )
    with op.batch_alter_table("macie2_allow_lists", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_allow_lists_account", ["account_id", "region"], unique=False)

    op.create_table(
        "macie2_custom_identifiers",
        sa.Column("identifier_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("regex", sa.Text(), nullable=False),
        sa.Column("keywords", sa.Text(), nullable=False),
        sa.Column("ignore_words", sa.Text(), nullable=False),
        sa.Column("maximum_match_distance", sa.Integer(), nullable=False),
        sa.Column("severity_levels", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identifier_id", name=op.f("pk_macie2_custom_identifiers")),
    )
    with op.batch_alter_table("macie2_custom_identifiers", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_custom_identifiers_account", ["account_id", "region"], unique=False)

    op.create_table(
        "macie2_filters",
        sa.Column("filter_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("filter_id", name=op.f("pk_macie2_filters")),
    )
    with op.batch_alter_table("macie2_filters", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_filters_account", ["account_id", "region"], unique=False)

    op.create_table(
        "macie2_findings",
        sa.Column("finding_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("dedup_key", sa.String(length=1200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("samples", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("finding_id", name=op.f("pk_macie2_findings")),
    )
    with op.batch_alter_table("macie2_findings", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_findings_account", ["account_id", "region", "updated_at"], unique=False)
        batch_op.create_index("ix_macie2_findings_dedup", ["account_id", "region", "dedup_key"], unique=False)

    op.create_table(
        "macie2_jobs",
        sa.Column("job_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("job_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("client_token", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_error", sa.String(length=8), nullable=False),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("to_process", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("scanned_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("boundary", sa.Text(), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_macie2_jobs")),
    )
    with op.batch_alter_table("macie2_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_jobs_account", ["account_id", "region"], unique=False)

    op.create_table(
        "macie2_members",
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("email", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("admin_account", "region", "account_id", name=op.f("pk_macie2_members")),
    )
    with op.batch_alter_table("macie2_members", schema=None) as batch_op:
        batch_op.create_index("ix_macie2_members_account", ["account_id", "region"], unique=False)

    op.create_table(
        "macie2_org_admins",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("admin_account", sa.String(length=12), nullable=False),
        sa.Column("auto_enable", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "region", name=op.f("pk_macie2_org_admins")),
    )
    op.create_table(
        "macie2_sessions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", name=op.f("pk_macie2_sessions")),
    )
    op.create_table(
        "macie2_settings",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", "name", name=op.f("pk_macie2_settings")),
    )
    op.create_table(
        "macie2_tags",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_macie2_tags")),
    )


def downgrade() -> None:
    op.drop_table("macie2_tags")
    op.drop_table("macie2_settings")
    op.drop_table("macie2_sessions")
    op.drop_table("macie2_org_admins")
    with op.batch_alter_table("macie2_members", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_members_account")

    op.drop_table("macie2_members")
    with op.batch_alter_table("macie2_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_jobs_account")

    op.drop_table("macie2_jobs")
    with op.batch_alter_table("macie2_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_findings_dedup")
        batch_op.drop_index("ix_macie2_findings_account")

    op.drop_table("macie2_findings")
    with op.batch_alter_table("macie2_filters", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_filters_account")

    op.drop_table("macie2_filters")
    with op.batch_alter_table("macie2_custom_identifiers", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_custom_identifiers_account")

    op.drop_table("macie2_custom_identifiers")
    with op.batch_alter_table("macie2_allow_lists", schema=None) as batch_op:
        batch_op.drop_index("ix_macie2_allow_lists_account")

    op.drop_table("macie2_allow_lists")
