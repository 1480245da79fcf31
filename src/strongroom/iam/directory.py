"""Read access to IAM's entities for the other layers: the evaluator, STS, the pipeline, the IAM provider.

Only this module and the IAM/STS providers read IAM's tables; everything else asks here, e.g. the evaluator
gets a principal's identity policies, permissions boundary and session policies from ``principal_policies``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Row, select

from strongroom.iam.model import (
    attachments,
    group_members,
    groups,
    inline_policies,
    policies,
    policy_versions,
    roles,
    sessions,
    tags,
    users,
)
from strongroom.store.engine import Store


class PrincipalLike(Protocol):
    """What ``core.context.Principal`` offers."""

    type: str
    account_id: str
    arn: str
    access_key_id: str | None
    user_name: str | None


@dataclass(frozen=True, slots=True)
class UserRecord:
    account_id: str
    name: str
    user_id: str
    path: str
    arn: str
    created_at: datetime
    permissions_boundary: str | None


@dataclass(frozen=True, slots=True)
class GroupRecord:
    account_id: str
    name: str
    group_id: str
    path: str
    arn: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RoleRecord:
    account_id: str
    name: str
    role_id: str
    path: str
    arn: str
    created_at: datetime
    assume_role_policy: str
    description: str | None
    max_session_duration: int
    permissions_boundary: str | None
    last_used_at: datetime | None
    last_used_region: str | None


@dataclass(frozen=True, slots=True)
class PolicyRecord:
    arn: str
    account_id: str
    name: str
    policy_id: str
    path: str
    description: str | None
    default_version: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    access_key_id: str
    account_id: str
    kind: str  # AssumedRole | SessionToken
    role_arn: str | None
    role_id: str | None
    role_name: str | None
    session_name: str | None
    user_name: str | None
    source_access_key_id: str | None
    policy: str | None
    policy_arns: list[str]
    tags: dict[str, str]
    transitive_tag_keys: list[str]
    source_identity: str | None
    created_at: datetime
    expires_at: datetime
    user_id: str | None = None  # GetSessionToken by an IAM user: the user's unique id (AIDA...)
    mfa_at: datetime | None = None  # when an MFA code was verified for this session (None: no MFA)


@dataclass(frozen=True, slots=True)
class NamedPolicy:
    """One identity policy document and where it came from (for SimulatePrincipalPolicy's MatchedStatements)."""

    source_id: str  # inline: "user/NAME/POLICY" style; managed: the policy ARN
    source_type: str  # user | group | role | aws-managed | none
    document: str


@dataclass(frozen=True, slots=True)
class PrincipalPolicies:
    identity: list[NamedPolicy] = field(default_factory=list)
    boundary: str | None = None  # the permissions boundary's default-version document
    session: list[str] = field(default_factory=list)  # session policy documents (inline + PolicyArns)
    principal_tags: dict[str, str] = field(default_factory=dict)


def _user(row: Row[Any]) -> UserRecord:
    return UserRecord(
        row.account_id, row.name, row.user_id, row.path, row.arn, row.created_at, row.permissions_boundary
    )


def _group(row: Row[Any]) -> GroupRecord:
    return GroupRecord(row.account_id, row.name, row.group_id, row.path, row.arn, row.created_at)


def _role(row: Row[Any]) -> RoleRecord:
    return RoleRecord(
        row.account_id,
        row.name,
        row.role_id,
        row.path,
        row.arn,
        row.created_at,
        row.assume_role_policy,
        row.description,
        row.max_session_duration,
        row.permissions_boundary,
        row.last_used_at,
        row.last_used_region,
    )


def _policy(row: Row[Any]) -> PolicyRecord:
    return PolicyRecord(
        row.arn,
        row.account_id,
        row.name,
        row.policy_id,
        row.path,
        row.description,
        row.default_version,
        row.created_at,
        row.updated_at,
    )


def _session(row: Row[Any]) -> SessionRecord:
    return SessionRecord(
        row.access_key_id,
        row.account_id,
        row.kind,
        row.role_arn,
        row.role_id,
        row.role_name,
        row.session_name,
        row.user_name,
        row.source_access_key_id,
        row.policy,
        json.loads(row.policy_arns) if row.policy_arns else [],
        json.loads(row.tags) if row.tags else {},
        json.loads(row.transitive_tag_keys) if row.transitive_tag_keys else [],
        row.source_identity,
        row.created_at,
        row.expires_at,
        row.user_id,
        row.mfa_at,
    )


# --- single-connection readers, shared with the IAM provider's write transactions -------------------------


def get_user(conn: Connection, account_id: str, name: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.account_id == account_id, users.c.name_key == name.lower())).first()
    return None if row is None else _user(row)


