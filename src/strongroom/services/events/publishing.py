"""PutEvents and TestEventPattern: what callers put on a bus, and the matcher they can try patterns with."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from strongroom.core.clock import clock
from strongroom.events.bus import build_event, bus_exists, ensure_default_bus, route
from strongroom.events.patterns import InvalidPattern, error_message, parse
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import InvalidEventPatternException, ValidationException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_REQUEST_BYTES = 256 * 1024
REQUIRED_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def entry_size(entry: dict[str, Any]) -> int:
    """AWS's PutEvents size accounting: 14 bytes for Time plus the UTF-8 length of the other fields."""
    size = 14 if entry.get("Time") is not None else 0
    for field in ("Source", "DetailType", "Detail"):
        if entry.get(field):
            size += len(str(entry[field]).encode())
    for resource in entry.get("Resources") or []:
        size += len(resource.encode())
    return size


def _invalid(field: str) -> dict[str, str]:
    return {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": f"Parameter {field} is not valid. Reason: {field} is a required argument.",
    }


def _other_account_bus(ctx: RequestContext, name: str | None) -> tuple[str, str] | None:
    """(owner account, bus name) when ``name`` is the ARN of another account's bus in this Region."""
    if not name or not name.startswith("arn:"):
        return None
    parts = name.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("event-bus/") and parts[3] == ctx.region and parts[4] != ctx.account_id:
        return parts[4], parts[5][len("event-bus/") :]
    return None


class PublishingOperations(EventsBase):
    def put_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        entries = request["Entries"]
        if sum(entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        results: list[dict[str, Any]] = []
        failed = 0
        with self.runtime.store.write() as conn:
            ensure_default_bus(conn, ctx.account_id, ctx.region)
            for entry in entries:
                result = self._put_one(conn, ctx, entry)
                failed += "ErrorCode" in result
                results.append(result)
        return {"FailedEntryCount": failed, "Entries": results}

    def _put_one(self, conn: Any, ctx: RequestContext, entry: dict[str, Any]) -> dict[str, Any]:
        for field in ("Source", "DetailType", "Detail"):
            if not entry.get(field):
                return _invalid(field)
        try:
            detail = json.loads(entry["Detail"])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        if entry["Source"].startswith("aws."):
            return {"ErrorCode": "NotAuthorizedForSourceException", "ErrorMessage": "Not authorized for the source."}
        owner, bus_region = ctx.account_id, ctx.region
        name = entry.get("EventBusName")
        try:
            target = _other_account_bus(ctx, name)
            if target is not None:
                # Cross-account delivery: the authorizer already checked the bus's policy (access.checks).
                owner, bus = target
            else:
                bus = self.bus_name(ctx, name)
        except Exception as exc:  # a malformed ARN fails this entry only
            return {"ErrorCode": getattr(exc, "code", "InvalidArgument"), "ErrorMessage": str(exc)}
        if not bus_exists(conn, owner, bus_region, bus):
            return {"ErrorCode": "ResourceNotFoundException", "ErrorMessage": f"Event bus {bus} does not exist."}
        when = entry.get("Time")
        event = build_event(
            ctx.account_id,
            ctx.region,
            entry["Source"],
            entry["DetailType"],
            detail,
            entry.get("Resources") or [],
            when if isinstance(when, datetime) else clock.now(),
        )
        route(conn, event, owner, bus_region, bus)
        return {"EventId": event["id"]}

    def test_event_pattern(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            pattern = parse(request["EventPattern"])
        except InvalidPattern as exc:
            raise InvalidEventPatternException(error_message(str(exc))) from None
        try:
            event = json.loads(request["Event"])
        except ValueError:
            raise ValidationException("Parameter Event is not valid.") from None
        if not isinstance(event, dict):
            raise ValidationException("Parameter Event is not valid.")
        for field in REQUIRED_EVENT_FIELDS:
            if field not in event:
                raise ValidationException(
                    f"Parameter Event is not valid. Reason: Provided Event is missing required field {field}."
                )
        return {"Result": pattern.matches(event)}
