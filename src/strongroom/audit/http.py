"""``/_strongroom/audit/*``: the digest public keys (always) and a delivery flush (test mode only)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Protocol

import orjson

from strongroom.audit.keys import public_keys
from strongroom.audit.runtime import AuditRuntime
from strongroom.protocol.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from strongroom.audit.store import AuditLog


class AdminRuntime(AuditRuntime, Protocol):
    @property
    def audit(self) -> AuditLog: ...


def _json(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def handle_audit_admin(runtime: AdminRuntime, request: HttpRequest, path: str) -> HttpResponse | None:
    """Answer ``path`` (relative to /_strongroom/), or None when it is not an audit endpoint."""
    if path == "audit/public-keys" and request.method == "GET":
        runtime.audit.trails.keys.current()
        keys = [
            {
                "Fingerprint": k.fingerprint,
                "Value": base64.b64encode(k.der).decode(),
                "ValidityStartTime": k.valid_from.isoformat().replace("+00:00", "Z"),
                "ValidityEndTime": k.valid_to.isoformat().replace("+00:00", "Z") if k.valid_to else None,
            }
            for k in public_keys(runtime.store)
        ]
        return _json(200, {"PublicKeyList": keys})
    if path == "audit/flush" and request.method == "POST" and runtime.config.test_mode:
        files = runtime.audit.flush()
        digests = runtime.audit.trails.digest() if b"digest" in (request.query_string.encode() + request.body) else 0
        return _json(200, {"logFiles": files, "digestFiles": digests})
    return None
