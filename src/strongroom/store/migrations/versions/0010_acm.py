"""acm: certificates, tags, account configuration, validation records, internal issuing CA, ACME accounts

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "acm_certificates",
        sa.Column("arn", sa.String(length=256), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("domain_name", sa.String(length=253), nullable=False),
        sa.Column("sans", sa.Text(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("validation_method", sa.String(length=8), nullable=True),
        sa.Column("validation", sa.Text(), nullable=False),
        sa.Column("key_algorithm", sa.String(length=16), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("ca_arn", sa.String(length=256), nullable=True),
        sa.Column("pca_certificate_arn", sa.String(length=400), nullable=True),
        sa.Column("issuer_kind", sa.String(length=16), nullable=True),
        sa.Column("idempotency_token", sa.String(length=32), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revocation_reason", sa.String(length=32), nullable=True),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("serial", sa.String(length=128), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("issuer", sa.Text(), nullable=True),
        sa.Column("signature_algorithm", sa.String(length=32), nullable=True),
        sa.Column("key_usages", sa.Text(), nullable=False),
        sa.Column("extended_key_usages", sa.Text(), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=True),
        sa.Column("chain", sa.Text(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("failure_reason", sa.String(length=48), nullable=True),
        sa.Column("renewal", sa.Text(), nullable=True),
        sa.Column("exported", sa.Boolean(), nullable=False),
        sa.Column("issue_attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_acm_certificates")),
    )
    op.create_index("ix_acm_certificates_account_region", "acm_certificates", ["account_id", "region"])
    op.create_table(
        "acm_tags",
        sa.Column("certificate_arn", sa.String(length=256), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("certificate_arn", "key", name=op.f("pk_acm_tags")),
    )
    op.create_table(
        "acm_account_config",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("days_before_expiry", sa.Integer(), nullable=False),
        sa.Column("idempotency_token", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("account_id", "region", name=op.f("pk_acm_account_config")),
    )
    op.create_table(
        "acm_validation_records",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("name_label", sa.String(length=40), nullable=False),
        sa.Column("value_label", sa.String(length=40), nullable=False),
        sa.Column("random_label", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "domain", name=op.f("pk_acm_validation_records")),
    )
    op.create_table(
        "acm_issuing_cas",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_acm_issuing_cas")),
    )
    op.create_table(
        "acm_acme_accounts",
        sa.Column("directory_url", sa.String(length=512), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        sa.Column("account_url", sa.String(length=512), nullable=True),
        sa.PrimaryKeyConstraint("directory_url", name=op.f("pk_acm_acme_accounts")),
        sa.UniqueConstraint("account_url", name="uq_acm_acme_accounts_account_url"),
    )


def downgrade() -> None:
    op.drop_table("acm_acme_accounts")
    op.drop_table("acm_issuing_cas")
    op.drop_table("acm_validation_records")
    op.drop_table("acm_account_config")
    op.drop_table("acm_tags")
    op.drop_index("ix_acm_certificates_account_region", table_name="acm_certificates")
    op.drop_table("acm_certificates")
