"""Parameter Store's tables. SecureString values are stored only as KMS ciphertext (base64), never in plaintext."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

# One row per parameter: its current state (the latest version's attributes) for listing and filtering.
parameters = Table(
    "ssm_parameters",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("arn", String(1100), nullable=False),
    Column("type", String(16), nullable=False),
    Column("key_id", String(256), nullable=True),  # as the caller named it (alias/aws/ssm by default)
    Column("tier", String(16), nullable=False),
    Column("data_type", String(128), nullable=False),
    Column("version", Integer, nullable=False),
    Column("description", Text, nullable=True),
    Column("allowed_pattern", Text, nullable=True),
    Column("policies", Text, nullable=True),  # JSON list of {"text", "type", "status"}
    Column("modified_at", UtcDateTime(), nullable=False),
    Column("modified_user", String(2048), nullable=False),
    Index("ix_ssm_parameters_arn", "arn"),
)

versions = Table(
    "ssm_parameter_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("value", Text, nullable=False),  # SecureString: base64 KMS ciphertext only
    Column("type", String(16), nullable=False),
    Column("key_id", String(256), nullable=True),
    Column("tier", String(16), nullable=False),
    Column("data_type", String(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("allowed_pattern", Text, nullable=True),
    Column("policies", Text, nullable=True),
    Column("labels", Text, nullable=False, default="[]"),  # JSON list; unique per parameter
    Column("modified_at", UtcDateTime(), nullable=False),
    Column("modified_user", String(2048), nullable=False),
)

tags = Table(
    "ssm_parameter_tags",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(1024), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

resource_policies = Table(
    "ssm_resource_policies",
    metadata,
    Column("resource_arn", String(1100), primary_key=True),
    Column("policy_id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("policy", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_ssm_resource_policies_account", "account_id", "region"),
)

service_settings = Table(
    "ssm_service_settings",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("setting_id", String(256), primary_key=True),
    Column("value", String(4096), nullable=False),
    Column("modified_at", UtcDateTime(), nullable=False),
    Column("modified_user", String(2048), nullable=False),
)