def get_group(conn: Connection, account_id: str, name: str) -> GroupRecord | None:
    row = conn.execute(
        select(groups).where(groups.c.account_id == account_id, groups.c.name_key == name.lower())
    ).first()
    return None if row is None else _group(row)


def get_role(conn: Connection, account_id: str, name: str) -> RoleRecord | None:
    row = conn.execute(select(roles).where(roles.c.account_id == account_id, roles.c.name_key == name.lower())).first()
    return None if row is None else _role(row)


def get_policy(conn: Connection, arn: str) -> PolicyRecord | None:
    row = conn.execute(select(policies).where(policies.c.arn == arn)).first()
    return None if row is None else _policy(row)


def default_document(conn: Connection, arn: str) -> str | None:
    row = conn.execute(
        select(policy_versions.c.document)
        .select_from(policy_versions.join(policies, policies.c.arn == policy_versions.c.policy_arn))
        .where(policies.c.arn == arn, policy_versions.c.version_id == policies.c.default_version)
    ).first()
    return None if row is None else str(row[0])


def entity_tags(conn: Connection, account_id: str, entity_type: str, entity_key: str) -> dict[str, str]:
    rows = conn.execute(
        select(tags.c.tag_key, tags.c.tag_value)
        .where(tags.c.account_id == account_id, tags.c.entity_type == entity_type, tags.c.entity_key == entity_key)
        .order_by(tags.c.key_lower)
    )
    return {r.tag_key: r.tag_value for r in rows}


def _entity_policies(conn: Connection, account_id: str, entity_type: str, name: str) -> list[NamedPolicy]:
    key = name.lower()
    out = [
        NamedPolicy(f"{name}_{r.policy_name}", entity_type, r.document)
        for r in conn.execute(
            select(inline_policies.c.policy_name, inline_policies.c.document)
            .where(
                inline_policies.c.account_id == account_id,
                inline_policies.c.entity_type == entity_type,
                inline_policies.c.entity_key == key,
            )
            .order_by(inline_policies.c.policy_name)
        )
    ]
    arns = conn.execute(
        select(attachments.c.policy_arn)
        .where(
            attachments.c.account_id == account_id,
            attachments.c.entity_type == entity_type,
            attachments.c.entity_key == key,
        )
        .order_by(attachments.c.policy_arn)
    ).scalars()
    for arn in arns:
        doc = default_document(conn, arn)
        if doc is not None:
            out.append(NamedPolicy(arn, "none", doc))
    return out


