"""Usage-plan quota counters, shared by every worker process and node: one row per (key, plan, period).

A request counts itself with one atomic upsert (``INSERT ... ON CONFLICT DO UPDATE SET used = used + 1
RETURNING used``) and is refused when the count it gets back passes the period's limit, so two processes can never
both take the last request of a period. Periods are computed on the server clock (``core.clock``), so moving the
clock in test mode moves a key into its next period, where it starts again from zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from strongroom.store.schema import metadata

if TYPE_CHECKING:
    from strongroom.store.engine import Store

usage_counters = Table(
    "apigw_usage",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("plan_id", String(16), primary_key=True),
    Column("period_start", String(32), primary_key=True),  # ISO-8601 UTC start of the quota period
    Column("used", Integer, nullable=False),
)


def count_request(store: Store, key_id: str, plan_id: str, period_start: datetime) -> int:
    """Count one request in the period; the number of requests counted in it so far, this one included."""
    period = period_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    with store.write() as conn:
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = insert(usage_counters).values(key_id=key_id, plan_id=plan_id, period_start=period, used=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=[usage_counters.c.key_id, usage_counters.c.plan_id, usage_counters.c.period_start],
            set_={"used": usage_counters.c.used + 1},
        ).returning(usage_counters.c.used)
        return int(conn.execute(upsert).scalar_one())
