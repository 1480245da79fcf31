"""KMS's tables. Key material is stored only sealed under the root key, one row per version."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

keys = Table(
    "kms_keys",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("key_usage", String(32), nullable=False),
    Column("key_spec", String(32), nullable=False),
    Column("origin", String(32), nullable=False),
    Column("key_manager", String(16), nullable=False),
    Column("state", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("deletion_date", UtcDateTime(), nullable=True),
    Column("pending_window_days", Integer, nullable=True),
    Column("valid_to", UtcDateTime(), nullable=True),
    Column("expiration_model", String(32), nullable=True),
    Column("multi_region", Boolean, nullable=False, default=False),
    Column("primary_arn", String(256), nullable=True),  # set on multi-Region keys (itself on the primary)
    Column("policy", Text, nullable=False),
    Column("rotation_enabled", Boolean, nullable=False, default=False),
    Column("rotation_period_days", Integer, nullable=True),
    Column("next_rotation_at", UtcDateTime(), nullable=True),
    Column("on_demand_rotation_at", UtcDateTime(), nullable=True),
    Column("current_material_id", String(64), nullable=True),
    Column("custom_key_store_id", String(64), nullable=True),
    Column("public_key", LargeBinary, nullable=True),  # DER SubjectPublicKeyInfo of asymmetric keys
    Column("last_used_at", UtcDateTime(), nullable=True),
    UniqueConstraint("account_id", "region", "key_id", name="uq_kms_keys_account_region_key"),
    Index("ix_kms_keys_primary", "primary_arn"),
)

materials = Table(
    "kms_key_materials",
    metadata,
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), primary_key=True),
    Column("material_id", String(64), primary_key=True),
    Column("sealed", LargeBinary, nullable=True),  # None once imported material is deleted
    Column("created_at", UtcDateTime(), nullable=False),
    Column("rotation_type", String(16), nullable=True),  # AUTOMATIC | ON_DEMAND for rotations
    Column("imported", Boolean, nullable=False, default=False),
    Column("import_state", String(16), nullable=True),  # IMPORTED | PENDING_IMPORT for EXTERNAL keys
    Column("valid_to", UtcDateTime(), nullable=True),
    Column("expiration_model", String(32), nullable=True),
    Column("seq", Integer, nullable=False),  # order of versions within the key
    Column("description", Text, nullable=True),
)

aliases = Table(
    "kms_aliases",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(256), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

tags = Table(
    "kms_tags",
    metadata,
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False),
)

grants = Table(
    "kms_grants",
    metadata,
    Column("grant_id", String(128), primary_key=True),
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), nullable=False),
    Column("name", String(256), nullable=True),
    Column("grantee_principal", String(256), nullable=False),
    Column("retiring_principal", String(256), nullable=True),
    Column("issuing_account", String(256), nullable=False),
    Column("operations", Text, nullable=False),  # JSON list
    Column("constraints", Text, nullable=True),  # JSON object
    Column("token", String(512), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    # True when grantee_principal / retiring_principal name an AWS service principal (GranteeServicePrincipal,
    # RetiringServicePrincipal) rather than an IAM ARN.
    Column("grantee_is_service", Boolean, nullable=False, default=False),
    Column("retiring_is_service", Boolean, nullable=False, default=False),
    Index("ix_kms_grants_key", "key_arn"),
)

import_tokens = Table(
    "kms_import_tokens",
    metadata,
    Column("token_id", String(64), primary_key=True),
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), nullable=False),
    Column("wrapping_algorithm", String(32), nullable=False),
    Column("wrapping_key_spec", String(16), nullable=False),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

# Key policy bookkeeping beside kms_keys.policy (which the hot path reads): whether the caller bypassed the
# lockout safety check, for the access-control evaluator, and when the policy last changed.
policy_meta = Table(
    "kms_key_policy_meta",
    metadata,
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), primary_key=True),
    Column("bypass_lockout_check", Boolean, nullable=False, default=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

# Every change that makes a cached key stale is appended here; each node polls it (<= 1 s) and drops
# the named keys from its cache, so disable/delete/rotate reach every node's hot path.
changes = Table(
    "kms_key_changes",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("key_arn", String(256), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
)


def material_aad(key_arn: str, material_id: str) -> bytes:
    """Binds a sealed blob to its key and version: a blob copied to another row fails to unwrap."""
    return f"kms:material:{key_arn}:{material_id}".encode()


def import_wrapping_key_aad(token_id: str) -> bytes:
    """Binds an import token's sealed private wrapping key to the token."""
    return f"kms:import-wrapping-key:{token_id}".encode()


def custom_key_store_password_aad(store_id: str) -> bytes:
    """Binds a custom key store's sealed KeyStorePassword (the token's PIN) to the store."""
    return f"kms:custom-key-store:{store_id}".encode()


register_sealed_column(materials, "sealed", lambda row: material_aad(row.key_arn, row.material_id))
register_sealed_column(import_tokens, "private_key_sealed", lambda row: import_wrapping_key_aad(row.token_id))

# Custom key stores of type AWS_CLOUDHSM, each backed by a PKCS#11 token that strongroom.toml names as a
# "cluster" ([hsm.clusters.<CloudHsmClusterId>]). The crypto user's PIN (KeyStorePassword) is stored sealed.
custom_key_stores = Table(
    "kms_custom_key_stores",
    metadata,
    Column("custom_key_store_id", String(64), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(256), nullable=False),
    Column("store_type", String(32), nullable=False),
    Column("cluster_id", String(24), nullable=False),
    Column("trust_anchor", Text, nullable=False),
    Column("password_sealed", LargeBinary, nullable=False),
    Column("connection_state", String(16), nullable=False),
    Column("connection_error_code", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    UniqueConstraint("account_id", "region", "name", name="uq_kms_custom_key_stores_account_region_name"),
)

# KMS keys whose material is a non-extractable object on a custom key store's token (labelled with the key
# id); no material row exists for them. ``prior_state`` remembers Enabled/Disabled while the store is
# disconnected and the key shows Unavailable.
hsm_keys = Table(
    "kms_hsm_keys",
    metadata,
    Column("key_arn", String(256), ForeignKey("kms_keys.arn", ondelete="CASCADE"), primary_key=True),
    Column("custom_key_store_id", String(64), nullable=False),
    Column("object_label", String(128), nullable=False),
    Column("prior_state", String(32), nullable=True),
    Index("ix_kms_hsm_keys_store", "custom_key_store_id"),
)


register_sealed_column(
    custom_key_stores, "password_sealed", lambda row: custom_key_store_password_aad(row.custom_key_store_id)
)
