"""Every service's operations table (``services/<svc>/operations.py``) against the rules the readers applied before.

The pipeline's on-loop decision, the audit record's readOnly and the body limit read a service's row when it has
one; for every row these must equal what the general rules (CloudTrail's lists and prefixes, ``_OFF_LOOP``,
``server/limits.py``) answer, so moving a fact into the table changes no behaviour. Services without a table yet
are skipped; each service's own ``test_<svc>_operations.py`` checks its service-specific columns.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

import pytest

from strongroom.audit.records import is_read_only
from strongroom.core.operations import Operation
from strongroom.protocol.catalog import default_catalog
from strongroom.server import limits
from strongroom.server.pipeline import runs_on_loop
from strongroom.services.base.operations import operations
from strongroom.services.registry import package_name


def _tables() -> dict[str, Mapping[str, Operation]]:
    found: dict[str, Mapping[str, Operation]] = {}
    for service in default_catalog().services:
        try:
            module = importlib.import_module(f"strongroom.services.{package_name(service)}.operations")
        except ModuleNotFoundError:
            continue
        found[service] = module.OPERATIONS
    return found


TABLES = _tables()


@pytest.mark.parametrize("service", sorted(TABLES))
def test_rows_are_model_operations_keyed_by_name(service: str) -> None:
    model = default_catalog().service(service)
    table = TABLES[service]
    assert set(table) <= set(model.operation_names), f"{service}: rows for operations its model lacks"
    for name, row in table.items():
        assert isinstance(row, Operation) and row.name == name


@pytest.mark.parametrize("service", sorted(TABLES))
def test_read_only_matches_cloudtrail_rules(service: str) -> None:
    differ = {
        name: row.read_only
        for name, row in TABLES[service].items()
        if is_read_only(service, name, row) != is_read_only(service, name)
    }
    assert not differ, f"{service}: read_only differs from audit/records.py's rules: {differ}"


@pytest.mark.parametrize("service", sorted(TABLES))
def test_on_loop_matches_the_pipeline_rule(service: str) -> None:
    differ = {
        name: row.on_loop
        for name, row in TABLES[service].items()
        if runs_on_loop(service, name, row) != runs_on_loop(service, name)
    }
    assert not differ, f"{service}: on_loop differs from server/pipeline.py's rule: {differ}"


@pytest.mark.parametrize("service", sorted(TABLES))
def test_body_limit_matches_server_limits(service: str) -> None:
    differ = {
        name: (row.body_limit, limits.body_limit(service, name))
        for name, row in TABLES[service].items()
        if row.body_limit is not None and row.body_limit != limits.body_limit(service, name)
    }
    assert not differ, f"{service}: body_limit differs from server/limits.py: {differ}"


def test_operations_rejects_a_name_given_twice() -> None:
    with pytest.raises(ValueError, match="Encrypt"):
        operations(Operation("Encrypt"), Operation("Encrypt"))
    table = operations(Operation("Decrypt"), Operation("Encrypt"))
    assert list(table) == ["Decrypt", "Encrypt"]
    with pytest.raises(TypeError):
        table["Sign"] = Operation("Sign")  # type: ignore[index]


def test_the_registry_reads_the_row_and_none_without_a_table() -> None:
    from strongroom.services.registry import ProviderRegistry

    registry = ProviderRegistry(runtime=None)  # type: ignore[arg-type]
    for service, table in TABLES.items():
        for name, row in table.items():
            assert registry.operation(service, name) is row
    assert registry.operation("kms", "NoSuchOperation") is None
    assert registry.operation("no-such-service", "Anything") is None
