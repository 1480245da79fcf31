"""The enforcement points' shared steps (strongroom.waf.adapter): request view, rate scoping, forwarded headers,
sampling plan and gate, log entries, $context variables."""

from __future__ import annotations

from typing import Any

from strongroom.waf import InMemoryRateCounter, WebAclEvaluator
from strongroom.waf.adapter import (
    SampleGate,
    SamplingPlan,
    ScopedRateStore,
    WafOutcome,
    context_variables,
    forwarded_headers,
    inspection_request,
    is_default_block,
    log_entry,
    sample_request,
)

ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/acl/abcd"
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": False}


def header_is(name: str, value: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": name}},
            "SearchString": value.encode(),
            "PositionalConstraint": "EXACTLY",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def acl(rules: list[dict[str, Any]], default: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "Name": "acl",
        "ARN": ACL_ARN,
        "DefaultAction": default or {"Allow": {}},
        "VisibilityConfig": {**VIS, "MetricName": "aclmetric"},
        "Rules": rules,
    }


def rule(name: str, priority: int, statement: dict[str, Any], action: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "Action": action,
        "VisibilityConfig": {**VIS, "MetricName": f"m-{name}"},
        **kw,
    }


def test_inspection_request_cuts_the_body_and_keeps_its_length() -> None:
    req = inspection_request(
        "post", "/p", "a=1", [("Host", "h"), ("X", "y")], b"x" * 100, body_limit=10, source_ip="10.0.0.1"
    )
    assert req.method == "POST" and req.body == b"x" * 10 and req.original_body_length == 100
    assert req.headers == (("Host", "h"), ("X", "y"))


def test_scoped_rate_store_separates_web_acls() -> None:
    shared = InMemoryRateCounter()
    a, b = ScopedRateStore(shared, "acl-a"), ScopedRateStore(shared, "acl-b")
    assert [a.hit("r", "k", 1.0, 60, 10) for _ in range(3)][-1] == 3
    assert b.hit("r", "k", 1.0, 60, 10) == 1


def test_decision_helpers_block_count_and_samples() -> None:
    web_acl = acl(
        [
            rule(
                "tag",
                0,
                header_is("x-tag", "1"),
                {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "tagged", "Value": "yes"}]}}},
                RuleLabels=[{"Name": "tagged"}],
            ),
            rule("deny", 1, header_is("x-deny", "1"), {"Block": {}}),
        ]
    )
    evaluator = WebAclEvaluator(web_acl)
    plan = SamplingPlan.of(web_acl)
    blocked_req = inspection_request(
        "GET", "/", "", [("x-tag", "1"), ("x-deny", "1")], b"", body_limit=8, source_ip="1.2.3.4"
    )
    decision = evaluator.evaluate(blocked_req, now=0.0)
    assert is_default_block(decision)
    samples = plan.samples(decision, sample_request(blocked_req))
    assert {(s.metric_name, s.action) for s in samples} == {("m-deny", "BLOCK"), ("m-tag", "COUNT")}
    assert all(s.response_code == 403 for s in samples)
    allowed_req = inspection_request(
        "GET", "/", "", [("x-tag", "1"), ("x-amzn-waf-tagged", "forged")], b"", body_limit=8, source_ip="1.2.3.4"
    )
    decision = evaluator.evaluate(allowed_req, now=0.0)
    assert decision.action == "ALLOW" and not is_default_block(decision)
    assert forwarded_headers(allowed_req.headers, decision) == [("x-tag", "1"), ("x-amzn-waf-tagged", "yes")]
    assert [(s.metric_name, s.action) for s in plan.samples(decision, {})] == [
        ("aclmetric", "ALLOW"),
        ("m-tag", "COUNT"),
    ]
    variables = context_variables(WafOutcome(ACL_ARN, decision, latency_ms=1))
    assert variables["wafResponseCode"] == "WAF_ALLOW" and variables["waf"]["status"] == 200
    entry = log_entry(
        decision,
        allowed_req,
        web_acl_arn=ACL_ARN,
        timestamp_ms=1,
        logging_configuration={
            "RedactedFields": [{"SingleHeader": {"Name": "X-Tag"}}],
            "LoggingFilter": {
                "DefaultBehavior": "KEEP",
                "Filters": [
                    {
                        "Behavior": "DROP",
                        "Requirement": "MEETS_ALL",
                        "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}],
                    }
                ],
            },
        },
        http_source_name="APIGW",
        http_source_id="1:a:s",
    )
    assert entry is not None and entry["labels"] == [{"name": "awswaf:111122223333:webacl:acl:tagged"}]
    assert {"name": "x-tag", "value": "REDACTED"} in entry["httpRequest"]["headers"]


def test_sample_gate_weights_busy_rules() -> None:
    gate = SampleGate(per_minute=4)
    weights = [gate.weight("a", "m", 10.0) for _ in range(40)]
    assert weights[:4] == [1, 1, 1, 1] and 0 in weights[4:]
    assert sum(weights) >= 30  # the weights stand for the requests left out
    assert gate.weight("a", "m", 70.0) == 1  # a new minute
