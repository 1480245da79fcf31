"""Secrets Manager's tables: one row per secret (primary or replica) and one per version.

Values are never stored in plaintext: ``blob`` is AES-256-GCM under a per-version data key that KMS generated
(``data_key`` is KMS's ciphertext of it), so reading a value always goes through KMS Decrypt.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

secrets = Table(
    "secretsmanager_secrets",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("arn", String(1024), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("kms_key_id", String(2048), nullable=True),  # as the caller gave it; NULL = aws/secretsmanager
    Column("tags", Text, nullable=False),  # JSON [{"Key","Value"}] in insertion order
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_changed_at", UtcDateTime, nullable=False),
    Column("last_accessed_at", UtcDateTime, nullable=True),
    Column("deletion_date", UtcDateTime, nullable=True),  # set while pending deletion
    Column("rotation_enabled", Boolean, nullable=False),
    Column("rotation_lambda_arn", String(2048), nullable=True),
    Column("rotation_rules", Text, nullable=True),  # JSON RotationRules
    Column("last_rotated_at", UtcDateTime, nullable=True),
    Column("next_rotation_at", UtcDateTime, nullable=True),
    Column("rotation_failed", Boolean, nullable=False),  # the last rotation failed: retried at the next window
    Column("primary_region", String(32), nullable=True),  # set on replicas only
    Column("replicas", Text, nullable=False),  # on primaries: JSON [{"Region","KmsKeyId","Status",...}]
    Column("policy", Text, nullable=True),
    # ListSecrets' default order (oldest first, then by name), read a page at a time
    Index("ix_secretsmanager_secrets_created", "account_id", "region", "created_at", "name"),
)

versions = Table(
    "secretsmanager_versions",
    metadata,
    Column("arn", String(1024), primary_key=True),
    Column("version_id", String(64), primary_key=True),
    Column("stages", Text, nullable=False),  # JSON list of staging labels
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_accessed_at", UtcDateTime, nullable=True),
    Column("kms_key_arn", String(2048), nullable=False),
    Column("data_key", LargeBinary, nullable=False),
    Column("blob", LargeBinary, nullable=False),
    Column("binary", Boolean, nullable=False),
    Column("seq", Integer, nullable=False),  # creation order within the secret
)
