"""The scheduler's table: one row per scheduled job, with a lease so one node runs it."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

jobs = Table(
    "scheduler_jobs",
    metadata,
    Column("job_id", String(200), primary_key=True),  # kind + ":" + key, unique per logical job
    Column("kind", String(64), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("payload", Text, nullable=False, default="{}"),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Index("ix_scheduler_jobs_due", "due_at"),
)
