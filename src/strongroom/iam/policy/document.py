"""Parse and validate policy documents into compiled, immutable statements.

Validation answers with IAM's ``MalformedPolicyDocument`` message texts. Documents are cached by their text and
kind, so a policy that is evaluated on every request is parsed once.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from strongroom.iam.policy.conditions import ConditionClause, UnknownOperatorError, parse_operator
from strongroom.iam.policy.matching import ActionMatcher
from strongroom.iam.policy.variables import Template, compile_resource_template

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "*"})
_TOP_FIELDS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_FIELDS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
_ACTION_RE = re.compile(r"^[A-Za-z0-9-]+:[^:]*$")
# The vendor of an OIDC provider's keys is its host and path ("token.actions.githubusercontent.com:sub",
# "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud"), hence dots and slashes.
_CONDITION_KEY_RE = re.compile(r"^[A-Za-z0-9./-]+:.+$")
_SID_RE = re.compile(r"^[0-9A-Za-z]*$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_AWS_PRINCIPAL_RE = re.compile(
    r"^arn:aws[a-z-]*:(iam::\d{12}:(root|user/.+|role/.+|federated-user/.+)"
    r"|sts::\d{12}:(assumed-role/[^/]+/.+|federated-user/.+))$"
)
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


class MalformedPolicyDocumentError(ValueError):
    """The document breaks the policy grammar; ``str(err)`` is IAM's message."""


class PolicyKind(enum.Enum):
    """Where a document is used: decides whether Principal is required or prohibited, and Resource rules."""

    IDENTITY = "identity"  # identity policies, permissions boundaries, session policies
    RESOURCE = "resource"  # key policies, secret/parameter/CA resource policies
    TRUST = "trust"  # role trust policies: Principal required, Resource prohibited


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A Principal/NotPrincipal element. AWS account ids are normalised to ``arn:aws:iam::ID:root``."""

    everyone: bool = False  # "Principal": "*"
    aws: frozenset[str] = frozenset()  # may contain "*"
    service: frozenset[str] = frozenset()
    federated: frozenset[str] = frozenset()
    canonical_user: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    actions: ActionMatcher | None
    not_actions: ActionMatcher | None
    resources: tuple[Template, ...] | None
    not_resources: tuple[Template, ...] | None
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[ConditionClause, ...]
    raw: Mapping[str, Any] = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str
    id: str | None
    statements: tuple[Statement, ...]
    kind: PolicyKind
    text: str = field(compare=False, repr=False)

    @property
    def allows(self) -> tuple[Statement, ...]:
        return tuple(s for s in self.statements if s.effect == "Allow")


def _fail(message: str) -> MalformedPolicyDocumentError:
    return MalformedPolicyDocumentError(message)


_SYNTAX = "Syntax errors in policy."


def _string_list(value: Any) -> list[str]:
    """AWS accepts a string or a non-empty list of strings for Action/Resource-like elements."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    raise _fail(_SYNTAX)


def _validate_action(action: str) -> None:
    if action != "*" and not _ACTION_RE.match(action):
        raise _fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")


def _validate_resource(resource: str) -> None:
    if resource == "*":
        return
    pieces = resource.split(":", 5)
    if len(pieces) != 6 or pieces[0] != "arn":
        raise _fail(f'Resource {resource} must be in ARN format or "*".')
    if pieces[1] not in _PARTITIONS and "${" not in pieces[1]:
        raise _fail(f'Partition "{pieces[1]}" is not valid for resource "{resource}".')


def _parse_principal(value: Any) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(everyone=True)
    if not isinstance(value, dict) or not value:
        raise _fail(_SYNTAX)
    buckets: dict[str, set[str]] = {t: set() for t in _PRINCIPAL_TYPES}
    for ptype, entries in value.items():
        if ptype not in buckets:
            raise _fail(f'Invalid principal in policy: "{ptype}":{json.dumps(entries)}')
        for entry in _string_list(entries):
            if ptype == "AWS":
                if entry == "*":
                    buckets["AWS"].add("*")
                elif _ACCOUNT_RE.match(entry):
                    buckets["AWS"].add(f"arn:aws:iam::{entry}:root")
                elif _AWS_PRINCIPAL_RE.match(entry):
                    buckets["AWS"].add(entry)
                else:
                    raise _fail(f'Invalid principal in policy: "AWS":"{entry}"')
            else:
                buckets[ptype].add(entry)
    return PrincipalSpec(
        aws=frozenset(buckets["AWS"]),
        service=frozenset(buckets["Service"]),
        federated=frozenset(buckets["Federated"]),
        canonical_user=frozenset(buckets["CanonicalUser"]),
    )


