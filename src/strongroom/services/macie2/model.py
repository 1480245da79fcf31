"""Macie's tables: sessions, custom data identifiers, allow lists, classification jobs, findings (their revealable
samples sealed), findings filters, per-account settings (reveal, export, automated discovery, classification scope,
sensitivity inspection template, resource profiles, findings publication), members and their invitations, usage
(bytes classified), and tags."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

sessions = Table(
    "macie2_sessions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("status", String(16), nullable=False),  # ENABLED | PAUSED
    Column("frequency", String(16), nullable=False),  # FindingPublishingFrequency
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

custom_identifiers = Table(
    "macie2_custom_identifiers",
    metadata,
    Column("identifier_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("regex", Text, nullable=False),
    Column("keywords", Text, nullable=False),  # JSON list
    Column("ignore_words", Text, nullable=False),  # JSON list
    Column("maximum_match_distance", Integer, nullable=False),
    Column("severity_levels", Text, nullable=False),  # JSON [{"severity", "occurrencesThreshold"}]
    Column("deleted", Boolean, nullable=False, default=False),  # AWS keeps deleted ones visible to BatchGet
    Column("client_token", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_macie2_custom_identifiers_account", "account_id", "region"),
)

allow_lists = Table(
    "macie2_allow_lists",
    metadata,
    Column("list_id", String(22), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("criteria", Text, nullable=False),  # JSON AllowListCriteria
    Column("status_code", String(32), nullable=False),
    Column("status_description", Text, nullable=True),
    Column("client_token", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_macie2_allow_lists_account", "account_id", "region"),
)

jobs = Table(
    "macie2_jobs",
    metadata,
    Column("job_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(500), nullable=False),
    Column("job_type", String(16), nullable=False),  # ONE_TIME | SCHEDULED
    Column("status", String(16), nullable=False),  # JobStatus
    Column("definition", Text, nullable=False),  # JSON: the CreateClassificationJob request's job members
    Column("client_token", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_run_time", UtcDateTime(), nullable=True),
    Column("last_run_error", String(8), nullable=False, default="NONE"),  # LastRunErrorStatusCode
    Column("runs", Integer, nullable=False, default=0),
    Column("to_process", Integer, nullable=False, default=0),  # approximateNumberOfObjectsToProcess
    Column("cursor", Text, nullable=True),  # JSON: where a paused run resumes
    Column("scanned_until", UtcDateTime(), nullable=True),  # a scheduled job's next run reads objects from here
    Column("boundary", Text, nullable=True),  # JSON: objects of the scanned_until second the last run read
    Column("paused_at", UtcDateTime(), nullable=True),
    Index("ix_macie2_jobs_account", "account_id", "region"),
)

findings = Table(
    "macie2_findings",
    metadata,
    Column("finding_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("type", String(64), nullable=False),
    Column("category", String(16), nullable=False),  # CLASSIFICATION | POLICY
    Column("severity", Integer, nullable=False),
    Column("archived", Boolean, nullable=False, default=False),
    Column("dedup_key", String(1200), nullable=True),  # policy findings: one per bucket and type
    Column("body", Text, nullable=False),  # JSON: the Finding in the API's member form
    Column("samples", LargeBinary, nullable=True),  # sealed JSON {type: [matched text]}, for reveal
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_macie2_findings_account", "account_id", "region", "updated_at"),
    Index("ix_macie2_findings_dedup", "account_id", "region", "dedup_key"),
)

filters = Table(
    "macie2_filters",
    metadata,
    Column("filter_id", String(36), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=True),
    Column("action", String(8), nullable=False),  # ARCHIVE | NOOP
    Column("position", Integer, nullable=False),
    Column("criteria", Text, nullable=False),  # JSON FindingCriteria
    Column("client_token", String(64), nullable=True),
    Index("ix_macie2_filters_account", "account_id", "region"),
)

settings = Table(
    "macie2_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),  # reveal | export | discovery | scores
    Column("value", Text, nullable=False),  # JSON
)

members = Table(
    "macie2_members",
    metadata,
    Column("admin_account", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("email", String(64), nullable=True),
    Column("status", String(16), nullable=False),  # RelationshipStatus: Enabled | Removed
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_macie2_members_account", "account_id", "region"),
)

org_admins = Table(
    "macie2_org_admins",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("admin_account", String(12), nullable=False),
    Column("auto_enable", Boolean, nullable=False, default=False),
)

invitations = Table(
    "macie2_invitations",
    metadata,
    Column("account_id", String(12), primary_key=True),  # the invited account
    Column("region", String(32), primary_key=True),
    Column("admin_account", String(12), primary_key=True),
    Column("invitation_id", String(32), nullable=False),
    Column("invited_at", UtcDateTime(), nullable=False),
)

usage = Table(
    "macie2_usage",
    metadata,
    # One row per classification run (job run or automated discovery pass) and month: insert-only, so concurrent
    # runs on several nodes never lose each other's counts; readers sum.
    Column("usage_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("usage_type", String(40), nullable=False),  # SENSITIVE_DATA_DISCOVERY | AUTOMATED_SENSITIVE_DATA_DISCOVERY
    Column("bytes", BigInteger, nullable=False),  # uncompressed bytes the engine classified
    Column("objects", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Index("ix_macie2_usage_account", "account_id", "region", "at"),
)

tags = Table(
    "macie2_tags",
    metadata,
    Column("arn", String(512), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)


def samples_aad(finding_id: str) -> bytes:
    """findings.samples: the matched text a finding reports, bound to the finding."""
    return f"macie2-finding-samples:{finding_id}".encode()


register_sealed_column(findings, "samples", lambda row: samples_aad(row.finding_id))
