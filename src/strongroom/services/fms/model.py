"""Firewall Manager's tables.

The administrator is per organization (global, like Organizations); policies, apps and protocols lists, resource
sets, notification channels and tags belong to the administrator's account and a region, as at AWS. Compliance
rows are what the last remediation cycle found, per policy and member account; ``fms_managed_acls`` remembers the
web ACL each WAF policy made in each account.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

admins = Table(
    "fms_admins",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("scope", Text, nullable=True),  # JSON: the AdminScope of PutAdminAccount, None for full scope
    Column("associated_at", UtcDateTime(), nullable=False),
)

policies = Table(
    "fms_policies",
    metadata,
    Column("policy_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("service_type", String(40), nullable=False),
    Column("document", Text, nullable=False),  # JSON: the Policy as stored (without id and token)
    Column("update_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_fms_policies_owner", "account_id", "region"),
)

compliance = Table(
    "fms_compliance",
    metadata,
    Column("policy_id", String(36), primary_key=True),
    Column("member_account", String(12), primary_key=True),
    Column("status", String(16), nullable=False),  # COMPLIANT | NON_COMPLIANT
    Column("violators", Text, nullable=False),  # JSON: [ComplianceViolator]
    Column("evaluated_at", UtcDateTime(), nullable=False),
)

managed_acls = Table(
    "fms_managed_acls",
    metadata,
    Column("policy_id", String(36), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("web_acl_arn", String(512), nullable=False),
    Column("web_acl_name", String(128), nullable=False),
    Column("web_acl_id", String(36), nullable=False),
)

# Apps lists and protocols lists (kind APPS | PROTOCOLS): the document holds the list and the previous versions.
lists = Table(
    "fms_lists",
    metadata,
    Column("list_id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("document", Text, nullable=False),
    Column("update_token", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_fms_lists_owner", "account_id", "region", "kind"),
)

resource_sets = Table(
    "fms_resource_sets",
    metadata,
    Column("set_id", String(22), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", String(256), nullable=True),
    Column("resource_types", Text, nullable=False),  # JSON list
    Column("update_token", String(64), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_fms_resource_sets_owner", "account_id", "region"),
)

resource_set_items = Table(
    "fms_resource_set_items",
    metadata,
    Column("set_id", String(22), primary_key=True),
    Column("uri", String(1024), primary_key=True),
    Column("account_id", String(12), nullable=True),
)

channels = Table(
    "fms_notification_channels",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("topic_arn", String(1024), nullable=False),
    Column("role_arn", String(1024), nullable=False),
)

tags = Table(
    "fms_tags",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)
