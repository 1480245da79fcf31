"""shield: subscriptions, protections, protection groups, tags, per-minute traffic of protected resources,
detector state, attacks

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shield_subscriptions",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("auto_renew", sa.String(length=8), nullable=False),
        sa.Column("proactive", sa.String(length=8), nullable=True),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("drt_role", sa.String(length=2048), nullable=True),
        sa.Column("drt_buckets", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_shield_subscriptions")),
    )
    op.create_table(
        "shield_protections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("resource_arn", sa.String(length=2048), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("health_checks", sa.Text(), nullable=False),
        sa.Column("auto_response", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shield_protections")),
        sa.UniqueConstraint("account_id", "resource_arn", name="uq_shield_protections_resource"),
    )
    op.create_index("ix_shield_protections_resource", "shield_protections", ["resource_arn"], unique=False)
    op.create_table(
        "shield_protection_groups",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("group_id", sa.String(length=36), nullable=False),
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("aggregation", sa.String(length=8), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("resource_type", sa.String(length=32), nullable=True),
        sa.Column("members", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "group_id", name=op.f("pk_shield_protection_groups")),
    )
    op.create_table(
        "shield_tags",
        sa.Column("arn", sa.String(length=2048), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_shield_tags")),
    )
    op.create_table(
        "shield_traffic",
        sa.Column("resource_arn", sa.String(length=2048), nullable=False),
        sa.Column("window", sa.BigInteger(), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("peak_rps", sa.Integer(), nullable=False),
        sa.Column("contributors", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", "window", name=op.f("pk_shield_traffic")),
    )
    op.create_table(
        "shield_detectors",
        sa.Column("resource_arn", sa.String(length=2048), nullable=False),
        sa.Column("next_window", sa.BigInteger(), nullable=False),
        sa.Column("baseline", sa.Float(), nullable=False),
        sa.Column("learned", sa.Integer(), nullable=False),
        sa.Column("quiet", sa.Integer(), nullable=False),
        sa.Column("attack_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("resource_arn", name=op.f("pk_shield_detectors")),
    )
    op.create_table(
        "shield_attacks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("resource_arn", sa.String(length=2048), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shield_attacks")),
    )
    op.create_index("ix_shield_attacks_account_start", "shield_attacks", ["account_id", "start_time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shield_attacks_account_start", table_name="shield_attacks")
    op.drop_table("shield_attacks")
    op.drop_table("shield_detectors")
    op.drop_table("shield_traffic")
    op.drop_table("shield_tags")
    op.drop_table("shield_protection_groups")
    op.drop_index("ix_shield_protections_resource", table_name="shield_protections")
    op.drop_table("shield_protections")
    op.drop_table("shield_subscriptions")
