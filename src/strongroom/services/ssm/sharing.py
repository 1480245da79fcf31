"""Parameters shared with other accounts: the resource policies PutResourcePolicy stores, read back.

``shared_with`` is the narrow check the provider itself applies to cross-account reads until the evaluator takes
resource policies into account; ``shared_arns`` lists what another account may see (DescribeParameters with
``Shared``). The access table (``access.py``) merges the same documents for the evaluator. This module imports
only the model, so both ``base.py`` and ``access.py`` can use it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select

from strongroom.services.ssm import model

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

_rp = model.resource_policies
# Built once: the one-ARN lookup runs on every authorization of a parameter operation.
ALL_POLICIES = select(_rp.c.resource_arn, _rp.c.policy).order_by(_rp.c.resource_arn, _rp.c.created_at)
POLICIES_OF = (
    select(_rp.c.resource_arn, _rp.c.policy).where(_rp.c.resource_arn == bindparam("arn")).order_by(_rp.c.created_at)
)


def documents(runtime: ServiceRuntime, arn: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    with runtime.store.read() as conn:
        rows = list(conn.execute(ALL_POLICIES) if arn is None else conn.execute(POLICIES_OF, {"arn": arn}))
    return parsed((row.resource_arn, row.policy) for row in rows)


def parsed(rows: Iterable[tuple[str, str]]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for arn, policy in rows:
        try:
            out.append((arn, json.loads(policy)))
        except ValueError:
            continue
    return out


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]


def merged(found: list[tuple[str, dict[str, Any]]]) -> str | None:
    """The statements of several policy documents as one document, or None when there are none."""
    all_statements = [s for _, document in found for s in statements(document)]
    if not all_statements:
        return None
    return json.dumps({"Version": "2012-10-17", "Statement": all_statements})


def _principals(statement: dict[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, dict):
        value = principal.get("AWS", [])
        return [value] if isinstance(value, str) else [str(v) for v in value]
    return []


def _names_account(principal: str, account_id: str) -> bool:
    return principal in ("*", account_id, f"arn:aws:iam::{account_id}:root") or principal.startswith(
        f"arn:aws:iam::{account_id}:"
    )


def _allows(document: dict[str, Any], account_id: str) -> bool:
    return any(
        s.get("Effect") == "Allow" and any(_names_account(p, account_id) for p in _principals(s))
        for s in statements(document)
    )


def shared_with(runtime: ServiceRuntime, arn: str, account_id: str) -> bool:
    return any(_allows(document, account_id) for _, document in documents(runtime, arn))


def shared_arns(runtime: ServiceRuntime, account_id: str) -> list[str]:
    return sorted({arn for arn, document in documents(runtime) if _allows(document, account_id)})
