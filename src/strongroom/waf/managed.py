"""Managed rule groups come from a provider: (vendor, name, version) -> the group's rules as JSON.

The detection content ships later; the stub here answers an empty group for any name, so a web ACL that
references AWS managed groups evaluates (as "no match") instead of failing to compile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ManagedGroup:
    rules: list[dict] = field(default_factory=list)
    label_namespace: str = ""  # e.g. "awswaf:managed:aws:core-rule-set:"


class ManagedRulesProvider(Protocol):
    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None: ...


def default_namespace(vendor: str, name: str) -> str:
    # AWS names AWSManagedRulesCommonRuleSet's labels awswaf:managed:aws:core-rule-set:...; without the
    # content we derive a stable namespace from the names.
    return f"awswaf:managed:{vendor.lower()}:{name}:"


class EmptyManagedRules:
    """The stub provider: every managed group exists and has no rules."""

    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None:
        return ManagedGroup(rules=[], label_namespace=default_namespace(vendor, name))


class StaticManagedRules:
    """A provider backed by a dict; the tests use it as a test double."""

    def __init__(self, groups: dict[tuple[str, str], ManagedGroup]) -> None:
        self._groups = groups

    def get(self, vendor: str, name: str, version: str | None) -> ManagedGroup | None:
        return self._groups.get((vendor, name))
