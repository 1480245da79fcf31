"""The STS operations table equals what the code decides today, operation by operation
(access.checks: AssumeRole on RoleArn, no permission for GetCallerIdentity/GetSessionToken; read-only, off-loop)."""

from __future__ import annotations

import pytest

from strongroom.services.sts import access
from strongroom.services.sts.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "sts"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    expected = {
        "AssumeRole": "RoleArn",
        "AssumeRoleWithSAML": "RoleArn",
        "AssumeRoleWithWebIdentity": "RoleArn",
        "AssumeRoot": "TargetPrincipal",
    }
    assert row.resource == expected.get(op)


def test_no_permission_operations_name_no_resource() -> None:
    assert set(OPERATIONS) >= access.NO_PERMISSION_NEEDED
    assert all(OPERATIONS[op].resource is None for op in access.NO_PERMISSION_NEEDED)
    assert all(row.actions == () and not row.throttled for row in OPERATIONS.values())
