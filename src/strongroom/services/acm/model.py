"""ACM's tables. Private keys (certificates', the internal CA's, ACME accounts') are stored only sealed."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, LargeBinary, String, Table, Text, UniqueConstraint

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

certificates = Table(
    "acm_certificates",
    metadata,
    Column("arn", String(256), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("domain_name", String(253), nullable=False),
    Column("sans", Text, nullable=False),  # JSON list, DomainName first
    Column("type", String(16), nullable=False),  # AMAZON_ISSUED | IMPORTED | PRIVATE
    Column("status", String(32), nullable=False),
    Column("validation_method", String(8), nullable=True),
    Column("validation", Text, nullable=False, default="[]"),  # JSON: per-domain validation state
    Column("key_algorithm", String(16), nullable=False),
    Column("options", Text, nullable=False, default="{}"),  # JSON CertificateOptions
    Column("ca_arn", String(256), nullable=True),  # PRIVATE: the ACM PCA that issues it
    Column("pca_certificate_arn", String(400), nullable=True),  # PRIVATE: issued but not yet collected
    Column("issuer_kind", String(16), nullable=True),  # acme | internal | pca | imported
    Column("idempotency_token", String(32), nullable=True),
    Column("request_hash", String(64), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("issued_at", UtcDateTime(), nullable=True),
    Column("imported_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revocation_reason", String(32), nullable=True),
    Column("not_before", UtcDateTime(), nullable=True),
    Column("not_after", UtcDateTime(), nullable=True),
    Column("serial", String(128), nullable=True),
    Column("subject", Text, nullable=True),
    Column("issuer", Text, nullable=True),
    Column("signature_algorithm", String(32), nullable=True),
    Column("key_usages", Text, nullable=False, default="[]"),
    Column("extended_key_usages", Text, nullable=False, default="[]"),
    Column("certificate", Text, nullable=True),  # PEM
    Column("chain", Text, nullable=True),  # PEM, issuer first
    Column("sealed_key", LargeBinary, nullable=True),  # PKCS#8 DER sealed under the root key
    Column("failure_reason", String(48), nullable=True),
    Column("renewal", Text, nullable=True),  # JSON RenewalSummary
    Column("exported", Boolean, nullable=False, default=False),
    Column("issue_attempts", Integer, nullable=False, default=0),
    Index("ix_acm_certificates_account_region", "account_id", "region"),
)

tags = Table(
    "acm_tags",
    metadata,
    Column("certificate_arn", String(256), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=True),
)

account_config = Table(
    "acm_account_config",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("days_before_expiry", Integer, nullable=False),
    Column("idempotency_token", String(32), nullable=True),
)

# The DNS validation CNAME of a domain is stable per account: one row per (account, base domain).
validation_records = Table(
    "acm_validation_records",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("domain", String(253), primary_key=True),
    Column("name_label", String(40), nullable=False),
    Column("value_label", String(40), nullable=False),
    Column("random_label", String(16), nullable=False),
)

issuing_cas = Table(
    "acm_issuing_cas",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("certificate", Text, nullable=False),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

acme_accounts = Table(
    "acm_acme_accounts",
    metadata,
    Column("directory_url", String(512), primary_key=True),
    Column("sealed_key", LargeBinary, nullable=False),
    Column("account_url", String(512), nullable=True),
    UniqueConstraint("account_url", name="uq_acm_acme_accounts_account_url"),
)


# The associated data each sealed key is bound to: the writers and `strongroom seal migrate` (through the
# registrations below) both call these, so the two cannot drift apart.
def certificate_key_aad(arn: str) -> bytes:
    """certificates.sealed_key: the certificate's private key, bound to its ARN."""
    return f"acm-certificate-key:{arn}".encode()


def issuing_ca_aad(name: str) -> bytes:
    """issuing_cas.sealed_key: the internal issuing CA's key, bound to the CA's name."""
    return b"acm-issuing-ca:" + name.encode()


def acme_account_aad(directory_url: str) -> bytes:
    """acme_accounts.sealed_key: the ACME account key, bound to the directory URL."""
    return b"acm-acme-account:" + directory_url.encode()


register_sealed_column(certificates, "sealed_key", lambda row: certificate_key_aad(row.arn))
register_sealed_column(issuing_cas, "sealed_key", lambda row: issuing_ca_aad(row.name))
register_sealed_column(acme_accounts, "sealed_key", lambda row: acme_account_aad(row.directory_url))
