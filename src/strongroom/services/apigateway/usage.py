"""Usage-plan quota counters, shared by every worker process and node: one row per (key, plan, UTC day).

A request counts itself with one atomic upsert on today's row (``INSERT ... ON CONFLICT DO UPDATE SET used = used
+ 1 RETURNING used``) and adds the period's earlier days, which no longer change; it is refused when the total
passes the period's limit, so two processes can never both take the last request of a period. Days (not quota
periods) are what GetUsage reports: AWS answers usage as daily ``[used, remaining]`` pairs whatever the period.
Days are computed on the server clock (``core.clock``), so moving the clock in test mode moves a key into its next
period, where it starts again from zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, Integer, String, Table, func, select

from strongroom.store.engine import upsert_insert
from strongroom.store.schema import metadata

if TYPE_CHECKING:
    from strongroom.store.engine import Store

usage_counters = Table(
    "apigw_usage",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("plan_id", String(16), primary_key=True),
    # ISO-8601 UTC start of the day counted (rows written before per-day counting hold a period's first day)
    Column("period_start", String(32), primary_key=True),
    Column("used", Integer, nullable=False),
)


def _day(at: datetime | date) -> str:
    return at.strftime("%Y-%m-%dT00:00:00Z")


def count_request(store: Store, key_id: str, plan_id: str, now: datetime, period_start: datetime) -> int:
    """Count one request today; the number of requests counted in the quota period so far, this one included."""
    today = _day(now)
    with store.write() as conn:
        insert = upsert_insert(conn.dialect.name)
        stmt = insert(usage_counters).values(key_id=key_id, plan_id=plan_id, period_start=today, used=1)
        upsert = stmt.on_conflict_do_update(
            index_elements=[usage_counters.c.key_id, usage_counters.c.plan_id, usage_counters.c.period_start],
            set_={"used": usage_counters.c.used + 1},
        ).returning(usage_counters.c.used)
        used = int(conn.execute(upsert).scalar_one())
        first = _day(period_start)
        if first < today:
            earlier = conn.execute(
                select(func.coalesce(func.sum(usage_counters.c.used), 0)).where(
                    usage_counters.c.key_id == key_id,
                    usage_counters.c.plan_id == plan_id,
                    usage_counters.c.period_start >= first,
                    usage_counters.c.period_start < today,
                )
            ).scalar_one()
            used += int(earlier)
        return used


def daily_usage(
    store: Store, plan_id: str, key_ids: Iterable[str], first: date, last: date
) -> dict[str, dict[date, int]]:
    """Requests counted per key and UTC day between ``first`` and ``last`` (inclusive); keys without any are absent."""
    wanted = sorted(set(key_ids))
    if not wanted:
        return {}
    with store.read() as conn:
        rows = conn.execute(
            select(usage_counters.c.key_id, usage_counters.c.period_start, usage_counters.c.used).where(
                usage_counters.c.plan_id == plan_id,
                usage_counters.c.key_id.in_(wanted),
                usage_counters.c.period_start >= _day(first),
                usage_counters.c.period_start <= _day(last),
            )
        ).all()
    out: dict[str, dict[date, int]] = {}
    for key_id, day, used in rows:
        out.setdefault(key_id, {})[date.fromisoformat(day[:10])] = int(used)
    return out
