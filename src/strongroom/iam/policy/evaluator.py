"""The authorization decision, following AWS's policy evaluation logic.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html (and the cross-account
page, the permissions-boundaries and session-policy pages, and KMS's "Determining access to a KMS key"):

1. an explicit Deny in any applicable policy wins;
2. within an account, an Allow in an identity policy (intersected with the permissions boundary and session
   policies) or an Allow in the resource policy that names the principal suffices; a resource policy that names
   only the *account* delegates to IAM; one that names an IAM user or a role *session* is not limited by a
   boundary or session policy, one that names the *role* is;
3. across accounts, both the caller's identity side and the resource policy must allow;
4. the account root user may do anything in its account (it has no identity policies to consult);
5. when a resource policy is required (KMS key policies), identity-side Allows count only if the resource
   policy trusts the caller's account (`arn:aws:iam::ACCT:root` or `ACCT`); grants are a third path;
6. an organization's control policies bound all of that (Organizations' "SCP evaluation" and "RCP evaluation"):
   every level of the path (root, each OU, the account) must allow, through its SCPs for the caller's account and
   through its RCPs for the resource's account; an explicit Deny in either denies. No grant, resource policy or
   root user gets past them. Which accounts and principals they apply to is the caller's decision (the
   authorizer: never the management account, never service-linked roles).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from strongroom.iam.policy.conditions import evaluate_conditions, normalize_context
from strongroom.iam.policy.document import PolicyDocument, PrincipalSpec, Statement
from strongroom.iam.policy.matching import arn_match
from strongroom.iam.policy.messages import render_denial
from strongroom.iam.policy.types import Context, Decision, PolicySource, RawContext
from strongroom.iam.policy.variables import Template


class PrincipalType(enum.StrEnum):
    ROOT = "Root"
    IAM_USER = "IAMUser"
    ASSUMED_ROLE = "AssumedRole"
    FEDERATED_USER = "FederatedUser"
    AWS_SERVICE = "AWSService"
    ANONYMOUS = "Anonymous"


# aws:PrincipalType values AWS populates for each kind of caller.
_AWS_PRINCIPAL_TYPE = {
    PrincipalType.ROOT: "Account",
    PrincipalType.IAM_USER: "User",
    PrincipalType.ASSUMED_ROLE: "AssumedRole",
    PrincipalType.FEDERATED_USER: "FederatedUser",
}


@dataclass(frozen=True, slots=True)
class PrincipalInfo:
    """Who is calling. ``role_arn`` (assumed roles) and ``source_user_arn`` (federated users) carry the IAM
    identity behind a session, which resource policies may name instead of the session."""

    arn: str
    account: str
    type: PrincipalType
    userid: str = ""
    username: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    role_arn: str | None = None
    source_user_arn: str | None = None
    service: str | None = None
    canonical_user: str | None = None
    federated_provider: str | None = None

    @property
    def account_root(self) -> str:
        return f"arn:aws:iam::{self.account}:root"


@dataclass(frozen=True, slots=True)
class Grant:
    """A KMS grant as evaluation needs it."""

    grantee_principal: str
    operations: frozenset[str]
    encryption_context_equals: Mapping[str, str] | None = None
    encryption_context_subset: Mapping[str, str] | None = None
    grant_id: str = ""
    key_arn: str | None = None


@dataclass(frozen=True, slots=True)
class MatchedStatement:
    source: PolicySource
    policy_index: int
    statement_index: int
    sid: str | None
    effect: str


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    principal: PrincipalInfo
    action: str
    resources: Sequence[str]
    context: RawContext = field(default_factory=dict)
    identity_policies: Sequence[PolicyDocument] = ()
    boundary: PolicyDocument | None = None
    session_policies: Sequence[PolicyDocument] | None = None
    resource_policy: PolicyDocument | None = None
    resource_account: str | None = None  # defaults to the principal's account
    resource_policy_required: bool = False  # KMS: the key policy must trust the account
    grants: Sequence[Grant] = ()
    encryption_context: Mapping[str, str] | None = None  # for grant constraints
    # The organization's control policies in force, one tuple per level (root, OUs down the path, the account);
    # None when none apply. SCPs bound the caller's account, RCPs the resource's.
    scps: Sequence[Sequence[PolicyDocument]] | None = None
    rcps: Sequence[Sequence[PolicyDocument]] | None = None


@dataclass(frozen=True, slots=True)
class EvaluationResult:
    decision: Decision
    reason: PolicySource | None
    action: str
    resource: str
    principal_arn: str
    matched: tuple[MatchedStatement, ...] = ()
    grant_id: str | None = None

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def message(self) -> str:
        return render_denial(self)


# --- context ----------------------------------------------------------------------------------------------------


def build_context(principal: PrincipalInfo, raw: RawContext) -> dict[str, tuple[str, ...]]:
    """The request context with the principal's global keys filled in where the caller did not set them."""
    ctx = normalize_context(raw)
    if principal.type in (PrincipalType.AWS_SERVICE, PrincipalType.ANONYMOUS):
        return ctx
    defaults: dict[str, str] = {"aws:principalaccount": principal.account}
    ptype = _AWS_PRINCIPAL_TYPE.get(principal.type)
    if ptype:
        defaults["aws:principaltype"] = ptype
    defaults["aws:principalarn"] = principal.role_arn or principal.arn
    if principal.userid:
        defaults["aws:userid"] = principal.userid
    if principal.username and principal.type is PrincipalType.IAM_USER:
        defaults["aws:username"] = principal.username
    for k, v in principal.tags.items():
        defaults[f"aws:principaltag/{k.lower()}"] = v
    for k, v in defaults.items():
        ctx.setdefault(k, (v,))
    return ctx


