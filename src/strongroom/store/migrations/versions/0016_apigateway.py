"""apigateway: REST APIs, resources, API items, deployments, stages, API keys, usage plans, domain names, tags,
client certificates, account settings

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _dt(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "apigw_rest_apis",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False),
        _dt("created_at"),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apigw_rest_apis")),
    )
    op.create_index("ix_apigw_rest_apis_account_region", "apigw_rest_apis", ["account_id", "region"])
    op.create_table(
        "apigw_resources",
        sa.Column("api_id", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=16), nullable=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("api_id", "id", name=op.f("pk_apigw_resources")),
    )
    op.create_table(
        "apigw_api_items",
        sa.Column("api_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=256), nullable=False),
        _dt("created_at"),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("api_id", "kind", "key", name=op.f("pk_apigw_api_items")),
    )
    op.create_table(
        "apigw_deployments",
        sa.Column("api_id", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=16), nullable=False),
        _dt("created_at"),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("api_id", "id", name=op.f("pk_apigw_deployments")),
    )
    op.create_table(
        "apigw_stages",
        sa.Column("api_id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("deployment_id", sa.String(length=16), nullable=False),
        _dt("created_at"),
        _dt("updated_at"),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("api_id", "name", name=op.f("pk_apigw_stages")),
    )
    op.create_table(
        "apigw_api_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=True),
        _dt("created_at"),
        _dt("updated_at"),
        sa.Column("sealed_value", sa.LargeBinary(), nullable=False),
        sa.Column("value_digest", sa.String(length=64), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apigw_api_keys")),
    )
    op.create_index("ix_apigw_api_keys_account_region", "apigw_api_keys", ["account_id", "region"])
    op.create_index("ix_apigw_api_keys_digest", "apigw_api_keys", ["value_digest"])
    op.create_table(
        "apigw_usage_plans",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        _dt("created_at"),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apigw_usage_plans")),
    )
    op.create_index("ix_apigw_usage_plans_account_region", "apigw_usage_plans", ["account_id", "region"])
    op.create_table(
        "apigw_usage_plan_keys",
        sa.Column("plan_id", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("key_type", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "key_id", name=op.f("pk_apigw_usage_plan_keys")),
    )
    op.create_index("ix_apigw_usage_plan_keys_key", "apigw_usage_plan_keys", ["key_id"])
    op.create_table(
        "apigw_domain_names",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=253), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        _dt("created_at"),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("region", "name", name=op.f("pk_apigw_domain_names")),
    )
    op.create_table(
        "apigw_base_path_mappings",
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("domain_name", sa.String(length=253), nullable=False),
        sa.Column("base_path", sa.String(length=1024), nullable=False),
        sa.Column("api_id", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("region", "domain_name", "base_path", name=op.f("pk_apigw_base_path_mappings")),
    )
    op.create_table(
        "apigw_tags",
        sa.Column("arn", sa.String(length=1400), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("arn", "key", name=op.f("pk_apigw_tags")),
    )
    op.create_table(
        "apigw_client_certificates",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("sealed_key", sa.LargeBinary(), nullable=False),
        _dt("created_at"),
        _dt("expires_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_apigw_client_certificates")),
    )
    op.create_index(
        "ix_apigw_client_certificates_account_region", "apigw_client_certificates", ["account_id", "region"]
    )
    op.create_table(
        "apigw_accounts",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("doc", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "region", name=op.f("pk_apigw_accounts")),
    )


def downgrade() -> None:
    for name in (
        "apigw_accounts",
        "apigw_client_certificates",
        "apigw_tags",
        "apigw_base_path_mappings",
        "apigw_domain_names",
        "apigw_usage_plan_keys",
        "apigw_usage_plans",
        "apigw_api_keys",
        "apigw_stages",
        "apigw_deployments",
        "apigw_api_items",
        "apigw_resources",
        "apigw_rest_apis",
    ):
        op.drop_table(name)
