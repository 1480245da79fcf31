"""CloudWatch Logs' tables. Event messages are stored only encrypted (AES-256-GCM under their group's data key);
data keys only wrapped: sealed under the root key, or as a KMS ciphertext when the group has a kmsKeyId."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

ARN = String(600)  # arn:aws:logs:<region>:<account>:log-group:<name of up to 512>
NAME = String(512)

groups = Table(
    "logs_groups",
    metadata,
    Column("arn", ARN, primary_key=True),  # without the trailing ":*"
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", NAME, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("retention_days", Integer, nullable=True),
    Column("kms_key_id", String(256), nullable=True),
    Column("log_group_class", String(32), nullable=False),
    Column("deletion_protection", Boolean, nullable=False),
    Column("data_key_id", String(32), nullable=False),  # the key new events are encrypted under
    UniqueConstraint("account_id", "region", "name", name="uq_logs_groups_name"),
)

# One row per data key a group has used: a group's key changes when a KMS key is associated or disassociated, and
# events keep the key they were written under.
data_keys = Table(
    "logs_data_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("group_arn", ARN, nullable=False),
    Column("kms_key_id", String(256), nullable=True),  # the KMS key that wraps it (None: the seal)
    Column("sealed_key", LargeBinary, nullable=True),
    Column("kms_blob", LargeBinary, nullable=True),  # KMS CiphertextBlob, context {"aws:logs:arn": group_arn}
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_logs_data_keys_group", "group_arn"),
)

streams = Table(
    "logs_streams",
    metadata,
    Column("group_arn", ARN, primary_key=True),
    Column("name", NAME, primary_key=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("first_event_ms", BigInteger, nullable=True),
    Column("last_event_ms", BigInteger, nullable=True),
    Column("last_ingestion_ms", BigInteger, nullable=True),
    Column("stored_bytes", BigInteger, nullable=False),
    Column("sequence", BigInteger, nullable=False),  # uploadSequenceToken's counter
)

events = Table(
    "logs_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("group_arn", ARN, nullable=False),
    Column("stream_name", NAME, nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("ingestion_ms", BigInteger, nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("size", Integer, nullable=False),  # the message's UTF-8 bytes (storedBytes)
    Column("message", LargeBinary, nullable=False),  # nonce || AES-GCM(message), see event_aad
    Index("ix_logs_events_stream", "group_arn", "stream_name", "timestamp_ms", "id"),
    Index("ix_logs_events_group", "group_arn", "timestamp_ms", "id"),
)

tags = Table(
    "logs_tags",
    metadata,
    Column("group_arn", ARN, primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)


def data_key_aad(group_arn: str, key_id: str) -> bytes:
    """data_keys.sealed_key: a group's data key, bound to the group and the key's id."""
    return f"logs-data-key:{group_arn}:{key_id}".encode()


def event_aad(group_arn: str, stream: str, timestamp_ms: int) -> bytes:
    """events.message: bound to its group, stream and timestamp, so a row moved or edited does not decrypt."""
    return f"logs-event:{group_arn}:{stream}:{timestamp_ms}".encode()


register_sealed_column(data_keys, "sealed_key", lambda row: data_key_aad(row.group_arn, row.key_id))
