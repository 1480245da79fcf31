"""The authorization step of every call: who is asking, for which action on which resources, and may they.

The pipeline calls :meth:`Authorizer.authorize` before every provider call (external and internal). It builds an
:class:`~strongroom.iam.policy.AuthorizationRequest` from

* the caller (``ctx.principal``) and, through :class:`~strongroom.iam.directory.Directory`, its identity policies,
  permissions boundary, session policies and tags (cached per access key, see *Caching* below);
* the action(s) and resource ARN(s) of the operation, from the service's authorization table
  (``strongroom.services.<svc>.access.checks``) or, for services without one, ``<signing name>:<Operation>`` on
  ``"*"`` so that every service is enforced;
* the global condition keys Strongroom populates (:func:`global_context`) plus the service's own keys;
* the resource policy: given by the table (KMS key policies, role trust policies) or looked up through the
  ``resource_policy(runtime, arn)`` functions that services expose in ``services/<svc>/access.py``;
* KMS grants, consulted only when the policies alone do not allow (so the hot path reads no grant rows).

A denial raises the service's access-denied error with AWS's message text (rendered by the evaluator), which the
pipeline records in the audit trail like any other error.

Caching: a caller's policies are cached per access key for at most :data:`POLICY_TTL` seconds, so an IAM change
made on another node applies within that bound. An IAM write on this node drops the cache at once and keeps it
off for :data:`POLICY_TTL` seconds, so a write still in flight is never cached as current.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from strongroom.core.clock import clock
from strongroom.core.context import SERVICE_LINKED_ROLE
from strongroom.core.errors import AwsError
from strongroom.core.operations import row_read_only
from strongroom.iam.decisions import decide
from strongroom.iam.directory import Directory, NamedPolicy
from strongroom.iam.orgs import (
    OrgBounds,
    OrgSource,
    principal_keys,
    rcps_for,
    resource_keys,
    scps_for,
)
from strongroom.iam.policy import (
    AuthorizationRequest,
    EvaluationResult,
    Grant,
    MalformedPolicyDocumentError,
    PolicyDocument,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)

if TYPE_CHECKING:
    from strongroom.core.context import Principal, RequestContext
    from strongroom.protocol.catalog import Catalog
    from strongroom.store.engine import Store

log = logging.getLogger("strongroom.authz")

POLICY_TTL = 1.0  # seconds: the documented bound on how stale a cached caller's policies may be


@dataclass(slots=True)
class Check:
    """One authorization question: may the caller perform ``action`` on ``resource``?

    ``lazy`` maps a lower-cased condition-key prefix to a loader of those keys; the loader runs only when some
    policy in play mentions the prefix (e.g. resource tags, which cost a read). ``after`` runs once the check has
    passed, with a function that evaluates further checks for the same caller (KMS's lockout safety check).
    """

    action: str
    resource: str = "*"
    context: dict[str, Any] = field(default_factory=dict)
    resource_policy: str | None = None
    resource_policy_kind: PolicyKind = PolicyKind.RESOURCE
    policy_required: bool = False
    resource_account: str | None = None
    encryption_context: Mapping[str, str] | None = None
    grants: Callable[[], Sequence[Grant]] | None = None
    lazy: dict[str, Callable[[], dict[str, Any]]] = field(default_factory=dict)
    lookup_resource_policy: bool = True  # ask the service registry when resource_policy is None
    after: Callable[[Callable[[Check], EvaluationResult]], None] | None = None


@dataclass(frozen=True, slots=True)
class CallerPolicies:
    """A caller as the evaluator sees it, with its parsed policies."""

    info: PrincipalInfo
    identity: tuple[PolicyDocument, ...] = ()
    identity_named: tuple[NamedPolicy, ...] = ()
    boundary: PolicyDocument | None = None
    boundary_text: str | None = None
    session: tuple[PolicyDocument, ...] | None = None
    session_texts: tuple[str, ...] = ()
    texts: str = ""  # every policy's text, lower-cased: which lazy keys are worth loading
    source_identity: str | None = None
    temporary: bool = False
    mfa_at: float | None = None  # epoch seconds of the session's MFA authentication (None: none)


def principal_type(p: Principal) -> PrincipalType:
    try:
        return PrincipalType(p.type)
    except ValueError:
        return PrincipalType.ANONYMOUS


def role_arn_of_session(assumed_role_arn: str, role_path: str = "/") -> str:
    """``arn:aws:sts::ACCT:assumed-role/NAME/SESSION`` -> ``arn:aws:iam::ACCT:role/PATH/NAME``."""
    account = assumed_role_arn.split(":")[4]
    name = assumed_role_arn.split(":", 5)[5].split("/")[1]
    return f"arn:aws:iam::{account}:role{role_path}{name}"


def _parse_all(texts: Sequence[str], kind: PolicyKind = PolicyKind.IDENTITY) -> list[PolicyDocument]:
    out = []
    for text in texts:
        try:
            out.append(parse_policy(text, kind))
        except MalformedPolicyDocumentError:
            log.warning("stored policy does not parse; ignored")
    return out


def load_caller(directory: Directory, p: Principal) -> CallerPolicies:
    """The caller's identity, identity policies, boundary, session policies and tags (no cache)."""
    ptype = principal_type(p)
    temporary = bool(p.access_key_id and p.access_key_id.startswith("ASIA"))
    if ptype not in (PrincipalType.IAM_USER, PrincipalType.ASSUMED_ROLE, PrincipalType.FEDERATED_USER):
        service = (p.principal_id or p.arn) if ptype is PrincipalType.AWS_SERVICE else None
        info = PrincipalInfo(arn=p.arn, account=p.account_id, type=ptype, userid=p.principal_id, service=service)
        return CallerPolicies(info, temporary=temporary)
    session = directory.session(p.access_key_id) if temporary and p.access_key_id else None
    pol = directory.principal_policies(p)  # type: ignore[arg-type]  # frozen Principal vs settable protocol
    role_arn = None
    if ptype is PrincipalType.ASSUMED_ROLE:
        role_arn = session.role_arn if session and session.role_arn else role_arn_of_session(p.arn)
    info = PrincipalInfo(
        arn=p.arn,
        account=p.account_id,
        type=ptype,
        userid=p.principal_id,
        username=p.user_name if ptype is PrincipalType.IAM_USER else None,
        tags=dict(pol.principal_tags),
        role_arn=role_arn,
        source_user_arn=(
            f"arn:aws:iam::{p.account_id}:user/{p.user_name}"
            if ptype is PrincipalType.FEDERATED_USER and p.user_name
            else None
        ),
    )
    identity_texts = [n.document for n in pol.identity]
    session_docs = tuple(_parse_all(pol.session)) if pol.session else None
    boundaries = _parse_all([pol.boundary]) if pol.boundary else []
    boundary = boundaries[0] if boundaries else None
    texts = "\n".join([*identity_texts, pol.boundary or "", *pol.session]).lower()
    return CallerPolicies(
        info,
        tuple(_parse_all(identity_texts)),
        tuple(pol.identity),
        boundary,
        pol.boundary,
        session_docs,
        tuple(pol.session),
        texts,
        session.source_identity if session else None,
        temporary,
        session.mfa_at.timestamp() if session and session.mfa_at else None,
    )


# --- condition keys ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4)
def _time_keys(epoch: int) -> tuple[str, str]:
    """aws:CurrentTime and aws:EpochTime of one second: formatted once per second, not once per request."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)), str(epoch)


def global_context(ctx: RequestContext, caller: CallerPolicies) -> dict[str, Any]:
    """The aws:* keys of a request (the principal's own keys are added by the evaluator)."""
    current_time, epoch_time = _time_keys(int(clock.time()))
    via = ctx.extras.get("via_service")
    called_via = [str(v) for v in ctx.extras.get("called_via", []) or []]  # type: ignore[attr-defined]
    out: dict[str, Any] = {
        "aws:CurrentTime": current_time,
        "aws:EpochTime": epoch_time,
        "aws:RequestedRegion": ctx.region,
        # Strongroom serves plain HTTP unless fronted by TLS it cannot see; internal calls never leave the process.
        "aws:SecureTransport": "true" if via else "false",
        "aws:ViaAWSService": "true" if via else "false",
        "aws:PrincipalIsAWSService": "true" if caller.info.type is PrincipalType.AWS_SERVICE else "false",
    }
    if _is_ip(ctx.source_ip):
        out["aws:SourceIp"] = ctx.source_ip
    # The resource on whose behalf an AWS service calls (CloudTrail delivering a trail's logs): aws:SourceArn and
    # aws:SourceAccount, which AWS's documented bucket and key policies for service deliveries test.
    for extra, key in (("source_arn", "aws:SourceArn"), ("source_account", "aws:SourceAccount")):
        value = ctx.extras.get(extra)
        if isinstance(value, str) and value:
            out[key] = value
    if called_via:
        out["aws:CalledVia"] = called_via
        out["aws:CalledViaFirst"] = called_via[-1]
        out["aws:CalledViaLast"] = called_via[0]
    if caller.mfa_at is not None:
        # The session was issued against a verified MFA code (GetSessionToken / AssumeRole with TokenCode).
        out["aws:MultiFactorAuthPresent"] = "true"
        out["aws:MultiFactorAuthAge"] = str(max(0, int(clock.time() - caller.mfa_at)))
    elif caller.temporary:
        # AWS sets the key (to false) only for temporary credentials issued without MFA.
        out["aws:MultiFactorAuthPresent"] = "false"
    if caller.source_identity:
        out["aws:SourceIdentity"] = caller.source_identity
    return out


_TAG_MEMBERS = frozenset(("Tags", "TagsList", "TagList", "TagKeys"))


def request_tags(params: Mapping[str, Any]) -> dict[str, Any]:
    """aws:RequestTag/* and aws:TagKeys from the usual tag members of any service's request."""
    if _TAG_MEMBERS.isdisjoint(params):
        return {}  # most requests carry no tags
    tags: dict[str, str] = {}
    for member in ("Tags", "TagsList", "TagList"):
        value = params.get(member)
        if isinstance(value, Mapping):
            tags.update({str(k): str(v) for k, v in value.items()})
        elif isinstance(value, list):
            for tag in value:
                if isinstance(tag, Mapping):
                    key = tag.get("Key", tag.get("TagKey"))
                    if key is not None:
                        tags[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    out: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    keys = list(tags)
    tag_keys = params.get("TagKeys")
    if isinstance(tag_keys, list):
        keys += [str(k) for k in tag_keys]
    if keys:
        out["aws:TagKeys"] = keys
    return out


def resource_tag_context(tags: Mapping[str, str]) -> dict[str, Any]:
    return {f"aws:ResourceTag/{k}": v for k, v in tags.items()}


# --- errors -----------------------------------------------------------------------------------------------------


def access_denied(protocol: str, message: str) -> AwsError:
    """The access-denied error of a protocol: IAM/STS (query) answer AccessDenied 403, rest-json services 403,
    the json and CBOR services AccessDeniedException 400 (as KMS, EventBridge, Secrets Manager, SSM, ACM do)."""
    if protocol == "query":
        return AwsError(message, code="AccessDenied", status=403)
    if protocol in ("rest-json", "rest-xml"):
        return AwsError(message, code="AccessDeniedException", status=403)
    return AwsError(message, code="AccessDeniedException", status=400)


# --- the authorizer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceAccess:
    """A service's authorization table (``services/<svc>/access.py``), as the authorizer uses it.

    Every member is optional: a service without ``checks`` is asked ``<signing name>:<Operation>`` on ``"*"``, one
    without ``resource_policy`` keeps no resource policies, one without ``access_denied`` answers its protocol's
    access-denied error (:func:`access_denied`).
    """

    checks: Callable[[RequestContext, dict[str, Any]], Sequence[Check] | None] | None = None
    resource_policy: Callable[[str], str | None] | None = None  # ARN -> policy text, bound to the runtime
    access_denied: Callable[[str], AwsError] | None = None
    # Whether anonymous callers are evaluated (S3: a bucket policy may let them in) rather than passed through to
    # operations that authorize their own tokens (STS AssumeRoleWithWebIdentity ...).
    anonymous: bool = False


AccessLookup = Callable[[str], ServiceAccess | None]
"""Service name (``kms``, ``acm-pca``) -> its authorization table, or None; injected by the server
(``services.registry.ProviderRegistry.access``), so ``iam/`` never imports a service."""


class Authorizer:
    """One per runtime; thread-safe. See the module docstring."""

    def __init__(self, store: Store, catalog: Catalog, access: AccessLookup, orgs: OrgSource | None = None) -> None:
        self.catalog = catalog
        self.access = access
        self.directory = Directory(store)
        self.orgs = OrgBounds(orgs)  # SCPs, RCPs and the aws:*Org* keys; see iam/orgs.py
        self._callers: dict[tuple[str, str | None], tuple[CallerPolicies, float]] = {}
        self._cache_off_until = 0.0
        self._lock = threading.Lock()

    # -- caching ----------------------------------------------------------------------------------------------

    def caller(self, p: Principal) -> CallerPolicies:
        key = (p.arn, p.access_key_id)
        now = time.monotonic()
        hit = self._callers.get(key)
        if hit is not None and now < hit[1]:
            return hit[0]
        loaded = load_caller(self.directory, p)
        if now >= self._cache_off_until:
            with self._lock:
                if len(self._callers) > 10_000:
                    self._callers.clear()
                self._callers[key] = (loaded, now + POLICY_TTL)
        return loaded

    def iam_changed(self) -> None:
        """An IAM write is happening on this node: forget every caller and cache nothing until it has landed."""
        with self._lock:
            self._callers.clear()
            self._cache_off_until = time.monotonic() + POLICY_TTL

    # -- service tables ---------------------------------------------------------------------------------------

    def resource_policy(self, arn: str) -> str | None:
        """The resource policy a service keeps for ``arn`` (its ``access.resource_policy``)."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            return None
        access = self.access(parts[2])
        fn = access.resource_policy if access is not None else None
        return fn(arn) if fn is not None else None

    def checks_for(self, ctx: RequestContext, params: dict[str, Any]) -> list[Check]:
        access = self.access(ctx.service)
        fn = access.checks if access is not None else None
        if fn is not None:
            found = fn(ctx, params)
            if found is not None:
                return list(found)
        model = self.catalog.service(ctx.service)
        prefix = model.signing_name or model.endpoint_prefix
        return [Check(f"{prefix}:{ctx.operation}")]

    # -- deciding -----------------------------------------------------------------------------------------------

    def authorize(self, ctx: RequestContext, params: dict[str, Any]) -> None:
        """Raise the service's access-denied error unless every check of the operation is allowed."""
        if ctx.principal.type == "Anonymous":
            access = self.access(ctx.service)
            if access is None or not access.anonymous:
                return  # operations without SigV4 (AssumeRoleWithWebIdentity ...) authorize their own tokens
        if ctx.service in _POLICY_WRITERS and not row_read_only(ctx.operation, ctx.spec):
            # An IAM or Organizations call that is not read-only may change what some caller is allowed.
            self.iam_changed()
            self.orgs.changed()
        checks = self.checks_for(ctx, params)
        if not checks:
            return
        caller = self.caller(ctx.principal)
        base = global_context(ctx, caller)
        base.update(request_tags(params))
        if caller.info.type not in (PrincipalType.AWS_SERVICE, PrincipalType.ANONYMOUS):
            base.update(principal_keys(self.orgs.account(caller.info.account)))
        protocol = self.catalog.service(ctx.service).protocol
        # A service acting as its service-linked role in an account (Firewall Manager's remediation, Shield's
        # mitigations) is bounded by neither SCPs nor RCPs, as AWS exempts service-linked roles.
        bounded = not ctx.extras.get(SERVICE_LINKED_ROLE)
        for check in checks:
            result = self.evaluate(caller, check, base, bounded=bounded)
            if not result.allowed:
                raise self.denied(ctx.service, protocol, result)
            if check.after is not None:
                check.after(lambda extra: self.evaluate(caller, extra, base, bounded=bounded))

    def denied(self, service: str, protocol: str, result: EvaluationResult) -> AwsError:
        access = self.access(service)
        make = access.access_denied if access is not None else None
        message = result.message()
        return make(message) if make is not None else access_denied(protocol, message)

    def evaluate(
        self, caller: CallerPolicies, check: Check, base: Mapping[str, Any], *, bounded: bool = True
    ) -> EvaluationResult:
        """One check; ``bounded``: by the organization's SCPs and RCPs (all but service-linked-role requests)."""
        lookup = self.resource_policy if check.lookup_resource_policy else None
        return evaluate_check(caller, check, base, lookup, self.orgs if bounded else None)


def evaluate_check(
    caller: CallerPolicies,
    check: Check,
    base: Mapping[str, Any],
    lookup: Callable[[str], str | None] | None = None,
    orgs: OrgBounds | None = None,
) -> EvaluationResult:
    """Evaluate one check for one caller: policies first, then (only if they do not allow) the grants; with
    ``orgs``, bounded by the organization's SCPs (the caller's account) and RCPs (the resource's account)."""
    context = dict(base)
    scps = rcps = None
    if orgs is not None:
        info = caller.info
        has_identity = info.type not in (PrincipalType.AWS_SERVICE, PrincipalType.ANONYMOUS)
        caller_org = orgs.account(info.account) if has_identity else None
        scps = scps_for(caller_org, has_identity=has_identity, role_arn=info.role_arn)
        resource_account = check.resource_account or arn_account(check.resource) or info.account
        resource_org = (
            caller_org if resource_account == info.account and has_identity else orgs.account(resource_account)
        )
        if check.resource != "*":
            # RCPs govern calls on resources; an account-level call (CreateKey, ListSecrets) names none.
            rcps = rcps_for(resource_org, check.action, role_arn=info.role_arn)
        context.update(resource_keys(resource_org))
    context.update(check.context)
    policy_text = check.resource_policy
    if policy_text is None and lookup is not None and check.resource != "*":
        policy_text = lookup(check.resource)
    if check.lazy:
        texts = caller.texts + "\n" + (policy_text or "").lower()
        for prefix, loader in check.lazy.items():
            if prefix in texts:
                context.update(loader())
    resource_policy = None
    if policy_text:
        try:
            resource_policy = parse_policy(policy_text, check.resource_policy_kind)
        except MalformedPolicyDocumentError:
            log.warning("stored resource policy does not parse; treated as absent", extra={"arn": check.resource})
    req = AuthorizationRequest(
        principal=caller.info,
        action=check.action,
        resources=[check.resource],
        context=context,
        identity_policies=caller.identity,
        boundary=caller.boundary,
        session_policies=caller.session,
        resource_policy=resource_policy,
        resource_account=check.resource_account,
        resource_policy_required=check.policy_required,
        encryption_context=check.encryption_context,
        scps=scps,
        rcps=rcps,
    )
    result = decide(req)  # the policies alone; remembered per identical request (iam/decisions.py)
    if not result.allowed and check.grants is not None and result.decision.value == "ImplicitDeny":
        grants = check.grants()
        if grants:
            with_grants = evaluate(replace(req, grants=tuple(grants)))
            if with_grants.allowed:
                return with_grants
    return result


_POLICY_WRITERS = frozenset(("iam", "organizations"))


def arn_account(arn: str) -> str | None:
    """The account an ARN names (None for ``*``, an ARN without one such as an S3 bucket's, or not an ARN)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None
