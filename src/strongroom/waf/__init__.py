"""The AWS WAF rule-evaluation engine: plain data in (a web ACL, a request view), a decision out.

Shared by every enforcement point (API Gateway stages, the WAF proxy, the ASGI middleware); it holds no
storage and runs no server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strongroom.waf.actions import DEFAULT_BLOCK_BODY
    from strongroom.waf.context import WafCompileError
    from strongroom.waf.decision import Decision, Response, RuleMatch
    from strongroom.waf.engine import WebAclEvaluator
    from strongroom.waf.managed import (
        CrsManagedRules,
        EmptyManagedRules,
        ManagedGroup,
        ManagedRulesProvider,
        StaticManagedRules,
    )
    from strongroom.waf.ratelimit import InMemoryRateCounter, RateCounterStore
    from strongroom.waf.request import WafRequest
    from strongroom.waf.tokens import issue_token

# Each name is imported from its module when first asked for (PEP 562): importing one submodule (``waf.geoip``
# for the server's start-up checks, ``waf.ratelimit`` for the rate counters) runs this file, and importing the
# whole engine with it put RE2 and the rule compiler in processes that never evaluate a rule (the workers'
# supervising parent).
_EXPORTS = {
    "DEFAULT_BLOCK_BODY": "strongroom.waf.actions",
    "WafCompileError": "strongroom.waf.context",
    "Decision": "strongroom.waf.decision",
    "Response": "strongroom.waf.decision",
    "RuleMatch": "strongroom.waf.decision",
    "WebAclEvaluator": "strongroom.waf.engine",
    "CrsManagedRules": "strongroom.waf.managed",
    "EmptyManagedRules": "strongroom.waf.managed",
    "ManagedGroup": "strongroom.waf.managed",
    "ManagedRulesProvider": "strongroom.waf.managed",
    "StaticManagedRules": "strongroom.waf.managed",
    "InMemoryRateCounter": "strongroom.waf.ratelimit",
    "RateCounterStore": "strongroom.waf.ratelimit",
    "WafRequest": "strongroom.waf.request",
    "issue_token": "strongroom.waf.tokens",
}

__all__ = [
    "DEFAULT_BLOCK_BODY",
    "CrsManagedRules",
    "Decision",
    "EmptyManagedRules",
    "InMemoryRateCounter",
    "ManagedGroup",
    "ManagedRulesProvider",
    "RateCounterStore",
    "Response",
    "RuleMatch",
    "StaticManagedRules",
    "WafCompileError",
    "WafRequest",
    "WebAclEvaluator",
    "issue_token",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