def _parse_conditions(value: Any, variables: bool) -> tuple[ConditionClause, ...]:
    if not isinstance(value, dict):
        raise _fail(_SYNTAX)
    clauses: list[ConditionClause] = []
    for op_name, block in value.items():
        try:
            op = parse_operator(op_name)
        except UnknownOperatorError:
            raise _fail(f"Invalid Condition type : {op_name}") from None
        if not isinstance(block, dict) or not block:
            raise _fail(_SYNTAX)
        for key, raw in block.items():
            if not _CONDITION_KEY_RE.match(key):
                raise _fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
            items = raw if isinstance(raw, list) else [raw]
            texts: list[str] = []
            for item in items:
                if isinstance(item, bool):
                    texts.append("true" if item else "false")
                elif isinstance(item, (str, int, float)):
                    texts.append(str(item))
                else:
                    raise _fail(_SYNTAX)
            clauses.append(ConditionClause(op, key, texts, variables))
    return tuple(clauses)


def _parse_statement(raw: Any, index: int, kind: PolicyKind, variables: bool) -> Statement:
    if not isinstance(raw, dict):
        raise _fail(_SYNTAX)
    for name in raw:
        if name not in _STATEMENT_FIELDS:
            raise _fail(_SYNTAX)
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise _fail(_SYNTAX)
        if kind is PolicyKind.IDENTITY and not _SID_RE.match(sid):
            raise _fail(
                "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
                "expression [0-9A-Za-z]*"
            )
    if "Effect" not in raw:
        raise _fail("Missing required field Effect")
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise _fail(f"Invalid effect: {effect}")
    has_principal = "Principal" in raw or "NotPrincipal" in raw
    if kind is PolicyKind.IDENTITY and has_principal:
        raise _fail("Policy document should not specify a principal.")
    if kind is not PolicyKind.IDENTITY and not has_principal:
        raise _fail("Missing required field Principal")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise _fail(_SYNTAX)
    if ("Action" in raw) == ("NotAction" in raw):
        raise _fail("Policy statement must contain actions.")
    has_resource = "Resource" in raw or "NotResource" in raw
    if kind is PolicyKind.TRUST and has_resource:
        raise _fail("Has prohibited field Resource")
    if "Resource" in raw and "NotResource" in raw:
        raise _fail(_SYNTAX)
    if kind is not PolicyKind.TRUST and not has_resource:
        raise _fail("Policy statement must contain resources.")

    def actions(field_name: str) -> ActionMatcher | None:
        if field_name not in raw:
            return None
        values = _string_list(raw[field_name])
        for a in values:
            _validate_action(a)
        return ActionMatcher(values)

    def resources(field_name: str) -> tuple[Template, ...] | None:
        if field_name not in raw:
            return None
        values = _string_list(raw[field_name])
        for r in values:
            _validate_resource(r)
        return tuple(compile_resource_template(r, variables) for r in values)

    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        actions=actions("Action"),
        not_actions=actions("NotAction"),
        resources=resources("Resource"),
        not_resources=resources("NotResource"),
        principal=_parse_principal(raw["Principal"]) if "Principal" in raw else None,
        not_principal=_parse_principal(raw["NotPrincipal"]) if "NotPrincipal" in raw else None,
        conditions=_parse_conditions(raw["Condition"], variables) if "Condition" in raw else (),
        raw=raw,
    )


def _parse(text: str, kind: PolicyKind) -> PolicyDocument:
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise _fail(_SYNTAX) from None
    if not isinstance(data, dict):
        raise _fail(_SYNTAX)
    for name in data:
        if name not in _TOP_FIELDS:
            raise _fail(_SYNTAX)
    version = data.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        raise _fail("The policy failed legacy parsing")
    policy_id = data.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise _fail(_SYNTAX)
    if "Statement" not in data:
        raise _fail(_SYNTAX)
    raw_statements = data["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise _fail(_SYNTAX)
    variables = version == VERSION_2012
    statements = tuple(_parse_statement(s, i, kind, variables) for i, s in enumerate(raw_statements))
    if kind is PolicyKind.IDENTITY:
        sids = [s.sid for s in statements if s.sid]
        if len(sids) != len(set(sids)):
            raise _fail("Statement IDs (SID) in a single policy must be unique.")
    return PolicyDocument(version=version, id=policy_id, statements=statements, kind=kind, text=text)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


@lru_cache(maxsize=4096)
def _parse_cached(text: str, kind: PolicyKind) -> PolicyDocument:
    return _parse(text, kind)


def parse_policy(document: str | Mapping[str, Any], kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyDocument:
    """Parse, validate and compile a document; raises :class:`MalformedPolicyDocumentError`.

    Results are cached by (text, kind): re-parsing the same stored policy on every request costs a dict lookup.
    """
    text = document if isinstance(document, str) else json.dumps(document)
    return _parse_cached(text, kind)
