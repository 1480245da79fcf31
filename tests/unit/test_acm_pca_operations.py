"""The ACM PCA operations table names the resources the code authorizes on, operation by operation.

Read-only, on-loop and body limits are checked for every service by tests/unit/test_operations.py, one row per
listed operation by tests/unit/test_providers_index.py.

Compared with: access.STAR_OPERATIONS, access.CA_OPERATIONS;
the readers' pinned answers (tests/support/operation_vectors.py).
"""

from __future__ import annotations

import pytest

from strongroom.services.acm_pca import access
from strongroom.services.acm_pca.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "acm-pca"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == (None if op in access.STAR_OPERATIONS else access.CA_OPERATIONS.get(op))
