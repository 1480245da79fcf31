"""What an evaluation answers: the decision, and the response to send instead of forwarding."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    content_type: str = "text/html"
    default_block: bool = False  # Block without a CustomResponse: the protected resource may answer its own way


@dataclass
class ActionOutcome:
    action: str
    terminating: bool
    response: Response | None = None


@dataclass
class RuleMatch:
    rule: str
    action: str
    group: str | None = None
    details: list[dict] = field(default_factory=list)


@dataclass
class Decision:
    action: str  # ALLOW | BLOCK | CAPTCHA | CHALLENGE
    terminating_rule: str  # "Default_Action" when no rule terminated
    terminating_rule_type: str  # REGULAR | RATE_BASED | GROUP | MANAGED_RULE_GROUP
    terminating_group: str | None = None
    terminating_group_rule: str | None = None
    terminating_details: list[dict] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    count_matches: list[RuleMatch] = field(default_factory=list)
    response: Response | None = None  # what to send instead of forwarding (Block, CAPTCHA, Challenge)
    inserted_headers: list[tuple[str, str]] = field(default_factory=list)  # x-amzn-waf-* to add upstream
    metrics: list[str] = field(default_factory=list)  # VisibilityConfig MetricNames of matching rules
    rate_based: list[dict] = field(default_factory=list)
    captcha_required: bool = False
    challenge_required: bool = False
    token_status: dict[str, str] = field(default_factory=dict)  # captcha/challenge -> absent|accepted|...
