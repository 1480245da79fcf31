"""A service's operations table: one ``core.operations.Operation`` row per implemented operation, by name."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

from strongroom.core.operations import Operation

OperationT = TypeVar("OperationT", bound=Operation)


def operations(*rows: OperationT) -> Mapping[str, OperationT]:
    """The rows keyed by operation name (read-only); a name given twice is a mistake in the table."""
    table: dict[str, OperationT] = {}
    for row in rows:
        if row.name in table:
            raise ValueError(f"operation {row.name} is listed twice")
        table[row.name] = row
    return MappingProxyType(table)
