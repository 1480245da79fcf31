"""``GET /_strongroom/health``: answered without the rest of the admin endpoints (``server/admin.py``).

Health is what every supervisor and test polls while the server starts; the other admin endpoints import ~0.5 s of
modules (CloudTrail, ACM PCA, Lambda, the console's sign-in) that neither it nor an AWS API call needs, so the
app imports those with the first request for them.
"""

from __future__ import annotations

from typing import Protocol

import orjson

from strongroom.keyring.seal import Seal
from strongroom.protocol.http import HttpRequest, HttpResponse

PREFIX = "/_strongroom/"
HEALTH = PREFIX + "health"


class HealthRuntime(Protocol):
    @property
    def seal(self) -> Seal: ...


def is_health(request: HttpRequest) -> bool:
    return request.method in ("GET", "HEAD") and request.path.rstrip("/") == HEALTH


def json_response(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def handle_health(runtime: HealthRuntime, ready: bool) -> HttpResponse:
    if not ready:
        return json_response(503, {"status": "starting"})
    return json_response(200, {"status": "ok", "sealed": runtime.seal.is_sealed, "seal": seal_status(runtime.seal)})


def seal_status(seal: Seal) -> dict[str, object]:
    status = getattr(seal, "status", None)
    return dict(status()) if callable(status) else {"provider": seal.name, "sealed": seal.is_sealed}
