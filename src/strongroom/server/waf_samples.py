"""``POST /_strongroom/wafv2/samples``: sampled requests from enforcement points outside the server.

The WAF proxy and the ASGI middleware run in other processes; GetSampledRequests reads rows only the server writes,
and no public API adds them. So this one internal endpoint takes a batch of samples for one web ACL:

    {"WebAclArn": "...", "Samples": [{"MetricName", "Action", "Request": {...}, "Labels": [...],
                                      "RuleNameWithinRuleGroup", "ResponseCodeSent", "Weight"}]}

It is SigV4-signed like any AWS call (signing name ``wafv2``), and the caller must be allowed to read the web ACL
(the request is authorized as ``wafv2:GetWebACL`` on its ARN, through the same authorizer and provider as a real
GetWebACL: so the ACL must exist in the caller's account): an enforcement point reports on what it enforces.
Samples are stamped with the server clock on arrival (the proxy's clock may differ; test mode moves the server's).
Answers: 200 ``{"Recorded": n}``; 400 malformed; 403 unsigned or a bad signature; and what GetWebACL would answer a
caller not allowed to read the ACL (``AccessDeniedException``) or naming none (``WAFNonexistentItemException``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.iam import sigv4
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.services.wafv2 import enforced

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

PATH = "wafv2/samples"
MAX_SAMPLES = 1000
_ACTIONS = {"ALLOW", "BLOCK", "COUNT", "CAPTCHA", "CHALLENGE", "EXCLUDED_AS_COUNT"}


def _json(status: int, body: object) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def _check_sample(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValueError("a sample is an object")
    metric, action, req = item.get("MetricName"), item.get("Action"), item.get("Request")
    if not isinstance(metric, str) or not 1 <= len(metric) <= 255:
        raise ValueError("MetricName")
    if action not in _ACTIONS:
        raise ValueError("Action")
    if not isinstance(req, dict) or not isinstance(req.get("Headers", []), list):
        raise ValueError("Request")
    labels = item.get("Labels") or []
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ValueError("Labels")
    weight = item.get("Weight", 1)
    code = item.get("ResponseCodeSent")
    inner = item.get("RuleNameWithinRuleGroup")
    if not isinstance(weight, int) or weight < 1 or (code is not None and not isinstance(code, int)):
        raise ValueError("Weight / ResponseCodeSent")
    if inner is not None and not isinstance(inner, str):
        raise ValueError("RuleNameWithinRuleGroup")
    return item


def handle_waf_samples(runtime: Runtime, request: HttpRequest) -> HttpResponse:
    try:
        principal, region = runtime.pipeline.signed_principal(request, "wafv2")
    except sigv4.SigV4Error as exc:
        return _json(403, {"__type": "UnrecognizedClientException", "message": str(exc) or exc.kind})
    try:
        body = orjson.loads(request.body)
        arn = body["WebAclArn"]
        items = [_check_sample(s) for s in body["Samples"]]
        if not isinstance(arn, str) or len(items) > MAX_SAMPLES:
            raise ValueError("WebAclArn / too many samples")
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        return _json(400, {"__type": "WAFInvalidParameterException", "message": f"malformed samples: {exc}"})
    params = {"ARN": arn}
    try:
        ctx = runtime.pipeline.authorized_as(request, principal, region, "wafv2", "GetWebACL", params)
        handler = runtime.providers.handler("wafv2", "GetWebACL")
        assert handler is not None
        handler(ctx, params)  # the web ACL exists and is the caller's
    except AwsError as exc:
        return _json(exc.status, {"__type": exc.code, "message": exc.message})
    now = clock.now()
    for item in items:
        enforced.record_sample(
            runtime.store,
            arn,
            item["MetricName"],
            item["Request"],
            item["Action"],
            labels=item.get("Labels") or [],
            weight=item.get("Weight", 1),
            rule_name_within_rule_group=item.get("RuleNameWithinRuleGroup"),
            response_code=item.get("ResponseCodeSent"),
            at=now,
        )
    return _json(200, {"Recorded": len(items)})
