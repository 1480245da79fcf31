"""The durable outbox: at-least-once delivery with AWS's retry policy, then dead-lettering.

Each matched (event, target) is a row of ``events_outbox`` plus a scheduler job ``events-deliver:<id>``, both
written in the transaction that accepted the event. The scheduler runs the job on exactly one node; a failed
attempt re-schedules the job after an exponential backoff, on the server clock. A node killed mid-attempt
leaves the job leased until the lease expires, then another run takes it: a target may see an event twice,
never zero times (at-least-once, as on AWS).

An entry is dead-lettered when its retries are spent (``MaximumRetryAttempts``, default 185), when it is older
than ``MaximumEventAgeInSeconds`` (default 86400), or at once for errors AWS does not retry (most 4xx). On AWS
the event then goes to the target's DeadLetterConfig SQS queue; Strongroom has no SQS yet, so the row is kept
with state ``DEAD_LETTERED``, the reason, the last error and the configured queue ARN.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.transform import TransformError, transform
from strongroom.scheduler.jobs import schedule_job

if TYPE_CHECKING:
    from strongroom.store.engine import Store

JOB_KIND = "events-deliver"
DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_AGE = 86400
BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
PENDING, DELIVERED, DEAD = "PENDING", "DELIVERED", "DEAD_LETTERED"


class DeliveryError(Exception):
    """A failed attempt; ``retryable`` follows AWS (network errors, 401/407/409/429/5xx are retried)."""

    def __init__(self, message: str, *, retryable: bool = True, code: str = "SDK_CLIENT_ERROR") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class Throttled(Exception):
    """The destination's InvocationRateLimitPerSecond is used up: try again later without counting an attempt."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"rate limited for {wait:.3f}s")
        self.wait = wait


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failures: 1, 2, 4, ... capped at 5 minutes."""
    return float(min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP))


def retry_policy(spec: dict[str, Any]) -> tuple[int, int]:
    policy = spec.get("RetryPolicy") or {}
    retries = policy.get("MaximumRetryAttempts")
    age = policy.get("MaximumEventAgeInSeconds")
    return (DEFAULT_MAX_RETRIES if retries is None else int(retries), DEFAULT_MAX_AGE if age is None else int(age))


def enqueue(
    conn: Connection, event: dict[str, Any], rule_arn: str, target_id: str, target_arn: str, spec: dict[str, Any]
) -> str:
    """Add one delivery to the outbox inside the caller's transaction; returns the outbox id."""
    now = clock.now()
    outbox_id = uuid.uuid4().hex
    try:
        payload = transform(event, spec, rule_arn)
        state, reason, error = PENDING, None, None
    except TransformError as exc:
        payload, state, reason, error = "", DEAD, "InvalidInput", str(exc)
    conn.execute(
        model.outbox.insert().values(
            id=outbox_id,
            account_id=event["account"],
            region=event["region"],
            event_id=event["id"],
            rule_arn=rule_arn,
            target_id=target_id,
            target_arn=target_arn,
            event=json.dumps(event, separators=(",", ":")),
            payload=payload,
            target_spec=json.dumps(spec, separators=(",", ":")),
            event_time=now,
            state=state,
            attempts=0,
            next_attempt_at=now if state == PENDING else None,
            last_error=error,
            dead_reason=reason,
            dead_letter_arn=(spec.get("DeadLetterConfig") or {}).get("Arn") if state == DEAD else None,
        )
    )
    if state == PENDING:
        schedule_job(conn, JOB_KIND, outbox_id, now)
    return outbox_id


def mark_delivered(conn: Connection, outbox_id: str) -> bool:
    """Inside the transaction that made the delivery's effect (log, event bus targets): exactly once."""
    changed = conn.execute(
        update(model.outbox)
        .where(model.outbox.c.id == outbox_id, model.outbox.c.state == PENDING)
        .values(state=DELIVERED, delivered_at=clock.now(), next_attempt_at=None)
    ).rowcount
    return bool(changed)


