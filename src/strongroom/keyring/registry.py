"""Every table column that holds blobs sealed under the root key, so ``strongroom seal migrate`` can re-wrap
them all when the seal provider changes.

Each owner registers its columns next to its table declaration::

    register_sealed_column(materials, "sealed", lambda row: material_aad(row.key_arn, row.material_id))

``aad`` receives the full row and must return exactly the associated data the owner passes to
``seal.wrap``. A column a package forgets to register would be unreadable after a migration, which
tests/unit/test_keyring_registry.py guards against for columns named ``*sealed*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table

from strongroom.store.schema import all_tables


@dataclass(frozen=True)
class SealedColumn:
    table: Table
    column: str
    aad: Callable[[Any], bytes]

    @property
    def name(self) -> str:
        return f"{self.table.name}.{self.column}"

    @property
    def sa_column(self) -> Column[Any]:
        return self.table.c[self.column]


_registry: dict[str, SealedColumn] = {}


def register_sealed_column(table: Table, column: str, aad: Callable[[Any], bytes]) -> None:
    if column not in table.c:
        raise KeyError(f"{table.name} has no column {column}")
    entry = SealedColumn(table, column, aad)
    _registry[entry.name] = entry


def sealed_columns() -> list[SealedColumn]:
    """Every registered column, once all table owners are imported (``store.schema.all_tables()``)."""
    all_tables()
    return sorted(_registry.values(), key=lambda e: e.name)
