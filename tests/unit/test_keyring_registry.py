"""Every column that stores sealed blobs is registered, so `strongroom seal migrate` re-wraps it."""

from __future__ import annotations

from sqlalchemy import LargeBinary

from strongroom.keyring.registry import sealed_columns
from strongroom.store.schema import all_tables


def test_every_sealed_column_is_registered() -> None:
    registered = {c.name for c in sealed_columns()}
    binary_sealed = {
        f"{table.name}.{column.name}"
        for table in all_tables().sorted_tables
        for column in table.columns
        if "sealed" in column.name and isinstance(column.type, LargeBinary)
    }
    missing = binary_sealed - registered
    assert not missing, f"register these with keyring.registry.register_sealed_column: {sorted(missing)}"
