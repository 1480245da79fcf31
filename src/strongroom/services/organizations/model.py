"""AWS Organizations' tables. Organizations is global: no row has a region; every row names its organization.

The AWS managed policies (FullAWSAccess, RCPFullAWSAccess) are not rows: they are the same in every organization
(``names.MANAGED_POLICIES``); only their attachments are stored.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

organizations = Table(
    "organizations_orgs",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("management_account_id", String(12), nullable=False, unique=True),
    Column("root_id", String(40), nullable=False),
    Column("feature_set", String(24), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# The root and the organizational units: a tree under the root (parent_id None for the root).
nodes = Table(
    "organizations_nodes",
    metadata,
    Column("node_id", String(80), primary_key=True),
    Column("org_id", String(40), nullable=False),
    Column("kind", String(24), nullable=False),  # ROOT | ORGANIZATIONAL_UNIT
    Column("name", String(128), nullable=False),
    Column("parent_id", String(80), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_organizations_nodes_org_parent", "org_id", "parent_id"),
)

# Member accounts (and the management account): an account belongs to at most one organization.
members = Table(
    "organizations_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("org_id", String(40), nullable=False),
    Column("parent_id", String(80), nullable=False),
    Column("name", String(128), nullable=False),
    Column("email", String(64), nullable=False),
    Column("joined_method", String(16), nullable=False),  # INVITED | CREATED
    Column("joined_at", UtcDateTime(), nullable=False),
    Index("ix_organizations_accounts_org_parent", "org_id", "parent_id"),
)

create_statuses = Table(
    "organizations_create_account_status",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("org_id", String(40), nullable=False),
    Column("account_name", String(128), nullable=False),
    Column("email", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # IN_PROGRESS | SUCCEEDED | FAILED
    Column("account_id", String(12), nullable=True),
    Column("failure_reason", String(64), nullable=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Index("ix_organizations_create_status_org", "org_id"),
)

handshakes = Table(
    "organizations_handshakes",
    metadata,
    Column("handshake_id", String(40), primary_key=True),
    Column("org_id", String(40), nullable=False),
    Column("target_account_id", String(12), nullable=False),
    Column("action", String(40), nullable=False),  # INVITE
    Column("state", String(16), nullable=False),  # OPEN | ACCEPTED | DECLINED | CANCELED | EXPIRED
    Column("notes", Text, nullable=True),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_organizations_handshakes_org", "org_id"),
    Index("ix_organizations_handshakes_target", "target_account_id"),
)

# Customer managed policies (SERVICE_CONTROL_POLICY, RESOURCE_CONTROL_POLICY).
policies = Table(
    "organizations_policies",
    metadata,
    Column("policy_id", String(140), primary_key=True),
    Column("org_id", String(40), nullable=False),
    Column("type", String(40), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", String(512), nullable=False),
    Column("content", Text, nullable=False),
    Index("ix_organizations_policies_org", "org_id"),
)

# The policy types enabled on a root.
policy_types = Table(
    "organizations_policy_types",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("type", String(40), primary_key=True),
)

# Which policy is attached to which root, OU or account, in attachment order.
attachments = Table(
    "organizations_attachments",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("policy_id", String(140), primary_key=True),
    Column("target_id", String(80), primary_key=True),
    Column("policy_type", String(40), nullable=False),
    Column("attached_at", UtcDateTime(), nullable=False),
    Index("ix_organizations_attachments_target", "org_id", "target_id"),
)

delegated_admins = Table(
    "organizations_delegated_admins",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("service_principal", String(128), primary_key=True),
    Column("enabled_at", UtcDateTime(), nullable=False),
)

service_access = Table(
    "organizations_service_access",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("service_principal", String(128), primary_key=True),
    Column("enabled_at", UtcDateTime(), nullable=False),
)

# Tags of accounts, roots, OUs, policies and handshakes, by resource id.
tags = Table(
    "organizations_tags",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("resource_id", String(140), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)
