"""The SSM operations table equals what the code decided before it read the table, operation by operation
(access.py's sets of operations by resource member and base.THROTTLED_OPERATIONS, pinned below since they went;
the prefix rule, body limits)."""

from __future__ import annotations

import pytest

from strongroom.services.ssm.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "ssm"
MODEL_OPERATIONS = vectors.model_operations(SERVICE)


def _input_members(op: str) -> list[str]:
    return vectors.input_members(SERVICE, op)


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_resource_member_as_access_py(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.resource is None or row.resource in _input_members(op)
    assert row.resource == _resource_today(op)


# Pinned: the operation sets access.checks read before it read the rows' ``resource``.
BY_NAME = {
    "PutParameter",
    "GetParameter",
    "DeleteParameter",
    "GetParameterHistory",
    "LabelParameterVersion",
    "UnlabelParameterVersion",
}
BY_NAMES = {"GetParameters", "DeleteParameters"}
TAGGING = {"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"}
RESOURCE_POLICY = {"PutResourcePolicy", "GetResourcePolicies", "DeleteResourcePolicy"}
SETTINGS = {"GetServiceSetting", "UpdateServiceSetting", "ResetServiceSetting"}
# Pinned: the operations that call ServiceBase.throttle (base.THROTTLED_OPERATIONS before).
THROTTLED_OPERATIONS = {"GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory"}


def _resource_today(op: str) -> str | None:
    """The member ``access.checks`` reads for ``op`` (the tagging operations: when ResourceType is Parameter)."""
    if op in ("GetParameter", "GetParameters"):
        return "Name" if op == "GetParameter" else "Names"
    for members, member in (
        (BY_NAME, "Name"),
        (BY_NAMES, "Names"),
        ({"GetParametersByPath"}, "Path"),
        (TAGGING, "ResourceId"),
        (RESOURCE_POLICY, "ResourceArn"),
        (SETTINGS, "SettingId"),
    ):
        if op in members:
            return member
    return None


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_throttled_and_actions_as_today(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        assert op not in THROTTLED_OPERATIONS
        return
    assert row.throttled == (op in THROTTLED_OPERATIONS)
    assert row.actions == ()  # access.checks asks ssm:<Operation>
