"""Does a role's trust policy let this caller assume it?

``trust_policy_allows`` is the hook the lead swaps for the policy evaluator (``strongroom.iam.policy``) once it
lands. Until then it applies a deliberately conservative reading of the trust policy: an explicit Deny that
matches wins; an Allow counts only if its action matches ``sts:AssumeRole``, its principal names the caller
(its ARN, its role's ARN for a role session, its account id or account root, or ``*``), and every one of its
conditions is one this reading understands and is satisfied. Unknown operators or keys never grant.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from typing import Any

_SUPPORTED_OPERATORS = frozenset({"StringEquals", "StringLike", "StringNotEquals", "StringEqualsIgnoreCase"})


@dataclass(frozen=True, slots=True)
class TrustRequest:
    action: str  # sts:AssumeRole (the only one implemented)
    caller_arn: str
    caller_account: str
    caller_role_arn: str | None = None  # for an assumed-role caller: the role's own ARN
    context: dict[str, str] = field(default_factory=dict)  # condition keys, e.g. sts:ExternalId


def trust_policy_allows(document: str, request: TrustRequest) -> bool:
    try:
        policy = json.loads(document)
    except ValueError:
        return False
    statements = policy.get("Statement", []) if isinstance(policy, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements:
        if not isinstance(statement, dict) or not _matches(statement, request):
            continue
        if statement.get("Effect") == "Deny":
            return False
        if statement.get("Effect") == "Allow":
            allowed = True
    return allowed


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _matches(statement: dict[str, Any], request: TrustRequest) -> bool:
    actions = _as_list(statement.get("Action"))
    if not any(fnmatch.fnmatchcase(request.action.lower(), str(a).lower()) for a in actions):
        return False
    if not _principal_matches(statement.get("Principal"), request):
        return False
    return _conditions_hold(statement.get("Condition"), request)


def _principal_matches(principal: Any, request: TrustRequest) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    names = {request.caller_arn, request.caller_account, f"arn:aws:iam::{request.caller_account}:root"}
    if request.caller_role_arn:
        names.add(request.caller_role_arn)
    return any(p == "*" or p in names for p in _as_list(principal.get("AWS")))


def _conditions_hold(condition: Any, request: TrustRequest) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if operator not in _SUPPORTED_OPERATORS or not isinstance(block, dict):
            return False
        for key, expected in block.items():
            actual = request.context.get(key) if key in request.context else _lookup_ci(request.context, key)
            values = [str(v) for v in _as_list(expected)]
            if operator == "StringNotEquals":
                if actual is not None and actual in values:
                    return False
                continue
            if actual is None:
                return False
            if operator == "StringEquals" and actual not in values:
                return False
            if operator == "StringEqualsIgnoreCase" and actual.lower() not in {v.lower() for v in values}:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(actual, v) for v in values):
                return False
    return True


def _lookup_ci(context: dict[str, str], key: str) -> str | None:
    # condition key names are case-insensitive
    lowered = key.lower()
    for name, value in context.items():
        if name.lower() == lowered:
            return value
    return None
