"""The AWS policy language: parsing/validation, conditions, variables, matching and the evaluator.

Pure logic with no storage access, so the request pipeline, SimulatePrincipalPolicy and the tests all share one
decision procedure.
"""

from strongroom.iam.policy.document import (
    MalformedPolicyDocumentError,
    PolicyDocument,
    PolicyKind,
    Statement,
    parse_policy,
)
from strongroom.iam.policy.evaluator import (
    AuthorizationRequest,
    EvaluationResult,
    Grant,
    MatchedStatement,
    PrincipalInfo,
    PrincipalType,
    evaluate,
)
from strongroom.iam.policy.messages import render_denial
from strongroom.iam.policy.types import Decision, PolicySource

__all__ = [
    "AuthorizationRequest",
    "Decision",
    "EvaluationResult",
    "Grant",
    "MalformedPolicyDocumentError",
    "MatchedStatement",
    "PolicyDocument",
    "PolicyKind",
    "PolicySource",
    "PrincipalInfo",
    "PrincipalType",
    "Statement",
    "evaluate",
    "parse_policy",
    "render_denial",
]
