"""Every service's operations table (``services/<svc>/operations.py``) and the readers that read it.

The pipeline's on-loop decision, the audit record's readOnly and the body limit read the operation's row (the old
per-reader tables are gone); for every model operation, row or not, they must answer what they answered before
(``tests/support/operation_vectors.py``). Each service's own ``test_<svc>_operations.py`` checks its
service-specific columns.
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
from tests.support import operation_vectors as vectors


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
def test_body_limits_stay_within_the_service_limit(service: str) -> None:
    """``largest_body_limit`` (the front end's cap) counts on a service's entry bounding its rows."""
    over = {
        name: row.body_limit
        for name, row in TABLES[service].items()
        if row.body_limit is not None and row.body_limit > limits.body_limit(service)
    }
    assert not over, f"{service}: body_limit above the service's: {over}"


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


# -- the readers against the pinned vectors (tests/support/operation_vectors.py), every model operation ---------


def _model_operations() -> list[tuple[str, str]]:
    catalog = default_catalog()
    return [(s, o) for s in catalog.services for o in catalog.service(s).operation_names]


def _row(service: str, name: str) -> Operation | None:
    return TABLES.get(service, {}).get(name)


def test_read_only_equals_the_pinned_vectors() -> None:
    differ = {
        f"{s}:{o}": vectors.read_only(s, o)
        for s, o in _model_operations()
        if is_read_only(s, o, _row(s, o)) != vectors.read_only(s, o)
    }
    assert not differ


def test_on_loop_equals_the_pinned_vectors() -> None:
    differ = {
        f"{s}:{o}": vectors.on_loop(s, o)
        for s, o in _model_operations()
        if runs_on_loop(s, o, _row(s, o)) != vectors.on_loop(s, o)
    }
    assert not differ


def test_body_limits_equal_the_pinned_vectors() -> None:
    assert {s: limits.body_limit(s) for s in default_catalog().services} == vectors.PINNED_SERVICE_BODY_LIMITS
    assert limits.body_limit(None) == limits.DEFAULT_BODY_LIMIT == 1048576
    assert limits.largest_body_limit() == 70167211
    differ = {
        f"{s}:{o}": vectors.body_limit(s, o)
        for s, o in _model_operations()
        if limits.body_limit(s, o, _row(s, o)) != vectors.body_limit(s, o)
    }
    assert not differ


def test_iam_writes_as_before() -> None:
    """The authorizer forgets its cached callers on every IAM call whose row is not read-only; before the rows it
    did so for every IAM operation not named Get*/List*/Simulate*/Generate* (pinned)."""
    from strongroom.core.operations import row_read_only

    for name, row in TABLES["iam"].items():
        if name.startswith("Generate"):
            continue  # Generate* (issue 24) write a report job: CloudTrail's not-read-only; forgetting is harmless
        assert (not row_read_only(name, row)) == (not name.startswith(("Get", "List", "Simulate", "Generate"))), name
