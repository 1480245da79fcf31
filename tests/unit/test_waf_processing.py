"""Web ACL processing: priorities, Count, labels across rules and groups, rate limits, actions, tokens, logs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.waf import (
    DEFAULT_BLOCK_BODY,
    EmptyManagedRules,
    InMemoryRateCounter,
    ManagedGroup,
    StaticManagedRules,
    WafCompileError,
    WafRequest,
    WebAclEvaluator,
    issue_token,
)
from strongroom.waf.logs import log_record, should_log
from strongroom.waf.tokens import token_state

ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/acl/abcd"
NS = "awswaf:111122223333:webacl:acl:"
GROUP = "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/grp/1"
GNS = "awswaf:111122223333:rulegroup:grp:"
KEY = b"k" * 32


def path_is(p: str) -> dict:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"UriPath": {}},
            "SearchString": p.encode(),
            "PositionalConstraint": "EXACTLY",
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def any_path() -> dict:
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": {"UriPath": {}},
            "ComparisonOperator": "GE",
            "Size": 0,
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def label_is(key: str, scope: str = "LABEL") -> dict:
    return {"LabelMatchStatement": {"Scope": scope, "Key": key}}


def rule(name: str, prio: int, stmt: dict, action: dict | None = None, **extra: Any) -> dict:
    return {
        "Name": name,
        "Priority": prio,
        "Statement": stmt,
        "Action": action or {"Block": {}},
        "VisibilityConfig": {"MetricName": f"m-{name}"},
        **extra,
    }


def acl(rules: list[dict], default: dict | None = None, **extra: Any) -> dict:
    return {"Name": "acl", "ARN": ACL_ARN, "DefaultAction": default or {"Allow": {}}, "Rules": rules, **extra}


def req(path: str = "/", **kw: Any) -> WafRequest:
    kw.setdefault("headers", (("Host", "app.example.com"),))
    return WafRequest(method="GET", uri_path=path, **kw)


def test_priority_order_first_terminating_wins() -> None:
    ev = WebAclEvaluator(
        acl([rule("late-block", 5, any_path()), rule("early-allow", 1, path_is("/ok"), {"Allow": {}})])
    )
    d = ev.evaluate(req("/ok"), 0)
    assert (d.action, d.terminating_rule) == ("ALLOW", "early-allow")
    d = ev.evaluate(req("/other"), 0)
    assert (d.action, d.terminating_rule, d.metrics) == ("BLOCK", "late-block", ["m-late-block"])


def test_default_action_block_and_custom_response() -> None:
    bodies = {"denied": {"ContentType": "APPLICATION_JSON", "Content": '{"error":"denied"}'}}
    default = {
        "Block": {
            "CustomResponse": {
                "ResponseCode": 429,
                "CustomResponseBodyKey": "denied",
                "ResponseHeaders": [{"Name": "retry-after", "Value": "5"}],
            }
        }
    }
    d = WebAclEvaluator(acl([], default, CustomResponseBodies=bodies)).evaluate(req(), 0)
    assert d.terminating_rule == "Default_Action" and d.action == "BLOCK"
    assert d.response is not None and d.response.status == 429
    assert d.response.content_type == "application/json" and d.response.body == b'{"error":"denied"}'
    assert d.response.headers == [("retry-after", "5")]
    plain = WebAclEvaluator(acl([], {"Block": {}})).evaluate(req(), 0)
    assert plain.response is not None and plain.response.status == 403
    assert plain.response.body == DEFAULT_BLOCK_BODY.encode() and b"403 Forbidden" in plain.response.body


def test_count_continues_adds_labels_and_later_rules_see_them() -> None:
    rules = [
        rule(
            "tag",
            0,
            path_is("/x"),
            {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "tagged", "Value": "1"}]}}},
            RuleLabels=[{"Name": "suspicious:path"}],
        ),
        rule("by-name", 1, label_is("path"), {"Count": {}}),
        rule("by-ns", 2, label_is("suspicious:", "NAMESPACE"), {"Count": {}}),
        rule(
            "by-fq",
            3,
            label_is(NS + "suspicious:path"),
            {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "ok", "Value": "y"}]}}},
        ),
    ]
    d = WebAclEvaluator(acl(rules, {"Block": {}})).evaluate(req("/x"), 0)
    assert d.action == "ALLOW" and d.terminating_rule == "by-fq"
    assert d.labels == [NS + "suspicious:path"]
    assert [m.rule for m in d.count_matches] == ["tag", "by-name", "by-ns"]
    assert d.inserted_headers == [("x-amzn-waf-tagged", "1"), ("x-amzn-waf-ok", "y")]
    # labels are only visible to rules evaluated after the one that added them
    later_first = [
        rule("reader", 0, label_is("path")),
        rule("tag", 1, path_is("/x"), {"Count": {}}, RuleLabels=[{"Name": "path"}]),
    ]
    assert WebAclEvaluator(acl(later_first)).evaluate(req("/x"), 0).action == "ALLOW"


def _group(rules: list[dict]) -> dict:
    return {
        "Name": "grp",
        "ARN": GROUP,
        "Rules": rules,
        "CustomResponseBodies": {"g": {"ContentType": "TEXT_PLAIN", "Content": "group says no"}},
    }


GROUP_RULES = [
    rule("g-tag", 0, path_is("/g"), {"Count": {}}, RuleLabels=[{"Name": "seen"}]),
    rule(
        "g-block",
        1,
        label_is("seen"),
        {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "g"}}},
    ),
]


def _group_acl(**ref: Any) -> WebAclEvaluator:
    stmt = {"RuleGroupReferenceStatement": {"ARN": GROUP, **ref}}
    rules = [
        {
            "Name": "use-grp",
            "Priority": 1,
            "Statement": stmt,
            "OverrideAction": ref.pop("_override", {"None": {}}),
            "VisibilityConfig": {"MetricName": "grp"},
        },
        rule("after", 2, label_is(GNS, "NAMESPACE"), {"Count": {}}),
    ]
    return WebAclEvaluator(acl(rules), rule_groups={GROUP: _group(GROUP_RULES)}.get)


def test_rule_group_labels_and_termination() -> None:
    d = _group_acl().evaluate(req("/g"), 0)
    assert d.action == "BLOCK" and d.terminating_rule == "use-grp" and d.terminating_rule_type == "GROUP"
    assert d.terminating_group == "grp" and d.terminating_group_rule == "g-block"
    assert d.labels == [GNS + "seen"]
    assert d.response is not None and d.response.body == b"group says no"


def test_rule_group_excluded_rules_and_overrides() -> None:
    d = _group_acl(ExcludedRules=[{"Name": "g-block"}]).evaluate(req("/g"), 0)
    assert d.action == "ALLOW" and [m.rule for m in d.count_matches] == ["g-tag", "g-block", "after"]
    d = _group_acl(RuleActionOverrides=[{"Name": "g-block", "ActionToUse": {"Allow": {}}}]).evaluate(req("/g"), 0)
    assert d.action == "ALLOW" and d.terminating_rule == "use-grp"
    stmt = {"RuleGroupReferenceStatement": {"ARN": GROUP}}
    ev = WebAclEvaluator(
        acl(
            [
                {
                    "Name": "use-grp",
                    "Priority": 1,
                    "Statement": stmt,
                    "OverrideAction": {"Count": {}},
                    "VisibilityConfig": {"MetricName": "grp"},
                }
            ]
        ),
        rule_groups={GROUP: _group(GROUP_RULES)}.get,
    )
    d = ev.evaluate(req("/g"), 0)
    assert d.action == "ALLOW" and {m.action for m in d.count_matches} == {"COUNT"}


def test_managed_rule_group_through_provider() -> None:
    provider = StaticManagedRules(
        {
            ("AWS", "AWSManagedRulesTest"): ManagedGroup(
                rules=[rule("NoAdmin", 0, path_is("/admin"), RuleLabels=[{"Name": "admin"}])],
                label_namespace="awswaf:managed:aws:test:",
            )
        }
    )
    stmt = {
        "ManagedRuleGroupStatement": {
            "VendorName": "AWS",
            "Name": "AWSManagedRulesTest",
            "ScopeDownStatement": {"NotStatement": {"Statement": path_is("/skip")}},
        }
    }
    ev = WebAclEvaluator(
        acl(
            [
                {
                    "Name": "mg",
                    "Priority": 0,
                    "Statement": stmt,
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": {"MetricName": "mg"},
                }
            ]
        ),
        managed_rules=provider,
    )
    d = ev.evaluate(req("/admin"), 0)
    assert d.action == "BLOCK" and d.terminating_rule_type == "MANAGED_RULE_GROUP"
    assert d.labels == ["awswaf:managed:aws:test:admin"]
    assert ev.evaluate(req("/skip"), 0).action == "ALLOW"
    stub = WebAclEvaluator(
        acl(
            [
                {
                    "Name": "mg",
                    "Priority": 0,
                    "Statement": stmt,
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": {"MetricName": "mg"},
                }
            ]
        ),
        managed_rules=EmptyManagedRules(),
    )
    assert stub.evaluate(req("/admin"), 0).action == "ALLOW"  # the stub provider has no detection content
    with pytest.raises(WafCompileError):  # the default provider serves the catalog's groups only
        WebAclEvaluator(
            acl(
                [
                    {
                        "Name": "mg",
                        "Priority": 0,
                        "Statement": stmt,
                        "OverrideAction": {"None": {}},
                        "VisibilityConfig": {"MetricName": "mg"},
                    }
                ]
            )
        )


def rate_rule(**spec: Any) -> dict:
    spec.setdefault("Limit", 10)
    spec.setdefault("EvaluationWindowSec", 60)
    return rule("rate", 0, {"RateBasedStatement": spec})


@pytest.mark.parametrize(
    ("spec", "same", "other"),
    [
        ({"AggregateKeyType": "IP"}, {"source_ip": "1.1.1.1"}, {"source_ip": "2.2.2.2"}),
        (
            {
                "AggregateKeyType": "FORWARDED_IP",
                "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"},
            },
            {"headers": (("X-Forwarded-For", "9.9.9.9"),)},
            {"headers": (("X-Forwarded-For", "8.8.8.8"),)},
        ),
        ({"AggregateKeyType": "CONSTANT", "ScopeDownStatement": path_is("/login")}, {}, None),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [
                    {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
                    {"HTTPMethod": {}},
                ],
            },
            {"headers": (("x-api-key", "ABC"),)},
            {"headers": (("x-api-key", "def"),)},
        ),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [
                    {"QueryArgument": {"Name": "u", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
                    {"IP": {}},
                ],
            },
            {"query_string": "u=1"},
            {"query_string": "u=2"},
        ),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [{"Cookie": {"Name": "s", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}],
            },
            {"headers": (("Cookie", "s=1"),)},
            {"headers": (("Cookie", "s=2"),)},
        ),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [{"UriPath": {"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}],
            },
            {},
            None,
        ),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [
                    {"QueryString": {"TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
                    {"JA3Fingerprint": {}},
                    {"JA4Fingerprint": {}},
                ],
            },
            {"query_string": "a", "ja3_fingerprint": "j3", "ja4_fingerprint": "j4"},
            {"query_string": "a", "ja3_fingerprint": "j3", "ja4_fingerprint": "other"},
        ),
        (
            {
                "AggregateKeyType": "CUSTOM_KEYS",
                "CustomKeys": [{"ASN": {}}, {"ForwardedIP": {}}],
                "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"},
            },
            {"asn_resolver": lambda ip: 1, "headers": (("X-Forwarded-For", "9.9.9.9"),)},
            {"asn_resolver": lambda ip: 2, "headers": (("X-Forwarded-For", "9.9.9.9"),)},
        ),
    ],
)
def test_rate_based_blocks_then_recovers(spec: dict, same: dict, other: dict | None) -> None:
    ev = WebAclEvaluator(acl([rate_rule(**spec)]), rate_store=InMemoryRateCounter())
    path = "/login"
    results = [ev.evaluate(req(path, **same), 100 + i * 0.1).action for i in range(12)]
    assert results[:10] == ["ALLOW"] * 10 and results[10:] == ["BLOCK", "BLOCK"]
    d = ev.evaluate(req(path, **same), 102)
    assert d.terminating_rule_type == "RATE_BASED" and d.rate_based[0]["maxRateAllowed"] == 10
    if other is not None:
        assert ev.evaluate(req(path, **other), 102).action == "ALLOW"  # another key has its own count
    assert ev.evaluate(req(path, **same), 170).action == "ALLOW"  # the window slid past the burst


def test_rate_based_label_namespace_key_and_missing_key() -> None:
    rules = [
        rule("tag", 0, path_is("/a"), {"Count": {}}, RuleLabels=[{"Name": "grp:a"}]),
        {
            **rate_rule(AggregateKeyType="CUSTOM_KEYS", CustomKeys=[{"LabelNamespace": {"Namespace": "grp:"}}]),
            "Priority": 1,
        },
    ]
    ev = WebAclEvaluator(acl(rules))
    assert [ev.evaluate(req("/a"), 0).action for _ in range(11)][-1] == "BLOCK"
    assert all(ev.evaluate(req("/b"), 0).action == "ALLOW" for _ in range(20))  # no label: not counted


def token_acl(kind: str, **extra: Any) -> WebAclEvaluator:
    return WebAclEvaluator(
        acl([rule("human", 0, path_is("/buy"), {kind: {}}, **extra)], TokenDomains=["example.com"]), token_key=KEY
    )


@pytest.mark.parametrize(("kind", "status"), [("Captcha", 405), ("Challenge", 202)])
def test_captcha_and_challenge_tokens(kind: str, status: int) -> None:
    ev = token_acl(kind)
    low = kind.lower()
    d = ev.evaluate(req("/buy"), 1000)
    assert d.action == kind.upper() and d.response is not None and d.response.status == status
    assert (d.captcha_required, d.challenge_required) == (low == "captcha", low == "challenge")
    assert b"<html" in d.response.body and ("x-amzn-waf-action", low) in d.response.headers
    assert d.token_status[low] == "absent" and "awswaf:managed:token:absent" in d.labels

    def with_token(token: str, host: str = "app.example.com") -> WafRequest:
        return req("/buy", headers=(("Host", host), ("Cookie", f"aws-waf-token={token}")))

    good = issue_token(KEY, "app.example.com", low, 1000)
    d = ev.evaluate(with_token(good), 1100)
    assert d.action == "ALLOW" and d.count_matches[0].action == kind.upper()  # continues like Count
    assert "awswaf:managed:token:accepted" in d.labels
    assert ev.evaluate(with_token(good), 1000 + 301).action == kind.upper()  # past the 300 s immunity
    forged = issue_token(b"x" * 32, "app.example.com", low, 1000)
    assert ev.evaluate(with_token(forged), 1100).token_status[low] == "rejected"
    assert ev.evaluate(with_token(good[:-2] + "AA"), 1100).action == kind.upper()
    other = issue_token(KEY, "evil.test", low, 1000)
    assert ev.evaluate(with_token(other), 1100).action == kind.upper()
    # a token for a listed token domain is good on its subdomains
    assert (
        ev.evaluate(with_token(issue_token(KEY, "example.com", low, 1000), "shop.example.com"), 1100).action == "ALLOW"
    )


def test_immunity_time_from_rule_and_captcha_counts_as_challenge() -> None:
    ev = token_acl("Captcha", CaptchaConfig={"ImmunityTimeProperty": {"ImmunityTime": 60}})
    tok = issue_token(KEY, "app.example.com", "captcha", 0)
    hdr = (("Host", "app.example.com"), ("Cookie", f"aws-waf-token={tok}"))
    assert ev.evaluate(req("/buy", headers=hdr), 59).action == "ALLOW"
    assert ev.evaluate(req("/buy", headers=hdr), 61).action == "CAPTCHA"
    assert token_state(KEY, tok, "app.example.com", [], "challenge", 300, 10) == "accepted"
    assert token_state(KEY, "garbage", "app.example.com", [], "challenge", 300, 10) == "rejected"


def test_log_record_shape_redaction_and_filter() -> None:
    rules = [
        rule("tag", 0, path_is("/x"), {"Count": {}}, RuleLabels=[{"Name": "t"}]),
        rule(
            "sqli",
            1,
            {
                "SqliMatchStatement": {
                    "FieldToMatch": {"QueryString": {}},
                    "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
                }
            },
        ),
    ]
    request = WafRequest(
        method="GET",
        uri_path="/x",
        query_string="id=1%27%20or%201%3D1--",
        request_id="r-1",
        headers=(("Host", "a"), ("Authorization", "Bearer s3cret")),
        source_ip="203.0.113.9",
    )
    d = WebAclEvaluator(acl(rules)).evaluate(request, 0)
    rec = log_record(
        d,
        request,
        web_acl_arn=ACL_ARN,
        timestamp_ms=1_700_000_000_000,
        http_source_id="api:stage",
        redacted_fields=[{"SingleHeader": {"Name": "authorization"}}, {"QueryString": {}}],
    )
    json.dumps(rec)
    assert rec["formatVersion"] == 1 and rec["webaclId"] == ACL_ARN and rec["action"] == "BLOCK"
    assert rec["terminatingRuleId"] == "sqli" and rec["terminatingRuleType"] == "REGULAR"
    assert rec["terminatingRuleMatchDetails"][0]["conditionType"] == "SQL_INJECTION"
    assert rec["nonTerminatingMatchingRules"] == [{"ruleId": "tag", "action": "COUNT", "ruleMatchDetails": []}]
    assert rec["responseCodeSent"] == 403 and rec["labels"] == [{"name": NS + "t"}]
    http = rec["httpRequest"]
    assert http["clientIp"] == "203.0.113.9" and http["args"] == "REDACTED" and http["uri"] == "/x"
    assert {"name": "Authorization", "value": "REDACTED"} in http["headers"] and http["requestId"] == "r-1"
    assert set(rec) >= {
        "timestamp",
        "httpSourceName",
        "httpSourceId",
        "ruleGroupList",
        "rateBasedRuleList",
        "requestHeadersInserted",
    }
    keep_blocks = {
        "DefaultBehavior": "DROP",
        "Filters": [
            {"Behavior": "KEEP", "Requirement": "MEETS_ANY", "Conditions": [{"ActionCondition": {"Action": "BLOCK"}}]}
        ],
    }
    assert should_log(rec, keep_blocks) and should_log(rec, None)
    drop_label = {
        "DefaultBehavior": "KEEP",
        "Filters": [
            {
                "Behavior": "DROP",
                "Requirement": "MEETS_ALL",
                "Conditions": [
                    {"LabelNameCondition": {"LabelName": NS + "t"}},
                    {"ActionCondition": {"Action": "COUNT"}},
                ],
            }
        ],
    }
    assert not should_log(rec, drop_label)


def test_log_record_for_group_and_captcha() -> None:
    d = _group_acl().evaluate(req("/g"), 0)
    rec = log_record(d, req("/g"), web_acl_arn=ACL_ARN, timestamp_ms=0)
    assert rec["ruleGroupList"][0]["ruleGroupId"] == "grp"
    assert rec["ruleGroupList"][0]["terminatingRule"]["ruleId"] == "g-block"
    ev = token_acl("Captcha")
    d = ev.evaluate(req("/buy"), 0)
    rec = log_record(d, req("/buy"), web_acl_arn=ACL_ARN, timestamp_ms=0)
    assert rec["captchaResponse"] == {"responseCode": 405, "failureReason": "TOKEN_MISSING"}
