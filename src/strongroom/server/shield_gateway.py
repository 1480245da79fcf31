"""Shield Advanced on API Gateway: the ``shield`` stage of the gateway's chain feeds the traffic of protected stages
and custom domains to Shield's detector (``services/shield/traffic.py``).

The stage runs right after ``resolve`` and before ``waf``: Shield sees every request the resource receives,
including those its own mitigation rules (or the customer's) then block — an attack lasts as long as the flood
does, as AWS reports it. It never answers a request and never fails one (anything going wrong is logged).
"""

from __future__ import annotations

import logging
from functools import partial

from strongroom.services.apigateway.dataplane.chain import GatewayContext
from strongroom.services.apigateway.dataplane.responses import GatewayResponse
from strongroom.services.apigateway.invoke.gateway import Gateway
from strongroom.services.shield.base import domain_arn, stage_arn
from strongroom.services.shield.traffic import TrafficMonitor

log = logging.getLogger("strongroom.shield")

STAGE_NAME = "shield"
_USER_REQUEST = "/_user_request_"


def install(gateway: Gateway, monitor: TrafficMonitor) -> None:
    gateway.chain.insert_after("resolve", STAGE_NAME, partial(shield_stage, monitor))


def _url(ctx: GatewayContext) -> str:
    path = ctx.request.path
    if _USER_REQUEST in path and path.startswith("/restapis/"):
        return f"/{ctx.stage}{path.split(_USER_REQUEST, 1)[1] or '/'}"
    return path or "/"


def shield_stage(monitor: TrafficMonitor, ctx: GatewayContext) -> GatewayResponse | None:
    try:
        state = ctx.attributes.get("gateway")
        region = str(getattr(state, "region", ""))
        arns = [stage_arn(region, ctx.api_id, ctx.stage)]
        if getattr(state, "via_domain", False) and ctx.domain_name:
            arns.append(domain_arn(region, ctx.domain_name))
        monitor.observe(
            arns,
            source_ip=ctx.request.source_ip,
            url=_url(ctx),
            user_agent=ctx.request.header("User-Agent"),
            referrer=ctx.request.header("Referer"),
        )
    except Exception:
        log.exception("Shield traffic not counted; the request goes on")
    return None
