"""The STS operations table equals what the code decides today, operation by operation
(access.checks: AssumeRole on RoleArn, no permission for GetCallerIdentity/GetSessionToken; read-only, off-loop)."""

from __future__ import annotations

import botocore.loaders
import pytest
from botocore import xform_name

from strongroom.core.operations import READ_ONLY_PREFIXES
from strongroom.server.limits import body_limit
from strongroom.services.sts import access
from strongroom.services.sts.operations import OPERATIONS
from strongroom.services.sts.provider import Provider
from tests.support import operation_vectors as vectors

SERVICE = "sts"
_MODEL = botocore.loaders.create_loader().load_service_model(SERVICE, "service-2")
MODEL_OPERATIONS = sorted(_MODEL["operations"])
IMPLEMENTED = sorted(op for op in MODEL_OPERATIONS if xform_name(op) in vars(Provider))


def _input_members(op: str) -> list[str]:
    shape = _MODEL["operations"][op].get("input")
    return list(_MODEL["shapes"][shape["shape"]]["members"]) if shape else []


def test_one_row_per_implemented_operation() -> None:
    assert sorted(OPERATIONS) == IMPLEMENTED
    assert all(row.name == name for name, row in OPERATIONS.items())


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_read_only_on_loop_and_body_limit_as_today(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return  # not implemented: no row
    read_only = row.read_only if row.read_only is not None else op.startswith(READ_ONLY_PREFIXES)
    assert read_only == vectors.read_only(SERVICE, op)
    on_loop = row.on_loop if row.on_loop is not None else read_only
    assert on_loop == vectors.on_loop(SERVICE, op)
    limit = row.body_limit if row.body_limit is not None else body_limit(SERVICE)
    assert limit == vectors.body_limit(SERVICE, op)
    assert row.audit_members == ()


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == ("RoleArn" if op == "AssumeRole" else None)


def test_no_permission_operations_name_no_resource() -> None:
    assert set(OPERATIONS) >= access.NO_PERMISSION_NEEDED
    assert all(OPERATIONS[op].resource is None for op in access.NO_PERMISSION_NEEDED)
    assert all(row.actions == () and not row.throttled for row in OPERATIONS.values())
