"""The API Gateway ``waf`` stage (server/waf_gateway.py): answers, inserted headers, and failing open."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.server import waf_gateway
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest
from strongroom.services.apigateway.dataplane.responses import GatewayError
from strongroom.services.wafv2.enforcement import Enforcer, Protection
from strongroom.waf import WafRequest, WebAclEvaluator
from strongroom.waf.adapter import SamplingPlan
from strongroom.waf.decision import Decision

ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/acl/1"


def header_rule(name: str, header: str, action: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": len(header),
        "Action": action,
        "VisibilityConfig": {"SampledRequestsEnabled": False, "MetricName": name},
        "Statement": {
            "ByteMatchStatement": {
                "FieldToMatch": {"SingleHeader": {"Name": header}},
                "SearchString": b"1",
                "PositionalConstraint": "EXACTLY",
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
    }


WEB_ACL = {
    "Name": "acl",
    "ARN": ARN,
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": {"SampledRequestsEnabled": False, "MetricName": "acl"},
    "CustomResponseBodies": {"b": {"ContentType": "TEXT_PLAIN", "Content": "no"}},
    "Rules": [
        header_rule("block", "x-b", {"Block": {}}),
        header_rule(
            "custom", "x-cu", {"Block": {"CustomResponse": {"ResponseCode": 418, "CustomResponseBodyKey": "b"}}}
        ),
        header_rule(
            "count", "x-count", {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "c", "Value": "1"}]}}}
        ),
    ],
}


class Exploding(WebAclEvaluator):
    def evaluate(self, request: WafRequest, now: float) -> Decision:
        raise RuntimeError("engine bug")


def enforcer_with(evaluator: WebAclEvaluator | None, error: str | None = None) -> Enforcer:
    enforcer = Enforcer(SimpleNamespace())  # type: ignore[arg-type]  # nothing here touches the runtime
    protection = Protection(
        ARN, "acl", "111122223333", "us-east-1", (), evaluator, SamplingPlan.of(WEB_ACL), error=error
    )
    enforcer.protection = lambda _arn: protection  # type: ignore[method-assign]
    return enforcer


def context(*headers: tuple[str, str]) -> GatewayContext:
    request = GatewayRequest("GET", "/restapis/a/test/_user_request_/x", headers=list(headers), source_ip="10.0.0.1")
    ctx = GatewayContext(request=request, request_id="r", account_id="111122223333", api_id="a", stage="test")
    ctx.attributes["gateway"] = SimpleNamespace(region="us-east-1")
    return ctx


def test_block_custom_response_and_inserted_headers() -> None:
    enforcer = enforcer_with(WebAclEvaluator(WEB_ACL))
    with pytest.raises(GatewayError) as blocked:
        waf_gateway.waf_stage(enforcer, context(("x-b", "1")))
    assert blocked.value.response_type == "WAF_FILTERED"
    answer = waf_gateway.waf_stage(enforcer, context(("x-cu", "1")))
    assert answer is not None and (answer.status, answer.body) == (418, b"no")
    assert answer.header("Content-Type") == "text/plain"
    ctx = context(("x-count", "1"), ("x-amzn-waf-c", "forged"))
    assert waf_gateway.waf_stage(enforcer, ctx) is None
    assert ctx.request.headers == [("x-count", "1"), ("x-amzn-waf-c", "1")]
    assert ctx.context_extras["webaclArn"] == ARN and ctx.context_extras["wafResponseCode"] == "WAF_ALLOW"
    enforcer.close()


def test_failures_let_the_request_through() -> None:
    ctx = context(("x-b", "1"))
    assert waf_gateway.waf_stage(enforcer_with(Exploding(WEB_ACL)), ctx) is None
    assert ctx.context_extras["waf"]["error"] == "evaluation failed: RuntimeError"
    ctx = context(("x-b", "1"))
    assert waf_gateway.waf_stage(enforcer_with(None, "web ACL not compiled: x"), ctx) is None
    assert ctx.context_extras["waf"]["error"] == "web ACL not compiled: x"
    broken = enforcer_with(None)

    def lookup_fails(_arn: str) -> Protection:
        raise OSError("database down")

    broken.protection = lookup_fails  # type: ignore[method-assign]
    assert waf_gateway.waf_stage(broken, context(("x-b", "1"))) is None


def test_uri_is_what_the_client_sent_to_the_stage() -> None:
    ctx = context()
    assert waf_gateway._uri(ctx) == "/test/x"
    ctx.request.path = "/test/pets/%2e%2e"
    assert waf_gateway._uri(ctx) == "/test/pets/%2e%2e"
