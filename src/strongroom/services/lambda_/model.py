"""Lambda's tables.

A function is one ``lambda_functions`` row plus one ``lambda_versions`` row per version (``$LATEST`` and each
published number) holding that version's configuration and resource policy. Deployment packages live in the
database (``lambda_code``, one row per distinct SHA-256) so every node of a cluster can run every function;
each node unpacks them once into ``DATA_DIR/lambda/code/<sha256>/``. Environment variables are sealed under
the root key (AWS encrypts them at rest with ``aws/lambda``).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, LargeBinary, String, Table, Text

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

functions = Table(
    "lambda_functions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("arn", String(256), nullable=False),
    Column("tags", Text, nullable=True),  # JSON object
    Column("next_version", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

versions = Table(
    "lambda_versions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("version", String(16), primary_key=True),  # $LATEST | 1, 2, ...
    Column("runtime", String(32), nullable=False),
    Column("role", String(2048), nullable=False),
    Column("handler", String(128), nullable=False),
    Column("description", Text, nullable=False),
    Column("timeout", Integer, nullable=False),
    Column("memory_size", Integer, nullable=False),
    Column("environment_sealed", LargeBinary, nullable=True),  # JSON of the variables, sealed
    Column("code_sha256", String(64), nullable=False),  # hex; the key of lambda_code
    Column("code_size", BigInteger, nullable=False),
    Column("revision_id", String(36), nullable=False),
    Column("last_modified", UtcDateTime(), nullable=False),
    Column("policy", Text, nullable=True),  # the resource policy (AddPermission), JSON
)

code = Table(
    "lambda_code",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("zip", LargeBinary, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)


def env_aad(arn: str, version: str) -> bytes:
    """Associated data of a version's sealed environment: the unqualified function ARN and the version."""
    return f"lambda:environment:{arn}:{version}".encode()


register_sealed_column(
    versions,
    "environment_sealed",
    lambda row: env_aad(f"arn:aws:lambda:{row.region}:{row.account_id}:function:{row.name}", row.version),
)
