"""s3: buckets, configuration documents, object versions, multipart uploads; blob chunks (the database blob store)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

KEY = sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "blob_chunks",
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", "seq", name=op.f("pk_blob_chunks")),
    )
    op.create_table(
        "s3_account_configs",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", name=op.f("pk_s3_account_configs")),
    )
    op.create_table(
        "s3_bucket_configs",
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "kind", name=op.f("pk_s3_bucket_configs")),
    )
    op.create_table(
        "s3_buckets",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("versioning", sa.String(length=16), nullable=True),
        sa.Column("mfa_delete", sa.String(length=16), nullable=True),
        sa.Column("object_lock", sa.Boolean(), nullable=False),
        sa.Column("ownership", sa.String(length=32), nullable=False),
        sa.Column("next_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_s3_buckets")),
    )
    op.create_index("ix_s3_buckets_account", "s3_buckets", ["account_id"], unique=False)
    op.create_table(
        "s3_objects",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("is_latest", sa.Boolean(), nullable=False),
        sa.Column("delete_marker", sa.Boolean(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=12), nullable=False),
        sa.Column("storage_class", sa.String(length=32), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("encryption", sa.Text(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("segments", sa.Text(), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("lock_mode", sa.String(length=16), nullable=True),
        sa.Column("lock_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("legal_hold", sa.Boolean(), nullable=False),
        sa.Column("replication_status", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_s3_objects")),
    )
    op.create_index("ix_s3_objects_key", "s3_objects", ["bucket", "key", "sequence"], unique=False)
    op.create_index("ix_s3_objects_latest", "s3_objects", ["bucket", "is_latest", "key"], unique=False)
    op.create_table(
        "s3_orphan_blobs",
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("blob", name=op.f("pk_s3_orphan_blobs")),
    )
    op.create_table(
        "s3_parts",
        sa.Column("upload_id", sa.String(length=128), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name=op.f("pk_s3_parts")),
    )
    op.create_table(
        "s3_uploads",
        sa.Column("upload_id", sa.String(length=128), nullable=False),
        sa.Column("bucket", sa.String(length=63), nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("initiated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=12), nullable=False),
        sa.Column("initiator_arn", sa.String(length=2048), nullable=False),
        sa.Column("storage_class", sa.String(length=32), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("encryption", sa.Text(), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=True),
        sa.Column("checksum_algorithm", sa.String(length=16), nullable=True),
        sa.Column("checksum_type", sa.String(length=16), nullable=True),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("lock", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_s3_uploads")),
    )
    op.create_index("ix_s3_uploads_bucket", "s3_uploads", ["bucket", "key"], unique=False)


def downgrade() -> None:
    for table in (
        "s3_uploads",
        "s3_parts",
        "s3_orphan_blobs",
        "s3_objects",
        "s3_buckets",
        "s3_bucket_configs",
        "s3_account_configs",
        "blob_chunks",
    ):
        op.drop_table(table)
