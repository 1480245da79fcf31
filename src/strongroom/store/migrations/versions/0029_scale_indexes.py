"""scale: LookupEvents indexes that end in the page order (event_time, seq), resources carry their event's time;
ListSecrets' default order indexed

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

_EVENT_INDEXES = (("name", "event_name"), ("user", "username"), ("key", "access_key_id"))
_NEW_EVENT_INDEXES = (("source", "event_source"), ("read_only", "read_only"))
_RESOURCE_INDEXES = (("name", "resource_name"), ("type", "resource_type"))


def upgrade() -> None:
    with op.batch_alter_table("audit_event_resources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_time", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE audit_event_resources SET event_time = (SELECT e.event_time FROM audit_events e "
        "WHERE e.event_id = audit_event_resources.event_id)"
    )
    with op.batch_alter_table("audit_event_resources", schema=None) as batch_op:
        for short, column in _RESOURCE_INDEXES:
            batch_op.drop_index(f"ix_audit_event_resources_account_{short}")
            batch_op.create_index(
                f"ix_audit_event_resources_account_{short}_time", ["account_id", column, "event_time"], unique=False
            )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for short, column in _EVENT_INDEXES:
            batch_op.drop_index(f"ix_audit_events_account_{short}")
            batch_op.create_index(
                f"ix_audit_events_account_{short}_time", ["account_id", column, "event_time", "seq"], unique=False
            )
        for short, column in _NEW_EVENT_INDEXES:
            batch_op.create_index(
                f"ix_audit_events_account_{short}_time", ["account_id", column, "event_time", "seq"], unique=False
            )
    with op.batch_alter_table("secretsmanager_secrets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_secretsmanager_secrets_created", ["account_id", "region", "created_at", "name"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("secretsmanager_secrets", schema=None) as batch_op:
        batch_op.drop_index("ix_secretsmanager_secrets_created")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        for short, _column in _NEW_EVENT_INDEXES:
            batch_op.drop_index(f"ix_audit_events_account_{short}_time")
        for short, column in _EVENT_INDEXES:
            batch_op.drop_index(f"ix_audit_events_account_{short}_time")
            batch_op.create_index(f"ix_audit_events_account_{short}", ["account_id", column], unique=False)
    with op.batch_alter_table("audit_event_resources", schema=None) as batch_op:
        for short, column in _RESOURCE_INDEXES:
            batch_op.drop_index(f"ix_audit_event_resources_account_{short}_time")
            batch_op.create_index(f"ix_audit_event_resources_account_{short}", ["account_id", column], unique=False)
        batch_op.drop_column("event_time")