# --- statement matching -----------------------------------------------------------------------------------------


def _action_applies(st: Statement, action_lower: str) -> bool:
    if st.actions is not None:
        return st.actions.matches(action_lower)
    assert st.not_actions is not None
    return not st.not_actions.matches(action_lower)


def _any_resource(templates: Iterable[Template], resource: str, ctx: Context, missing_as_wildcard: bool) -> bool:
    for t in templates:
        parts = t.resolve(ctx, missing_as_wildcard) if t.has_variables else t.static_parts
        if parts is not None and arn_match(parts, resource):
            return True
    return False


def _resource_applies(st: Statement, resource: str, ctx: Context) -> bool:
    """Resource/NotResource. A pattern whose policy variable has no value matches nothing in Resource, and in
    NotResource excludes every resource it could match whatever the value (so it never widens an Allow)."""
    if st.resources is not None:
        return _any_resource(st.resources, resource, ctx, False)
    if st.not_resources is not None:
        return not _any_resource(st.not_resources, resource, ctx, True)
    return True  # trust policies have no Resource element


# Kinds of principal match, strongest first. "session": the caller itself (user, role session, federated session,
# root, service); "role": the IAM role behind a session (or the IAM user behind a federated session); "account":
# only the caller's account; "public": Principal "*".
_SESSION, _ROLE, _ACCOUNT, _PUBLIC = "session", "role", "account", "public"


def _principal_match(spec: PrincipalSpec, p: PrincipalInfo) -> str | None:
    if spec.everyone:
        return _PUBLIC
    if p.type is PrincipalType.ANONYMOUS:
        return None
    if p.type is PrincipalType.AWS_SERVICE:
        return _SESSION if p.service is not None and p.service in spec.service else None
    if p.canonical_user and p.canonical_user in spec.canonical_user:
        return _SESSION
    if p.federated_provider and p.federated_provider in spec.federated:
        return _SESSION
    aws = spec.aws
    if not aws:
        return None
    if p.arn in aws:
        return _SESSION
    if (p.role_arn and p.role_arn in aws) or (p.source_user_arn and p.source_user_arn in aws):
        return _ROLE
    if p.account_root in aws:
        return _ACCOUNT
    if "*" in aws:
        return _PUBLIC
    return None


def _not_principal_excludes(spec: PrincipalSpec, p: PrincipalInfo, has_boundary: bool) -> bool:
    """NotPrincipal excludes a caller only when every identity in its chain is listed (account, role, session),
    which is why AWS tells you to list the account and role ARNs alongside a session ARN."""
    if spec.everyone:
        return True
    if p.type is PrincipalType.ANONYMOUS:
        return False
    if p.type is PrincipalType.AWS_SERVICE:
        return p.service is not None and p.service in spec.service
    if "*" in spec.aws:
        return True
    if has_boundary:
        # AWS: a Deny with NotPrincipal always applies to IAM principals that have a permissions boundary.
        return False
    chain = {p.arn, p.account_root}
    if p.role_arn:
        chain.add(p.role_arn)
    return chain <= spec.aws


