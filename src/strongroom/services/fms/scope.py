"""Which accounts and resources a Firewall Manager policy covers: pure functions, no store.

AWS's rules ("Policy scope", and the Policy type's IncludeMap / ExcludeMap):

- Accounts: with an ``IncludeMap``, the accounts it names plus every account under an OU it names (child OUs
  included, accounts that join later included); ``ExcludeMap`` is then not evaluated. Without one, every account of
  the organization except those the ``ExcludeMap`` names (directly or under a named OU). Keys ``ACCOUNT`` and
  ``ORG_UNIT``.
- Resources: of the policy's ``ResourceType`` (or one of ``ResourceTypeList`` when the type is ``ResourceTypeList``);
  with ``ResourceTags``, a resource matches when it has every listed tag (``ResourceTagLogicalOperator`` AND, the
  default) or any of them (OR); a tag without a value matches the empty value only. ``ExcludeResourceTags`` false
  keeps the matching resources, true keeps the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STAGE = "AWS::ApiGateway::Stage"
TYPE_LIST = "ResourceTypeList"


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    path: str  # ``o-…/r-…/ou-…/…/`` of the account's parent


def _named(scope_map: Mapping[str, Sequence[str]] | None, account: Account) -> bool:
    if not scope_map:
        return False
    if account.account_id in (scope_map.get("ACCOUNT") or ()):
        return True
    parents = set(account.path.rstrip("/").split("/")[2:])  # the OUs above the account, root excluded
    return any(ou in parents for ou in scope_map.get("ORG_UNIT") or ())


def accounts_in_scope(policy: Mapping[str, Any], accounts: Iterable[Account]) -> list[str]:
    """The ids of the accounts ``policy`` applies to, in the order given."""
    include = policy.get("IncludeMap")
    exclude = policy.get("ExcludeMap")
    if include:
        return [a.account_id for a in accounts if _named(include, a)]
    return [a.account_id for a in accounts if not _named(exclude, a)]


def resource_types(policy: Mapping[str, Any]) -> list[str]:
    if policy.get("ResourceType") == TYPE_LIST:
        return list(policy.get("ResourceTypeList") or [])
    return [str(policy.get("ResourceType"))]


def tags_match(policy: Mapping[str, Any], tags: Mapping[str, str]) -> bool:
    """Whether a resource with ``tags`` is in scope by the policy's ResourceTags."""
    wanted = policy.get("ResourceTags") or []
    if not wanted:
        return True
    hits = [tags.get(str(t["Key"])) == str(t.get("Value") or "") for t in wanted]
    matched = any(hits) if policy.get("ResourceTagLogicalOperator") == "OR" else all(hits)
    return not matched if policy.get("ExcludeResourceTags") else matched


def resource_in_scope(policy: Mapping[str, Any], resource_type: str, tags: Mapping[str, str]) -> bool:
    return resource_type in resource_types(policy) and tags_match(policy, tags)
