"""LookupEvents: the last 90 days of an account's management events in one region, newest first.

Data events (S3 object calls recorded for the trails that select them) are stored beside them and never shown:
"The CloudTrail Event history doesn't record data events."
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, or_, select

from strongroom.audit import model
from strongroom.audit.records import username_of
from strongroom.core.clock import clock
from strongroom.store.engine import Store

WINDOW = timedelta(days=90)
DEFAULT_MAX_RESULTS = 50


class LookupError_(Exception):
    """A LookupEvents input AWS refuses; ``code`` is the CloudTrail error shape."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Page:
    events: list[dict[str, Any]]
    next_token: str | None


# Lookups by a resource run on audit_event_resources (its own copy of the event time, indexed after the name),
# joined to their events: newest first straight off that index, however rare the resource is in the trail.
_RESOURCE_KEYS = ("ResourceType", "ResourceName")


def _filter(key: str, value: str) -> ColumnElement[bool]:
    ev, res = model.events, model.event_resources
    if key == "EventId":
        return ev.c.event_id == value
    if key == "EventName":
        return ev.c.event_name == value
    if key == "ReadOnly":
        if value not in ("true", "false"):
            raise LookupError_("InvalidLookupAttributesException", "ReadOnly attribute value must be true or false.")
        return ev.c.read_only == (value == "true")  # "=", not "IS": PostgreSQL's index answers only "="
    if key == "Username":
        return ev.c.username == value
    if key == "EventSource":
        return ev.c.event_source == value
    if key == "AccessKeyId":
        return ev.c.access_key_id == value
    if key in _RESOURCE_KEYS:
        column = res.c.resource_type if key == "ResourceType" else res.c.resource_name
        return column == value
    raise LookupError_("InvalidLookupAttributesException", f"Invalid attribute key: {key}")


def _token(fingerprint: str, event_time: datetime, seq: int) -> str:
    raw = orjson.dumps({"f": fingerprint, "t": event_time.timestamp(), "s": seq})
    return base64.urlsafe_b64encode(raw).decode()


def _untoken(token: str, fingerprint: str) -> tuple[datetime, int]:
    try:
        data = orjson.loads(base64.urlsafe_b64decode(token.encode()))
        if data["f"] != fingerprint:
            raise ValueError("token of another query")
        return datetime.fromtimestamp(float(data["t"]), UTC), int(data["s"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise LookupError_("InvalidNextTokenException", "Invalid NextToken.") from None


def lookup_events(store: Store, account_id: str, region: str, request: dict[str, Any]) -> Page:
    now = clock.now()
    attributes = request.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise LookupError_(
            "InvalidLookupAttributesException", "You cannot specify more than one lookup attribute at a time."
        )
    start: datetime | None = request.get("StartTime")
    end: datetime | None = request.get("EndTime")
    if start is not None and end is not None and start > end:
        raise LookupError_("InvalidTimeRangeException", "Start time must be before end time.")
    max_results = request.get("MaxResults") or DEFAULT_MAX_RESULTS
    if not 1 <= max_results <= DEFAULT_MAX_RESULTS:
        raise LookupError_("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    insight = request.get("EventCategory") == "insight"
    ev, res = model.events, model.event_resources
    by_resource = any(str(a.get("AttributeKey")) in _RESOURCE_KEYS for a in attributes)
    at = res.c.event_time if by_resource else ev.c.event_time
    conditions: list[ColumnElement[bool]] = [
        ev.c.account_id == account_id,
        ev.c.region == region,
        # management events by default; Insights events only when asked for (EventCategory=insight)
        ev.c.event_type == model.INSIGHT_EVENT_TYPE
        if insight
        else ev.c.event_type.not_in((model.DATA_EVENT_ROW_TYPE, model.INSIGHT_EVENT_TYPE)),
        at >= max(start or now - WINDOW, now - WINDOW),
        at <= (end or now),
    ]
    if by_resource:
        conditions.append(res.c.account_id == account_id)
    for attribute in attributes:
        conditions.append(_filter(str(attribute.get("AttributeKey")), str(attribute.get("AttributeValue"))))
    fingerprint = hashlib.sha256(
        orjson.dumps([account_id, region, attributes, str(start), str(end)], default=str)
    ).hexdigest()[:16]
    token = request.get("NextToken")
    if token:
        after_time, after_seq = _untoken(token, fingerprint)
        conditions.append(at <= after_time)  # a bound the index seeks to; the next condition is the exact one
        conditions.append(or_(at < after_time, and_(at == after_time, ev.c.seq < after_seq)))
    source = ev.join(res, res.c.event_id == ev.c.event_id) if by_resource else ev
    query = (
        select(ev.c.seq, at.label("event_time"), ev.c.record)
        .select_from(source)
        .where(*conditions)
        .order_by(at.desc(), ev.c.seq.desc())
        .limit(max_results + 1)
    )
    with store.read() as conn:
        rows = conn.execute(query).all()
    more = len(rows) > max_results
    rows = rows[:max_results]
    events, seen = [], set()  # an event naming the resource twice (ReEncrypt under one key) is shown once
    for row in rows:
        if row.seq not in seen:
            seen.add(row.seq)
            events.append(_event(row.record))
    next_token = _token(fingerprint, rows[-1].event_time, rows[-1].seq) if more and rows else None
    return Page(events, next_token)


def _event(raw: str) -> dict[str, Any]:
    record = orjson.loads(raw)
    identity = record.get("userIdentity") or {}
    event: dict[str, Any] = {
        "EventId": record["eventID"],
        "EventName": record.get("eventName"),
        "ReadOnly": "true" if record.get("readOnly") else "false",
        "EventTime": datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00")),
        "EventSource": record.get("eventSource"),
        "Resources": [
            {"ResourceType": r.get("type"), "ResourceName": r.get("ARN")} for r in record.get("resources") or []
        ],
        "CloudTrailEvent": raw,
    }
    if identity.get("accessKeyId"):
        event["AccessKeyId"] = identity["accessKeyId"]
    username = username_of(identity)
    if username:
        event["Username"] = username
    return {k: v for k, v in event.items() if v is not None}