def _statement_principal(st: Statement, p: PrincipalInfo, has_boundary: bool) -> str | None:
    if st.principal is not None:
        return _principal_match(st.principal, p)
    if st.not_principal is not None:
        return None if _not_principal_excludes(st.not_principal, p, has_boundary) else _SESSION
    return _SESSION


@dataclass(slots=True)
class _Side:
    """Applicable Allow/Deny statements of one kind of policy."""

    source: PolicySource
    allows: list[MatchedStatement] = field(default_factory=list)
    denies: list[MatchedStatement] = field(default_factory=list)
    allow_kinds: set[str] = field(default_factory=set)


def _scan(
    source: PolicySource,
    docs: Sequence[PolicyDocument],
    action_lower: str,
    resource: str,
    ctx: Context,
    principal: PrincipalInfo | None,
    has_boundary: bool = False,
) -> _Side:
    side = _Side(source)
    for pi, doc in enumerate(docs):
        for st in doc.statements:
            if not _action_applies(st, action_lower):
                continue
            kind = _SESSION
            if principal is not None:
                matched_kind = _statement_principal(st, principal, has_boundary)
                if matched_kind is None:
                    continue
                kind = matched_kind
            if not _resource_applies(st, resource, ctx):
                continue
            if st.conditions and not evaluate_conditions(st.conditions, ctx):
                continue
            m = MatchedStatement(source, pi, st.index, st.sid, st.effect)
            if st.effect == "Deny":
                side.denies.append(m)
            else:
                side.allows.append(m)
                side.allow_kinds.add(kind)
    return side


def _scan_levels(
    source: PolicySource,
    levels: Sequence[Sequence[PolicyDocument]],
    action_lower: str,
    resource: str,
    ctx: Context,
    principal: PrincipalInfo | None,
) -> tuple[list[MatchedStatement], bool]:
    """An organization's policies of one type: (the Denies that apply, whether every level allows)."""
    denies: list[MatchedStatement] = []
    every_level = True
    for level in levels:
        side = _scan(source, level, action_lower, resource, ctx, principal)
        denies.extend(side.denies)
        every_level = every_level and bool(side.allows)
    return denies, every_level


def _grant_allows(grant: Grant, req: AuthorizationRequest, resource: str) -> bool:
    p = req.principal
    if grant.grantee_principal not in (p.arn, p.role_arn):
        return False
    if grant.key_arn is not None and grant.key_arn != resource:
        return False
    operation = req.action.split(":", 1)[-1]
    if not any(op.lower() == operation.lower() for op in grant.operations):
        return False
    ec = req.encryption_context or {}
    if grant.encryption_context_equals is not None and dict(grant.encryption_context_equals) != dict(ec):
        return False
    if grant.encryption_context_subset is not None:
        return all(ec.get(k) == v for k, v in grant.encryption_context_subset.items())
    return True


