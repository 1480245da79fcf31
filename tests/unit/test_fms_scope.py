"""Firewall Manager's scope computation (services/fms/scope.py) and ManagedServiceData handling
(services/fms/servicedata.py): pure functions, no server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.fms import servicedata
from strongroom.services.fms.remediation import web_acl_name
from strongroom.services.fms.scope import STAGE, Account, accounts_in_scope, resource_in_scope, tags_match
from strongroom.services.wafv2.enforced import effective_rules

ORG = "o-abcdefghij"
ROOT = "r-ab12"
ACCOUNTS = [
    Account("111111111111", f"{ORG}/{ROOT}/"),
    Account("222222222222", f"{ORG}/{ROOT}/ou-ab12-prod0001/"),
    Account("333333333333", f"{ORG}/{ROOT}/ou-ab12-prod0001/ou-ab12-child001/"),
    Account("444444444444", f"{ORG}/{ROOT}/ou-ab12-dev00001/"),
]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({}, ["111111111111", "222222222222", "333333333333", "444444444444"]),
        ({"IncludeMap": {"ACCOUNT": ["444444444444"]}}, ["444444444444"]),
        ({"IncludeMap": {"ORG_UNIT": ["ou-ab12-prod0001"]}}, ["222222222222", "333333333333"]),  # child OUs too
        (
            {"IncludeMap": {"ORG_UNIT": ["ou-ab12-child001"], "ACCOUNT": ["111111111111"]}},
            ["111111111111", "333333333333"],
        ),
        ({"ExcludeMap": {"ORG_UNIT": ["ou-ab12-prod0001"]}}, ["111111111111", "444444444444"]),
        (
            {"ExcludeMap": {"ACCOUNT": ["111111111111"], "ORG_UNIT": ["ou-ab12-dev00001"]}},
            ["222222222222", "333333333333"],
        ),
        # with an IncludeMap the ExcludeMap is not evaluated (AWS)
        ({"IncludeMap": {"ACCOUNT": ["222222222222"]}, "ExcludeMap": {"ACCOUNT": ["222222222222"]}}, ["222222222222"]),
        # the root is not an OU: naming it includes nothing
        ({"IncludeMap": {"ORG_UNIT": [ROOT]}}, []),
        ({"IncludeMap": {}}, ["111111111111", "222222222222", "333333333333", "444444444444"]),
    ],
)
def test_accounts_in_scope(policy: dict[str, Any], expected: list[str]) -> None:
    assert accounts_in_scope(policy, ACCOUNTS) == expected


def test_resource_tags() -> None:
    tags = [{"Key": "env", "Value": "prod"}, {"Key": "team"}]
    both = {"env": "prod", "team": ""}
    one = {"env": "prod"}
    assert tags_match({}, {}) is True
    assert tags_match({"ResourceTags": tags}, both) is True
    assert tags_match({"ResourceTags": tags}, one) is False  # AND by default
    assert tags_match({"ResourceTags": tags, "ResourceTagLogicalOperator": "OR"}, one) is True
    assert tags_match({"ResourceTags": tags, "ExcludeResourceTags": True}, both) is False
    assert tags_match({"ResourceTags": tags, "ExcludeResourceTags": True}, one) is True
    assert tags_match({"ResourceTags": [{"Key": "team", "Value": ""}]}, {"team": "x"}) is False  # "" matches "" only
    assert resource_in_scope({"ResourceType": STAGE}, STAGE, {}) is True
    listed = {"ResourceType": "ResourceTypeList", "ResourceTypeList": ["AWS::CloudFront::Distribution"]}
    assert resource_in_scope(listed, STAGE, {}) is False


GROUP = "arn:aws:wafv2:us-east-1:111111111111:regional/rulegroup/blockers/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def waf(**extra: Any) -> dict[str, Any]:
    return {
        "type": "WAFV2",
        "preProcessRuleGroups": [
            {"ruleGroupArn": GROUP, "ruleGroupType": "RuleGroup", "overrideAction": {"type": "NONE"}}
        ],
        "postProcessRuleGroups": [
            {
                "ruleGroupType": "ManagedRuleGroup",
                "managedRuleGroupIdentifier": {
                    "vendorName": "AWS",
                    "managedRuleGroupName": "AWSManagedRulesCommonRuleSet",
                },
                "overrideAction": {"type": "COUNT"},
                "excludeRules": [{"name": "NoUserAgent_HEADER"}],
                "ruleActionOverrides": [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}],
            }
        ],
        "defaultAction": {"type": "BLOCK"},
        **extra,
    }


def test_managed_service_data_becomes_firewall_manager_rule_groups() -> None:
    data = servicedata.parse("WAFV2", json.dumps(waf()))
    (pre,) = servicedata.firewall_manager_groups(data, "preProcessRuleGroups")
    assert pre["Name"] == "blockers" and pre["Priority"] == 0
    assert pre["FirewallManagerStatement"] == {"RuleGroupReferenceStatement": {"ARN": GROUP}}
    assert pre["OverrideAction"] == {"None": {}}
    (post,) = servicedata.firewall_manager_groups(data, "postProcessRuleGroups")
    assert post["FirewallManagerStatement"] == {
        "ManagedRuleGroupStatement": {
            "VendorName": "AWS",
            "Name": "AWSManagedRulesCommonRuleSet",
            "ExcludedRules": [{"Name": "NoUserAgent_HEADER"}],
            "RuleActionOverrides": [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}],
        }
    }
    assert post["OverrideAction"] == {"Count": {}}
    assert servicedata.default_action(data) == {"Block": {}}
    assert servicedata.rule_group_arns(data) == [GROUP]
    # the web ACL as WAF runs it: first groups, the account's rules (in their priority order), last groups
    own = [{"Name": "b", "Priority": 7}, {"Name": "a", "Priority": 3}]
    rules = effective_rules([pre], own, [post])
    assert [(r["Name"], r["Priority"]) for r in rules] == [
        ("blockers", 0),
        ("a", 1),
        ("b", 2),
        ("AWSManagedRulesCommonRuleSet", 3),
    ]
    assert rules[0]["Statement"] == pre["FirewallManagerStatement"]


@pytest.mark.parametrize(
    ("policy_type", "data"),
    [
        ("WAFV2", "not json"),
        ("WAFV2", None),
        ("WAFV2", json.dumps(["WAFV2"])),
        ("WAFV2", json.dumps({**waf(), "type": "WAF"})),
        ("WAFV2", json.dumps(waf(defaultAction={"type": "COUNT"}))),
        ("WAFV2", json.dumps(waf(overrideCustomerWebACLAssociation="yes"))),
        ("WAFV2", json.dumps(waf(preProcessRuleGroups=[{"ruleGroupType": "RuleGroup", "ruleGroupArn": "arn:x"}]))),
        ("WAFV2", json.dumps(waf(preProcessRuleGroups=[{"ruleGroupType": "Other"}]))),
        (
            "WAFV2",
            json.dumps(
                waf(
                    preProcessRuleGroups=[
                        {"ruleGroupType": "RuleGroup", "ruleGroupArn": GROUP, "overrideAction": {"type": "BLOCK"}}
                    ]
                )
            ),
        ),
        (
            "SHIELD_ADVANCED",
            json.dumps(
                {"type": "SHIELD_ADVANCED", "automaticResponseConfiguration": {"automaticResponseStatus": "ON"}}
            ),
        ),
        ("SECURITY_GROUPS_COMMON", json.dumps({"type": "SECURITY_GROUPS_COMMON"})),
        ("DNS_FIREWALL", json.dumps({"type": "DNS_FIREWALL"})),
    ],
)
def test_invalid_managed_service_data(policy_type: str, data: str | None) -> None:
    with pytest.raises(AwsError) as exc:
        servicedata.parse(policy_type, data)
    assert exc.value.code == "InvalidInputException"


def test_resource_types_and_names() -> None:
    servicedata.check_resource_types("WAFV2", {"ResourceType": STAGE})
    servicedata.check_resource_types(
        "SHIELD_ADVANCED", {"ResourceType": "ResourceTypeList", "ResourceTypeList": [STAGE, "AWS::EC2::EIP"]}
    )
    for policy in ({"ResourceType": "AWS::EC2::EIP"}, {"ResourceType": "ResourceTypeList", "ResourceTypeList": []}):
        with pytest.raises(AwsError):
            servicedata.check_resource_types("WAFV2", policy)
    assert servicedata.parse("SHIELD_ADVANCED", None) == {"type": "SHIELD_ADVANCED"}
    assert web_acl_name("my policy/α", 1700000000000) == "FMManagedWebACLV2-mypolicy-1700000000000"
