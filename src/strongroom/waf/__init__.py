"""The AWS WAF rule-evaluation engine: plain data in (a web ACL, a request view), a decision out.

Shared by every enforcement point (API Gateway stages, the WAF proxy, the ASGI middleware); it holds no
storage and runs no server.
"""

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
