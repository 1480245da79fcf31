"""A resource's ``aws:ResourceTag/*`` condition keys, read from its service's tag table only if a policy asks.

Every service with tagged resources hands the authorizer the same loader (``Check.lazy["aws:resourcetag"]``); only
the table, and the names of its columns, differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Table, select

from strongroom.iam.authorize import resource_tag_context
from strongroom.services.base.runtime import ServiceRuntime


def tag_loader(
    runtime: ServiceRuntime,
    table: Table,
    arn: str,
    *,
    arn_column: str = "arn",
    key_column: str = "key",
    value_column: str = "value",
) -> Callable[[], dict[str, Any]]:
    """Loads the tags ``table`` holds for ``arn`` as condition keys (a missing value counts as the empty string)."""
    columns = table.c

    def load() -> dict[str, Any]:
        with runtime.store.read() as conn:
            rows = conn.execute(
                select(columns[key_column], columns[value_column]).where(columns[arn_column] == arn)
            ).all()
        return resource_tag_context({key: "" if value is None else value for key, value in rows})

    return load
