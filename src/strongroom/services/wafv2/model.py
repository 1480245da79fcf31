"""WAF v2's tables. API keys (CAPTCHA integration) are stored only sealed.

Every named entity (IP set, regex pattern set, rule group, web ACL) is one ``wafv2_entities`` row: its kind, the
document AWS returns (JSON, without Name/Id/ARN/LockToken), the lock token of its current state and a version
counter the enforcement side compares to follow changes cheaply.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

entities = Table(
    "wafv2_entities",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("scope", String(16), nullable=False),  # REGIONAL | CLOUDFRONT
    Column("kind", String(16), nullable=False),  # ipset | regexpatternset | rulegroup | webacl
    Column("name", String(128), nullable=False),
    Column("id", String(36), nullable=False),
    Column("description", String(256), nullable=True),
    Column("lock_token", String(36), nullable=False),
    Column("document", Text, nullable=False),  # JSON: the kind's mutable specification
    Column("capacity", Integer, nullable=False, default=0),
    Column("refs", Text, nullable=False, default="[]"),  # JSON: ARNs the rules reference
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "scope", "kind", "name", name="uq_wafv2_entities_name"),
    Index("ix_wafv2_entities_account_kind", "account_id", "region", "scope", "kind"),
)

tags = Table(
    "wafv2_tags",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

# One web ACL per protected resource.
associations = Table(
    "wafv2_associations",
    metadata,
    Column("resource_arn", String(512), primary_key=True),
    Column("web_acl_arn", String(512), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_wafv2_associations_web_acl", "web_acl_arn"),
)

logging_configs = Table(
    "wafv2_logging",
    metadata,
    Column("web_acl_arn", String(512), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("document", Text, nullable=False),  # JSON LoggingConfiguration
)

permission_policies = Table(
    "wafv2_permission_policies",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("policy", Text, nullable=False),
)

# Written by the enforcement side (enforced.record_sample); read by GetSampledRequests.
samples = Table(
    "wafv2_samples",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("web_acl_arn", String(512), nullable=False),
    Column("metric_name", String(255), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("document", Text, nullable=False),  # JSON SampledHTTPRequest without Timestamp
    Index("ix_wafv2_samples_acl_metric_at", "web_acl_arn", "metric_name", "at"),
)

# Written by the enforcement side for rate-based rules; read by GetRateBasedStatementManagedKeys.
rate_keys = Table(
    "wafv2_rate_keys",
    metadata,
    Column("web_acl_arn", String(512), primary_key=True),
    Column("rule_group", String(128), primary_key=True, default=""),
    Column("rule_name", String(128), primary_key=True),
    Column("address", String(64), primary_key=True),  # CIDR, /32 or /128
    Column("ip_version", String(4), nullable=False),  # IPV4 | IPV6
    Column("until", UtcDateTime(), nullable=False),
)

# Rate-based rule counters shared by every node on one database (ratecounters.py): one row per (counter, time
# bucket). ``counter`` is a SHA-256 of (web ACL ARN, rule, window, aggregation key): keys can be header or cookie
# values that carry secrets, and may be kilobytes long, so they are never stored. Times are epoch seconds of the
# server clock; a bucket is no use after two windows (``expires``), when the sweep job deletes it.
rate_counters = Table(
    "wafv2_rate_counters",
    metadata,
    Column("counter", String(64), primary_key=True),
    Column("bucket", BigInteger, primary_key=True),  # start of the window-aligned bucket
    Column("hits", Integer, nullable=False),
    Column("expires", BigInteger, nullable=False),
    Index("ix_wafv2_rate_counters_expires", "expires"),
)

api_keys = Table(
    "wafv2_api_keys",
    metadata,
    Column("key_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("scope", String(16), nullable=False),
    Column("key_digest", String(64), nullable=False, unique=True),  # SHA-256 of the key: found without unsealing
    Column("sealed_key", LargeBinary, nullable=False),
    Column("token_domains", Text, nullable=False),  # JSON list
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_wafv2_api_keys_account", "account_id", "region", "scope"),
)


def api_key_aad(key_id: str) -> bytes:
    """api_keys.sealed_key: the CAPTCHA API key, bound to its id."""
    return f"wafv2-api-key:{key_id}".encode()


register_sealed_column(api_keys, "sealed_key", lambda row: api_key_aad(row.key_id))
