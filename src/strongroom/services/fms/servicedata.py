"""A policy's ``SecurityServicePolicyData``: the policy types served, ``ManagedServiceData`` checked as AWS documents
it, and a WAFV2 policy's rule groups as the ``FirewallManagerRuleGroup`` entries of the web ACLs it manages.

WAFV2 (``"type": "WAFV2"``): ``preProcessRuleGroups`` / ``postProcessRuleGroups`` — each ``ruleGroupType``
``RuleGroup`` (``ruleGroupArn``, a regional rule group of the administrator's account and region) or
``ManagedRuleGroup`` (``managedRuleGroupIdentifier``: ``vendorName``, ``managedRuleGroupName``, optional
``version``), with ``overrideAction.type`` NONE | COUNT, ``excludeRules`` [{``name``}] and ``ruleActionOverrides``
[{``name``, ``actionToUse``}]; ``defaultAction.type`` ALLOW | BLOCK (required);
``overrideCustomerWebACLAssociation``; ``loggingConfiguration``, ``sampledRequestsEnabledForDefaultActions``,
``tokenDomains``, ``customRequestHandling``, ``customResponse``, ``optimizeUnassociatedWebACL`` and
``webACLSource`` are stored and returned as given.

SHIELD_ADVANCED (``"type": "SHIELD_ADVANCED"``): optional ``automaticResponseConfiguration``
(``automaticResponseStatus`` ENABLED | IGNORED | DISABLED, ``automaticResponseAction`` BLOCK | COUNT) and
``overrideCustomerWebaclClassic``.

Every other ``SecurityServicePolicyData.Type`` (WAF Classic, security groups, Network Firewall, DNS Firewall,
third-party firewalls, network ACLs, IMPORT_NETWORK_FIREWALL) answers InvalidInputException: Strongroom has none of
the resources they govern.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from strongroom.core.errors import AwsError
from strongroom.services.fms.errors import InvalidInputException
from strongroom.services.fms.scope import STAGE, TYPE_LIST
from strongroom.waf.managed import managed_catalog

SUPPORTED = ("WAFV2", "SHIELD_ADVANCED")
# The resource types each served policy type accepts (AWS's lists); Strongroom hosts API Gateway stages only, so
# the others are accepted and stored but never have resources in scope.
RESOURCE_TYPES = {
    "WAFV2": {
        STAGE,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::CloudFront::Distribution",
        "AWS::Cognito::UserPool",
        "AWS::AppSync::GraphQLApi",
        "AWS::AppRunner::Service",
        "AWS::EC2::VerifiedAccessInstance",
        "AWS::Amplify::App",
    },
    "SHIELD_ADVANCED": {
        STAGE,  # Strongroom's Shield protects API Gateway stages (docs/firewall-manager.md)
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "AWS::ElasticLoadBalancing::LoadBalancer",
        "AWS::EC2::EIP",
        "AWS::CloudFront::Distribution",
    },
}
_RULE_GROUP_ARN = re.compile(r"^arn:aws:wafv2:([a-z0-9-]+):(\d{12}):regional/rulegroup/([\w-]+)/([0-9a-f-]{36})$")
_OVERRIDE: dict[str, dict[str, Any]] = {"NONE": {"None": {}}, "COUNT": {"Count": {}}}
_DEFAULT: dict[str, dict[str, Any]] = {"ALLOW": {"Allow": {}}, "BLOCK": {"Block": {}}}


def invalid(message: str) -> AwsError:
    return InvalidInputException(message)


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise invalid(f"{what} must be a JSON object.")
    return value


def parse(policy_type: str, text: str | None) -> dict[str, Any]:
    """The policy's ManagedServiceData, checked; its type must be the policy's."""
    if policy_type not in SUPPORTED:
        raise invalid(f"Policy type {policy_type} is not supported. Supported policy types: {', '.join(SUPPORTED)}.")
    if not text:
        if policy_type == "WAFV2":
            raise invalid("ManagedServiceData is required for a WAFV2 policy.")
        return {"type": policy_type}
    try:
        data = json.loads(text)
    except ValueError:
        raise invalid("ManagedServiceData is not valid JSON.") from None
    data = _object(data, "ManagedServiceData")
    if data.get("type") != policy_type:
        raise invalid(f"ManagedServiceData type must be {policy_type}.")
    if policy_type == "WAFV2":
        _check_wafv2(data)
    else:
        _check_shield(data)
    return data


def _check_wafv2(data: Mapping[str, Any]) -> None:
    for member in ("preProcessRuleGroups", "postProcessRuleGroups"):
        groups = data.get(member, [])
        if not isinstance(groups, list):
            raise invalid(f"{member} must be a list.")
        for group in groups:
            _check_group(_object(group, f"An entry of {member}"), member)
    action = _object(data.get("defaultAction"), "defaultAction")
    if action.get("type") not in _DEFAULT:
        raise invalid("defaultAction type must be ALLOW or BLOCK.")
    override = data.get("overrideCustomerWebACLAssociation", False)
    if not isinstance(override, bool):
        raise invalid("overrideCustomerWebACLAssociation must be true or false.")


def _check_group(group: Mapping[str, Any], member: str) -> None:
    kind = group.get("ruleGroupType")
    if kind == "RuleGroup":
        if not isinstance(group.get("ruleGroupArn"), str) or not _RULE_GROUP_ARN.match(group["ruleGroupArn"]):
            raise invalid(f"A RuleGroup entry of {member} needs the ARN of a regional rule group (ruleGroupArn).")
    elif kind == "ManagedRuleGroup":
        ident = _object(group.get("managedRuleGroupIdentifier"), "managedRuleGroupIdentifier")
        vendor, name = ident.get("vendorName"), ident.get("managedRuleGroupName")
        known = managed_catalog().get(str(name))
        if known is None or known["VendorName"] != vendor:
            raise invalid(f"The managed rule group {vendor}/{name} does not exist.")
    else:
        raise invalid(f"ruleGroupType of an entry of {member} must be RuleGroup or ManagedRuleGroup.")
    override = group.get("overrideAction") or {"type": "NONE"}
    if not isinstance(override, dict) or override.get("type") not in _OVERRIDE:
        raise invalid("overrideAction type must be NONE or COUNT.")
    for key in ("excludeRules", "ruleActionOverrides"):
        entries = group.get(key) or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("name") for e in entries):
            raise invalid(f"{key} must be a list of objects with a name.")


def _check_shield(data: Mapping[str, Any]) -> None:
    config = data.get("automaticResponseConfiguration")
    if config is None:
        return
    config = _object(config, "automaticResponseConfiguration")
    if config.get("automaticResponseStatus") not in ("ENABLED", "IGNORED", "DISABLED"):
        raise invalid("automaticResponseStatus must be ENABLED, IGNORED or DISABLED.")
    if config.get("automaticResponseStatus") == "ENABLED" and config.get("automaticResponseAction") not in (
        "BLOCK",
        "COUNT",
    ):
        raise invalid("automaticResponseAction must be BLOCK or COUNT.")


def check_resource_types(policy_type: str, policy: Mapping[str, Any]) -> None:
    resource_type = str(policy["ResourceType"])
    if resource_type == TYPE_LIST:
        types = list(policy.get("ResourceTypeList") or [])
        if not types:
            raise invalid("ResourceTypeList must name at least one resource type.")
    else:
        types = [resource_type]
    for name in types:
        if name not in RESOURCE_TYPES[policy_type]:
            raise invalid(f"Resource type {name} is not valid for a {policy_type} policy.")


def rule_group_arns(data: Mapping[str, Any]) -> list[str]:
    return [
        str(g["ruleGroupArn"])
        for member in ("preProcessRuleGroups", "postProcessRuleGroups")
        for g in data.get(member) or []
        if g.get("ruleGroupType") == "RuleGroup"
    ]


def _cap(action: Mapping[str, Any]) -> dict[str, Any]:
    """``{"count": {}}`` (FMS's spelling) -> ``{"Count": {}}`` (WAF's)."""
    return {str(k)[:1].upper() + str(k)[1:]: v for k, v in action.items()}


def firewall_manager_groups(data: Mapping[str, Any], member: str) -> list[dict[str, Any]]:
    """A WAFV2 policy's first (``preProcessRuleGroups``) or last rule groups as WAF's FirewallManagerRuleGroups,
    prioritised in the order the policy lists them."""
    out = []
    for n, group in enumerate(data.get(member) or []):
        settings: dict[str, Any] = {}
        if group.get("excludeRules"):
            settings["ExcludedRules"] = [{"Name": e["name"]} for e in group["excludeRules"]]
        if group.get("ruleActionOverrides"):
            settings["RuleActionOverrides"] = [
                {"Name": e["name"], "ActionToUse": _cap(e.get("actionToUse") or {"count": {}})}
                for e in group["ruleActionOverrides"]
            ]
        if group["ruleGroupType"] == "RuleGroup":
            name = _RULE_GROUP_ARN.match(group["ruleGroupArn"]).group(3)  # type: ignore[union-attr]  # checked
            statement = {"RuleGroupReferenceStatement": {"ARN": group["ruleGroupArn"], **settings}}
        else:
            ident = group["managedRuleGroupIdentifier"]
            name = str(ident["managedRuleGroupName"])
            managed = {"VendorName": ident["vendorName"], "Name": name, **settings}
            if ident.get("version"):
                managed["Version"] = ident["version"]
            statement = {"ManagedRuleGroupStatement": managed}
        override = (group.get("overrideAction") or {"type": "NONE"})["type"]
        out.append(
            {
                "Name": name,
                "Priority": n,
                "FirewallManagerStatement": statement,
                "OverrideAction": _OVERRIDE[override],
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": name,
                },
            }
        )
    return out


def default_action(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(_DEFAULT[str((data.get("defaultAction") or {}).get("type") or "ALLOW")])
