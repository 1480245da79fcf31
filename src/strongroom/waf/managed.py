"""Managed rule groups come from a provider: (vendor, name, version) -> the group's rules as JSON.

The default provider, ``CrsManagedRules``, serves the AWS managed groups shipped in ``waf/managed_rules/``: the
catalog (names, label namespaces, rules, labels: what DescribeManagedRuleGroup answers too) and each group's
detection content built from OWASP CRS 3.3.4 (docs/waf-managed-rules.md). The IP-list groups
(AWSManagedRulesAmazonIpReputationList, AWSManagedRulesAnonymousIpList) match the addresses the operator loads
(``ip_lists``: AWS rule name -> CIDRs); none ship, so by default they match nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Protocol

_PACKAGE = "strongroom.waf.managed_rules"


@dataclass(frozen=True)
class ManagedGroup:
    rules: list[dict] = field(default_factory=list)
    label_namespace: str = ""  # e.g. "awswaf:managed:aws:core-rule-set:"


class ManagedRulesProvider(Protocol):
    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None: ...


def default_namespace(vendor: str, name: str) -> str:
    return f"awswaf:managed:{vendor.lower()}:{name}:"


@cache
def managed_catalog() -> dict[str, dict[str, Any]]:
    """AWS's managed rule groups by name: VendorName, Description, Capacity, LabelNamespace, VersioningSupported,
    Versions, Rules [{Name, Action, Label}]."""
    text = resources.files(_PACKAGE).joinpath("catalog.json").read_text(encoding="utf-8")
    return {group["Name"]: group for group in json.loads(text)["Groups"]}


@cache
def managed_content(name: str) -> list[dict]:
    """A group's generated rules (wafv2 rule JSON; ``CrsRules`` notes the CRS rule ids each is built from)."""
    path = resources.files(_PACKAGE).joinpath(f"{name}.json")
    if not path.is_file():
        return []
    rules: list[dict] = json.loads(path.read_text(encoding="utf-8"))["Rules"]
    return rules


class CrsManagedRules:
    """The default provider: the catalog's AWS groups with the CRS-derived content; every version of a group
    evaluates the same content (the catalog lists AWS's version names, the detection is one build)."""

    def __init__(self, ip_lists: dict[str, list[str]] | None = None) -> None:
        self._ip_lists = ip_lists or {}

    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None:
        group = managed_catalog().get(name)
        if group is None or group["VendorName"] != vendor:
            return None
        if version is not None and group["Versions"] and version not in group["Versions"]:
            return None
        rules = list(managed_content(name))
        ip_rules = [r for r in group["Rules"] if r["Name"] in self._ip_lists and self._ip_lists[r["Name"]]]
        for prio, r in enumerate(ip_rules, start=len(rules)):
            rules.append(
                {
                    "Name": r["Name"],
                    "Priority": prio,
                    "Action": {r["Action"]: {}},
                    "Statement": {"IPSetReferenceStatement": {"ARN": f"managed-ip-list:{name}:{r['Name']}"}},
                    "RuleLabels": [{"Name": r["Label"]}],
                    "VisibilityConfig": {"MetricName": r["Name"]},
                }
            )
        return ManagedGroup(rules=rules, label_namespace=group["LabelNamespace"])

    def ip_set(self, arn: str) -> dict | None:
        """Resolves the IP-list rules' references (pass as the evaluator's ``ip_sets`` fallback)."""
        _, _, rest = arn.partition("managed-ip-list:")
        _, _, rule = rest.partition(":")
        return {"Addresses": self._ip_lists[rule]} if rule in self._ip_lists else None


class EmptyManagedRules:
    """Every managed group exists and has no rules (tests that need a group without its detection)."""

    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None:
        return ManagedGroup(rules=[], label_namespace=default_namespace(vendor, name))


class StaticManagedRules:
    """A provider backed by a dict; the tests use it as a test double."""

    def __init__(self, groups: dict[tuple[str, str], ManagedGroup]) -> None:
        self._groups = groups

    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None:
        return self._groups.get((vendor, name))
