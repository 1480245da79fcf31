"""IAM's tables: accounts, access keys, users, groups, roles, managed and inline policies, tags, STS sessions.

Names of users, groups, roles and managed policies are unique per account regardless of case (as in AWS), so
each table keys on ``name_key`` (the lower-cased name) and keeps the name as created in ``name``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, LargeBinary, String, Table, Text

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

accounts = Table(
    "iam_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("is_init", Boolean, nullable=False, default=False),
)

access_keys = Table(
    "iam_access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("iam_accounts.account_id", ondelete="CASCADE"), nullable=False),
    # sealed under the root key: SigV4 needs the secret itself, so it cannot be a one-way hash
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("user_name", String(64), nullable=True),  # None = the account's root user
    Column("status", String(16), nullable=False, default="Active"),
    Column("created_at", UtcDateTime(), nullable=False),
    # GetAccessKeyLastUsed; written at most once a minute per key (see AccountDirectory.touch)
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("last_used_service", String(64), nullable=True),
    Column("last_used_region", String(32), nullable=True),
)

users = Table(
    "iam_users",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("user_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("permissions_boundary", String(2048), nullable=True),
)

groups = Table(
    "iam_groups",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name_key", String(128), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("group_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

group_members = Table(
    "iam_group_members",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("group_key", String(128), primary_key=True),
    Column("user_key", String(64), primary_key=True),
    Column("added_at", UtcDateTime(), nullable=False),
    Index("ix_iam_group_members_user", "account_id", "user_key"),
)

roles = Table(
    "iam_roles",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name_key", String(64), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("arn", String(1024), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("assume_role_policy", Text, nullable=False),
    Column("description", String(1000), nullable=True),
    Column("max_session_duration", Integer, nullable=False),
    Column("permissions_boundary", String(2048), nullable=True),
    Column("last_used_at", UtcDateTime(), nullable=True),
    Column("last_used_region", String(32), nullable=True),
)

policies = Table(
    "iam_policies",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name_key", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("policy_id", String(32), nullable=False, unique=True),
    Column("path", String(512), nullable=False),
    Column("description", String(1000), nullable=True),
    Column("default_version", String(16), nullable=False),
    Column("next_version", Integer, nullable=False),  # versions are never renumbered: v1, v2, ... as AWS
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_iam_policies_account_name", "account_id", "name_key", unique=True),
)

policy_versions = Table(
    "iam_policy_versions",
    metadata,
    Column("policy_arn", String(2048), ForeignKey("iam_policies.arn", ondelete="CASCADE"), primary_key=True),
    Column("version_id", String(16), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# entity_type: "user" | "group" | "role"; entity_key: the entity's name_key
attachments = Table(
    "iam_attachments",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("entity_type", String(8), primary_key=True),
    Column("entity_key", String(128), primary_key=True),
    Column("policy_arn", String(2048), primary_key=True),
    Column("attached_at", UtcDateTime(), nullable=False),
    Index("ix_iam_attachments_policy", "policy_arn"),
)

inline_policies = Table(
    "iam_inline_policies",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("entity_type", String(8), primary_key=True),
    Column("entity_key", String(128), primary_key=True),
    Column("policy_name", String(128), primary_key=True),
    Column("document", Text, nullable=False),
)

# entity_type: "user" | "role" | "policy"; entity_key: name_key (or the policy ARN); IAM tag keys are
# case-insensitive, so the key's lower-case form is part of the primary key.
tags = Table(
    "iam_tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("entity_type", String(8), primary_key=True),
    Column("entity_key", String(2048), primary_key=True),
    Column("key_lower", String(128), primary_key=True),
    Column("tag_key", String(128), nullable=False),
    Column("tag_value", String(256), nullable=False),
)

sessions = Table(
    "iam_sessions",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("secret_sealed", LargeBinary, nullable=False),
    # SHA-256 of the session token: enough to check the X-Amz-Security-Token, useless to a thief of the table
    Column("token_sha256", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # AssumedRole | SessionToken
    Column("role_arn", String(2048), nullable=True),
    Column("role_id", String(32), nullable=True),
    Column("role_name", String(64), nullable=True),
    Column("session_name", String(64), nullable=True),
    Column("user_name", String(64), nullable=True),  # GetSessionToken by an IAM user (None: root)
    # That user's unique id (AIDA...): a user deleted and re-created under the same name is another user, and
    # the session must not pass to it (role sessions are bound the same way through role_id).
    Column("user_id", String(32), nullable=True),
    Column("source_access_key_id", String(128), nullable=True),
    Column("policy", Text, nullable=True),  # inline session policy
    Column("policy_arns", Text, nullable=True),  # JSON list of managed session policy ARNs
    Column("tags", Text, nullable=True),  # JSON object of session tags
    Column("transitive_tag_keys", Text, nullable=True),  # JSON list
    Column("source_identity", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    # When the caller proved an MFA code for this session (GetSessionToken / AssumeRole with TokenCode):
    # aws:MultiFactorAuthPresent and aws:MultiFactorAuthAge follow from it.
    Column("mfa_at", UtcDateTime(), nullable=True),
    Index("ix_iam_sessions_expires", "expires_at"),
)

# IAM's smaller resources, one JSON document each (iam/objects.py names the kinds): OIDC and SAML providers,
# MFA devices, login profiles, instance profiles, server and signing certificates, SSH keys, service-specific
# credentials, account settings (password policy, alias), access-advisor jobs and the credential report. Their
# shapes differ and none is read on the request path except by its key, so one keyed table serves them all;
# ``secret_sealed`` holds what must be recoverable and secret (an MFA seed, a service-specific password).
objects = Table(
    "iam_objects",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("data", Text, nullable=False),
    Column("secret_sealed", LargeBinary, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
)


def access_key_aad(access_key_id: str) -> bytes:
    """The associated data sealing an access key's (or a session's) secret: binds it to its key id."""
    return f"iam:access-key:{access_key_id}".encode()


def _access_key_aad(row: Any) -> bytes:
    return access_key_aad(row.access_key_id)


def object_aad(account_id: str, kind: str, key: str) -> bytes:
    """The associated data sealing an IAM object's secret: binds it to its account, kind and key."""
    return f"iam:object:{account_id}:{kind}:{key}".encode()


def _object_aad(row: Any) -> bytes:
    return object_aad(row.account_id, row.kind, row.key)


register_sealed_column(access_keys, "secret_sealed", _access_key_aad)
register_sealed_column(objects, "secret_sealed", _object_aad)
register_sealed_column(sessions, "secret_sealed", _access_key_aad)
