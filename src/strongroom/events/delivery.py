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
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

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
