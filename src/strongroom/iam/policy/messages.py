"""AWS's AccessDenied message texts for an evaluation result.

Formats from https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html, e.g.
``User: arn:aws:iam::123456789012:user/alice is not authorized to perform: kms:Decrypt on resource: ARN because
no identity-based policy allows the kms:Decrypt action`` and ``... with an explicit deny in a resource-based
policy``.
"""

from __future__ import annotations

from typing import Protocol

from strongroom.iam.policy.types import Decision, PolicySource


class Denial(Protocol):
    """What a message is made of (``evaluator.EvaluationResult`` has it)."""

    @property
    def decision(self) -> Decision: ...
    @property
    def reason(self) -> PolicySource | None: ...
    @property
    def action(self) -> str: ...
    @property
    def resource(self) -> str: ...
    @property
    def principal_arn(self) -> str: ...


def render_denial(result: Denial) -> str:
    """The message for a denied result ('' for an allowed one)."""
    if result.decision is Decision.ALLOW:
        return ""
    head = f"User: {result.principal_arn} is not authorized to perform: {result.action}"
    if result.resource and result.resource != "*":
        head += f" on resource: {result.resource}"
    source = result.reason or PolicySource.IDENTITY
    if result.decision is Decision.EXPLICIT_DENY:
        article = "an" if source.value[0] in "aeiou" else "a"
        return f"{head} with an explicit deny in {article} {source.value}"
    return f"{head} because no {source.value} allows the {result.action} action"
