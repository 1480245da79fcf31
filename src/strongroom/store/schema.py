"""The one MetaData every package declares its tables on.

Each package owns its tables (``iam/model.py``, ``services/<svc>/model.py``, ...); no package reads
another's. ``all_tables()`` imports every owner so Alembic and tests see the whole schema.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TABLE_OWNERS = (
    "strongroom.store.settings",
    "strongroom.iam.model",
    "strongroom.scheduler.model",
    "strongroom.events.model",
    "strongroom.services.kms.model",
    "strongroom.audit.model",
    "strongroom.services.acm.model",
    "strongroom.services.acm_pca.model",
    "strongroom.services.lambda_.model",
    "strongroom.services.ssm.model",
    "strongroom.services.secretsmanager.model",
    "strongroom.store.blobs",
    "strongroom.services.s3.model",
    "strongroom.services.logs.model",
    "strongroom.services.apigateway.model",
    "strongroom.services.apigateway.usage",
    "strongroom.services.wafv2.model",
    "strongroom.services.organizations.model",
    "strongroom.services.fms.model",
    "strongroom.services.shield.model",
    "strongroom.services.guardduty.model",
    "strongroom.services.cloudtrail.model",
    "strongroom.services.inspector2.model",
    "strongroom.services.macie2.model",
)


def all_tables() -> MetaData:
    for module in TABLE_OWNERS:
        importlib.import_module(module)
    return metadata
