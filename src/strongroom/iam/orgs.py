"""What authorization needs of AWS Organizations: an account's organization, path and control policies.

``iam/`` never imports a service, so the server hands the authorizer an :data:`OrgSource` (Organizations'
``effective.org_record``). :class:`OrgBounds` caches its answers per account for :data:`POLICY_TTL`-style bounds
and decides, per AWS's documentation, which policies bound which request:

* SCPs bound principals of member accounts — including their root users — and never the management account's,
  service-linked roles, or AWS service principals
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html, "Tasks and entities
  not restricted by SCPs").
* RCPs bound resources of member accounts — whoever calls, in or outside the organization, AWS services included —
  never the management account's, and not calls by service-linked roles; only for the services AWS lists
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
* ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths`` for callers in an organization, ``aws:ResourceOrgID`` /
  ``aws:ResourceOrgPaths`` for resources in one (the management account's too: the keys say where, not what binds).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from strongroom.iam.policy import MalformedPolicyDocumentError, PolicyDocument, PolicyKind, parse_policy

ORG_TTL = 1.0  # seconds an account's organization facts are reused (the authorizer's policy cache bound)

# Services whose resources RCPs govern (Organizations user guide, "List of AWS services that support RCPs"),
# by their action prefix; a call to any other service is not bounded by RCPs.
RCP_SERVICES = frozenset(
    ("s3", "sts", "kms", "sqs", "secretsmanager", "cognito-identity", "logs", "dynamodb", "ecr", "aoss")
)

# Actions AWS exempts from RCPs even when a policy names them (KMS developer guide: kms:RetireGrant is not
# controlled by RCPs, "even if the Action element specifies an asterisk").
RCP_EXEMPT_ACTIONS = frozenset(("kms:retiregrant",))

SERVICE_LINKED_ROLE_PATH = ":role/aws-service-role/"

Levels = tuple[tuple[PolicyDocument, ...], ...]


@dataclass(frozen=True, slots=True)
class OrgRecord:
    """An account's place in its organization, as Organizations stores it (documents not yet parsed).

    ``scps`` / ``rcps``: one list of documents per level, root first, then each OU down the path, then the account;
    None when the policy type is not enabled in the organization.
    """

    org_id: str
    management_account: str
    path: str  # ``o-…/r-…/ou-…/`` of the account's parent, as aws:PrincipalOrgPaths holds it
    scps: Sequence[Sequence[dict[str, Any]]] | None
    rcps: Sequence[Sequence[dict[str, Any]]] | None


OrgSource = Callable[[str], OrgRecord | None]
"""Account id -> its organization record, or None outside any organization."""


@dataclass(frozen=True, slots=True)
class AccountOrg:
    """One account's organization facts with its control policies parsed."""

    org_id: str
    management: bool  # this account is the organization's management account
    path: str
    scps: Levels | None
    rcps: Levels | None


def _levels(raw: Sequence[Sequence[dict[str, Any]]] | None, kind: PolicyKind) -> Levels | None:
    if raw is None:
        return None
    out = []
    for level in raw:
        docs = []
        for document in level:
            try:
                docs.append(parse_policy(document, kind))
            except MalformedPolicyDocumentError:
                # Organizations validated it on the way in; a document that no longer parses allows nothing, which
                # errs toward refusing (an unparsable Deny must not turn into an allow).
                continue
        out.append(tuple(docs))
    return tuple(out)


class OrgBounds:
    """Per-account organization facts, cached; thread-safe."""

    def __init__(self, source: OrgSource | None) -> None:
        self.source = source
        self._cache: dict[str, tuple[AccountOrg | None, float]] = {}
        self._off_until = 0.0
        self._lock = threading.Lock()

    def account(self, account_id: str) -> AccountOrg | None:
        if self.source is None or not account_id:
            return None
        now = time.monotonic()
        hit = self._cache.get(account_id)
        if hit is not None and now < hit[1]:
            return hit[0]
        record = self.source(account_id)
        facts = (
            None
            if record is None
            else AccountOrg(
                record.org_id,
                record.management_account == account_id,
                record.path,
                _levels(record.scps, PolicyKind.IDENTITY),
                _levels(record.rcps, PolicyKind.RESOURCE),
            )
        )
        if now >= self._off_until:
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[account_id] = (facts, now + ORG_TTL)
        return facts

    def changed(self) -> None:
        """An Organizations write is happening on this node: forget every account until it has landed."""
        with self._lock:
            self._cache.clear()
            self._off_until = time.monotonic() + ORG_TTL


def service_linked(role_arn: str | None) -> bool:
    return bool(role_arn) and SERVICE_LINKED_ROLE_PATH in str(role_arn)


def scps_for(caller_org: AccountOrg | None, *, has_identity: bool, role_arn: str | None) -> Levels | None:
    """The SCP levels that bound a caller, or None when none do."""
    if caller_org is None or caller_org.management or not has_identity or service_linked(role_arn):
        return None
    return caller_org.scps


def rcps_for(resource_org: AccountOrg | None, action: str, *, role_arn: str | None) -> Levels | None:
    """The RCP levels that bound a call on a resource of ``resource_org``'s account, or None when none do."""
    if resource_org is None or resource_org.management or resource_org.rcps is None or service_linked(role_arn):
        return None
    action_lower = action.lower()
    if action_lower.split(":", 1)[0] not in RCP_SERVICES or action_lower in RCP_EXEMPT_ACTIONS:
        return None
    return resource_org.rcps


def principal_keys(caller_org: AccountOrg | None) -> dict[str, Any]:
    if caller_org is None:
        return {}
    return {"aws:PrincipalOrgID": caller_org.org_id, "aws:PrincipalOrgPaths": [caller_org.path]}


def resource_keys(resource_org: AccountOrg | None) -> dict[str, Any]:
    if resource_org is None:
        return {}
    return {"aws:ResourceOrgID": resource_org.org_id, "aws:ResourceOrgPaths": [resource_org.path]}
