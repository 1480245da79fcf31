"""SimulatePrincipalPolicy and SimulateCustomPolicy, decided by the same evaluator the request pipeline uses.

The simulator evaluates identity policies (the principal's, or the ones given), the permissions boundary, an
optional resource policy and the context entries the caller supplies; like AWS's simulator it does not fill in
request-time keys (aws:CurrentTime, aws:SourceIp, ...) on its own, and reports the condition keys the matching
statements needed but the context did not have as MissingContextValues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam import directory as d
from strongroom.iam.model import group_members, groups
from strongroom.iam.policy import (
    AuthorizationRequest,
    Decision,
    EvaluationResult,
    MalformedPolicyDocumentError,
    PolicyDocument,
    PolicyKind,
    PolicySource,
    PrincipalInfo,
    PrincipalType,
    evaluate,
    parse_policy,
)
from strongroom.iam.policy.evaluator import build_context
from strongroom.iam.policy.matching import arn_match
from strongroom.services.iam.base import IamBase, page
from strongroom.services.iam.errors import InvalidInput, NoSuchEntity

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_DECISION = {
    Decision.ALLOW: "allowed",
    Decision.EXPLICIT_DENY: "explicitDeny",
    Decision.IMPLICIT_DENY: "implicitDeny",
}
_LIST_TYPES = frozenset({"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"})


@dataclass(frozen=True, slots=True)
class _Source:
    """One identity policy with where it came from, as MatchedStatements names it."""

    policy_id: str
    policy_type: str  # user | group | role | aws-managed | user-managed | resource | none
    document: PolicyDocument


def _parse(text: str, kind: PolicyKind, what: str) -> PolicyDocument:
    try:
        return parse_policy(text, kind)
    except MalformedPolicyDocumentError as exc:
        raise InvalidInput(f"{what} is not a valid policy document: {exc}") from None


def context_entries(entries: Sequence[dict[str, Any]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in entries or []:
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        name = str(entry.get("ContextKeyName", ""))
        if entry.get("ContextKeyType") in _LIST_TYPES or len(values) > 1:
            out[name] = values
        elif values:
            out[name] = values[0]
    return out


def _principal_for(arn: str) -> PrincipalInfo:
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) == 6 else ""
    resource = parts[5] if len(parts) == 6 else ""
    if resource.startswith("user/"):
        return PrincipalInfo(arn, account, PrincipalType.IAM_USER, username=resource.rsplit("/", 1)[-1])
    if resource.startswith("role/"):
        return PrincipalInfo(arn, account, PrincipalType.ASSUMED_ROLE, role_arn=arn)
    if resource.startswith("assumed-role/"):
        return PrincipalInfo(arn, account, PrincipalType.ASSUMED_ROLE)
    if resource == "root":
        return PrincipalInfo(arn, account, PrincipalType.ROOT)
    return PrincipalInfo(arn, account, PrincipalType.IAM_USER)


def _missing_keys(sources: Sequence[_Source], action: str, resource: str, context: dict[str, Any]) -> list[str]:
    """Condition keys of statements that apply to the action and resource but are absent from the context."""
    have = {k.lower() for k in context}
    missing: dict[str, str] = {}
    for source in sources:
        for st in source.document.statements:
            if st.actions is not None and not st.actions.matches(action.lower()):
                continue
            if st.not_actions is not None and st.not_actions.matches(action.lower()):
                continue
            if st.resources is not None and not any(
                t.has_variables or arn_match(t.static_parts, resource) for t in st.resources
            ):
                continue
            condition = st.raw.get("Condition") or {}
            for block in condition.values() if isinstance(condition, dict) else ():
                for key in block if isinstance(block, dict) else ():
                    if key.lower() not in have:
                        missing.setdefault(key.lower(), key)
    return sorted(missing.values())


class SimulationOperations(IamBase):
    def simulate_principal_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source_arn = request["PolicySourceArn"]
        sources, boundary, info = self._principal_sources(ctx, source_arn)
        sources += self._inputs(request.get("PolicyInputList"))
        if request.get("PermissionsBoundaryPolicyInputList"):
            boundary = self._boundary_input(request)
        if request.get("CallerArn"):
            info = _principal_for(request["CallerArn"])
        return self._simulate(ctx, request, sources, boundary, info)

    def simulate_custom_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        sources = self._inputs(request.get("PolicyInputList"))
        boundary = self._boundary_input(request) if request.get("PermissionsBoundaryPolicyInputList") else None
        caller = request.get("CallerArn") or f"arn:aws:iam::{ctx.account_id}:user/simulated"
        return self._simulate(ctx, request, sources, boundary, _principal_for(caller))

    # -- inputs --------------------------------------------------------------------------------------------------

    @staticmethod
    def _inputs(texts: Sequence[str] | None) -> list[_Source]:
        return [
            _Source(f"PolicyInputList.{i}", "none", _parse(t, PolicyKind.IDENTITY, "PolicyInputList"))
            for i, t in enumerate(texts or [], start=1)
        ]

    @staticmethod
    def _boundary_input(request: dict[str, Any]) -> PolicyDocument:
        texts = request["PermissionsBoundaryPolicyInputList"]
        if len(texts) != 1:
            raise InvalidInput("PermissionsBoundaryPolicyInputList can contain only one policy.")
        return _parse(texts[0], PolicyKind.IDENTITY, "PermissionsBoundaryPolicyInputList")

    def _principal_sources(
        self, ctx: RequestContext, arn: str
    ) -> tuple[list[_Source], PolicyDocument | None, PrincipalInfo]:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or parts[4] != ctx.account_id:
            raise InvalidInput(f"Invalid ARN: {arn}")
        kind, _, rest = parts[5].partition("/")
        name = rest.rsplit("/", 1)[-1]
        with self.runtime.store.read() as conn:
            named: list[d.NamedPolicy] = []
            boundary_arn: str | None = None
            if kind == "user":
                user = d.get_user(conn, ctx.account_id, name)
                if user is None:
                    raise NoSuchEntity(f"The user with name {name} cannot be found.")
                named = d._entity_policies(conn, ctx.account_id, "user", user.name)
                for group_name in self._groups_of(conn, ctx.account_id, user.name):
                    named += d._entity_policies(conn, ctx.account_id, "group", group_name)
                boundary_arn = user.permissions_boundary
            elif kind == "role":
                role = d.get_role(conn, ctx.account_id, name)
                if role is None:
                    raise NoSuchEntity(f"The role with name {name} cannot be found.")
                named = d._entity_policies(conn, ctx.account_id, "role", role.name)
                boundary_arn = role.permissions_boundary
            elif kind == "group":
                group = d.get_group(conn, ctx.account_id, name)
                if group is None:
                    raise NoSuchEntity(f"The group with name {name} cannot be found.")
                named = d._entity_policies(conn, ctx.account_id, "group", group.name)
            else:
                raise InvalidInput(f"Invalid ARN: {arn}")
            boundary_text = d.default_document(conn, boundary_arn) if boundary_arn else None
        sources = []
        for n in named:
            policy_type = n.source_type if n.source_type != "none" else "user-managed"
            if n.source_id.startswith("arn:aws:iam::aws:"):
                policy_type = "aws-managed"
            sources.append(_Source(n.source_id, policy_type, _parse(n.document, PolicyKind.IDENTITY, "Policy")))
        boundary = _parse(boundary_text, PolicyKind.IDENTITY, "Policy") if boundary_text else None
        return sources, boundary, _principal_for(arn)

    @staticmethod
    def _groups_of(conn: Any, account_id: str, user_name: str) -> list[str]:
        rows = conn.execute(
            select(groups.c.name)
            .select_from(
                group_members.join(
                    groups,
                    (groups.c.account_id == group_members.c.account_id)
                    & (groups.c.name_key == group_members.c.group_key),
                )
            )
            .where(group_members.c.account_id == account_id, group_members.c.user_key == user_name.lower())
            .order_by(groups.c.name_key)
        ).scalars()
        return list(rows)

    # -- evaluation ----------------------------------------------------------------------------------------------

    def _simulate(
        self,
        ctx: RequestContext,
        request: dict[str, Any],
        sources: list[_Source],
        boundary: PolicyDocument | None,
        info: PrincipalInfo,
    ) -> dict[str, Any]:
        context = context_entries(request.get("ContextEntries"))
        resource_policy = None
        if request.get("ResourcePolicy"):
            resource_policy = _parse(request["ResourcePolicy"], PolicyKind.RESOURCE, "ResourcePolicy")
        owner = request.get("ResourceOwner")
        owner_account = owner.split(":")[4] if owner and owner.count(":") >= 5 else None
        resources = list(request.get("ResourceArns") or ["*"])
        docs = [s.document for s in sources]
        results = []
        for action in request["ActionNames"]:
            per_resource = []
            for resource in resources:
                req = AuthorizationRequest(
                    principal=info,
                    action=action,
                    resources=[resource],
                    context=context,
                    identity_policies=docs,
                    boundary=boundary,
                    resource_policy=resource_policy,
                    resource_account=owner_account,
                )
                result = evaluate(req)
                missing = _missing_keys(sources, action, resource, dict(build_context(info, context)))
                per_resource.append((resource, result, missing))
            results.append(self._result(action, per_resource, sources, boundary, request))
        return page(request, results, "EvaluationResults")

    def _result(
        self,
        action: str,
        per_resource: list[tuple[str, EvaluationResult, list[str]]],
        sources: list[_Source],
        boundary: PolicyDocument | None,
        request: dict[str, Any],
    ) -> dict[str, Any]:
        overall = _overall([r for _, r, _ in per_resource])
        out: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": per_resource[0][0] if len(per_resource) == 1 else "*",
            "EvalDecision": _DECISION[overall],
            "MatchedStatements": _matched(per_resource[0][1], sources) if len(per_resource) == 1 else [],
            "MissingContextValues": sorted({k for _, _, m in per_resource for k in m}),
        }
        if boundary is not None:
            out["PermissionsBoundaryDecisionDetail"] = {
                "AllowedByPermissionsBoundary": all(r.reason is not PolicySource.BOUNDARY for _, r, _ in per_resource)
            }
        if request.get("ResourcePolicy"):
            out["EvalDecisionDetails"] = {"ResourcePolicy": _DECISION[overall]}
        if request.get("ResourceArns"):
            out["ResourceSpecificResults"] = [
                {
                    "EvalResourceName": resource,
                    "EvalResourceDecision": _DECISION[result.decision],
                    "MatchedStatements": _matched(result, sources),
                    "MissingContextValues": missing,
                }
                for resource, result, missing in per_resource
            ]
            if len(per_resource) == 1:
                out["EvalResourceName"] = per_resource[0][0]
        return out


def _overall(results: Sequence[EvaluationResult]) -> Decision:
    for wanted in (Decision.EXPLICIT_DENY, Decision.IMPLICIT_DENY):
        if any(r.decision is wanted for r in results):
            return wanted
    return Decision.ALLOW


def _matched(result: EvaluationResult, sources: Sequence[_Source]) -> list[dict[str, Any]]:
    out = []
    for m in result.matched:
        if m.source is PolicySource.IDENTITY and m.policy_index < len(sources):
            source = sources[m.policy_index]
            out.append({"SourcePolicyId": source.policy_id, "SourcePolicyType": source.policy_type})
        elif m.source is PolicySource.RESOURCE:
            out.append({"SourcePolicyId": "ResourcePolicy", "SourcePolicyType": "resource"})
        elif m.source is PolicySource.BOUNDARY:
            out.append({"SourcePolicyId": "PermissionsBoundaryPolicy", "SourcePolicyType": "none"})
    return out
