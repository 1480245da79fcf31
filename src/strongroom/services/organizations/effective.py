"""What policy enforcement and Firewall Manager read of Organizations, in-process: an account's organization, its
path, its SCPs/RCPs, the accounts of an organization.

The policy evaluator (SCP/RCP enforcement, ``aws:PrincipalOrgID``, ``aws:PrincipalOrgPaths``,
``aws:ResourceOrgID``) reads these functions, never the tables. Each takes the store, so callers below the
services layer can be handed them by the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from strongroom.iam.orgs import OrgRecord
from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, enabled_types, node_path
from strongroom.services.organizations.base import org_of_account as _org_of_account
from strongroom.store.engine import Store


@dataclass(frozen=True, slots=True)
class AttachedPolicy:
    """One SCP or RCP in force at one level of an account's path."""

    target_id: str  # the root, OU or account it is attached to
    policy_id: str
    document: dict[str, Any]


def org_of_account(store: Store, account_id: str) -> Org | None:
    """The organization of ``account_id`` (``.org_id``, ``.management``, ``.root_id``), or None."""
    with store.read() as conn:
        return _org_of_account(conn, account_id)


def org_accounts(store: Store, org_id: str) -> list[tuple[str, str]]:
    """(account id, email) of every account of organization ``org_id`` (GuardDuty's organization auto-enable)."""
    m = model.members.c
    with store.read() as conn:
        rows = conn.execute(select(m.account_id, m.email).where(m.org_id == org_id).order_by(m.account_id)).all()
    return [(r.account_id, r.email) for r in rows]


def org_path(store: Store, account_id: str) -> str | None:
    """``o-…/r-…/ou-…/…/`` of the account's parent, as ``aws:PrincipalOrgPaths`` holds it; None outside any."""
    with store.read() as conn:
        org = _org_of_account(conn, account_id)
        if org is None:
            return None
        return _parent_path(conn, org, account_id)


def policies_for_account(store: Store, account_id: str, policy_type: str) -> list[list[AttachedPolicy]] | None:
    """The policies of ``policy_type`` in force for ``account_id``: one list per level, root first, then each OU
    down the path, then the account itself. AWS requires every level to allow (an empty level allows nothing).
    None when the account is in no organization or the type is not enabled (nothing bounds it)."""
    with store.read() as conn:
        org = _org_of_account(conn, account_id)
        if org is None or policy_type not in enabled_types(conn, org.org_id):
            return None
        return _levels(conn, org, account_id, _parent_path(conn, org, account_id), policy_type)


def org_record(store: Store, account_id: str) -> OrgRecord | None:
    """Everything authorization reads of ``account_id``'s organization, in one read (``iam.orgs.OrgSource``)."""
    with store.read() as conn:
        org = _org_of_account(conn, account_id)
        if org is None:
            return None
        path = _parent_path(conn, org, account_id)
        enabled = enabled_types(conn, org.org_id)

        def documents(policy_type: str) -> list[list[dict[str, Any]]] | None:
            if policy_type not in enabled:
                return None
            return [[p.document for p in level] for level in _levels(conn, org, account_id, path, policy_type)]

        return OrgRecord(org.org_id, org.management, path, documents(names.SCP), documents(names.RCP))


def _parent_path(conn: Connection, org: Org, account_id: str) -> str:
    parent = conn.execute(
        select(model.members.c.parent_id).where(model.members.c.account_id == account_id)
    ).scalar_one()
    return node_path(conn, org, parent)


def _levels(conn: Connection, org: Org, account_id: str, path: str, policy_type: str) -> list[list[AttachedPolicy]]:
    levels = [*path.rstrip("/").split("/")[1:], account_id]
    a = model.attachments.c
    out: list[list[AttachedPolicy]] = []
    for target in levels:
        ids = conn.execute(
            select(a.policy_id)
            .where(a.org_id == org.org_id, a.target_id == target, a.policy_type == policy_type)
            .order_by(a.attached_at, a.policy_id)
        ).scalars()
        level = []
        for policy_id in ids:
            managed = names.MANAGED_POLICIES.get(policy_id)
            content = (
                managed.content
                if managed is not None
                else conn.execute(
                    select(model.policies.c.content).where(model.policies.c.policy_id == policy_id)
                ).scalar_one()
            )
            level.append(AttachedPolicy(target, policy_id, json.loads(content)))
        out.append(level)
    return out


@dataclass(frozen=True, slots=True)
class MemberAccount:
    """One account of an organization (the management account too) and where it sits."""

    account_id: str
    name: str
    path: str  # ``o-…/r-…/ou-…/…/`` of its parent, as org_path answers


def members(store: Store, org_id: str) -> list[MemberAccount]:
    """Every account of the organization ``org_id``, in joining order (Firewall Manager's policy scopes)."""
    with store.read() as conn:
        org_row = conn.execute(select(model.organizations).where(model.organizations.c.org_id == org_id)).first()
        if org_row is None:
            return []
        org = Org(
            org_row.org_id, org_row.management_account_id, org_row.root_id, org_row.feature_set, org_row.created_at
        )
        rows = conn.execute(
            select(model.members).where(model.members.c.org_id == org_id).order_by(model.members.c.joined_at)
        ).all()
        paths: dict[str, str] = {}
        out = []
        for row in rows:
            if row.parent_id not in paths:
                paths[row.parent_id] = node_path(conn, org, row.parent_id)
            out.append(MemberAccount(row.account_id, row.name, paths[row.parent_id]))
        return out
