"""IAM's tables: accounts and access keys (users, roles and policies arrive with access control)."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, LargeBinary, String, Table

from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

accounts = Table(
    "iam_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("is_init", Boolean, nullable=False, default=False),
)

access_keys = Table(
    "iam_access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("iam_accounts.account_id", ondelete="CASCADE"), nullable=False),
    # sealed under the root key: SigV4 needs the secret itself, so it cannot be a one-way hash
    Column("secret_sealed", LargeBinary, nullable=False),
    Column("user_name", String(64), nullable=True),  # None = the account's root user
    Column("status", String(16), nullable=False, default="Active"),
    Column("created_at", UtcDateTime(), nullable=False),
)
