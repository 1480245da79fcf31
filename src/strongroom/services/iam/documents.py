"""Policy documents as IAM accepts them: grammar check, size limits, URL-encoding for responses.

``check_policy_grammar`` is the one place that decides whether a document is well formed: a minimal JSON/shape
check with IAM's common messages first, then the policy language's full grammar (``strongroom.iam.policy``).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote

from strongroom.core.errors import AwsError
from strongroom.iam.policy.document import MalformedPolicyDocumentError, parse_policy
from strongroom.iam.policy.document import PolicyKind as GrammarKind
from strongroom.services.iam.errors import LimitExceeded, MalformedPolicyDocument

PolicyKind = Literal["identity", "trust", "resource", "session"]

VERSIONS = ("2012-10-17", "2008-10-17")
MANAGED_POLICY_MAX = 6144  # characters, whitespace not counted (IAM and STS quotas)
TRUST_POLICY_MAX = 2048
INLINE_AGGREGATE_MAX = {"user": 2048, "group": 5120, "role": 10240}
SESSION_POLICY_MAX = 2048
_WHITESPACE = re.compile(r"\s+")
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)


def size(document: str) -> int:
    """IAM's policy size: characters excluding whitespace."""
    return len(_WHITESPACE.sub("", document))


def encode(document: str) -> str:
    """IAM answers policy documents URL-encoded (RFC 3986); botocore decodes and parses them."""
    return quote(document, safe="-_.~")


def check_managed_size(document: str) -> None:
    if size(document) > MANAGED_POLICY_MAX:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {MANAGED_POLICY_MAX}")


def check_policy_grammar(document: str, kind: PolicyKind) -> dict[str, Any]:
    """Parse ``document`` or raise ``MalformedPolicyDocument`` with IAM's wording."""
    parsed = _minimal_check(document, kind)
    grammar_kind = {"trust": GrammarKind.TRUST, "resource": GrammarKind.RESOURCE}.get(kind, GrammarKind.IDENTITY)
    try:
        parse_policy(document, grammar_kind)
    except MalformedPolicyDocumentError as exc:
        raise MalformedPolicyDocument(str(exc)) from None
    return parsed


def _malformed(message: str = "Syntax errors in policy.") -> AwsError:
    return MalformedPolicyDocument(message)


def _minimal_check(document: str, kind: PolicyKind) -> dict[str, Any]:
    try:
        parsed = json.loads(document)
    except (ValueError, RecursionError):
        raise _malformed() from None
    if not isinstance(parsed, dict):
        raise _malformed()
    version = parsed.get("Version")
    if version is not None and version not in VERSIONS:
        raise _malformed("The policy failed legacy parsing")
    statements = parsed.get("Statement")
    if statements is None:
        raise _malformed()
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise _malformed()
    for statement in statements:
        _check_statement(statement, kind)
    return parsed


def _check_statement(statement: Any, kind: PolicyKind) -> None:
    if not isinstance(statement, dict) or not set(statement) <= _STATEMENT_KEYS:
        raise _malformed()
    if statement.get("Effect") not in ("Allow", "Deny"):
        raise _malformed()
    if "Action" not in statement and "NotAction" not in statement:
        raise _malformed("Policy statement must contain actions.")
    for field in ("Action", "NotAction", "Resource", "NotResource"):
        value = statement.get(field)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) for v in values):
            raise _malformed()
        if field in ("Action", "NotAction"):
            for action in values:
                if action != "*" and ":" not in action:
                    raise _malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    if kind in ("identity", "session"):
        if has_principal:
            raise _malformed("Policy document should not specify a principal.")
        if "Resource" not in statement and "NotResource" not in statement:
            raise _malformed("Policy statement must contain resources.")
    elif kind == "trust":
        if not has_principal:
            raise _malformed("Missing required field Principal")
        if "Resource" in statement or "NotResource" in statement:
            raise _malformed("Has prohibited field Resource")
    condition = statement.get("Condition")
    if condition is not None and not isinstance(condition, dict):
        raise _malformed()
