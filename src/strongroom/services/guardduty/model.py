"""GuardDuty's tables: detectors, findings, filters, IP/threat-intel sets, publishing destinations, members and
administrators, the organization's configuration, tags, and the detection engine's learned state."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

detectors = Table(
    "guardduty_detectors",
    metadata,
    Column("detector_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # ENABLED | DISABLED
    Column("frequency", String(16), nullable=False),  # FindingPublishingFrequency
    Column("features", Text, nullable=False),  # JSON {name: {"status": ..., "updated_at": iso}}
    Column("version", Integer, nullable=False, default=1),  # bumped on any change the live engine must see
    Column("client_token", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", name="uq_guardduty_detectors_account_region"),
)

findings = Table(
    "guardduty_findings",
    metadata,
    Column("finding_id", String(32), primary_key=True),
    Column("detector_id", String(32), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("type", String(128), nullable=False),
    Column("severity", Float, nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("dedup_key", String(256), nullable=True),
    Column("body", Text, nullable=False),  # JSON: the finding in the API's member form (GetFindings)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("publish_pending", Boolean, nullable=False, default=False),  # an update not yet sent to EventBridge
    Index("ix_guardduty_findings_detector_updated", "detector_id", "updated_at"),
    Index("ix_guardduty_findings_dedup", "detector_id", "dedup_key"),
)

filters = Table(
    "guardduty_filters",
    metadata,
    Column("detector_id", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("description", Text, nullable=True),
    Column("action", String(16), nullable=False),  # NOOP | ARCHIVE
    Column("rank", Integer, nullable=False),
    Column("criteria", Text, nullable=False),  # JSON FindingCriteria (member form)
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

lists = Table(
    "guardduty_lists",
    metadata,
    Column("list_id", String(32), primary_key=True),
    Column("detector_id", String(32), nullable=False),
    Column("kind", String(8), nullable=False),  # IPSET | THREAT
    Column("name", String(300), nullable=False),
    Column("format", String(16), nullable=False),
    Column("location", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("entries", Text, nullable=False, default="[]"),  # JSON list: addresses, CIDRs, domains
    Column("expected_owner", String(12), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_guardduty_lists_detector", "detector_id", "kind"),
)

destinations = Table(
    "guardduty_destinations",
    metadata,
    Column("destination_id", String(32), primary_key=True),
    Column("detector_id", String(32), nullable=False),
    Column("destination_type", String(8), nullable=False),  # S3
    Column("destination_arn", String(1024), nullable=False),
    Column("kms_key_arn", String(2048), nullable=False),
    Column("status", String(48), nullable=False),
    Column("failure_start", BigInteger, nullable=True),  # PublishingFailureStartTimestamp, epoch ms
    Column("exported_until", UtcDateTime(), nullable=True),  # findings updated up to here are exported
    Column("created_at", UtcDateTime(), nullable=False),
)

members = Table(
    "guardduty_members",
    metadata,
    Column("admin_account", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("admin_detector_id", String(32), nullable=False),
    Column("email", String(64), nullable=True),
    Column("status", String(32), nullable=False),  # Created | Invited | Enabled | Removed | Resigned
    Column("invitation_id", String(64), nullable=True),
    Column("invited_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("by_organization", Boolean, nullable=False, default=False),
    Index("ix_guardduty_members_account", "account_id", "region"),
)

org_admins = Table(
    "guardduty_org_admins",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("admin_account", String(12), nullable=False),
    Column("status", String(24), nullable=False),  # ENABLED | DISABLE_IN_PROGRESS
    Column("auto_enable", String(8), nullable=False, default="NONE"),  # NEW | ALL | NONE
    Column("features", Text, nullable=False, default="{}"),  # JSON {feature: NEW | ALL | NONE}
)

tags = Table(
    "guardduty_tags",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

# The detection engine's learned state (``detection.contract.StateStore``): opaque bytes by account and key.
engine_state = Table(
    "guardduty_engine_state",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("value", LargeBinary, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)