class Directory:
    """IAM's entities as the rest of Strongroom reads them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def user(self, account_id: str, name: str) -> UserRecord | None:
        with self.store.read() as conn:
            return get_user(conn, account_id, name)

    def group(self, account_id: str, name: str) -> GroupRecord | None:
        with self.store.read() as conn:
            return get_group(conn, account_id, name)

    def role(self, account_id: str, name: str) -> RoleRecord | None:
        with self.store.read() as conn:
            return get_role(conn, account_id, name)

    def role_by_arn(self, arn: str) -> RoleRecord | None:
        with self.store.read() as conn:
            row = conn.execute(select(roles).where(roles.c.arn == arn)).first()
        return None if row is None else _role(row)

    def policy(self, arn: str) -> PolicyRecord | None:
        with self.store.read() as conn:
            return get_policy(conn, arn)

    def policy_document(self, arn: str) -> str | None:
        """The default version's document of a managed policy."""
        with self.store.read() as conn:
            return default_document(conn, arn)

    def session(self, access_key_id: str) -> SessionRecord | None:
        with self.store.read() as conn:
            row = conn.execute(select(sessions).where(sessions.c.access_key_id == access_key_id)).first()
        return None if row is None else _session(row)

    def tags(self, account_id: str, entity_type: str, name: str) -> dict[str, str]:
        with self.store.read() as conn:
            return entity_tags(conn, account_id, entity_type, name.lower())

    def principal_policies(self, principal: PrincipalLike) -> PrincipalPolicies:
        """Identity policies, permissions boundary, session policies and principal tags of a caller.

        The root user has none (it is allowed by default); an IAM user's include its groups' policies; a
        role session's are the role's plus the session's own (which only ever narrow).
        """
        with self.store.read() as conn:
            session = None
            if principal.access_key_id and principal.access_key_id.startswith("ASIA"):
                row = conn.execute(select(sessions).where(sessions.c.access_key_id == principal.access_key_id)).first()
                session = None if row is None else _session(row)
            if principal.type in ("IAMUser", "FederatedUser") and principal.user_name:
                return self._user_policies(conn, principal.account_id, principal.user_name, session)
            if principal.type == "AssumedRole" and session is not None and session.role_name:
                return self._role_policies(conn, principal.account_id, session.role_name, session)
            return PrincipalPolicies()

    def _user_policies(
        self, conn: Connection, account_id: str, name: str, session: SessionRecord | None
    ) -> PrincipalPolicies:
        user = get_user(conn, account_id, name)
        if user is None or (session is not None and session.user_id is not None and session.user_id != user.user_id):
            # a session of a deleted user must not pick up the policies of a new user of the same name
            return PrincipalPolicies()
        identity = _entity_policies(conn, account_id, "user", user.name)
        group_names = conn.execute(
            select(groups.c.name)
            .select_from(
                group_members.join(
                    groups,
                    (groups.c.account_id == group_members.c.account_id)
                    & (groups.c.name_key == group_members.c.group_key),
                )
            )
            .where(group_members.c.account_id == account_id, group_members.c.user_key == user.name.lower())
            .order_by(groups.c.name_key)
        ).scalars()
        for group_name in list(group_names):
            identity += _entity_policies(conn, account_id, "group", group_name)
        boundary = default_document(conn, user.permissions_boundary) if user.permissions_boundary else None
        tags_ = entity_tags(conn, account_id, "user", user.name.lower())
        return PrincipalPolicies(identity, boundary, self._session_documents(conn, session), tags_)

    def _role_policies(self, conn: Connection, account_id: str, name: str, session: SessionRecord) -> PrincipalPolicies:
        role = get_role(conn, account_id, name)
        if role is None or role.role_id != session.role_id:
            # a session of a deleted role must not pick up the policies of a new role of the same name
            return PrincipalPolicies()
        identity = _entity_policies(conn, account_id, "role", role.name)
        boundary = default_document(conn, role.permissions_boundary) if role.permissions_boundary else None
        # session tags override the role's tags of the same key, as AWS documents
        tags_ = entity_tags(conn, account_id, "role", role.name.lower()) | session.tags
        return PrincipalPolicies(identity, boundary, self._session_documents(conn, session), tags_)

    @staticmethod
    def _session_documents(conn: Connection, session: SessionRecord | None) -> list[str]:
        if session is None:
            return []
        docs = [session.policy] if session.policy else []
        for arn in session.policy_arns:
            doc = default_document(conn, arn)
            if doc is not None:
                docs.append(doc)
        return docs
