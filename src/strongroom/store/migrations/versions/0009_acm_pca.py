"""acm-pca: certificate authorities, issued certificates, CRLs, permissions, tags, audit reports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pca_authorities",
        sa.Column("arn", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("ca_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("previous_status", sa.String(length=32), nullable=True),
        sa.Column("usage_mode", sa.String(length=32), nullable=False),
        sa.Column("key_storage", sa.String(length=40), nullable=False),
        sa.Column("configuration", sa.Text(), nullable=False),
        sa.Column("revocation", sa.Text(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("csr", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("chain", sa.Text(), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_state_change_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("restorable_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failure_reason", sa.String(length=32), nullable=True),
        sa.Column("idempotency_token", sa.String(length=64), nullable=True),
        sa.Column("policy", sa.Text(), nullable=True),
        sa.Column("crl_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_pca_authorities")),
    )
    op.create_index("ix_pca_authorities_account_region", "pca_authorities", ["account_id", "region"])
    op.create_table(
        "pca_certificates",
        sa.Column("arn", sa.String(length=300), nullable=False),
        sa.Column("ca_arn", sa.String(length=200), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("template_arn", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=40), nullable=True),
        sa.Column("idempotency_token", sa.String(length=64), nullable=True),
        sa.Column("requester", sa.String(length=2048), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_pca_certificates")),
        sa.UniqueConstraint("ca_arn", "serial", name="uq_pca_certificates_ca_serial"),
    )
    op.create_index("ix_pca_certificates_serial", "pca_certificates", ["serial"])
    op.create_table(
        "pca_permissions",
        sa.Column("ca_arn", sa.String(length=200), nullable=False),
        sa.Column("principal", sa.String(length=128), nullable=False),
        sa.Column("source_account", sa.String(length=12), nullable=False),
        sa.Column("actions", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ca_arn", "principal", name=op.f("pk_pca_permissions")),
    )
    op.create_table(
        "pca_tags",
        sa.Column("ca_arn", sa.String(length=200), nullable=False),
        sa.Column("tag_key", sa.String(length=128), nullable=False),
        sa.Column("tag_value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("ca_arn", "tag_key", name=op.f("pk_pca_tags")),
    )
    op.create_table(
        "pca_audit_reports",
        sa.Column("report_id", sa.String(length=64), nullable=False),
        sa.Column("ca_arn", sa.String(length=200), nullable=False),
        sa.Column("bucket", sa.String(length=255), nullable=False),
        sa.Column("s3_key", sa.String(length=512), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("report_format", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_pca_audit_reports")),
    )
    op.create_index("ix_pca_audit_reports_ca", "pca_audit_reports", ["ca_arn"])
    op.create_table(
        "pca_crls",
        sa.Column("ca_arn", sa.String(length=200), nullable=False),
        sa.Column("crl_number", sa.Integer(), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("this_update", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_update", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ca_arn", name=op.f("pk_pca_crls")),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_pca_audit_reports_ca", "pca_audit_reports"),
        ("ix_pca_certificates_serial", "pca_certificates"),
        ("ix_pca_authorities_account_region", "pca_authorities"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "pca_crls",
        "pca_audit_reports",
        "pca_tags",
        "pca_permissions",
        "pca_certificates",
        "pca_authorities",
    ):
        op.drop_table(table)