def _evaluate_resource(req: AuthorizationRequest, resource: str, ctx: Context) -> EvaluationResult:
    p = req.principal
    action_lower = req.action.lower()

    def result(
        decision: Decision, reason: PolicySource | None, matched: Iterable[MatchedStatement] = ()
    ) -> EvaluationResult:
        return EvaluationResult(decision, reason, req.action, resource, p.arn, tuple(matched))

    identity = _scan(PolicySource.IDENTITY, req.identity_policies, action_lower, resource, ctx, None)
    session = (
        _scan(PolicySource.SESSION, req.session_policies, action_lower, resource, ctx, None)
        if req.session_policies
        else None
    )
    boundary = _scan(PolicySource.BOUNDARY, [req.boundary], action_lower, resource, ctx, None) if req.boundary else None
    res = (
        _scan(PolicySource.RESOURCE, [req.resource_policy], action_lower, resource, ctx, p, req.boundary is not None)
        if req.resource_policy
        else _Side(PolicySource.RESOURCE)
    )
    scp_denies, scp_ok = (
        _scan_levels(PolicySource.SCP, req.scps, action_lower, resource, ctx, None) if req.scps else ([], True)
    )
    rcp_denies, rcp_ok = (
        _scan_levels(PolicySource.RCP, req.rcps, action_lower, resource, ctx, p) if req.rcps else ([], True)
    )
    if scp_denies:
        return result(Decision.EXPLICIT_DENY, PolicySource.SCP, scp_denies)
    if rcp_denies:
        return result(Decision.EXPLICIT_DENY, PolicySource.RCP, rcp_denies)
    for side in (identity, session, boundary, res):
        if side is not None and side.denies:
            return result(Decision.EXPLICIT_DENY, side.source, side.denies)
    # AWS's order after the Denies: RCPs, then SCPs, then the account's own policies.
    if not rcp_ok:
        return result(Decision.IMPLICIT_DENY, PolicySource.RCP)
    if not scp_ok:
        return result(Decision.IMPLICIT_DENY, PolicySource.SCP)

    is_root = p.type is PrincipalType.ROOT
    has_identity = p.type not in (PrincipalType.AWS_SERVICE, PrincipalType.ANONYMOUS)
    id_allow = is_root or (has_identity and bool(identity.allows))
    boundary_ok = boundary is None or bool(boundary.allows)
    session_ok = session is None or bool(session.allows)
    kinds = res.allow_kinds
    same_account = has_identity and p.account == (req.resource_account or p.account)

    identity_matched = [*identity.allows, *(boundary.allows if boundary else ()), *(session.allows if session else ())]

    def identity_failure() -> PolicySource:
        if not id_allow:
            return PolicySource.IDENTITY
        if not boundary_ok:
            return PolicySource.BOUNDARY
        return PolicySource.SESSION

    identity_ok = id_allow and boundary_ok and session_ok
    if same_account:
        # A resource policy naming the caller itself suffices on its own; one naming everyone is still limited
        # by session policies; one naming the role behind a session by the boundary and session policies too.
        if _SESSION in kinds or (_PUBLIC in kinds and session_ok):
            return result(Decision.ALLOW, PolicySource.RESOURCE, res.allows)
        if _ROLE in kinds and boundary_ok and session_ok:
            return result(Decision.ALLOW, PolicySource.RESOURCE, [*res.allows, *identity_matched])
        trusted = not req.resource_policy_required or _ACCOUNT in kinds
        if identity_ok and trusted:
            source = PolicySource.ROOT if is_root else PolicySource.IDENTITY
            return result(Decision.ALLOW, source, [*identity_matched, *res.allows])
        if _ROLE in kinds:
            reason = PolicySource.BOUNDARY if not boundary_ok else PolicySource.SESSION
        elif _PUBLIC in kinds:
            reason = PolicySource.SESSION
        else:
            reason = PolicySource.RESOURCE if not trusted else identity_failure()
    elif not has_identity:
        # Services and anonymous callers have no identity policies: only a resource policy can let them in.
        if _SESSION in kinds or _PUBLIC in kinds:
            return result(Decision.ALLOW, PolicySource.RESOURCE, res.allows)
        reason = PolicySource.RESOURCE
    else:
        resource_ok = bool(kinds)
        if resource_ok and identity_ok:
            return result(Decision.ALLOW, PolicySource.RESOURCE, [*res.allows, *identity_matched])
        reason = PolicySource.RESOURCE if not resource_ok else identity_failure()

    for grant in req.grants:
        if _grant_allows(grant, req, resource):
            return EvaluationResult(Decision.ALLOW, PolicySource.GRANT, req.action, resource, p.arn, (), grant.grant_id)
    return result(Decision.IMPLICIT_DENY, reason)


def evaluate(req: AuthorizationRequest) -> EvaluationResult:
    """Decide one request; with several resources every one must be allowed (the first refusal is returned)."""
    # No policy to scan (root or a service without policies, no resource policy): no statement will read the
    # context, so it is not built (normalizing every key was most of such a request's authorization).
    scanned = (
        req.identity_policies or req.session_policies or req.boundary or req.resource_policy or req.scps or req.rcps
    )
    ctx = build_context(req.principal, req.context) if scanned else {}
    resources = list(req.resources) or ["*"]
    results = [_evaluate_resource(req, r, ctx) for r in resources]
    for wanted in (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY):
        for r in results:
            if r.decision is wanted:
                return r
    if len(results) == 1:
        return results[0]
    matched = tuple(m for r in results for m in r.matched)
    first = results[0]
    return EvaluationResult(first.decision, first.reason, first.action, first.resource, first.principal_arn, matched)