def list_outbox(store: Store, state: str | None = None, rule_arn: str | None = None) -> list[dict[str, Any]]:
    """Outbox rows for the CLI and tests (newest last); payloads included, they are the user's own events."""
    query = select(model.outbox).order_by(model.outbox.c.event_time, model.outbox.c.id)
    if state is not None:
        query = query.where(model.outbox.c.state == state)
    if rule_arn is not None:
        query = query.where(model.outbox.c.rule_arn == rule_arn)
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "id": r.id,
            "eventId": r.event_id,
            "ruleArn": r.rule_arn,
            "targetId": r.target_id,
            "targetArn": r.target_arn,
            "state": r.state,
            "attempts": r.attempts,
            "lastError": r.last_error,
            "deadLetterReason": r.dead_reason,
            "deadLetterArn": r.dead_letter_arn,
            "eventTime": r.event_time.isoformat(),
            "deliveredAt": r.delivered_at.isoformat() if r.delivered_at else None,
            "payload": r.payload,
        }
        for r in rows
    ]


def delivery_state(conn: Connection, rule_arn: str, since: datetime, bucket_seconds: int) -> dict[str, Any]:
    """What the outbox knows of one rule's deliveries, per target, for the console.

    AWS shows this as CloudWatch metrics (``Invocations``, ``FailedInvocations``, ``DeadLetterInvocations``,
    ``RetryInvocationAttempts`` per rule); Strongroom has no CloudWatch metrics, so the outbox rows are counted.
    Counts cover every row the outbox holds for the rule; ``series`` buckets the events accepted since ``since``
    by their outcome so far. Neither payloads nor events are returned: only states, times and error texts.
    """
    c = model.outbox.c
    targets: dict[str, dict[str, Any]] = {}

    def target(row: Any) -> dict[str, Any]:
        return targets.setdefault(
            row.target_id,
            {
                "targetId": row.target_id,
                "targetArn": row.target_arn,
                PENDING: 0,
                DELIVERED: 0,
                DEAD: 0,
                "failedAttempts": 0,
                "lastDelivery": None,
                "lastFailure": None,
            },
        )

    counts = conn.execute(
        select(
            c.target_id,
            c.target_arn,
            c.state,
            func.count(),
            func.sum(c.attempts),
            func.max(c.delivered_at),
        )
        .where(c.rule_arn == rule_arn)
        .group_by(c.target_id, c.target_arn, c.state)
    ).all()
    for row in counts:
        entry = target(row)
        entry[row.state] = entry.get(row.state, 0) + int(row[3])
        # every attempt of a row not delivered failed; a delivered row's attempts count its failures before
        entry["failedAttempts"] += int(row[4] or 0)
        if row[5] is not None and (entry["lastDelivery"] is None or row[5] > entry["lastDelivery"]):
            entry["lastDelivery"] = row[5]
    for entry in targets.values():
        failed = conn.execute(
            select(c.event_id, c.event_time, c.state, c.attempts, c.last_error, c.dead_reason, c.dead_letter_arn)
            .where(c.rule_arn == rule_arn, c.target_id == entry["targetId"], c.last_error.is_not(None))
            .order_by(c.event_time.desc(), c.id.desc())
            .limit(1)
        ).first()
        if failed is not None:
            entry["lastFailure"] = {
                "eventId": failed.event_id,
                "eventTime": failed.event_time,
                "state": failed.state,
                "attempts": failed.attempts,
                "error": failed.last_error,
                "deadLetterReason": failed.dead_reason,
                "deadLetterArn": failed.dead_letter_arn,
            }
    series: dict[int, dict[str, int]] = {}
    start = since.timestamp()
    for event_time, state in conn.execute(
        select(c.event_time, c.state).where(c.rule_arn == rule_arn, c.event_time >= since)
    ).all():
        slot = int((event_time.timestamp() - start) // bucket_seconds)
        bucket = series.setdefault(slot, {PENDING: 0, DELIVERED: 0, DEAD: 0})
        bucket[state] = bucket.get(state, 0) + 1
    return {
        "targets": sorted(targets.values(), key=lambda t: str(t["targetId"])),
        "series": [{"start": start + slot * bucket_seconds, **series[slot]} for slot in sorted(series)],
    }
