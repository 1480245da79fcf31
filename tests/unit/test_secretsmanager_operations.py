"""The Secrets Manager operations table equals what the code decides today, operation by operation
(access.checks reads SecretId whenever the request has one; the read-only list; body limits)."""

from __future__ import annotations

import pytest

from strongroom.services.secretsmanager.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "secretsmanager"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == ("SecretId" if "SecretId" in _input_members(op) else None)


def test_actions_as_today() -> None:
    assert all(row.actions == () and not row.throttled for row in OPERATIONS.values())  # secretsmanager:<Operation>
