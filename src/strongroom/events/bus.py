"""The event bus: what every service calls to publish events, and how events find their rules.

``publish`` is the internal API (services emit their native events through it); PutEvents, scheduled rules
and event-bus targets use ``route``. Routing matches the bus's enabled pattern rules and writes one outbox row
per matched target in the same transaction, so an accepted event is durable before the caller hears "ok".
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.delivery import enqueue
from strongroom.events.patterns import EventPattern, InvalidPattern, parse

if TYPE_CHECKING:
    from strongroom.events.runtime import EventsRuntime

SIGN_IN_DETAIL_TYPE = "AWS Console Sign In via CloudTrail"
API_CALL_DETAIL_TYPE = "AWS API Call via CloudTrail"


def bus_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:event-bus/{name}"


def iso_time(moment: datetime) -> str:
    """Event ``time``: ISO 8601 UTC to the second, as AWS writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_event(
    account_id: str,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    time: datetime | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """An event in AWS's envelope, keys in AWS's order."""
    return {
        "version": "0",
        "id": event_id or str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": iso_time(time or clock.now()),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }


@functools.lru_cache(maxsize=2048)
def compiled(pattern: str) -> EventPattern | None:
    """Patterns were validated when stored; one that no longer parses matches nothing instead of failing."""
    try:
        return parse(pattern)
    except InvalidPattern:
        return None


def ensure_default_bus(conn: Connection, account_id: str, region: str) -> None:
    """Every account and region has a ``default`` bus, created when first needed."""
    arn = bus_arn(account_id, region, "default")
    if conn.execute(select(model.buses.c.arn).where(model.buses.c.arn == arn)).first() is None:
        now = clock.now()
        conn.execute(
            model.buses.insert().values(
                arn=arn, account_id=account_id, region=region, name="default", created_at=now, modified_at=now
            )
        )


def archive(conn: Connection, event: dict[str, Any], source_arn: str) -> int:
    """Keep ``event`` in every enabled archive of the bus whose pattern (if any) it matches; returns count."""
    rows = conn.execute(
        select(model.archives.c.arn, model.archives.c.event_pattern).where(
            model.archives.c.source_arn == source_arn, model.archives.c.state == "ENABLED"
        )
    ).all()
    kept = 0
    for row in rows:
        pattern = compiled(row.event_pattern) if row.event_pattern else None
        if row.event_pattern and (pattern is None or not pattern.matches(event)):
            continue
        text = json.dumps(event, separators=(",", ":"))
        conn.execute(
            model.archived_events.insert().values(
                archive_arn=row.arn, event_time=clock.now(), event=text, size=len(text.encode())
            )
        )
        kept += 1
    return kept


def route(conn: Connection, event: dict[str, Any], account_id: str, region: str, bus_name: str) -> int:
    """Match ``event`` against the bus's enabled pattern rules and enqueue every matched target; returns count.

    The bus's archives keep it too (replayed events go through ``enqueue_for_rule`` and are not archived again).
    """
    archive(conn, event, bus_arn(account_id, region, bus_name))
    query = select(model.rules).where(
        model.rules.c.account_id == account_id,
        model.rules.c.region == region,
        model.rules.c.bus_name == bus_name,
        model.rules.c.state.in_(("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")),
        model.rules.c.event_pattern.is_not(None),
    )
    queued = 0
    for rule in conn.execute(query).all():
        pattern = compiled(rule.event_pattern)
        if pattern is not None and pattern.matches(event):
            queued += enqueue_for_rule(conn, event, rule.arn)
    return queued


def enqueue_for_rule(conn: Connection, event: dict[str, Any], rule_arn: str) -> int:
    rows = conn.execute(select(model.targets).where(model.targets.c.rule_arn == rule_arn)).all()
    for row in rows:
        enqueue(conn, event, rule_arn, row.target_id, row.arn, json.loads(row.spec))
    return len(rows)


def bus_exists(conn: Connection, account_id: str, region: str, name: str) -> bool:
    if name == "default":
        return True
    arn = bus_arn(account_id, region, name)
    return conn.execute(select(model.buses.c.arn).where(model.buses.c.arn == arn)).first() is not None


def publish(
    runtime: EventsRuntime,
    account_id: str,
    region: str,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: list[str],
    bus_name: str = "default",
    time: datetime | None = None,
) -> str:
    """Publish a service's native event (e.g. ``KMS CMK Rotation``); returns the event id.

    Delivery happens later, from the outbox, on the scheduler; this only has to commit.
    """
    event = build_event(account_id, region, source, detail_type, detail, resources, time)
    with runtime.store.write() as conn:
        if bus_name == "default":
            ensure_default_bus(conn, account_id, region)
        route(conn, event, account_id, region, bus_name)
    return str(event["id"])


def publish_api_call_event(runtime: EventsRuntime, record: dict[str, Any]) -> str | None:
    """Publish ``AWS API Call via CloudTrail`` for one CloudTrail record; returns the event id.

    As on AWS, read-only calls (``readOnly: true``) are not sent, the source is ``aws.<service>`` from the
    record's ``eventSource``, the detail is the record itself, and the event goes to the default bus of the
    account that received the call.
    """
    if record.get("readOnly") is True:
        return None
    event_source = str(record.get("eventSource", ""))
    service = event_source.split(".", 1)[0] if event_source else "unknown"
    identity = record.get("userIdentity") or {}
    account_id = str(record.get("recipientAccountId") or identity.get("accountId") or "")
    region = str(record.get("awsRegion") or runtime.config.default_region)
    when = _parse_time(record.get("eventTime"))
    # a console sign-in (signin.amazonaws.com) is announced under its own detail type, as on AWS
    detail_type = SIGN_IN_DETAIL_TYPE if record.get("eventType") == "AwsConsoleSignIn" else API_CALL_DETAIL_TYPE
    return publish(runtime, account_id, region, f"aws.{service}", detail_type, dict(record), [], time=when)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
