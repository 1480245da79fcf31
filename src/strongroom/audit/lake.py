"""The records CloudTrail Lake reads: the audit trail's events of one account, for an event data store's query.

Lake does not copy events: an event data store is a view over ``audit_events`` (its account, its Region or all
of them, the time it ingested), and a query reads the records through this function. See docs/cloudtrail.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import orjson
from sqlalchemy import func, select

from strongroom.audit import model
from strongroom.store.engine import Store

BATCH = 2000


def records(
    store: Store, account_id: str, regions: list[str] | None, start: datetime, end: datetime
) -> Iterator[tuple[str, bool]]:
    """(record JSON, is a data event) for the account's events in [start, end], oldest first, read in batches."""
    ev = model.events
    after = -1
    while True:
        conditions = [ev.c.account_id == account_id, ev.c.event_time >= start, ev.c.event_time <= end, ev.c.seq > after]
        if regions is not None:
            conditions.append(ev.c.region.in_(regions))
        query = select(ev.c.seq, ev.c.record, ev.c.event_type).where(*conditions).order_by(ev.c.seq).limit(BATCH)
        with store.read() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield row.record, row.event_type == model.DATA_EVENT_ROW_TYPE
        if len(rows) < BATCH:
            return
        after = rows[-1].seq


def call_counts(
    store: Store, account_id: str, region: str, start: datetime, end: datetime, errors: bool
) -> dict[tuple[str, str, str], int]:
    """Management calls in [start, end) by (eventSource, eventName, errorCode) for CloudTrail Insights.

    Call rates count write calls (errorCode ""), as ApiCallRateInsight does; error rates count every call that
    answered an error, by its code (read from the record: the table has no error column).
    """
    ev = model.events
    conditions = [
        ev.c.account_id == account_id,
        ev.c.region == region,
        ev.c.event_time >= start,
        ev.c.event_time < end,
        ev.c.event_type == "AwsApiCall",
    ]
    counts: dict[tuple[str, str, str], int] = {}
    with store.read() as conn:
        if not errors:
            query = (
                select(ev.c.event_source, ev.c.event_name, func.count())
                .where(*conditions, ev.c.read_only.is_(False))
                .group_by(ev.c.event_source, ev.c.event_name)
            )
            for source, name, count in conn.execute(query).all():
                counts[(source, name, "")] = int(count)
            return counts
        for (raw,) in conn.execute(select(ev.c.record).where(*conditions)).all():
            record = orjson.loads(raw)
            code = record.get("errorCode")
            if code:
                key = (str(record.get("eventSource")), str(record.get("eventName")), str(code))
                counts[key] = counts.get(key, 0) + 1
    return counts


def insight_records(store: Store, account_id: str, region: str, start: datetime, end: datetime) -> list[str]:
    """The Insights events recorded for the account and Region in [start, end], newest first (JSON)."""
    ev = model.events
    query = (
        select(ev.c.record)
        .where(
            ev.c.account_id == account_id,
            ev.c.region == region,
            ev.c.event_type == model.INSIGHT_EVENT_TYPE,
            ev.c.event_time >= start,
            ev.c.event_time <= end,
        )
        .order_by(ev.c.event_time.desc(), ev.c.seq.desc())
    )
    with store.read() as conn:
        return [row.record for row in conn.execute(query).all()]
