"""AWS Shield Advanced's tables.

One subscription per account (its emergency contacts, proactive engagement and DRT access ride on it), protections
(one per resource and account, with the automatic application-layer response and the WAF entities Shield manages
for it), protection groups, tags; the data plane's per-minute request counts of protected resources, each
resource's detector state, and the attacks detected.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

subscriptions = Table(
    "shield_subscriptions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("id", String(36), nullable=False),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=False),
    Column("auto_renew", String(8), nullable=False),
    Column("proactive", String(8), nullable=True),  # ENABLED | DISABLED | None (never associated)
    Column("contacts", Text, nullable=False, default="[]"),  # JSON: EmergencyContactList
    Column("drt_role", String(2048), nullable=True),
    Column("drt_buckets", Text, nullable=False, default="[]"),  # JSON: LogBucketList
)

protections = Table(
    "shield_protections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("name", String(128), nullable=False),
    Column("resource_arn", String(2048), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("health_checks", Text, nullable=False, default="[]"),  # JSON: health check ids
    # JSON: {"Status", "Action", "WebAclArn", "RuleGroupArn", "IpSetArn", "RuleName"}, or null
    Column("auto_response", Text, nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "resource_arn", name="uq_shield_protections_resource"),
    Index("ix_shield_protections_resource", "resource_arn"),
)

groups = Table(
    "shield_protection_groups",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("group_id", String(36), primary_key=True),
    Column("arn", String(2048), nullable=False),
    Column("aggregation", String(8), nullable=False),
    Column("pattern", String(16), nullable=False),
    Column("resource_type", String(32), nullable=True),
    Column("members", Text, nullable=False, default="[]"),  # JSON: ARBITRARY members
)

tags = Table(
    "shield_tags",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

# Requests to a protected resource in one minute (summed over nodes): the detector's input and the attack details'.
traffic = Table(
    "shield_traffic",
    metadata,
    Column("resource_arn", String(2048), primary_key=True),
    Column("window", BigInteger, primary_key=True),  # epoch seconds of the window's start (a multiple of 60)
    Column("requests", BigInteger, nullable=False),
    Column("peak_rps", Integer, nullable=False),  # the busiest second's requests (as seen by one node)
    Column("contributors", Text, nullable=False),  # JSON: {"SOURCE_IP": {value: n}, "URL": ..., ...} (top 100)
)

detectors = Table(
    "shield_detectors",
    metadata,
    Column("resource_arn", String(2048), primary_key=True),
    Column("next_window", BigInteger, nullable=False),  # the first window not yet judged
    Column("baseline", Float, nullable=False),
    Column("learned", Integer, nullable=False),
    Column("quiet", Integer, nullable=False),
    Column("attack_id", String(36), nullable=True),  # the ongoing attack
)

attacks = Table(
    "shield_attacks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("resource_arn", String(2048), nullable=False),
    Column("start_time", UtcDateTime(), nullable=False),
    Column("end_time", UtcDateTime(), nullable=True),
    Column("document", Text, nullable=False),  # JSON: counters, contributors, mitigations, peak requests/second
    Index("ix_shield_attacks_account_start", "account_id", "start_time"),
)
