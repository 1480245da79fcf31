"""The server's own endpoints under ``/_strongroom/``: health, metrics, and the test-mode controls."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import delete

from strongroom.audit.http import handle_audit_admin
from strongroom.core.clock import clock
from strongroom.iam.model import access_keys, accounts
from strongroom.keyring.unseal import handle_unseal
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.scheduler.jobs import CLOCK_OFFSET_SETTING, advance_clock, announce_clock
from strongroom.server.console import API_PREFIX as CONSOLE_API
from strongroom.server.console import handle_console_api
from strongroom.server.health import PREFIX, handle_health, is_health
from strongroom.server.waf_samples import PATH as WAF_SAMPLES
from strongroom.server.waf_samples import handle_waf_samples
from strongroom.services.acm_pca.http import handle_pca_http
from strongroom.services.lambda_.code_url import serve_code
from strongroom.store.schema import all_tables
from strongroom.store.settings import get_setting, put_setting

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

log = logging.getLogger("strongroom.admin")

ADMIN_KEY_SETTING = "admin_access_key_id"


def _json(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


NOT_FOUND = _json(404, {"message": "Not Found"})


def handle_admin(runtime: Runtime, request: HttpRequest, ready: bool) -> HttpResponse:
    path = request.path[len(PREFIX) :].rstrip("/")
    if is_health(request):  # the app answers it itself (server/health.py); kept for callers of this function
        return handle_health(runtime, ready)
    if path == "unseal" and request.method == "POST":
        status, body = handle_unseal(
            runtime.seal, request.client_ip, request.headers.get("content-type", ""), request.body
        )
        return _json(status, body)
    if path == "metrics" and request.method == "GET":
        return HttpResponse(200, [("Content-Type", "text/plain; version=0.0.4")], runtime.metrics.render())
    if path.startswith("audit/"):
        if path == "audit/flush" and runtime.config.test_mode:
            runtime.wait_providers()  # a delivery flush runs CloudTrail's jobs, registered as the providers load
        return handle_audit_admin(runtime, request, path) or NOT_FOUND
    if path.startswith("pca/"):
        return handle_pca_http(runtime, request)
    if path.startswith("lambda/code/"):
        return serve_code(runtime, request, path)
    if path.startswith(CONSOLE_API):
        return handle_console_api(runtime, request, path[len(CONSOLE_API) :]) or NOT_FOUND
    if path == WAF_SAMPLES and request.method == "POST":
        return handle_waf_samples(runtime, request)  # SigV4-signed: samples from the WAF proxy / middleware
    if not runtime.config.test_mode:
        return NOT_FOUND
    if request.method == "POST":
        # A clock advance runs every job that became due, and a reset clears every provider's caches: both need
        # every provider, which the server loads behind its listener (server/app.py).
        runtime.wait_providers()
    if path == "clock" and request.method == "POST":
        return _advance_clock(runtime, request)
    if path == "clock" and request.method == "GET":
        runtime.pipeline.follow_clock()  # as a request would: the clock another worker moved
        # node: which `--workers` process answered, so tests can reach each one over its own connection
        return _json(200, {"now": _iso(clock.now()), "offset": clock.offset, "node": runtime.node_id})
    if path == "reset" and request.method == "POST":
        reset_state(runtime)
        return _json(200, {"reset": True})
    return NOT_FOUND


def _advance_clock(runtime: Runtime, request: HttpRequest) -> HttpResponse:
    try:
        body = orjson.loads(request.body or b"{}")
        seconds = float(body.get("advance", 0))
    except (orjson.JSONDecodeError, TypeError, ValueError, AttributeError):
        return _json(400, {"message": 'expected {"advance": SECONDS}'})
    if seconds < 0:
        return _json(400, {"message": "the clock only moves forward"})
    # Store the records of the calls made so far first: the writer stamps a record's recorded_at when it commits
    # it, so a record still queued would be stamped after the jump and miss the trail delivery the jump runs.
    runtime.audit.drain()
    now = advance_clock(runtime.store, runtime.scheduler, seconds)
    return _json(200, {"now": _iso(now)})


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def reset_state(runtime: Runtime) -> None:
    """Wipe every table except the init account and its admin key, and every cache."""
    keep_key = get_setting(runtime.store, ADMIN_KEY_SETTING)
    metadata = all_tables()
    with runtime.store.write() as conn:
        for table in reversed(metadata.sorted_tables):
            stmt = delete(table)
            if table is accounts:
                stmt = stmt.where(accounts.c.is_init.is_(False))
            elif table is access_keys:
                stmt = stmt.where(access_keys.c.access_key_id != (keep_key or ""))
            elif table.name == "settings":
                stmt = stmt.where(table.c.name != ADMIN_KEY_SETTING)
            conn.execute(stmt)
    # Stored as 0, not left absent: the other nodes adopt the stored offset (``Scheduler.refresh_clock``) and keep
    # theirs when there is none, so with the row gone they stayed in the moved future after a reset.
    put_setting(runtime.store, CLOCK_OFFSET_SETTING, "0")
    clock.set_offset(0)
    announce_clock(runtime.store)
    runtime.accounts.forget()
    for provider in runtime.providers.all_providers():
        reset = getattr(provider, "reset", None)
        if callable(reset):
            reset()
    if keep_key:
        put_setting(runtime.store, ADMIN_KEY_SETTING, keep_key)
    log.warning("state reset (test mode)")
