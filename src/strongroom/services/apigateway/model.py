"""API Gateway's tables (REST APIs, v1 control plane).

Most entities are stored as their wire document (the JSON API Gateway answers, camelCase) in a ``doc`` column,
beside the columns they are looked up by: what a user configures is what is read back, and the data plane reads
the same documents. A resource row holds its methods, each with its method responses, integration and integration
responses (``resourceMethods`` as GetResource ``embed=methods`` answers it), so an API's whole method tree is one
query. A deployment row holds the snapshot CreateDeployment took (resources, authorizers, validators, models,
gateway responses, the API's settings): a stage's configuration loads in two point reads (stage, deployment).

API key values are stored sealed (``sealed_value``, bound to the key's id) and as a SHA-256 digest
(``value_digest``) so the data plane finds a key by the value a client presents without unsealing every key.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, String, Table, Text

from strongroom.keyring.registry import register_sealed_column
from strongroom.store.schema import metadata
from strongroom.store.types import UtcDateTime

rest_apis = Table(
    "apigw_rest_apis",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(1024), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),  # RestApi without id, createdDate, tags
    Index("ix_apigw_rest_apis_account_region", "account_id", "region"),
)

resources = Table(
    "apigw_resources",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("parent_id", String(16), nullable=True),  # None: the root resource "/"
    Column("path", Text, nullable=False),
    Column("doc", Text, nullable=False),  # {"pathPart"?, "resourceMethods"?: {VERB: Method}}
)

# Authorizers, request validators, models and gateway responses of an API: kind + key (id, model name, type).
api_items = Table(
    "apigw_api_items",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("kind", String(16), primary_key=True),  # authorizer | validator | model | gatewayresponse
    Column("key", String(256), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),
)

deployments = Table(
    "apigw_deployments",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("id", String(16), primary_key=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("description", Text, nullable=True),
    Column("snapshot", Text, nullable=False),  # JSON: see deployments.snapshot()
)

stages = Table(
    "apigw_stages",
    metadata,
    Column("api_id", String(16), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("deployment_id", String(16), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),  # Stage without stageName, deploymentId, dates, tags
)

api_keys = Table(
    "apigw_api_keys",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("name", String(1024), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("sealed_value", LargeBinary, nullable=False),
    Column("value_digest", String(64), nullable=False),
    Column("doc", Text, nullable=False),  # ApiKey without id, value, dates, tags
    Index("ix_apigw_api_keys_account_region", "account_id", "region"),
    Index("ix_apigw_api_keys_digest", "value_digest"),
)

usage_plans = Table(
    "apigw_usage_plans",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),  # UsagePlan without id, tags
    Index("ix_apigw_usage_plans_account_region", "account_id", "region"),
)

usage_plan_keys = Table(
    "apigw_usage_plan_keys",
    metadata,
    Column("plan_id", String(16), primary_key=True),
    Column("key_id", String(16), primary_key=True),
    Column("key_type", String(16), nullable=False),
    Index("ix_apigw_usage_plan_keys_key", "key_id"),
)

# Custom domain names are unique per region across accounts: the data plane routes a request by its Host alone.
domain_names = Table(
    "apigw_domain_names",
    metadata,
    Column("region", String(32), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("doc", Text, nullable=False),  # DomainName without domainName, tags
)

base_path_mappings = Table(
    "apigw_base_path_mappings",
    metadata,
    Column("region", String(32), primary_key=True),
    Column("domain_name", String(253), primary_key=True),
    Column("base_path", String(1024), primary_key=True),  # "(none)" for the empty base path, as AWS names it
    Column("api_id", String(16), nullable=False),
    Column("stage", String(128), nullable=True),
)

tags = Table(
    "apigw_tags",
    metadata,
    Column("arn", String(1400), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

# A client certificate API Gateway presents to HTTP backends: the certificate, and its private key only sealed.
client_certificates = Table(
    "apigw_client_certificates",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("region", String(32), nullable=False),
    Column("description", Text, nullable=True),
    Column("certificate", Text, nullable=False),  # PEM
    Column("sealed_key", LargeBinary, nullable=False),  # PKCS#8 DER
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Index("ix_apigw_client_certificates_account_region", "account_id", "region"),
)

accounts = Table(
    "apigw_accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("region", String(32), primary_key=True),
    Column("doc", Text, nullable=False),  # Account: cloudwatchRoleArn, throttleSettings
)


def api_key_aad(key_id: str) -> bytes:
    """api_keys.sealed_value: the key's value, bound to the key's id."""
    return b"apigateway-api-key:" + key_id.encode()


def client_certificate_key_aad(certificate_id: str) -> bytes:
    """client_certificates.sealed_key: the certificate's private key, bound to the certificate's id."""
    return b"apigateway-client-certificate-key:" + certificate_id.encode()


register_sealed_column(api_keys, "sealed_value", lambda row: api_key_aad(row.id))
register_sealed_column(client_certificates, "sealed_key", lambda row: client_certificate_key_aad(row.id))
