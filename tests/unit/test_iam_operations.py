"""The IAM operations table names the resources the code authorizes on, operation by operation.

Read-only, on-loop and body limits are checked for every service by tests/unit/test_operations.py, one row per
listed operation by tests/unit/test_providers_index.py.

Compared with: access.STAR_OPERATIONS, CREATES, RESOURCE_MEMBER_ORDER;
the readers' pinned answers (tests/support/operation_vectors.py).
"""

from __future__ import annotations

import pytest

from strongroom.services.iam import access
from strongroom.services.iam.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "iam"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == _iam_member(op)


def _iam_member(op: str) -> str | None:
    """What access.checks() authorizes on: "*", the created entity's name, or the first RESOURCE_MEMBER_ORDER member."""
    if op in access.STAR_OPERATIONS:
        return None
    if op in access.CREATES:
        return access.CREATES[op][1]
    if op == "CreatePolicy":
        return "PolicyName"  # the ARN is built from Path + PolicyName
    return next((m for m in access.RESOURCE_MEMBER_ORDER if m in _input_members(op)), None)
