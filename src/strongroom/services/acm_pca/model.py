"""ACM PCA's tables. A CA's private key is stored only sealed under the root key, with the CA ARN as AAD."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

authorities = Table(
    "pca_authorities",
    metadata,
    Column("arn", String(200), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("ca_type", String(16), nullable=False),  # ROOT | SUBORDINATE
    Column("status", String(32), nullable=False),
    Column("previous_status", String(32), nullable=True),  # what RestoreCertificateAuthority returns to
    Column("usage_mode", String(32), nullable=False),
    Column("key_storage", String(40), nullable=False),
    Column("configuration", Text, nullable=False),  # CertificateAuthorityConfiguration as JSON
    Column("revocation", Text, nullable=False),  # RevocationConfiguration as JSON
    Column("sealed_key", LargeBinary, nullable=False),  # PKCS#8 DER wrapped by the seal
    Column("public_key", LargeBinary, nullable=False),  # DER SubjectPublicKeyInfo
    Column("csr", Text, nullable=False),  # PEM
    Column("certificate", Text, nullable=True),  # PEM, once imported
    Column("chain", Text, nullable=True),  # PEM bundle of the issuers above a subordinate CA
    Column("serial", String(128), nullable=True),
    Column("not_before", UtcDateTime(), nullable=True),
    Column("not_after", UtcDateTime(), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_state_change_at", UtcDateTime(), nullable=False),
    Column("restorable_until", UtcDateTime(), nullable=True),
    Column("failure_reason", String(32), nullable=True),
    Column("idempotency_token", String(64), nullable=True),
    Column("policy", Text, nullable=True),
    Column("crl_number", Integer, nullable=False, default=0),
    Index("ix_pca_authorities_account_region", "account_id", "region"),
)

certificates = Table(
    "pca_certificates",
    metadata,
    Column("arn", String(300), primary_key=True),
    Column("ca_arn", String(200), nullable=False),
    Column("serial", String(64), nullable=False),  # lower-case hex, no separators
    Column("certificate", Text, nullable=False),  # PEM
    Column("template_arn", String(200), nullable=False),
    Column("subject", Text, nullable=False),  # RFC 4514, for audit reports
    Column("issued_at", UtcDateTime(), nullable=False),
    Column("ready_at", UtcDateTime(), nullable=False),  # GetCertificate answers RequestInProgress before
    Column("not_before", UtcDateTime(), nullable=False),
    Column("not_after", UtcDateTime(), nullable=False),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revocation_reason", String(40), nullable=True),
    Column("idempotency_token", String(64), nullable=True),
    Column("requester", String(2048), nullable=False, default=""),
    UniqueConstraint("ca_arn", "serial", name="uq_pca_certificates_ca_serial"),
    Index("ix_pca_certificates_serial", "serial"),
)

permissions = Table(
    "pca_permissions",
    metadata,
    Column("ca_arn", String(200), primary_key=True),
    Column("principal", String(128), primary_key=True),
    Column("source_account", String(12), nullable=False, default=""),
    Column("actions", Text, nullable=False),  # JSON list
    Column("created_at", UtcDateTime(), nullable=False),
)

tags = Table(
    "pca_tags",
    metadata,
    Column("ca_arn", String(200), primary_key=True),
    Column("tag_key", String(128), primary_key=True),
    Column("tag_value", String(256), nullable=False, default=""),
)

audit_reports = Table(
    "pca_audit_reports",
    metadata,
    Column("report_id", String(64), primary_key=True),
    Column("ca_arn", String(200), nullable=False),
    Column("bucket", String(255), nullable=False),
    Column("s3_key", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("report_format", String(8), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Index("ix_pca_audit_reports_ca", "ca_arn"),
)

crls = Table(
    "pca_crls",
    metadata,
    Column("ca_arn", String(200), primary_key=True),
    Column("crl_number", Integer, nullable=False),
    Column("der", LargeBinary, nullable=False),
    Column("this_update", UtcDateTime(), nullable=False),
    Column("next_update", UtcDateTime(), nullable=False),
)


def authority_key_aad(arn: str) -> bytes:
    """authorities.sealed_key: a CA's private key is sealed with the CA's ARN as associated data."""
    return arn.encode()


register_sealed_column(authorities, "sealed_key", lambda row: authority_key_aad(row.arn))
