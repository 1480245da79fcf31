"""AWS WAF on API Gateway stages: the ``waf`` stage of the gateway's chain.

The server wires it because it joins two services that never import each other: API Gateway's data plane (the
chain, ``GatewayContext``) and WAF's enforcement (``services/wafv2/enforcement.py`` over the pure engine). The stage
runs right after ``resolve`` — the stage is known, nothing else has been decided — so WAF comes before resource
policies, API keys, authorizers and throttling, as AWS orders them ("AWS WAF is your first line of defense"), and a
blocked request never reaches route matching either (AWS WAF also inspects requests for paths the API lacks).

For the stage ARN ``arn:aws:apigateway:REGION::/restapis/ID/stages/NAME`` it looks up the associated web ACL
(polled at most once a second), builds the inspected request — the URI as the client sent it to the stage
(``/STAGE/path``), the raw query string, headers in arrival order, the body up to the web ACL's inspection limit
with its original length — and:

* Block without a custom response: API Gateway's ``WAF_FILTERED`` gateway response (403 ``{"message":"Forbidden"}``
  by default, customizable with PutGatewayResponse), as AWS answers;
* Block with a custom response, CAPTCHA (405) and Challenge (202): the engine's response;
* Allow / Count: on to the next stage, with the ``x-amzn-waf-*`` headers the rules inserted added to the request the
  integration receives.

It publishes ``$context.webaclArn``, ``$context.wafResponseCode`` and ``$context.waf.{status,latency,error}`` for
access logs. Anything failing in here lets the request through (fail open) and is logged: never a 500.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from strongroom.services.apigateway.dataplane.chain import GatewayContext
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse
from strongroom.services.apigateway.invoke.gateway import Gateway
from strongroom.services.wafv2.enforcement import Enforcer, stage_arn
from strongroom.waf.adapter import context_variables, forwarded_headers, inspection_request, is_default_block

log = logging.getLogger("strongroom.wafv2")

STAGE_NAME = "waf"
_USER_REQUEST = "/_user_request_"


def install(gateway: Gateway, enforcer: Enforcer) -> None:
    gateway.chain.insert_after("resolve", STAGE_NAME, partial(waf_stage, enforcer))


def _uri(ctx: GatewayContext) -> str:
    """The path as the client addressed the stage: ``/STAGE/path`` on the execute-api host (the LocalStack-style
    ``/restapis/ID/STAGE/_user_request_/path`` form is shown the same way), the request's own path on a custom
    domain."""
    path = ctx.request.path
    if _USER_REQUEST in path and path.startswith("/restapis/"):
        return f"/{ctx.stage}{path.split(_USER_REQUEST, 1)[1] or '/'}"
    return path or "/"


def _query_string(ctx: GatewayContext) -> str:
    http: Any = ctx.attributes.get("http")
    raw = getattr(http, "query_string", None)
    if isinstance(raw, str):
        return raw
    return "&".join(f"{k}={v}" for k, v in ctx.request.query)


def waf_stage(enforcer: Enforcer, ctx: GatewayContext) -> GatewayResponse | None:
    try:
        region = getattr(ctx.attributes.get("gateway"), "region", "")
        protection = enforcer.protection(stage_arn(region, ctx.api_id, ctx.stage))
    except Exception:
        log.exception("web ACL lookup failed; the request goes on (fail open)")
        return None
    if protection is None:
        return None
    try:
        evaluator = protection.evaluator
        tls = ctx.request.tls  # None on plain HTTP: the fingerprint fields' FallbackBehavior decides
        request = inspection_request(
            ctx.request.method,
            _uri(ctx),
            _query_string(ctx),
            ctx.request.headers,
            ctx.request.body,
            body_limit=evaluator.body_limit if evaluator is not None else 0,
            source_ip=ctx.request.source_ip,
            http_version=ctx.request.protocol,
            request_id=ctx.request_id,
            country_resolver=enforcer.ip_resolvers.country,
            region_resolver=enforcer.ip_resolvers.region,
            asn_resolver=enforcer.ip_resolvers.asn,
            ja3_fingerprint=tls.ja3_fingerprint if tls is not None else None,
            ja4_fingerprint=tls.ja4_fingerprint if tls is not None else None,
        )
        outcome = enforcer.evaluate(
            protection, request, source_name="APIGW", source_id=f"{ctx.account_id}:{ctx.api_id}:{ctx.stage}"
        )
    except Exception:
        log.exception("WAF evaluation failed; the request goes on (fail open)")
        return None
    ctx.attributes["waf"] = outcome
    ctx.context_extras.update(context_variables(outcome))
    decision = outcome.decision
    if decision is None:
        return None
    if decision.response is not None:
        if is_default_block(decision):
            raise GatewayError("WAF_FILTERED", log_reason=f"blocked by web ACL rule {decision.terminating_rule}")
        answer = decision.response
        headers = list(answer.headers)
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.insert(0, ("Content-Type", answer.content_type))
        return GatewayResponse(answer.status, headers, answer.body)
    if decision.inserted_headers:
        ctx.request.headers = forwarded_headers(ctx.request.headers, decision)
    return None
