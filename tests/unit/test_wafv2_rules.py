"""WAF v2's rule checker and WCU arithmetic (services/wafv2/rules.py), against AWS's documented costs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.wafv2.rules import check_regex, check_rules
from strongroom.waf.managed import managed_catalog

ACCOUNT = "123456789012"
IPS = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/ipset/ips/11111111-1111-1111-1111-111111111111"
REGEX = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/regexpatternset/rx/22222222-2222-2222-2222-222222222222"
GROUP = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:regional/rulegroup/rg/33333333-3333-3333-3333-333333333333"
VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
URI = {"UriPath": {}}
NONE = [{"Priority": 0, "Type": "NONE"}]


class FakeResolver:
    def __init__(self) -> None:
        self.entities: dict[str, dict[str, Any]] = {IPS: {}, REGEX: {}, GROUP: {"capacity": 75}}

    def reference_ok(self, arn: str, kind: str) -> bool:
        return f":{ACCOUNT}:regional/{kind}/" in arn

    def ip_set(self, arn: str) -> Mapping[str, Any] | None:
        return self.entities.get(arn)

    regex_set = ip_set
    rule_group = ip_set

    def managed(self, vendor: str, name: str) -> Mapping[str, Any] | None:
        group = managed_catalog().get(name)
        return group if group and group["VendorName"] == vendor else None


def rule(statement: dict[str, Any], name: str = "r", priority: int = 0, **kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"Name": name, "Priority": priority, "Statement": statement, "VisibilityConfig": VIS}
    body.update(kw or {"Action": {"Block": {}}})
    return body


def wcu(statement: dict[str, Any], *, in_rule_group: bool = True, **kw: Any) -> int:
    return check_rules([rule(statement, **kw)], FakeResolver(), in_rule_group=in_rule_group).capacity


def tt(*types: str) -> list[dict[str, Any]]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(types)]


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            {
                "ByteMatchStatement": {
                    "SearchString": "x",
                    "FieldToMatch": URI,
                    "TextTransformations": NONE,
                    "PositionalConstraint": "EXACTLY",
                }
            },
            2,
        ),
        (
            {
                "ByteMatchStatement": {
                    "SearchString": "x",
                    "FieldToMatch": URI,
                    "TextTransformations": NONE,
                    "PositionalConstraint": "STARTS_WITH",
                }
            },
            2,
        ),
        (
            {
                "ByteMatchStatement": {
                    "SearchString": "x",
                    "FieldToMatch": URI,
                    "TextTransformations": NONE,
                    "PositionalConstraint": "CONTAINS_WORD",
                }
            },
            10,
        ),
        ({"SqliMatchStatement": {"FieldToMatch": URI, "TextTransformations": NONE}}, 20),
        ({"SqliMatchStatement": {"FieldToMatch": URI, "TextTransformations": NONE, "SensitivityLevel": "HIGH"}}, 30),
        ({"XssMatchStatement": {"FieldToMatch": URI, "TextTransformations": NONE}}, 40),
        (
            {
                "SizeConstraintStatement": {
                    "FieldToMatch": URI,
                    "TextTransformations": NONE,
                    "ComparisonOperator": "GT",
                    "Size": 1,
                }
            },
            1,
        ),
        ({"GeoMatchStatement": {"CountryCodes": ["US", "CA"]}}, 1),
        ({"AsnMatchStatement": {"AsnList": [64496]}}, 1),
        ({"LabelMatchStatement": {"Scope": "NAMESPACE", "Key": "awswaf:managed:aws:"}}, 1),
        ({"IPSetReferenceStatement": {"ARN": IPS}}, 1),
        ({"RegexMatchStatement": {"RegexString": "^a+$", "FieldToMatch": URI, "TextTransformations": NONE}}, 3),
        ({"RegexPatternSetReferenceStatement": {"ARN": REGEX, "FieldToMatch": URI, "TextTransformations": NONE}}, 25),
        ({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}, 2),
    ],
)
def test_base_costs(statement: dict[str, Any], expected: int) -> None:
    assert wcu(statement) == expected


def test_text_transformations_add_ten_each_except_none() -> None:
    # AWS's example: a CONTAINS string match (10) with two transformations (2 x 10) costs 30.
    stmt = {
        "ByteMatchStatement": {
            "SearchString": "x",
            "FieldToMatch": URI,
            "PositionalConstraint": "CONTAINS",
            "TextTransformations": tt("LOWERCASE", "URL_DECODE"),
        }
    }
    assert wcu(stmt) == 30
    stmt["ByteMatchStatement"]["TextTransformations"] = tt("NONE")
    assert wcu(stmt) == 10


def test_field_to_match_costs() -> None:
    json_body = {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}}
    assert wcu({"XssMatchStatement": {"FieldToMatch": json_body, "TextTransformations": NONE}}) == 80  # doubled
    all_args = {"AllQueryArguments": {}}
    assert wcu({"SqliMatchStatement": {"FieldToMatch": all_args, "TextTransformations": NONE}}) == 30  # +10


def test_ip_set_forwarded_position_any_adds_four() -> None:
    config = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH", "Position": "ANY"}
    assert wcu({"IPSetReferenceStatement": {"ARN": IPS, "IPSetForwardedIPConfig": config}}) == 5
    config["Position"] = "FIRST"
    assert wcu({"IPSetReferenceStatement": {"ARN": IPS, "IPSetForwardedIPConfig": config}}) == 1


def test_logical_statements_add_one() -> None:
    geo = {"GeoMatchStatement": {"CountryCodes": ["US"]}}
    ips = {"IPSetReferenceStatement": {"ARN": IPS}}
    assert wcu({"AndStatement": {"Statements": [geo, ips]}}) == 3
    assert wcu({"NotStatement": {"Statement": {"OrStatement": {"Statements": [geo, ips]}}}}) == 4


def test_rate_based_with_scope_down_and_custom_keys() -> None:
    stmt = {
        "RateBasedStatement": {
            "Limit": 100,
            "AggregateKeyType": "CUSTOM_KEYS",
            "CustomKeys": [{"Header": {"Name": "x-api", "TextTransformations": tt("LOWERCASE")}}, {"IP": {}}],
            "ScopeDownStatement": {"GeoMatchStatement": {"CountryCodes": ["US"]}},
        }
    }
    assert wcu(stmt) == 2 + 30 * 2 + 1  # 2, plus 30 per custom key, plus the scope-down statement


def test_group_references_cost_their_capacity() -> None:
    override = {"OverrideAction": {"None": {}}}
    assert wcu({"RuleGroupReferenceStatement": {"ARN": GROUP}}, in_rule_group=False, **override) == 75
    for name, group in managed_catalog().items():
        stmt = {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}}
        assert wcu(stmt, in_rule_group=False, **override) == group["Capacity"]
    assert managed_catalog()["AWSManagedRulesCommonRuleSet"]["Capacity"] == 700
    assert managed_catalog()["AWSManagedRulesSQLiRuleSet"]["Capacity"] == 200
    assert managed_catalog()["AWSManagedRulesAmazonIpReputationList"]["Capacity"] == 25


def _fails(
    rules: list[dict[str, Any]],
    field: str | None = None,
    code: str = "WAFInvalidParameterException",
    in_rule_group: bool = False,
) -> None:
    with pytest.raises(AwsError) as exc:
        check_rules(rules, FakeResolver(), in_rule_group=in_rule_group)
    assert exc.value.code == code
    if field is not None:
        assert exc.value.fields["Field"] == field


GEO = {"GeoMatchStatement": {"CountryCodes": ["US"]}}


def test_structure_errors() -> None:
    _fails([rule({})], "STATEMENT")
    _fails([rule({**GEO, "AsnMatchStatement": {"AsnList": [1]}})], "STATEMENT")
    _fails([rule(GEO), rule(GEO, priority=1)], "RULE")  # duplicate names
    _fails([rule(GEO), rule(GEO, name="b")], "RULE")  # duplicate priorities
    _fails([rule(GEO, Action={"Block": {}, "Count": {}})], "RULE_ACTION")
    _fails([rule(GEO, OverrideAction={"None": {}})], "RULE_ACTION")
    _fails([rule({"AndStatement": {"Statements": [GEO]}})], "AND_STATEMENT")
    _fails(
        [rule({"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "IP"}}}})],
        "RATE_BASED_STATEMENT",
    )
    _fails(
        [rule({"RuleGroupReferenceStatement": {"ARN": GROUP}})], "RULE_GROUP_REFERENCE_STATEMENT", in_rule_group=True
    )
    _fails([rule({"RegexMatchStatement": {"RegexString": "(", "FieldToMatch": URI, "TextTransformations": NONE}})])
    _fails(
        [
            rule(
                {
                    "SqliMatchStatement": {
                        "FieldToMatch": URI,
                        "TextTransformations": tt("NONE", "LOWERCASE") * 1 + [{"Priority": 0, "Type": "URL_DECODE"}],
                    }
                }
            )
        ],
        "TEXT_TRANSFORMATION",
    )
    _fails(
        [
            rule(
                {
                    "SqliMatchStatement": {
                        "FieldToMatch": {"UriPath": {}, "QueryString": {}},
                        "TextTransformations": NONE,
                    }
                }
            )
        ],
        "FIELD_TO_MATCH",
    )
    _fails(
        [
            rule(
                {
                    "SqliMatchStatement": {
                        "FieldToMatch": {
                            "JsonBody": {"MatchScope": "ALL", "MatchPattern": {"IncludedPaths": ["no-slash"]}}
                        },
                        "TextTransformations": NONE,
                    }
                }
            )
        ],
        "JSON_MATCH_PATTERN",
    )
    _fails([rule({"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "FORWARDED_IP"}})], "FORWARDED_IP_CONFIG")
    _fails([rule({"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "CONSTANT"}})], "SCOPE_DOWN")
    _fails(
        [rule({"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "IP", "EvaluationWindowSec": 90}})],
        "RATE_BASED_STATEMENT",
    )
    _fails(
        [
            rule(
                {
                    "RateBasedStatement": {
                        "Limit": 10,
                        "AggregateKeyType": "CUSTOM_KEYS",
                        "CustomKeys": [{"IP": {}}, {"ForwardedIP": {}}],
                    }
                }
            )
        ],
        "CUSTOM_KEYS",
    )
    _fails(
        [rule(GEO, Action={"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "k"}}})],
        "CUSTOM_RESPONSE",
    )
    _fails([rule(GEO, VisibilityConfig={**VIS, "MetricName": "Default_Action"})], "METRIC_NAME")
    _fails([rule({"LabelMatchStatement": {"Scope": "LABEL", "Key": "bad label"}})], "LABEL_MATCH_STATEMENT")


def test_reference_errors() -> None:
    other_account = IPS.replace(ACCOUNT, "999999999999")
    _fails([rule({"IPSetReferenceStatement": {"ARN": other_account}})], "IP_SET_REFERENCE_STATEMENT")
    _fails([rule({"IPSetReferenceStatement": {"ARN": REGEX}})], "IP_SET_REFERENCE_STATEMENT")  # wrong kind
    missing = IPS.rsplit("/", 1)[0] + "/44444444-4444-4444-4444-444444444444"
    _fails([rule({"IPSetReferenceStatement": {"ARN": missing}})], code="WAFNonexistentItemException")
    managed = {
        "ManagedRuleGroupStatement": {
            "VendorName": "AWS",
            "Name": "AWSManagedRulesCommonRuleSet",
            "Version": "Version_9.9",
        }
    }
    _fails([rule(managed, OverrideAction={"None": {}})], "MANAGED_RULE_SET_STATEMENT")


def test_references_are_collected() -> None:
    checked = check_rules(
        [
            rule({"IPSetReferenceStatement": {"ARN": IPS}}),
            rule({"RuleGroupReferenceStatement": {"ARN": GROUP}}, name="g", priority=1, OverrideAction={"Count": {}}),
        ],
        FakeResolver(),
        in_rule_group=False,
    )
    assert checked.references == {IPS, GROUP}
    assert checked.capacity == 76


def test_catalog_rules_and_labels() -> None:
    crs = managed_catalog()["AWSManagedRulesCommonRuleSet"]
    names = {r["Name"] for r in crs["Rules"]}
    assert {"NoUserAgent_HEADER", "SizeRestrictions_BODY", "CrossSiteScripting_BODY"} <= names
    assert all(r["Label"].startswith("awswaf:managed:aws:core-rule-set:") for r in crs["Rules"])
    assert len(managed_catalog()) == 12


@pytest.mark.parametrize("pattern", [r"(a)\1", "(?=x)y", "(?!x)y", "(?<=x)y", "a++", "(?>a)"])
def test_regexes_outside_aws_dialect_are_refused(pattern: str) -> None:
    with pytest.raises(AwsError) as exc:
        check_regex(pattern)
    assert exc.value.code == "WAFInvalidParameterException"


@pytest.mark.parametrize("pattern", ["^/admin", r"(?i)union\s+select", "[0-9]{3}-[0-9]{4}", r"\bfoo\b"])
def test_regexes_in_aws_dialect_are_accepted(pattern: str) -> None:
    check_regex(pattern)
