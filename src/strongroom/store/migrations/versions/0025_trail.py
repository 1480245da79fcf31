"""trail: EventBridge archives, archived events, replays and endpoints; CloudTrail Lake event data stores,
queries, channels, dashboards, resource policies and Insights state

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events_archives",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=48), nullable=False),
        sa.Column("source_arn", sa.String(length=1600), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("event_pattern", sa.Text(), nullable=True),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("kms_key", sa.String(length=2048), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_archives")),
    )
    op.create_index("ix_events_archives_source", "events_archives", ["source_arn"], unique=False)
    op.create_table(
        "events_archived",
        sa.Column("seq", _SEQ, autoincrement=True, nullable=False),
        sa.Column("archive_arn", sa.String(length=400), nullable=False),
        sa.Column("event_time", _TZ, nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events_archived")),
    )
    op.create_index("ix_events_archived_archive", "events_archived", ["archive_arn", "event_time"], unique=False)
    op.create_table(
        "events_replays",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source_arn", sa.String(length=1600), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("event_start", _TZ, nullable=False),
        sa.Column("event_end", _TZ, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("last_replayed", _TZ, nullable=True),
        sa.Column("started_at", _TZ, nullable=False),
        sa.Column("ended_at", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_replays")),
    )
    op.create_table(
        "events_endpoints",
        sa.Column("arn", sa.String(length=400), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("endpoint_id", sa.String(length=64), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("modified_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_events_endpoints")),
    )
    op.create_table(
        "cloudtrail_event_data_stores",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("windows", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_event_data_stores")),
    )
    op.create_index("ix_cloudtrail_eds_account", "cloudtrail_event_data_stores", ["account_id", "region"], unique=False)
    op.create_table(
        "cloudtrail_queries",
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("store_arns", sa.Text(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("columns", sa.Text(), nullable=True),
        sa.Column("rows", sa.Text(), nullable=True),
        sa.Column("scanned", _SEQ, nullable=False),
        sa.Column("bytes_scanned", _SEQ, nullable=False),
        sa.Column("millis", sa.Integer(), nullable=False),
        sa.Column("delivery_uri", sa.String(length=1024), nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("query_id", name=op.f("pk_cloudtrail_queries")),
    )
    op.create_index(
        "ix_cloudtrail_queries_account", "cloudtrail_queries", ["account_id", "region", "created_at"], unique=False
    )
    op.create_table(
        "cloudtrail_lake_resources",
        sa.Column("arn", sa.String(length=512), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        sa.PrimaryKeyConstraint("arn", name=op.f("pk_cloudtrail_lake_resources")),
    )
    op.create_index(
        "ix_cloudtrail_lake_resources_kind", "cloudtrail_lake_resources", ["account_id", "region", "kind"], unique=False
    )
    op.create_table(
        "cloudtrail_resource_policies",
        sa.Column("resource_arn", sa.String(length=512), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("resource_arn", name=op.f("pk_cloudtrail_resource_policies")),
    )


def downgrade() -> None:
    op.drop_table("cloudtrail_resource_policies")
    op.drop_index("ix_cloudtrail_lake_resources_kind", table_name="cloudtrail_lake_resources")
    op.drop_table("cloudtrail_lake_resources")
    op.drop_index("ix_cloudtrail_queries_account", table_name="cloudtrail_queries")
    op.drop_table("cloudtrail_queries")
    op.drop_index("ix_cloudtrail_eds_account", table_name="cloudtrail_event_data_stores")
    op.drop_table("cloudtrail_event_data_stores")
    op.drop_table("events_endpoints")
    op.drop_table("events_replays")
    op.drop_index("ix_events_archived_archive", table_name="events_archived")
    op.drop_table("events_archived")
    op.drop_index("ix_events_archives_source", table_name="events_archives")
    op.drop_table("events_archives")
