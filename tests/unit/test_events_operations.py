"""EventBridge's operations table equals the authorization table (``services/events/access.py``) it summarises."""

from __future__ import annotations

from strongroom.protocol.catalog import default_catalog
from strongroom.services.events import access
from strongroom.services.events.operations import OPERATIONS
from strongroom.services.events.provider import Provider
from strongroom.services.registry import snake_case


def test_a_row_for_every_implemented_operation_and_no_other() -> None:
    model = default_catalog().service("events")
    implemented = {op for op in model.operation_names if callable(getattr(Provider, snake_case(op), None))}
    assert set(OPERATIONS) == implemented


def test_resource_member_is_the_one_access_checks_use() -> None:
    for name in default_catalog().service("events").operation_names:
        row = OPERATIONS.get(name)
        if name in access.NAMED:
            expected: str | None = access.NAMED[name][1]
        elif name in access.TAGGING:
            expected = "ResourceARN"
        else:
            expected = None  # "*", or PutEvents: one check per bus its entries name
        if row is not None:
            assert row.resource == expected, name
            assert row.actions == () and row.read_only is None and row.on_loop is None, name
