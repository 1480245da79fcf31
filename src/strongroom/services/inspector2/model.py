"""Inspector's tables: what each account enabled, the advisory database, coverage, findings, suppression filters,
and report / SBOM export jobs.

The advisory database is global, not per Region or account: it is public data (OSV advisories), the same for every
tenant, loaded once by ``strongroom inspector update-db``; copies per Region would only multiply storage and let
Regions disagree. Everything an account does (enablement, coverage, findings, filters, reports) is per account and
Region, as in AWS.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text, UniqueConstraint

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

# One row per (account, Region, resource type): ENABLED | DISABLED (the transient states pass at once here).
account_state = Table(
    "inspector2_account_state",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("resource_type", String(16), primary_key=True),  # EC2 | ECR | LAMBDA | LAMBDA_CODE | CODE_REPOSITORY
    Column("status", String(16), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# The advisory database: one row per OSV advisory (its JSON), an index by (ecosystem, package) and the build.
advisories = Table(
    "inspector2_advisories",
    metadata,
    Column("advisory_id", String(128), primary_key=True),
    Column("modified", String(40), nullable=False),
    Column("body", Text, nullable=False),  # the OSV JSON
)

advisory_packages = Table(
    "inspector2_advisory_packages",
    metadata,
    Column("ecosystem", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),  # normalised as the engine names packages (PEP 503 for PyPI)
    Column("advisory_id", String(128), primary_key=True),
)

database = Table(
    "inspector2_database",
    metadata,
    Column("id", Integer, primary_key=True),  # always 1
    Column("version", String(128), nullable=False),  # the engine's content hash of the loaded advisories
    Column("advisories", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("loaded_at", UtcDateTime(), nullable=False),
)

# One row per scanned resource and scan type (PACKAGE for LAMBDA, CODE for LAMBDA_CODE).
coverage = Table(
    "inspector2_coverage",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("resource_id", String(256), primary_key=True),  # the function's ARN
    Column("scan_type", String(16), primary_key=True),  # PACKAGE | CODE
    Column("resource_type", String(32), nullable=False),  # AWS_LAMBDA_FUNCTION
    Column("status_code", String(16), nullable=False),  # ACTIVE | INACTIVE
    Column("reason", String(64), nullable=False),  # ScanStatusReason
    Column("code_sha256", String(64), nullable=True),  # the code last scanned
    Column("db_version", String(128), nullable=True),  # the database it was scanned against
    Column("metadata", Text, nullable=False),  # JSON: functionName, runtime, tags, layers
    Column("last_scanned_at", UtcDateTime(), nullable=True),
)

findings = Table(
    "inspector2_findings",
    metadata,
    Column("finding_arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("resource_id", String(256), nullable=False),
    Column("dedup_key", String(512), nullable=False),  # resource + type + vulnerability/package or rule/file/line
    Column("type", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # ACTIVE | SUPPRESSED | CLOSED
    Column("severity", String(16), nullable=False),
    Column("inspector_score", Float, nullable=True),
    Column("body", Text, nullable=False),  # JSON: the Finding in the API's member form
    Column("first_observed_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "dedup_key", name="uq_inspector2_findings_dedup"),
    Index("ix_inspector2_findings_resource", "account_id", "region", "resource_id"),
)

filters = Table(
    "inspector2_filters",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("action", String(16), nullable=False),  # NONE | SUPPRESS
    Column("description", Text, nullable=True),
    Column("reason", Text, nullable=True),
    Column("criteria", Text, nullable=False),  # JSON FilterCriteria (member form)
    Column("tags", Text, nullable=False, default="{}"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_inspector2_filters_name"),
)

# CreateFindingsReport and CreateSbomExport: one row per report, written at once (the work is synchronous here).
reports = Table(
    "inspector2_reports",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("kind", String(8), nullable=False),  # FINDINGS | SBOM
    Column("status", String(16), nullable=False),  # IN_PROGRESS | SUCCEEDED | FAILED | CANCELLED
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("request", Text, nullable=False),  # JSON: format, criteria, destination
    Column("created_at", UtcDateTime(), nullable=False),
)

# Delegated administrators (named by an organization's management account, per Region) and their members.
org_admins = Table(
    "inspector2_org_admins",
    metadata,
    Column("org_id", String(40), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("admin_account", String(12), nullable=False),
    Column("auto_enable", Text, nullable=False, default="{}"),  # JSON AutoEnable: {"lambda": true, ...}
    Column("updated_at", UtcDateTime(), nullable=False),
)

members = Table(
    "inspector2_members",
    metadata,
    Column("admin_account", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("account_id", String(12), primary_key=True),
    Column("status", String(16), nullable=False),  # ENABLED (associated)
    Column("updated_at", UtcDateTime(), nullable=False),
    Index("ix_inspector2_members_account", "account_id", "region"),
)
