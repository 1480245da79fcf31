"""Lambda's in-process read API for Inspector: an account's functions ($LATEST) and their deployment packages.

Inspector scans what a function really contains, as the service itself (AWS's Inspector reads the code through
Lambda's service-side access, not through GetFunction's presigned URL as the caller). Answers plain values, never
rows: the tables stay Lambda's own. Listed in pyproject's import-linter exceptions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from strongroom.services.lambda_.model import code, functions, versions
from strongroom.store.engine import Store

LATEST = "$LATEST"


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    arn: str  # unqualified
    name: str
    runtime: str
    role: str
    code_sha256: str  # hex
    last_modified: datetime
    tags: dict[str, str]


def functions_of(store: Store, account_id: str, region: str) -> list[FunctionInfo]:
    """Every function of ``account_id`` in ``region``, by name, as its $LATEST version stands."""
    query = (
        select(functions.c.arn, functions.c.name, functions.c.tags, versions)
        .join(
            versions,
            (versions.c.account_id == functions.c.account_id)
            & (versions.c.region == functions.c.region)
            & (versions.c.name == functions.c.name),
        )
        .where(functions.c.account_id == account_id, functions.c.region == region, versions.c.version == LATEST)
        .order_by(functions.c.name)
    )
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [
        FunctionInfo(
            arn=row.arn,
            name=row.name,
            runtime=row.runtime,
            role=row.role,
            code_sha256=row.code_sha256,
            last_modified=row.last_modified,
            tags=json.loads(row.tags) if row.tags else {},
        )
        for row in rows
    ]


def code_zip(store: Store, sha256: str) -> bytes | None:
    """The deployment package whose SHA-256 (hex) is ``sha256``, or None once no version keeps it."""
    with store.read() as conn:
        data = conn.execute(select(code.c.zip).where(code.c.sha256 == sha256)).scalar()
    return bytes(data) if data is not None else None
