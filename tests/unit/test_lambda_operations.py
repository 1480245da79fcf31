"""The Lambda operations table equals what the code decides today, operation by operation
(access.checks: FunctionName and the action names; the prefix rule; server/limits.py's body limits)."""

from __future__ import annotations

import pytest

from strongroom.services.lambda_.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "lambda"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == ("FunctionName" if "FunctionName" in _input_members(op) else None)


# Pinned: access.checks's action names before it read the rows (every other operation: lambda:<Operation>).
ACTIONS = {"Invoke": "lambda:InvokeFunction", "InvokeWithResponseStream": "lambda:InvokeFunction"}


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_actions_as_today(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert (row.actions or (f"lambda:{op}",)) == (ACTIONS.get(op, f"lambda:{op}"),)
    assert not row.throttled
