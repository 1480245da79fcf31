"""LookupEvents and ListPublicKeys: reading the event history and the digest keys."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from strongroom.audit.keys import public_keys
from strongroom.audit.lookup import LookupError_, lookup_events
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base.family import ServiceBase
from strongroom.services.cloudtrail.errors import InvalidTimeRangeException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

KEY_VALIDITY = timedelta(days=365)


class EventHistoryOperations(ServiceBase):
    def lookup_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.runtime.audit.drain()  # this node's read-only calls may still be lingering in the writer
        try:
            page = lookup_events(self.runtime.store, ctx.account_id, ctx.region, request)
        except LookupError_ as exc:
            raise AwsError(exc.message, code=exc.code, status=400) from None
        out: dict[str, Any] = {"Events": page.events}
        if page.next_token:
            out["NextToken"] = page.next_token
        return out

    def list_public_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.runtime.audit.trails.keys.current()  # the key exists before anyone asks to validate with it
        now = clock.now()
        start = request.get("StartTime") or now - timedelta(days=1)
        end = request.get("EndTime") or now
        if start > end:
            raise InvalidTimeRangeException("Start time must be before end time.")
        found = []
        for key in public_keys(self.runtime.store):
            valid_to = key.valid_to or now + KEY_VALIDITY
            if key.valid_from <= end and valid_to >= start:
                found.append(
                    {
                        "Value": key.der,
                        "ValidityStartTime": key.valid_from,
                        "ValidityEndTime": valid_to,
                        "Fingerprint": key.fingerprint,
                    }
                )
        return {"PublicKeyList": found}
