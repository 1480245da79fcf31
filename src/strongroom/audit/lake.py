"""The records CloudTrail Lake reads: the audit trail's events of one account, for an event data store's query.

Lake does not copy events: an event data store is a view over ``audit_events`` (its account, its Region or all
of them, the time it ingested), and a query reads the records through this function. See docs/cloudtrail.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import select

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
